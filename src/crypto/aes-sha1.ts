// RFC 3962: aes128-cts-hmac-sha1-96 (17) and aes256-cts-hmac-sha1-96 (18), an instance of the
// RFC 3961 section 5.3 "simplified profile", and their checksums 15 and 16.

import { createHmac, pbkdf2Sync } from 'node:crypto';
import { aesCtsDecrypt, aesCtsEncrypt, AES_BLOCK } from './aes-cts.js';
import { asKrbCryptoError, checkBuffer, checkKey, checkUsage, safeEqual } from './checks.js';
import { dk, KEY_KIND, usageConstant } from './dk.js';
import { cachedDerivedKey } from './key-cache.js';
import { random } from './random.js';
import { pbkdf2Iterations } from './s2k-params.js';
import { CKSUMTYPE, ETYPE, KrbCryptoError, type ChecksumProfile, type EnctypeProfile } from './types.js';

/** RFC 3962 section 6: HMAC output size h = 12 octets. */
const HMAC_BYTES = 12;
/** RFC 3962 section 4: iteration count when no s2kparams are given. */
export const AES_SHA1_DEFAULT_ITERATIONS = 4096;
const KERBEROS = Buffer.from('kerberos');

export interface AesSha1Spec {
  etype: number;
  name: string;
  keyBytes: number;
  cksumtype: number;
  cksumName: string;
}

export const AES128_SHA1: AesSha1Spec = {
  etype: ETYPE.AES128_CTS_HMAC_SHA1_96,
  name: 'aes128-cts-hmac-sha1-96',
  keyBytes: 16,
  cksumtype: CKSUMTYPE.HMAC_SHA1_96_AES128,
  cksumName: 'hmac-sha1-96-aes128',
};

export const AES256_SHA1: AesSha1Spec = {
  etype: ETYPE.AES256_CTS_HMAC_SHA1_96,
  name: 'aes256-cts-hmac-sha1-96',
  keyBytes: 32,
  cksumtype: CKSUMTYPE.HMAC_SHA1_96_AES256,
  cksumName: 'hmac-sha1-96-aes256',
};

/** RFC 3962 section 4: key = DK(PBKDF2-HMAC-SHA1(password, salt, iterations, keylength), "kerberos"). */
export function aesSha1StringToKey(spec: AesSha1Spec, password: Uint8Array, salt: Uint8Array, params?: Uint8Array): Buffer {
  const iterations = pbkdf2Iterations(params, AES_SHA1_DEFAULT_ITERATIONS);
  const tkey = pbkdf2Sync(password, salt, iterations, spec.keyBytes, 'sha1');
  return dk(tkey, KERBEROS);
}

/** The aes128 and aes256 string-to-key results for one password and salt. */
export interface AesSha1KeyPair {
  aes128: Buffer;
  aes256: Buffer;
}

/**
 * Both RFC 3962 string-to-keys (etypes 17 and 18) from one PBKDF2 run. PBKDF2 (RFC 8018
 * section 5.2) computes its output block by block, T_i = F(password, salt, c, i), and a
 * dkLen-byte result is the first dkLen bytes of T_1 | T_2 | ...; so the 16-byte PBKDF2 output
 * aes128 needs is the first 16 bytes of the 32-byte output aes256 needs. Deriving 32 bytes
 * once costs 2 HMAC-SHA1 block chains instead of 3 (2 for aes256 + 1 for aes128).
 * random-to-key is the identity for AES; each key is then DK(tkey, "kerberos").
 */
export function aesSha1KeysFromPassword(password: Uint8Array, salt: Uint8Array, params?: Uint8Array): AesSha1KeyPair {
  const iterations = pbkdf2Iterations(params, AES_SHA1_DEFAULT_ITERATIONS);
  const tkey = pbkdf2Sync(password, salt, iterations, AES256_SHA1.keyBytes, 'sha1');
  return {
    aes128: dk(tkey.subarray(0, AES128_SHA1.keyBytes), KERBEROS),
    aes256: dk(tkey, KERBEROS),
  };
}

/** aesSha1KeysFromPassword for UTF-8 strings (as EnctypeProfile.stringToKey takes them). */
export function aesSha1KeysFromPasswordString(password: string, salt: string, params?: Uint8Array): AesSha1KeyPair {
  return asKrbCryptoError('aes-cts-hmac-sha1-96 string-to-key', () =>
    aesSha1KeysFromPassword(Buffer.from(password, 'utf8'), Buffer.from(salt, 'utf8'), params),
  );
}

