import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACE_FLAG,
  ACE_TYPE,
  type Ace,
  DtypError,
  SE_DACL_PRESENT,
  SE_DACL_PROTECTED,
  SE_RM_CONTROL_VALID,
  SE_SACL_PRESENT,
  SE_SELF_RELATIVE,
  type SecurityDescriptor,
  decodeAce,
  decodeAcl,
  decodeSecurityDescriptor,
  encodeAce,
  encodeAcl,
  encodeSecurityDescriptor,
  formatSddl,
  guidFromBytes,
  guidToBytes,
  isAllowAceType,
  isDenyAceType,
  isObjectAceType,
  makeAcl,
  parseSddl,
} from '../../src/dtyp/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const isDtyp = (re: RegExp) => (e: unknown) => e instanceof DtypError && re.test(e.message);

// Worked out by hand from MS-DTYP 2.4.2.2, 2.4.4.2, 2.4.5 and 2.4.6, in Windows' layout (SACL,
// DACL, owner, group after the 20-byte header).
const FILE_SD_SDDL = 'O:BAG:SYD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x1200a9;;;BU)';
const FILE_SD_HEX = `
  01 00 0480 60000000 70000000 00000000 14000000
  02 00 4c00 0300 0000
    00 00 1400 ff011f00 010100000000000512000000
    00 00 1800 ff011f00 01020000000000052000000020020000
    00 00 1800 a9001200 01020000000000052000000021020000
  01020000000000052000000020020000
  010100000000000512000000`;

test('a file security descriptor encodes to the bytes MS-DTYP 2.4.6 describes', () => {
  const sd = parseSddl(FILE_SD_SDDL);
  assert.deepEqual(encodeSecurityDescriptor(sd), hex(FILE_SD_HEX));
  assert.deepEqual(decodeSecurityDescriptor(hex(FILE_SD_HEX)), sd);
  assert.equal(formatSddl(decodeSecurityDescriptor(hex(FILE_SD_HEX))), FILE_SD_SDDL);
});

test('offsets in any order, trailing bytes and an unused ACL tail are accepted', () => {
  // Owner and group first, DACL last (Samba's layout), with AclSize larger than its ACEs and
  // bytes after the descriptor.
  const owner = hex('01020000000000052000000020020000');
  const group = hex('010100000000000512000000');
  const ace = hex('00001400ff011f00010100000000000512000000');
  const acl = Buffer.concat([hex('02002000 0100 0000'), ace, Buffer.alloc(4)]);
  const header = Buffer.alloc(20);
  header[0] = 1;
  header.writeUInt16LE(SE_SELF_RELATIVE | SE_DACL_PRESENT | SE_DACL_PROTECTED, 2);
  header.writeUInt32LE(20, 4);
  header.writeUInt32LE(36, 8);
  header.writeUInt32LE(48, 16);
  const bytes = Buffer.concat([header, owner, group, acl, Buffer.from('trailing')]);
  const sd = decodeSecurityDescriptor(bytes);
  assert.equal(formatSddl(sd), 'O:BAG:SYD:P(A;;FA;;;SY)');
  // Re-encoded in Windows' layout.
  assert.equal(encodeSecurityDescriptor(sd).length, 20 + 28 + 16 + 12);
});

test('control bits: PRESENT bits follow the fields, NULL ACLs, RM control', () => {
  const cases: [SecurityDescriptor, number][] = [
    [{ control: 0 }, SE_SELF_RELATIVE],
    [{ control: SE_DACL_PRESENT | SE_SACL_PRESENT }, SE_SELF_RELATIVE], // fields absent: bits cleared
    [{ control: 0, dacl: null }, SE_SELF_RELATIVE | SE_DACL_PRESENT],
    [{ control: 0, sacl: null, dacl: makeAcl([]) }, SE_SELF_RELATIVE | SE_DACL_PRESENT | SE_SACL_PRESENT],
    [{ control: SE_DACL_PROTECTED, resourceManagerControl: 0x5a }, SE_SELF_RELATIVE | SE_DACL_PROTECTED | SE_RM_CONTROL_VALID],
  ];
  for (const [sd, control] of cases) {
    const bytes = encodeSecurityDescriptor(sd);
    assert.equal(bytes.readUInt16LE(2), control);
    const back = decodeSecurityDescriptor(bytes);
    assert.equal(back.control, control);
    assert.deepEqual(back.dacl, sd.dacl);
    assert.deepEqual(back.sacl, sd.sacl);
    assert.equal(back.resourceManagerControl, sd.resourceManagerControl);
  }
  // NULL DACL: present bit, offset 0.
  const nullDacl = encodeSecurityDescriptor({ control: 0, dacl: null });
  assert.equal(nullDacl.readUInt32LE(16), 0);
  // A DACL offset without SE_DACL_PRESENT is ignored (no DACL), as Windows does.
  const ignored = Buffer.from(encodeSecurityDescriptor(parseSddl('D:(A;;FA;;;WD)')));
  ignored.writeUInt16LE(SE_SELF_RELATIVE, 2);
  assert.equal(decodeSecurityDescriptor(ignored).dacl, undefined);
});

