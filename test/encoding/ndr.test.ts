import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ndr from '../../src/encoding/ndr.js';
import { NdrError, type NdrType, type NdrValue } from '../../src/encoding/ndr.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

interface Case<T extends NdrType> {
  name: string;
  type: T;
  value: NdrValue<T>;
  wire: string;
}
function c<T extends NdrType>(name: string, type: T, value: NdrValue<T>, wire: string): Case<NdrType> {
  return { name, type, value, wire } as Case<NdrType>;
}

const PRIMS = ndr.struct('PRIMS', { a: ndr.u8, b: ndr.u32, c: ndr.u16, d: ndr.u64, e: ndr.filetime });
const SIGNED = ndr.struct('SIGNED', { a: ndr.i16, b: ndr.i32, c: ndr.i64 });
const INNER = ndr.struct('INNER', { x: ndr.ptr(ndr.u32) });
const OUTER = ndr.struct('OUTER', { a: ndr.ptr(ndr.u32), inner: INNER, c: ndr.ptr(ndr.u16) });
const DEEP = ndr.struct('DEEP', {
  p: ndr.ptr(ndr.struct('P', { v: ndr.u32, q: ndr.ptr(ndr.u32) })),
  y: ndr.ptr(ndr.u32),
});
const COUNTED = ndr.struct('COUNTED', { n: ndr.sizeOf('arr'), arr: ndr.ptr(ndr.carray(ndr.u16)) });
const CONF = ndr.struct('CONF', { tag: ndr.u16, n: ndr.sizeOf('items', 'u16'), items: ndr.carray(ndr.u32) });
const CONF_OUTER = ndr.struct('CONF_OUTER', { h: ndr.u8, cs: CONF });
const CV = ndr.struct('CV', { n: ndr.u32, s: ndr.cvarray(ndr.u16) });
const ARR_OF_PTRS = ndr.carray(ndr.struct('SA', { sid: ndr.ptr(ndr.sid), attributes: ndr.u32 }));
const U = ndr.union('U', 'u16', { 1: ndr.u32, 2: ndr.ptr(ndr.u16), 3: ndr.empty });
const FIXED = ndr.struct('FIXED', { k: ndr.bytes(3), w: ndr.fixedArray(ndr.u16, 2) });

