import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACCESS_SYSTEM_SECURITY,
  ACE_TYPE,
  DS_CONTROL_ACCESS,
  DS_GENERIC_MAPPING,
  DS_READ_PROPERTY,
  DS_WRITE_PROPERTY,
  DtypError,
  FILE_ALL_ACCESS,
  FILE_GENERIC_EXECUTE,
  FILE_GENERIC_MAPPING,
  FILE_GENERIC_READ,
  FILE_READ_DATA,
  FILE_WRITE_DATA,
  GENERIC_ALL,
  GENERIC_READ,
  type GenericMapping,
  MAXIMUM_ALLOWED,
  READ_CONTROL,
  SE_GROUP,
  STATUS_ACCESS_DENIED,
  STATUS_PRIVILEGE_NOT_HELD,
  STATUS_SUCCESS,
  type SecurityDescriptor,
  type TokenSid,
  WRITE_DAC,
  WRITE_OWNER,
  accessCheck,
  accessCheckToken,
  logonTokenSids,
  makeAcl,
  parseSddl,
  sidWithRid,
} from '../../src/dtyp/index.js';
import type { AccessCheckOptions } from '../../src/dtyp/index.js';
import type { LogonToken } from '../../src/security/types.js';

const DOMAIN = 'S-1-5-21-1-2-3';
const ALICE = sidWithRid(DOMAIN, 1001);
const BOB = sidWithRid(DOMAIN, 1002);
const DU = sidWithRid(DOMAIN, 513);
const BA = 'S-1-5-32-544';
const BU = 'S-1-5-32-545';
const WD = 'S-1-1-0';
const AU = 'S-1-5-11';
const ENABLED = SE_GROUP.DEFAULT;
const DENY_ONLY = SE_GROUP.USE_FOR_DENY_ONLY;

const alice: TokenSid[] = [ALICE, DU, WD, AU, BU];
const bob: TokenSid[] = [BOB, DU, WD, AU, BU];
const FR = FILE_GENERIC_READ;
const FA = FILE_ALL_ACCESS;
const RC_WD = (READ_CONTROL | WRITE_DAC) >>> 0;

interface Case {
  name: string;
  sddl: string;
  who: TokenSid[];
  desired: number;
  allowed: boolean;
  /** Expected granted mask (default: desired when allowed, 0 when not). */
  granted?: number;
  mapping?: GenericMapping;
  opts?: AccessCheckOptions;
  status?: number;
}

