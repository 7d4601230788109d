import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { aesCtsDecrypt, aesCtsEncrypt } from '../../src/crypto/aes-cts.js';
import { KrbCryptoError } from '../../src/crypto/types.js';
import { hex } from './hex.js';

// RFC 3962 appendix B: CBC with ciphertext stealing, AES-128 key "chicken teriyaki", zero IV.
const KEY = hex('636869636b656e207465726979616b69');
const RFC3962_CTS: { input: string; output: string }[] = [
  {
    input: '4920776f756c64206c696b652074686520',
    output: 'c6353568f2bf8cb4d8a580362da7ff7f97',
  },
  {
    input: '4920776f756c64206c696b65207468652047656e6572616c20476175277320',
    output: 'fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5',
  },
  {
    input: '4920776f756c64206c696b65207468652047656e6572616c2047617527732043',
    output: '39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584',
  },
  {
    input: '4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c',
    output: '97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5',
  },
  {
    input: '4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c20',
    output: '97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8',
  },
  {
    input:
      '4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c20616e6420776f6e746f6e20736f75702e',
    output:
      '97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a84807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8',
  },
];

for (const v of RFC3962_CTS) {
  const n = v.input.length / 2;
  test(`AES-CTS RFC 3962 appendix B, ${n}-byte input: encrypt`, () => {
    assert.equal(aesCtsEncrypt(KEY, hex(v.input)).toString('hex'), v.output);
  });
  test(`AES-CTS RFC 3962 appendix B, ${n}-byte input: decrypt`, () => {
    assert.equal(aesCtsDecrypt(KEY, hex(v.output)).toString('hex'), v.input);
  });
}

test('AES-CTS round trips 16..80 bytes with AES-128 and AES-256 and a non-zero IV', () => {
  for (const keyLen of [16, 32]) {
    const key = randomBytes(keyLen);
    const iv = randomBytes(16);
    for (let n = 16; n <= 80; n++) {
      const pt = randomBytes(n);
      const ct = aesCtsEncrypt(key, pt, iv);
      assert.equal(ct.length, n);
      assert.deepEqual(aesCtsDecrypt(key, ct, iv), pt);
    }
  }
});

test('AES-CTS refuses inputs shorter than a block, bad keys and bad IVs', () => {
  assert.throws(() => aesCtsEncrypt(KEY, Buffer.alloc(15)), KrbCryptoError);
  assert.throws(() => aesCtsDecrypt(KEY, Buffer.alloc(0)), KrbCryptoError);
  assert.throws(() => aesCtsEncrypt(Buffer.alloc(15), Buffer.alloc(16)), KrbCryptoError);
  assert.throws(() => aesCtsEncrypt(KEY, Buffer.alloc(16), Buffer.alloc(8)), KrbCryptoError);
});
