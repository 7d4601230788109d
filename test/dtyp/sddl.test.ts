import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACE_FLAG,
  ACE_TYPE,
  DtypError,
  FILE_ALL_ACCESS,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_READ,
  GENERIC_WRITE,
  SDDL_DOMAIN_RID_ALIASES,
  SDDL_RIGHTS,
  SDDL_ROOT_DOMAIN_RID_ALIASES,
  SDDL_SID_ALIASES,
  SE_DACL_AUTO_INHERITED,
  SE_DACL_AUTO_INHERIT_REQ,
  SE_DACL_PRESENT,
  SE_DACL_PROTECTED,
  SE_SACL_AUTO_INHERITED,
  SE_SACL_PRESENT,
  SE_SACL_PROTECTED,
  SE_SELF_RELATIVE,
  WELL_KNOWN_SID,
  decodeSecurityDescriptor,
  encodeSecurityDescriptor,
  formatSddl,
  formatSddlAce,
  formatSddlRights,
  formatSddlSid,
  parseSddl,
  parseSddlAce,
  parseSddlRights,
  parseSddlSid,
  sidWithRid,
} from '../../src/dtyp/index.js';

const DOMAIN = 'S-1-5-21-1004336348-1177238915-682003330';
const ROOT = 'S-1-5-21-1-2-3';
const opts = { domainSid: DOMAIN };

// SDDL as Windows prints it (ConvertSecurityDescriptorToStringSecurityDescriptor, icacls,
// sc sdshow, Get-Acl on AD objects): SDDL -> binary -> SDDL gives the same string back.
const WINDOWS_SDDL = [
  'O:BAG:SYD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x1200a9;;;BU)',
  'D:(D;;GA;;;AN)(A;;GA;;;WD)',
  // A volume root (icacls C:\).
  'O:SYG:SYD:(A;OICIIO;SDGXGWGR;;;AU)(A;;0x1301bf;;;AU)(A;OICIIO;GA;;;SY)(A;;FA;;;SY)(A;OICIIO;GA;;;BA)(A;;FA;;;BA)(A;OICIIO;GXGR;;;BU)(A;;0x1200a9;;;BU)',
  // A folder under C:\ (inherited ACEs).
  'D:AI(A;OICIID;FA;;;BA)(A;OICIID;FA;;;SY)(A;OICIID;0x1200a9;;;BU)(A;ID;0x1301bf;;;AU)(A;OICIIOID;SDGXGWGR;;;AU)',
  'O:BAG:SYD:PAI(A;OICIIO;GA;;;CO)(A;OICIIO;GA;;;SY)(A;;FA;;;SY)(A;OICIIO;GA;;;BA)(A;;FA;;;BA)(A;OICI;0x1200a9;;;BU)',
  // sc sdshow of a service and of the service control manager.
  'D:(A;;CCLCSWRPWPDTLOCRRC;;;SY)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCLCSWLOCRRC;;;IU)(A;;CCLCSWLOCRRC;;;SU)S:(AU;FA;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;WD)',
  'D:(A;;CC;;;AU)(A;;CCLCRPRC;;;IU)(A;;CCLCRPRC;;;SU)(A;;CCLCRPWPRC;;;SY)(A;;KA;;;BA)(A;;CC;;;AC)S:(AU;FA;KA;;;WD)(AU;OIIOFA;GA;;;WD)',
  // Active Directory objects (domain-relative aliases, object ACEs).
  'O:DAG:DAD:AI(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)' +
    '(OA;CIIOID;RP;4c164200-20c0-11d0-a768-00aa006e0529;4828cc14-1437-45bc-9b07-ad6f015e5f28;RU)(A;CIID;LC;;;RU)(A;CIID;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;EA)',
  'O:DAG:DUD:(A;;LCRPLORC;;;AU)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;LCRPLORC;;;ED)S:(OU;CIIOIDSA;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)',
  // Integrity labels, null and empty ACLs, ACL flags.
  'O:BAG:BAD:(A;;FA;;;BA)S:(ML;;NW;;;LW)',
  'S:(ML;OICI;NWNRNX;;;HI)',
  'D:NO_ACCESS_CONTROL',
  'O:SYD:PNO_ACCESS_CONTROL',
  'D:',
  'D:PAI',
  'D:PARAI(A;;FA;;;SY)S:PAI(AU;SAFA;FA;;;WD)',
  'O:S-1-5-21-1004336348-1177238915-682003330-1105G:DUD:PAI(A;OICI;FA;;;S-1-5-21-1004336348-1177238915-682003330-1105)',
  'O:LAG:LGD:(A;;FA;;;LA)(A;;FR;;;LG)(A;;FX;;;DG)(A;;FW;;;DC)(A;;KR;;;DD)(A;;KW;;;CA)(A;;GA;;;PA)(A;;GA;;;RS)(A;;GA;;;AP)(A;;GA;;;KA)(A;;GA;;;CN)',
  'O:SAG:EAD:(A;;GA;;;EK)(A;;GA;;;RO)',
  '',
];

