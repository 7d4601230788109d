// RFC 4120 5.2.6 AuthorizationData; the same type is the content of AD-IF-RELEVANT (5.2.6.1)
// and AD-MANDATORY-FOR-KDC (5.2.6.4), whose ad-data holds the DER of another AuthorizationData.
import { int32, octetString, req, seqOf, struct, type Codec } from '../../encoding/der.js';
import type { AuthorizationData, AuthorizationDataEntry } from './types.js';
import { decodeWith, encodeWith } from './common.js';

export const authorizationDataEntryCodec: Codec<AuthorizationDataEntry> = struct<AuthorizationDataEntry>(
  {
    adType: req(0, int32),
    adData: req(1, octetString),
  },
  'AuthorizationData entry',
);

/** AuthorizationData ::= SEQUENCE OF SEQUENCE { ad-type [0] Int32, ad-data [1] OCTET STRING } */
export const authorizationDataCodec: Codec<AuthorizationData> = seqOf(authorizationDataEntryCodec, 'AuthorizationData');

export function encodeAuthorizationData(v: AuthorizationData): Buffer {
  return encodeWith(authorizationDataCodec, v);
}
export function decodeAuthorizationData(buf: Buffer): AuthorizationData {
  return decodeWith(authorizationDataCodec, buf, 'AuthorizationData');
}
