// Unit tests for the DER reader/writer and schema combinators (src/encoding/der.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DecodeContext,
  DerError,
  TagClass,
  anyElement,
  app,
  bigInteger,
  bitString,
  boolean,
  constructed,
  contextTag,
  decodeDer,
  encodeDer,
  explicit,
  generalizedTime,
  ia5String,
  implicit,
  int32,
  integerInRange,
  kerberosFlags,
  kerberosString,
  map,
  nullValue,
  objectIdentifier,
  octetString,
  opt,
  primitive,
  rawNode,
  readChildren,
  readElement,
  readTop,
  req,
  seq,
  seqOf,
  struct,
  tagId,
  toBuffer,
  uint32,
  utf8String,
  withRaw,
  type Codec,
  type DerElement,
} from '../../src/encoding/der.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const enc = <T>(c: Codec<T>, v: T): string => encodeDer(c, v).toString('hex');
const isDerError = (e: unknown): boolean => e instanceof DerError;

test('INTEGER: minimal two’s complement encoding', () => {
  const table: Array<[number, string]> = [
    [0, '020100'],
    [1, '020101'],
    [127, '02017f'],
    [128, '02020080'],
    [255, '020200ff'],
    [256, '02020100'],
    [-1, '0201ff'],
    [-128, '020180'],
    [-129, '0202ff7f'],
    [-256, '0202ff00'],
    [-257, '0202feff'],
    [32767, '02027fff'],
    [32768, '0203008000'],
    [-32768, '02028000'],
    [0x7fffffff, '02047fffffff'],
    [-0x80000000, '020480000000'],
    [-135, '0202ff79'],
  ];
  for (const [v, der] of table) {
    assert.equal(enc(int32, v), der, String(v));
    assert.equal(decodeDer(int32, h(der)), v, der);
  }
});

test('INTEGER: lenient decoding of non-minimal encodings, strict ranges', () => {
  const ok: Array<[string, number]> = [
    ['0202007f', 127],
    ['02030000ff', 255],
    ['0203ffff80', -128],
    ['020a00000000000000000005', 5],
    ['0209ffffffffffffffffff', -1],
  ];
  for (const [der, v] of ok) assert.equal(decodeDer(int32, h(der)), v, der);
  const bad = ['0200', '020480', '02050080000000', '0205ff7fffffff', '0207 01000000000000', '2203020101' /* constructed */];
  for (const der of bad) assert.throws(() => decodeDer(int32, h(der)), isDerError, der);
  for (const v of [2 ** 31, -(2 ** 31) - 1, 1.5, NaN, Infinity]) assert.throws(() => encodeDer(int32, v), isDerError, String(v));
  const small = integerInRange(0, 10);
  assert.throws(() => decodeDer(small, h('02010b')), isDerError);
  assert.equal(decodeDer(small, h('02010a')), 10);
});

test('UInt32: 5-octet encodings, negative Int32 accepted on decode (RFC 4120 5.5.1)', () => {
  const table: Array<[number, string]> = [
    [0, '020100'],
    [0x80000000, '02050080000000'],
    [0xdeadbeef, '020500deadbeef'],
    [0xffffffff, '020500ffffffff'],
  ];
  for (const [v, der] of table) {
    assert.equal(enc(uint32, v), der);
    assert.equal(decodeDer(uint32, h(der)), v);
  }
  assert.equal(decodeDer(uint32, h('0204ffffffff')), 0xffffffff);
  assert.equal(decodeDer(uint32, h('020480000000')), 0x80000000);
  assert.equal(decodeDer(uint32, h('0201ff')), 0xffffffff);
  for (const der of ['02050100000000', '0205ff7fffffff']) assert.throws(() => decodeDer(uint32, h(der)), isDerError, der);
  for (const v of [-1, 2 ** 32]) assert.throws(() => encodeDer(uint32, v), isDerError);
});

