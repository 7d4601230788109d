// RFC 4120 5.4.1 KDC-REQ: AS-REQ [APPLICATION 10] and TGS-REQ [APPLICATION 12].
import { int32, kerberosFlags, kerberosString, kerberosTime, opt, req, seqOf, struct, uint32, withRaw, DerError, type Codec, type WithRaw } from '../../encoding/der.js';
import { MSG_TYPE, type KdcReq, type KdcReqBody, type PAData } from './types.js';
import { KerberosDecodeError, decodeWith, decodeWithAppTag, encodeWith, encodeWithAppTag } from './common.js';
import { encryptedDataCodec, hostAddressesCodec } from './basic.js';
import { principalNameCodec } from './principal.js';
import { methodDataCodec } from './padata.js';
import { ticketsCodec } from './ticket.js';

/**
 * KDC-REQ-BODY (RFC 4120 5.4.1). `till` is required by the RFC but optional here so that a
 * request missing it can still be decoded and answered with a proper KRB-ERROR. nonce is UInt32
 * (decoded leniently from a negative Int32, as older Java clients send). etype is a SEQUENCE OF
 * Int32 in the client's order of preference.
 */
export const kdcReqBodyCodec: Codec<KdcReqBody> = struct<KdcReqBody>(
  {
    kdcOptions: req(0, kerberosFlags),
    cname: opt(1, principalNameCodec),
    realm: req(2, kerberosString),
    sname: opt(3, principalNameCodec),
    from: opt(4, kerberosTime),
    till: opt(5, kerberosTime),
    rtime: opt(6, kerberosTime),
    nonce: req(7, uint32),
    etype: req(8, seqOf(int32, 'etype')),
    addresses: opt(9, hostAddressesCodec),
    encAuthorizationData: opt(10, encryptedDataCodec),
    additionalTickets: opt(11, ticketsCodec),
  },
  'KDC-REQ-BODY',
);

interface KdcReqWire {
  pvno: number;
  msgType: number;
  padata?: PAData[];
  reqBody: WithRaw<KdcReqBody>;
}

/** KDC-REQ ::= SEQUENCE { pvno [1], msg-type [2], padata [3] OPTIONAL, req-body [4] } (tags start at 1). */
const kdcReqInner: Codec<KdcReqWire> = struct<KdcReqWire>(
  {
    pvno: req(1, int32),
    msgType: req(2, int32),
    padata: opt(3, methodDataCodec),
    reqBody: req(4, withRaw(kdcReqBodyCodec)),
  },
  'KDC-REQ',
);

/** DER of a KDC-REQ-BODY: what a TGS client checksums into its authenticator (RFC 4120 5.5.1 / 7.5.2 usage 6). */
export function encodeKdcReqBody(body: KdcReqBody): Buffer {
  return encodeWith(kdcReqBodyCodec, body);
}

/** Decodes a bare KDC-REQ-BODY (e.g. one extracted from an armored FAST request, RFC 6113 5.4.2). */
export function decodeKdcReqBody(buf: Buffer): KdcReqBody {
  return decodeWith(kdcReqBodyCodec, buf, 'KDC-REQ-BODY');
}

/**
 * Encodes an AS-REQ or TGS-REQ; the application tag follows msgType (10 or 12). The body is always
 * encoded from `reqBody` (DER is canonical, so this reproduces what encodeKdcReqBody returns);
 * `reqBodyRaw` is ignored.
 */
export function encodeKdcReq(v: KdcReq): Buffer {
  if (v.msgType !== MSG_TYPE.AS_REQ && v.msgType !== MSG_TYPE.TGS_REQ) throw new DerError(`KDC-REQ msg-type ${v.msgType} is not 10 or 12`);
  return encodeWithAppTag(v.msgType, kdcReqInner, { pvno: v.pvno, msgType: v.msgType, padata: v.padata, reqBody: { value: v.reqBody } });
}

/**
 * Decodes an AS-REQ or TGS-REQ. msg-type must agree with the application tag. `reqBodyRaw` is a
 * copy of the exact received req-body TLV: RFC 4120 7.2.3/5.5.1 has the TGS authenticator checksum
 * computed over those bytes, which need not be canonical DER when the client is lenient.
 */
export function decodeKdcReq(buf: Buffer): KdcReq {
  const { appTag, value } = decodeWithAppTag(buf, [MSG_TYPE.AS_REQ, MSG_TYPE.TGS_REQ], kdcReqInner, 'KDC-REQ');
  if (value.msgType !== appTag) throw new KerberosDecodeError(`malformed KDC-REQ: msg-type ${value.msgType} under [APPLICATION ${appTag}]`);
  const out: KdcReq = { pvno: value.pvno, msgType: value.msgType, reqBody: value.reqBody.value, reqBodyRaw: value.reqBody.raw };
  if (value.padata !== undefined) out.padata = value.padata;
  return out;
}
