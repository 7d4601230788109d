// Account restrictions (each NTSTATUS) and the lockout state machine (threshold, window, duration).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  STATUS_ACCOUNT_DISABLED,
  STATUS_ACCOUNT_EXPIRED,
  STATUS_ACCOUNT_LOCKED_OUT,
  STATUS_INVALID_LOGON_HOURS,
  STATUS_PASSWORD_EXPIRED,
  STATUS_PASSWORD_MUST_CHANGE,
  STATUS_SUCCESS,
  ntStatusName,
} from '../../src/directory/ntstatus.js';
import { accountRestrictions, defaultPolicy, logonHoursAllow } from '../../src/directory/policy.js';
import { UF, type Account } from '../../src/directory/types.js';
import { provisioned } from './fixtures/tmp.js';

const NOW = new Date('2025-03-05T10:30:00Z'); // a Wednesday
const DAY = 86400_000;

function user(over: Partial<Account> = {}): Account {
  return {
    rid: 1100,
    sid: 'S-1-5-21-1-2-3-1100',
    kind: 'user',
    samAccountName: 'alice',
    servicePrincipalNames: [],
    displayName: '',
    userAccountControl: UF.NORMAL_ACCOUNT,
    primaryGroupId: 513,
    pwdLastSet: new Date(NOW.getTime() - DAY),
    badPwdCount: 0,
    logonCount: 0,
    homeDirectory: '',
    homeDrive: '',
    scriptPath: '',
    profilePath: '',
    altSecurityIdentities: [],
    ...over,
  };
}

function hoursExcept(hour: number): Buffer {
  const b = Buffer.alloc(21, 0xff);
  b[hour >> 3] &= ~(1 << (hour & 7));
  return b;
}

test('restrictions table', () => {
  const p = defaultPolicy();
  const wedHour = 3 * 24 + 10;
  const rows: Array<[string, Account, number, { ignorePasswordExpiry?: boolean }?]> = [
    ['normal user', user(), STATUS_SUCCESS],
    ['disabled', user({ userAccountControl: UF.NORMAL_ACCOUNT | UF.ACCOUNTDISABLE }), STATUS_ACCOUNT_DISABLED],
    ['disabled beats locked', user({ userAccountControl: UF.NORMAL_ACCOUNT | UF.ACCOUNTDISABLE, lockoutTime: NOW }), STATUS_ACCOUNT_DISABLED],
    ['locked (within duration)', user({ lockoutTime: new Date(NOW.getTime() - 60_000) }), STATUS_ACCOUNT_LOCKED_OUT],
    ['lock expired = unlocked', user({ lockoutTime: new Date(NOW.getTime() - 31 * 60_000) }), STATUS_SUCCESS],
    ['expired account', user({ accountExpires: new Date(NOW.getTime() - 1000) }), STATUS_ACCOUNT_EXPIRED],
    ['expires later', user({ accountExpires: new Date(NOW.getTime() + DAY) }), STATUS_SUCCESS],
    ['outside logon hours', user({ logonHours: hoursExcept(wedHour) }), STATUS_INVALID_LOGON_HOURS],
    ['inside logon hours', user({ logonHours: hoursExcept(wedHour + 1) }), STATUS_SUCCESS],
    ['malformed logon hours fail closed', user({ logonHours: Buffer.alloc(3, 0xff) }), STATUS_INVALID_LOGON_HOURS],
    ['must change (pwdLastSet 0)', user({ pwdLastSet: undefined }), STATUS_PASSWORD_MUST_CHANGE],
    ['must change, ignored', user({ pwdLastSet: undefined }), STATUS_SUCCESS, { ignorePasswordExpiry: true }],
    ['must change but DONT_EXPIRE_PASSWD', user({ pwdLastSet: undefined, userAccountControl: UF.NORMAL_ACCOUNT | UF.DONT_EXPIRE_PASSWD }), STATUS_SUCCESS],
    ['password older than maxPwdAge', user({ pwdLastSet: new Date(NOW.getTime() - 43 * DAY) }), STATUS_PASSWORD_EXPIRED],
    ['expired, ignored', user({ pwdLastSet: new Date(NOW.getTime() - 43 * DAY) }), STATUS_SUCCESS, { ignorePasswordExpiry: true }],
    ['expired but DONT_EXPIRE_PASSWD', user({ pwdLastSet: new Date(NOW.getTime() - 400 * DAY), userAccountControl: UF.NORMAL_ACCOUNT | UF.DONT_EXPIRE_PASSWD }), STATUS_SUCCESS],
    ['machine passwords do not expire', user({ kind: 'computer', userAccountControl: UF.WORKSTATION_TRUST_ACCOUNT, pwdLastSet: new Date(0) }), STATUS_SUCCESS],
    ['machine with pwdLastSet 0 is not forced', user({ kind: 'computer', userAccountControl: UF.WORKSTATION_TRUST_ACCOUNT, pwdLastSet: undefined }), STATUS_SUCCESS],
    ['krbtgt keys do not expire', user({ kind: 'krbtgt', pwdLastSet: new Date(0) }), STATUS_SUCCESS],
  ];
  for (const [name, account, expected, opts] of rows) {
    assert.equal(ntStatusName(accountRestrictions(account, p, NOW, opts)), ntStatusName(expected), name);
  }
  assert.equal(accountRestrictions(user({ pwdLastSet: new Date(0) }), { ...p, maxPasswordAge: 0 }, NOW), STATUS_SUCCESS, 'maxPwdAge 0 = never');
  assert.equal(
    accountRestrictions(user({ lockoutTime: new Date(NOW.getTime() - 365 * DAY) }), { ...p, lockoutDuration: 0 }, NOW),
    STATUS_ACCOUNT_LOCKED_OUT,
    'duration 0 = until an admin unlocks',
  );
  assert.equal(STATUS_ACCOUNT_DISABLED, 0xc0000072);
  assert.equal(STATUS_ACCOUNT_LOCKED_OUT, 0xc0000234);
  assert.equal(STATUS_ACCOUNT_EXPIRED, 0xc0000193);
  assert.equal(STATUS_PASSWORD_MUST_CHANGE, 0xc0000224);
  assert.equal(STATUS_PASSWORD_EXPIRED, 0xc0000071);
  assert.equal(STATUS_INVALID_LOGON_HOURS, 0xc000006f);
});