test('INTEGER as bigint', () => {
  const table: Array<[bigint, string]> = [
    [0n, '020100'],
    [127n, '02017f'],
    [128n, '02020080'],
    [-128n, '020180'],
    [-129n, '0202ff7f'],
    [2n ** 64n, '0209010000000000000000'],
    [-(2n ** 64n), '0209ff0000000000000000'],
    [2n ** 127n - 1n, '02107fffffffffffffffffffffffffffffff'],
  ];
  for (const [v, der] of table) {
    assert.equal(enc(bigInteger, v), der, String(v));
    assert.equal(decodeDer(bigInteger, h(der)), v);
  }
});

test('BOOLEAN and NULL', () => {
  assert.equal(enc(boolean, true), '0101ff');
  assert.equal(enc(boolean, false), '010100');
  assert.equal(decodeDer(boolean, h('0101ff')), true);
  assert.equal(decodeDer(boolean, h('010101')), true); // BER TRUE, accepted
  assert.equal(decodeDer(boolean, h('010100')), false);
  for (const der of ['0100', '010200ff', '0201ff']) assert.throws(() => decodeDer(boolean, h(der)), isDerError, der);
  assert.equal(enc(nullValue, null), '0500');
  assert.equal(decodeDer(nullValue, h('0500')), null);
  assert.throws(() => decodeDer(nullValue, h('050100')), isDerError);
});

test('OCTET STRING copies and rejects the constructed form', () => {
  const src = h('0403010203');
  const v = decodeDer(octetString, src);
  assert.deepStrictEqual(v, h('010203'));
  src[2] = 0xff;
  assert.equal(v[0], 1, 'decoded bytes must not alias the input');
  assert.throws(() => decodeDer(octetString, h('2405040301 0203')), isDerError);
});

test('KerberosFlags: 32-bit on encode, lenient on decode', () => {
  assert.equal(enc(kerberosFlags, 0), '03050000000000');
  assert.equal(enc(kerberosFlags, 0x40810010), '03050040810010');
  assert.equal(enc(kerberosFlags, 0xffffffff), '030500ffffffff');
  assert.equal(enc(kerberosFlags, -1), '030500ffffffff');
  const table: Array<[string, number]> = [
    ['03050040810010', 0x40810010],
    ['03020780', 0x80000000], // one named bit, as a DER named-bit-list encoder would emit
    ['030207ff', 0x80000000], // padding bits are masked out
    ['03030040ff', 0x40ff0000],
    ['030100', 0], // empty bit string
    ['0307004081001011ff', 0x40810010], // bits past 31 ignored
    ['030500408100ff', 0x408100ff],
  ];
  for (const [der, v] of table) assert.equal(decodeDer(kerberosFlags, h(der)), v, der);
  for (const der of ['0300', '030101', '03020880', '2303030100']) assert.throws(() => decodeDer(kerberosFlags, h(der)), isDerError, der);
  assert.throws(() => encodeDer(kerberosFlags, 2 ** 32), isDerError);
});

test('BIT STRING (generic)', () => {
  const v = { unusedBits: 3, data: h('a0e8') };
  assert.equal(enc(bitString, v), '030303a0e8');
  assert.deepStrictEqual(decodeDer(bitString, h('030303a0e8')), v);
  assert.deepStrictEqual(decodeDer(bitString, h('030100')), { unusedBits: 0, data: Buffer.alloc(0) });
  assert.throws(() => encodeDer(bitString, { unusedBits: 8, data: h('00') }), isDerError);
  assert.throws(() => encodeDer(bitString, { unusedBits: 1, data: Buffer.alloc(0) }), isDerError);
});

test('KerberosString: GeneralString with UTF-8, other string tags accepted, invalid UTF-8 rejected', () => {
  assert.equal(enc(kerberosString, 'EXAMPLE.COM'), '1b0b4558414d504c452e434f4d');
  assert.equal(enc(kerberosString, 'José'), '1b054a6f73c3a9');
  assert.equal(decodeDer(kerberosString, h('1b054a6f73c3a9')), 'José');
  assert.equal(decodeDer(kerberosString, h('1603616263')), 'abc'); // IA5String
  assert.equal(decodeDer(kerberosString, h('0c03616263')), 'abc'); // UTF8String
  assert.equal(decodeDer(kerberosString, h('1b00')), '');
  assert.equal(enc(utf8String, 'é'), '0c02c3a9');
  assert.equal(enc(ia5String, 'a'), '160161');
  for (const der of ['1b01ff', '1b02c3', '1b03eda080' /* surrogate */, '0403616263', '3b03 1b0161'])
    assert.throws(() => decodeDer(kerberosString, h(der)), isDerError, der);
});

