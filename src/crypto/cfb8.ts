// AES-CFB8 (NIST SP 800-38A section 6.3 with s = 8), the cipher of MS-NRPC's AES secure channel
// (3.1.4.4.1 credentials, 3.4.5 session-key encryption), which uses an all-zero IV.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { KrbCryptoError } from './types.js';

const ZERO_IV = Buffer.alloc(16);

function algorithm(key: Uint8Array, iv: Uint8Array): string {
  if (iv.length !== 16) throw new KrbCryptoError('AES-CFB8 IV must be 16 bytes');
  switch (key.length) {
    case 16:
      return 'aes-128-cfb8';
    case 32:
      return 'aes-256-cfb8';
    default:
      throw new KrbCryptoError(`AES-CFB8 key must be 16 or 32 bytes, got ${key.length}`);
  }
}

/** AES-CFB8 encryption (ciphertext is as long as the plaintext); iv defaults to zeros. */
export function aesCfb8Encrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_IV): Buffer {
  const c = createCipheriv(algorithm(key, iv), key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

/** AES-CFB8 decryption; iv defaults to zeros. */
export function aesCfb8Decrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_IV): Buffer {
  const d = createDecipheriv(algorithm(key, iv), key, iv);
  return Buffer.concat([d.update(data), d.final()]);
}
