// Users, computers, names, passwords and keys, account control, fields, SPNs, KDC lookups.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enctypeProfile, ntHash } from '../../src/crypto/index.js';
import { Directory } from '../../src/directory/directory.js';
import { saltFor } from '../../src/directory/keys.js';
import { checkPasswordPolicy, defaultPolicy } from '../../src/directory/policy.js';
import { UF } from '../../src/directory/types.js';
import { DOMAIN_SID, provisioned } from './fixtures/tmp.js';

test('createUser: defaults, RID allocation from 1100, keys with the AD user salt', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    const a = await dir.createUser('alice', { password: 'Secret123', upn: 'alice@example.test', displayName: 'Alice A' });
    assert.equal(a.rid, 1100);
    assert.equal(a.sid, `${DOMAIN_SID}-1100`);
    assert.equal(a.kind, 'user');
    assert.equal(a.userAccountControl, UF.NORMAL_ACCOUNT);
    assert.equal(a.primaryGroupId, 513);
    assert.equal(a.userPrincipalName, 'alice@example.test');
    assert.equal(a.displayName, 'Alice A');
    assert.equal(a.badPwdCount, 0);
    assert.equal(a.logonCount, 0);
    const b = await dir.createUser('Bob', { password: 'Secret123' });
    assert.equal(b.rid, 1101);
    assert.equal((await dir.getDomain()).nextRid, 1102);

    const p = await dir.findClient('ALICE');
    assert.ok(p);
    assert.equal(p.secrets.current.kvno, 1);
    assert.equal(p.secrets.current.salt, 'EXAMPLE.TESTalice');
    assert.deepEqual(p.secrets.previous, []);
    const [aes256, aes128, rc4] = p.secrets.current.keys;
    assert.equal(aes256.etype, 18);
    assert.deepEqual(aes256.value, enctypeProfile(18).stringToKey('Secret123', 'EXAMPLE.TESTalice'));
    assert.equal(aes128.etype, 17);
    assert.deepEqual(aes128.value, enctypeProfile(17).stringToKey('Secret123', 'EXAMPLE.TESTalice'));
    assert.equal(rc4.etype, 23);
    assert.deepEqual(rc4.value, ntHash('Secret123'));
    assert.deepEqual(p.secrets.ntHash, ntHash('Secret123'));
    // Case as stored: Bob's salt keeps the capital.
    assert.equal((await dir.findClient('bob'))?.secrets.current.salt, 'EXAMPLE.TESTBob');
  } finally {
    await cleanup();
  }
});

test('salts (MS-KILE 3.1.1.2) and a published AES256 vector (DSInternals ConvertTo-KerberosKey)', () => {
  assert.equal(saltFor('user', 'example.test', 'alice', 'example.test'), 'EXAMPLE.TESTalice');
  assert.equal(saltFor('krbtgt', 'EXAMPLE.TEST', 'krbtgt', 'example.test'), 'EXAMPLE.TESTkrbtgt');
  assert.equal(saltFor('computer', 'EXAMPLE.TEST', 'WEB$', 'Example.Test'), 'EXAMPLE.TESThostweb.example.test');
  assert.equal(
    enctypeProfile(18).stringToKey('Pa$$w0rd', saltFor('user', 'CONTOSO.COM', 'Administrator', 'contoso.com')).toString('hex'),
    '660e61042b190b5724c62bb473facca12058fb9ad3c03c0d2809f839c0352502',
  );
});

