import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  ENCTYPE_PREFERENCE,
  checksumProfile,
  checksumTypeForEnctype,
  enctypeProfile,
  findChecksum,
  findEnctype,
  findEnctypeByName,
  supportedEnctypes,
} from '../../src/crypto/registry.js';
import { CKSUMTYPE, ETYPE, KEY_USAGE, KrbCryptoError } from '../../src/crypto/types.js';

const ALL_ETYPES = [17, 18, 19, 20, 23];
const USAGES = [0, ...new Set(Object.values(KEY_USAGE)), 22, 23, 24, 25, 1024, 0xffffffff];

test('the registry has one row per enctype with the RFC numbers, names and sizes', () => {
  const rows = ALL_ETYPES.map((e) => {
    const p = enctypeProfile(e);
    return [p.etype, p.name, p.keyBytes, p.checksumType, p.weak];
  });
  assert.deepEqual(rows, [
    [17, 'aes128-cts-hmac-sha1-96', 16, 15, false],
    [18, 'aes256-cts-hmac-sha1-96', 32, 16, false],
    [19, 'aes128-cts-hmac-sha256-128', 16, 19, false],
    [20, 'aes256-cts-hmac-sha384-192', 32, 20, false],
    [23, 'arcfour-hmac', 16, -138, true],
  ]);
});

test('ENCTYPE_PREFERENCE is strongest first: AES-SHA1, AES-SHA2, RC4 last', () => {
  assert.deepEqual([...ENCTYPE_PREFERENCE], [18, 17, 20, 19, 23]);
  assert.deepEqual([...supportedEnctypes()].sort((a, b) => a - b), ALL_ETYPES);
  assert.ok(Object.isFrozen(ENCTYPE_PREFERENCE));
});

test('unknown enctypes and checksums: find* return undefined, *Profile throw KrbCryptoError', () => {
  for (const e of [0, 1, 3, 16, 24, 25, 26, -1, 65536]) {
    assert.equal(findEnctype(e), undefined);
    assert.throws(() => enctypeProfile(e), KrbCryptoError);
    assert.throws(() => checksumTypeForEnctype(e), KrbCryptoError);
  }
  for (const c of [0, 1, 2, 8, 12, -137, 0x8003]) {
    assert.equal(findChecksum(c), undefined);
    assert.throws(() => checksumProfile(c), KrbCryptoError);
  }
});

test('checksumTypeForEnctype pairs each enctype with its RFC checksum', () => {
  assert.equal(checksumTypeForEnctype(ETYPE.AES128_CTS_HMAC_SHA1_96), CKSUMTYPE.HMAC_SHA1_96_AES128);
  assert.equal(checksumTypeForEnctype(ETYPE.AES256_CTS_HMAC_SHA1_96), CKSUMTYPE.HMAC_SHA1_96_AES256);
  assert.equal(checksumTypeForEnctype(ETYPE.AES128_CTS_HMAC_SHA256_128), CKSUMTYPE.HMAC_SHA256_128_AES128);
  assert.equal(checksumTypeForEnctype(ETYPE.AES256_CTS_HMAC_SHA384_192), CKSUMTYPE.HMAC_SHA384_192_AES256);
  assert.equal(checksumTypeForEnctype(ETYPE.RC4_HMAC), CKSUMTYPE.HMAC_MD5);
  for (const e of ALL_ETYPES) assert.equal(checksumProfile(checksumTypeForEnctype(e)).etype, e);
});

test('findEnctypeByName accepts MIT names and aliases', () => {
  assert.equal(findEnctypeByName('aes256-cts-hmac-sha1-96')?.etype, 18);
  assert.equal(findEnctypeByName('AES128-CTS-HMAC-SHA256-128')?.etype, 19);
  assert.equal(findEnctypeByName('rc4-hmac')?.etype, 23);
  assert.equal(findEnctypeByName('arcfour-hmac')?.etype, 23);
  assert.equal(findEnctypeByName('aes256-sha2')?.etype, 20);
  assert.equal(findEnctypeByName('des-cbc-crc'), undefined);
});

