import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AES128_SHA1,
  AES256_SHA1,
  aesSha1Decrypt,
  aesSha1KeysFromPassword,
  aesSha1KeysFromPasswordString,
  aesSha1StringToKey,
} from '../../src/crypto/aes-sha1.js';
import { enctypeProfile } from '../../src/crypto/registry.js';
import { s2kParams } from '../../src/crypto/s2k-params.js';
import { KrbCryptoError } from '../../src/crypto/types.js';
import { hex } from './hex.js';

// RFC 3962 appendix B string-to-key vectors.
const RFC3962_S2K: { iterations: number; password: Buffer; salt: Buffer; key128: string; key256: string }[] = [
  {
    iterations: 1,
    password: Buffer.from('password'),
    salt: Buffer.from('ATHENA.MIT.EDUraeburn'),
    key128: '42263c6e89f4fc28b8df68ee09799f15',
    key256: 'fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161',
  },
  {
    iterations: 2,
    password: Buffer.from('password'),
    salt: Buffer.from('ATHENA.MIT.EDUraeburn'),
    key128: 'c651bf29e2300ac27fa469d693bdda13',
    key256: 'a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff',
  },
  {
    iterations: 1200,
    password: Buffer.from('password'),
    salt: Buffer.from('ATHENA.MIT.EDUraeburn'),
    key128: '4c01cd46d632d01e6dbe230a01ed642a',
    key256: '55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a',
  },
  {
    iterations: 5,
    password: Buffer.from('password'),
    salt: hex('1234567878563412'),
    key128: 'e9b23d52273747dd5c35cb55be619d8e',
    key256: '97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31',
  },
  {
    iterations: 1200,
    password: Buffer.from('X'.repeat(64)),
    salt: Buffer.from('pass phrase equals block size'),
    key128: '59d1bb789a828b1aa54ef9c2883f69ed',
    key256: '89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34',
  },
  {
    iterations: 1200,
    password: Buffer.from('X'.repeat(65)),
    salt: Buffer.from('pass phrase exceeds block size'),
    key128: 'cb8005dc5f90179a7f02104c0018751d',
    key256: 'd78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b',
  },
  {
    iterations: 50,
    password: hex('f09d849e'), // U+1D11E MUSICAL SYMBOL G CLEF in UTF-8
    salt: Buffer.from('EXAMPLE.COMpianist'),
    key128: 'f149c1f2e154a73452d43e7fe62a56e5',
    key256: '4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e',
  },
];

for (const v of RFC3962_S2K) {
  const label = `${v.iterations} iterations, salt ${JSON.stringify(v.salt.toString('latin1'))}`;
  test(`RFC 3962 B string-to-key aes128 (${label})`, () => {
    assert.equal(aesSha1StringToKey(AES128_SHA1, v.password, v.salt, s2kParams(v.iterations)).toString('hex'), v.key128);
  });
  test(`RFC 3962 B string-to-key aes256 (${label})`, () => {
    assert.equal(aesSha1StringToKey(AES256_SHA1, v.password, v.salt, s2kParams(v.iterations)).toString('hex'), v.key256);
  });
}

test('one PBKDF2 for both: aesSha1KeysFromPassword equals the two string-to-keys over the RFC 3962 B vectors', () => {
  for (const v of RFC3962_S2K) {
    const params = s2kParams(v.iterations);
    const both = aesSha1KeysFromPassword(v.password, v.salt, params);
    assert.equal(both.aes128.toString('hex'), v.key128, `aes128, ${v.iterations} iterations`);
    assert.equal(both.aes256.toString('hex'), v.key256, `aes256, ${v.iterations} iterations`);
    assert.deepEqual(both.aes128, aesSha1StringToKey(AES128_SHA1, v.password, v.salt, params));
    assert.deepEqual(both.aes256, aesSha1StringToKey(AES256_SHA1, v.password, v.salt, params));
  }
});

test('aesSha1KeysFromPasswordString: the profiles\' stringToKey at the default 4096 iterations, UTF-8 strings', () => {
  for (const [password, salt] of [
    ['Secret123', 'EXAMPLE.TESTalice'],
    ['\u{1D11E}', 'EXAMPLE.COMpianist'],
    ['p\u00e4ssw\u00f6rd', 'EXAMPLE.TESThostweb.example.test'],
  ]) {
    const both = aesSha1KeysFromPasswordString(password, salt);
    assert.deepEqual(both.aes128, enctypeProfile(17).stringToKey(password, salt));
    assert.deepEqual(both.aes256, enctypeProfile(18).stringToKey(password, salt));
  }
  assert.equal(aesSha1KeysFromPasswordString('\u{1D11E}', 'EXAMPLE.COMpianist', s2kParams(50)).aes256.toString('hex'), RFC3962_S2K[6].key256);
  assert.throws(() => aesSha1KeysFromPasswordString('pw', 'SALT', Buffer.from([0, 1])), KrbCryptoError);
});

test('profile stringToKey takes UTF-8 strings (the g-clef vector through the public API)', () => {
  const p = enctypeProfile(18);
  assert.equal(
    p.stringToKey('\u{1D11E}', 'EXAMPLE.COMpianist', s2kParams(50)).toString('hex'),
    '4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e',
  );
});

test('default string-to-key parameters are 4096 iterations (RFC 3962 section 4)', () => {
  const p = enctypeProfile(17);
  assert.deepEqual(p.stringToKey('pw', 'SALT'), p.stringToKey('pw', 'SALT', s2kParams(4096)));
  assert.notDeepEqual(p.stringToKey('pw', 'SALT'), p.stringToKey('pw', 'SALT', s2kParams(4095)));
});

test('malformed s2kparams throw KrbCryptoError', () => {
  const p = enctypeProfile(18);
  assert.throws(() => p.stringToKey('pw', 'SALT', Buffer.from([0, 1])), KrbCryptoError);
  assert.throws(() => p.stringToKey('pw', 'SALT', Buffer.from([0, 0, 0, 0])), KrbCryptoError); // 2**32
  assert.throws(() => p.stringToKey('pw', 'SALT', Buffer.from([0xff, 0xff, 0xff, 0xff])), KrbCryptoError);
});

test('aes-sha1 decrypt rejects wrong key sizes and short input with KrbCryptoError', () => {
  const key = Buffer.alloc(16, 1);
  assert.throws(() => aesSha1Decrypt(AES128_SHA1, Buffer.alloc(32), 1, Buffer.alloc(40)), KrbCryptoError);
  assert.throws(() => aesSha1Decrypt(AES128_SHA1, key, 1, Buffer.alloc(27)), KrbCryptoError);
  assert.throws(() => aesSha1Decrypt(AES128_SHA1, key, 1, Buffer.alloc(28)), KrbCryptoError); // bad MAC
});
