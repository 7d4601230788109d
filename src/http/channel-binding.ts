// Extended Protection for Authentication over https: the TLS channel binding an authentication
// is tied to, so a token relayed from another TLS connection (a man in the middle terminating
// TLS with its own certificate) does not verify here.
//
// RFC 5929 4 "tls-server-end-point": the hash of the server's certificate, with the hash of the
// certificate's signature algorithm, except that MD5 and SHA-1 become SHA-256 (4.1). The
// binding travels as the application data of a gss_channel_bindings_struct (RFC 4121 4.1.1.2,
// prefixed "tls-server-end-point:"), inside the Kerberos authenticator checksum and as NTLM's
// MsvAvChannelBindings (MS-NLMP 2.2.2.1: the MD5 of that struct).

import { createHash } from 'node:crypto';
import { DecodeContext, objectIdentifier, readChildren, readTop, decodeDer, rawOf } from '../encoding/der.js';
import type { ChannelBindings } from '../kerberos/gss/checksum.js';

/** Signature algorithms whose hash is not SHA-256 (RFC 5929 4.1 uses the certificate's own hash). */
const HASH_OF_SIGNATURE: Record<string, 'sha384' | 'sha512'> = {
  '1.2.840.113549.1.1.12': 'sha384', // sha384WithRSAEncryption
  '1.2.840.113549.1.1.13': 'sha512', // sha512WithRSAEncryption
  '1.2.840.10045.4.3.3': 'sha384', // ecdsa-with-SHA384
  '1.2.840.10045.4.3.4': 'sha512', // ecdsa-with-SHA512
};

/**
 * The hash RFC 5929 4.1 names for a certificate (DER): SHA-384/512 for those signature
 * algorithms, SHA-256 for everything else (SHA-256 itself, and MD5 / SHA-1 by the rule; also
 * algorithms the RFC does not cover, such as RSASSA-PSS and EdDSA, as Windows and OpenSSL do).
 */
export function endPointHash(certDer: Buffer): 'sha256' | 'sha384' | 'sha512' {
  try {
    const ctx = new DecodeContext({ maxDepth: 4, maxElements: 4096 });
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signature }
    const [, sigAlg] = readChildren(readTop(certDer, ctx), ctx);
    const [oid] = readChildren(sigAlg, ctx);
    return HASH_OF_SIGNATURE[decodeDer(objectIdentifier, rawOf(oid))] ?? 'sha256';
  } catch {
    return 'sha256';
  }
}

/** RFC 5929 4: "tls-server-end-point:" followed by the certificate hash, as GSS channel bindings. */
export function tlsServerEndPointBindings(certDer: Buffer): ChannelBindings {
  const hash = createHash(endPointHash(certDer)).update(certDer).digest();
  return { applicationData: Buffer.concat([Buffer.from('tls-server-end-point:', 'latin1'), hash]) };
}
