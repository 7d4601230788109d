// RFC 4120 5.4.2 KDC-REP: AS-REP [APPLICATION 11] / TGS-REP [APPLICATION 13], and the encrypted
// part EncASRepPart [APPLICATION 25] / EncTGSRepPart [APPLICATION 26].
import { int32, kerberosFlags, kerberosString, kerberosTime, opt, req, seqOf, struct, uint32, DerError, type Codec } from '../../encoding/der.js';
import { MSG_TYPE, type EncKdcRepPart, type KdcRep, type LastReqEntry } from './types.js';
import { KerberosDecodeError, decodeWithAppTag, encodeWithAppTag } from './common.js';
import { encryptedDataCodec, encryptionKeyCodec, hostAddressesCodec } from './basic.js';
import { principalNameCodec } from './principal.js';
import { methodDataCodec } from './padata.js';
import { ticketCodec } from './ticket.js';

/** KDC-REP ::= SEQUENCE { pvno [0], msg-type [1], padata [2] OPTIONAL, crealm [3], cname [4], ticket [5], enc-part [6] } */
export const kdcRepInnerCodec: Codec<KdcRep> = struct<KdcRep>(
  {
    pvno: req(0, int32),
    msgType: req(1, int32),
    padata: opt(2, methodDataCodec),
    crealm: req(3, kerberosString),
    cname: req(4, principalNameCodec),
    ticket: req(5, ticketCodec),
    encPart: req(6, encryptedDataCodec),
  },
  'KDC-REP',
);

/** LastReq ::= SEQUENCE OF SEQUENCE { lr-type [0] Int32, lr-value [1] KerberosTime } (RFC 4120 5.4.2) */
export const lastReqCodec: Codec<LastReqEntry[]> = seqOf(
  struct<LastReqEntry>({ lrType: req(0, int32), lrValue: req(1, kerberosTime) }, 'LastReq entry'),
  'LastReq',
);

/** EncKDCRepPart (RFC 4120 5.4.2) plus encrypted-pa-data [12] from RFC 6806 11. */
export const encKdcRepPartInnerCodec: Codec<EncKdcRepPart> = struct<EncKdcRepPart>(
  {
    key: req(0, encryptionKeyCodec),
    lastReq: req(1, lastReqCodec),
    nonce: req(2, uint32),
    keyExpiration: opt(3, kerberosTime),
    flags: req(4, kerberosFlags),
    authtime: req(5, kerberosTime),
    starttime: opt(6, kerberosTime),
    endtime: req(7, kerberosTime),
    renewTill: opt(8, kerberosTime),
    srealm: req(9, kerberosString),
    sname: req(10, principalNameCodec),
    caddr: opt(11, hostAddressesCodec),
    encryptedPaData: opt(12, methodDataCodec),
  },
  'EncKDCRepPart',
);

/** Encodes an AS-REP or TGS-REP; the application tag follows msgType (11 or 13). */
export function encodeKdcRep(v: KdcRep): Buffer {
  if (v.msgType !== MSG_TYPE.AS_REP && v.msgType !== MSG_TYPE.TGS_REP) throw new DerError(`KDC-REP msg-type ${v.msgType} is not 11 or 13`);
  return encodeWithAppTag(v.msgType, kdcRepInnerCodec, v);
}

/** Decodes an AS-REP or TGS-REP; msg-type must agree with the application tag. */
export function decodeKdcRep(buf: Buffer): KdcRep {
  const { appTag, value } = decodeWithAppTag(buf, [MSG_TYPE.AS_REP, MSG_TYPE.TGS_REP], kdcRepInnerCodec, 'KDC-REP');
  if (value.msgType !== appTag) throw new KerberosDecodeError(`malformed KDC-REP: msg-type ${value.msgType} under [APPLICATION ${appTag}]`);
  return value;
}

/**
 * Encodes EncASRepPart (25) or EncTGSRepPart (26). RFC 4120 5.4.2 notes that some implementations
 * use 25 for both, so the tag is the caller's choice.
 */
export function encodeEncKdcRepPart(part: EncKdcRepPart, appTag: 25 | 26): Buffer {
  if (appTag !== 25 && appTag !== 26) throw new DerError(`EncKDCRepPart application tag ${String(appTag)} is not 25 or 26`);
  return encodeWithAppTag(appTag, encKdcRepPartInnerCodec, part);
}

/** Decodes EncASRepPart or EncTGSRepPart, accepting either tag (RFC 4120 5.4.2 compatibility note). */
export function decodeEncKdcRepPart(buf: Buffer): { appTag: number; part: EncKdcRepPart } {
  const { appTag, value } = decodeWithAppTag(buf, [25, 26], encKdcRepPartInnerCodec, 'EncKDCRepPart');
  return { appTag, part: value };
}
