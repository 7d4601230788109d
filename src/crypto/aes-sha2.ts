// RFC 8009: aes128-cts-hmac-sha256-128 (19) and aes256-cts-hmac-sha384-192 (20), and their
// checksums 19 and 20. Unlike RFC 3962 these use encrypt-then-MAC, a SP 800-108 style KDF
// instead of DK, and put the enctype name into the PBKDF2 salt.

import { createHmac, pbkdf2Sync } from 'node:crypto';
import { aesCtsDecrypt, aesCtsEncrypt, AES_BLOCK } from './aes-cts.js';
import { asKrbCryptoError, checkBuffer, checkKey, checkUsage, safeEqual } from './checks.js';
import { KEY_KIND, usageConstant } from './dk.js';
import { cachedDerivedKey } from './key-cache.js';
import { random } from './random.js';
import { pbkdf2Iterations } from './s2k-params.js';
import { CKSUMTYPE, ETYPE, KrbCryptoError, type ChecksumProfile, type EnctypeProfile } from './types.js';

/** RFC 8009 section 4: iteration count when no s2kparams are given (00 00 80 00). */
export const AES_SHA2_DEFAULT_ITERATIONS = 32768;
/** RFC 8009 section 5: the cipher state (IV) is all zeros unless a caller chains messages. */
const ZERO_IV = Buffer.alloc(AES_BLOCK);
const KERBEROS = Buffer.from('kerberos');

export interface AesSha2Spec {
  etype: number;
  name: string;
  keyBytes: number;
  hash: 'sha256' | 'sha384';
  /** h: truncated HMAC length, also the Kc and Ki length (RFC 8009 section 5). */
  macBytes: number;
  cksumtype: number;
  cksumName: string;
}

export const AES128_SHA256: AesSha2Spec = {
  etype: ETYPE.AES128_CTS_HMAC_SHA256_128,
  name: 'aes128-cts-hmac-sha256-128',
  keyBytes: 16,
  hash: 'sha256',
  macBytes: 16,
  cksumtype: CKSUMTYPE.HMAC_SHA256_128_AES128,
  cksumName: 'hmac-sha256-128-aes128',
};

export const AES256_SHA384: AesSha2Spec = {
  etype: ETYPE.AES256_CTS_HMAC_SHA384_192,
  name: 'aes256-cts-hmac-sha384-192',
  keyBytes: 32,
  hash: 'sha384',
  macBytes: 24,
  cksumtype: CKSUMTYPE.HMAC_SHA384_192_AES256,
  cksumName: 'hmac-sha384-192-aes256',
};

/**
 * KDF-HMAC-SHA2(key, label, k) = k-truncate(HMAC(key, 00000001 | label | 00 | k)), with k in
 * bits as a 32-bit big-endian number (RFC 8009 section 3). One HMAC block always suffices here:
 * no output is longer than the hash.
 */
