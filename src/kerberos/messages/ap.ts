// RFC 4120 5.5 client/server authentication: AP-REQ [APPLICATION 14], Authenticator
// [APPLICATION 2], AP-REP [APPLICATION 15], EncAPRepPart [APPLICATION 27].
import { app, int32, kerberosFlags, kerberosString, kerberosTime, opt, req, struct, uint32, type Codec } from '../../encoding/der.js';
import type { ApRep, ApReq, Authenticator, EncApRepPart } from './types.js';
import { KerberosDecodeError, decodeWith, encodeWith } from './common.js';
import { checksumCodec, encryptedDataCodec, encryptionKeyCodec, microseconds } from './basic.js';
import { principalNameCodec } from './principal.js';
import { authorizationDataCodec } from './authz-data.js';
import { ticketCodec } from './ticket.js';

/** AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0], msg-type [1], ap-options [2], ticket [3], authenticator [4] } */
export const apReqCodec: Codec<ApReq> = app(
  14,
  struct<ApReq>(
    {
      pvno: req(0, int32),
      msgType: req(1, int32),
      apOptions: req(2, kerberosFlags),
      ticket: req(3, ticketCodec),
      authenticator: req(4, encryptedDataCodec),
    },
    'AP-REQ',
  ),
  'AP-REQ [APPLICATION 14]',
);

/**
 * Authenticator ::= [APPLICATION 2] SEQUENCE (RFC 4120 5.5.1). seq-number is UInt32, decoded
 * leniently from negative values as 5.5.1 asks ("some implementations ... signed").
 */
export const authenticatorCodec: Codec<Authenticator> = app(
  2,
  struct<Authenticator>(
    {
      authenticatorVno: req(0, int32),
      crealm: req(1, kerberosString),
      cname: req(2, principalNameCodec),
      cksum: opt(3, checksumCodec),
      cusec: req(4, microseconds),
      ctime: req(5, kerberosTime),
      subkey: opt(6, encryptionKeyCodec),
      seqNumber: opt(7, uint32),
      authorizationData: opt(8, authorizationDataCodec),
    },
    'Authenticator',
  ),
  'Authenticator [APPLICATION 2]',
);

/** AP-REP ::= [APPLICATION 15] SEQUENCE { pvno [0], msg-type [1], enc-part [2] } */
export const apRepCodec: Codec<ApRep> = app(
  15,
  struct<ApRep>(
    {
      pvno: req(0, int32),
      msgType: req(1, int32),
      encPart: req(2, encryptedDataCodec),
    },
    'AP-REP',
  ),
  'AP-REP [APPLICATION 15]',
);

/** EncAPRepPart ::= [APPLICATION 27] SEQUENCE { ctime [0], cusec [1], subkey [2] OPTIONAL, seq-number [3] OPTIONAL } */
export const encApRepPartCodec: Codec<EncApRepPart> = app(
  27,
  struct<EncApRepPart>(
    {
      ctime: req(0, kerberosTime),
      cusec: req(1, microseconds),
      subkey: opt(2, encryptionKeyCodec),
      seqNumber: opt(3, uint32),
    },
    'EncAPRepPart',
  ),
  'EncAPRepPart [APPLICATION 27]',
);

export function encodeApReq(v: ApReq): Buffer {
  return encodeWith(apReqCodec, v);
}
/** Decodes an AP-REQ; msg-type must be 14 (the application tag already says so). */
export function decodeApReq(buf: Buffer): ApReq {
  const v = decodeWith(apReqCodec, buf, 'AP-REQ');
  if (v.msgType !== 14) throw new KerberosDecodeError(`malformed AP-REQ: msg-type ${v.msgType}`);
  return v;
}
export function encodeAuthenticator(v: Authenticator): Buffer {
  return encodeWith(authenticatorCodec, v);
}
export function decodeAuthenticator(buf: Buffer): Authenticator {
  return decodeWith(authenticatorCodec, buf, 'Authenticator');
}
export function encodeApRep(v: ApRep): Buffer {
  return encodeWith(apRepCodec, v);
}
export function decodeApRep(buf: Buffer): ApRep {
  const v = decodeWith(apRepCodec, buf, 'AP-REP');
  if (v.msgType !== 15) throw new KerberosDecodeError(`malformed AP-REP: msg-type ${v.msgType}`);
  return v;
}
export function encodeEncApRepPart(v: EncApRepPart): Buffer {
  return encodeWith(encApRepPartCodec, v);
}
export function decodeEncApRepPart(buf: Buffer): EncApRepPart {
  return decodeWith(encApRepPartCodec, buf, 'EncAPRepPart');
}
