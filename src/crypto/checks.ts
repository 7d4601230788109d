// Argument checks shared by the enctype profiles. Every failure is a KrbCryptoError so that
// callers (the KDC, GSS) can map it to a protocol error without catching anything else.

import { timingSafeEqual } from 'node:crypto';
import { KrbCryptoError } from './types.js';

/** Key usages are unsigned 32-bit numbers (RFC 3961 section 5.3 encodes them in 4 bytes). */
export function checkUsage(usage: number): void {
  if (!Number.isInteger(usage) || usage < 0 || usage > 0xffffffff) {
    throw new KrbCryptoError(`invalid key usage ${String(usage)}`);
  }
}

export function checkKey(key: Uint8Array | undefined, bytes: number, name: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) throw new KrbCryptoError(`${name} needs a key`);
  if (key.length !== bytes) throw new KrbCryptoError(`${name} key must be ${bytes} bytes, got ${key.length}`);
}

export function checkBuffer(data: unknown, what: string): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) throw new KrbCryptoError(`${what} must be a Buffer`);
}

/** Constant-time equality that is false (not an exception) for different lengths. */
export function safeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Runs fn, turning any non-KrbCryptoError (a node:crypto surprise) into a KrbCryptoError. */
export function asKrbCryptoError<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KrbCryptoError) throw e;
    throw new KrbCryptoError(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