test('GeneralizedTime: "YYYYMMDDHHMMSSZ", fractions accepted on input and never emitted', () => {
  const at = (s: string): Buffer => Buffer.concat([Buffer.from([0x18, s.length]), Buffer.from(s, 'latin1')]);
  const d = (iso: string): Date => new Date(iso);
  assert.equal(encodeDer(generalizedTime, d('2024-03-15T12:34:56.789Z')).toString('latin1', 2), '20240315123456Z');
  assert.equal(encodeDer(generalizedTime, new Date(0)).toString('latin1', 2), '19700101000000Z');
  assert.equal(encodeDer(generalizedTime, d('0099-01-01T00:00:00Z')).toString('latin1', 2), '00990101000000Z');
  const ok: Array<[string, string]> = [
    ['20240315123456Z', '2024-03-15T12:34:56Z'],
    ['20240315123456.789Z', '2024-03-15T12:34:56Z'],
    ['20240315123456,5Z', '2024-03-15T12:34:56Z'],
    ['20370913024805Z', '2037-09-13T02:48:05Z'],
    ['19700101000000Z', '1970-01-01T00:00:00Z'],
    ['20240229000000Z', '2024-02-29T00:00:00Z'],
    ['00990101000000Z', '0099-01-01T00:00:00Z'],
  ];
  for (const [s, iso] of ok) assert.deepStrictEqual(decodeDer(generalizedTime, at(s)), d(iso), s);
  const bad = [
    '20240315123456', // no Z (local time)
    '20240315123456+0100',
    '2024031512345Z',
    '20240315123456.Z',
    '20241315123456Z',
    '20240230123456Z',
    '20230229000000Z',
    '20240315243456Z',
    '20240315126056Z',
    '2024031512345aZ',
    '20240315123456.1aZ',
    '20240015123456Z',
    '20240300123456Z',
  ];
  for (const s of bad) assert.throws(() => decodeDer(generalizedTime, at(s)), isDerError, s);
  assert.throws(() => encodeDer(generalizedTime, new Date(NaN)), isDerError);
  assert.throws(() => encodeDer(generalizedTime, d('+010000-01-01T00:00:00Z')), isDerError);
});

test('OBJECT IDENTIFIER', () => {
  const table: Array<[string, string]> = [
    ['1.2.840.113554.1.2.2', '06092a864886f712010202'], // Kerberos 5 GSS mechanism
    ['1.2.840.48018.1.2.2', '06092a864882f712010202'], // MS Kerberos
    ['1.3.6.1.5.5.2', '06062b0601050502'], // SPNEGO
    ['1.3.6.1.5.2.3.1', '06072b060105020301'], // PKINIT authData
    ['2.999.3', '0603883703'],
    ['0.0', '060100'],
  ];
  for (const [oid, der] of table) {
    assert.equal(enc(objectIdentifier, oid), der, oid);
    assert.equal(decodeDer(objectIdentifier, h(der)), oid, der);
  }
  // UUID-based OIDs (X.667) have arcs far beyond 2^53.
  for (const oid of ['2.25.329800735698586629295641978511506172918', '1.2.18446744073709551616.5']) {
    assert.equal(decodeDer(objectIdentifier, encodeDer(objectIdentifier, oid)), oid);
  }
  for (const bad of ['', '1', '3.1', '1.40', '1.2.', '1..2', '1.02', 'a.b']) assert.throws(() => encodeDer(objectIdentifier, bad), isDerError, bad);
  for (const der of ['0600', '060186', '06028001', '2603010203']) assert.throws(() => decodeDer(objectIdentifier, h(der)), isDerError, der);
});