for (const etype of ALL_ETYPES) {
  const p = enctypeProfile(etype);

  test(`${p.name}: encrypt -> decrypt round trip for every usage and several lengths`, () => {
    const key = p.randomKey();
    assert.equal(key.length, p.keyBytes);
    for (const usage of USAGES) {
      for (const n of [0, 1, 15, 16, 17, 31, 32, 33, 100]) {
        const pt = randomBytes(n);
        const ct = p.encrypt(key, usage, pt);
        assert.deepEqual(p.decrypt(key, usage, ct), pt, `usage ${usage}, ${n} bytes`);
      }
    }
  });

  test(`${p.name}: encryption is randomized (fresh confounder each call)`, () => {
    const key = p.randomKey();
    const pt = Buffer.from('same plaintext');
    assert.notDeepEqual(p.encrypt(key, 2, pt), p.encrypt(key, 2, pt));
  });

  test(`${p.name}: a flipped bit anywhere makes decrypt throw KrbCryptoError`, () => {
    const key = p.randomKey();
    const ct = p.encrypt(key, 11, Buffer.from('an authenticator of some length'));
    for (let bit = 0; bit < ct.length * 8; bit++) {
      const bad = Buffer.from(ct);
      bad[bit >> 3] ^= 1 << (bit & 7);
      assert.throws(() => p.decrypt(key, 11, bad), KrbCryptoError, `bit ${bit}`);
    }
  });

  test(`${p.name}: truncated, extended and empty ciphertexts throw KrbCryptoError`, () => {
    const key = p.randomKey();
    const ct = p.encrypt(key, 3, Buffer.from('enc-kdc-rep-part'));
    for (let n = 0; n < ct.length; n++) {
      assert.throws(() => p.decrypt(key, 3, ct.subarray(0, n)), KrbCryptoError, `first ${n} bytes`);
      assert.throws(() => p.decrypt(key, 3, ct.subarray(ct.length - n)), KrbCryptoError, `last ${n} bytes`);
    }
    assert.throws(() => p.decrypt(key, 3, Buffer.concat([ct, Buffer.from([0])])), KrbCryptoError);
    assert.throws(() => p.decrypt(key, 3, Buffer.alloc(0)), KrbCryptoError);
  });

  test(`${p.name}: wrong key, wrong usage, garbage and bad arguments throw only KrbCryptoError`, () => {
    const key = p.randomKey();
    const ct = p.encrypt(key, 7, Buffer.from('tgs-req authenticator'));
    assert.throws(() => p.decrypt(p.randomKey(), 7, ct), KrbCryptoError);
    assert.throws(() => p.decrypt(key, 6, ct), KrbCryptoError);
    for (let n = 0; n < 120; n++) assert.throws(() => p.decrypt(key, 7, randomBytes(n)), KrbCryptoError, `${n} random bytes`);
    assert.throws(() => p.decrypt(Buffer.alloc(p.keyBytes + 1), 7, ct), KrbCryptoError);
    assert.throws(() => p.decrypt(Buffer.alloc(0), 7, ct), KrbCryptoError);
    for (const usage of [-1, 1.5, 2 ** 32, Number.NaN]) {
      assert.throws(() => p.decrypt(key, usage, ct), KrbCryptoError, `usage ${usage}`);
      assert.throws(() => p.encrypt(key, usage, Buffer.alloc(1)), KrbCryptoError, `usage ${usage}`);
    }
    const notABuffer = null as unknown as Buffer;
    assert.throws(() => p.decrypt(key, 7, notABuffer), KrbCryptoError);
    assert.throws(() => p.decrypt(notABuffer, 7, ct), KrbCryptoError);
    assert.throws(() => p.encrypt(key, 7, notABuffer), KrbCryptoError);
  });

  test(`${p.name}: keyed checksum make/verify round trip`, () => {
    const c = checksumProfile(p.checksumType);
    const key = p.randomKey();
    const data = randomBytes(77);
    for (const usage of [KEY_USAGE.KERB_NON_KERB_CKSUM_SALT, KEY_USAGE.TGS_REQ_AUTH_CKSUM, KEY_USAGE.KRB_SAFE_CKSUM]) {
      const sum = c.make(key, usage, data);
      assert.equal(sum.length, c.size);
      assert.equal(c.verify(key, usage, data, sum), true);
      assert.equal(c.verify(key, usage + 1, data, sum), false);
      assert.equal(c.verify(p.randomKey(), usage, data, sum), false);
      const flipped = Buffer.from(data);
      flipped[0] ^= 0x80;
      assert.equal(c.verify(key, usage, flipped, sum), false);
      assert.equal(c.verify(key, usage, data, Buffer.alloc(0)), false);
      assert.equal(c.verify(key, usage, data, Buffer.concat([sum, Buffer.alloc(1)])), false);
    }
  });
}
