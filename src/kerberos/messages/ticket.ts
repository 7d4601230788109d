// RFC 4120 5.3 Ticket [APPLICATION 1] and EncTicketPart [APPLICATION 3].
import { app, int32, kerberosFlags, kerberosString, kerberosTime, octetString, opt, req, seqOf, struct, type Codec } from '../../encoding/der.js';
import type { EncTicketPart, Ticket } from './types.js';
import { decodeWith, encodeWith } from './common.js';
import { encryptedDataCodec, encryptionKeyCodec, hostAddressesCodec } from './basic.js';
import { principalNameCodec } from './principal.js';
import { authorizationDataCodec } from './authz-data.js';

/** Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] } */
export const ticketCodec: Codec<Ticket> = app(
  1,
  struct<Ticket>(
    {
      tktVno: req(0, int32),
      realm: req(1, kerberosString),
      sname: req(2, principalNameCodec),
      encPart: req(3, encryptedDataCodec),
    },
    'Ticket',
  ),
  'Ticket [APPLICATION 1]',
);

/** TransitedEncoding ::= SEQUENCE { tr-type [0] Int32, contents [1] OCTET STRING } (RFC 4120 5.3) */
export const transitedEncodingCodec: Codec<EncTicketPart['transited']> = struct<EncTicketPart['transited']>(
  {
    trType: req(0, int32),
    contents: req(1, octetString),
  },
  'TransitedEncoding',
);

/** EncTicketPart ::= [APPLICATION 3] SEQUENCE { flags [0] ... authorization-data [10] OPTIONAL } */
export const encTicketPartCodec: Codec<EncTicketPart> = app(
  3,
  struct<EncTicketPart>(
    {
      flags: req(0, kerberosFlags),
      key: req(1, encryptionKeyCodec),
      crealm: req(2, kerberosString),
      cname: req(3, principalNameCodec),
      transited: req(4, transitedEncodingCodec),
      authtime: req(5, kerberosTime),
      starttime: opt(6, kerberosTime),
      endtime: req(7, kerberosTime),
      renewTill: opt(8, kerberosTime),
      caddr: opt(9, hostAddressesCodec),
      authorizationData: opt(10, authorizationDataCodec),
    },
    'EncTicketPart',
  ),
  'EncTicketPart [APPLICATION 3]',
);

export const ticketsCodec: Codec<Ticket[]> = seqOf(ticketCodec, 'SEQUENCE OF Ticket');

export function encodeTicket(v: Ticket): Buffer {
  return encodeWith(ticketCodec, v);
}
export function decodeTicket(buf: Buffer): Ticket {
  return decodeWith(ticketCodec, buf, 'Ticket');
}
export function encodeEncTicketPart(v: EncTicketPart): Buffer {
  return encodeWith(encTicketPartCodec, v);
}
export function decodeEncTicketPart(buf: Buffer): EncTicketPart {
  return decodeWith(encTicketPartCodec, buf, 'EncTicketPart');
}
