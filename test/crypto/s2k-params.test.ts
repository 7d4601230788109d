import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_S2K_ITERATIONS, pbkdf2Iterations, s2kParams } from '../../src/crypto/s2k-params.js';
import { KrbCryptoError } from '../../src/crypto/types.js';

test('s2kparams are a 4-byte big-endian iteration count (RFC 3962 section 4)', () => {
  assert.equal(s2kParams(4096).toString('hex'), '00001000');
  assert.equal(s2kParams(32768).toString('hex'), '00008000');
  assert.equal(pbkdf2Iterations(Buffer.from('00001000', 'hex'), 1), 4096);
  assert.equal(pbkdf2Iterations(undefined, 4096), 4096);
  assert.equal(pbkdf2Iterations(Buffer.alloc(0), 32768), 32768);
});

test('s2kparams of the wrong length, 0 (2**32) or above the limit are refused', () => {
  assert.throws(() => pbkdf2Iterations(Buffer.alloc(3), 1), KrbCryptoError);
  assert.throws(() => pbkdf2Iterations(Buffer.alloc(5), 1), KrbCryptoError);
  assert.throws(() => pbkdf2Iterations(Buffer.alloc(4), 1), KrbCryptoError);
  assert.throws(() => pbkdf2Iterations(s2kParams(MAX_S2K_ITERATIONS + 1), 1), KrbCryptoError);
  assert.equal(pbkdf2Iterations(s2kParams(MAX_S2K_ITERATIONS), 1), MAX_S2K_ITERATIONS);
  assert.ok(MAX_S2K_ITERATIONS >= 50_000); // RFC 3962 section 4: a limit SHOULD be no less
});