test('reader: lengths, tags and bounds', () => {
  const ctx = (): DecodeContext => new DecodeContext();
  // Non-minimal long-form length is tolerated (BER peers); the value is still checked.
  assert.deepStrictEqual(decodeDer(octetString, h('048103010203')), h('010203'));
  assert.deepStrictEqual(decodeDer(octetString, h('04820003010203')), h('010203'));
  const bad = [
    '', // nothing
    '04', // no length
    '0480', // indefinite
    '048801', // truncated length octets
    '0489000000000000000001aa', // 9 length octets
    '040501', // length past end
    '0403010203ff', // trailing byte
    '1f', // truncated high tag
    '1f80 01 00', // non-minimal high tag
    '1f1e00', // high-tag form for a low tag number
    '1f8180808000 00', // tag number too large
  ];
  for (const der of bad) assert.throws(() => readTop(h(der), ctx()), isDerError, der);
  const el = readTop(h('bf8a3b03020101'), ctx()); // [CONTEXT 1339] constructed, high tag form
  assert.equal(el.cls, TagClass.CONTEXT);
  assert.equal(el.tag, 1339);
  assert.equal(el.constructed, true);
  assert.equal(readChildren(el, ctx())[0].tag, 2);
  assert.deepStrictEqual(tagId(TagClass.CONTEXT, true, 1339), Uint8Array.from([0xbf, 0x8a, 0x3b]));
  // readElement never reads past the limit it is given, even when the buffer continues.
  assert.throws(() => readElement(h('0403010203'), 0, 4, 0, ctx()), isDerError);
  assert.throws(() => readTop(42 as unknown as Buffer, ctx()), isDerError);
});

test('reader: depth and element limits', () => {
  // Walk any tree generically; the depth limit must stop it, not the JS stack.
  const walk = (el: DerElement, c: DecodeContext): void => {
    if (el.constructed) for (const ch of readChildren(el, c)) walk(ch, c);
  };
  let inner = h('0500');
  for (let i = 0; i < 40; i++) inner = wrap(inner);
  function wrap(b: Buffer): Buffer {
    const len = b.length < 0x80 ? [b.length] : [0x82, b.length >> 8, b.length & 0xff];
    return Buffer.concat([Buffer.from([0x30, ...len]), b]);
  }
  const c1 = new DecodeContext();
  assert.throws(() => walk(readTop(inner, c1), c1), (e: unknown) => e instanceof DerError && /nesting too deep/.test(e.message));
  const c2 = new DecodeContext({ maxDepth: 64 });
  walk(readTop(inner, c2), c2);
  const many = encodeDer(seqOf(int32), new Array<number>(1000).fill(1));
  assert.throws(() => decodeDer(seqOf(int32), many, { maxElements: 500 }), (e: unknown) => e instanceof DerError && /too many elements/.test(e.message));
  assert.equal(decodeDer(seqOf(int32), many).length, 1000);
});

test('writer: length forms at the boundaries', () => {
  const table: Array<[number, string]> = [
    [0, '0400'],
    [127, '047f'],
    [128, '048180'],
    [255, '0481ff'],
    [256, '04820100'],
    [65535, '0482ffff'],
    [65536, '0483010000'],
    [0x1000000, '048401000000'],
  ];
  for (const [n, hdr] of table) {
    const der = encodeDer(octetString, Buffer.alloc(n, 0xab));
    assert.equal(der.subarray(0, hdr.length / 2).toString('hex'), hdr, String(n));
    assert.equal(der.length, hdr.length / 2 + n);
    assert.equal(decodeDer(octetString, der).length, n);
  }
  // Node builders compose and are written in one pass.
  const node = constructed(contextTag(3), [primitive(0x04, h('0102')), rawNode(h('0500'))]);
  assert.equal(toBuffer(node).toString('hex'), 'a306040201020500');
});

interface Demo {
  a: number;
  b?: string;
  c: Buffer[];
}
const demo = struct<Demo>({ a: req(0, int32), b: opt(2, kerberosString), c: req(5, seqOf(octetString)) }, 'Demo');

