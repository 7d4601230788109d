// RFC 4757 rc4-hmac (23) and its KERB_CHECKSUM_HMAC_MD5 (-138). Weak: used only where an
// account or policy asks for it (the registry marks it so).

import { createHash, createHmac } from 'node:crypto';
import { asKrbCryptoError, checkBuffer, checkKey, checkUsage, safeEqual } from './checks.js';
import { cachedDerivedKey } from './key-cache.js';
import { ntHash } from './nt-owf.js';
import { random } from './random.js';
import { rc4 } from './rc4.js';
import { CKSUMTYPE, ETYPE, KrbCryptoError, type ChecksumProfile, type EnctypeProfile } from './types.js';

export const RC4_HMAC_NAME = 'arcfour-hmac';
const KEY_BYTES = 16;
const CHECKSUM_BYTES = 16;
const CONFOUNDER_BYTES = 8;
/** RFC 4757 section 5: "signaturekey" including its terminating zero octet. */
const SIGNATURE_KEY = Buffer.from('signaturekey\0', 'latin1');
/** Cache "kinds" for the two rc4-hmac derived keys (distinct from the RFC 3961 0x99/0xAA/0x55). */
const KIND_K1 = 0x100;
const KIND_KSIGN = 0x101;

/**
 * Kerberos key usage -> RFC 4757 message type T. RFC 4757 section 4 maps usage 3 (AS-REP
 * encrypted part) to 8 and GSS Wrap data to 13 (which GSS code asks for as usage 23, as MIT
 * krb5 does). Its table also lists 9 -> 8, but Windows uses 9 for the TGS-REP part under the
 * authenticator subkey (MIT krb5 and Heimdal, which interoperate with AD, both keep 9), so 9
 * stays 9. Every other usage is T itself.
 */
export function rc4HmacMessageType(usage: number): number {
  switch (usage) {
    case 3:
      return 8;
    case 23:
      return 13;
    default:
      return usage;
  }
}

function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

function hmacMd5(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** RFC 4757 section 3: the key is the NT hash of the password; the salt is not used. */
export function rc4HmacStringToKey(password: string): Buffer {
  return ntHash(password);
}

/** K1 = HMAC-MD5(K, T) with T as 4 bytes little-endian (RFC 4757 section 6); K2 = K1. */
function k1(key: Uint8Array, usage: number): Buffer {
  return cachedDerivedKey(ETYPE.RC4_HMAC, key, usage, KIND_K1, () => hmacMd5(key, le32(rc4HmacMessageType(usage))));
}

/**
 * RFC 4757 section 6 ENCRYPT with an explicit 8-byte confounder (for known-answer tests):
 * checksum = HMAC(K2, conf | data); K3 = HMAC(K1, checksum); output checksum | RC4(K3, conf | data).
 */
export function rc4HmacEncryptWithConfounder(key: Buffer, usage: number, confounder: Buffer, plaintext: Buffer): Buffer {
  checkKey(key, KEY_BYTES, RC4_HMAC_NAME);
  checkUsage(usage);
  checkBuffer(plaintext, 'plaintext');
  if (confounder.length !== CONFOUNDER_BYTES) throw new KrbCryptoError(`confounder must be ${CONFOUNDER_BYTES} bytes`);
  const kUsage = k1(key, usage);
  const data = Buffer.concat([confounder, plaintext]);
  const checksum = hmacMd5(kUsage, data);
  const k3 = hmacMd5(kUsage, checksum);
  return Buffer.concat([checksum, rc4(k3, data)]);
}

export function rc4HmacDecrypt(key: Buffer, usage: number, ciphertext: Buffer): Buffer {
  checkKey(key, KEY_BYTES, RC4_HMAC_NAME);
  checkUsage(usage);
  checkBuffer(ciphertext, 'ciphertext');
  if (ciphertext.length < CHECKSUM_BYTES + CONFOUNDER_BYTES) {
    throw new KrbCryptoError(`${RC4_HMAC_NAME} ciphertext too short (${ciphertext.length} bytes)`);
  }
  return asKrbCryptoError(`${RC4_HMAC_NAME} decrypt`, () => {
    const kUsage = k1(key, usage);
    const checksum = ciphertext.subarray(0, CHECKSUM_BYTES);
    const data = rc4(hmacMd5(kUsage, checksum), ciphertext.subarray(CHECKSUM_BYTES));
    if (!safeEqual(hmacMd5(kUsage, data), checksum)) {
      throw new KrbCryptoError(`${RC4_HMAC_NAME} integrity check failed`);
    }
    return data.subarray(CONFOUNDER_BYTES);
  });
}

/**
 * KERB_CHECKSUM_HMAC_MD5 (RFC 4757 section 5): Ksign = HMAC-MD5(K, "signaturekey\0");
 * tmp = MD5(T | data); checksum = HMAC-MD5(Ksign, tmp). Any key length is accepted: MS-SFU's
 * PA-FOR-USER uses this checksum with the TGT session key whatever its enctype.
 */
export function hmacMd5Checksum(key: Buffer | undefined, usage: number, data: Buffer): Buffer {
  if (!(key instanceof Uint8Array) || key.length === 0) throw new KrbCryptoError('hmac-md5 checksum needs a key');
  checkUsage(usage);
  checkBuffer(data, 'data');
  const ksign = cachedDerivedKey(ETYPE.RC4_HMAC, key, 0, KIND_KSIGN, () => hmacMd5(key, SIGNATURE_KEY));
  const tmp = createHash('md5').update(le32(rc4HmacMessageType(usage))).update(data).digest();
  return hmacMd5(ksign, tmp);
}

export const rc4HmacEnctype: EnctypeProfile = {
  etype: ETYPE.RC4_HMAC,
  name: RC4_HMAC_NAME,
  keyBytes: KEY_BYTES,
  checksumType: CKSUMTYPE.HMAC_MD5,
  weak: true,
  stringToKey: (password) => asKrbCryptoError(`${RC4_HMAC_NAME} string-to-key`, () => rc4HmacStringToKey(password)),
  randomKey: () => random(KEY_BYTES),
  encrypt: (key, usage, plaintext) =>
    asKrbCryptoError(`${RC4_HMAC_NAME} encrypt`, () =>
      rc4HmacEncryptWithConfounder(key, usage, random(CONFOUNDER_BYTES), plaintext),
    ),
  decrypt: rc4HmacDecrypt,
};

export const hmacMd5ChecksumProfile: ChecksumProfile = {
  cksumtype: CKSUMTYPE.HMAC_MD5,
  name: 'hmac-md5',
  size: CHECKSUM_BYTES,
  etype: ETYPE.RC4_HMAC,
  make: (key, usage, data) => asKrbCryptoError('hmac-md5 checksum', () => hmacMd5Checksum(key, usage, data)),
  verify: (key, usage, data, cksum) =>
    asKrbCryptoError('hmac-md5 checksum', () => safeEqual(hmacMd5Checksum(key, usage, data), cksum)),
};