const CASES: Case<NdrType>[] = [
  // natural alignment (C706 14.2.2), FILETIME as two 4-aligned halves, struct aligned to 8 by the hyper
  c('primitives and alignment', PRIMS, { a: 1, b: 0x02030405, c: 0x0607, d: 0x08090a0b0c0d0e0fn, e: 0x1122334455667788n },
    '01000000 05040302 0706 000000000000 0f0e0d0c0b0a0908 88776655 44332211'),
  c('signed integers', SIGNED, { a: -2, b: -3, c: -4n }, 'feff 0000 fdffffff fcffffffffffffff'),
  c('fixed arrays, u8 array is a Buffer', FIXED, { k: hex('aabbcc'), w: [1, 2] }, 'aabbcc 00 0100 0200'),
  // referent IDs 0x00020000 + 4n in pointer order; referents after the whole structure
  c('embedded pointers: referents deferred in order', OUTER, { a: 1, inner: { x: 2 }, c: 3 },
    '00000200 04000200 08000200 01000000 02000000 0300'),
  c('NULL embedded pointers', OUTER, { a: null, inner: { x: null }, c: 4 }, '00000000 00000000 00000200 0400'),
  // a referent is written completely (with its own referents) before the next one
  c('referents depth-first', DEEP, { p: { v: 7, q: 8 }, y: 9 },
    '00000200 04000200 07000000 08000200 08000000 09000000'),
  c('top-level unique pointer', ndr.ptr(ndr.u32), 5, '00000200 05000000'),
  c('top-level NULL pointer', ndr.ptr(ndr.u32), null, '00000000'),
  // size_is count filled from the array; conformant array referent: max count, elements
  c('conformant array under a pointer with sizeof', COUNTED, { arr: [1, 2, 3] },
    '03000000 00000200 03000000 0100 0200 0300'),
  c('NULL conformant array', COUNTED, { arr: null }, '00000000 00000000'),
  c('empty conformant array', COUNTED, { arr: [] }, '00000000 00000200 00000000'),
  // conformant structure: the max count goes in front of the structure (C706 14.3.7.1)
  c('conformant structure', CONF, { tag: 0xaaaa, items: [5, 6] }, '02000000 aaaa 0200 05000000 06000000'),
  c('conformance hoisted to the outermost structure', CONF_OUTER, { h: 1, cs: { tag: 0xaaaa, items: [5, 6] } },
    '02000000 01000000 aaaa 0200 05000000 06000000'),
  c('conformant structure as a referent', ndr.ptr(CONF), { tag: 1, items: [] }, '00000200 00000000 0100 0000'),
  // conformant varying array: max count hoisted, offset and actual count inline
  c('conformant varying structure', CV, { n: 9, s: [7, 8] }, '02000000 09000000 00000000 02000000 0700 0800'),
  c('conformant varying array under a pointer', ndr.ptr(ndr.cvarray(ndr.u16)), [7, 8],
    '00000200 02000000 00000000 02000000 0700 0800'),
  // MS-DTYP 2.3.10 RPC_UNICODE_STRING
  c('RPC_UNICODE_STRING', ndr.ustring, 'ab', '0400 0400 00000200 02000000 00000000 02000000 6100 6200'),
  c('RPC_UNICODE_STRING with NUL space', ndr.ustringZ, 'ab', '0400 0600 00000200 03000000 00000000 02000000 6100 6200'),
  c('RPC_UNICODE_STRING NULL', ndr.ustring, null, '0000 0000 00000000'),
  c('RPC_UNICODE_STRING empty', ndr.ustring, '', '0000 0000 00000200 00000000 00000000 00000000'),
  c('RPC_UNICODE_STRING non-BMP', ndr.ustring, '😀', '0400 0400 00000200 02000000 00000000 02000000 3dd8 00de'),
  c('[string] wchar_t*', ndr.ptr(ndr.wstring), 'hi', '00000200 03000000 00000000 03000000 6800 6900 0000'),
  // MS-DTYP 2.4.2.3 RPC_SID
  c('RPC_SID', ndr.ptr(ndr.sid), 'S-1-5-32-544', '00000200 02000000 01 02 000000000005 20000000 20020000'),
  c('array of structures with pointers: elements, then referents',
    ARR_OF_PTRS, [{ sid: 'S-1-5-9', attributes: 7 }, { sid: 'S-1-1-0', attributes: 1 }],
    '02000000 00000200 07000000 04000200 01000000 01000000 01010000 00000005 09000000 01000000 01010000 00000001 00000000'),
  c('union arm 1', U, { tag: 1, value: 5 }, '0100 0000 05000000'),
  c('union arm 2 (pointer)', U, { tag: 2, value: 6 }, '0200 0000 00000200 0600'),
  c('union empty arm', U, { tag: 3, value: null }, '0300'),
];

test('NDR encodes and decodes the C706 / MS-RPCE wire forms', async (t) => {
  for (const k of CASES) {
    await t.test(k.name, () => {
      const wire = ndr.ndrEncode(k.type, k.value);
      assert.equal(wire.toString('hex'), hex(k.wire).toString('hex'));
      assert.deepEqual(ndr.ndrDecode(k.type, wire), k.value);
    });
  }
});

const BAD_WIRE: [string, NdrType, string][] = [
  ['truncated u32', ndr.u32, '010203'],
  ['trailing bytes', ndr.u32, '0102030405'],
  ['size_is does not match max count', COUNTED, '02000000 00000200 03000000 0100 0200 0300'],
  ['size_is non-zero with NULL pointer', COUNTED, '01000000 00000000'],
  ['conformant struct count mismatch', CONF, '02000000 aaaa 0100 05000000 06000000'],
  ['huge max count', COUNTED, 'ffffffff 00000200 ffffffff 0100'],
  ['varying offset non-zero', CV, '02000000 09000000 01000000 01000000 0700'],
  ['actual count > max count', CV, '01000000 09000000 00000000 02000000 0700 0800'],
  ['ustring odd Length', ndr.ustring, '0300 0400 00000200 02000000 00000000 01000000 6100'],
  ['ustring Length > MaximumLength', ndr.ustring, '0600 0400 00000200 02000000 00000000 03000000 610062006300'],
  ['ustring actual count mismatch', ndr.ustring, '0400 0400 00000200 02000000 00000000 01000000 6100'],
  ['ustring max count mismatch', ndr.ustring, '0400 0400 00000200 03000000 00000000 02000000 6100 6200'],
  ['ustring NULL buffer with a Length', ndr.ustring, '0400 0400 00000000'],
  ['ustring truncated referent', ndr.ustring, '0400 0400 00000200 02000000 00000000 02000000 61'],
  ['wstring without NUL', ndr.ptr(ndr.wstring), '00000200 02000000 00000000 02000000 6800 6900'],
  ['wstring zero actual count', ndr.ptr(ndr.wstring), '00000200 02000000 00000000 00000000'],
  ['RPC_SID count mismatch', ndr.ptr(ndr.sid), '00000200 02000000 01 01 000000000005 20000000 20020000'],
  ['RPC_SID revision 2', ndr.ptr(ndr.sid), '00000200 01000000 02 01 000000000005 20000000'],
  ['RPC_SID 16 sub-authorities', ndr.ptr(ndr.sid), '00000200 10000000 01 10 000000000005' + '00000000'.repeat(16)],
  ['union unknown case', U, '0900 0000 05000000'],
  ['[ref] pointer NULL', ndr.ptr(ndr.u32, { ref: true }), '00000000'],
  ['empty input', OUTER, ''],
];

