// RFC 1320 MD4, in TypeScript because Node 20's OpenSSL 3 refuses 'md4' unless the legacy
// provider is loaded. Used only where a protocol demands it (NTOWFv1, RC4-HMAC keys).

/** Shift amounts per round (RFC 1320 section 3.4). */
const R1_SHIFT = [3, 7, 11, 19];
const R2_SHIFT = [3, 5, 9, 13];
const R3_SHIFT = [3, 9, 11, 15];
/** Word order of rounds 2 and 3 (RFC 1320 section 3.4). */
const R2_ORDER = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];
const R3_ORDER = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];
const R2_CONST = 0x5a827999;
const R3_CONST = 0x6ed9eba1;

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/** MD4 digest (16 bytes) of data. */
export function md4(data: Uint8Array): Buffer {
  const len = data.length;
  // RFC 1320 3.1/3.2: append 0x80, zero-pad to 56 mod 64, then the bit length (64-bit LE).
  const total = (Math.floor((len + 8) / 64) + 1) * 64;
  const msg = Buffer.alloc(total);
  msg.set(data, 0);
  msg[len] = 0x80;
  const bits = len * 8;
  msg.writeUInt32LE(bits % 0x100000000, total - 8);
  msg.writeUInt32LE(Math.floor(bits / 0x100000000), total - 4);

  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  const x = new Int32Array(16);

  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = msg.readInt32LE(off + i * 4);
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    // Each step updates one register; rotating (a,b,c,d) <- (d,new,b,c) walks the
    // [abcd k s], [dabc k s], [cdab k s], [bcda k s] pattern of the RFC.
    for (let i = 0; i < 16; i++) {
      const f = (b & c) | (~b & d);
      const t = rotl((a + f + x[i]) | 0, R1_SHIFT[i & 3]);
      a = d;
      d = c;
      c = b;
      b = t;
    }
    for (let i = 0; i < 16; i++) {
      const g = (b & c) | (b & d) | (c & d);
      const t = rotl((a + g + x[R2_ORDER[i]] + R2_CONST) | 0, R2_SHIFT[i & 3]);
      a = d;
      d = c;
      c = b;
      b = t;
    }
    for (let i = 0; i < 16; i++) {
      const h = b ^ c ^ d;
      const t = rotl((a + h + x[R3_ORDER[i]] + R3_CONST) | 0, R3_SHIFT[i & 3]);
      a = d;
      d = c;
      c = b;
      b = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
  }

  const out = Buffer.alloc(16);
  out.writeInt32LE(h0, 0);
  out.writeInt32LE(h1, 4);
  out.writeInt32LE(h2, 8);
  out.writeInt32LE(h3, 12);
  return out;
}
