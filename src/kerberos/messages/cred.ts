// RFC 4120 5.8 KRB-CRED [APPLICATION 22] and EncKrbCredPart [APPLICATION 29] (credential
// forwarding, e.g. the GSS delegation token in the authenticator checksum of RFC 4121 4.1.1).
import { app, int32, kerberosFlags, kerberosString, kerberosTime, opt, req, seqOf, struct, uint32, type Codec } from '../../encoding/der.js';
import type { EncKrbCredPart, KrbCred, KrbCredInfo } from './types.js';
import { KerberosDecodeError, decodeWith, encodeWith } from './common.js';
import { encryptedDataCodec, encryptionKeyCodec, hostAddressCodec, hostAddressesCodec, microseconds } from './basic.js';
import { principalNameCodec } from './principal.js';
import { ticketsCodec } from './ticket.js';

/** KRB-CRED ::= [APPLICATION 22] SEQUENCE { pvno [0], msg-type [1], tickets [2] SEQUENCE OF Ticket, enc-part [3] } */
export const krbCredCodec: Codec<KrbCred> = app(
  22,
  struct<KrbCred>(
    {
      pvno: req(0, int32),
      msgType: req(1, int32),
      tickets: req(2, ticketsCodec),
      encPart: req(3, encryptedDataCodec),
    },
    'KRB-CRED',
  ),
  'KRB-CRED [APPLICATION 22]',
);

/** KrbCredInfo (RFC 4120 5.8.1): everything but the key is optional. */
export const krbCredInfoCodec: Codec<KrbCredInfo> = struct<KrbCredInfo>(
  {
    key: req(0, encryptionKeyCodec),
    prealm: opt(1, kerberosString),
    pname: opt(2, principalNameCodec),
    flags: opt(3, kerberosFlags),
    authtime: opt(4, kerberosTime),
    starttime: opt(5, kerberosTime),
    endtime: opt(6, kerberosTime),
    renewTill: opt(7, kerberosTime),
    srealm: opt(8, kerberosString),
    sname: opt(9, principalNameCodec),
    caddr: opt(10, hostAddressesCodec),
  },
  'KrbCredInfo',
);

/** EncKrbCredPart ::= [APPLICATION 29] SEQUENCE { ticket-info [0], nonce [1], timestamp [2], usec [3], s-address [4], r-address [5] } */
export const encKrbCredPartCodec: Codec<EncKrbCredPart> = app(
  29,
  struct<EncKrbCredPart>(
    {
      ticketInfo: req(0, seqOf(krbCredInfoCodec, 'ticket-info')),
      nonce: opt(1, uint32),
      timestamp: opt(2, kerberosTime),
      usec: opt(3, microseconds),
      sAddress: opt(4, hostAddressCodec),
      rAddress: opt(5, hostAddressCodec),
    },
    'EncKrbCredPart',
  ),
  'EncKrbCredPart [APPLICATION 29]',
);

export function encodeKrbCred(v: KrbCred): Buffer {
  return encodeWith(krbCredCodec, v);
}
export function decodeKrbCred(buf: Buffer): KrbCred {
  const v = decodeWith(krbCredCodec, buf, 'KRB-CRED');
  if (v.msgType !== 22) throw new KerberosDecodeError(`malformed KRB-CRED: msg-type ${v.msgType}`);
  return v;
}
export function encodeEncKrbCredPart(v: EncKrbCredPart): Buffer {
  return encodeWith(encKrbCredPartCodec, v);
}
export function decodeEncKrbCredPart(buf: Buffer): EncKrbCredPart {
  return decodeWith(encKrbCredPartCodec, buf, 'EncKrbCredPart');
}