test('NDR decoder rejects malformed input with NdrError', async (t) => {
  for (const [name, type, w] of BAD_WIRE) {
    await t.test(name, () => {
      assert.throws(() => ndr.ndrDecode(type, hex(w)), NdrError);
    });
  }
});

test('NDR encoder rejects bad values with NdrError', () => {
  const bad: [NdrType, unknown][] = [
    [ndr.u8, 256],
    [ndr.u16, -1],
    [ndr.u32, 2 ** 32],
    [ndr.u32, 1.5],
    [ndr.u32, '1'],
    [ndr.i32, 2 ** 31],
    [ndr.u64, -1n],
    [ndr.u64, 1],
    [ndr.filetime, 2n ** 64n],
    [ndr.bytes(4), Buffer.alloc(3)],
    [ndr.fixedArray(ndr.u16, 2), [1]],
    [ndr.ptr(ndr.u32, { ref: true }), null],
    [ndr.ptr(ndr.sid), 'S-1-x'],
    [ndr.ustring, 5],
    [ndr.ustring, 'x'.repeat(40000)],
    [U, { tag: 9, value: 1 }],
    [PRIMS, { a: 1 }],
    [COUNTED, { arr: 'nope' }],
  ];
  for (const [type, value] of bad) {
    assert.throws(() => ndr.ndrEncode(type, value as never), NdrError, JSON.stringify(String(value)).slice(0, 40));
  }
});

test('declarations are checked when built', () => {
  assert.throws(() => ndr.struct('X', { a: ndr.carray(ndr.u8), b: ndr.u32 }), NdrError); // conformant not last
  assert.throws(() => ndr.struct('X', { a: CONF, b: ndr.u32 }), NdrError); // conformant struct not last
  assert.throws(() => ndr.struct('X', { n: ndr.sizeOf('b'), a: ndr.u32 }), NdrError); // missing target
  assert.throws(() => ndr.struct('X', { a: ndr.carray(ndr.u8), n: ndr.sizeOf('a') }), NdrError); // target before count
  assert.throws(() => ndr.struct('X', { n: ndr.sizeOf('a'), a: ndr.u32 }), NdrError); // target not an array
  assert.throws(() => ndr.carray(CONF), NdrError);
  assert.throws(() => ndr.fixedArray(ndr.u8, -1), NdrError);
  assert.throws(() => ndr.union('X', 'u16', { 70000: ndr.u8 }), NdrError);
});