const CASES: Case[] = [
  // ACE order: the first ACE that names a bit decides it.
  { name: 'allow then deny: the allow wins', sddl: 'D:(A;;FA;;;WD)(D;;FA;;;WD)', who: alice, desired: FR, allowed: true },
  { name: 'deny then allow: the deny wins', sddl: 'D:(D;;FA;;;WD)(A;;FA;;;WD)', who: alice, desired: FR, allowed: false },
  { name: 'a deny of other bits does not matter', sddl: 'D:(D;;0x2;;;WD)(A;;FA;;;WD)', who: alice, desired: FILE_READ_DATA, allowed: true },
  { name: 'a deny of FW also denies READ_CONTROL/SYNCHRONIZE, hence FR', sddl: 'D:(D;;FW;;;WD)(A;;FA;;;WD)', who: alice, desired: FR, allowed: false },
  { name: '... but not FILE_READ_DATA alone', sddl: 'D:(D;;FW;;;WD)(A;;FA;;;WD)', who: alice, desired: FILE_READ_DATA, allowed: true },
  { name: 'a deny for a SID not in the token is skipped', sddl: 'D:(D;;FA;;;BG)(A;;FA;;;WD)', who: alice, desired: FA, allowed: true },
  { name: 'rights add up over several ACEs and SIDs', sddl: 'D:(A;;0x1;;;WD)(A;;0x80;;;AU)(A;;0x120008;;;BU)', who: alice, desired: FR, allowed: true },
  { name: 'a right no ACE grants is denied', sddl: 'D:(A;;0x1;;;WD)', who: alice, desired: FR, allowed: false },
  { name: 'an ACE for the user SID', sddl: `D:(A;;FA;;;${ALICE})`, who: alice, desired: FA, allowed: true },
  { name: '... is not for another user', sddl: `D:(A;;FA;;;${ALICE})`, who: bob, desired: FILE_READ_DATA, allowed: false },
  { name: 'audit ACEs in a DACL grant nothing', sddl: 'D:(AU;SA;FA;;;WD)', who: alice, desired: FILE_READ_DATA, allowed: false },
  // Inheritance flags.
  { name: 'an inherit-only allow is skipped', sddl: 'D:(A;OICIIO;FA;;;WD)', who: alice, desired: FILE_READ_DATA, allowed: false },
  { name: 'an inherit-only deny is skipped', sddl: 'D:(D;OICIIO;FA;;;WD)(A;;FA;;;WD)', who: alice, desired: FA, allowed: true },
  { name: 'an inherited (ID) ACE applies', sddl: 'D:(A;OICIID;FA;;;WD)', who: alice, desired: FA, allowed: true },
  // Generic mapping, of the request and of ACE masks.
  { name: 'a GR ACE grants FILE_READ_DATA', sddl: 'D:(A;;GR;;;WD)', who: alice, desired: FILE_READ_DATA, allowed: true },
  { name: 'a GR ACE does not grant FILE_WRITE_DATA', sddl: 'D:(A;;GR;;;WD)', who: alice, desired: FILE_WRITE_DATA, allowed: false },
  { name: 'GENERIC_READ asks for FILE_GENERIC_READ', sddl: 'D:(A;;FR;;;WD)', who: alice, desired: GENERIC_READ, allowed: true, granted: FR },
  { name: 'GENERIC_ALL asks for FILE_ALL_ACCESS', sddl: 'D:(A;;FR;;;WD)', who: alice, desired: GENERIC_ALL, allowed: false },
  { name: 'a GA ACE grants GENERIC_ALL', sddl: 'D:(A;;GA;;;WD)', who: alice, desired: GENERIC_ALL, allowed: true, granted: FA },
  { name: 'GXGR ACE: read and execute', sddl: 'D:(A;;GXGR;;;BU)', who: alice, desired: FR | FILE_GENERIC_EXECUTE, allowed: true },
  { name: 'DS mapping: GR grants read property', sddl: 'D:(A;;GR;;;AU)', who: alice, desired: DS_READ_PROPERTY, allowed: true, mapping: DS_GENERIC_MAPPING },
  { name: 'DS mapping: GR does not grant write property', sddl: 'D:(A;;GR;;;AU)', who: alice, desired: DS_WRITE_PROPERTY, allowed: false, mapping: DS_GENERIC_MAPPING },
  // The owner.
  { name: 'the owner gets READ_CONTROL and WRITE_DAC from an empty DACL', sddl: `O:${ALICE}D:`, who: alice, desired: RC_WD, allowed: true },
  { name: '... but nothing else', sddl: `O:${ALICE}D:`, who: alice, desired: FILE_READ_DATA, allowed: false },
  { name: '... not WRITE_OWNER', sddl: `O:${ALICE}D:`, who: alice, desired: WRITE_OWNER, allowed: false },
  { name: 'a non-owner gets nothing from an empty DACL', sddl: `O:${ALICE}D:`, who: bob, desired: READ_CONTROL, allowed: false },
  { name: 'owner rights combine with ACE rights', sddl: `O:${ALICE}D:(A;;0x1;;;WD)`, who: alice, desired: FILE_READ_DATA | READ_CONTROL, allowed: true },
  { name: 'a deny ACE cannot take the owner rights away', sddl: `O:${ALICE}D:(D;;RCWD;;;WD)`, who: alice, desired: RC_WD, allowed: true },
  { name: 'an owner that is a group of the caller', sddl: 'O:BUD:', who: alice, desired: READ_CONTROL, allowed: true },
  { name: 'an OWNER RIGHTS ACE replaces the implied rights', sddl: `O:${ALICE}D:(A;;FR;;;OW)`, who: alice, desired: WRITE_DAC, allowed: false },
  { name: '... and grants what it says to the owner', sddl: `O:${ALICE}D:(A;;FR;;;OW)`, who: alice, desired: FR, allowed: true },
  { name: '... and nothing to others', sddl: `O:${ALICE}D:(A;;FR;;;OW)`, who: bob, desired: FILE_READ_DATA, allowed: false },
  { name: 'an OWNER RIGHTS deny', sddl: `O:${ALICE}D:(D;;WD;;;OW)(A;;FA;;;WD)`, who: alice, desired: WRITE_DAC, allowed: false },
  { name: '... leaves the rest to the DACL', sddl: `O:${ALICE}D:(D;;WD;;;OW)(A;;FA;;;WD)`, who: alice, desired: READ_CONTROL, allowed: true },
  { name: 'an inherit-only OWNER RIGHTS ACE leaves the implied rights', sddl: `O:${ALICE}D:(A;OICIIO;FR;;;OW)`, who: alice, desired: WRITE_DAC, allowed: true },
  // NULL, absent and empty DACLs.
  { name: 'a NULL DACL grants everything', sddl: 'D:NO_ACCESS_CONTROL', who: alice, desired: FA, allowed: true },
  { name: 'a NULL DACL grants GENERIC_ALL as mapped', sddl: 'D:NO_ACCESS_CONTROL', who: alice, desired: GENERIC_ALL, allowed: true, granted: FA },
  { name: 'no DACL grants everything', sddl: 'O:BAG:SY', who: alice, desired: FA | WRITE_OWNER, allowed: true },
  { name: 'an empty DACL grants nothing', sddl: 'D:', who: alice, desired: FILE_READ_DATA, allowed: false },
  { name: 'an empty protected DACL grants nothing', sddl: 'O:BAD:P', who: alice, desired: READ_CONTROL, allowed: false },
  // MAXIMUM_ALLOWED.
  { name: 'MAXIMUM_ALLOWED: all but the denied bit', sddl: 'D:(D;;0x2;;;WD)(A;;FA;;;WD)', who: alice, desired: MAXIMUM_ALLOWED, allowed: true, granted: FA & ~0x2 },
  { name: 'MAXIMUM_ALLOWED: the union of the allows', sddl: 'D:(A;;FR;;;AU)(A;;FX;;;BU)(A;;FA;;;BA)', who: alice, desired: MAXIMUM_ALLOWED, allowed: true, granted: 0x1200a9 },
  { name: 'MAXIMUM_ALLOWED: a later deny takes nothing back', sddl: 'D:(A;;FA;;;WD)(D;;FA;;;WD)', who: alice, desired: MAXIMUM_ALLOWED, allowed: true, granted: FA },
  { name: 'MAXIMUM_ALLOWED: an earlier deny does', sddl: 'D:(D;;FW;;;WD)(A;;FA;;;WD)', who: alice, desired: MAXIMUM_ALLOWED, allowed: true, granted: FA & ~0x120116 },
  { name: 'MAXIMUM_ALLOWED with nothing granted is denied', sddl: 'D:(A;;FA;;;BA)', who: alice, desired: MAXIMUM_ALLOWED, allowed: false },
  { name: 'MAXIMUM_ALLOWED plus a denied right is denied', sddl: 'D:(D;;0x2;;;WD)(A;;FA;;;WD)', who: alice, desired: MAXIMUM_ALLOWED | FILE_WRITE_DATA, allowed: false },
  { name: 'MAXIMUM_ALLOWED plus a granted right', sddl: 'D:(D;;0x2;;;WD)(A;;FA;;;WD)', who: alice, desired: MAXIMUM_ALLOWED | FILE_READ_DATA, allowed: true, granted: FA & ~0x2 },
  { name: 'MAXIMUM_ALLOWED on a NULL DACL', sddl: 'D:NO_ACCESS_CONTROL', who: alice, desired: MAXIMUM_ALLOWED, allowed: true, granted: FA },
  { name: 'MAXIMUM_ALLOWED without a DACL', sddl: 'O:BA', who: alice, desired: MAXIMUM_ALLOWED, allowed: true, granted: FA },
  { name: 'MAXIMUM_ALLOWED by the owner of an empty DACL', sddl: `O:${ALICE}D:`, who: alice, desired: MAXIMUM_ALLOWED, allowed: true, granted: RC_WD },
  { name: 'MAXIMUM_ALLOWED with an OWNER RIGHTS ACE', sddl: `O:${ALICE}D:(A;;FR;;;OW)`, who: alice, desired: MAXIMUM_ALLOWED, allowed: true, granted: FR },
  { name: 'MAXIMUM_ALLOWED with an inherit-only ACE', sddl: 'D:(A;OICIIO;FA;;;WD)(A;;FR;;;WD)', who: alice, desired: MAXIMUM_ALLOWED, allowed: true, granted: FR },
  // Privileges.
  { name: 'ACCESS_SYSTEM_SECURITY without SeSecurityPrivilege', sddl: 'D:(A;;FA;;;WD)', who: alice, desired: ACCESS_SYSTEM_SECURITY, allowed: false, status: STATUS_PRIVILEGE_NOT_HELD },
  { name: '... even with a NULL DACL', sddl: 'D:NO_ACCESS_CONTROL', who: alice, desired: ACCESS_SYSTEM_SECURITY | FR, allowed: false, status: STATUS_PRIVILEGE_NOT_HELD },
  { name: '... even when an ACE names the bit', sddl: 'D:(A;;0x1000000;;;WD)', who: alice, desired: ACCESS_SYSTEM_SECURITY, allowed: false, status: STATUS_PRIVILEGE_NOT_HELD },
  { name: 'ACCESS_SYSTEM_SECURITY with SeSecurityPrivilege', sddl: 'D:(A;;FR;;;WD)', who: alice, desired: ACCESS_SYSTEM_SECURITY | FR, allowed: true, opts: { privileges: ['SeSecurityPrivilege'] } },
  { name: '... which does not grant what the DACL does not', sddl: 'D:', who: alice, desired: ACCESS_SYSTEM_SECURITY | FR, allowed: false, opts: { privileges: ['SeSecurityPrivilege'] } },
  { name: 'MAXIMUM_ALLOWED never includes ACCESS_SYSTEM_SECURITY', sddl: 'D:(A;;FA;;;WD)', who: alice, desired: MAXIMUM_ALLOWED, allowed: true, granted: FA, opts: { privileges: ['SeSecurityPrivilege'] } },
  { name: 'SeTakeOwnershipPrivilege grants WRITE_OWNER', sddl: 'D:', who: alice, desired: WRITE_OWNER, allowed: true, opts: { privileges: ['SeTakeOwnershipPrivilege'] } },
  { name: '... also under MAXIMUM_ALLOWED', sddl: 'D:', who: alice, desired: MAXIMUM_ALLOWED, allowed: true, granted: WRITE_OWNER, opts: { privileges: ['SeTakeOwnershipPrivilege'] } },
  // Groups by their attributes.
  { name: 'an enabled group matches an allow', sddl: 'D:(A;;FA;;;BA)', who: [ALICE, { sid: BA, attributes: ENABLED }], desired: FA, allowed: true },
  { name: 'a deny-only group does not match an allow', sddl: 'D:(A;;FA;;;BA)', who: [ALICE, { sid: BA, attributes: DENY_ONLY }], desired: FILE_READ_DATA, allowed: false },
  { name: 'a deny-only group matches a deny', sddl: 'D:(D;;FA;;;BA)(A;;FA;;;WD)', who: [ALICE, WD, { sid: BA, attributes: DENY_ONLY }], desired: FILE_READ_DATA, allowed: false },
  { name: 'deny-only wins over ENABLED', sddl: 'D:(A;;FA;;;BA)', who: [ALICE, { sid: BA, attributes: DENY_ONLY | ENABLED }], desired: FILE_READ_DATA, allowed: false },
  { name: 'a disabled group matches no allow', sddl: 'D:(A;;FA;;;BA)', who: [ALICE, { sid: BA, attributes: SE_GROUP.MANDATORY }], desired: FILE_READ_DATA, allowed: false },
  { name: 'a disabled group matches no deny', sddl: 'D:(D;;FA;;;BA)(A;;FA;;;WD)', who: [ALICE, WD, { sid: BA, attributes: 0 }], desired: FA, allowed: true },
  { name: 'a deny-only owner group gets no owner rights', sddl: 'O:BAD:', who: [ALICE, { sid: BA, attributes: DENY_ONLY }], desired: READ_CONTROL, allowed: false },
  // PRINCIPAL SELF and object ACEs without an object tree.
  { name: 'PRINCIPAL SELF stands for principalSelfSid', sddl: 'D:(A;;RP;;;PS)', who: alice, desired: DS_READ_PROPERTY, allowed: true, opts: { principalSelfSid: ALICE } },
  { name: '... and only for it', sddl: 'D:(A;;RP;;;PS)', who: bob, desired: DS_READ_PROPERTY, allowed: false, opts: { principalSelfSid: ALICE } },
  { name: '... and is nobody without one', sddl: 'D:(A;;RP;;;PS)', who: alice, desired: DS_READ_PROPERTY, allowed: false },
  { name: 'object ACEs are ignored without an object type list', sddl: 'D:(OA;;RP;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)', who: alice, desired: DS_READ_PROPERTY, allowed: false },
  { name: 'object deny ACEs too', sddl: 'D:(OD;;RP;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)(A;;RP;;;WD)', who: alice, desired: DS_READ_PROPERTY, allowed: true },
  // Requests.
  { name: 'asking for nothing succeeds (MS-DTYP 2.5.3.2: nothing remains)', sddl: 'D:', who: alice, desired: 0, allowed: true },
];

