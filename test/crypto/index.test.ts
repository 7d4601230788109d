import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from '../../src/crypto/index.js';

test('the crypto index re-exports the public API', () => {
  for (const name of [
    'KrbCryptoError',
    'ETYPE',
    'CKSUMTYPE',
    'KEY_USAGE',
    'ENCTYPE_PREFERENCE',
    'enctypeProfile',
    'findEnctype',
    'findEnctypeByName',
    'checksumProfile',
    'findChecksum',
    'checksumTypeForEnctype',
    'supportedEnctypes',
    'ntHash',
    'md4',
    'rc4',
    'Rc4',
    'nfold',
    'aesCfb8Encrypt',
    'aesCfb8Decrypt',
    'aesCtsEncrypt',
    'aesCtsDecrypt',
    's2kParams',
    'MAX_S2K_ITERATIONS',
    'clearDerivedKeyCache',
  ]) {
    assert.ok(name in crypto, name);
  }
  assert.equal(crypto.ntHash('password').toString('hex'), '8846f7eaee8fb117ad06bdd830b7586c');
  assert.equal(crypto.enctypeProfile(crypto.ETYPE.AES256_CTS_HMAC_SHA1_96).keyBytes, 32);
});
