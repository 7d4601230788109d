// RC4 in TypeScript (Node 20's OpenSSL 3 has no 'rc4' without the legacy provider).
// RC4 has no RFC of its own; RFC 6229 gives its keystream test vectors.

import { KrbCryptoError } from './types.js';

/**
 * A running RC4 keystream. NTLM sealing (MS-NLMP 3.4.3) keeps one per direction across
 * messages, so the state is exposed rather than hidden in a one-shot function.
 */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Uint8Array) {
    if (key.length < 1 || key.length > 256) throw new KrbCryptoError(`RC4 key must be 1..256 bytes, got ${key.length}`);
    const s = this.s;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      j = (j + s[k] + key[k % key.length]) & 0xff;
      const t = s[k];
      s[k] = s[j];
      s[j] = t;
    }
  }

  /** XORs data with the next data.length keystream bytes; returns a new buffer. */
  process(data: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(data.length);
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      j = (j + s[i]) & 0xff;
      const t = s[i];
      s[i] = s[j];
      s[j] = t;
      out[n] = data[n] ^ s[(s[i] + s[j]) & 0xff];
    }
    this.i = i;
    this.j = j;
    return out;
  }
}

/** One-shot RC4: encrypts or decrypts data with a fresh keystream from key. */
export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  return new Rc4(key).process(data);
}
