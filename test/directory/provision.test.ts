// Provisioning: the domain row, well-known accounts, groups and memberships of a new domain.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Directory, RID, BUILTIN } from '../../src/directory/directory.js';
import { DirectoryError } from '../../src/directory/errors.js';
import { UF } from '../../src/directory/types.js';
import { DOMAIN_SID, provisioned, tempDir } from './fixtures/tmp.js';

test('the domain row: names, SID, functional level, default policy', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    const d = await dir.getDomain();
    assert.equal(d.realm, 'EXAMPLE.TEST');
    assert.equal(d.dnsName, 'example.test');
    assert.equal(d.netbiosName, 'EXAMPLE');
    assert.equal(d.sid, DOMAIN_SID);
    assert.equal(d.functionalLevel, 7);
    assert.equal(d.nextRid, 1100);
    assert.deepEqual(
      { ...d.policy },
      {
        maxPasswordAge: 42 * 86400,
        minPasswordAge: 86400,
        minPasswordLength: 7,
        passwordHistoryLength: 24,
        passwordComplexity: false,
        lockoutThreshold: 5,
        lockoutDuration: 1800,
        lockoutObservationWindow: 1800,
        maxTicketAge: 36000,
        maxRenewAge: 7 * 86400,
        maxServiceAge: 36000,
        maxClockSkew: 300,
        requireTgsBodyChecksum: false,
      },
    );
  } finally {
    await cleanup();
  }
});

test('a random domain SID when none is given; policy overrides; file modes 0700/0600', async () => {
  const t = await tempDir();
  const sub = join(t.path, 'data');
  const dir = await Directory.openSqlite(sub);
  try {
    const d = await dir.provision({ realm: 'corp.example', netbiosName: 'corp', policy: { lockoutThreshold: 0 } });
    assert.match(d.sid, /^S-1-5-21-\d+-\d+-\d+$/);
    assert.notEqual(d.sid, DOMAIN_SID);
    assert.equal(d.realm, 'CORP.EXAMPLE');
    assert.equal(d.netbiosName, 'CORP');
    assert.equal(d.policy.lockoutThreshold, 0);
    assert.equal(statSync(sub).mode & 0o777, 0o700);
    assert.equal(statSync(join(sub, 'authso.db')).mode & 0o777, 0o600);
    await assert.rejects(dir.provision({ realm: 'X.TEST', netbiosName: 'X' }), (e: DirectoryError) => e.code === 'ALREADY_PROVISIONED');
  } finally {
    await dir.close();
    await t.cleanup();
  }
});

test('bad provisioning input is refused', async () => {
  const t = await tempDir();
  const dir = await Directory.openSqlite(t.path);
  try {
    await assert.rejects(dir.provision({ realm: 'bad realm', netbiosName: 'X' }), { code: 'BAD_NAME' });
    await assert.rejects(dir.provision({ realm: 'X.TEST', netbiosName: 'WAY-TOO-LONG-NETBIOS' }), { code: 'BAD_NAME' });
    await assert.rejects(dir.provision({ realm: 'X.TEST', netbiosName: 'X', domainSid: 'S-1-5-32-544' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(dir.provision({ realm: 'X.TEST', netbiosName: 'X', adminPassword: 'short' }), { code: 'PASSWORD_POLICY' });
    await assert.rejects(
      dir.provision({ realm: 'X.TEST', netbiosName: 'X', policy: { lockoutObservationWindow: 3600, lockoutDuration: 60 } }),
      { code: 'INVALID_ARGUMENT' },
    );
    await assert.rejects(dir.getDomain(), { code: 'NOT_PROVISIONED' });
  } finally {
    await dir.close();
    await t.cleanup();
  }
});

test('well-known accounts: Administrator, Guest, krbtgt', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    const admin = await dir.getAccount('administrator');
    assert.equal(admin.rid, RID.ADMINISTRATOR);
    assert.equal(admin.sid, `${DOMAIN_SID}-500`);
    assert.equal(admin.samAccountName, 'Administrator');
    assert.equal(admin.userAccountControl, UF.NORMAL_ACCOUNT);
    assert.equal(admin.primaryGroupId, 513);
    assert.ok(admin.pwdLastSet instanceof Date);

    const guest = await dir.getAccount('Guest');
    assert.equal(guest.rid, 501);
    assert.ok(guest.userAccountControl & UF.ACCOUNTDISABLE);
    assert.equal(guest.primaryGroupId, 514);

    const krbtgt = await dir.getKrbtgt();
    assert.equal(krbtgt.account.rid, 502);
    assert.equal(krbtgt.account.kind, 'krbtgt');
    assert.ok(krbtgt.account.userAccountControl & UF.ACCOUNTDISABLE, 'krbtgt is disabled as on Windows');
    assert.equal(krbtgt.secrets.current.kvno, 1);
    assert.equal(krbtgt.secrets.current.salt, 'EXAMPLE.TESTkrbtgt');
    assert.deepEqual(
      krbtgt.secrets.current.keys.map((k) => [k.etype, k.value.length]),
      [
        [18, 32],
        [17, 16],
        [23, 16],
      ],
    );
    const accounts = await dir.listAccounts();
    assert.deepEqual(
      accounts.map((a) => a.rid),
      [500, 501, 502],
    );
  } finally {
    await cleanup();
  }
});

test('well-known groups with their RIDs and scopes; builtin groups with full SIDs', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    const expect: Array<[string, number, string]> = [
      ['Domain Admins', 512, 'global'],
      ['Domain Users', 513, 'global'],
      ['Domain Guests', 514, 'global'],
      ['Domain Computers', 515, 'global'],
      ['Domain Controllers', 516, 'global'],
      ['Schema Admins', 518, 'universal'],
      ['Enterprise Admins', 519, 'universal'],
      ['Group Policy Creator Owners', 520, 'global'],
      ['Read-only Domain Controllers', 521, 'global'],
      ['Denied RODC Password Replication Group', 572, 'domainLocal'],
    ];
    for (const [name, rid, scope] of expect) {
      const g = await dir.getGroup(name);
      assert.equal(g.rid, rid, name);
      assert.equal(g.sid, `${DOMAIN_SID}-${rid}`, name);
      assert.equal(g.scope, scope, name);
    }
    for (const [name, sid] of [
      ['Administrators', BUILTIN.ADMINISTRATORS],
      ['Users', BUILTIN.USERS],
      ['Guests', BUILTIN.GUESTS],
    ]) {
      const g = await dir.getGroup(name);
      assert.equal(g.sid, sid);
      assert.equal(g.scope, 'domainLocal');
    }
    const admins = await dir.getGroup('Domain Admins');
    assert.deepEqual(admins.members, [`${DOMAIN_SID}-500`]);
    assert.ok((await dir.getGroup('Administrators')).members.includes(`${DOMAIN_SID}-512`));
    assert.ok((await dir.getGroup('Users')).members.includes(`${DOMAIN_SID}-513`));
  } finally {
    await cleanup();
  }
});

test("Administrator's logon groups", async () => {
  const { dir, cleanup } = await provisioned();
  try {
    const m = await dir.membership(await dir.getAccount('Administrator'));
    assert.equal(m.domainGroupRids[0], 513, 'primary group first');
    for (const rid of [512, 513, 518, 519, 520]) assert.ok(m.domainGroupRids.includes(rid), `RID ${rid}`);
    assert.deepEqual(m.domainLocalGroupRids, [572]);
    assert.deepEqual(m.extraSids, [BUILTIN.ADMINISTRATORS, BUILTIN.USERS]);
  } finally {
    await cleanup();
  }
});
