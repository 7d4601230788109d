// RFC 3961 section 5.1 DR and DK, and the section 5.3 usage constants, for the RFC 3962
// AES enctypes (whose random-to-key is the identity, RFC 3962 section 6).

import { aesEcbEncrypt, AES_BLOCK } from './aes-cts.js';
import { nfold } from './nfold.js';

/** The last byte of the RFC 3961 section 5.3 derivation constant: which key is derived. */
export const KEY_KIND = {
  CHECKSUM: 0x99, // Kc
  ENCRYPTION: 0xaa, // Ke
  INTEGRITY: 0x55, // Ki
} as const;

/** usage (4 bytes big-endian) || kind byte (RFC 3961 section 5.3). */
export function usageConstant(usage: number, kind: number): Buffer {
  const c = Buffer.alloc(5);
  c.writeUInt32BE(usage >>> 0, 0);
  c[4] = kind;
  return c;
}

/**
 * DR(Key, Constant) = k-truncate(E(Key, Constant) || E(Key, E(Key, Constant)) || ...), with the
 * constant first n-folded to the block size. E on exactly one block with a zero IV is AES-ECB.
 */
export function dr(key: Uint8Array, constant: Uint8Array, outBytes: number): Buffer {
  let block: Buffer = constant.length === AES_BLOCK ? Buffer.from(constant) : nfold(constant, AES_BLOCK);
  const parts: Buffer[] = [];
  let have = 0;
  while (have < outBytes) {
    block = aesEcbEncrypt(key, block);
    parts.push(block);
    have += block.length;
  }
  return Buffer.concat(parts).subarray(0, outBytes);
}

/** DK(Key, Constant) = random-to-key(DR(Key, Constant)); random-to-key is the identity for AES. */
export function dk(key: Uint8Array, constant: Uint8Array): Buffer {
  return dr(key, constant, key.length);
}
