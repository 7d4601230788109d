import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DOMAIN_RID,
  SidError,
  WELL_KNOWN_SID,
  formatSid,
  isSidInDomain,
  isValidSid,
  parseSid,
  sidFromBytes,
  sidToBytes,
  sidWithRid,
  splitRid,
} from '../../src/dtyp/sid.js';

// [string form, binary form (hex)] — binary per MS-DTYP 2.4.2.2 (authority big-endian,
// sub-authorities little-endian).
const ROUND_TRIPS: [string, string][] = [
  ['S-1-0-0', '010100000000000000000000'],
  ['S-1-1-0', '010100000000000100000000'],
  ['S-1-5', '0100000000000005'],
  ['S-1-5-18', '010100000000000512000000'],
  ['S-1-5-32-544', '01020000000000052000000020020000'],
  ['S-1-18-1', '010100000000001201000000'],
  ['S-1-5-21-3048156945-3961193616-3706469200-1005', '010500000000000515000000112fafb590041bec503becdced030000'],
  ['S-1-5-21-4294967295-0-1', '0104000000000005' + '15000000' + 'ffffffff' + '00000000' + '01000000'],
  ['S-1-4294967295-1', '0101' + '0000ffffffff' + '01000000'],
  ['S-1-0x000100000000-7', '0101' + '000100000000' + '07000000'],
  ['S-1-0xFFFFFFFFFFFF', '0100' + 'ffffffffffff'],
  [
    'S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15',
    '010f000000000005' + Array.from({ length: 15 }, (_, i) => (i + 1).toString(16).padStart(2, '0') + '000000').join(''),
  ],
];

test('SID string <-> bytes round trips', async (t) => {
  for (const [s, hex] of ROUND_TRIPS) {
    await t.test(s, () => {
      assert.equal(isValidSid(s), true);
      assert.equal(sidToBytes(s).toString('hex'), hex);
      assert.deepEqual(sidFromBytes(Buffer.from(hex, 'hex')), { sid: s, length: hex.length / 2 });
      assert.equal(formatSid(parseSid(s)), s);
    });
  }
});

test('sidFromBytes reads at an offset and reports its length', () => {
  const b = Buffer.concat([Buffer.from('aabbcc', 'hex'), sidToBytes('S-1-5-32-545'), Buffer.from('ff', 'hex')]);
  assert.deepEqual(sidFromBytes(b, 3), { sid: 'S-1-5-32-545', length: 16 });
});

const BAD_STRINGS: [string, unknown][] = [
  ['empty', ''],
  ['no authority', 'S-1'],
  ['revision 2', 'S-2-5-18'],
  ['lower-case s', 's-1-5-18'],
  ['trailing dash', 'S-1-5-'],
  ['empty sub-authority', 'S-1-5--18'],
  ['non-digit', 'S-1-5-1x'],
  ['leading zero', 'S-1-5-018'],
  ['leading zero authority', 'S-1-05-18'],
  ['negative', 'S-1-5--1'],
  ['sub-authority over 32 bits', 'S-1-5-4294967296'],
  ['16 sub-authorities', 'S-1-5' + '-1'.repeat(16)],
  ['decimal authority >= 2^32', 'S-1-4294967296-1'],
  ['hex authority < 2^32', 'S-1-0x000000000005-1'],
  ['short hex authority', 'S-1-0x100000000-1'],
  ['lower-case hex authority', 'S-1-0xffffffffffff'],
  ['spaces', ' S-1-5-18'],
  ['plus sign', 'S-1-5-+18'],
  ['exponent', 'S-1-5-1e3'],
  ['not a string', 42],
  ['huge', 'S-1-5-' + '1'.repeat(300)],
];

test('malformed SID strings throw SidError', async (t) => {
  for (const [name, s] of BAD_STRINGS) {
    await t.test(name, () => {
      assert.equal(isValidSid(s), false);
      assert.throws(() => sidToBytes(s as string), SidError);
    });
  }
});