test('user name rules and uniqueness across accounts and groups', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    for (const bad of ['', 'a'.repeat(21), 'a/b', 'a\\b', 'a[b', 'a]b', 'a:b', 'a;b', 'a|b', 'a=b', 'a,b', 'a+b', 'a*b', 'a?b', 'a<b', 'a>b', 'a"b', 'a@b', '...', ' x', 'a\u0001']) {
      await assert.rejects(dir.createUser(bad, { password: 'Secret123' }), { code: 'BAD_NAME' }, JSON.stringify(bad));
    }
    await dir.createUser('carol', { password: 'Secret123' });
    await assert.rejects(dir.createUser('CAROL', { password: 'Secret123' }), { code: 'ALREADY_EXISTS' });
    await assert.rejects(dir.createUser('Domain Users', { password: 'Secret123' }), { code: 'ALREADY_EXISTS' });
    await assert.rejects(dir.createGroup('Carol'), { code: 'ALREADY_EXISTS' });
    await dir.createUser('dan', { password: 'Secret123', upn: 'd@example.test' });
    await assert.rejects(dir.createUser('dan2', { password: 'Secret123', upn: 'D@Example.Test' }), { code: 'UPN_IN_USE' });
    await assert.rejects(dir.createUser('dan3', { password: 'Secret123', upn: 'no-at-sign' }), { code: 'BAD_NAME' });
    // A failed creation allocated nothing: RIDs stay dense.
    assert.equal((await dir.createUser('erin', { password: 'Secret123' })).rid, 1102);
  } finally {
    await cleanup();
  }
});

test('password policy: minimum length, and complexity when enabled', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    await assert.rejects(dir.createUser('frank', { password: 'abc123' }), { code: 'PASSWORD_POLICY' });
    await dir.setPolicy({ passwordComplexity: true });
    await assert.rejects(dir.createUser('frank', { password: 'alllowercase' }), { code: 'PASSWORD_POLICY' });
    await assert.rejects(dir.createUser('frank', { password: 'Frank-Passw0rd' }), /account name/);
    await dir.createUser('frank', { password: 'Tr0ub4dor&3' });
  } finally {
    await cleanup();
  }
  const p = { ...defaultPolicy(), passwordComplexity: true };
  const u = { samAccountName: 'jo', displayName: 'Jo Smith-Jones', kind: 'user' as const };
  assert.throws(() => checkPasswordPolicy('Smith12345!', p, u), /display name/);
  checkPasswordPolicy('Jo-12345abc', p, u); // 'jo' is shorter than 3: not checked
  assert.throws(() => checkPasswordPolicy('пароль12345', p, u), /complexity/); // lower case + digits: 2 classes
  checkPasswordPolicy('Пароль12345', p, u); // upper + lower + digits
  checkPasswordPolicy('密码abc12345', p, u); // other letters + lower + digits
});

test('createComputer: NAME$, UAC, primary group, dNSHostName, HOST SPNs, random password, computer salt', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    const { account, password } = await dir.createComputer('web');
    assert.equal(account.samAccountName, 'WEB$');
    assert.equal(account.kind, 'computer');
    assert.equal(account.userAccountControl, UF.WORKSTATION_TRUST_ACCOUNT);
    assert.equal(account.primaryGroupId, 515);
    assert.equal(account.dnsHostName, 'web.example.test');
    assert.deepEqual(account.servicePrincipalNames, ['HOST/WEB', 'HOST/web.example.test']);
    assert.equal(password.length, 120);
    const p = await dir.findService(['host', 'WEB.example.test']);
    assert.equal(p?.account.rid, account.rid);
    assert.equal(p?.secrets.current.salt, 'EXAMPLE.TESThostweb.example.test');
    assert.deepEqual(p?.secrets.current.keys[0].value, enctypeProfile(18).stringToKey(password, 'EXAMPLE.TESThostweb.example.test'));

    const db = await dir.createComputer('DB01$', { password: 'Machine-Pass-1', dnsHostName: 'db01.Other.Example' });
    assert.equal(db.password, 'Machine-Pass-1');
    assert.equal(db.account.samAccountName, 'DB01$');
    assert.equal(db.account.dnsHostName, 'db01.other.example');
    // The salt uses the domain's DNS name, not the host's.
    assert.equal((await dir.findService(['DB01$']))?.secrets.current.salt, 'EXAMPLE.TESThostdb01.example.test');
    await assert.rejects(dir.createComputer('web'), { code: 'ALREADY_EXISTS' });
    await assert.rejects(dir.createComputer('this-name-is-too-long'), { code: 'BAD_NAME' });
    await assert.rejects(dir.createComputer('under_score'), { code: 'BAD_NAME' });
    await assert.rejects(dir.createComputer('12345'), { code: 'BAD_NAME' });
  } finally {
    await cleanup();
  }
});

