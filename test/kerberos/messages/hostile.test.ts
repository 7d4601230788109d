// Hostile input for every decoder: random bytes, every truncation and bit flips of valid
// messages, cross-type feeding, deep nesting, huge length fields, element floods and non-Buffer
// arguments. The only acceptable failure is a KerberosDecodeError (a DerError); nothing may take
// long.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DerError, KerberosDecodeError, decodeKdcReqBody, encodeKdcReqBody } from '../../../src/kerberos/messages/index.js';
import { asReqBody, cases, decoders } from './samples.js';

// Generous enough for a GC pause on a loaded CI machine; anything algorithmic would be far slower.
const SLOW_MS = 250;

/** Runs a decoder; returns true if it decoded, false if it threw an acceptable error. */
function attempt(name: string, fn: (b: Buffer) => unknown, buf: Buffer): boolean {
  const t0 = performance.now();
  try {
    fn(buf);
    return true;
  } catch (e) {
    if (!(e instanceof KerberosDecodeError)) {
      assert.fail(`${name} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} on ${buf.subarray(0, 64).toString('hex')}`);
    }
    assert.ok(!e.message.includes('internal decoder error'), `${name}: ${e.message}`);
    return false;
  } finally {
    const dt = performance.now() - t0;
    assert.ok(dt < SLOW_MS, `${name} took ${dt.toFixed(1)} ms on ${buf.length} bytes`);
  }
}

