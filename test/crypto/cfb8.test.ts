import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { aesCfb8Decrypt, aesCfb8Encrypt } from '../../src/crypto/cfb8.js';
import { KrbCryptoError } from '../../src/crypto/types.js';
import { hex } from './hex.js';

// NIST SP 800-38A appendix F.3.7 (CFB8-AES128.Encrypt) and F.3.11 (CFB8-AES256.Encrypt).
const IV = hex('000102030405060708090a0b0c0d0e0f');
const PT = hex('6bc1bee22e409f96e93d7e117393172aae2d');
const NIST: { name: string; key: string; ct: string }[] = [
  { name: 'F.3.7 AES-128', key: '2b7e151628aed2a6abf7158809cf4f3c', ct: '3b79424c9c0dd436bace9e0ed4586a4f32b9' },
  {
    name: 'F.3.11 AES-256',
    key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4',
    ct: 'dc1f1a8520a64db55fcc8ac554844e889700',
  },
];

for (const v of NIST) {
  test(`AES-CFB8 SP 800-38A ${v.name}`, () => {
    assert.equal(aesCfb8Encrypt(hex(v.key), PT, IV).toString('hex'), v.ct);
    assert.deepEqual(aesCfb8Decrypt(hex(v.key), hex(v.ct), IV), PT);
  });
}

test('AES-CFB8 defaults to an all-zero IV (MS-NRPC) and round trips any length', () => {
  const key = randomBytes(16);
  for (const n of [0, 1, 8, 15, 16, 17, 100]) {
    const pt = randomBytes(n);
    const ct = aesCfb8Encrypt(key, pt);
    assert.equal(ct.length, n);
    assert.deepEqual(ct, aesCfb8Encrypt(key, pt, Buffer.alloc(16)));
    assert.deepEqual(aesCfb8Decrypt(key, ct), pt);
  }
});

test('AES-CFB8 rejects bad key and IV lengths', () => {
  assert.throws(() => aesCfb8Encrypt(Buffer.alloc(10), Buffer.alloc(8)), KrbCryptoError);
  assert.throws(() => aesCfb8Encrypt(Buffer.alloc(16), Buffer.alloc(8), Buffer.alloc(8)), KrbCryptoError);
});
