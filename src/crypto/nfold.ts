// RFC 3961 section 5.1 n-fold: stretches or shrinks a constant to the cipher block size.

import { KrbCryptoError } from './types.js';

/** Rotates a k-byte string right by `bits` bits (bits may exceed 8k). */
function rotateRight(input: Uint8Array, bits: number): Uint8Array {
  const k = input.length;
  const r = bits % (8 * k);
  const q = Math.floor(r / 8);
  const b = r % 8;
  const out = new Uint8Array(k);
  for (let j = 0; j < k; j++) {
    const hi = input[(j - q + k) % k];
    const lo = input[(j - q - 1 + 2 * k) % k];
    out[j] = ((hi >>> b) | (lo << (8 - b))) & 0xff;
  }
  return out;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * n-fold(input) to outBytes bytes: replicate the input to lcm(k, n) bytes, each copy rotated
 * 13 bits right of the previous, then add the n-byte chunks with one's-complement addition
 * (end-around carry), as RFC 3961 section 5.1 specifies.
 */
export function nfold(input: Uint8Array, outBytes: number): Buffer {
  const k = input.length;
  if (k === 0 || outBytes <= 0) throw new KrbCryptoError('n-fold needs a non-empty input and output');
  const lcm = (k * outBytes) / gcd(k, outBytes);
  const sum = new Array<number>(outBytes).fill(0);
  let pos = 0;
  for (let copy = 0; copy < lcm / k; copy++) {
    const rotated = rotateRight(input, 13 * copy);
    for (let j = 0; j < k; j++, pos++) sum[pos % outBytes] += rotated[j];
  }
  // Byte-wise sums carry from the last (least significant) byte up; the carry out of the
  // first byte wraps to the last (one's-complement addition), until nothing is left.
  let carry = 0;
  do {
    for (let j = outBytes - 1; j >= 0; j--) {
      const v = sum[j] + carry;
      sum[j] = v & 0xff;
      carry = v >>> 8;
    }
  } while (carry !== 0);
  return Buffer.from(sum);
}
