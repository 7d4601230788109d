import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aesSha1DerivedKey, AES256_SHA1 } from '../../src/crypto/aes-sha1.js';
import { KEY_KIND } from '../../src/crypto/dk.js';
import {
  cachedDerivedKey,
  clearDerivedKeyCache,
  DERIVED_KEY_CACHE_MAX,
  derivedKeyCacheSize,
} from '../../src/crypto/key-cache.js';

test('a derived key is computed once and then served from the cache', () => {
  clearDerivedKeyCache();
  let calls = 0;
  const key = Buffer.alloc(16, 3);
  const derive = () => {
    calls++;
    return Buffer.from([calls]);
  };
  const a = cachedDerivedKey(99, key, 5, 0xaa, derive);
  const b = cachedDerivedKey(99, Buffer.from(key), 5, 0xaa, derive);
  assert.equal(calls, 1);
  assert.equal(a, b);
  // Each part of the cache key matters.
  cachedDerivedKey(98, key, 5, 0xaa, derive);
  cachedDerivedKey(99, key, 6, 0xaa, derive);
  cachedDerivedKey(99, key, 5, 0x55, derive);
  cachedDerivedKey(99, Buffer.alloc(16, 4), 5, 0xaa, derive);
  assert.equal(calls, 5);
});

test('the cache never grows beyond its bound and evicts the least recently used entry', () => {
  clearDerivedKeyCache();
  const base = Buffer.alloc(32, 9);
  const first = aesSha1DerivedKey(AES256_SHA1, base, 0, KEY_KIND.ENCRYPTION);
  for (let usage = 1; usage < DERIVED_KEY_CACHE_MAX + 500; usage++) {
    if (usage % 1000 === 0) aesSha1DerivedKey(AES256_SHA1, base, 0, KEY_KIND.ENCRYPTION); // keep usage 0 hot
    aesSha1DerivedKey(AES256_SHA1, base, usage, KEY_KIND.ENCRYPTION);
    assert.ok(derivedKeyCacheSize() <= DERIVED_KEY_CACHE_MAX);
  }
  assert.equal(derivedKeyCacheSize(), DERIVED_KEY_CACHE_MAX);
  // The hot entry survived eviction: the very same buffer comes back.
  assert.equal(aesSha1DerivedKey(AES256_SHA1, base, 0, KEY_KIND.ENCRYPTION), first);
  clearDerivedKeyCache();
  assert.equal(derivedKeyCacheSize(), 0);
});
