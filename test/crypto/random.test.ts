import { test } from 'node:test';
import assert from 'node:assert/strict';
import { random } from '../../src/crypto/random.js';

test('random returns independent buffers of the requested length', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const r = random(16);
    assert.equal(r.length, 16);
    seen.add(r.toString('hex'));
  }
  assert.equal(seen.size, 2000); // crosses several pool refills
  const a = random(8);
  const copy = Buffer.from(a);
  random(8);
  assert.deepEqual(a, copy, 'a handed-out buffer is not reused by the pool');
  assert.equal(random(0).length, 0);
  assert.equal(random(10_000).length, 10_000);
});
