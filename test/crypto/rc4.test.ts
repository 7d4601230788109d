import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rc4, rc4 } from '../../src/crypto/rc4.js';
import { KrbCryptoError } from '../../src/crypto/types.js';
import { hex } from './hex.js';

// RFC 6229 section 2 keystream (key, offset, 16 keystream bytes at that offset).
const RFC6229: { key: string; offset: number; stream: string }[] = [
  { key: '0102030405', offset: 0, stream: 'b2 39 63 05 f0 3d c0 27 cc c3 52 4a 0a 11 18 a8' },
  { key: '0102030405', offset: 16, stream: '69 82 94 4f 18 fc 82 d5 89 c4 03 a4 7a 0d 09 19' },
  { key: '0102030405', offset: 240, stream: '28 cb 11 32 c9 6c e2 86 42 1d ca ad b8 b6 9e ae' },
  { key: '0102030405', offset: 1024, stream: '30 ab bc c7 c2 0b 01 60 9f 23 ee 2d 5f 6b b7 df' },
  { key: '01020304050607', offset: 0, stream: '29 3f 02 d4 7f 37 c9 b6 33 f2 af 52 85 fe b4 6b' },
  { key: '01020304050607', offset: 16, stream: 'e6 20 f1 39 0d 19 bd 84 e2 e0 fd 75 20 31 af c1' },
  { key: '0102030405060708', offset: 0, stream: '97 ab 8a 1b f0 af b9 61 32 f2 f6 72 58 da 15 a8' },
  { key: '0102030405060708090a0b0c0d0e0f10', offset: 0, stream: '9a c7 cc 9a 60 9d 1e f7 b2 93 28 99 cd e4 1b 97' },
  { key: '0102030405060708090a0b0c0d0e0f10', offset: 16, stream: '52 48 c4 95 90 14 12 6a 6e 8a 84 f1 1d 1a 9e 1c' },
];

for (const v of RFC6229) {
  test(`RC4 RFC 6229 key ${v.key} offset ${v.offset}`, () => {
    const ks = rc4(hex(v.key), Buffer.alloc(v.offset + 16));
    assert.deepEqual(ks.subarray(v.offset), hex(v.stream));
  });
}

test('Rc4 keeps a running keystream across calls', () => {
  const r = new Rc4(hex('0102030405'));
  assert.deepEqual(r.process(Buffer.alloc(16)), hex(RFC6229[0].stream));
  assert.deepEqual(r.process(Buffer.alloc(16)), hex(RFC6229[1].stream));
});

test('RC4 is its own inverse', () => {
  const key = Buffer.from('Key');
  const pt = Buffer.from('Plaintext');
  const ct = rc4(key, pt);
  assert.equal(ct.toString('hex'), 'bbf316e8d940af0ad3'); // the classic "Key"/"Plaintext" example
  assert.deepEqual(rc4(key, ct), pt);
});

test('RC4 rejects empty and over-long keys', () => {
  assert.throws(() => new Rc4(Buffer.alloc(0)), KrbCryptoError);
  assert.throws(() => new Rc4(Buffer.alloc(257)), KrbCryptoError);
});