test('logon hours bit order: byte 0 bit 0 is Sunday 00:00-01:00 UTC', () => {
  const only = (hour: number) => {
    const b = Buffer.alloc(21);
    b[hour >> 3] |= 1 << (hour & 7);
    return b;
  };
  assert.ok(logonHoursAllow(only(0), new Date('2025-03-02T00:59:00Z'))); // Sunday
  assert.ok(!logonHoursAllow(only(0), new Date('2025-03-02T01:00:00Z')));
  assert.ok(logonHoursAllow(only(167), new Date('2025-03-08T23:30:00Z'))); // Saturday 23:00
  assert.ok(logonHoursAllow(undefined, NOW));
});

test('Directory.checkAccountRestrictions uses the domain policy', async () => {
  const { dir, cleanup } = await provisioned({ maxPasswordAge: 0 });
  try {
    const a = await dir.createUser('alice', { password: 'Secret123' });
    assert.equal(dir.checkAccountRestrictions({ ...a, pwdLastSet: new Date(0) }, new Date()), STATUS_SUCCESS);
    await dir.setPolicy({ maxPasswordAge: 86400 });
    assert.equal(dir.checkAccountRestrictions({ ...a, pwdLastSet: new Date(0) }, new Date()), STATUS_PASSWORD_EXPIRED);
    const d = await dir.disableAccount('alice');
    assert.equal(dir.checkAccountRestrictions(d, new Date()), STATUS_ACCOUNT_DISABLED);
    const must = await dir.createUser('bob', { password: 'Secret123', mustChangePassword: true });
    assert.equal(dir.checkAccountRestrictions(must, new Date()), STATUS_PASSWORD_MUST_CHANGE);
  } finally {
    await cleanup();
  }
});

