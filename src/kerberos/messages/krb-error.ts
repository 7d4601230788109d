// RFC 4120 5.9.1 KRB-ERROR [APPLICATION 30].
import { app, int32, kerberosString, kerberosTime, octetString, opt, req, struct, type Codec } from '../../encoding/der.js';
import type { KrbError } from './types.js';
import { KerberosDecodeError, decodeWith, encodeWith } from './common.js';
import { microseconds } from './basic.js';
import { principalNameCodec } from './principal.js';

/**
 * KRB-ERROR ::= [APPLICATION 30] SEQUENCE { pvno [0], msg-type [1], ctime [2] OPTIONAL,
 * cusec [3] OPTIONAL, stime [4], susec [5], error-code [6], crealm [7] OPTIONAL,
 * cname [8] OPTIONAL, realm [9], sname [10], e-text [11] OPTIONAL, e-data [12] OPTIONAL }.
 * e-data is opaque here: METHOD-DATA for KDC_ERR_PREAUTH_REQUIRED (5.9.1), KERB-ERROR-DATA or
 * TYPED-DATA otherwise; decode it with decodeMethodData / decodeKerbErrorData.
 */
export const krbErrorCodec: Codec<KrbError> = app(
  30,
  struct<KrbError>(
    {
      pvno: req(0, int32),
      msgType: req(1, int32),
      ctime: opt(2, kerberosTime),
      cusec: opt(3, microseconds),
      stime: req(4, kerberosTime),
      susec: req(5, microseconds),
      errorCode: req(6, int32),
      crealm: opt(7, kerberosString),
      cname: opt(8, principalNameCodec),
      realm: req(9, kerberosString),
      sname: req(10, principalNameCodec),
      eText: opt(11, kerberosString),
      eData: opt(12, octetString),
    },
    'KRB-ERROR',
  ),
  'KRB-ERROR [APPLICATION 30]',
);

export function encodeKrbError(v: KrbError): Buffer {
  return encodeWith(krbErrorCodec, v);
}
export function decodeKrbError(buf: Buffer): KrbError {
  const v = decodeWith(krbErrorCodec, buf, 'KRB-ERROR');
  if (v.msgType !== 30) throw new KerberosDecodeError(`malformed KRB-ERROR: msg-type ${v.msgType}`);
  return v;
}