test('access check table', async (t) => {
  for (const c of CASES) {
    await t.test(c.name, () => {
      const sd = parseSddl(c.sddl);
      const r = accessCheck(sd, c.who, c.desired, c.mapping ?? FILE_GENERIC_MAPPING, c.opts);
      const granted = c.granted ?? (c.allowed ? c.desired : 0);
      assert.deepEqual(
        { allowed: r.allowed, granted: r.granted.toString(16), status: r.status },
        { allowed: c.allowed, granted: granted.toString(16), status: c.status ?? (c.allowed ? STATUS_SUCCESS : STATUS_ACCESS_DENIED) },
      );
    });
  }
});

test('callback (conditional) ACEs: an allow never applies, a deny always does', () => {
  const cond = Buffer.from('artx\x00\x00\x00\x00');
  const sd = (aces: SecurityDescriptor['dacl']): SecurityDescriptor => ({ control: 0, dacl: aces });
  const allow = makeAcl([{ type: ACE_TYPE.ACCESS_ALLOWED_CALLBACK, flags: 0, mask: FA, sid: WD, applicationData: cond }]);
  assert.equal(accessCheck(sd(allow), alice, FILE_READ_DATA, FILE_GENERIC_MAPPING).allowed, false);
  const deny = makeAcl([
    { type: ACE_TYPE.ACCESS_DENIED_CALLBACK, flags: 0, mask: FILE_READ_DATA, sid: WD, applicationData: cond },
    { type: ACE_TYPE.ACCESS_ALLOWED, flags: 0, mask: FA, sid: WD },
  ]);
  assert.equal(accessCheck(sd(deny), alice, FILE_READ_DATA, FILE_GENERIC_MAPPING).allowed, false);
  assert.equal(accessCheck(sd(deny), alice, FILE_WRITE_DATA, FILE_GENERIC_MAPPING).allowed, true);
});