test('ACEs: every shape encodes and decodes', () => {
  const guidA = 'bf967aba-0de6-11d0-a285-00aa003049e2';
  const guidB = '4828cc14-1437-45bc-9b07-ad6f015e5f28';
  const aces: Ace[] = [
    { type: ACE_TYPE.ACCESS_ALLOWED, flags: ACE_FLAG.OBJECT_INHERIT | ACE_FLAG.CONTAINER_INHERIT, mask: 0x1f01ff, sid: 'S-1-5-18' },
    { type: ACE_TYPE.ACCESS_DENIED, flags: ACE_FLAG.INHERITED, mask: 0xffffffff, sid: 'S-1-1-0' },
    { type: ACE_TYPE.SYSTEM_AUDIT, flags: ACE_FLAG.SUCCESSFUL_ACCESS | ACE_FLAG.FAILED_ACCESS, mask: 0x10000, sid: 'S-1-1-0' },
    { type: ACE_TYPE.SYSTEM_MANDATORY_LABEL, flags: 0, mask: 1, sid: 'S-1-16-4096' },
    { type: ACE_TYPE.SYSTEM_SCOPED_POLICY_ID, flags: 0, mask: 0, sid: 'S-1-17-1' },
    { type: ACE_TYPE.ACCESS_ALLOWED_OBJECT, flags: 0, mask: 0x100, sid: 'S-1-1-0', objectType: guidA },
    { type: ACE_TYPE.ACCESS_DENIED_OBJECT, flags: 0, mask: 0x10, sid: 'S-1-1-0', inheritedObjectType: guidB },
    { type: ACE_TYPE.SYSTEM_AUDIT_OBJECT, flags: ACE_FLAG.SUCCESSFUL_ACCESS, mask: 0x20, sid: 'S-1-1-0', objectType: guidA, inheritedObjectType: guidB },
    { type: ACE_TYPE.ACCESS_ALLOWED_OBJECT, flags: 0, mask: 0x10, sid: 'S-1-5-10' },
    { type: ACE_TYPE.ACCESS_ALLOWED_CALLBACK, flags: 0, mask: 0x1200a9, sid: 'S-1-1-0', applicationData: Buffer.from('artx\x00\x00\x00\x00') },
    { type: ACE_TYPE.ACCESS_DENIED_CALLBACK, flags: 0, mask: 2, sid: 'S-1-1-0', applicationData: Buffer.alloc(0) },
    { type: ACE_TYPE.ACCESS_ALLOWED_CALLBACK_OBJECT, flags: 0, mask: 2, sid: 'S-1-1-0', objectType: guidA, applicationData: Buffer.from('abcd') },
    { type: ACE_TYPE.SYSTEM_RESOURCE_ATTRIBUTE, flags: 0, mask: 0, sid: 'S-1-1-0', applicationData: Buffer.alloc(12, 7) },
  ];
  for (const ace of aces) {
    const b = encodeAce(ace);
    assert.equal(b.length % 4, 0);
    assert.equal(b.readUInt16LE(2), b.length);
    assert.deepEqual(decodeAce(b), { ace, size: b.length });
  }
  const acl = makeAcl(aces);
  assert.equal(acl.revision, 4);
  assert.deepEqual(decodeAcl(encodeAcl(acl)), { acl, size: encodeAcl(acl).length });
  // Object ACE layout (2.4.4.3): Mask, Flags, ObjectType, InheritedObjectType, Sid.
  const obj = encodeAce(aces[7]);
  assert.equal(obj.readUInt32LE(8), 3);
  assert.equal(guidFromBytes(obj, 12), guidA);
  assert.equal(guidFromBytes(obj, 28), guidB);
  // Application data is padded to a multiple of 4 and comes back with the padding.
  const odd = encodeAce({ type: ACE_TYPE.ACCESS_ALLOWED_CALLBACK, flags: 0, mask: 1, sid: 'S-1-1-0', applicationData: Buffer.from('abcde') });
  assert.equal(odd.length, 4 + 4 + 12 + 8);
  assert.deepEqual(decodeAce(odd).ace.applicationData, Buffer.from('abcde\0\0\0'));
  // Padding after a plain ACE (as Active Directory writes some) is skipped.
  const padded = Buffer.concat([encodeAce(aces[0]), Buffer.alloc(8)]);
  padded.writeUInt16LE(padded.length, 2);
  assert.deepEqual(decodeAce(padded), { ace: aces[0], size: padded.length });
  assert.deepEqual(
    [0, 1, 2, 5, 6, 9, 10, 11, 12, 17].map((t) => [isAllowAceType(t), isDenyAceType(t), isObjectAceType(t)]),
    [
      [true, false, false],
      [false, true, false],
      [false, false, false],
      [true, false, true],
      [false, true, true],
      [true, false, false],
      [false, true, false],
      [true, false, true],
      [false, true, true],
      [false, false, false],
    ],
  );
});

