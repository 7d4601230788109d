import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import {
  rc4HmacDecrypt,
  rc4HmacEncryptWithConfounder,
  rc4HmacMessageType,
} from '../../src/crypto/rc4-hmac.js';
import { rc4 } from '../../src/crypto/rc4.js';
import { checksumProfile, enctypeProfile } from '../../src/crypto/registry.js';
import { KrbCryptoError } from '../../src/crypto/types.js';
import { hex } from './hex.js';

const RC4 = enctypeProfile(23);

test('RFC 4757 section 3: string-to-key("foo") is the NT hash, and the salt is ignored', () => {
  const foo = 'ac8e657f83df82beea5d43bdaf7800cc';
  assert.equal(RC4.stringToKey('foo', '').toString('hex'), foo);
  assert.equal(RC4.stringToKey('foo', 'EXAMPLE.TESTalice').toString('hex'), foo);
  assert.equal(RC4.stringToKey('password', 'x').toString('hex'), '8846f7eaee8fb117ad06bdd830b7586c');
});

test('rc4-hmac encryption follows RFC 4757 section 6 step by step', () => {
  const key = hex('4ba2fbf0379faed87a254d3b353d5a7e');
  const conf = hex('0102030405060708');
  const data = Buffer.from('hello rc4-hmac');
  const t = Buffer.from([8, 0, 0, 0]); // usage 3 -> T = 8, little-endian
  const k1 = createHmac('md5', key).update(t).digest();
  const checksum = createHmac('md5', k1).update(conf).update(data).digest();
  const k3 = createHmac('md5', k1).update(checksum).digest();
  const expected = Buffer.concat([checksum, rc4(k3, Buffer.concat([conf, data]))]);
  assert.deepEqual(rc4HmacEncryptWithConfounder(key, 3, conf, data), expected);
  assert.deepEqual(rc4HmacDecrypt(key, 3, expected), data);
  // Usage 3 and message type 8 are the same key stream.
  assert.deepEqual(rc4HmacDecrypt(key, 8, expected), data);
});

test('rc4-hmac usage translation (RFC 4757 section 4)', () => {
  const table: [number, number][] = [
    [1, 1],
    [2, 2],
    [3, 8],
    [7, 7],
    [8, 8],
    [9, 9],
    [11, 11],
    [12, 12],
    [17, 17],
    [23, 13],
  ];
  for (const [usage, t] of table) assert.equal(rc4HmacMessageType(usage), t, `usage ${usage}`);
});

test('hmac-md5 checksum is HMAC(HMAC(K, "signaturekey\\0"), MD5(T LE32 | data)) (RFC 4757 section 5)', () => {
  const key = Buffer.alloc(32, 7); // an AES session key, as in MS-SFU PA-FOR-USER
  const data = Buffer.from('PA-FOR-USER S4UByteArray');
  const ksign = createHmac('md5', key).update(Buffer.from('signaturekey\0')).digest();
  const tmp = createHash('md5').update(Buffer.from([17, 0, 0, 0])).update(data).digest();
  const expected = createHmac('md5', ksign).update(tmp).digest();
  assert.deepEqual(checksumProfile(-138).make(key, 17, data), expected);
});

test('rc4-hmac rejects bad keys and short ciphertexts with KrbCryptoError', () => {
  assert.throws(() => RC4.decrypt(Buffer.alloc(32), 1, Buffer.alloc(40)), KrbCryptoError);
  assert.throws(() => RC4.decrypt(Buffer.alloc(16), 1, Buffer.alloc(23)), KrbCryptoError);
  assert.throws(() => RC4.decrypt(Buffer.alloc(16), 1, Buffer.alloc(24)), KrbCryptoError);
  assert.throws(() => checksumProfile(-138).make(undefined, 1, Buffer.alloc(1)), KrbCryptoError);
});
