import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checksumProfile } from '../../src/crypto/registry.js';
import { hex } from './hex.js';

// RFC 1321 A.5 (MD5) and FIPS 180 (SHA-1) test vectors.
const CASES: { cksumtype: number; data: string; out: string }[] = [
  { cksumtype: 7, data: 'abc', out: '900150983cd24fb0d6963f7d28e17f72' },
  { cksumtype: 14, data: '', out: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' },
  { cksumtype: 14, data: 'abc', out: 'a9993e364706816aba3e25717850c26c9cd0d89d' },
];

for (const v of CASES) {
  test(`unkeyed checksum ${v.cksumtype} of ${JSON.stringify(v.data)}`, () => {
    const p = checksumProfile(v.cksumtype);
    assert.equal(p.etype, undefined);
    assert.equal(p.size, hex(v.out).length);
    assert.deepEqual(p.make(undefined, 0, Buffer.from(v.data)), hex(v.out));
    assert.equal(p.verify(undefined, 0, Buffer.from(v.data), hex(v.out)), true);
    assert.equal(p.verify(undefined, 0, Buffer.from(v.data + 'x'), hex(v.out)), false);
  });
}