test('GUIDs: MS-DTYP 2.3.4.2 byte order', () => {
  assert.equal(guidToBytes('bf967aba-0de6-11d0-a285-00aa003049e2').toString('hex'), 'ba7a96bfe60dd011a28500aa003049e2');
  assert.equal(guidFromBytes(hex('ba7a96bfe60dd011a28500aa003049e2')), 'bf967aba-0de6-11d0-a285-00aa003049e2');
  assert.equal(guidFromBytes(guidToBytes('00299570-246D-11D0-A768-00AA006E0529')), '00299570-246d-11d0-a768-00aa006e0529');
  assert.throws(() => guidToBytes('{00299570-246d-11d0-a768-00aa006e0529}'), isDtyp(/not a GUID/));
  assert.throws(() => guidFromBytes(Buffer.alloc(15)), isDtyp(/truncated GUID/));
});

test('encoders refuse what cannot be encoded', () => {
  const base: Ace = { type: 0, flags: 0, mask: 1, sid: 'S-1-1-0' };
  const bad: [() => unknown, RegExp][] = [
    [() => encodeAce({ ...base, type: 4 }), /unsupported ACE type/],
    [() => encodeAce({ ...base, type: 0x14 }), /unsupported ACE type/],
    [() => encodeAce({ ...base, flags: 256 }), /bad ACE flags/],
    [() => encodeAce({ ...base, mask: -1 }), /bad ACE access mask/],
    [() => encodeAce({ ...base, mask: 2 ** 32 }), /bad ACE access mask/],
    [() => encodeAce({ ...base, sid: 'S-1-5-018' }), /ACE SID/],
    [() => encodeAce({ ...base, objectType: 'bf967aba-0de6-11d0-a285-00aa003049e2' }), /not an object ACE/],
    [() => encodeAce({ ...base, applicationData: Buffer.alloc(4) }), /no application data/],
    [() => encodeAce({ ...base, type: 9, applicationData: Buffer.alloc(0x10000) }), /exceeds the 16-bit AceSize/],
    [() => encodeAcl({ revision: 1, aces: [] }), /bad ACL revision/],
    [() => encodeAcl({ revision: 2, aces: Array.from({ length: 4000 }, () => base) }), /exceeds the 16-bit AclSize/],
    [() => encodeSecurityDescriptor({ control: 0x10000 }), /bad security descriptor control/],
    [() => encodeSecurityDescriptor({ control: 0, resourceManagerControl: 256 }), /resource manager control/],
    [() => encodeSecurityDescriptor({ control: 0, owner: 'BA' }), /owner SID/],
  ];
  for (const [f, re] of bad) assert.throws(f, isDtyp(re), re.source);
});

