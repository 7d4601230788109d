// Our self-relative security descriptors against impacket's (impacket.ldap.ldaptypes, the
// classes its LDAP tools read and write nTSecurityDescriptor with): impacket decodes what we
// encode and re-encodes it to the same bytes, and builds descriptors we decode to the same value.
// impacket is a required peer: a missing one fails this test, never skips it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type Acl,
  type SecurityDescriptor,
  decodeSecurityDescriptor,
  encodeSecurityDescriptor,
  formatSddl,
  parseSddl,
} from '../../src/dtyp/index.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./fixtures/impacket_sd.py', import.meta.url));
const DOMAIN = 'S-1-5-21-1004336348-1177238915-682003330';
const opts = { domainSid: DOMAIN };

// Real descriptors (file system, service control manager, Active Directory), in Windows' own
// SDDL. impacket's decoder drops a SACL when there is no DACL, so every sample has a DACL.
const SAMPLES = [
  'O:BAG:SYD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x1200a9;;;BU)',
  'D:P(A;;GA;;;SY)(A;;GXGWGR;;;AU)',
  'D:(D;;GA;;;AN)(A;;GA;;;WD)',
  'O:SYG:SYD:(A;OICIIO;SDGXGWGR;;;AU)(A;;0x1301bf;;;AU)(A;OICIIO;GA;;;SY)(A;;FA;;;SY)(A;OICIIO;GA;;;BA)(A;;FA;;;BA)(A;OICIIO;GXGR;;;BU)(A;;0x1200a9;;;BU)',
  'D:(A;;CC;;;AU)(A;;CCLCRPRC;;;IU)(A;;CCLCRPRC;;;SU)(A;;CCLCRPWPRC;;;SY)(A;;KA;;;BA)(A;;CC;;;AC)S:(AU;FA;KA;;;WD)(AU;OIIOFA;GA;;;WD)',
  'O:DAG:DAD:AI(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)' +
    '(OA;CIIOID;RP;4c164200-20c0-11d0-a768-00aa006e0529;4828cc14-1437-45bc-9b07-ad6f015e5f28;RU)(OA;CIID;RPWPCR;91e647de-d96f-4b70-9557-d63ff4f3ccd8;;PS)' +
    '(A;CIID;LC;;;RU)S:AI(OU;CIIOIDSA;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;bf967aa5-0de6-11d0-a285-00aa003049e2;WD)',
  'O:S-1-5-21-1004336348-1177238915-682003330-1105G:DUD:PAI(A;OICI;FA;;;S-1-5-21-1004336348-1177238915-682003330-1105)(D;OICI;FW;;;BG)S:(ML;;NW;;;LW)',
];

interface PyAce {
  type: number;
  flags: number;
  size: number;
  mask: number;
  sid: string;
  objectType?: string;
  inheritedObjectType?: string;
}
interface PyAcl {
  revision: number;
  size: number;
  aces: PyAce[];
}
interface PyView {
  error?: string;
  revision: number;
  control: number;
  offsets: number[];
  owner: string | null;
  group: string | null;
  dacl: PyAcl | null;
  sacl: PyAcl | null;
  reencoded: string;
}

function runImpacket(req: { decode: string[]; build: unknown[] }): { decoded: PyView[]; built: (string | { error: string })[] } {
  const probe = spawnSync(PYTHON, ['-c', 'import impacket.ldap.ldaptypes'], { encoding: 'utf8' });
  assert.equal(
    probe.status,
    0,
    `impacket is required for this interop test but "${PYTHON} -c 'import impacket.ldap.ldaptypes'" failed (install python3-impacket): ${probe.error?.message ?? probe.stderr}`,
  );
  const r = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(req), encoding: 'utf8', maxBuffer: 16 << 20 });
  assert.equal(r.status, 0, `impacket_sd.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { decoded: PyView[]; built: (string | { error: string })[] };
}

function aclView(acl: Acl): { revision: number; aces: Omit<PyAce, 'size'>[] } {
  return {
    revision: acl.revision,
    aces: acl.aces.map((a) => {
      const v: Omit<PyAce, 'size'> = { type: a.type, flags: a.flags, mask: a.mask, sid: a.sid };
      if (a.objectType !== undefined) v.objectType = a.objectType;
      if (a.inheritedObjectType !== undefined) v.inheritedObjectType = a.inheritedObjectType;
      return v;
    }),
  };
}

test('impacket decodes our security descriptors and re-encodes them to the same bytes', () => {
  const ours = SAMPLES.map((s) => encodeSecurityDescriptor(parseSddl(s, opts)));
  const { decoded } = runImpacket({ decode: ours.map((b) => b.toString('hex')), build: [] });
  assert.equal(decoded.length, SAMPLES.length);
  SAMPLES.forEach((sddl, i) => {
    const v = decoded[i];
    assert.equal(v.error, undefined, `${sddl}: impacket could not decode it: ${v.error}`);
    const sd = decodeSecurityDescriptor(ours[i]);
    assert.equal(v.revision, 1, sddl);
    assert.equal(v.control, sd.control, sddl);
    assert.equal(v.owner, sd.owner ?? null, sddl);
    assert.equal(v.group, sd.group ?? null, sddl);
    for (const [name, theirs, mine] of [
      ['DACL', v.dacl, sd.dacl],
      ['SACL', v.sacl, sd.sacl],
    ] as const) {
      if (!mine) {
        assert.equal(theirs, null, `${sddl}: ${name}`);
        continue;
      }
      assert.ok(theirs, `${sddl}: impacket found no ${name}`);
      assert.deepEqual({ revision: theirs.revision, aces: theirs.aces.map(({ size: _size, ...rest }) => rest) }, aclView(mine), `${sddl}: ${name}`);
      for (const a of theirs.aces) assert.equal(a.size % 4, 0);
    }
    assert.equal(v.reencoded, ours[i].toString('hex'), `${sddl}: impacket's re-encoding differs`);
  });
});

test('we decode descriptors impacket builds, to the same value and bytes', () => {
  const sds = SAMPLES.map((s) => decodeSecurityDescriptor(encodeSecurityDescriptor(parseSddl(s, opts))));
  // impacket does not set control bits itself: hand it the full control word (with PRESENT bits).
  const specs = sds.map((sd: SecurityDescriptor) => ({ control: sd.control, owner: sd.owner, group: sd.group, dacl: sd.dacl, sacl: sd.sacl }));
  const { built } = runImpacket({ decode: [], build: specs });
  assert.equal(built.length, SAMPLES.length);
  SAMPLES.forEach((sddl, i) => {
    const hex = built[i];
    assert.equal(typeof hex, 'string', `${sddl}: impacket could not build it: ${JSON.stringify(hex)}`);
    const bytes = Buffer.from(hex as string, 'hex');
    const sd = decodeSecurityDescriptor(bytes);
    assert.deepEqual(sd, sds[i], sddl);
    assert.equal(formatSddl(sd, opts), sddl);
    assert.equal(encodeSecurityDescriptor(sd).toString('hex'), hex, `${sddl}: our encoding of impacket's descriptor differs`);
  });
});