export function kdfHmacSha2(spec: AesSha2Spec, key: Uint8Array, label: Uint8Array, outBytes: number): Buffer {
  const counter = Buffer.from([0, 0, 0, 1]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(outBytes * 8, 0);
  return createHmac(spec.hash, key)
    .update(counter)
    .update(label)
    .update(Buffer.from([0]))
    .update(length)
    .digest()
    .subarray(0, outBytes);
}

/** RFC 8009 section 4: saltp = enctype-name | 0x00 | salt; key = KDF(PBKDF2(...), "kerberos"). */
export function aesSha2StringToKey(spec: AesSha2Spec, password: Uint8Array, salt: Uint8Array, params?: Uint8Array): Buffer {
  const iterations = pbkdf2Iterations(params, AES_SHA2_DEFAULT_ITERATIONS);
  const saltp = Buffer.concat([Buffer.from(spec.name), Buffer.from([0]), salt]);
  const tkey = pbkdf2Sync(password, saltp, iterations, spec.keyBytes, spec.hash);
  return kdfHmacSha2(spec, tkey, KERBEROS, spec.keyBytes);
}

/** RFC 8009 section 5: Kc and Ki are h bytes long, Ke is the key length. */
function derivedLength(spec: AesSha2Spec, kind: number): number {
  return kind === KEY_KIND.ENCRYPTION ? spec.keyBytes : spec.macBytes;
}

/** Kc, Ke or Ki = KDF-HMAC-SHA2(base, usage | kind, length) (RFC 8009 section 5), cached. */
export function aesSha2DerivedKey(spec: AesSha2Spec, key: Uint8Array, usage: number, kind: number): Buffer {
  return cachedDerivedKey(spec.etype, key, usage, kind, () =>
    kdfHmacSha2(spec, key, usageConstant(usage, kind), derivedLength(spec, kind)),
  );
}

function mac(spec: AesSha2Spec, key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac(spec.hash, key);
  for (const p of parts) h.update(p);
  return h.digest().subarray(0, spec.macBytes);
}

/**
 * RFC 8009 section 5 encryption with an explicit confounder (exposed for the appendix A
 * known-answer tests): C = E(Ke, conf | plaintext, IV = 0); H = HMAC(Ki, IV | C); output C | H.
 */
export function aesSha2EncryptWithConfounder(
  spec: AesSha2Spec,
  key: Buffer,
  usage: number,
  confounder: Buffer,
  plaintext: Buffer,
): Buffer {
  checkKey(key, spec.keyBytes, spec.name);
  checkUsage(usage);
  checkBuffer(plaintext, 'plaintext');
  if (confounder.length !== AES_BLOCK) throw new KrbCryptoError(`confounder must be ${AES_BLOCK} bytes`);
  const ke = aesSha2DerivedKey(spec, key, usage, KEY_KIND.ENCRYPTION);
  const ki = aesSha2DerivedKey(spec, key, usage, KEY_KIND.INTEGRITY);
  const c = aesCtsEncrypt(ke, Buffer.concat([confounder, plaintext]), ZERO_IV);
  return Buffer.concat([c, mac(spec, ki, ZERO_IV, c)]);
}

export function aesSha2Decrypt(spec: AesSha2Spec, key: Buffer, usage: number, ciphertext: Buffer): Buffer {
  checkKey(key, spec.keyBytes, spec.name);
  checkUsage(usage);
  checkBuffer(ciphertext, 'ciphertext');
  if (ciphertext.length < AES_BLOCK + spec.macBytes) {
    throw new KrbCryptoError(`${spec.name} ciphertext too short (${ciphertext.length} bytes)`);
  }
  return asKrbCryptoError(`${spec.name} decrypt`, () => {
    const ke = aesSha2DerivedKey(spec, key, usage, KEY_KIND.ENCRYPTION);
    const ki = aesSha2DerivedKey(spec, key, usage, KEY_KIND.INTEGRITY);
    const split = ciphertext.length - spec.macBytes;
    const c = ciphertext.subarray(0, split);
    // Encrypt-then-MAC: verify before decrypting anything.
    if (!safeEqual(mac(spec, ki, ZERO_IV, c), ciphertext.subarray(split))) {
      throw new KrbCryptoError(`${spec.name} integrity check failed`);
    }
    return aesCtsDecrypt(ke, c, ZERO_IV).subarray(AES_BLOCK);
  });
}

/** RFC 8009 section 5 checksum: HMAC(Kc, data) truncated to h bytes. */
export function aesSha2Checksum(spec: AesSha2Spec, key: Buffer | undefined, usage: number, data: Buffer): Buffer {
  checkKey(key, spec.keyBytes, spec.cksumName);
  checkUsage(usage);
  checkBuffer(data, 'data');
  return mac(spec, aesSha2DerivedKey(spec, key, usage, KEY_KIND.CHECKSUM), data);
}

export function aesSha2Enctype(spec: AesSha2Spec): EnctypeProfile {
  return {
    etype: spec.etype,
    name: spec.name,
    keyBytes: spec.keyBytes,
    checksumType: spec.cksumtype,
    weak: false,
    stringToKey: (password, salt, params) =>
      asKrbCryptoError(`${spec.name} string-to-key`, () =>
        aesSha2StringToKey(spec, Buffer.from(password, 'utf8'), Buffer.from(salt, 'utf8'), params),
      ),
    randomKey: () => random(spec.keyBytes),
    encrypt: (key, usage, plaintext) =>
      asKrbCryptoError(`${spec.name} encrypt`, () =>
        aesSha2EncryptWithConfounder(spec, key, usage, random(AES_BLOCK), plaintext),
      ),
    decrypt: (key, usage, ciphertext) => aesSha2Decrypt(spec, key, usage, ciphertext),
  };
}

export function aesSha2ChecksumProfile(spec: AesSha2Spec): ChecksumProfile {
  return {
    cksumtype: spec.cksumtype,
    name: spec.cksumName,
    size: spec.macBytes,
    etype: spec.etype,
    make: (key, usage, data) => asKrbCryptoError(spec.cksumName, () => aesSha2Checksum(spec, key, usage, data)),
    verify: (key, usage, data, cksum) =>
      asKrbCryptoError(spec.cksumName, () => safeEqual(aesSha2Checksum(spec, key, usage, data), cksum)),
  };
}