test('decoders refuse malformed bytes with a DtypError that says what is wrong', () => {
  const good = encodeSecurityDescriptor(parseSddl('O:BAG:SYD:(A;;FA;;;SY)S:(AU;SA;FA;;;WD)'));
  const mutate = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good);
    f(b);
    return b;
  };
  const daclAt = good.readUInt32LE(16);
  const saclAt = good.readUInt32LE(12);
  const bad: [string, Buffer, RegExp][] = [
    ['empty', Buffer.alloc(0), /truncated security descriptor header/],
    ['19 bytes', good.subarray(0, 19), /truncated security descriptor header/],
    ['revision 2', mutate((b) => (b[0] = 2)), /revision 2/],
    ['absolute form', mutate((b) => b.writeUInt16LE(b.readUInt16LE(2) & ~SE_SELF_RELATIVE, 2)), /not self-relative/],
    ['owner in header', mutate((b) => b.writeUInt32LE(4, 4)), /owner offset 4 points into/],
    ['owner past end', mutate((b) => b.writeUInt32LE(0xfffffff0, 4)), /owner offset .* past the end/],
    ['group truncated', mutate((b) => b.writeUInt32LE(b.length - 4, 8)), /group SID: truncated/],
    ['DACL past end', mutate((b) => b.writeUInt32LE(b.length, 16)), /DACL offset .* past the end/],
    ['DACL revision', mutate((b) => (b[daclAt] = 9)), /unsupported ACL revision 9/],
    ['AclSize too big', mutate((b) => b.writeUInt16LE(0xffff, daclAt + 2)), /AclSize 65535 runs past/],
    ['AclSize < header', mutate((b) => b.writeUInt16LE(4, daclAt + 2)), /smaller than the ACL header/],
    ['AceCount too big', mutate((b) => b.writeUInt16LE(5, saclAt + 4)), /AceCount 5 but only 1 ACEs fit/],
    ['ACE type', mutate((b) => (b[daclAt + 8] = 0x04)), /unsupported ACE type 0x4/],
    ['ACE type 0x20', mutate((b) => (b[daclAt + 8] = 0x20)), /unsupported ACE type 0x20/],
    ['AceSize odd', mutate((b) => b.writeUInt16LE(18, daclAt + 10)), /not a multiple of 4/],
    ['AceSize small', mutate((b) => b.writeUInt16LE(12, daclAt + 10)), /too small/],
    ['AceSize past ACL', mutate((b) => b.writeUInt16LE(24, daclAt + 10)), /runs past the end of the ACL/],
    ['ACE SID count', mutate((b) => (b[daclAt + 8 + 9] = 15)), /ACE SID: .*sub-authorit/],
    ['ACE SID revision', mutate((b) => (b[daclAt + 8 + 8] = 2)), /ACE SID: unsupported SID revision/],
  ];
  for (const [name, bytes, re] of bad) assert.throws(() => decodeSecurityDescriptor(bytes), isDtyp(re), name);
  // Object ACE flags promising GUIDs the ACE has no room for.
  const oa = encodeAce({ type: ACE_TYPE.ACCESS_ALLOWED_OBJECT, flags: 0, mask: 1, sid: 'S-1-1-0' });
  oa.writeUInt32LE(3, 8);
  assert.throws(() => decodeAce(oa), isDtyp(/too short for its ObjectType GUID/));
  assert.throws(() => decodeAce(Buffer.alloc(3)), isDtyp(/truncated ACE header/));
  assert.throws(() => decodeAcl(Buffer.alloc(8), 4), isDtyp(/truncated ACL header/));
  assert.throws(() => decodeAcl(Buffer.alloc(8), 9), isDtyp(/offset out of range/));
  assert.throws(() => decodeSecurityDescriptor('x' as unknown as Buffer), isDtyp(/must be a Buffer/));
});

