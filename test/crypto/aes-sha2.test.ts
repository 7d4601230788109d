import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AES128_SHA256,
  AES256_SHA384,
  aesSha2Checksum,
  aesSha2Decrypt,
  aesSha2DerivedKey,
  aesSha2EncryptWithConfounder,
  aesSha2StringToKey,
  type AesSha2Spec,
} from '../../src/crypto/aes-sha2.js';
import { KEY_KIND } from '../../src/crypto/dk.js';
import { checksumProfile, enctypeProfile } from '../../src/crypto/registry.js';
import { s2kParams } from '../../src/crypto/s2k-params.js';
import { KrbCryptoError } from '../../src/crypto/types.js';
import { hex } from './hex.js';

// RFC 8009 appendix A. All vectors use key usage 2 and the default (zero) cipher state.
const BASE128 = hex('3705d96080c17728a0e800eab6e0d23c');
const BASE256 = hex('6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52');

// "Sample results for string-to-key conversion": iteration count 32768, the salt is 16 random
// bytes followed by "ATHENA.MIT.EDUraeburn" (the enctype-name prefix is added by the function).
const S2K_SALT = Buffer.concat([hex('10df9dd783e5bc8acea1730e74355f61'), Buffer.from('ATHENA.MIT.EDUraeburn')]);
const S2K: { spec: AesSha2Spec; key: string }[] = [
  { spec: AES128_SHA256, key: '089bca48b105ea6ea77ca5d2f39dc5e7' },
  { spec: AES256_SHA384, key: '45bd806dbf6a833a9cffc1c94589a222367a79bc21c413718906e9f578a78467' },
];

for (const v of S2K) {
  test(`RFC 8009 A string-to-key ${v.spec.name}`, () => {
    assert.equal(aesSha2StringToKey(v.spec, Buffer.from('password'), S2K_SALT, s2kParams(32768)).toString('hex'), v.key);
    // 32768 is also the default when no s2kparams are given (RFC 8009 section 4).
    assert.equal(aesSha2StringToKey(v.spec, Buffer.from('password'), S2K_SALT).toString('hex'), v.key);
  });
}

// "Sample results for key derivation".
const DERIVE: { spec: AesSha2Spec; base: Buffer; kind: number; name: string; out: string }[] = [
  { spec: AES128_SHA256, base: BASE128, kind: KEY_KIND.CHECKSUM, name: 'Kc', out: 'b31a018a48f54776f403e9a396325dc3' },
  { spec: AES128_SHA256, base: BASE128, kind: KEY_KIND.ENCRYPTION, name: 'Ke', out: '9b197dd1e8c5609d6e67c3e37c62c72e' },
  { spec: AES128_SHA256, base: BASE128, kind: KEY_KIND.INTEGRITY, name: 'Ki', out: '9fda0e56ab2d85e1569a688696c26a6c' },
  {
    spec: AES256_SHA384,
    base: BASE256,
    kind: KEY_KIND.CHECKSUM,
    name: 'Kc',
    out: 'ef5718be86cc84963d8bbb5031e9f5c4ba41f28faf69e73d',
  },
  {
    spec: AES256_SHA384,
    base: BASE256,
    kind: KEY_KIND.ENCRYPTION,
    name: 'Ke',
    out: '56ab22bee63d82d7bc5227f6773f8ea7a5eb1c825160c38312980c442e5c7e49',
  },
  {
    spec: AES256_SHA384,
    base: BASE256,
    kind: KEY_KIND.INTEGRITY,
    name: 'Ki',
    out: '69b16514e3cd8e56b82010d5c73012b622c4d00ffc23ed1f',
  },
];

for (const v of DERIVE) {
  test(`RFC 8009 A key derivation ${v.spec.name} ${v.name}`, () => {
    assert.equal(aesSha2DerivedKey(v.spec, v.base, 2, v.kind).toString('hex'), v.out);
  });
}