// An Active Directory style object tree (MS-DTYP 2.5.3.2 Object Tree): the user object, two
// property sets, their properties.
const USER = 'bf967aba-0de6-11d0-a285-00aa003049e2';
const PERSONAL = '77b5b886-944a-11d1-aebd-0000f80367c1'; // property set
const PHONE = 'bf967a49-0de6-11d0-a285-00aa003049e2';
const STREET = 'bf967a3a-0de6-11d0-a285-00aa003049e2';
const GENERAL = '59ba2f42-79a2-11d0-9020-00c04fc2d3cf'; // property set
const DISPLAY = 'bf967953-0de6-11d0-a285-00aa003049e2';
const TREE = [
  { level: 0, guid: USER },
  { level: 1, guid: PERSONAL },
  { level: 2, guid: PHONE },
  { level: 2, guid: STREET },
  { level: 1, guid: GENERAL },
  { level: 2, guid: DISPLAY },
];

test('object ACEs against an object type list', () => {
  const check = (sddl: string, desired = DS_READ_PROPERTY) => {
    const r = accessCheck(parseSddl(sddl), alice, desired, DS_GENERIC_MAPPING, { objectTypes: TREE });
    return { root: r.allowed, nodes: (r.objectTypes ?? []).map((n) => (n.allowed ? 1 : 0)).join('') };
  };
  // A grant on a property set covers its properties, not the object.
  assert.deepEqual(check(`D:(OA;;RP;${PERSONAL};;WD)`), { root: false, nodes: '011100' });
  // Grants on every child of a node grant the node, up to the root.
  assert.deepEqual(check(`D:(OA;;RP;${PERSONAL};;WD)(OA;;RP;${DISPLAY};;AU)`), { root: true, nodes: '111111' });
  assert.deepEqual(check(`D:(OA;;RP;${PHONE};;WD)(OA;;RP;${STREET};;WD)`), { root: false, nodes: '011100' });
  // A deny on one property denies it, its property set and the object; siblings are unaffected.
  assert.deepEqual(check(`D:(OD;;RP;${PHONE};;WD)(A;;RP;;;WD)`), { root: false, nodes: '000111' });
  // ... unless something earlier already granted them.
  assert.deepEqual(check(`D:(OA;;RP;${PERSONAL};;WD)(OD;;RP;${PHONE};;WD)(A;;RP;;;WD)`), { root: true, nodes: '111111' });
  // An object ACE without ObjectType applies to the whole tree; one with a GUID not in the tree to nothing.
  assert.deepEqual(check(`D:(OA;;RP;;${USER};WD)`), { root: true, nodes: '111111' });
  assert.deepEqual(check('D:(OA;;RP;00299570-246d-11d0-a768-00aa006e0529;;WD)'), { root: false, nodes: '000000' });
  // Control access rights (extended rights) by GUID on the object.
  assert.deepEqual(check(`D:(OA;;CR;${USER};;WD)`, DS_CONTROL_ACCESS), { root: true, nodes: '111111' });
  // Plain ACEs apply to the whole tree; MAXIMUM_ALLOWED per node.
  const r = accessCheck(parseSddl(`D:(OD;;WP;${STREET};;WD)(A;;RPWP;;;WD)`), alice, MAXIMUM_ALLOWED, DS_GENERIC_MAPPING, { objectTypes: TREE });
  assert.deepEqual(
    r.objectTypes?.map((n) => n.granted),
    [0x10, 0x10, 0x30, 0x10, 0x30, 0x30],
  );
  // Malformed lists are the caller's bug.
  const bad: [unknown[], RegExp][] = [
    [[], /empty/],
    [[{ level: 1, guid: USER }], /start with the level-0/],
    [[{ level: 0, guid: USER }, { level: 0, guid: PHONE }], /more than one level-0/],
    [[{ level: 0, guid: USER }, { level: 2, guid: PHONE }], /skips a level/],
    [[{ level: 0, guid: USER }, { level: 1, guid: 'nope' }], /not a GUID/],
    [[{ level: 5, guid: USER }], /bad level/],
  ];
  for (const [list, re] of bad) {
    assert.throws(
      () => accessCheck(parseSddl('D:'), alice, 1, DS_GENERIC_MAPPING, { objectTypes: list as typeof TREE }),
      (e: unknown) => e instanceof DtypError && re.test(e.message),
      re.source,
    );
  }
});