test('MS-RPCE 2.2.6 type serialization version 1', () => {
  const b = ndr.encodeTypeSerialization1(ndr.ptr(ndr.u32), 7);
  // common header, private header (ObjectBufferLength 8, filler 0), NDR data padded to 8
  assert.equal(b.toString('hex'), '01100800cccccccc' + '0800000000000000' + '0000020007000000');
  assert.equal(ndr.decodeTypeSerialization1(ndr.ptr(ndr.u32), b), 7);
  const odd = ndr.encodeTypeSerialization1(ndr.ptr(ndr.u16), 7);
  assert.equal(odd.readUInt32LE(8), 8); // 6 bytes of data + 2 of padding
  assert.equal(ndr.decodeTypeSerialization1(ndr.ptr(ndr.u16), odd), 7);

  const bad: [string, string][] = [
    ['truncated header', '01100800cccccccc08000000'],
    ['version 2', '02100800cccccccc0800000000000000 0000020007000000'],
    ['big-endian', '01000800cccccccc0800000000000000 0000020007000000'],
    ['header length', '01100400cccccccc0800000000000000 0000020007000000'],
    ['object length too big', '01100800cccccccc0900000000000000 0000020007000000'],
    ['8 unused bytes', '01100800cccccccc1000000000000000 0000020007000000 0000000000000000'],
    ['truncated object', '01100800cccccccc0400000000000000 0000020007000000'],
  ];
  for (const [name, w] of bad) assert.throws(() => ndr.decodeTypeSerialization1(ndr.ptr(ndr.u32), hex(w)), NdrError, name);
});

test('NdrWriter/NdrReader: several top-level types in one stream (RPC parameters)', () => {
  const w = new ndr.NdrWriter();
  ndr.writeNdr(w, ndr.ptr(ndr.wstring), 'srv');
  ndr.writeNdr(w, ndr.u16, 3);
  ndr.writeNdr(w, ndr.ptr(ndr.u32), 1);
  const r = new ndr.NdrReader(w.toBuffer());
  assert.equal(ndr.readNdr(r, ndr.ptr(ndr.wstring)), 'srv');
  assert.equal(ndr.readNdr(r, ndr.u16), 3);
  assert.equal(ndr.readNdr(r, ndr.ptr(ndr.u32)), 1);
  assert.equal(r.remaining, 0);
});

test('maps: user values over wire declarations, errors become NdrError', () => {
  const hexId = ndr.map('HEXID', ndr.bytes(4), {
    from: (b) => b.toString('hex'),
    to: (s: string) => {
      if (!/^[0-9a-f]{8}$/.test(s)) throw new Error('need 8 hex digits');
      return Buffer.from(s, 'hex');
    },
  });
  const S = ndr.struct('S', { id: hexId, p: ndr.ptr(hexId) });
  const wire = ndr.ndrEncode(S, { id: 'deadbeef', p: '01020304' });
  assert.equal(wire.toString('hex'), 'deadbeef0000020001020304');
  assert.deepEqual(ndr.ndrDecode(S, wire), { id: 'deadbeef', p: '01020304' });
  assert.throws(() => ndr.ndrEncode(S, { id: 'zz', p: null }), NdrError);
});

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

test('hostile input: random, truncated and bit-flipped buffers raise only NdrError', () => {
  const rnd = xorshift(0xc0ffee);
  const types: [NdrType, Buffer][] = CASES.map((k) => [k.type, ndr.ndrEncode(k.type, k.value)]);
  const start = Date.now();
  let n = 0;
  for (let round = 0; round < 200; round++) {
    for (const [type, good] of types) {
      const inputs: Buffer[] = [good.subarray(0, rnd() % (good.length + 1))];
      const flipped = Buffer.from(good);
      if (flipped.length) flipped[rnd() % flipped.length] ^= 1 << rnd() % 8;
      inputs.push(flipped);
      const noise = Buffer.alloc(rnd() % 64);
      for (let i = 0; i < noise.length; i++) noise[i] = rnd() & 0xff;
      inputs.push(noise);
      for (const input of inputs) {
        n++;
        try {
          ndr.ndrDecode(type, input);
        } catch (e) {
          assert.ok(e instanceof NdrError, `${(e as Error).name}: ${(e as Error).message}`);
        }
      }
    }
  }
  assert.ok(n > 10000);
  assert.ok(Date.now() - start < 5000, 'fuzzing took too long');
});

test('a max count of 0xFFFFFFFF fails before allocating', () => {
  const start = Date.now();
  assert.throws(() => ndr.ndrDecode(ndr.ptr(ndr.carray(ndr.u8)), hex('00000200 ffffffff 00')), NdrError);
  assert.throws(() => ndr.ndrDecode(ndr.ptr(ndr.carray(ndr.empty)), hex('00000200 ffffffff')), NdrError);
  assert.throws(() => ndr.ndrDecode(ndr.ptr(ndr.cvarray(ndr.u32)), hex('00000200 ffffffff 00000000 ffffffff')), NdrError);
  assert.ok(Date.now() - start < 100);
});