/** Small deterministic PRNG so failures are reproducible. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s + Math.imul(s ^ (s >>> 7), 0x297a2d39);
    return ((s ^ (s >>> 14)) >>> 0) / 2 ** 32;
  };
}

test('random buffers: only KerberosDecodeError', () => {
  const rnd = prng(1);
  const firstBytes = [0x30, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x61, 0x62, 0x63, 0x76, 0x79, 0x7a, 0x7b, 0x7d, 0x7e, 0xa0, 0xa1];
  for (let i = 0; i < 3000; i++) {
    const buf = randomBytes(Math.floor(rnd() * 300));
    // Half the time, make it look like the start of a real message so decoders get past the tag.
    if (i % 2 === 1 && buf.length > 2) {
      buf[0] = firstBytes[i % firstBytes.length];
      buf[1] = buf.length - 2 < 0x80 ? buf.length - 2 : 0x7f;
    }
    for (const [name, fn] of decoders) attempt(name, fn, buf);
  }
});

test('random structurally valid DER trees: only KerberosDecodeError', () => {
  const rnd = prng(2);
  const tags = [0x30, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0x02, 0x04, 0x1b, 0x18, 0x03, 0x01, 0x6a, 0x61, 0x7e];
  const gen = (depth: number): Buffer => {
    const tag = tags[Math.floor(rnd() * tags.length)];
    let content: Buffer;
    if ((tag & 0x20) !== 0 && depth < 8) {
      const n = Math.floor(rnd() * 4);
      content = Buffer.concat(Array.from({ length: n }, () => gen(depth + 1)));
    } else {
      content = randomBytes(Math.floor(rnd() * 20));
    }
    const len = content.length < 0x80 ? [content.length] : [0x82, content.length >> 8, content.length & 0xff];
    return Buffer.concat([Buffer.from([tag, ...len]), content]);
  };
  for (let i = 0; i < 2000; i++) {
    const buf = gen(0);
    for (const [name, fn] of decoders) attempt(name, fn, buf);
  }
});

test('every truncation of every valid message is rejected', () => {
  for (const c of cases) {
    const der = c.encode();
    for (let n = 0; n < der.length; n++) {
      // KERB_EXT_ERROR is fixed-size binary; all others are a single DER element.
      assert.equal(attempt(c.name, (b) => c.decode(b), der.subarray(0, n)), false, `${c.name} truncated to ${n} bytes decoded`);
    }
    // ...and so is the message with trailing garbage.
    assert.equal(attempt(c.name, (b) => c.decode(b), Buffer.concat([der, Buffer.from([0])])), false, `${c.name} with trailing byte decoded`);
  }
});

test('bit flips in valid messages: decode or KerberosDecodeError, never anything else', () => {
  const rnd = prng(3);
  for (const c of cases) {
    const der = c.encode();
    const step = Math.max(1, Math.floor(der.length / 400));
    for (let pos = 0; pos < der.length; pos += step) {
      const buf = Buffer.from(der);
      buf[pos] ^= 1 << Math.floor(rnd() * 8);
      attempt(c.name, (b) => c.decode(b), buf);
      // Also hit the header bytes with every bit.
      if (pos < 8) {
        for (let bit = 0; bit < 8; bit++) {
          const b2 = Buffer.from(der);
          b2[pos] ^= 1 << bit;
          attempt(c.name, (b) => c.decode(b), b2);
        }
      }
    }
  }
});

test('every valid message fed to every decoder', () => {
  for (const c of cases) {
    const der = c.encode();
    for (const [name, fn] of decoders) attempt(name, fn, der);
  }
});

function nested(levels: number, tagAt: (i: number) => number): Buffer {
  // Built from the inside out with precomputed sizes, so construction is linear.
  const hdr = (len: number): number => (len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : 5);
  const sizes = new Array<number>(levels + 1);
  sizes[levels] = 0;
  for (let i = levels - 1; i >= 0; i--) sizes[i] = hdr(sizes[i + 1]) + sizes[i + 1];
  const out = Buffer.alloc(sizes[0]);
  let p = 0;
  for (let i = 0; i < levels; i++) {
    const len = sizes[i + 1];
    out[p++] = tagAt(i);
    if (len < 0x80) out[p++] = len;
    else if (len < 0x100) p = out.writeUInt8(len, out.writeUInt8(0x81, p));
    else if (len < 0x10000) p = out.writeUInt16BE(len, out.writeUInt8(0x82, p));
    else p = out.writeUIntBE(len, out.writeUInt8(0x83, p), 3);
  }
  return out;
}

test('deeply nested constructed tags', () => {
  const shapes: Array<(i: number) => number> = [
    () => 0x30,
    (i) => (i % 2 === 0 ? 0x30 : 0xa0),
    (i) => (i === 0 ? 0x6a : i % 2 === 1 ? 0x30 : 0xa4),
    (i) => (i === 0 ? 0x63 : [0x30, 0xa0, 0xa1, 0xa2, 0xa3][i % 5]),
  ];
  for (const shape of shapes) {
    const buf = nested(20000, shape);
    for (const [name, fn] of decoders) assert.equal(attempt(name, fn, buf), false, name);
  }
});

test('huge and malformed length fields', () => {
  const bufs = [
    '6a84ffffffff30',
    '6a88ffffffffffffffff',
    '6a89ffffffffffffffffff',
    '6a8f',
    '30847fffffff',
    '6a80308000000000', // indefinite lengths
    '30820001', // length 1 but no content
    '308300ffff' + '00'.repeat(10),
    '6a8200', // truncated length octets
    '7f', // truncated high tag
    '7f8080808001', // over-long high tag
    '7f800a00', // non-minimal high tag
    '30', // tag only
  ].map((h) => Buffer.from(h, 'hex'));
  for (const buf of bufs) for (const [name, fn] of decoders) assert.equal(attempt(name, fn, buf), false, `${name} ${buf.toString('hex')}`);
});

test('element floods are cut off by the element budget', () => {
  // A KDC-REQ-BODY whose etype list has 200000 entries (600 kB).
  const body = encodeKdcReqBody({ ...asReqBody, etype: new Array<number>(200000).fill(18) });
  const t0 = performance.now();
  assert.throws(() => decodeKdcReqBody(body), (e: unknown) => e instanceof KerberosDecodeError && /too many elements/.test(e.message));
  assert.ok(performance.now() - t0 < 500);
  // A realistic large list is fine.
  assert.equal(decodeKdcReqBody(encodeKdcReqBody({ ...asReqBody, etype: new Array<number>(1000).fill(18) })).etype.length, 1000);
});

test('non-Buffer arguments are KerberosDecodeError, Uint8Array is accepted', () => {
  for (const bad of [undefined, null, 'abc', 42, {}, [1, 2]]) {
    for (const [name, fn] of decoders) {
      assert.throws(() => fn(bad as unknown as Buffer), (e: unknown) => e instanceof KerberosDecodeError && e instanceof DerError, name);
    }
  }
  const c = cases[0];
  const der = c.encode();
  assert.deepStrictEqual(c.decode(new Uint8Array(der) as Buffer), c.expected);
});