// "Sample encryptions": plaintext, confounder, expected ciphertext (AES output || HMAC).
const ENCRYPT: { spec: AesSha2Spec; base: Buffer; plain: string; conf: string; out: string }[] = [
  {
    spec: AES128_SHA256,
    base: BASE128,
    plain: '',
    conf: '7e5895eaf2672435bad817f545a37148',
    out: 'ef85fb890bb8472f4dab20394dca781dad877eda39d50c870c0d5a0a8e48c718',
  },
  {
    spec: AES128_SHA256,
    base: BASE128,
    plain: '000102030405',
    conf: '7bca285e2fd4130fb55b1a5c83bc5b24',
    out: '84d7f30754ed987bab0bf3506beb09cfb55402cef7e6877ce99e247e52d16ed4421dfdf8976c',
  },
  {
    spec: AES128_SHA256,
    base: BASE128,
    plain: '000102030405060708090a0b0c0d0e0f',
    conf: '56ab21713ff62c0a1457200f6fa9948f',
    out: '3517d640f50ddc8ad3628722b3569d2ae07493fa8263254080ea65c1008e8fc295fb4852e7d83e1e7c48c37eebe6b0d3',
  },
  {
    spec: AES128_SHA256,
    base: BASE128,
    plain: '000102030405060708090a0b0c0d0e0f1011121314',
    conf: 'a7a4e29a4728ce10664fb64e49ad3fac',
    out: '720f73b18d9859cd6ccb4346115cd336c70f58edc0c4437c5573544c31c813bce1e6d072c186b39a413c2f92ca9b8334a287ffcbfc',
  },
  {
    spec: AES256_SHA384,
    base: BASE256,
    plain: '',
    conf: 'f764e9fa15c276478b2c7d0c4e5f58e4',
    out: '41f53fa5bfe7026d91faf9be959195a058707273a96a40f0a01960621ac612748b9bbfbe7eb4ce3c',
  },
  {
    spec: AES256_SHA384,
    base: BASE256,
    plain: '000102030405',
    conf: 'b80d3251c1f6471494256ffe712d0b9a',
    out: '4ed7b37c2bcac8f74f23c1cf07e62bc7b75fb3f637b9f559c7f664f69eab7b6092237526ea0d1f61cb20d69d10f2',
  },
  {
    spec: AES256_SHA384,
    base: BASE256,
    plain: '000102030405060708090a0b0c0d0e0f',
    conf: '53bf8a0d105265d4e276428624ce5e63',
    out: 'bc47ffec7998eb91e8115cf8d19dac4bbbe2e163e87dd37f49beca92027764f68cf51f14d798c2273f35df574d1f932e40c4ff255b36a266',
  },
  {
    spec: AES256_SHA384,
    base: BASE256,
    plain: '000102030405060708090a0b0c0d0e0f1011121314',
    conf: '763e65367e864f02f55153c7e3b58af1',
    out: '40013e2df58e8751957d2878bcd2d6fe101ccfd556cb1eae79db3c3ee86429f2b2a602ac86fef6ecb647d6295fae077a1feb517508d2c16b4192e01f62',
  },
];

for (const v of ENCRYPT) {
  const label = `${v.spec.name}, ${v.plain.length / 2}-byte plaintext`;
  test(`RFC 8009 A encryption ${label}`, () => {
    assert.equal(aesSha2EncryptWithConfounder(v.spec, v.base, 2, hex(v.conf), hex(v.plain)).toString('hex'), v.out);
  });
  test(`RFC 8009 A decryption ${label}`, () => {
    assert.equal(enctypeProfile(v.spec.etype).decrypt(v.base, 2, hex(v.out)).toString('hex'), v.plain);
  });
}

// "Sample checksums": usage 2 over the bytes 00..14.
const CKSUM_DATA = hex('000102030405060708090a0b0c0d0e0f1011121314');
const CKSUMS: { spec: AesSha2Spec; base: Buffer; out: string }[] = [
  { spec: AES128_SHA256, base: BASE128, out: 'd78367186643d67b411cba9139fc1dee' },
  { spec: AES256_SHA384, base: BASE256, out: '45ee791567eefca37f4ac1e0222de80d43c3bfa06699672a' },
];

for (const v of CKSUMS) {
  test(`RFC 8009 A checksum ${v.spec.cksumName}`, () => {
    assert.equal(aesSha2Checksum(v.spec, v.base, 2, CKSUM_DATA).toString('hex'), v.out);
    const p = checksumProfile(v.spec.cksumtype);
    assert.equal(p.size, v.out.length / 2);
    assert.equal(p.etype, v.spec.etype);
    assert.equal(p.verify(v.base, 2, CKSUM_DATA, hex(v.out)), true);
    assert.equal(p.verify(v.base, 3, CKSUM_DATA, hex(v.out)), false);
  });
}

test('aes-sha2 verifies the MAC before decrypting and rejects short input', () => {
  const v = ENCRYPT[3];
  const ct = hex(v.out);
  ct[0] ^= 1;
  assert.throws(() => aesSha2Decrypt(v.spec, v.base, 2, ct), KrbCryptoError);
  assert.throws(() => aesSha2Decrypt(v.spec, v.base, 2, ct.subarray(0, 31)), KrbCryptoError);
  assert.throws(() => aesSha2Decrypt(v.spec, v.base, 1, hex(v.out)), KrbCryptoError); // wrong usage
});