// Hand-written SDDL (documentation, code) whose canonical form differs in order or spelling.
const CANONICAL: [string, string][] = [
  ['D:P(A;;GA;;;SY)(A;;GRGWGX;;;AU)', 'D:P(A;;GA;;;SY)(A;;GXGWGR;;;AU)'],
  ['D:(A;;RPWPCCDCLCSWRCWDWOGA;;;S-1-0-0)', 'D:(A;;CCDCLCSWRPWPRCWDWOGA;;;S-1-0-0)'],
  ['D:(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;SY)', 'D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)'],
  ['D:AIP(A;;0X1F01FF;;;SY)', 'D:PAI(A;;FA;;;SY)'],
  ['D:(A;;2032127;;;SY)(A;;0400;;;BA)', 'D:(A;;FA;;;SY)(A;;CR;;;BA)'],
  ['D:(A;;KX;;;BU)', 'D:(A;;KR;;;BU)'],
  ['D:(A;;RCSDWDWOFA;;;BU)', 'D:(A;;FA;;;BU)'],
  ['S:(AU;FASA;GA;;;WD)D:(A;;FA;;;SY)G:SYO:BA', 'O:BAG:SYD:(A;;FA;;;SY)S:(AU;SAFA;GA;;;WD)'],
  ['D:(OA;;CC;;;AU)', 'D:(A;;CC;;;AU)'],
  ['D:(OA;;CR;AB721A53-1E2F-11D0-9819-00AA0040529B;;WD)', 'D:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)'],
  ['D:(A;;;;;WD)', 'D:(A;;;;;WD)'],
  ['D:(A;;0x0;;;WD)', 'D:(A;;;;;WD)'],
];

test('SDDL -> binary -> SDDL round trips of Windows-printed strings', async (t) => {
  for (const s of WINDOWS_SDDL) {
    await t.test(s || '(empty)', () => {
      const sd = parseSddl(s, opts);
      const bin = encodeSecurityDescriptor(sd);
      const back = decodeSecurityDescriptor(bin);
      assert.deepEqual(back, sd);
      assert.equal(formatSddl(back, opts), s);
      assert.deepEqual(encodeSecurityDescriptor(back), bin);
    });
  }
});

test('hand-written SDDL comes back in Windows canonical form, which is stable', async (t) => {
  for (const [input, canonical] of CANONICAL) {
    await t.test(input, () => {
      const sd = parseSddl(input, opts);
      assert.equal(formatSddl(decodeSecurityDescriptor(encodeSecurityDescriptor(sd)), opts), canonical);
      assert.deepEqual(parseSddl(canonical, opts), sd);
      assert.equal(formatSddl(parseSddl(canonical, opts), opts), canonical);
    });
  }
});

