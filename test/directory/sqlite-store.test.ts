// The SQLite store itself: pragmas, schema version, indexes, separate secrets table.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Directory } from '../../src/directory/directory.js';
import { SCHEMA_VERSION, SqliteStore } from '../../src/directory/sqlite-store.js';
import { provisioned, tempDir } from './fixtures/tmp.js';

test('WAL journal, synchronous FULL, schema version, lookup indexes, secrets apart', async () => {
  const { dir, path, cleanup } = await provisioned();
  try {
    await dir.createUser('alice', { password: 'Secret123' });
    const db = new Database(join(path, 'authso.db'), { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.deepEqual(db.prepare('SELECT version FROM schema_version').all(), [{ version: SCHEMA_VERSION }]);
      const indexes = (db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as Array<{ name: string; sql: string }>)
        .map((r) => r.name)
        .sort();
      for (const name of ['accounts_sam', 'accounts_upn', 'spns_key', 'groups_sam', 'members_member']) assert.ok(indexes.includes(name), name);
      const unique = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'spns_key'").get() as { sql: string };
      assert.match(unique.sql, /CREATE UNIQUE INDEX/);
      const accountCols = (db.prepare('PRAGMA table_info(accounts)').all() as Array<{ name: string }>).map((c) => c.name);
      for (const c of ['nt_hash', 'current', 'previous']) assert.ok(!accountCols.includes(c), `accounts has no ${c} column`);
      assert.equal((db.prepare('SELECT count(*) AS n FROM secrets').get() as { n: number }).n, 4);
    } finally {
      db.close();
    }
    // The connection the store uses: synchronous = FULL (2).
    const store = SqliteStore.open(join(path, 'authso.db'));
    const syncMode = (store as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true });
    assert.equal(syncMode, 2);
    await store.close();
  } finally {
    await cleanup();
  }
});

test('a database from a newer authso is refused', async () => {
  const t = await tempDir();
  try {
    const d = await Directory.openSqlite(t.path);
    await d.close();
    const db = new Database(join(t.path, 'authso.db'));
    db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 1);
    db.close();
    await assert.rejects(Directory.openSqlite(t.path), { code: 'SCHEMA' });
  } finally {
    await t.cleanup();
  }
});

test('the store refuses work after close', async () => {
  const t = await tempDir();
  try {
    const d = await Directory.openSqlite(t.path);
    await d.close();
    await assert.rejects(d.getDomain(), { code: 'CLOSED' });
  } finally {
    await t.cleanup();
  }
});

test('altSecurityIdentities are indexed: kept in step with the account, found case-insensitively, and built by the v3 migration', async () => {
  const { dir, path, cleanup } = await provisioned();
  try {
    await dir.createUser('alice', { password: 'Secret123' });
    await dir.createUser('bob', { password: 'Secret123' });
    const id = 'X509:<I>CN=Test CA<SR>0A0B0C';
    await dir.setAccountFields('alice', { altSecurityIdentities: [id, 'X509:<SKI>ABCD'] });
    assert.deepEqual((await dir.findAccountsByAltSecurityIdentity([id.toLowerCase()])).map((a) => a.samAccountName), ['alice']);
    assert.deepEqual((await dir.findAccountsByAltSecurityIdentity(['X509:<SKI>abcd', 'nothing'])).map((a) => a.samAccountName), ['alice']);
    await dir.setAccountFields('alice', { altSecurityIdentities: ['X509:<SKI>ABCD'] });
    assert.deepEqual(await dir.findAccountsByAltSecurityIdentity([id]), []);
    await dir.setAccountFields('bob', { altSecurityIdentities: ['X509:<SKI>ABCD'] });
    assert.deepEqual((await dir.findAccountsByAltSecurityIdentity(['X509:<SKI>ABCD'])).map((a) => a.samAccountName).sort(), ['alice', 'bob']);
    await dir.deleteAccount('bob');
    assert.deepEqual((await dir.findAccountsByAltSecurityIdentity(['X509:<SKI>ABCD'])).map((a) => a.samAccountName), ['alice']);
    await dir.close();
    // A version-2 database (no alt_ids table): the migration builds the index from the accounts.
    const db = new Database(join(path, 'authso.db'));
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT rid FROM alt_ids WHERE id_key = 'x'").all() as Array<{ detail: string }>;
    assert.ok(plan.some((r) => /USING INDEX alt_ids_key/.test(r.detail)), JSON.stringify(plan));
    db.exec('DROP TABLE alt_ids');
    db.prepare('UPDATE schema_version SET version = 2').run();
    db.close();
    const again = await Directory.openSqlite(path);
    try {
      assert.deepEqual((await again.findAccountsByAltSecurityIdentity(['x509:<ski>abcd'])).map((a) => a.samAccountName), ['alice']);
    } finally {
      await again.close();
    }
  } finally {
    await cleanup();
  }
});
