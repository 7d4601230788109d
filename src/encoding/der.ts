// A small DER (ITU-T X.690) reader and writer for Kerberos (RFC 4120 section 5), SPNEGO (RFC 4178)
// and PKINIT (RFC 4556), plus a typed schema combinator so that a structure is declared once and
// both its encoder and decoder are derived from the declaration.
//
// Reader: the input is untrusted network data. Every read is bounds-checked against the enclosing
// element, nesting depth and the total number of elements are capped, and every failure is a
// DerError (never a RangeError/TypeError), so callers can map "malformed" to one protocol error.
// Strictness follows RFC 4120 section 5 ("DER is used for encoding, but implementations should be
// liberal in what they accept"): things real peers get wrong (non-minimal INTEGERs, non-minimal
// long-form lengths, non-0xFF TRUE, fractional seconds in GeneralizedTime, signed encodings of
// unsigned 32-bit values) are accepted; things that only hostile input produces (indefinite
// lengths, lengths past the end, trailing bytes, wrong tags) are rejected.
//
// Writer: values are first turned into a tree of DerNode whose sizes are known bottom-up, then the
// whole tree is written into one pre-sized Buffer, so every output byte is copied exactly once.

/** The only error the reader, the writer and the combinators throw. */
export class DerError extends Error {
  /** Byte offset in the input where the problem was found, when known. */
  readonly offset: number | undefined;
  constructor(message: string, offset?: number, options?: { cause?: unknown }) {
    super(offset === undefined ? message : `${message} (at offset ${offset})`, options);
    this.name = 'DerError';
    this.offset = offset;
  }
}

// ---------------------------------------------------------------------------------------------
// Tags (X.690 8.1.2)

/** Identifier-octet class bits, as they appear in the first identifier byte. */
export const TagClass = {
  UNIVERSAL: 0x00,
  APPLICATION: 0x40,
  CONTEXT: 0x80,
  PRIVATE: 0xc0,
} as const;
export type TagClassValue = (typeof TagClass)[keyof typeof TagClass];

/** Universal tag numbers used here (X.680 8.4). */
export const UniversalTag = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OBJECT_IDENTIFIER: 6,
  ENUMERATED: 10,
  UTF8_STRING: 12,
  SEQUENCE: 16,
  SET: 17,
  PRINTABLE_STRING: 19,
  IA5_STRING: 22,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
  VISIBLE_STRING: 26,
  GENERAL_STRING: 27,
  BMP_STRING: 30,
} as const;

const CONSTRUCTED = 0x20;

/**
 * Pre-encoded identifier octets: a number for the single-byte form (tag number < 31), otherwise
 * the bytes of the high-tag-number form. Build them once with tagId() and reuse.
 */
export type TagId = number | Uint8Array;

/** Identifier octets for a tag (X.690 8.1.2). */
export function tagId(cls: TagClassValue, constructed: boolean, tagNumber: number): TagId {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 0x0fffffff) {
    throw new DerError(`invalid tag number ${tagNumber}`);
  }
  const first = cls | (constructed ? CONSTRUCTED : 0);
  if (tagNumber < 31) return first | tagNumber;
  const digits: number[] = [];
  for (let n = tagNumber; n > 0; n = Math.floor(n / 128)) digits.unshift(n % 128);
  const out = new Uint8Array(digits.length + 1);
  out[0] = first | 0x1f;
  for (let i = 0; i < digits.length; i++) out[i + 1] = digits[i] | (i < digits.length - 1 ? 0x80 : 0);
  return out;
}

/** Explicit [n] context tag: always constructed (X.690 8.14.3). */
export function contextTag(n: number): TagId {
  return tagId(TagClass.CONTEXT, true, n);
}
/** Explicit [APPLICATION n] tag. */
export function applicationTag(n: number): TagId {
  return tagId(TagClass.APPLICATION, true, n);
}

// ---------------------------------------------------------------------------------------------
// Reader

/** Limits applied to one decode call. */
export interface DecodeLimits {
  /** Maximum nesting depth of constructed elements (default 32). */
  maxDepth?: number;
  /** Maximum number of elements (TLVs) parsed in one decode (default 100000). */
  maxElements?: number;
}

/** Per-decode state: the element budget and depth limit. Create one per top-level decode. */
export class DecodeContext {
  readonly maxDepth: number;
  readonly maxElements: number;
  elements = 0;
  constructor(limits: DecodeLimits = {}) {
    this.maxDepth = limits.maxDepth ?? 32;
    this.maxElements = limits.maxElements ?? 100_000;
  }
}

/** One parsed TLV; the value bytes are buf[contentStart, end). */
export interface DerElement {
  readonly buf: Buffer;
  readonly cls: TagClassValue;
  readonly constructed: boolean;
  readonly tag: number;
  /** Offset of the first identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
  /** Nesting depth (0 for the outermost element). */
  readonly depth: number;
}