test('parseSddl builds the descriptor the spec describes', () => {
  const sd = parseSddl('O:BAG:SYD:PAI(A;OICIIO;GA;;;CO)(D;;0x1200a9;;;AN)S:AI(AU;SAFA;FA;;;WD)');
  assert.deepEqual(sd, {
    control: SE_SELF_RELATIVE | SE_DACL_PRESENT | SE_SACL_PRESENT | SE_DACL_PROTECTED | SE_DACL_AUTO_INHERITED | SE_SACL_AUTO_INHERITED,
    owner: WELL_KNOWN_SID.BUILTIN_ADMINISTRATORS,
    group: WELL_KNOWN_SID.LOCAL_SYSTEM,
    dacl: {
      revision: 2,
      aces: [
        { type: ACE_TYPE.ACCESS_ALLOWED, flags: ACE_FLAG.OBJECT_INHERIT | ACE_FLAG.CONTAINER_INHERIT | ACE_FLAG.INHERIT_ONLY, mask: GENERIC_ALL, sid: WELL_KNOWN_SID.CREATOR_OWNER },
        { type: ACE_TYPE.ACCESS_DENIED, flags: 0, mask: 0x1200a9, sid: WELL_KNOWN_SID.ANONYMOUS },
      ],
    },
    sacl: {
      revision: 2,
      aces: [{ type: ACE_TYPE.SYSTEM_AUDIT, flags: ACE_FLAG.SUCCESSFUL_ACCESS | ACE_FLAG.FAILED_ACCESS, mask: FILE_ALL_ACCESS, sid: WELL_KNOWN_SID.EVERYONE }],
    },
  });
  assert.deepEqual(decodeSecurityDescriptor(encodeSecurityDescriptor(sd)), sd);
  // Object ACEs make an ACL_REVISION_DS ACL; OA without GUIDs is a plain allow ACE.
  assert.equal(parseSddl('D:(OA;;RP;bf967aba-0de6-11d0-a285-00aa003049e2;;AU)').dacl?.revision, 4);
  assert.equal(parseSddl('D:(OA;;RP;;;AU)').dacl?.revision, 2);
  assert.deepEqual(parseSddl('D:NO_ACCESS_CONTROL').dacl, null);
  assert.equal(parseSddl('O:BA').dacl, undefined);
  assert.equal(parseSddl('O:BA').control, SE_SELF_RELATIVE);
  assert.equal(parseSddl('D:AR').control, SE_SELF_RELATIVE | SE_DACL_PRESENT | SE_DACL_AUTO_INHERIT_REQ);
  assert.equal(parseSddl('S:P').control, SE_SELF_RELATIVE | SE_SACL_PRESENT | SE_SACL_PROTECTED);
});

test('every fixed SID alias parses to its SID and formats back to itself', () => {
  const seen = new Set<string>();
  for (const [alias, sid] of Object.entries(SDDL_SID_ALIASES)) {
    assert.equal(parseSddlSid(alias), sid, alias);
    assert.equal(formatSddlSid(sid), alias, alias);
    assert.ok(!seen.has(sid), `${sid} has two aliases`);
    seen.add(sid);
  }
  // The ones the brief names, spot-checked against MS-DTYP 2.4.2.4.
  const spot: Record<string, string> = {
    AU: 'S-1-5-11', BA: 'S-1-5-32-544', BU: 'S-1-5-32-545', BG: 'S-1-5-32-546', WD: 'S-1-1-0', SY: 'S-1-5-18', AN: 'S-1-5-7',
    NU: 'S-1-5-2', IU: 'S-1-5-4', RU: 'S-1-5-32-554', CO: 'S-1-3-0', CG: 'S-1-3-1', OW: 'S-1-3-4', PS: 'S-1-5-10', ED: 'S-1-5-9',
    LS: 'S-1-5-19', NS: 'S-1-5-20', SU: 'S-1-5-6', LW: 'S-1-16-4096', HI: 'S-1-16-12288', SI: 'S-1-16-16384', AC: 'S-1-15-2-1',
  };
  for (const [alias, sid] of Object.entries(spot)) assert.equal(parseSddlSid(alias), sid, alias);
});

test('domain-relative SID aliases need the domain SID', () => {
  const spot: Record<string, number> = { DA: 512, DU: 513, DG: 514, DC: 515, DD: 516, CA: 517, LA: 500, LG: 501, PA: 520 };
  for (const [alias, rid] of Object.entries(spot)) assert.equal(SDDL_DOMAIN_RID_ALIASES[alias], rid, alias);
  assert.deepEqual(SDDL_ROOT_DOMAIN_RID_ALIASES, { EA: 519, EK: 527, RO: 498, SA: 518 });
  for (const [alias, rid] of Object.entries(SDDL_DOMAIN_RID_ALIASES)) {
    assert.equal(parseSddlSid(alias, opts), sidWithRid(DOMAIN, rid));
    assert.equal(formatSddlSid(sidWithRid(DOMAIN, rid), opts), alias);
    assert.equal(formatSddlSid(sidWithRid(DOMAIN, rid)), sidWithRid(DOMAIN, rid));
    assert.throws(() => parseSddlSid(alias), (e: unknown) => e instanceof DtypError && /domain-relative.*domainSid/.test(e.message), alias);
  }
  for (const [alias, rid] of Object.entries(SDDL_ROOT_DOMAIN_RID_ALIASES)) {
    assert.equal(parseSddlSid(alias, opts), sidWithRid(DOMAIN, rid));
    assert.equal(parseSddlSid(alias, { domainSid: DOMAIN, rootDomainSid: ROOT }), sidWithRid(ROOT, rid));
    assert.equal(formatSddlSid(sidWithRid(ROOT, rid), { domainSid: DOMAIN, rootDomainSid: ROOT }), alias);
    assert.equal(formatSddlSid(sidWithRid(DOMAIN, rid), { domainSid: DOMAIN, rootDomainSid: ROOT }), sidWithRid(DOMAIN, rid));
    assert.throws(() => parseSddlSid(alias), (e: unknown) => e instanceof DtypError && /forest root/.test(e.message), alias);
  }
  // A child domain: DA is the child's, EA the root's.
  const child = parseSddl('O:DAG:EA', { domainSid: DOMAIN, rootDomainSid: ROOT });
  assert.equal(child.owner, `${DOMAIN}-512`);
  assert.equal(child.group, `${ROOT}-519`);
  // Explicit SIDs are kept in canonical form; other domains' SIDs never become aliases.
  assert.equal(formatSddlSid('S-1-5-21-9-9-9-512', opts), 'S-1-5-21-9-9-9-512');
});

