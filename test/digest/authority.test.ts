// DirectoryAuthority.validateDigest (MS-APDS 3.3.5.2 on the DC): the WDigest hash variant for
// the spelling the client used, bad-password counting and lockout as for NTLM, restrictions
// after the right response, and accounts whose password predates the WDigest hashes (schema
// version 1 databases) failing with a clear status until the password is set again.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { Directory } from '../../src/directory/directory.js';
import { SCHEMA_VERSION } from '../../src/directory/sqlite-store.js';
import { DIGEST_AUTHENTICATION } from '../../src/security/logon-token.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import { SEC_E, SecurityError, type DigestValidationRequest } from '../../src/security/types.js';
import { digestHa1, requestDigest, sessionHa1 } from '../../src/digest/index.js';

const PW = 'Dave-Passw0rd!';
let dataDir: string;
let dir: Directory;
let authority: DirectoryAuthority;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'authso-digest-'));
  dir = await Directory.openSqlite(dataDir);
  await dir.provision({ realm: 'EXAMPLE.TEST', netbiosName: 'EXAMPLE', policy: { lockoutThreshold: 3, lockoutDuration: 1800, lockoutObservationWindow: 1800 } });
  await dir.createUser('Dave', { password: PW, upn: 'dave.smith@example.test' });
  await dir.createUser('eve', { password: PW });
  await dir.createUser('old', { password: PW });
  await dir.createComputer('ws1', { password: PW });
  authority = new DirectoryAuthority(dir);
});

after(async () => {
  await dir.close();
  await rm(dataDir, { recursive: true, force: true });
});

function request(username: string, realm: string, password: string, algorithm: 'MD5' | 'MD5-sess' = 'MD5'): DigestValidationRequest {
  const nonce = 'n0nce';
  const cnonce = 'cn0nce';
  const ha1 = sessionHa1(digestHa1(username, realm, password), algorithm, nonce, cnonce);
  const response = requestDigest(ha1, { nonce, nc: '00000001', cnonce, qop: 'auth' }, 'GET', '/x');
  return { username, realm, nonce, cnonce, nc: '00000001', qop: 'auth', method: 'GET', uri: '/x', response, algorithm };
}

async function status(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return 0;
  } catch (e) {
    assert.ok(e instanceof SecurityError);
    return e.details.ntstatus;
  }
}

test('every stored spelling validates; the token is a Digest network logon with S-1-5-64-21', async () => {
  const forms: Array<[string, string]> = [
    ['Dave', 'EXAMPLE'],
    ['dave', 'example.test'],
    ['DAVE', 'EXAMPLE.TEST'],
    ['Dave', 'example.test'],
    ['EXAMPLE\\Dave', ''],
    ['dave.smith@example.test', ''],
    ['Dave', 'Digest'],
    ['example\\dave', 'Digest'],
  ];
  for (const [u, r] of forms) {
    const res = await authority.validateDigest(request(u, r, PW, 'MD5-sess'));
    assert.equal(res.token.userName, 'Dave', `${u} / ${r}`);
    assert.equal(res.token.authPackage, 'Digest');
    assert.equal(res.token.logonType, 'network');
    assert.ok(res.token.groups.some((g) => g.sid === DIGEST_AUTHENTICATION));
    assert.equal(res.sessionKey?.length, 16);
  }
});

test('a spelling with no stored hash is refused without counting', async () => {
  assert.equal(await status(authority.validateDigest(request('dAvE', 'example.test', PW))), 0xc000006d);
  assert.equal((await dir.getAccount('Dave')).badPwdCount, 0);
});

test('wrong responses count; at the threshold the account locks and the right password fails too', async () => {
  for (let i = 0; i < 3; i++) assert.equal(await status(authority.validateDigest(request('eve', 'example.test', 'wrong'))), 0xc000006a);
  assert.ok((await dir.getAccount('eve')).lockoutTime);
  assert.equal(await status(authority.validateDigest(request('eve', 'example.test', PW))), 0xc0000234);
  await dir.unlockAccount('eve');
  assert.equal(await status(authority.validateDigest(request('eve', 'example.test', PW))), 0);
});

test('restrictions after the right response: disabled account; trust accounts refused', async () => {
  await dir.disableAccount('eve');
  assert.equal(await status(authority.validateDigest(request('eve', 'example.test', 'wrong'))), 0xc000006a);
  assert.equal(await status(authority.validateDigest(request('eve', 'example.test', PW))), 0xc0000072);
  await dir.enableAccount('eve');
  await dir.unlockAccount('eve');
  assert.equal(await status(authority.validateDigest(request('ws1$', 'example.test', PW))), 0xc0000199);
});

test('malformed requests are SEC_E_INVALID_TOKEN', async () => {
  const r = request('eve', 'example.test', PW);
  for (const bad of [{ ...r, nc: 'zz' }, { ...r, response: 'x' }, { ...r, username: '' }, { ...r, qop: 'auth-int' as 'auth' }, { ...r, username: 'a'.repeat(5000) }]) {
    await assert.rejects(authority.validateDigest(bad), (e: unknown) => e instanceof SecurityError && e.code === SEC_E.INVALID_TOKEN);
  }
});

test('a schema-1 database migrates; its accounts have no WDigest hashes until the password is set', async () => {
  await dir.close();
  // Make the database what authso before WDigest left behind: no column, version 1.
  const db = new Database(join(dataDir, 'authso.db'));
  db.exec('ALTER TABLE secrets DROP COLUMN wdigest');
  db.prepare('UPDATE schema_version SET version = 1').run();
  db.close();
  dir = await Directory.openSqlite(dataDir);
  authority = new DirectoryAuthority(dir);
  const check = new Database(join(dataDir, 'authso.db'), { readonly: true });
  assert.deepEqual(check.prepare('SELECT version FROM schema_version').all(), [{ version: SCHEMA_VERSION }]);
  check.close();
  await assert.rejects(authority.validateDigest(request('old', 'example.test', PW)), (e: unknown) => {
    return e instanceof SecurityError && e.code === SEC_E.NO_CREDENTIALS && e.details.ntstatus === 0xc000006d && /set its password again/.test(e.message);
  });
  assert.equal((await dir.getAccount('old')).badPwdCount, 0, 'not counted: no password was checked');
  // NTLM and Kerberos keys are untouched by the migration.
  assert.ok((await dir.findClient('old'))?.secrets.ntHash);
  await dir.setPassword('old', 'New-Passw0rd!');
  assert.equal((await authority.validateDigest(request('old', 'example.test', 'New-Passw0rd!'))).token.userName, 'old');
});
