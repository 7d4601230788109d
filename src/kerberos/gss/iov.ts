// RFC 3961 5.3 encryption with sign-only buffers (the "IOV" form GSS_WrapEx uses, MS-KILE
// 3.4.5.4.1 / MS-RPCE 3.3.1.5.2.2): for a DCE/RPC PDU with header signing the PDU header and the
// sec_trailer are integrity-protected but travel in the clear, while the stub is encrypted in place.
//
// For the simplified profile (RFC 3962 aes*-cts-hmac-sha1-96) that means, with a fresh confounder:
//   ciphertext = AES-CTS(Ke, confounder | data | tail)            (the DATA buffers, in order)
//   hmac       = HMAC-SHA1-96(Ki, confounder | before | data | after | tail)
// i.e. the HMAC runs over every buffer in buffer order, the encryption over the encrypted ones
// only. `tail` is what RFC 4121 4.2.4 appends to a Wrap token's plaintext (EC filler octets and
// the copy of the token header). With empty sign-only buffers this is exactly the ordinary
// RFC 3961 encryption, so a peer without header signing interoperates with the plain form.
//
// Only the RFC 3962 enctypes (the ones Windows uses for RPC) are offered here; RFC 8009's MAC is
// over the ciphertext and would need its own arrangement.

import { createHmac } from 'node:crypto';
import { AES128_SHA1, AES256_SHA1, aesSha1DerivedKey, type AesSha1Spec } from '../../crypto/aes-sha1.js';
import { aesCtsDecrypt, aesCtsEncrypt, AES_BLOCK } from '../../crypto/aes-cts.js';
import { KEY_KIND } from '../../crypto/dk.js';
import { random } from '../../crypto/random.js';
import { KrbCryptoError, type Key } from '../../crypto/types.js';

const HMAC_BYTES = 12;

function specOf(key: Key): AesSha1Spec | undefined {
  return [AES128_SHA1, AES256_SHA1].find((s) => s.etype === key.etype && s.keyBytes === key.value.length);
}

/** Whether sign-only buffers are supported for this key's enctype. */
export function iovSupported(key: Key): boolean {
  return specOf(key) !== undefined;
}

export interface IovParts {
  /** Sign-only data before the encrypted data (the PDU header). */
  before: Buffer;
  /** The data that is encrypted (the stub and its padding). */
  data: Buffer;
  /** Sign-only data after it (the sec_trailer). */
  after: Buffer;
  /** Encrypted data appended after `after` in MAC order (RFC 4121 filler + header copy). */
  tail: Buffer;
}

function mac(ki: Buffer, confounder: Buffer, p: IovParts): Buffer {
  const h = createHmac('sha1', ki);
  for (const b of [confounder, p.before, p.data, p.after, p.tail]) h.update(b);
  return h.digest().subarray(0, HMAC_BYTES);
}

function spec(key: Key): AesSha1Spec {
  const s = specOf(key);
  if (!s) throw new KrbCryptoError('sign-only buffers need an aes*-cts-hmac-sha1-96 key');
  return s;
}

/** E(Ke, conf | data | tail) | H(Ki, conf | before | data | after | tail): same layout as RFC 3961 5.3. */
export function encryptIov(key: Key, usage: number, p: IovParts): Buffer {
  const s = spec(key);
  const ke = aesSha1DerivedKey(s, key.value, usage, KEY_KIND.ENCRYPTION);
  const ki = aesSha1DerivedKey(s, key.value, usage, KEY_KIND.INTEGRITY);
  const conf = random(AES_BLOCK);
  const cipher = aesCtsEncrypt(ke, Buffer.concat([conf, p.data, p.tail]));
  return Buffer.concat([cipher, mac(ki, conf, p)]);
}

/**
 * Inverse of encryptIov: `ciphertext` is E(...) | H; returns data | tail (the decrypted buffers
 * without the confounder). Throws KrbCryptoError when the HMAC does not match.
 */
export function decryptIov(key: Key, usage: number, ciphertext: Buffer, before: Buffer, after: Buffer, dataLength: number): Buffer {
  const s = spec(key);
  if (ciphertext.length < AES_BLOCK + HMAC_BYTES || dataLength < 0 || dataLength > ciphertext.length - AES_BLOCK - HMAC_BYTES) {
    throw new KrbCryptoError('IOV ciphertext too short');
  }
  const ke = aesSha1DerivedKey(s, key.value, usage, KEY_KIND.ENCRYPTION);
  const ki = aesSha1DerivedKey(s, key.value, usage, KEY_KIND.INTEGRITY);
  const split = ciphertext.length - HMAC_BYTES;
  const plain = aesCtsDecrypt(ke, ciphertext.subarray(0, split));
  const conf = plain.subarray(0, AES_BLOCK);
  const data = plain.subarray(AES_BLOCK, AES_BLOCK + dataLength);
  const tail = plain.subarray(AES_BLOCK + dataLength);
  const expect = mac(ki, conf, { before, data, after, tail });
  const got = ciphertext.subarray(split);
  let d = 0;
  for (let i = 0; i < HMAC_BYTES; i++) d |= expect[i] ^ got[i];
  if (d !== 0) throw new KrbCryptoError('IOV integrity check failed');
  return Buffer.from(plain.subarray(AES_BLOCK));
}