test('rights aliases and numbers', () => {
  const table: [string, number][] = [
    ['GA', GENERIC_ALL],
    ['GR', GENERIC_READ],
    ['GW', GENERIC_WRITE],
    ['GX', GENERIC_EXECUTE],
    ['GRGWGX', 0xe0000000],
    ['RC', 0x20000],
    ['SD', 0x10000],
    ['WD', 0x40000],
    ['WO', 0x80000],
    ['FA', 0x1f01ff],
    ['FR', 0x120089],
    ['FW', 0x120116],
    ['FX', 0x1200a0],
    ['KA', 0xf003f],
    ['KR', 0x20019],
    ['KW', 0x20006],
    ['KX', 0x20019],
    ['CC', 0x1],
    ['DC', 0x2],
    ['LC', 0x4],
    ['SW', 0x8],
    ['RP', 0x10],
    ['WP', 0x20],
    ['DT', 0x40],
    ['LO', 0x80],
    ['CR', 0x100],
    ['NW', 0x1],
    ['NR', 0x2],
    ['NX', 0x4],
    ['0x1200a9', 0x1200a9],
    ['0xFFFFFFFF', 0xffffffff],
    ['0777', 0o777],
    ['4294967295', 0xffffffff],
    ['0', 0],
    ['', 0],
  ];
  for (const [s, mask] of table) assert.equal(parseSddlRights(s), mask, s);
  assert.equal(Object.keys(SDDL_RIGHTS).length, 28);
  const out: [number, number, string][] = [
    [0x1f01ff, ACE_TYPE.ACCESS_ALLOWED, 'FA'],
    [0x1200a9, ACE_TYPE.ACCESS_ALLOWED, '0x1200a9'],
    [0xf01ff, ACE_TYPE.ACCESS_ALLOWED_OBJECT, 'CCDCLCSWRPWPDTLOCRSDRCWDWO'],
    [0xe0010000, ACE_TYPE.ACCESS_ALLOWED, 'SDGXGWGR'],
    [0x80000000, ACE_TYPE.ACCESS_ALLOWED, 'GR'],
    [0x3, ACE_TYPE.SYSTEM_MANDATORY_LABEL, 'NWNR'],
    [0x3, ACE_TYPE.ACCESS_ALLOWED, 'CCDC'],
    [0x8, ACE_TYPE.SYSTEM_MANDATORY_LABEL, '0x8'],
    [0x02000000, ACE_TYPE.ACCESS_ALLOWED, '0x2000000'],
    [0, ACE_TYPE.ACCESS_ALLOWED, ''],
  ];
  for (const [mask, type, s] of out) assert.equal(formatSddlRights(mask, type), s, s);
});