/** Coerces caller input to a Buffer without copying; anything that is not bytes is a DerError. */
export function asBuffer(input: unknown): Buffer {
  if (Buffer.isBuffer(input)) return input;
  if (input instanceof Uint8Array) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  throw new DerError('input is not a Buffer');
}

/**
 * Parses the TLV header at buf[pos] without reading past `limit` (the end of the enclosing
 * element). Counts the element against the context budget and checks the depth limit.
 */
export function readElement(buf: Buffer, pos: number, limit: number, depth: number, ctx: DecodeContext): DerElement {
  if (limit > buf.length) limit = buf.length;
  if (++ctx.elements > ctx.maxElements) throw new DerError('too many elements', pos);
  if (depth > ctx.maxDepth) throw new DerError('nesting too deep', pos);
  if (pos >= limit) throw new DerError('unexpected end of data', pos);
  const start = pos;
  const first = buf[pos++];
  const cls = (first & 0xc0) as TagClassValue;
  const constructed = (first & CONSTRUCTED) !== 0;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    // High tag number form (X.690 8.1.2.4). Cap at 4 subsequent octets (28 bits).
    tag = 0;
    for (let i = 0; ; i++) {
      if (pos >= limit) throw new DerError('truncated tag', pos);
      if (i >= 4) throw new DerError('tag number too large', pos);
      const b = buf[pos++];
      if (i === 0 && b === 0x80) throw new DerError('non-minimal tag encoding', pos - 1);
      tag = tag * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    if (tag < 31) throw new DerError('non-minimal tag encoding', start);
  }
  if (pos >= limit) throw new DerError('truncated length', pos);
  const l0 = buf[pos++];
  let len: number;
  if (l0 < 0x80) {
    len = l0;
  } else if (l0 === 0x80) {
    // BER indefinite form; DER forbids it (X.690 10.1) and no Kerberos peer emits it.
    throw new DerError('indefinite length', pos - 1);
  } else {
    const n = l0 & 0x7f;
    // Long form. Leading zero octets (non-minimal) are tolerated; the value must still fit.
    if (n > 8) throw new DerError('length field too long', pos - 1);
    if (n > limit - pos) throw new DerError('truncated length', pos);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos++];
  }
  if (len > limit - pos) throw new DerError(`length ${len} exceeds available ${limit - pos} bytes`, start);
  return { buf, cls, constructed, tag, start, contentStart: pos, end: pos + len, depth };
}