test('setPassword: kvno + 1, previous key sets kept (1 for users, 2 for services and krbtgt)', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    await dir.createUser('alice', { password: 'Secret123' });
    assert.equal(await dir.setPassword('alice', 'Secret456'), 2);
    assert.equal(await dir.setPassword('alice', 'Secret789'), 3);
    let p = await dir.findClient('alice');
    assert.equal(p?.secrets.current.kvno, 3);
    assert.deepEqual(p?.secrets.previous.map((k) => k.kvno), [2]);
    assert.deepEqual(p?.secrets.previous[0].keys[2].value, ntHash('Secret456'));
    assert.deepEqual(p?.secrets.ntHash, ntHash('Secret789'));

    await dir.addSpn('alice', 'HTTP/app.example.test');
    await dir.setPassword('alice', 'Secret000');
    p = await dir.findService(['HTTP', 'app.example.test']);
    assert.deepEqual(p?.secrets.previous.map((k) => k.kvno), [3, 2]);

    for (let i = 0; i < 3; i++) await dir.setPassword('krbtgt', `Krbtgt-${i}-password`);
    const k = await dir.getKrbtgt();
    assert.equal(k.secrets.current.kvno, 4);
    assert.deepEqual(k.secrets.previous.map((x) => x.kvno), [3, 2]);

    const before = (await dir.getAccount('alice')).pwdLastSet;
    await dir.setPassword('alice', 'Secret111', { mustChange: true });
    assert.equal((await dir.getAccount('alice')).pwdLastSet, undefined);
    assert.ok(before instanceof Date);
    await assert.rejects(dir.setPassword('alice', 'x'), { code: 'PASSWORD_POLICY' });
    await assert.rejects(dir.setPassword('nobody', 'Secret123'), { code: 'NO_SUCH_OBJECT' });
  } finally {
    await cleanup();
  }
});

test('account control: enable, disable, computed bits, type bits', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    await dir.createUser('alice', { password: 'Secret123' });
    assert.equal((await dir.disableAccount('alice')).userAccountControl, UF.NORMAL_ACCOUNT | UF.ACCOUNTDISABLE);
    assert.equal((await dir.enableAccount('alice')).userAccountControl, UF.NORMAL_ACCOUNT);
    const a = await dir.setAccountControl('alice', UF.DONT_EXPIRE_PASSWD | UF.NOT_DELEGATED, 0);
    assert.equal(a.userAccountControl, UF.NORMAL_ACCOUNT | UF.DONT_EXPIRE_PASSWD | UF.NOT_DELEGATED);
    // PASSWORD_EXPIRED is computed: setting it means pwdLastSet = 0; clearing it sets pwdLastSet = now.
    const e = await dir.setAccountControl('alice', UF.PASSWORD_EXPIRED, 0);
    assert.equal(e.pwdLastSet, undefined);
    assert.equal(e.userAccountControl & UF.PASSWORD_EXPIRED, 0);
    assert.ok((await dir.setAccountControl('alice', 0, UF.PASSWORD_EXPIRED)).pwdLastSet instanceof Date);
    await assert.rejects(dir.setAccountControl('alice', UF.LOCKOUT, 0), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(dir.setAccountControl('alice', UF.WORKSTATION_TRUST_ACCOUNT, UF.NORMAL_ACCOUNT), { code: 'CONSTRAINT' });
    await dir.createComputer('dc2');
    const dc = await dir.setAccountControl('dc2', UF.SERVER_TRUST_ACCOUNT, UF.WORKSTATION_TRUST_ACCOUNT);
    assert.equal(dc.userAccountControl, UF.SERVER_TRUST_ACCOUNT);
  } finally {
    await cleanup();
  }
});

