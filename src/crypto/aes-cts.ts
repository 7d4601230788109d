// AES in CBC mode with ciphertext stealing, as RFC 3962 section 5 (and RFC 8009 section 5)
// use it: the last two blocks are always swapped and the final one truncated ("CS3"), so the
// ciphertext is exactly as long as the plaintext. Built on node:crypto's AES; no AES here.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { KrbCryptoError } from './types.js';

export const AES_BLOCK = 16;
const ZERO_IV = Buffer.alloc(AES_BLOCK);

function mode(key: Uint8Array, m: 'cbc' | 'ecb'): string {
  switch (key.length) {
    case 16:
      return `aes-128-${m}`;
    case 24:
      return `aes-192-${m}`;
    case 32:
      return `aes-256-${m}`;
    default:
      throw new KrbCryptoError(`AES key must be 16, 24 or 32 bytes, got ${key.length}`);
  }
}

function checkIv(iv: Uint8Array): void {
  if (iv.length !== AES_BLOCK) throw new KrbCryptoError(`AES-CTS IV must be ${AES_BLOCK} bytes`);
}

function cbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const c = createCipheriv(mode(key, 'cbc'), key, iv).setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

function cbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const d = createDecipheriv(mode(key, 'cbc'), key, iv).setAutoPadding(false);
  return Buffer.concat([d.update(data), d.final()]);
}

/** AES-ECB of whole blocks (the `E` of RFC 3961 DR when the input is one block). */
export function aesEcbEncrypt(key: Uint8Array, data: Uint8Array): Buffer {
  if (data.length % AES_BLOCK !== 0) throw new KrbCryptoError('AES-ECB input must be whole blocks');
  const c = createCipheriv(mode(key, 'ecb'), key, null).setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/**
 * AES-CTS encryption. Inputs shorter than one block are refused: RFC 3962 section 5 would pad
 * them, which loses the length; Kerberos never produces them (the confounder is a full block).
 */
export function aesCtsEncrypt(key: Uint8Array, plaintext: Uint8Array, iv: Uint8Array = ZERO_IV): Buffer {
  checkIv(iv);
  const n = plaintext.length;
  if (n < AES_BLOCK) throw new KrbCryptoError(`AES-CTS input must be at least ${AES_BLOCK} bytes, got ${n}`);
  // A single block is plain CBC (RFC 3962 section 5: "simply encrypted").
  if (n === AES_BLOCK) return cbcEncrypt(key, iv, plaintext);
  const blocks = Math.ceil(n / AES_BLOCK);
  const tail = n - (blocks - 1) * AES_BLOCK; // 1..16 bytes in the last block
  // CBC over the zero-padded plaintext, then swap the last two ciphertext blocks and cut the
  // (now) last one to the tail length: XORing the zero padding with C[n-1] is exactly the
  // "stolen" ciphertext of the RFC 2040 section 8 description.
  const padded = Buffer.alloc(blocks * AES_BLOCK);
  padded.set(plaintext);
  const c = cbcEncrypt(key, iv, padded);
  const lastFull = (blocks - 2) * AES_BLOCK;
  return Buffer.concat([
    c.subarray(0, lastFull),
    c.subarray(lastFull + AES_BLOCK, lastFull + 2 * AES_BLOCK),
    c.subarray(lastFull, lastFull + tail),
  ]);
}

/** AES-CTS decryption; the inverse of aesCtsEncrypt. */
export function aesCtsDecrypt(key: Uint8Array, ciphertext: Uint8Array, iv: Uint8Array = ZERO_IV): Buffer {
  checkIv(iv);
  const n = ciphertext.length;
  if (n < AES_BLOCK) throw new KrbCryptoError(`AES-CTS input must be at least ${AES_BLOCK} bytes, got ${n}`);
  if (n === AES_BLOCK) return cbcDecrypt(key, iv, ciphertext);
  const blocks = Math.ceil(n / AES_BLOCK);
  const tail = n - (blocks - 1) * AES_BLOCK;
  const lastFull = (blocks - 2) * AES_BLOCK;
  // Layout: C[1..n-2] | C[n] | head of C[n-1] (tail bytes). D(C[n]) = (P[n] || 0) xor C[n-1],
  // which yields both P[n] and the stolen end of C[n-1]. One ECB context decrypts every block
  // (ECB keeps no state between update calls) and the CBC chaining is done here.
  const ecb = createDecipheriv(mode(key, 'ecb'), key, null).setAutoPadding(false);
  const d = ecb.update(ciphertext.subarray(0, lastFull + AES_BLOCK)); // D(C[1..n-2]) | D(C[n])
  const cPrev = Buffer.alloc(AES_BLOCK); // C[n-1]
  cPrev.set(ciphertext.subarray(lastFull + AES_BLOCK));
  d.copy(cPrev, tail, lastFull + tail, lastFull + AES_BLOCK);
  const dPrev = ecb.update(cPrev); // D(C[n-1])
  const out = Buffer.allocUnsafe(n);
  // P[i] = D(C[i]) xor C[i-1], with C[0] = IV.
  for (let i = 0; i < lastFull; i++) {
    out[i] = d[i] ^ (i < AES_BLOCK ? iv[i] : ciphertext[i - AES_BLOCK]);
  }
  for (let i = 0; i < AES_BLOCK; i++) {
    out[lastFull + i] = dPrev[i] ^ (lastFull === 0 ? iv[i] : ciphertext[lastFull - AES_BLOCK + i]);
  }
  for (let i = 0; i < tail; i++) out[lastFull + AES_BLOCK + i] = d[lastFull + i] ^ cPrev[i];
  return out;
}