test('single ACE strings', () => {
  const ace = parseSddlAce('(OA;CIIO;RPWP;bf967a86-0de6-11d0-a285-00aa003049e2;BF967ABA-0DE6-11D0-A285-00AA003049E2;PS)');
  assert.deepEqual(ace, {
    type: ACE_TYPE.ACCESS_ALLOWED_OBJECT,
    flags: ACE_FLAG.CONTAINER_INHERIT | ACE_FLAG.INHERIT_ONLY,
    mask: 0x30,
    sid: 'S-1-5-10',
    objectType: 'bf967a86-0de6-11d0-a285-00aa003049e2',
    inheritedObjectType: 'bf967aba-0de6-11d0-a285-00aa003049e2',
  });
  assert.equal(formatSddlAce(ace), '(OA;CIIO;RPWP;bf967a86-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;PS)');
  assert.deepEqual(parseSddlAce('D;NP;FA;;;S-1-5-21-1-2-3-4'), { type: 1, flags: ACE_FLAG.NO_PROPAGATE_INHERIT, mask: FILE_ALL_ACCESS, sid: 'S-1-5-21-1-2-3-4' });
  assert.equal(formatSddlAce({ type: ACE_TYPE.SYSTEM_SCOPED_POLICY_ID, flags: 0, mask: 0, sid: 'S-1-17-1' }), '(SP;;;;;S-1-17-1)');
  assert.equal(formatSddlAce({ type: ACE_TYPE.SYSTEM_ALARM_OBJECT, flags: 0, mask: 1, sid: 'S-1-1-0' }), '(OL;;CC;;;WD)');
});

const isDtyp = (re: RegExp) => (e: unknown) => e instanceof DtypError && re.test(e.message);

test('bad SDDL is refused with a DtypError that says what is wrong', () => {
  const bad: [string, RegExp][] = [
    ['O:XX', /unknown SDDL SID alias "XX"/],
    ['O:ba', /unknown SDDL SID alias "ba"/],
    ['D:(A;;FA;;;QQ)', /unknown SDDL SID alias "QQ"/],
    ['D:(A;;ZZ;;;SY)', /unknown SDDL access right "ZZ"/],
    ['D:(A;;FAG;;;SY)', /bad SDDL access rights "FAG"/],
    ['D:(A;;0x123456789;;;SY)', /bad SDDL access rights|exceed 32 bits/],
    ['D:(A;;99999999999;;;SY)', /bad SDDL access rights|exceed 32 bits/],
    ['D:(A;QQ;FA;;;SY)', /unknown SDDL ACE flag "QQ"/],
    ['D:(Q;;FA;;;SY)', /unknown SDDL ACE type "Q"/],
    ['D:(XA;;FX;;;WD;(Member_of {SID(BA)}))', /not supported/],
    ['D:(XA;;FX;;;WD)', /not supported/],
    ['S:(RA;;;;;WD;("Project",TS,0,"Windows"))', /not supported/],
    ['D:(A;;FA;;SY)', /5 fields, expected 6/],
    ['D:(A;;FA;;;SY;x)', /7 fields/],
    ['D:(A;;FA;;;)', /has no SID/],
    ['D:(A;;FA;;;SY', /unterminated/],
    ['D:(A;;FA;bf967aba-0de6-11d0-a285-00aa003049e2;;SY)', /cannot carry object GUIDs/],
    ['D:(OA;;FA;not-a-guid;;SY)', /not a GUID/],
    ['D:(A;;FA;;;S-1-5-018)', /SDDL SID/],
    ['D:(A;;FA;;;SY)x', /unexpected "x"/],
    ['D:Q(A;;FA;;;SY)', /unexpected "Q/],
    ['D:NO_ACCESS_CONTROL(A;;FA;;;SY)', /cannot have ACEs/],
    ['O:BAO:SY', /two O: components/],
    ['X:BA', /expected O:, G:, D: or S: at position 0/],
    ['O:', /has no SID/],
    ['O:BAG:', /has no SID/],
    ['D:(A;;FA;;;DA)', /domain-relative/],
    [' O:BA', /expected O:/],
  ];
  for (const [s, re] of bad) assert.throws(() => parseSddl(s), isDtyp(re), s);
  assert.throws(() => parseSddl('x'.repeat(2 << 20)), isDtyp(/too long/));
  // What SDDL cannot say.
  assert.throws(() => formatSddlAce({ type: ACE_TYPE.ACCESS_ALLOWED_CALLBACK, flags: 0, mask: 1, sid: 'S-1-1-0', applicationData: Buffer.from('artx') }), isDtyp(/no SDDL form/));
  assert.throws(() => formatSddlAce({ type: ACE_TYPE.ACCESS_ALLOWED, flags: 0x20, mask: 1, sid: 'S-1-1-0' }), isDtyp(/ACE flag 0x20/));
  assert.throws(() => formatSddlSid('S-1-5-018'), isDtyp(/SID/));
});