test('lockout: threshold, observation window, duration, unlock, success resets', async () => {
  const { dir, cleanup } = await provisioned({ lockoutThreshold: 3, lockoutObservationWindow: 600, lockoutDuration: 1800 });
  try {
    const { rid } = await dir.createUser('alice', { password: 'Secret123' });
    const t0 = new Date('2025-03-05T10:00:00Z');
    const at = (sec: number) => new Date(t0.getTime() + sec * 1000);
    assert.deepEqual(await dir.recordBadPassword(rid, at(0)), { locked: false, badPwdCount: 1 });
    assert.deepEqual(await dir.recordBadPassword(rid, at(60)), { locked: false, badPwdCount: 2 });
    // Outside the 10-minute window since the last bad password: the count restarts.
    assert.deepEqual(await dir.recordBadPassword(rid, at(60 + 601)), { locked: false, badPwdCount: 1 });
    assert.deepEqual(await dir.recordBadPassword(rid, at(700)), { locked: false, badPwdCount: 2 });
    assert.deepEqual(await dir.recordBadPassword(rid, at(710)), { locked: true, badPwdCount: 3 });
    let a = await dir.getAccount('alice');
    assert.deepEqual(a.lockoutTime, at(710));
    assert.deepEqual(a.badPasswordTime, at(710));
    assert.equal(dir.checkAccountRestrictions(a, at(720)), STATUS_ACCOUNT_LOCKED_OUT);
    // While locked, further failures change nothing (MS-SAMR 3.1.5.14.6).
    assert.deepEqual(await dir.recordBadPassword(rid, at(800)), { locked: true, badPwdCount: 3 });
    // A success while locked does not unlock.
    await dir.recordSuccessfulLogon(rid, at(900));
    a = await dir.getAccount('alice');
    assert.equal(dir.checkAccountRestrictions(a, at(900)), STATUS_ACCOUNT_LOCKED_OUT);
    // After the duration the lock has expired: unlocked; the next failure starts a new count.
    assert.equal(dir.checkAccountRestrictions(a, at(710 + 1800)), STATUS_SUCCESS);
    assert.deepEqual(await dir.recordBadPassword(rid, at(710 + 1801)), { locked: false, badPwdCount: 1 });
    a = await dir.getAccount('alice');
    assert.equal(a.lockoutTime, undefined);
    // A successful logon resets the count.
    await dir.recordSuccessfulLogon(rid, at(2600));
    a = await dir.getAccount('alice');
    assert.equal(a.badPwdCount, 0);
    // Admin unlock.
    for (let i = 0; i < 3; i++) await dir.recordBadPassword(rid, at(3000 + i));
    assert.equal(dir.checkAccountRestrictions(await dir.getAccount('alice'), at(3003)), STATUS_ACCOUNT_LOCKED_OUT);
    const u = await dir.unlockAccount('alice');
    assert.equal(u.lockoutTime, undefined);
    assert.equal(u.badPwdCount, 0);
    assert.equal(dir.checkAccountRestrictions(u, at(3004)), STATUS_SUCCESS);
  } finally {
    await cleanup();
  }
});

test('lockout threshold 0 never locks; duration 0 locks until unlocked', async () => {
  const { dir, cleanup } = await provisioned({ lockoutThreshold: 0 });
  try {
    const { rid } = await dir.createUser('alice', { password: 'Secret123' });
    const now = new Date();
    let r = { locked: false, badPwdCount: 0 };
    for (let i = 0; i < 20; i++) r = await dir.recordBadPassword(rid, now);
    assert.deepEqual(r, { locked: false, badPwdCount: 20 });
    await dir.setPolicy({ lockoutThreshold: 2, lockoutDuration: 0, lockoutObservationWindow: 60 });
    await dir.unlockAccount('alice');
    await dir.recordBadPassword(rid, now);
    assert.equal((await dir.recordBadPassword(rid, now)).locked, true);
    const later = new Date(now.getTime() + 100 * DAY);
    assert.equal(dir.checkAccountRestrictions(await dir.getAccount('alice'), later), STATUS_ACCOUNT_LOCKED_OUT);
    assert.equal((await dir.recordBadPassword(rid, later)).locked, true);
  } finally {
    await cleanup();
  }
});

test('successful logons: lastLogon / logonCount batched in memory, flushed in one transaction', async () => {
  const { dir, cleanup } = await provisioned();
  try {
    const { rid } = await dir.createUser('alice', { password: 'Secret123' });
    const t = new Date('2025-03-05T10:00:00Z');
    for (let i = 0; i < 50; i++) await dir.recordSuccessfulLogon(rid, new Date(t.getTime() + i * 1000), { badPwdCount: 0 });
    let a = await dir.getAccount('alice');
    assert.equal(a.logonCount, 0, 'not written yet');
    await dir.flushLogonStats();
    a = await dir.getAccount('alice');
    assert.equal(a.logonCount, 50);
    assert.deepEqual(a.lastLogon, new Date(t.getTime() + 49_000));
    await dir.recordSuccessfulLogon(rid, t); // older than lastLogon: count only
    await dir.flushLogonStats();
    a = await dir.getAccount('alice');
    assert.equal(a.logonCount, 51);
    assert.deepEqual(a.lastLogon, new Date(t.getTime() + 49_000));
  } finally {
    await cleanup();
  }
});
