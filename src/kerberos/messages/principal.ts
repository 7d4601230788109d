// RFC 4120 5.2.2 PrincipalName.
import { int32, kerberosString, req, seqOf, struct, type Codec } from '../../encoding/der.js';
import type { PrincipalName } from './types.js';
import { decodeWith, encodeWith } from './common.js';

/**
 * PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }.
 * name-type is Int32 because Windows uses negative values (NT-MS-PRINCIPAL = -128).
 */
export const principalNameCodec: Codec<PrincipalName> = struct<PrincipalName>(
  {
    nameType: req(0, int32),
    nameString: req(1, seqOf(kerberosString, 'name-string')),
  },
  'PrincipalName',
);

export function encodePrincipalName(v: PrincipalName): Buffer {
  return encodeWith(principalNameCodec, v);
}
export function decodePrincipalName(buf: Buffer): PrincipalName {
  return decodeWith(principalNameCodec, buf, 'PrincipalName');
}
