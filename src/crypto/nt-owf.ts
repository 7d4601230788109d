// MS-NLMP 3.3.1 NTOWFv1: the NT hash, also the rc4-hmac long-term key (RFC 4757 section 3).

import { md4 } from './md4.js';

/** MD4(UTF-16LE(password)). */
export function ntHash(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
}
