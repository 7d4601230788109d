// Usage-derived keys (RFC 3961 section 5.3 Kc/Ke/Ki, RFC 8009 section 5, RFC 4757 K1) depend
// only on (enctype, base key, usage, kind), and a KDC derives the same few thousands of them
// over and over. They are kept in a bounded LRU map instead of being re-derived per call.

/** Upper bound on cached derived keys (each entry is a few dozen bytes plus the map key). */
export const DERIVED_KEY_CACHE_MAX = 8192;

const cache = new Map<string, Buffer>();

/**
 * Returns the derived key for (etype, key, usage, kind), computing it with `derive` on a miss.
 * The returned buffer is shared: callers must not modify it.
 */
export function cachedDerivedKey(etype: number, key: Uint8Array, usage: number, kind: number, derive: () => Buffer): Buffer {
  // latin1 maps each byte to one UTF-16 unit: a lossless and cheap string form of the key.
  const id = `${etype}|${usage}|${kind}|${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')}`;
  const hit = cache.get(id);
  if (hit !== undefined) {
    // Re-insert so that Map iteration order is least-recently-used first.
    cache.delete(id);
    cache.set(id, hit);
    return hit;
  }
  const value = derive();
  if (cache.size >= DERIVED_KEY_CACHE_MAX) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(id, value);
  return value;
}

/** Number of cached derived keys (for tests and diagnostics). */
export function derivedKeyCacheSize(): number {
  return cache.size;
}

/** Drops every cached derived key (e.g. after key rotation, or in tests). */
export function clearDerivedKeyCache(): void {
  cache.clear();
}
