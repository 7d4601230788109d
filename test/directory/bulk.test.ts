// Bulk user creation: Directory.createUsers, Store.createAccounts and the key derivation pool.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Directory, type NewUser } from '../../src/directory/directory.js';
import { DirectoryError } from '../../src/directory/errors.js';
import { KeyDerivationPool, type KeyJob } from '../../src/directory/key-pool.js';
import { keyMaterial, saltFor } from '../../src/directory/keys.js';
import { SqliteStore } from '../../src/directory/sqlite-store.js';
import { BatchEntryError, type NewAccount } from '../../src/directory/store.js';
import { UF } from '../../src/directory/types.js';
import { provisioned, tempDir } from './fixtures/tmp.js';

const USERS: NewUser[] = [
  { name: 'alice', password: 'Secret123', upn: 'alice@example.test', displayName: 'Alice A' },
  { name: 'Bob', password: 'An0ther-pass' },
  { name: 'carol', password: 'Secret123', mustChangePassword: true, uac: UF.DONT_EXPIRE_PASSWD },
  { name: 'dave', password: 'p\u00e4ssw\u00f6rd-\u{1D11E}', supportedEncryptionTypes: 0x18, homeDirectory: '\\\\fs\\dave' },
];

/** Account attributes and secrets, without the times that depend on when they were written. */
async function snapshot(dir: Directory, name: string): Promise<unknown> {
  const p = await dir.findClient(name);
  assert.ok(p, `${name} exists`);
  const { pwdLastSet, ...account } = p.account;
  return { account, mustChange: pwdLastSet === undefined, secrets: p.secrets };
}

test('createUsers writes the same accounts and keys as createUser (worker pool and this thread)', async () => {
  const one = await provisioned();
  const bulk = await provisioned();
  const inThread = await provisioned();
  const pool = new KeyDerivationPool({ size: 2 });
  try {
    for (const u of USERS) await one.dir.createUser(u.name, u);
    const created = await bulk.dir.createUsers(USERS, { pool, batchSize: 3 });
    assert.deepEqual(
      created.map((c) => [c.samAccountName, c.rid]),
      USERS.map((u, i) => [u.name, 1100 + i]),
    );
    assert.equal(created[0].sid, (await one.dir.getAccount('alice')).sid);
    await inThread.dir.createUsers(USERS); // < 32 users: derived on this thread
    for (const u of USERS) {
      const expected = await snapshot(one.dir, u.name);
      assert.deepEqual(await snapshot(bulk.dir, u.name), expected, `${u.name} via the pool`);
      assert.deepEqual(await snapshot(inThread.dir, u.name), expected, `${u.name} on this thread`);
    }
    assert.equal((await bulk.dir.getDomain()).nextRid, (await one.dir.getDomain()).nextRid);
    // The pool stays usable for the caller (createUsers closes only pools it made).
    assert.equal((await pool.derive([{ password: 'x', salt: 'y', names: { sam: 'z', domain: { netbiosName: 'E', dnsName: 'e.test' } } }])).length, 1);
  } finally {
    await pool.close();
    await Promise.all([one.cleanup(), bulk.cleanup(), inThread.cleanup()]);
  }
});

test('the key derivation pool: same material as keyMaterial, in order, Buffers; closed pool refuses', async () => {
  const pool = new KeyDerivationPool({ size: 2 });
  const domain = { netbiosName: 'EXAMPLE', dnsName: 'example.test' };
  const jobs: KeyJob[] = Array.from({ length: 70 }, (_, i) => ({
    password: `Pw-${i}-secret`,
    salt: saltFor('user', 'EXAMPLE.TEST', `u${i}`, 'example.test'),
    names: { sam: `u${i}`, upn: i % 2 === 0 ? `u${i}@corp.test` : undefined, domain },
  }));
  try {
    const out = await pool.derive(jobs);
    assert.equal(out.length, jobs.length);
    out.forEach((m, i) => {
      assert.deepEqual(m, keyMaterial(jobs[i].password, jobs[i].salt, jobs[i].names), `job ${i}`);
      assert.ok(Buffer.isBuffer(m.ntHash) && Buffer.isBuffer(m.keys[0].value) && Buffer.isBuffer(m.wdigest));
    });
    assert.deepEqual(await pool.derive([]), []);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.derive(jobs.slice(0, 1)), { code: 'CLOSED' });
});

