// Round trips of every RFC 4120 / MS-KILE codec with realistic values (see samples.ts), plus the
// message-level rules that are not visible in a plain round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DerError,
  KerberosDecodeError,
  decodeEncKdcRepPart,
  decodeKdcReq,
  decodeKrbError,
  decodeMethodData,
  encodeMethodData,
  decodeKerbErrorData,
  decodeKerbExtError,
  decodeAuthorizationData,
  decodeEncTicketPart,
  encodeEncKdcRepPart,
  encodeEncTicketPart,
  encodeKdcRep,
  encodeKdcReq,
  encodeKdcReqBody,
  encodeKrbError,
  encodeTicket,
  encodeApReq,
  peekApplicationTag,
  MSG_TYPE,
} from '../../../src/kerberos/messages/index.js';
import { AUTHTIME, asRep, asReq, cases, encAsRepPart, encTicketPart, krbErrorExt, krbErrorPreauth, methodData, tgsReq, tgt, apReq } from './samples.js';

for (const c of cases) {
  test(`round trip: ${c.name}`, () => {
    const der = c.encode();
    assert.deepStrictEqual(c.decode(der), c.expected);
    // Decoding is a pure function of the bytes: re-encoding the decoded value is byte-identical.
    assert.deepStrictEqual(c.decode(Buffer.from(der)), c.expected);
  });
}

test('KDC-REQ: reqBodyRaw is the exact received req-body even when not canonical DER', () => {
  const body = encodeKdcReqBody(asReq.reqBody);
  // Re-encode nonce [7] with a redundant leading zero octet (non-minimal INTEGER, tolerated):
  // reqBodyRaw must keep those bytes, so a checksum computed by the client over them verifies.
  const nonceDer = Buffer.from('a707020500fedcba98', 'hex');
  const i = body.indexOf(nonceDer);
  assert.ok(i > 0);
  const bodyContent = Buffer.concat([body.subarray(seqHeaderLen(body), i), Buffer.from('a70802060000fedcba98', 'hex'), body.subarray(i + nonceDer.length)]);
  const oddBody = tlv(0x30, bodyContent);
  const msg = tlv(
    0x6a,
    tlv(0x30, Buffer.concat([tlv(0xa1, Buffer.from('020105', 'hex')), tlv(0xa2, Buffer.from('02010a', 'hex')), tlv(0xa3, encodeMethodData(asReq.padata ?? [])), tlv(0xa4, oddBody)])),
  );
  const dec = decodeKdcReq(msg);
  assert.deepStrictEqual(dec.reqBody, asReq.reqBody);
  assert.deepStrictEqual(dec.padata, asReq.padata);
  assert.deepStrictEqual(dec.reqBodyRaw, oddBody);
  assert.notDeepStrictEqual(encodeKdcReqBody(dec.reqBody), oddBody);
});

// tiny DER helpers for hand-built messages
function tlv(id: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([id, ...len]), content]);
}
function seqHeaderLen(der: Buffer): number {
  return der[1] < 0x80 ? 2 : 2 + (der[1] & 0x7f);
}

test('KDC-REQ: msg-type must match the application tag, and encode rejects other msg-types', () => {
  const der = encodeKdcReq(asReq);
  const bad = Buffer.from(der);
  bad[0] = 0x6c; // [APPLICATION 12] around msg-type 10
  assert.throws(() => decodeKdcReq(bad), KerberosDecodeError);
  assert.throws(() => encodeKdcReq({ ...asReq, msgType: 11 }), DerError);
  assert.equal(decodeKdcReq(encodeKdcReq(tgsReq)).msgType, MSG_TYPE.TGS_REQ);
  assert.throws(() => encodeKdcRep({ ...asRep, msgType: 10 }), DerError);
});

test('KDC-REQ: reqBodyRaw is ignored by the encoder', () => {
  const a = encodeKdcReq(asReq);
  const b = encodeKdcReq({ ...asReq, reqBodyRaw: Buffer.from('garbage') });
  assert.deepStrictEqual(a, b);
});

