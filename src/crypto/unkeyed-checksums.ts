// Unkeyed checksums: rsa-md5 (7, RFC 3961 section 6.1.1) and sha1 (14, listed in the RFC 3961
// section 8 table). Neither protects against tampering; they exist for interoperability
// where a protocol asks for a plain digest (e.g. GSS channel bindings, PKINIT paChecksum).

import { createHash } from 'node:crypto';
import { asKrbCryptoError, checkBuffer, safeEqual } from './checks.js';
import { CKSUMTYPE, type ChecksumProfile } from './types.js';

function unkeyed(cksumtype: number, name: string, hash: 'md5' | 'sha1', size: number): ChecksumProfile {
  const make = (data: Buffer): Buffer => {
    checkBuffer(data, 'data');
    return createHash(hash).update(data).digest();
  };
  return {
    cksumtype,
    name,
    size,
    make: (_key, _usage, data) => asKrbCryptoError(name, () => make(data)),
    verify: (_key, _usage, data, cksum) => asKrbCryptoError(name, () => safeEqual(make(data), cksum)),
  };
}

export const rsaMd5ChecksumProfile = unkeyed(CKSUMTYPE.RSA_MD5, 'rsa-md5', 'md5', 16);
export const sha1ChecksumProfile = unkeyed(CKSUMTYPE.SHA1, 'sha1', 'sha1', 20);