test('setAccountFields and getAccount by name, NAME$ shortcut and UPN', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    await dir.createUser('alice', { password: 'Secret123' });
    const expires = new Date('2030-01-01T00:00:00Z');
    const hours = Buffer.alloc(21, 0xff);
    const a = await dir.setAccountFields('alice', {
      accountExpires: expires,
      logonHours: hours,
      userPrincipalName: 'alice@corp.example',
      displayName: 'Alice',
      homeDirectory: '\\\\fs\\alice',
      homeDrive: 'H:',
      scriptPath: 'logon.cmd',
      profilePath: '\\\\fs\\profiles\\alice',
      supportedEncryptionTypes: 0x18,
      altSecurityIdentities: ['X509:<I>CN=CA<S>CN=alice'],
    });
    assert.deepEqual(a.accountExpires, expires);
    assert.deepEqual(a.logonHours, hours);
    assert.equal(a.userPrincipalName, 'alice@corp.example');
    assert.equal(a.homeDrive, 'H:');
    assert.equal(a.supportedEncryptionTypes, 0x18);
    assert.deepEqual(a.altSecurityIdentities, ['X509:<I>CN=CA<S>CN=alice']);
    assert.equal((await dir.getAccount('ALICE@CORP.EXAMPLE')).rid, a.rid);
    const cleared = await dir.setAccountFields('alice', { accountExpires: null, logonHours: null, userPrincipalName: null, supportedEncryptionTypes: null });
    assert.equal(cleared.accountExpires, undefined);
    assert.equal(cleared.logonHours, undefined);
    assert.equal(cleared.userPrincipalName, undefined);
    assert.equal(cleared.supportedEncryptionTypes, undefined);
    await assert.rejects(dir.setAccountFields('alice', { logonHours: Buffer.alloc(20) }), { code: 'INVALID_ARGUMENT' });
    await dir.createComputer('web');
    assert.equal((await dir.getAccount('web')).samAccountName, 'WEB$');
    assert.equal((await dir.getAccount('web$')).samAccountName, 'WEB$');
    await assert.rejects(dir.getAccount('nobody'), { code: 'NO_SUCH_OBJECT' });
    assert.equal(await dir.findAccount('nobody'), undefined);
    assert.deepEqual((await dir.listAccounts('computer')).map((x) => x.samAccountName), ['WEB$']);
    assert.deepEqual((await dir.listAccounts('user')).map((x) => x.samAccountName), ['Administrator', 'Guest', 'alice']);
  } finally {
    await cleanup();
  }
});

test('SPNs: unique across the domain (case-insensitive) with the owner named; remove; list', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    await dir.createUser('svc_sql', { password: 'Secret123' });
    await dir.createComputer('web');
    await dir.addSpn('svc_sql', 'MSSQLSvc/db.example.test:1433');
    await dir.addSpn('web', 'HTTP/web.example.test');
    await assert.rejects(dir.addSpn('svc_sql', 'http/WEB.example.test'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'SPN_IN_USE');
      assert.match(e.message, /WEB\$/);
      return true;
    });
    await assert.rejects(dir.addSpn('web', 'HOST/web'), { code: 'SPN_IN_USE' });
    await assert.rejects(dir.addSpn('web', 'nohost'), { code: 'BAD_NAME' });
    await assert.rejects(dir.addSpn('web', 'HTTP/a b'), { code: 'BAD_NAME' });
    assert.deepEqual(await dir.listSpns('web'), ['HOST/WEB', 'HOST/web.example.test', 'HTTP/web.example.test']);
    await dir.removeSpn('web', 'http/web.EXAMPLE.test');
    await assert.rejects(dir.removeSpn('web', 'HTTP/web.example.test'), { code: 'NO_SUCH_OBJECT' });
    await dir.addSpn('svc_sql', 'HTTP/web.example.test'); // free again
    assert.deepEqual(await dir.listSpns('svc_sql'), ['MSSQLSvc/db.example.test:1433', 'HTTP/web.example.test']);
  } finally {
    await cleanup();
  }
});

