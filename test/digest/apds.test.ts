// MS-APDS 2.2.5 DIGEST_VALIDATION_REQ / DIGEST_VALIDATION_RESP layout and bounded decoding.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ALG_TYPE,
  ApdsFormatError,
  CHARSET_TYPE,
  DIGEST_TYPE,
  QOP_TYPE,
  decodeDigestValidationReq,
  decodeDigestValidationResp,
  encodeDigestValidationReq,
  encodeDigestValidationResp,
  validationRequestFromReq,
  type DigestValidationReq,
} from '../../src/digest/index.js';

const REQ: DigestValidationReq = {
  digestType: DIGEST_TYPE.HTTP,
  qopType: QOP_TYPE.AUTH,
  algType: ALG_TYPE.MD5_SESS,
  charsetType: CHARSET_TYPE.UTF_8,
  nameFormat: 1,
  flags: 0x4,
  username: 'zoë',
  realm: 'example.test',
  nonce: 'n',
  cnonce: 'c',
  nonceCount: '00000001',
  algorithm: 'MD5-sess',
  qop: 'auth',
  method: 'GET',
  uri: '/x',
  response: 'f'.repeat(32),
  hentity: '',
  authzid: '',
  accountName: 'zoë',
  domain: 'EXAMPLE',
  serverName: 'WEB',
};

test('REQ: header fields at their offsets, payload strings in order, round trip', () => {
  const b = encodeDigestValidationReq(REQ);
  assert.equal(b.readUInt32LE(0), 0x1a);
  assert.equal(b.readUInt16LE(4), 1);
  assert.equal(b.readUInt16LE(6), b.length);
  assert.equal(b.readUInt16LE(16), b.length - 40);
  assert.equal(b.readUInt16LE(22), Buffer.byteLength('zoë', 'utf16le'));
  assert.equal(b.subarray(40, 40 + Buffer.byteLength('zoë') + 1).toString('utf8'), 'zoë\0');
  assert.deepEqual(decodeDigestValidationReq(b), REQ);
  const v = validationRequestFromReq(REQ);
  assert.equal(v?.algorithm, 'MD5-sess');
  assert.equal(validationRequestFromReq({ ...REQ, qopType: QOP_TYPE.AUTH_INT, qop: 'auth-int' }), undefined);
  assert.equal(validationRequestFromReq({ ...REQ, algType: 9 }), undefined);
});

test('REQ: truncated, unterminated or mislabelled input is ApdsFormatError', () => {
  const b = encodeDigestValidationReq(REQ);
  const cases = [Buffer.alloc(0), b.subarray(0, 39), b.subarray(0, b.length - 1), Buffer.concat([Buffer.from([0x1b]), b.subarray(1)])];
  const unterminated = Buffer.from(b);
  unterminated.fill(0x41, 40);
  cases.push(unterminated);
  for (const c of cases) assert.throws(() => decodeDigestValidationReq(c), ApdsFormatError);
});

test('RESP: layout (80 fixed bytes, SessionKeyLength 33) and round trip', () => {
  const r = { status: 0, sessionKey: 'a'.repeat(32), authData: Buffer.from('pac-bytes'), accountName: 'alice' };
  const b = encodeDigestValidationResp(r);
  assert.equal(b.readUInt32LE(0), 0x0a);
  assert.equal(b.readUInt16LE(12), 33);
  assert.equal(b.readUInt32LE(24), b.length);
  assert.equal(b[64], 0);
  assert.equal(b.subarray(80, 89).toString(), 'pac-bytes');
  assert.deepEqual(decodeDigestValidationResp(b), r);
  assert.throws(() => decodeDigestValidationResp(b.subarray(0, 85)), ApdsFormatError);
});