test('accessCheck refuses a desired mask out of range', () => {
  for (const bad of [-1, 2 ** 32, 0.5]) {
    assert.throws(() => accessCheck(parseSddl('D:'), alice, bad, FILE_GENERIC_MAPPING), DtypError);
  }
});

function token(groups: { sid: string; attributes: number }[], privileges: string[] = ['SeChangeNotifyPrivilege']): LogonToken {
  return {
    userSid: ALICE,
    primaryGroupSid: DU,
    groups,
    privileges,
    logonType: 'network',
    authPackage: 'Kerberos',
    userName: 'alice',
    domainName: 'EXAMPLE',
    logonServer: 'DC1',
    profile: { fullName: '', homeDirectory: '', homeDrive: '', logonScript: '', profilePath: '' },
    userAccountControl: 0x200,
  };
}

test('accessCheckToken: enabled groups, deny-only groups and privileges of a LogonToken', () => {
  const groups = [
    { sid: DU, attributes: ENABLED },
    { sid: WD, attributes: ENABLED },
    { sid: AU, attributes: ENABLED },
    { sid: BA, attributes: DENY_ONLY },
    { sid: BU, attributes: SE_GROUP.MANDATORY }, // not enabled
  ];
  const t = token(groups);
  assert.deepEqual(logonTokenSids(t), [ALICE, DU, WD, AU, { sid: BA, attributes: DENY_ONLY }]);
  const check = (sddl: string, desired: number, tok = t) => accessCheckToken(parseSddl(sddl, { domainSid: DOMAIN }), tok, desired, FILE_GENERIC_MAPPING).allowed;
  assert.equal(check('D:(A;;FA;;;DU)', FA), true);
  assert.equal(check(`D:(A;;FA;;;${ALICE})`, FA), true);
  assert.equal(check('D:(A;;FA;;;BA)', FILE_READ_DATA), false);
  assert.equal(check('D:(D;;FA;;;BA)(A;;FA;;;WD)', FILE_READ_DATA), false);
  assert.equal(check('D:(A;;FA;;;BU)', FILE_READ_DATA), false);
  assert.equal(check('D:(D;;FA;;;BU)(A;;FA;;;AU)', FA), true);
  assert.equal(check('D:(A;;FA;;;WD)', ACCESS_SYSTEM_SECURITY), false);
  assert.equal(check('D:(A;;FA;;;WD)', ACCESS_SYSTEM_SECURITY, token(groups, ['SeSecurityPrivilege'])), true);
  assert.equal(check(`O:${ALICE}D:`, RC_WD), true);
  const r = accessCheckToken(parseSddl('D:(A;;RP;;;PS)'), t, DS_READ_PROPERTY, DS_GENERIC_MAPPING, { principalSelfSid: ALICE });
  assert.equal(r.allowed, true);
});

test('the access check is fast on a long DACL', () => {
  const aces = Array.from({ length: 1000 }, (_, i) => `(A;;0x1;;;${sidWithRid(DOMAIN, 5000 + i)})`).join('');
  const sd = parseSddl(`D:${aces}(A;;FA;;;WD)`);
  const started = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) assert.equal(accessCheck(sd, alice, FR, FILE_GENERIC_MAPPING).allowed, true);
  assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 2000);
});