test('EncKDCRepPart: either application tag is accepted on decode and reported', () => {
  const as = encodeEncKdcRepPart(encAsRepPart, 25);
  const tgs = encodeEncKdcRepPart(encAsRepPart, 26);
  assert.equal(as[0], 0x79);
  assert.equal(tgs[0], 0x7a);
  assert.deepStrictEqual(decodeEncKdcRepPart(as), { appTag: 25, part: encAsRepPart });
  assert.deepStrictEqual(decodeEncKdcRepPart(tgs), { appTag: 26, part: encAsRepPart });
  assert.throws(() => encodeEncKdcRepPart(encAsRepPart, 27 as 25), DerError);
});

test('KRB-ERROR e-data carries METHOD-DATA / KERB-ERROR-DATA / KERB_EXT_ERROR', () => {
  const pre = decodeKrbError(encodeKrbError(krbErrorPreauth));
  assert.deepStrictEqual(decodeMethodData(pre.eData ?? Buffer.alloc(0)), methodData);
  const ext = decodeKrbError(encodeKrbError(krbErrorExt));
  const ked = decodeKerbErrorData(ext.eData ?? Buffer.alloc(0));
  assert.equal(ked.dataType, 3);
  assert.deepStrictEqual(decodeKerbExtError(ked.dataValue ?? Buffer.alloc(0)), { status: 0xc0000072, reserved: 0, flags: 1 });
  assert.deepStrictEqual(ked.dataValue, Buffer.from('720000c00000000001000000', 'hex'));
});

test('KERB_EXT_ERROR must be exactly 12 bytes', () => {
  assert.throws(() => decodeKerbExtError(Buffer.alloc(11)), KerberosDecodeError);
  assert.throws(() => decodeKerbExtError(Buffer.alloc(13)), KerberosDecodeError);
});

test('AD-IF-RELEVANT content decodes with decodeAuthorizationData', () => {
  const etp = decodeEncTicketPart(encodeEncTicketPart(encTicketPart));
  const ifRel = etp.authorizationData?.[0];
  assert.ok(ifRel);
  const inner = decodeAuthorizationData(ifRel.adData);
  assert.equal(inner[0].adType, 128);
  assert.equal(inner[0].adData.length, 800);
});

test('times drop milliseconds on encode', () => {
  const withMs = { ...krbErrorPreauth, stime: new Date(AUTHTIME.getTime() + 999) };
  assert.deepStrictEqual(decodeKrbError(encodeKrbError(withMs)).stime, AUTHTIME);
});

test('flags are always a 32-bit BIT STRING', () => {
  const der = encodeApReq({ ...apReq, apOptions: 0 });
  assert.ok(der.includes(Buffer.from('a20703050000000000', 'hex')));
  // forwardable(1) renewable(8) initial(9) pre-authent(10) enc-pa-rep(15) => 40 e1 00 00
  assert.ok(encodeEncTicketPart(encTicketPart).includes(Buffer.from('a0070305' + '0040e10000', 'hex')));
});

test('peekApplicationTag', () => {
  const table: Array<[Buffer, number | undefined]> = [
    [encodeKdcReq(asReq), 10],
    [encodeKdcReq(tgsReq), 12],
    [encodeKdcRep(asRep), 11],
    [encodeKrbError(krbErrorPreauth), 30],
    [encodeTicket(tgt), 1],
    [encodeApReq(apReq), 14],
    [encodeKdcReq(asReq).subarray(0, 1), 10], // identifier only is enough
    [Buffer.alloc(0), undefined],
    [Buffer.from([0x30, 0x00]), undefined], // universal SEQUENCE
    [Buffer.from([0x4a, 0x00]), undefined], // primitive application
    [Buffer.from([0x7f, 0x21, 0x00]), 33], // high tag number form
    [Buffer.from([0x7f, 0x80, 0x21]), undefined], // non-minimal high tag
    [Buffer.from([0x7f]), undefined],
  ];
  for (const [buf, want] of table) assert.equal(peekApplicationTag(buf), want, buf.toString('hex'));
  assert.equal(peekApplicationTag(undefined as unknown as Buffer), undefined);
});