test('createUsers: progress after each committed batch', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    const calls: Array<[number, number]> = [];
    const users = Array.from({ length: 5 }, (_, i) => ({ name: `p${i}`, password: 'Secret123' }));
    await dir.createUsers(users, { batchSize: 2, onProgress: (created, total) => calls.push([created, total]) });
    assert.deepEqual(calls, [
      [2, 5],
      [4, 5],
      [5, 5],
    ]);
    assert.deepEqual(await dir.createUsers([]), []);
  } finally {
    await cleanup();
  }
});

test('createUsers: every entry validated as createUser does, before anything is written', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    await dir.createUser('taken', { password: 'Secret123' });
    await dir.createGroup('Staff');
    const before = (await dir.listAccounts()).length;
    const nextRid = (await dir.getDomain()).nextRid;
    const ok = (name: string): NewUser => ({ name, password: 'Secret123' });
    const cases: Array<[NewUser[], number, string, RegExp]> = [
      [[ok('a1'), { name: 'bad/name', password: 'Secret123' }], 1, 'BAD_NAME', /entry 2 \(bad\/name\): /],
      [[ok('a1'), ok('a2'), { name: 'a3', password: 'sh0rt' }], 2, 'PASSWORD_POLICY', /entry 3 \(a3\): /],
      [[ok('a1'), { name: 'a2', password: 'Secret123', upn: 'nope' }], 1, 'BAD_NAME', /userPrincipalName/],
      [[ok('a1'), { name: 'a2', password: 'Secret123', uac: UF.WORKSTATION_TRUST_ACCOUNT }], 1, 'INVALID_ARGUMENT', /machine or trust/],
      [[ok('a1'), ok('a2'), ok('A1')], 2, 'ALREADY_EXISTS', /entry 3 \(A1\): the name 'A1' appears more than once in the input/],
      [[{ ...ok('a1'), upn: 'x@example.test' }, { ...ok('a2'), upn: 'X@Example.Test' }], 1, 'UPN_IN_USE', /'X@Example.Test' appears more than once/],
      [[ok('a1'), ok('TAKEN')], 1, 'ALREADY_EXISTS', /entry 2 \(TAKEN\): an account or group named 'TAKEN' already exists/],
      [[ok('a1'), ok('staff')], 1, 'ALREADY_EXISTS', /'staff' already exists/],
    ];
    for (const [users, index, code, message] of cases) {
      await assert.rejects(dir.createUsers(users), (e: unknown) => {
        assert.ok(e instanceof BatchEntryError, String(e));
        assert.ok(e instanceof DirectoryError);
        assert.equal(e.code, code);
        assert.equal(e.index, index);
        assert.equal(e.entryName, users[index].name);
        assert.match(e.message, message);
        assert.doesNotMatch(e.message, /Secret123|sh0rt/, 'no password in the message');
        return true;
      });
      // The same entry through createUser fails with the same code and reason.
      const bad = users[index];
      if (code !== 'ALREADY_EXISTS' && code !== 'UPN_IN_USE') {
        await assert.rejects(dir.createUser(bad.name, bad), (e: DirectoryError) => {
          assert.equal(e.code, code);
          return true;
        });
      }
    }
    assert.equal((await dir.listAccounts()).length, before);
    assert.equal((await dir.getDomain()).nextRid, nextRid);
  } finally {
    await cleanup();
  }
});

/** A pool on this thread that runs a hook before deriving each batch. */
class HookedPool extends KeyDerivationPool {
  private calls = 0;
  constructor(private readonly hook: (call: number) => Promise<void>) {
    super({ size: 0 });
  }
  override async derive(jobs: KeyJob[]) {
    await this.hook(++this.calls);
    return super.derive(jobs);
  }
}