/** The child elements of a constructed element, in order. */
export function readChildren(el: DerElement, ctx: DecodeContext): DerElement[] {
  if (!el.constructed) throw new DerError('expected a constructed element', el.start);
  const out: DerElement[] = [];
  let pos = el.contentStart;
  while (pos < el.end) {
    const child = readElement(el.buf, pos, el.end, el.depth + 1, ctx);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** The single element inside an explicit tag (X.690 8.14.3): exactly one, filling the content. */
export function readExplicitInner(el: DerElement, ctx: DecodeContext): DerElement {
  if (!el.constructed) throw new DerError('explicit tag must be constructed', el.start);
  const inner = readElement(el.buf, el.contentStart, el.end, el.depth + 1, ctx);
  if (inner.end !== el.end) throw new DerError('trailing data inside explicit tag', inner.end);
  return inner;
}

/** Parses the outermost element of `input`; it must span the whole input. */
export function readTop(input: Buffer, ctx: DecodeContext): DerElement {
  const buf = asBuffer(input);
  const el = readElement(buf, 0, buf.length, 0, ctx);
  if (el.end !== buf.length) throw new DerError('trailing data after element', el.end);
  return el;
}

/** Copy of the content bytes (copies so decoded values never alias a reusable network buffer). */
export function contentOf(el: DerElement): Buffer {
  return Buffer.from(el.buf.subarray(el.contentStart, el.end));
}
/** Copy of the whole TLV bytes. */
export function rawOf(el: DerElement): Buffer {
  return Buffer.from(el.buf.subarray(el.start, el.end));
}

function describe(el: DerElement): string {
  const cls = el.cls === 0 ? 'UNIVERSAL' : el.cls === 0x40 ? 'APPLICATION' : el.cls === 0x80 ? 'CONTEXT' : 'PRIVATE';
  return `[${cls} ${el.tag}${el.constructed ? ' constructed' : ''}]`;
}

/** Throws unless el has the given class/number/form. */
export function expectTag(el: DerElement, cls: TagClassValue, tag: number, constructed: boolean, what: string): void {
  if (el.cls !== cls || el.tag !== tag || el.constructed !== constructed) {
    throw new DerError(`expected ${what}, got ${describe(el)}`, el.start);
  }
}

function expectUniversalPrimitive(el: DerElement, tag: number, what: string): void {
  expectTag(el, TagClass.UNIVERSAL, tag, false, what);
}

// --- primitive value readers (content only; the caller has checked the tag) ---

/**
 * INTEGER content as a JS number. Non-minimal encodings (redundant leading 0x00/0xFF, which
 * X.690 8.3.2 forbids but some clients emit) are tolerated; at most 48 significant bits.
 */
function integerContentToNumber(el: DerElement): number {
  const { buf, contentStart: s, end: e } = el;
  if (e === s) throw new DerError('empty INTEGER', el.start);
  const negative = (buf[s] & 0x80) !== 0;
  const pad = negative ? 0xff : 0x00;
  let i = s;
  while (i < e - 1 && buf[i] === pad && (buf[i + 1] & 0x80) === (pad & 0x80)) i++;
  const n = e - i;
  if (n > 6) throw new DerError('INTEGER out of range', el.start);
  let u = 0;
  for (; i < e; i++) u = u * 256 + buf[i];
  return negative ? u - 2 ** (8 * n) : u;
}

/** INTEGER content as a bigint (arbitrary size), tolerating non-minimal encodings. */
export function integerContentToBigInt(el: DerElement): bigint {
  const { buf, contentStart: s, end: e } = el;
  if (e === s) throw new DerError('empty INTEGER', el.start);
  let v = 0n;
  for (let i = s; i < e; i++) v = (v << 8n) | BigInt(buf[i]);
  if ((buf[s] & 0x80) !== 0) v -= 1n << BigInt(8 * (e - s));
  return v;
}

// ---------------------------------------------------------------------------------------------
// Writer

/** A node of the output tree; `size` is the full TLV size. */
export abstract class DerNode {
  abstract readonly size: number;
  /** Writes the node at out[pos] and returns the position after it. */
  abstract writeTo(out: Buffer, pos: number): number;
}

function idLength(id: TagId): number {
  return typeof id === 'number' ? 1 : id.length;
}
function lengthLength(n: number): number {
  return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x1000000 ? 4 : 5;
}
function writeHeader(out: Buffer, pos: number, id: TagId, len: number): number {
  if (typeof id === 'number') out[pos++] = id;
  else for (let i = 0; i < id.length; i++) out[pos++] = id[i];
  if (len < 0x80) {
    out[pos++] = len;
  } else {
    const n = lengthLength(len) - 1;
    out[pos++] = 0x80 | n;
    for (let i = n - 1; i >= 0; i--) out[pos++] = Math.floor(len / 2 ** (8 * i)) & 0xff;
  }
  return pos;
}

/** Primitive element with the given content bytes. */
class PrimitiveNode extends DerNode {
  readonly size: number;
  constructor(
    readonly id: TagId,
    readonly content: Uint8Array,
  ) {
    super();
    this.size = idLength(id) + lengthLength(content.length) + content.length;
  }
  writeTo(out: Buffer, pos: number): number {
    pos = writeHeader(out, pos, this.id, this.content.length);
    out.set(this.content, pos);
    return pos + this.content.length;
  }
}

/** Constructed element; the content length is the sum of the children's sizes. */
class ConstructedNode extends DerNode {
  readonly size: number;
  readonly contentLength: number;
  constructor(
    readonly id: TagId,
    readonly children: readonly DerNode[],
  ) {
    super();
    let len = 0;
    for (const c of children) len += c.size;
    this.contentLength = len;
    this.size = idLength(id) + lengthLength(len) + len;
  }
  writeTo(out: Buffer, pos: number): number {
    pos = writeHeader(out, pos, this.id, this.contentLength);
    for (const c of this.children) pos = c.writeTo(out, pos);
    return pos;
  }
}

/** Already-encoded TLV bytes, inserted verbatim (e.g. a ticket received from elsewhere). */
class RawNode extends DerNode {
  readonly size: number;
  constructor(readonly bytes: Uint8Array) {
    super();
    this.size = bytes.length;
  }
  writeTo(out: Buffer, pos: number): number {
    out.set(this.bytes, pos);
    return pos + this.bytes.length;
  }
}

export function primitive(id: TagId, content: Uint8Array): DerNode {
  return new PrimitiveNode(id, content);
}
export function constructed(id: TagId, children: readonly DerNode[]): DerNode {
  return new ConstructedNode(id, children);
}
/** Inserts complete, already-encoded DER (one or more TLVs) verbatim. */
export function rawNode(bytes: Uint8Array): DerNode {
  return new RawNode(bytes);
}
/** Re-tags a primitive or constructed node (IMPLICIT tagging, X.680 31.2.7). */
export function retag(node: DerNode, id: TagId): DerNode {
  if (node instanceof PrimitiveNode) return new PrimitiveNode(id, node.content);
  if (node instanceof ConstructedNode) return new ConstructedNode(id, node.children);
  throw new DerError('cannot implicitly re-tag a raw node');
}

/** Serialises a node tree into one freshly allocated buffer. */
export function toBuffer(node: DerNode): Buffer {
  const out = Buffer.allocUnsafe(node.size);
  const end = node.writeTo(out, 0);
  if (end !== out.length) throw new DerError('internal: size mismatch while encoding');
  return out;
}

// --- primitive content encoders ---

function integerBytesFromNumber(v: number): Uint8Array {
  if (!Number.isSafeInteger(v)) throw new DerError(`INTEGER value ${v} is not a safe integer`);
  // Minimal two's complement (X.690 8.3.2): the fewest octets whose top bit still carries the sign.
  let n = 1;
  if (v >= 0) while (n < 8 && v >= 2 ** (8 * n - 1)) n++;
  else while (n < 8 && v < -(2 ** (8 * n - 1))) n++;
  const out = new Uint8Array(n);
  let x = v;
  for (let i = n - 1; i >= 0; i--) {
    const b = ((x % 256) + 256) % 256;
    out[i] = b;
    x = (x - b) / 256;
  }
  return out;
}

function integerBytesFromBigInt(v: bigint): Buffer {
  const bytes: number[] = [];
  let x = v;
  for (;;) {
    const b = Number(x & 0xffn);
    bytes.unshift(b);
    x >>= 8n; // arithmetic shift keeps the sign
    if ((x === 0n && (b & 0x80) === 0) || (x === -1n && (b & 0x80) !== 0)) break;
  }
  return Buffer.from(bytes);
}

// ---------------------------------------------------------------------------------------------
// Typed codecs and combinators

/**
 * A DER codec for values of type T. `node` builds the output tree; `read` decodes one element
 * (checking its tag). Declared with method syntax on purpose so that a Codec<number> is usable
 * where a Codec<unknown> is expected in the schema types below.
 */
export interface Codec<T> {
  node(value: T): DerNode;
  read(el: DerElement, ctx: DecodeContext): T;
  /** Expected identifier of the outer element, when fixed (used by implicit()). */
  readonly expect?: { cls: TagClassValue; tag: number; constructed: boolean };
}

/** Encodes a value with a codec into a new Buffer. */
export function encodeDer<T>(codec: Codec<T>, value: T): Buffer {
  return toBuffer(codec.node(value));
}

/** Decodes a complete buffer with a codec; the element must span the whole input. */
export function decodeDer<T>(codec: Codec<T>, input: Buffer, limits?: DecodeLimits): T {
  const ctx = new DecodeContext(limits);
  return codec.read(readTop(input, ctx), ctx);
}

function universalPrimitive<T>(tag: number, what: string, enc: (v: T) => Uint8Array, dec: (el: DerElement) => T): Codec<T> {
  const id = tagId(TagClass.UNIVERSAL, false, tag);
  return {
    expect: { cls: TagClass.UNIVERSAL, tag, constructed: false },
    node: (v) => new PrimitiveNode(id, enc(v)),
    read: (el) => {
      expectUniversalPrimitive(el, tag, what);
      return dec(el);
    },
  };
}

/** INTEGER restricted to [min, max] (both within the safe-integer range). */
export function integerInRange(min: number, max: number, what = 'INTEGER'): Codec<number> {
  return universalPrimitive<number>(
    UniversalTag.INTEGER,
    what,
    (v) => {
      if (!Number.isInteger(v) || v < min || v > max) throw new DerError(`${what} value ${v} out of range [${min}, ${max}]`);
      return integerBytesFromNumber(v);
    },
    (el) => {
      const v = integerContentToNumber(el);
      if (v < min || v > max) throw new DerError(`${what} value ${v} out of range [${min}, ${max}]`, el.start);
      return v;
    },
  );
}

/** Int32 (RFC 4120 5.2.4). */
export const int32: Codec<number> = integerInRange(-0x80000000, 0x7fffffff, 'Int32');

/**
 * UInt32 (RFC 4120 5.2.4) for nonces, kvnos and sequence numbers. Encodes 0..2^32-1 (which may
 * take 5 octets). Decodes leniently: RFC 4120 5.5.1 notes that some implementations send signed
 * two's-complement values for these fields, so -2^31..-1 is accepted and mapped to value + 2^32.
 */
export const uint32: Codec<number> = (() => {
  const strict = integerInRange(0, 0xffffffff, 'UInt32');
  const lenient = integerInRange(-0x80000000, 0xffffffff, 'UInt32');
  return {
    expect: strict.expect,
    node: (v: number) => strict.node(v),
    read: (el: DerElement, ctx: DecodeContext) => lenient.read(el, ctx) >>> 0,
  };
})();

/** INTEGER of any size as a bigint (e.g. PKINIT Diffie-Hellman values, certificate serials). */
export const bigInteger: Codec<bigint> = universalPrimitive<bigint>(UniversalTag.INTEGER, 'INTEGER', integerBytesFromBigInt, integerContentToBigInt);

/** BOOLEAN. DER says TRUE is 0xFF (X.690 11.1); any non-zero octet is accepted as TRUE. */
export const boolean: Codec<boolean> = universalPrimitive<boolean>(
  UniversalTag.BOOLEAN,
  'BOOLEAN',
  (v) => Uint8Array.of(v ? 0xff : 0x00),
  (el) => {
    if (el.end - el.contentStart !== 1) throw new DerError('BOOLEAN must have one content octet', el.start);
    return el.buf[el.contentStart] !== 0;
  },
);

/** NULL. */
export const nullValue: Codec<null> = universalPrimitive<null>(
  UniversalTag.NULL,
  'NULL',
  () => Buffer.alloc(0),
  (el) => {
    if (el.end !== el.contentStart) throw new DerError('NULL must be empty', el.start);
    return null;
  },
);

/** OCTET STRING (primitive form only, as DER requires). Decoded bytes are a copy. */
export const octetString: Codec<Buffer> = universalPrimitive<Buffer>(
  UniversalTag.OCTET_STRING,
  'OCTET STRING',
  (v) => v,
  contentOf,
);

/** BIT STRING value: the bytes and how many trailing bits of the last byte are unused. */
export interface BitStringValue {
  unusedBits: number;
  data: Buffer;
}

function checkBitStringHeader(el: DerElement): number {
  const len = el.end - el.contentStart;
  if (len < 1) throw new DerError('BIT STRING without unused-bits octet', el.start);
  const unused = el.buf[el.contentStart];
  if (unused > 7 || (len === 1 && unused !== 0)) throw new DerError('invalid BIT STRING unused-bits octet', el.start);
  return unused;
}

/** BIT STRING (generic form, e.g. PKINIT subjectPublicKey). */
export const bitString: Codec<BitStringValue> = universalPrimitive<BitStringValue>(
  UniversalTag.BIT_STRING,
  'BIT STRING',
  (v) => {
    if (!Number.isInteger(v.unusedBits) || v.unusedBits < 0 || v.unusedBits > 7 || (v.data.length === 0 && v.unusedBits !== 0)) {
      throw new DerError('invalid BIT STRING unused bits');
    }
    const out = Buffer.allocUnsafe(v.data.length + 1);
    out[0] = v.unusedBits;
    out.set(v.data, 1);
    return out;
  },
  (el) => ({ unusedBits: checkBitStringHeader(el), data: Buffer.from(el.buf.subarray(el.contentStart + 1, el.end)) }),
);

/**
 * KerberosFlags (RFC 4120 5.2.8) as a 32-bit number, bit 0 = most significant bit. Encoded as a
 * 32-bit BIT STRING (unused bits 0, four octets) as MIT and Windows do: RFC 4120 5.2.8 requires
 * at least 32 bits even though DER's named-bit rule would strip trailing zeros. Decoded leniently:
 * shorter strings are zero-extended, bits past 31 are ignored, declared-unused bits are masked.
 */
export const kerberosFlags: Codec<number> = universalPrimitive<number>(
  UniversalTag.BIT_STRING,
  'KerberosFlags',
  (v) => {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new DerError(`flags value ${v} is not 32-bit`);
    const u = v >>> 0;
    return Uint8Array.of(0, u >>> 24, (u >>> 16) & 0xff, (u >>> 8) & 0xff, u & 0xff);
  },
  (el) => {
    const unused = checkBitStringHeader(el);
    const n = el.end - el.contentStart - 1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      let b = i < n ? el.buf[el.contentStart + 1 + i] : 0;
      if (i === n - 1) b &= (0xff << unused) & 0xff;
      v = v * 256 + b;
    }
    return v >>> 0;
  },
);

// --- strings ---

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 content; invalid UTF-8 is rejected rather than replaced so names cannot collide. */
function utf8Content(el: DerElement): string {
  const { buf, contentStart: s, end: e } = el;
  let ascii = true;
  for (let i = s; i < e; i++) {
    if (buf[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return buf.toString('latin1', s, e);
  try {
    return utf8Fatal.decode(buf.subarray(s, e));
  } catch (err) {
    throw new DerError('invalid UTF-8 in string', el.start, { cause: err });
  }
}

function stringCodec(tag: number, what: string, acceptTags: readonly number[]): Codec<string> {
  const id = tagId(TagClass.UNIVERSAL, false, tag);
  return {
    expect: { cls: TagClass.UNIVERSAL, tag, constructed: false },
    node: (v) => {
      if (typeof v !== 'string') throw new DerError(`${what} value is not a string`);
      return new PrimitiveNode(id, Buffer.from(v, 'utf8'));
    },
    read: (el) => {
      if (el.cls !== TagClass.UNIVERSAL || el.constructed || !acceptTags.includes(el.tag)) {
        throw new DerError(`expected ${what}, got ${describe(el)}`, el.start);
      }
      return utf8Content(el);
    },
  };
}

const STRING_TAGS = [
  UniversalTag.GENERAL_STRING,
  UniversalTag.IA5_STRING,
  UniversalTag.UTF8_STRING,
  UniversalTag.PRINTABLE_STRING,
  UniversalTag.VISIBLE_STRING,
] as const;

/**
 * KerberosString (RFC 4120 5.2.1): GeneralString on the wire. RFC 4120 says IA5 only, but in
 * practice Windows and MIT carry UTF-8, so it is encoded and decoded as UTF-8; IA5String,
 * UTF8String, PrintableString and VisibleString are accepted on input.
 */
export const kerberosString: Codec<string> = stringCodec(UniversalTag.GENERAL_STRING, 'KerberosString', STRING_TAGS);
export const generalString: Codec<string> = kerberosString;
export const utf8String: Codec<string> = stringCodec(UniversalTag.UTF8_STRING, 'UTF8String', STRING_TAGS);
export const ia5String: Codec<string> = stringCodec(UniversalTag.IA5_STRING, 'IA5String', STRING_TAGS);

// --- time ---

function digits(buf: Buffer, at: number, n: number, el: DerElement): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[at + i] - 0x30;
    if (c < 0 || c > 9) throw new DerError('invalid digit in GeneralizedTime', el.start);
    v = v * 10 + c;
  }
  return v;
}

/**
 * GeneralizedTime as used by KerberosTime (RFC 4120 5.2.3): "YYYYMMDDHHMMSSZ", UTC, no fraction.
 * Encoding drops milliseconds. Decoding also accepts a fractional-seconds part (".f+" or ",f+",
 * X.680 46.2), which is truncated; the trailing "Z" is required.
 */
export const generalizedTime: Codec<Date> = universalPrimitive<Date>(
  UniversalTag.GENERALIZED_TIME,
  'GeneralizedTime',
  (d) => {
    const t = d instanceof Date ? d.getTime() : NaN;
    if (!Number.isFinite(t)) throw new DerError('invalid Date');
    const y = d.getUTCFullYear();
    if (y < 0 || y > 9999) throw new DerError(`year ${y} not representable in GeneralizedTime`);
    const out = new Uint8Array(15);
    const put = (at: number, v: number, w: number): void => {
      for (let i = w - 1; i >= 0; i--, v = Math.floor(v / 10)) out[at + i] = 0x30 + (v % 10);
    };
    put(0, y, 4);
    put(4, d.getUTCMonth() + 1, 2);
    put(6, d.getUTCDate(), 2);
    put(8, d.getUTCHours(), 2);
    put(10, d.getUTCMinutes(), 2);
    put(12, d.getUTCSeconds(), 2);
    out[14] = 0x5a; // 'Z'
    return out;
  },
  (el) => {
    const { buf, contentStart: s, end: e } = el;
    const len = e - s;
    if (len < 15) throw new DerError('GeneralizedTime too short', el.start);
    if (buf[e - 1] !== 0x5a /* Z */) throw new DerError('GeneralizedTime must be UTC ("Z")', el.start);
    const year = digits(buf, s, 4, el);
    const month = digits(buf, s + 4, 2, el);
    const day = digits(buf, s + 6, 2, el);
    const hour = digits(buf, s + 8, 2, el);
    const minute = digits(buf, s + 10, 2, el);
    const second = digits(buf, s + 12, 2, el);
    if (len > 15) {
      const sep = buf[s + 14];
      if ((sep !== 0x2e && sep !== 0x2c) || len < 17) throw new DerError('invalid GeneralizedTime fraction', el.start);
      digits(buf, s + 15, len - 16, el);
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
      throw new DerError('GeneralizedTime field out of range', el.start);
    }
    const date = new Date(0);
    // A leap second (":60", X.680 allows it) is clamped to :59 so it stays within its minute/day.
    // setUTCFullYear avoids Date.UTC's 0..99 => 1900+ mapping.
    date.setUTCFullYear(year, month - 1, day);
    date.setUTCHours(hour, minute, Math.min(second, 59), 0);
    if (date.getUTCDate() !== day) throw new DerError('GeneralizedTime day out of range for month', el.start);
    return date;
  },
);
/** KerberosTime (RFC 4120 5.2.3). */
export const kerberosTime: Codec<Date> = generalizedTime;

// --- OBJECT IDENTIFIER (X.690 8.19) as dotted string ---

export const objectIdentifier: Codec<string> = universalPrimitive<string>(
  UniversalTag.OBJECT_IDENTIFIER,
  'OBJECT IDENTIFIER',
  (oid) => {
    if (typeof oid !== 'string' || !/^[0-2](\.(0|[1-9][0-9]*))+$/.test(oid)) throw new DerError(`invalid OID "${String(oid)}"`);
    const arcs = oid.split('.').map((a) => BigInt(a));
    if (arcs[0] < 2n && arcs[1] > 39n) throw new DerError(`invalid OID "${oid}"`);
    const subs = [arcs[0] * 40n + arcs[1], ...arcs.slice(2)];
    const out: number[] = [];
    for (const sub of subs) {
      const chunk: number[] = [];
      let x = sub;
      do {
        chunk.unshift(Number(x & 0x7fn) | (chunk.length ? 0x80 : 0));
        x >>= 7n;
      } while (x > 0n);
      out.push(...chunk);
    }
    return Buffer.from(out);
  },
  (el) => {
    const { buf, contentStart: s, end: e } = el;
    if (e === s) throw new DerError('empty OBJECT IDENTIFIER', el.start);
    if ((buf[e - 1] & 0x80) !== 0) throw new DerError('truncated OBJECT IDENTIFIER', el.start);
    const parts: string[] = [];
    let i = s;
    while (i < e) {
      if (buf[i] === 0x80) throw new DerError('non-minimal OBJECT IDENTIFIER arc', el.start);
      let v = 0;
      let big: bigint | undefined;
      for (;;) {
        const b = buf[i++];
        if (big !== undefined) big = (big << 7n) | BigInt(b & 0x7f);
        else if (v > 0x3fffffffff) big = (BigInt(v) << 7n) | BigInt(b & 0x7f);
        else v = v * 128 + (b & 0x7f);
        if ((b & 0x80) === 0) break;
      }
      if (parts.length === 0) {
        if (big !== undefined) {
          parts.push('2', String(big - 80n));
        } else {
          const first = v < 40 ? 0 : v < 80 ? 1 : 2;
          parts.push(String(first), String(v - 40 * first));
        }
      } else {
        parts.push(big !== undefined ? String(big) : String(v));
      }
    }
    return parts.join('.');
  },
);

// --- any / raw ---

/** Any single element, kept as its complete TLV bytes (ASN.1 ANY / open types). */
export const anyElement: Codec<Buffer> = {
  node: (v) => new RawNode(v),
  read: (el) => rawOf(el),
};

// --- combinators ---

/** A SEQUENCE field with an explicit context tag [tag] (Kerberos modules use EXPLICIT TAGS). */
export interface Field<T, O extends boolean> {
  readonly tag: number;
  readonly codec: Codec<T>;
  readonly optional: O;
}
/** Required field [tag] EXPLICIT. */
export function req<T>(tag: number, codec: Codec<T>): Field<T, false> {
  return { tag, codec, optional: false };
}
/** OPTIONAL field [tag] EXPLICIT. Absent fields are omitted from decoded objects. */
export function opt<T>(tag: number, codec: Codec<T>): Field<T, true> {
  return { tag, codec, optional: true };
}

type AnyField = Field<unknown, boolean>;
type FieldValue<F> = F extends Field<infer T, boolean> ? T : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** The object type described by a field map: required fields plus `?:` optional ones. */
export type SeqValue<F extends Record<string, AnyField>> = Simplify<
  { [K in keyof F as F[K] extends Field<unknown, true> ? never : K]: FieldValue<F[K]> } & {
    [K in keyof F as F[K] extends Field<unknown, true> ? K : never]?: FieldValue<F[K]>;
  }
>;

const SEQUENCE_ID = tagId(TagClass.UNIVERSAL, true, UniversalTag.SEQUENCE);

/**
 * SEQUENCE whose components all carry explicit context tags, declared in tag order (the shape of
 * every RFC 4120 structure). Decoding tolerates unknown context tags that appear in order (the
 * extension markers of RFC 4120 5.1.1 / later RFCs), and rejects duplicates, out-of-order
 * components, untagged components and missing required components.
 */
export function seq<F extends Record<string, AnyField>>(fields: F, what = 'SEQUENCE'): Codec<SeqValue<F>> {
  const entries = Object.entries(fields).map(([name, f]) => ({ name, tag: f.tag, codec: f.codec, optional: f.optional, id: contextTag(f.tag) }));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i].tag <= entries[i - 1].tag) throw new DerError(`${what}: fields must be declared in increasing tag order`);
  }
  const byTag = new Map<number, number>(entries.map((e, i) => [e.tag, i]));
  return {
    expect: { cls: TagClass.UNIVERSAL, tag: UniversalTag.SEQUENCE, constructed: true },
    node: (value) => {
      const v = value as Record<string, unknown>;
      const children: DerNode[] = [];
      for (const e of entries) {
        const fv = v[e.name];
        if (fv === undefined) {
          if (!e.optional) throw new DerError(`${what}: missing required field ${e.name}`);
          continue;
        }
        children.push(new ConstructedNode(e.id, [e.codec.node(fv)]));
      }
      return new ConstructedNode(SEQUENCE_ID, children);
    },
    read: (el, ctx) => {
      expectTag(el, TagClass.UNIVERSAL, UniversalTag.SEQUENCE, true, what);
      const out: Record<string, unknown> = {};
      let next = 0; // index of the first field not yet consumed
      let lastTag = -1;
      let pos = el.contentStart;
      while (pos < el.end) {
        const child = readElement(el.buf, pos, el.end, el.depth + 1, ctx);
        pos = child.end;
        if (child.cls !== TagClass.CONTEXT) throw new DerError(`${what}: untagged component ${describe(child)}`, child.start);
        if (child.tag <= lastTag) throw new DerError(`${what}: component [${child.tag}] out of order or repeated`, child.start);
        lastTag = child.tag;
        const idx = byTag.get(child.tag);
        if (idx === undefined) {
          // Unknown extension component: skip it, but it must still be well-formed.
          readExplicitInner(child, ctx);
          continue;
        }
        for (let j = next; j < idx; j++) {
          if (!entries[j].optional) throw new DerError(`${what}: missing required field ${entries[j].name}`, child.start);
        }
        const e = entries[idx];
        const inner = readExplicitInner(child, ctx);
        out[e.name] = e.codec.read(inner, ctx);
        next = idx + 1;
      }
      for (let j = next; j < entries.length; j++) {
        if (!entries[j].optional) throw new DerError(`${what}: missing required field ${entries[j].name}`, el.start);
      }
      return out as SeqValue<F>;
    },
  };
}

