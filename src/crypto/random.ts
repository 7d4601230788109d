// Confounders and random keys (RFC 3961 section 5.3 requires a fresh random confounder per
// message). randomBytes() costs a call into OpenSSL per confounder; drawing small slices from a
// pooled buffer refilled with randomFillSync is several times cheaper at KDC request rates.

import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let used = POOL_SIZE;

/** n cryptographically random bytes, in a buffer the caller owns. */
export function random(n: number): Buffer {
  if (n > POOL_SIZE / 8) return randomBytes(n);
  if (used + n > POOL_SIZE) {
    randomFillSync(pool);
    used = 0;
  }
  const out = Buffer.from(pool.subarray(used, used + n));
  // Bytes handed out are wiped from the pool so they exist only in the caller's copy.
  pool.fill(0, used, used + n);
  used += n;
  return out;
}