/** Kc, Ke or Ki for a usage (RFC 3961 section 5.3), from the bounded cache. */
export function aesSha1DerivedKey(spec: AesSha1Spec, key: Uint8Array, usage: number, kind: number): Buffer {
  return cachedDerivedKey(spec.etype, key, usage, kind, () => dk(key, usageConstant(usage, kind)));
}

function hmacSha1(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('sha1', key);
  for (const p of parts) h.update(p);
  return h.digest().subarray(0, HMAC_BYTES);
}

/**
 * RFC 3961 section 5.3 encryption with an explicit confounder (exposed for known-answer tests):
 * E(Ke, conf | plaintext) | H(Ki, conf | plaintext)[0..12).
 */
export function aesSha1EncryptWithConfounder(
  spec: AesSha1Spec,
  key: Buffer,
  usage: number,
  confounder: Buffer,
  plaintext: Buffer,
): Buffer {
  checkKey(key, spec.keyBytes, spec.name);
  checkUsage(usage);
  checkBuffer(plaintext, 'plaintext');
  if (confounder.length !== AES_BLOCK) throw new KrbCryptoError(`confounder must be ${AES_BLOCK} bytes`);
  const ke = aesSha1DerivedKey(spec, key, usage, KEY_KIND.ENCRYPTION);
  const ki = aesSha1DerivedKey(spec, key, usage, KEY_KIND.INTEGRITY);
  const data = Buffer.concat([confounder, plaintext]);
  return Buffer.concat([aesCtsEncrypt(ke, data), hmacSha1(ki, data)]);
}

export function aesSha1Decrypt(spec: AesSha1Spec, key: Buffer, usage: number, ciphertext: Buffer): Buffer {
  checkKey(key, spec.keyBytes, spec.name);
  checkUsage(usage);
  checkBuffer(ciphertext, 'ciphertext');
  if (ciphertext.length < AES_BLOCK + HMAC_BYTES) {
    throw new KrbCryptoError(`${spec.name} ciphertext too short (${ciphertext.length} bytes)`);
  }
  return asKrbCryptoError(`${spec.name} decrypt`, () => {
    const ke = aesSha1DerivedKey(spec, key, usage, KEY_KIND.ENCRYPTION);
    const ki = aesSha1DerivedKey(spec, key, usage, KEY_KIND.INTEGRITY);
    const split = ciphertext.length - HMAC_BYTES;
    const data = aesCtsDecrypt(ke, ciphertext.subarray(0, split));
    // The MAC covers the plaintext here (RFC 3961 5.3), so it can only be checked after decrypting.
    if (!safeEqual(hmacSha1(ki, data), ciphertext.subarray(split))) {
      throw new KrbCryptoError(`${spec.name} integrity check failed`);
    }
    return data.subarray(AES_BLOCK);
  });
}

/** RFC 3961 section 5.4 keyed checksum: HMAC-SHA1(Kc, data) truncated to 12 bytes. */
export function aesSha1Checksum(spec: AesSha1Spec, key: Buffer | undefined, usage: number, data: Buffer): Buffer {
  checkKey(key, spec.keyBytes, spec.cksumName);
  checkUsage(usage);
  checkBuffer(data, 'data');
  return hmacSha1(aesSha1DerivedKey(spec, key, usage, KEY_KIND.CHECKSUM), data);
}

export function aesSha1Enctype(spec: AesSha1Spec): EnctypeProfile {
  return {
    etype: spec.etype,
    name: spec.name,
    keyBytes: spec.keyBytes,
    checksumType: spec.cksumtype,
    weak: false,
    stringToKey: (password, salt, params) =>
      asKrbCryptoError(`${spec.name} string-to-key`, () =>
        aesSha1StringToKey(spec, Buffer.from(password, 'utf8'), Buffer.from(salt, 'utf8'), params),
      ),
    randomKey: () => random(spec.keyBytes),
    encrypt: (key, usage, plaintext) =>
      asKrbCryptoError(`${spec.name} encrypt`, () =>
        aesSha1EncryptWithConfounder(spec, key, usage, random(AES_BLOCK), plaintext),
      ),
    decrypt: (key, usage, ciphertext) => aesSha1Decrypt(spec, key, usage, ciphertext),
  };
}

export function aesSha1ChecksumProfile(spec: AesSha1Spec): ChecksumProfile {
  return {
    cksumtype: spec.cksumtype,
    name: spec.cksumName,
    size: HMAC_BYTES,
    etype: spec.etype,
    make: (key, usage, data) => asKrbCryptoError(spec.cksumName, () => aesSha1Checksum(spec, key, usage, data)),
    verify: (key, usage, data, cksum) =>
      asKrbCryptoError(spec.cksumName, () => safeEqual(aesSha1Checksum(spec, key, usage, data), cksum)),
  };
}