const BAD_BYTES: [string, string, number?][] = [
  ['empty', ''],
  ['7-byte header', '01010000000000'],
  ['revision 0', '000100000000000500000000'],
  ['revision 2', '020100000000000500000000'],
  ['16 sub-authorities', '0110000000000005' + '00'.repeat(64)],
  ['255 sub-authorities', '01ff000000000005' + '00'.repeat(64)],
  ['truncated sub-authority', '01020000000000052000000020'],
  ['offset past end', '010100000000000512000000', 13],
  ['negative offset', '010100000000000512000000', -1],
];

test('malformed SID bytes throw SidError', async (t) => {
  for (const [name, hex, offset] of BAD_BYTES) {
    await t.test(name, () => {
      assert.throws(() => sidFromBytes(Buffer.from(hex, 'hex'), offset), SidError);
    });
  }
});

test('sidWithRid / splitRid / isSidInDomain', () => {
  const dom = 'S-1-5-21-1004336348-1177238915-682003330';
  assert.equal(sidWithRid(dom, DOMAIN_RID.KRBTGT), `${dom}-502`);
  assert.deepEqual(splitRid(`${dom}-1104`), { domainSid: dom, rid: 1104 });
  assert.equal(isSidInDomain(`${dom}-512`, dom), true);
  assert.equal(isSidInDomain(`${dom}-512-1`, dom), false);
  assert.equal(isSidInDomain('S-1-5-32-544', dom), false);
  assert.throws(() => splitRid('S-1-5'), SidError);
  assert.throws(() => sidWithRid(dom, -1), SidError);
  assert.throws(() => sidWithRid(dom, 2 ** 32), SidError);
  assert.throws(() => sidWithRid('S-1-5' + '-1'.repeat(15), 1), SidError);
});

test('well-known SIDs are valid canonical SIDs and RIDs are the MS-DTYP values', () => {
  for (const [name, s] of Object.entries(WELL_KNOWN_SID)) {
    assert.equal(isValidSid(s), true, name);
    assert.equal(sidFromBytes(sidToBytes(s)).sid, s, name);
  }
  assert.equal(WELL_KNOWN_SID.EVERYONE, 'S-1-1-0');
  assert.equal(WELL_KNOWN_SID.AUTHENTICATED_USERS, 'S-1-5-11');
  assert.equal(WELL_KNOWN_SID.BUILTIN_ADMINISTRATORS, 'S-1-5-32-544');
  assert.equal(WELL_KNOWN_SID.AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY, 'S-1-18-1');
  assert.equal(WELL_KNOWN_SID.SERVICE_ASSERTED_IDENTITY, 'S-1-18-2');
  assert.deepEqual(
    [DOMAIN_RID.ADMINISTRATOR, DOMAIN_RID.GUEST, DOMAIN_RID.KRBTGT, DOMAIN_RID.DOMAIN_ADMINS, DOMAIN_RID.DOMAIN_USERS],
    [500, 501, 502, 512, 513],
  );
  assert.deepEqual(
    [DOMAIN_RID.DOMAIN_COMPUTERS, DOMAIN_RID.DOMAIN_CONTROLLERS, DOMAIN_RID.SCHEMA_ADMINS, DOMAIN_RID.ENTERPRISE_ADMINS],
    [515, 516, 518, 519],
  );
  assert.equal(DOMAIN_RID.READONLY_DOMAIN_CONTROLLERS, 521);
  assert.equal(DOMAIN_RID.DENIED_RODC_PASSWORD_REPLICATION_GROUP, 572);
});

test('random SID bytes: only SidError, and every accepted SID round-trips', () => {
  let seed = 0x12345678;
  const rnd = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.alloc(rnd() % 80);
    for (let j = 0; j < b.length; j++) b[j] = rnd() & 0xff;
    if (b.length > 1 && i % 2 === 0) {
      b[0] = 1;
      b[1] %= 16;
    }
    try {
      const { sid, length } = sidFromBytes(b);
      assert.deepEqual(sidToBytes(sid), b.subarray(0, length));
    } catch (e) {
      assert.ok(e instanceof SidError, String(e));
    }
  }
});