test('seq/struct: optional fields, extension tolerance, order and presence checks', () => {
  const v: Demo = { a: 7, c: [h('01')] };
  const der = encodeDer(demo, v);
  assert.equal(der.toString('hex'), '300ca003020107a5053003040101');
  const back = decodeDer(demo, der);
  assert.deepStrictEqual(back, v);
  assert.ok(!('b' in back), 'absent optional fields are omitted, not undefined');
  assert.deepStrictEqual(decodeDer(demo, encodeDer(demo, { ...v, b: 'x' })), { ...v, b: 'x' });
  // Unknown context tags in order (extensions) are skipped, even after the last known field.
  assert.deepStrictEqual(decodeDer(demo, h('3016 a003020107 a103020105 a5053003040101 a703020101'.replace(/ /g, ''))), v);
  const bad = [
    '3000', // missing a
    '3007a5053003040101', // missing a
    '3005a003020107', // missing c
    '300ca5053003040101a003020107', // out of order
    '3011a003020107a003020107a5053003040101', // duplicate
    '300f020107a003020107a5053003040101', // untagged component
    '300a800107a5053003040101', // primitive [0]
    '300fa006020107020107a5053003040101', // two elements inside an explicit tag
    '310ca003020107a5053003040101', // SET instead of SEQUENCE
    '300ea003020107a5053003040101a100', // empty unknown extension [1]... out of order anyway
    '3010a003020107a5053003040101a60100', // malformed unknown extension
  ];
  for (const der of bad) assert.throws(() => decodeDer(demo, h(der)), isDerError, der);
  assert.throws(() => encodeDer(demo, { c: [] } as unknown as Demo), isDerError);
  assert.throws(() => seq({ x: req(2, int32), y: req(1, int32) }), isDerError);
});

test('explicit / app / implicit / map / withRaw / anyElement', () => {
  const ticketish = app(1, struct<{ v: number }>({ v: req(0, int32) }));
  assert.equal(enc(ticketish, { v: 5 }), '61073005a003020105');
  assert.throws(() => decodeDer(ticketish, h('62073005a003020105')), isDerError);
  assert.equal(enc(explicit(TagClass.CONTEXT, 2, int32), 1), 'a203020101');
  const imp = implicit(TagClass.CONTEXT, 0, octetString);
  assert.equal(enc(imp, h('aabb')), '8002aabb');
  assert.deepStrictEqual(decodeDer(imp, h('8002aabb')), h('aabb'));
  assert.throws(() => decodeDer(imp, h('0402aabb')), isDerError);
  const impSeq = implicit(TagClass.CONTEXT, 1, seqOf(int32));
  assert.equal(enc(impSeq, [1, 2]), 'a106020101020102');
  assert.deepStrictEqual(decodeDer(impSeq, h('a106020101020102')), [1, 2]);
  const asString = map(
    int32,
    (n) => String(n),
    (s) => Number(s),
  );
  assert.equal(decodeDer(asString, h('020105')), '5');
  assert.equal(enc(asString, '5'), '020105');
  const raw = decodeDer(seqOf(withRaw(int32)), h('3007 0202007f 020101'.replace(/ /g, '')));
  assert.deepStrictEqual(raw, [
    { value: 127, raw: h('0202007f') },
    { value: 1, raw: h('020101') },
  ]);
  assert.deepStrictEqual(decodeDer(seqOf(anyElement), h('30050500020101')), [h('0500'), h('020101')]);
  assert.equal(enc(seqOf(anyElement), [h('0500')]), '30020500');
});

test('a malformed element never escapes as a non-DerError', () => {
  const codecs: Array<Codec<unknown>> = [int32, uint32, bigInteger, boolean, octetString, bitString, kerberosFlags, kerberosString, generalizedTime, objectIdentifier, demo];
  for (let i = 0; i < 3000; i++) {
    const len = i % 40;
    const buf = Buffer.alloc(len + 2);
    for (let j = 0; j < buf.length; j++) buf[j] = (Math.imul(i + 1, 2654435761) >>> (j % 24)) & 0xff;
    buf[0] = [0x02, 0x01, 0x04, 0x03, 0x1b, 0x18, 0x06, 0x30][i % 8];
    buf[1] = len;
    for (const c of codecs) {
      try {
        decodeDer(c, buf);
      } catch (e) {
        assert.ok(e instanceof DerError, `${String(e)} on ${buf.toString('hex')}`);
      }
    }
  }
});