/**
 * The field map that describes exactly the interface T: every property of T must be declared,
 * optional properties with opt() and required ones with req(), and nothing else. Used by struct()
 * so that a schema cannot silently drift from the TypeScript interface it decodes into.
 */
export type FieldsOf<T> = {
  [K in keyof T]-?: undefined extends T[K] ? Field<Exclude<T[K], undefined>, true> : Field<T[K], false>;
};

/** seq() checked against an existing interface T (see FieldsOf). */
export function struct<T>(fields: FieldsOf<T>, what?: string): Codec<T> {
  return seq(fields as unknown as Record<string, AnyField>, what) as unknown as Codec<T>;
}

/** SEQUENCE OF codec (X.690 8.10). */
export function seqOf<T>(item: Codec<T>, what = 'SEQUENCE OF'): Codec<T[]> {
  return {
    expect: { cls: TagClass.UNIVERSAL, tag: UniversalTag.SEQUENCE, constructed: true },
    node: (values) => {
      if (!Array.isArray(values)) throw new DerError(`${what}: value is not an array`);
      return new ConstructedNode(
        SEQUENCE_ID,
        values.map((v) => item.node(v)),
      );
    },
    read: (el, ctx) => {
      expectTag(el, TagClass.UNIVERSAL, UniversalTag.SEQUENCE, true, what);
      const out: T[] = [];
      let pos = el.contentStart;
      while (pos < el.end) {
        const child = readElement(el.buf, pos, el.end, el.depth + 1, ctx);
        out.push(item.read(child, ctx));
        pos = child.end;
      }
      return out;
    },
  };
}