test('findClient / findService / getKrbtgt resolution', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    await dir.createUser('alice', { password: 'Secret123', upn: 'alice.a@corp.example' });
    await dir.createComputer('web');
    await dir.addSpn('web', 'HTTP/web.example.test');
    const rid = (name: string) => dir.findClient(name).then((p) => p?.account.samAccountName);
    assert.equal(await rid('alice'), 'alice');
    assert.equal(await rid('Alice'), 'alice');
    assert.equal(await rid('alice.a@CORP.example'), 'alice');
    assert.equal(await rid('alice@example.test'), 'alice'); // implicit UPN
    assert.equal(await rid('alice@EXAMPLE.TEST'), 'alice');
    assert.equal(await rid('alice@other.test'), undefined);
    assert.equal(await rid('WEB$'), 'WEB$');
    assert.equal(await rid('nobody'), undefined);

    const svc = (...parts: string[]) => dir.findService(parts).then((p) => p?.account.samAccountName);
    assert.equal(await svc('krbtgt', 'EXAMPLE.TEST'), 'krbtgt');
    assert.equal(await svc('krbtgt', 'example.test'), 'krbtgt');
    assert.equal(await svc('krbtgt', 'OTHER.TEST'), undefined);
    assert.equal(await svc('HTTP', 'web.example.test'), 'WEB$');
    assert.equal(await svc('http', 'WEB.EXAMPLE.TEST'), 'WEB$');
    assert.equal(await svc('host', 'web'), 'WEB$');
    assert.equal(await svc('cifs', 'web.example.test'), 'WEB$', 'sPNMappings: cifs -> host');
    assert.equal(await svc('ldap', 'web.example.test'), undefined, 'ldap is not a HOST alias');
    assert.equal(await svc('web'), 'WEB$');
    assert.equal(await svc('web$'), 'WEB$');
    assert.equal(await svc('alice'), 'alice');
    assert.equal(await svc('alice.a@corp.example'), 'alice');
    assert.equal(await svc('HTTP', 'nowhere.example.test'), undefined);
    const k = await dir.getKrbtgt();
    assert.equal(k.account.rid, 502);
  } finally {
    await cleanup();
  }
});

test('deleteAccount removes the account, its SPNs and memberships; well-known accounts stay', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    const a = await dir.createUser('temp', { password: 'Secret123' });
    await dir.addSpn('temp', 'HTTP/temp.example.test');
    await dir.createGroup('G1');
    await dir.addMember('G1', 'temp');
    await dir.deleteAccount('temp');
    assert.equal(await dir.findAccount('temp'), undefined);
    assert.deepEqual((await dir.getGroup('G1')).members, []);
    assert.equal(await dir.findService(['HTTP', 'temp.example.test']), undefined);
    await dir.createUser('temp2', { password: 'Secret123' });
    await dir.addSpn('temp2', 'HTTP/temp.example.test');
    assert.notEqual((await dir.getAccount('temp2')).rid, a.rid, 'RIDs are never reused');
    for (const n of ['Administrator', 'krbtgt', 'Guest']) await assert.rejects(dir.deleteAccount(n), { code: 'CONSTRAINT' });
  } finally {
    await cleanup();
  }
});

test('a Directory over an unprovisioned store reports NOT_PROVISIONED', async () => {
  const { tempDir } = await import('./fixtures/tmp.js');
  const t = await tempDir();
  const dir = await Directory.openSqlite(t.path);
  try {
    await assert.rejects(dir.createUser('x', { password: 'Secret123' }), { code: 'NOT_PROVISIONED' });
    await assert.rejects(dir.getKrbtgt(), { code: 'NOT_PROVISIONED' });
  } finally {
    await dir.close();
    await t.cleanup();
  }
});
