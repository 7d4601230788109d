// String-to-key parameters of the PBKDF2-based enctypes: four octets, an unsigned big-endian
// iteration count (RFC 3962 section 4, reused by RFC 8009 section 4).

import { KrbCryptoError } from './types.js';

/**
 * Upper bound on an accepted iteration count. RFC 3962 section 4 lets implementations limit the
 * count to stop a spoofed ETYPE-INFO2 from burning CPU, with a limit of at least 50,000.
 */
export const MAX_S2K_ITERATIONS = 10_000_000;

/** The iteration count in params, or defaultCount when params is absent or empty. */
export function pbkdf2Iterations(params: Uint8Array | undefined, defaultCount: number): number {
  if (params === undefined || params.length === 0) return defaultCount;
  if (params.length !== 4) throw new KrbCryptoError(`s2kparams must be 4 bytes, got ${params.length}`);
  const raw = Buffer.from(params.buffer, params.byteOffset, 4).readUInt32BE(0);
  // 00 00 00 00 means 2**32 iterations (RFC 3962 section 4), which is above any sane limit.
  const count = raw === 0 ? 2 ** 32 : raw;
  if (count > MAX_S2K_ITERATIONS) throw new KrbCryptoError(`s2k iteration count ${count} exceeds ${MAX_S2K_ITERATIONS}`);
  return count;
}

/** Encodes an iteration count as s2kparams (for ETYPE-INFO2). */
export function s2kParams(iterations: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(iterations >>> 0, 0);
  return b;
}