test('createUsers: a batch that conflicts at write time is written not at all; earlier batches stay', async () => {
  const { dir, path, cleanup } = await provisioned();
  const other = await Directory.openSqlite(path);
  try {
    // Another process takes u3 while the keys of the second batch [u2, u3] are derived.
    const pool = new HookedPool(async (call) => {
      if (call === 2) await other.createUser('U3', { password: 'Secret123' });
    });
    const users = Array.from({ length: 6 }, (_, i) => ({ name: `u${i}`, password: 'Secret123' }));
    const progress: number[] = [];
    await assert.rejects(dir.createUsers(users, { batchSize: 2, pool, onProgress: (n) => progress.push(n) }), (e: unknown) => {
      assert.ok(e instanceof BatchEntryError);
      assert.equal(e.code, 'ALREADY_EXISTS');
      assert.equal(e.index, 3);
      assert.equal(e.entryName, 'u3');
      assert.match(e.message, /^entry 4 \(u3\): an account or group named 'u3' already exists$/);
      return true;
    });
    assert.deepEqual(progress, [2]);
    const names = (await dir.listAccounts('user')).map((a) => [a.samAccountName, a.rid]).filter(([n]) => /^u\d$/i.test(String(n)));
    assert.deepEqual(names, [
      ['u0', 1100],
      ['u1', 1101],
      ['U3', 1102],
    ]);
    assert.equal(await dir.findAccount('u2'), undefined);
    assert.equal((await dir.getDomain()).nextRid, 1103);
  } finally {
    await other.close();
    await cleanup();
  }
});

test('Store.createAccounts: one transaction; a duplicate in the batch rolls all of it back', async () => {
  const t = await tempDir();
  const dir = await Directory.openSqlite(t.path);
  await dir.provision({ realm: 'EXAMPLE.TEST', netbiosName: 'EXAMPLE' });
  await dir.close();
  const store = SqliteStore.open(`${t.path}/authso.db`);
  try {
    const keys = keyMaterial('Secret123', 'EXAMPLE.TESTx', { sam: 'x', domain: { netbiosName: 'EXAMPLE', dnsName: 'example.test' } });
    const acct = (name: string, extra: Partial<NewAccount> = {}): NewAccount => ({
      kind: 'user',
      samAccountName: name,
      servicePrincipalNames: [],
      displayName: '',
      userAccountControl: UF.NORMAL_ACCOUNT,
      primaryGroupId: 513,
      homeDirectory: '',
      homeDrive: '',
      scriptPath: '',
      profilePath: '',
      altSecurityIdentities: [],
      ...extra,
    });
    const nextRid = (await store.getDomain())?.nextRid;
    const failing: Array<[NewAccount[], number, string]> = [
      [[acct('b0'), acct('b1'), acct('B0')], 2, 'ALREADY_EXISTS'],
      [[acct('b0', { userPrincipalName: 'same@x.test' }), acct('b1', { userPrincipalName: 'SAME@x.test' })], 1, 'UPN_IN_USE'],
      [[acct('b0', { servicePrincipalNames: ['HTTP/a'] }), acct('b1', { servicePrincipalNames: ['http/A'] })], 1, 'SPN_IN_USE'],
      [[acct('b0'), acct('Domain Users')], 1, 'ALREADY_EXISTS'],
    ];
    for (const [accounts, index, code] of failing) {
      await assert.rejects(store.createAccounts(accounts.map((account) => ({ account, keys }))), (e: unknown) => {
        assert.ok(e instanceof BatchEntryError);
        assert.equal(e.code, code);
        assert.equal(e.index, index);
        assert.equal(e.entryName, accounts[index].samAccountName);
        return true;
      });
      assert.equal(await store.findAccountBySam('b0'), undefined, 'nothing of the batch written');
      assert.equal((await store.getDomain())?.nextRid, nextRid, 'no RID consumed');
    }
    const rids = await store.createAccounts([acct('b0', { servicePrincipalNames: ['HTTP/a'] }), acct('b1')].map((account) => ({ account, keys })));
    assert.deepEqual(rids, [nextRid, (nextRid as number) + 1]);
    assert.equal((await store.getPrincipal({ spn: 'http/A' }))?.account.samAccountName, 'b0');
    assert.deepEqual((await store.getSecrets(rids[1]))?.current.keys, keys.keys);
    assert.deepEqual(await store.createAccounts([]), []);
  } finally {
    await store.close();
    await t.cleanup();
  }
});