/** Explicit tag of any class around a codec (e.g. [APPLICATION 1] Ticket). */
export function explicit<T>(cls: TagClassValue, tag: number, codec: Codec<T>, what = `[${tag}]`): Codec<T> {
  const id = tagId(cls, true, tag);
  return {
    expect: { cls, tag, constructed: true },
    node: (v) => new ConstructedNode(id, [codec.node(v)]),
    read: (el, ctx) => {
      expectTag(el, cls, tag, true, what);
      return codec.read(readExplicitInner(el, ctx), ctx);
    },
  };
}

/** [APPLICATION n] EXPLICIT wrapper, as used by every RFC 4120 message type. */
export function app<T>(n: number, codec: Codec<T>, what = `[APPLICATION ${n}]`): Codec<T> {
  return explicit(TagClass.APPLICATION, n, codec, what);
}

/** IMPLICIT tag (replaces the inner codec's tag; e.g. CMS [0] IMPLICIT). */
export function implicit<T>(cls: TagClassValue, tag: number, codec: Codec<T>, what = `[${tag}] IMPLICIT`): Codec<T> {
  const inner = codec.expect;
  if (!inner) throw new DerError('implicit() needs a codec with a fixed tag');
  const id = tagId(cls, inner.constructed, tag);
  return {
    expect: { cls, tag, constructed: inner.constructed },
    node: (v) => retag(codec.node(v), id),
    read: (el, ctx) => {
      expectTag(el, cls, tag, inner.constructed, what);
      return codec.read({ ...el, cls: inner.cls, tag: inner.tag }, ctx);
    },
  };
}

/** Maps a codec's value type (decode: wire value -> B, encode: B -> wire value). */
export function map<A, B>(codec: Codec<A>, decode: (a: A) => B, encode: (b: B) => A): Codec<B> {
  return {
    expect: codec.expect,
    node: (v) => codec.node(encode(v)),
    read: (el, ctx) => decode(codec.read(el, ctx)),
  };
}

/** A decoded value together with the exact bytes it was decoded from. */
export interface WithRaw<T> {
  value: T;
  /** Exact received TLV bytes; ignored when encoding (the value is always re-encoded). */
  raw?: Buffer;
}
/** Captures the exact received TLV bytes of an element alongside its decoded value. */
export function withRaw<T>(codec: Codec<T>): Codec<WithRaw<T>> {
  return {
    expect: codec.expect,
    node: (v) => codec.node(v.value),
    read: (el, ctx) => ({ value: codec.read(el, ctx), raw: rawOf(el) }),
  };
}