/** A small deterministic PRNG (mulberry32), so a failure names a reproducible case. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('hostile bytes: thousands of random, truncated and mutated descriptors give only DtypError, fast', () => {
  const rnd = prng(0x5eed);
  const int = (n: number) => Math.floor(rnd() * n);
  const seeds = [
    'O:BAG:SYD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x1200a9;;;BU)',
    'O:DAG:DAD:AI(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)(OA;CIIOID;RP;4c164200-20c0-11d0-a768-00aa006e0529;4828cc14-1437-45bc-9b07-ad6f015e5f28;RU)S:(OU;SA;WP;f30e3bbe-9ff0-11d1-b603-0000f80367c1;;WD)',
    'D:NO_ACCESS_CONTROL',
    'O:SYD:(D;;GA;;;AN)(A;;GA;;;WD)S:(ML;;NW;;;LW)',
  ].map((s) => encodeSecurityDescriptor(parseSddl(s, { domainSid: 'S-1-5-21-1-2-3' })));
  seeds.push(encodeSecurityDescriptor({ control: 0, dacl: makeAcl([{ type: 9, flags: 0, mask: 1, sid: 'S-1-1-0', applicationData: Buffer.from('artx') }]) }));
  const inputs: Buffer[] = [];
  for (const s of seeds) for (let n = 0; n <= s.length; n++) inputs.push(s.subarray(0, n)); // every truncation
  for (let i = 0; i < 3000; i++) {
    const kind = i % 4;
    if (kind === 0) {
      // Pure noise behind a plausible header, so the parser goes past the first check.
      const b = Buffer.alloc(20 + int(200));
      for (let j = 0; j < b.length; j++) b[j] = int(256);
      b[0] = 1;
      b.writeUInt16LE(b.readUInt16LE(2) | SE_SELF_RELATIVE, 2);
      for (let k = 0; k < 4; k++) if (rnd() < 0.7) b.writeUInt32LE(20 + int(b.length), 4 + 4 * k);
      inputs.push(b);
    } else {
      // A real descriptor with a few bytes changed (sizes, counts, offsets, types...).
      const b = Buffer.from(seeds[int(seeds.length)]);
      const flips = 1 + int(kind === 3 ? 8 : 3);
      for (let f = 0; f < flips; f++) b[int(b.length)] = rnd() < 0.5 ? int(256) : b[int(b.length)] ^ (1 << int(8));
      inputs.push(kind === 2 ? b.subarray(0, int(b.length + 1)) : b);
    }
  }
  const started = process.hrtime.bigint();
  let accepted = 0;
  for (const b of inputs) {
    try {
      const sd = decodeSecurityDescriptor(b);
      accepted++;
      // Whatever decodes re-encodes and decodes to the same value.
      assert.deepEqual(decodeSecurityDescriptor(encodeSecurityDescriptor(sd)).dacl, sd.dacl);
      try {
        formatSddl(sd);
      } catch (e) {
        assert.ok(e instanceof DtypError, `formatSddl threw ${String(e)}`);
      }
    } catch (e) {
      if (!(e instanceof DtypError)) assert.fail(`input ${b.toString('hex')} threw ${String(e)} instead of DtypError`);
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(inputs.length > 3500, `${inputs.length} inputs`);
  assert.ok(accepted > 50, `only ${accepted} of ${inputs.length} inputs decoded: the mutations are too coarse`);
  assert.ok(ms < 3000, `took ${ms} ms`);
});

test('hostile SDDL: random and mutated strings give only DtypError', () => {
  const rnd = prng(42);
  const int = (n: number) => Math.floor(rnd() * n);
  const alphabet = 'OGDS:();ACDFGIKLNOPRSTWXYZ0123456789abcdef-x_ ';
  const seeds = ['O:BAG:SYD:PAI(A;OICIIO;GA;;;CO)(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)S:(AU;SAFA;FA;;;WD)', 'D:NO_ACCESS_CONTROL', 'O:DAD:(A;;0x1200a9;;;S-1-5-21-1-2-3-4)'];
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    let s: string;
    if (i % 2 === 0) {
      s = Array.from({ length: int(60) }, () => alphabet[int(alphabet.length)]).join('');
    } else {
      const chars = [...seeds[int(seeds.length)]];
      for (let f = 0; f < 1 + int(3); f++) chars[int(chars.length)] = alphabet[int(alphabet.length)];
      s = chars.join('');
    }
    try {
      const sd = parseSddl(s, { domainSid: 'S-1-5-21-1-2-3' });
      parsed++;
      assert.deepEqual(parseSddl(formatSddl(sd, { domainSid: 'S-1-5-21-1-2-3' }), { domainSid: 'S-1-5-21-1-2-3' }), sd, s);
    } catch (e) {
      if (!(e instanceof DtypError)) assert.fail(`${JSON.stringify(s)} threw ${String(e)} instead of DtypError`);
    }
  }
  assert.ok(parsed > 10, `only ${parsed} parsed`);
});
