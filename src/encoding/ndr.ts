// NDR20 marshalling (C706 chapter 14, "Transfer Syntax NDR", with the MS-RPCE 2.2.5 profile:
// little-endian, ASCII, IEEE floats; 32-bit pointers and counts).
//
// Types are DECLARED ONCE as data (the builders below: u32, struct, ptr, carray, ustring, sid,
// ...), the way pidl/impacket declare them, and one generic walker encodes and decodes any
// declaration. NdrValue<T> maps a declaration to the plain object type it (de)serializes, so
// declarations stay strictly typed without hand-written interfaces.
//
// Wire order (C706 14.3.12.3, "Algorithm for Deferral of Referents"): when a constructed
// type holds embedded pointers, only the referent IDs sit inline; the referents follow the whole
// constructed type, in the order the pointers appeared, each referent written completely
// (its own inline part, then its own deferred referents) before the next one. This is pidl's
// NDR_SCALARS-then-NDR_BUFFERS recursion, and what Windows emits; it is implemented here with one
// FIFO of deferred closures per top-level type (writeTop/readTop).
//
// Conformance (C706 14.3.3.2, 14.3.7.1): a conformant array's maximum count is written before
// the array; when the array is the last member of a structure (a conformant structure, e.g.
// RPC_SID), the count is hoisted to the very front of the outermost enclosing structure.
//
// The reader takes untrusted bytes: every count is checked against the bytes left before
// anything is allocated (each element or referent costs at least one byte, so counts and
// referents are bounded by the input size; nesting is bounded by the declaration), and every
// failure is an NdrError. Alignment padding is skipped, not checked for zeros.
//
// Declaring a type (Netlogon's structures are meant to be declared the same way):
//   const GROUP = ndr.struct('GROUP_MEMBERSHIP', { relativeId: ndr.u32, attributes: ndr.u32 });
//   const X = ndr.struct('X', { name: ndr.ustring, n: ndr.sizeOf('groups'), groups: ndr.ptr(ndr.carray(GROUP)) });
//   type XValue = NdrValue<typeof X>; // { name: string | null; groups: { relativeId: number; ... }[] | null }
//   ndr.ndrEncode(X, value); ndr.ndrDecode(X, bytes);
// RPC stub data (several top-level parameters in one stream): NdrWriter + writeNdr per parameter,
// NdrReader + readNdr. A top-level [ref] pointer parameter has no wire form: write its referent.
// IDL enums are 16-bit on the wire (declare them u16) unless [v1_enum] (u32).

import { formatSid, parseSid, SidError } from '../dtyp/sid.js';

export class NdrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NdrError';
  }
}

// Memoized static properties of declarations (declared first: the builders below use them).
const alignCache = new WeakMap<object, number>();
const minCache = new WeakMap<object, number>();
const confCache = new WeakMap<object, boolean>();
const ptrCache = new WeakMap<object, boolean>();

// ---------------------------------------------------------------------------------------------
// Declarations

export type NdrPrimKind = 'u8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64' | 'filetime';

/** A primitive (C706 14.2). 'filetime' is MS-DTYP 2.3.3 FILETIME: two 32-bit halves, 4-aligned. */
export interface NdrPrim<K extends NdrPrimKind = NdrPrimKind> {
  readonly kind: K;
}
/** A count member that the encoder fills with the length of `target` (IDL size_is). */
export interface NdrSizeOf {
  readonly kind: 'sizeof';
  readonly target: string;
  readonly width: 'u8' | 'u16' | 'u32';
}
/** Nothing on the wire (an empty union arm). */
export interface NdrEmpty {
  readonly kind: 'empty';
}
/** A fixed array (C706 14.3.3.1). Arrays of u8 are Buffers. */
export interface NdrFixedArray<E extends NdrType = NdrType> {
  readonly kind: 'farray';
  readonly element: E;
  readonly count: number;
}
/** A conformant array (C706 14.3.3.2): max count, then the elements. */
export interface NdrConformantArray<E extends NdrType = NdrType> {
  readonly kind: 'carray';
  readonly element: E;
}
/** A conformant varying array (C706 14.3.3.4): max count, offset, actual count, elements. */
export interface NdrConformantVaryingArray<E extends NdrType = NdrType> {
  readonly kind: 'cvarray';
  readonly element: E;
}
export type NdrFields = { readonly [name: string]: NdrType };
/** A structure (C706 14.3.5): members in order, aligned to its most-aligned member. */
export interface NdrStruct<F extends NdrFields = NdrFields> {
  readonly kind: 'struct';
  readonly name: string;
  readonly fields: F;
}
/** A unique pointer (C706 14.3.10-14.3.12): embedded, a referent ID inline and the referent
 *  deferred; top-level (writeNdr of a ptr), the referent right after its ID. */
export interface NdrPointer<R extends NdrType = NdrType> {
  readonly kind: 'ptr';
  readonly referent: R;
  /** [ref]: same wire form, but NULL is not allowed. */
  readonly ref: boolean;
}
/** MS-DTYP 2.3.10 RPC_UNICODE_STRING: Length and MaximumLength in bytes, then a unique pointer
 *  to a conformant varying WCHAR array (size_is(MaximumLength/2), length_is(Length/2)).
 *  Value: the text, or null for a NULL Buffer. */
export interface NdrUnicodeString {
  readonly kind: 'ustring';
  /** Encode MaximumLength as Length + 2 (room for a NUL that is not sent), as Windows fills
   *  e.g. KERB_VALIDATION_INFO.LogonServer. Decoding accepts any MaximumLength >= Length. */
  readonly nulSpace: boolean;
}
/** [string] wchar_t*: a conformant varying WCHAR array that includes its terminating NUL. */
export interface NdrWideString {
  readonly kind: 'wstring';
}
export type NdrArms = { readonly [tag: number]: NdrType };
/** A non-encapsulated union (C706 14.3.8): the discriminant, then the selected arm. */
export interface NdrUnion<A extends NdrArms = NdrArms> {
  readonly kind: 'union';
  readonly name: string;
  readonly discriminant: 'u16' | 'u32';
  readonly arms: A;
}
/** A wire type with a friendlier value (e.g. RPC_SID as a SID string). `from` may throw. */
export interface NdrMap<I extends NdrType, U> {
  readonly kind: 'map';
  readonly name: string;
  readonly inner: I;
  from(v: NdrValue<I>): U;
  to(u: U): NdrValue<I>;
}
/** The erased form of NdrMap that every map is assignable to. */
export interface NdrMapAny {
  readonly kind: 'map';
  readonly name: string;
  readonly inner: NdrType;
  from(v: never): unknown;
  to(u: never): unknown;
}

export type NdrType =
  | NdrPrim
  | NdrSizeOf
  | NdrEmpty
  | NdrFixedArray
  | NdrConformantArray
  | NdrConformantVaryingArray
  | NdrStruct
  | NdrPointer
  | NdrUnicodeString
  | NdrWideString
  | NdrUnion
  | NdrMapAny;

type ArrayValue<E> = E extends NdrPrim<'u8'> ? Buffer : NdrValue<E>[];

/** The plain value a declaration (de)serializes. (The erased NdrType itself maps to unknown,
 *  which also keeps the recursion through NdrFields finite.) */
export type NdrValue<T> = NdrType extends T ? unknown : NdrValueOf<T>;
type NdrValueOf<T> = T extends { readonly kind: 'map'; from(v: never): infer U }
  ? U
  : T extends NdrPrim<infer K>
    ? K extends 'u64' | 'i64' | 'filetime'
      ? bigint
      : number
    : T extends NdrSizeOf
      ? number
      : T extends NdrEmpty
        ? null
        : T extends { readonly kind: 'farray' | 'carray' | 'cvarray'; readonly element: infer E }
          ? ArrayValue<E>
          : T extends { readonly kind: 'struct'; readonly fields: infer F }
            ? NdrStructValue<F>
            : T extends { readonly kind: 'ptr'; readonly referent: infer R }
              ? NdrValue<R> | null
              : T extends NdrUnicodeString
                ? string | null
                : T extends NdrWideString
                  ? string
                  : T extends { readonly kind: 'union'; readonly arms: infer A }
                    ? NdrUnionValue<A>
                    : never;

/** Struct members minus the sizeof() counts, which the encoder derives. */
export type NdrStructValue<F> = {
  -readonly [K in keyof F as F[K] extends NdrSizeOf ? never : K]: NdrValue<F[K]>;
};
export type NdrUnionValue<A> = { [K in keyof A]: { tag: K; value: NdrValue<A[K]> } }[keyof A];

// ---------------------------------------------------------------------------------------------
// Builders

export const u8: NdrPrim<'u8'> = { kind: 'u8' };
export const u16: NdrPrim<'u16'> = { kind: 'u16' };
export const i16: NdrPrim<'i16'> = { kind: 'i16' };
export const u32: NdrPrim<'u32'> = { kind: 'u32' };
export const i32: NdrPrim<'i32'> = { kind: 'i32' };
/** hyper (C706 14.2): 8-byte aligned. */
export const u64: NdrPrim<'u64'> = { kind: 'u64' };
export const i64: NdrPrim<'i64'> = { kind: 'i64' };
/** MS-DTYP 2.3.3 FILETIME { DWORD dwLowDateTime; DWORD dwHighDateTime; } (and LARGE_INTEGER
 *  as MS-PAC uses it): 4-byte aligned, unlike hyper. */
export const filetime: NdrPrim<'filetime'> = { kind: 'filetime' };
export const empty: NdrEmpty = { kind: 'empty' };
export const ustring: NdrUnicodeString = { kind: 'ustring', nulSpace: false };
/** RPC_UNICODE_STRING whose MaximumLength counts an unsent NUL (see NdrUnicodeString.nulSpace). */
export const ustringZ: NdrUnicodeString = { kind: 'ustring', nulSpace: true };
export const wstring: NdrWideString = { kind: 'wstring' };

export function sizeOf(target: string, width: 'u8' | 'u16' | 'u32' = 'u32'): NdrSizeOf {
  return { kind: 'sizeof', target, width };
}
export function fixedArray<E extends NdrType>(element: E, count: number): NdrFixedArray<E> {
  if (!Number.isInteger(count) || count < 0) throw new NdrError('fixed array count must be a non-negative integer');
  if (isConformant(element)) throw new NdrError('array elements cannot be conformant');
  return { kind: 'farray', element, count };
}
/** Fixed-size byte array (value: a Buffer of exactly n bytes). */
export function bytes(n: number): NdrFixedArray<NdrPrim<'u8'>> {
  return fixedArray(u8, n);
}
export function carray<E extends NdrType>(element: E): NdrConformantArray<E> {
  if (isConformant(element)) throw new NdrError('array elements cannot be conformant');
  return { kind: 'carray', element };
}
export function cvarray<E extends NdrType>(element: E): NdrConformantVaryingArray<E> {
  if (isConformant(element)) throw new NdrError('array elements cannot be conformant');
  return { kind: 'cvarray', element };
}
/** A unique pointer (or [ref] with { ref: true }). */
export function ptr<R extends NdrType>(referent: R, opts: { ref?: boolean } = {}): NdrPointer<R> {
  return { kind: 'ptr', referent, ref: opts.ref === true };
}
export function union<A extends NdrArms>(name: string, discriminant: 'u16' | 'u32', arms: A): NdrUnion<A> {
  for (const k of Object.keys(arms)) {
    const tag = Number(k);
    if (!Number.isInteger(tag) || tag < 0 || tag > (discriminant === 'u16' ? 0xffff : 0xffffffff)) {
      throw new NdrError(`${name}: bad union case ${k}`);
    }
    if (isConformant(arms[tag])) throw new NdrError(`${name}: union arms cannot be conformant`);
  }
  return { kind: 'union', name, discriminant, arms };
}
export function map<I extends NdrType, U>(
  name: string,
  inner: I,
  conv: { from(v: NdrValue<I>): U; to(u: U): NdrValue<I> },
): NdrMap<I, U> {
  return { kind: 'map', name, inner, from: conv.from, to: conv.to };
}

/**
 * A structure. Checks the declaration: a conformant member (conformant array, or a structure
 * ending in one) must be the last member (C706 14.3.7.1); sizeof() must name a later array
 * member (or a pointer to one).
 */
export function struct<F extends NdrFields>(name: string, fields: F): NdrStruct<F> {
  const names = Object.keys(fields);
  names.forEach((n, i) => {
    const t = fields[n];
    if (isConformant(t) && i !== names.length - 1) {
      throw new NdrError(`${name}.${n}: a conformant member must be the last member`);
    }
    if (t.kind === 'sizeof') {
      const j = names.indexOf(t.target);
      if (j <= i) throw new NdrError(`${name}.${n}: sizeof target ${t.target} must be a later member`);
      let target = fields[t.target];
      if (target.kind === 'ptr') target = target.referent;
      if (target.kind !== 'carray' && target.kind !== 'cvarray') {
        throw new NdrError(`${name}.${n}: sizeof target ${t.target} must be a conformant array or a pointer to one`);
      }
    }
  });
  return { kind: 'struct', name, fields };
}

// ---------------------------------------------------------------------------------------------
// Well-known declarations

/** MS-DTYP 2.4.2.3 RPC_SID: a conformant structure, SubAuthority[SubAuthorityCount] last. */
export const RPC_SID_WIRE = struct('RPC_SID', {
  revision: u8,
  subAuthorityCount: sizeOf('subAuthority', 'u8'),
  identifierAuthority: bytes(6),
  subAuthority: carray(u32),
});

/** RPC_SID with a SID string as its value (src/dtyp/sid.ts form). */
export const sid = map('RPC_SID', RPC_SID_WIRE, {
  from(v): string {
    try {
      return formatSid({
        revision: v.revision,
        identifierAuthority: v.identifierAuthority.readUIntBE(0, 6),
        subAuthorities: v.subAuthority,
      });
    } catch (e) {
      if (e instanceof SidError) throw new NdrError(`RPC_SID: ${e.message}`);
      throw e;
    }
  },
  to(s: string) {
    const p = parseSid(s);
    const identifierAuthority = Buffer.alloc(6);
    identifierAuthority.writeUIntBE(p.identifierAuthority, 0, 6);
    return { revision: p.revision, identifierAuthority, subAuthority: p.subAuthorities };
  },
});

// ---------------------------------------------------------------------------------------------
// Static properties of declarations


function primSize(k: NdrPrimKind): number {
  switch (k) {
    case 'u8':
      return 1;
    case 'u16':
    case 'i16':
      return 2;
    case 'u32':
    case 'i32':
      return 4;
    case 'u64':
    case 'i64':
    case 'filetime':
      return 8;
  }
}
function primAlign(k: NdrPrimKind): number {
  return k === 'filetime' ? 4 : primSize(k);
}

/** True for types whose max count is hoisted (conformant arrays and structures ending in one). */
export function isConformant(t: NdrType): boolean {
  const c = confCache.get(t);
  if (c !== undefined) return c;
  let r: boolean;
  switch (t.kind) {
    case 'carray':
    case 'cvarray':
    case 'wstring':
      r = true;
      break;
    case 'struct': {
      const names = Object.keys(t.fields);
      r = names.length > 0 && isConformant(t.fields[names[names.length - 1]]);
      break;
    }
    case 'map':
      r = isConformant(t.inner);
      break;
    default:
      r = false;
  }
  confCache.set(t, r);
  return r;
}

/** Alignment of the inline part (C706 14.2.2 natural alignment; structures: the largest member). */
export function alignOf(t: NdrType): number {
  const c = alignCache.get(t);
  if (c !== undefined) return c;
  let r: number;
  switch (t.kind) {
    case 'sizeof':
      r = primSize(t.width);
      break;
    case 'empty':
      r = 1;
      break;
    case 'farray':
    case 'carray':
      r = alignOf(t.element);
      break;
    case 'cvarray':
      r = Math.max(4, alignOf(t.element)); // inline offset and actual count are 32-bit
      break;
    case 'struct':
      r = Object.values(t.fields).reduce((m, f) => Math.max(m, alignOf(f)), 1);
      break;
    case 'ptr':
    case 'ustring':
    case 'wstring':
      r = 4;
      break;
    case 'union':
      r = Object.values(t.arms).reduce((m, a) => Math.max(m, alignOf(a)), primSize(t.discriminant));
      break;
    case 'map':
      r = alignOf(t.inner);
      break;
    default:
      r = primAlign(t.kind);
  }
  alignCache.set(t, r);
  return r;
}

/** A lower bound on the inline size, for bounding element counts before allocating. */
function minWire(t: NdrType): number {
  const c = minCache.get(t);
  if (c !== undefined) return c;
  let r: number;
  switch (t.kind) {
    case 'sizeof':
      r = primSize(t.width);
      break;
    case 'empty':
    case 'carray':
      r = 0;
      break;
    case 'farray':
      r = t.count * minWire(t.element);
      break;
    case 'cvarray':
      r = 8;
      break;
    case 'wstring':
      r = 10;
      break;
    case 'struct':
      r = Object.values(t.fields).reduce((s, f) => s + minWire(f), 0);
      break;
    case 'ptr':
      r = 4;
      break;
    case 'ustring':
      r = 8;
      break;
    case 'union':
      r = primSize(t.discriminant);
      break;
    case 'map':
      r = minWire(t.inner);
      break;
    default:
      r = primSize(t.kind);
  }
  minCache.set(t, r);
  return r;
}

/** Runtime view of a map (its functions take and return wire/user values). */
interface MapRuntime {
  from(v: unknown): unknown;
  to(u: unknown): unknown;
}
function mapRuntime(t: NdrMapAny): MapRuntime {
  return t as unknown as MapRuntime;
}
/** The wire value of a map's user value; a failing conversion becomes an NdrError. */
function mapTo(t: NdrMapAny, v: unknown, path: string): unknown {
  try {
    return mapRuntime(t).to(v);
  } catch (e) {
    if (e instanceof NdrError) throw e;
    return fail(path, `${t.name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Writer

/** A growable little-endian NDR output stream; alignment is relative to its start. */
export class NdrWriter {
  private buf: Buffer;
  private len = 0;
  private nextReferent = 0x00020000; // Windows numbers referent IDs 0x00020000, +4, ...

  constructor(initialSize = 256) {
    this.buf = Buffer.alloc(Math.max(16, initialSize));
  }
  get length(): number {
    return this.len;
  }
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const nb = Buffer.alloc(size);
    this.buf.copy(nb, 0, 0, this.len);
    this.buf = nb;
  }
  align(n: number): void {
    const pad = (n - (this.len % n)) % n;
    this.ensure(pad);
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v, this.len);
    this.len += 1;
  }
  u16(v: number): void {
    this.align(2);
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.len);
    this.len += 2;
  }
  i16(v: number): void {
    this.align(2);
    this.ensure(2);
    this.buf.writeInt16LE(v, this.len);
    this.len += 2;
  }
  u32(v: number): void {
    this.align(4);
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.len);
    this.len += 4;
  }
  i32(v: number): void {
    this.align(4);
    this.ensure(4);
    this.buf.writeInt32LE(v, this.len);
    this.len += 4;
  }
  u64(v: bigint): void {
    this.align(8);
    this.ensure(8);
    this.buf.writeBigUInt64LE(v, this.len);
    this.len += 8;
  }
  i64(v: bigint): void {
    this.align(8);
    this.ensure(8);
    this.buf.writeBigInt64LE(v, this.len);
    this.len += 8;
  }
  raw(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }
  newReferentId(): number {
    const id = this.nextReferent;
    this.nextReferent = (this.nextReferent + 4) >>> 0;
    return id;
  }
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

type Deferred = () => void;

function fail(path: string, msg: string): never {
  throw new NdrError(path ? `${path}: ${msg}` : msg);
}

function checkInt(path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(path, `expected an integer in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}
function checkBig(path: string, v: unknown, min: bigint, max: bigint): bigint {
  if (typeof v !== 'bigint' || v < min || v > max) fail(path, `expected a bigint in [${min}, ${max}]`);
  return v;
}

function writePrim(w: NdrWriter, k: NdrPrimKind, v: unknown, path: string): void {
  switch (k) {
    case 'u8':
      return w.u8(checkInt(path, v, 0, 0xff));
    case 'u16':
      return w.u16(checkInt(path, v, 0, 0xffff));
    case 'i16':
      return w.i16(checkInt(path, v, -0x8000, 0x7fff));
    case 'u32':
      return w.u32(checkInt(path, v, 0, 0xffffffff));
    case 'i32':
      return w.i32(checkInt(path, v, -0x80000000, 0x7fffffff));
    case 'u64':
      return w.u64(checkBig(path, v, 0n, 0xffffffffffffffffn));
    case 'i64':
      return w.i64(checkBig(path, v, -(2n ** 63n), 2n ** 63n - 1n));
    case 'filetime': {
      const ft = checkBig(path, v, 0n, 0xffffffffffffffffn);
      w.u32(Number(ft & 0xffffffffn)); // dwLowDateTime
      w.u32(Number(ft >> 32n)); // dwHighDateTime
      return;
    }
  }
}

function arrayLength(path: string, element: NdrType, v: unknown): number {
  if (element.kind === 'u8') {
    if (!Buffer.isBuffer(v)) fail(path, 'expected a Buffer');
    return v.length;
  }
  if (!Array.isArray(v)) fail(path, 'expected an array');
  return v.length;
}

/** The max count a conformant type will carry for value v (hoisted by writeTop). */
function conformanceOf(t: NdrType, v: unknown, path: string): number {
  switch (t.kind) {
    case 'carray':
    case 'cvarray':
      return arrayLength(path, t.element, v);
    case 'wstring':
      if (typeof v !== 'string') fail(path, 'expected a string');
      return v.length + 1;
    case 'struct': {
      const names = Object.keys(t.fields);
      const last = names[names.length - 1];
      if (typeof v !== 'object' || v === null) fail(path, `expected a ${t.name} object`);
      return conformanceOf(t.fields[last], (v as Record<string, unknown>)[last], `${path}.${last}`);
    }
    case 'map':
      return conformanceOf(t.inner, mapTo(t, v, path), path);
    default:
      return fail(path, 'not a conformant type');
  }
}

function writeElements(w: NdrWriter, element: NdrType, v: unknown, n: number, deferred: Deferred[], path: string): void {
  if (element.kind === 'u8') {
    w.raw(v as Buffer);
    return;
  }
  const arr = v as unknown[];
  for (let i = 0; i < n; i++) writeScalars(w, element, arr[i], deferred, `${path}[${i}]`);
}

function writeUtf16(w: NdrWriter, s: string): void {
  w.raw(Buffer.from(s, 'utf16le'));
}

function writeScalars(w: NdrWriter, t: NdrType, v: unknown, deferred: Deferred[], path: string): void {
  switch (t.kind) {
    case 'sizeof':
      return fail(path, 'sizeof() is only valid as a structure member');
    case 'empty':
      return;
    case 'farray': {
      const n = arrayLength(path, t.element, v);
      if (n !== t.count) fail(path, `fixed array needs ${t.count} elements, got ${n}`);
      w.align(alignOf(t.element));
      return writeElements(w, t.element, v, n, deferred, path);
    }
    case 'carray': {
      // The max count was written by writeTop or hoisted by the enclosing structure.
      const n = arrayLength(path, t.element, v);
      w.align(alignOf(t.element));
      return writeElements(w, t.element, v, n, deferred, path);
    }
    case 'cvarray': {
      const n = arrayLength(path, t.element, v);
      w.u32(0); // offset (C706 14.3.3.4); always 0 here
      w.u32(n); // actual count
      w.align(alignOf(t.element));
      return writeElements(w, t.element, v, n, deferred, path);
    }
    case 'wstring': {
      if (typeof v !== 'string') fail(path, 'expected a string');
      w.u32(0);
      w.u32(v.length + 1);
      writeUtf16(w, v + '\u0000');
      return;
    }
    case 'struct': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `expected a ${t.name} object`);
      const obj = v as Record<string, unknown>;
      w.align(alignOf(t));
      for (const [name, ft] of Object.entries(t.fields)) {
        if (ft.kind === 'sizeof') {
          let target = t.fields[ft.target];
          let tv = obj[ft.target];
          if (target.kind === 'ptr') {
            target = target.referent;
            if (tv === null) tv = undefined;
          }
          const n = tv === undefined ? 0 : conformanceOf(target, tv, `${path}.${ft.target}`);
          writePrim(w, ft.width, n, `${path}.${name}`);
        } else {
          if (!(name in obj)) fail(path, `missing member ${name}`);
          writeScalars(w, ft, obj[name], deferred, `${path}.${name}`);
        }
      }
      return;
    }
    case 'ptr': {
      if (v === null || v === undefined) {
        if (t.ref) fail(path, '[ref] pointer cannot be NULL');
        w.u32(0);
        return;
      }
      w.u32(w.newReferentId());
      const referent = t.referent;
      deferred.push(() => writeTop(w, referent, v, path));
      return;
    }
    case 'ustring': {
      if (v === null || v === undefined) {
        w.u16(0);
        w.u16(0);
        w.u32(0);
        return;
      }
      if (typeof v !== 'string') fail(path, 'expected a string or null');
      const units = v.length;
      const maxUnits = t.nulSpace ? units + 1 : units;
      if (maxUnits * 2 > 0xfffe) fail(path, 'string too long for RPC_UNICODE_STRING');
      w.u16(units * 2); // Length in bytes, no terminator (MS-DTYP 2.3.10)
      w.u16(maxUnits * 2); // MaximumLength
      w.u32(w.newReferentId());
      deferred.push(() => {
        w.u32(maxUnits); // max count = MaximumLength / 2
        w.u32(0); // offset
        w.u32(units); // actual count = Length / 2
        writeUtf16(w, v);
      });
      return;
    }
    case 'union': {
      if (typeof v !== 'object' || v === null) fail(path, `expected a ${t.name} { tag, value }`);
      const u = v as { tag?: unknown; value?: unknown };
      const tag = checkInt(`${path}.tag`, typeof u.tag === 'string' ? Number(u.tag) : u.tag, 0, 0xffffffff);
      const arm = t.arms[tag];
      if (arm === undefined) fail(path, `${t.name} has no case ${tag}`);
      writePrim(w, t.discriminant, tag, `${path}.tag`);
      return writeScalars(w, arm, u.value, deferred, `${path}.value`);
    }
    case 'map':
      return writeScalars(w, t.inner, mapTo(t, v, path), deferred, path);
    default:
      return writePrim(w, t.kind, v, path);
  }
}

/** Writes one complete top-level type (or pointer referent): hoisted conformance, inline part,
 *  then the deferred referents in order, each depth-first. */
function writeTop(w: NdrWriter, t: NdrType, v: unknown, path: string): void {
  if (isConformant(t)) w.u32(conformanceOf(t, v, path));
  const deferred: Deferred[] = [];
  writeScalars(w, t, v, deferred, path);
  for (let i = 0; i < deferred.length; i++) deferred[i]();
}

/** Appends value as a complete NDR top-level type (e.g. one RPC parameter) to w. */
export function writeNdr<T extends NdrType>(w: NdrWriter, type: T, value: NdrValue<T>): void {
  writeTop(w, type, value as unknown, nameOf(type));
}

export function ndrEncode<T extends NdrType>(type: T, value: NdrValue<T>): Buffer {
  const w = new NdrWriter();
  writeNdr(w, type, value);
  return w.toBuffer();
}

function nameOf(t: NdrType): string {
  return t.kind === 'struct' || t.kind === 'union' || t.kind === 'map' ? t.name : t.kind;
}

// ---------------------------------------------------------------------------------------------
// Reader

/** A bounds-checked little-endian NDR input stream over buf[start, end). */
export class NdrReader {
  private pos: number;
  readonly start: number;
  readonly end: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    if (start < 0 || end > buf.length || start > end) throw new NdrError('reader bounds out of range');
    this.start = start;
    this.end = end;
    this.pos = start;
  }
  /** Bytes consumed since start. */
  get offset(): number {
    return this.pos - this.start;
  }
  get remaining(): number {
    return this.end - this.pos;
  }
  private need(n: number, what: string): void {
    if (n > this.end - this.pos) throw new NdrError(`truncated: ${what} needs ${n} bytes, ${this.end - this.pos} left`);
  }
  align(n: number): void {
    const pad = (n - ((this.pos - this.start) % n)) % n;
    this.need(pad, 'alignment padding');
    this.pos += pad;
  }
  u8(): number {
    this.need(1, 'u8');
    return this.buf[this.pos++];
  }
  u16(): number {
    this.align(2);
    this.need(2, 'u16');
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  i16(): number {
    this.align(2);
    this.need(2, 'i16');
    const v = this.buf.readInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.align(4);
    this.need(4, 'u32');
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.align(4);
    this.need(4, 'i32');
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.align(8);
    this.need(8, 'u64');
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    this.align(8);
    this.need(8, 'i64');
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  raw(n: number): Buffer {
    this.need(n, 'bytes');
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return b;
  }
  /** Throws unless count elements of at least minSize bytes each can still fit. */
  checkCount(count: number, minSize: number, what: string): void {
    if (count * Math.max(1, minSize) > this.end - this.pos) {
      throw new NdrError(`${what}: count ${count} exceeds the ${this.end - this.pos} bytes left`);
    }
  }
}

type Sink = (v: unknown) => void;

function readPrim(r: NdrReader, k: NdrPrimKind): number | bigint {
  switch (k) {
    case 'u8':
      return r.u8();
    case 'u16':
      return r.u16();
    case 'i16':
      return r.i16();
    case 'u32':
      return r.u32();
    case 'i32':
      return r.i32();
    case 'u64':
      return r.u64();
    case 'i64':
      return r.i64();
    case 'filetime': {
      const lo = r.u32();
      const hi = r.u32();
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
  }
}

function readElements(r: NdrReader, element: NdrType, n: number, deferred: Deferred[], path: string): unknown {
  r.checkCount(n, minWire(element), path);
  if (element.kind === 'u8') return r.raw(n);
  const arr: unknown[] = new Array<unknown>(n).fill(null);
  for (let i = 0; i < n; i++) {
    readScalars(r, element, deferred, undefined, undefined, (x) => (arr[i] = x), `${path}[${i}]`);
  }
  return arr;
}

function readUtf16(r: NdrReader, units: number): string {
  return r.raw(units * 2).toString('utf16le');
}

/**
 * Reads the inline part of t. The value goes to sink (possibly later, for pointers and for maps
 * over types with pointers). conf: the hoisted max count for a conformant t; expect: the value
 * of the sizeof() member naming t, to check against the conformance.
 */
function readScalars(
  r: NdrReader,
  t: NdrType,
  deferred: Deferred[],
  conf: number | undefined,
  expect: number | undefined,
  sink: Sink,
  path: string,
): void {
  switch (t.kind) {
    case 'sizeof':
      return fail(path, 'sizeof() is only valid as a structure member');
    case 'empty':
      return sink(null);
    case 'farray':
      r.align(alignOf(t.element));
      return sink(readElements(r, t.element, t.count, deferred, path));
    case 'carray': {
      if (conf === undefined) return fail(path, 'conformant array without a max count');
      if (expect !== undefined && expect !== conf) fail(path, `max count ${conf} does not match size_is ${expect}`);
      r.align(alignOf(t.element));
      return sink(readElements(r, t.element, conf, deferred, path));
    }
    case 'cvarray': {
      if (conf === undefined) return fail(path, 'conformant varying array without a max count');
      if (expect !== undefined && expect !== conf) fail(path, `max count ${conf} does not match size_is ${expect}`);
      const offset = r.u32();
      const actual = r.u32();
      if (offset !== 0) fail(path, `non-zero varying array offset ${offset} is not supported`);
      if (actual > conf) fail(path, `actual count ${actual} exceeds max count ${conf}`);
      r.align(alignOf(t.element));
      return sink(readElements(r, t.element, actual, deferred, path));
    }
    case 'wstring': {
      if (conf === undefined) return fail(path, 'string without a max count');
      const offset = r.u32();
      const actual = r.u32();
      if (offset !== 0) fail(path, `non-zero string offset ${offset}`);
      if (actual > conf || actual === 0) fail(path, `bad string actual count ${actual} (max ${conf})`);
      r.checkCount(actual, 2, path);
      const s = readUtf16(r, actual);
      if (s.charCodeAt(actual - 1) !== 0) fail(path, 'string is not NUL-terminated');
      return sink(s.slice(0, actual - 1));
    }
    case 'struct': {
      r.align(alignOf(t));
      const obj: Record<string, unknown> = {};
      const counts = new Map<string, number>();
      const names = Object.keys(t.fields);
      sink(obj);
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        const ft = t.fields[name];
        if (ft.kind === 'sizeof') {
          counts.set(ft.target, readPrim(r, ft.width) as number);
          continue;
        }
        obj[name] = null;
        const last = i === names.length - 1;
        readScalars(r, ft, deferred, last ? conf : undefined, counts.get(name), (x) => (obj[name] = x), `${path}.${name}`);
      }
      return;
    }
    case 'ptr': {
      const id = r.u32();
      if (id === 0) {
        if (t.ref) fail(path, '[ref] pointer is NULL');
        if (expect !== undefined && expect !== 0) fail(path, `NULL pointer but size_is ${expect}`);
        return sink(null);
      }
      sink(null);
      const referent = t.referent;
      deferred.push(() => sink(readTop(r, referent, expect, path)));
      return;
    }
    case 'ustring': {
      const length = r.u16();
      const maximumLength = r.u16();
      const id = r.u32();
      if (length % 2 !== 0) fail(path, `odd RPC_UNICODE_STRING Length ${length}`);
      if (length > maximumLength) fail(path, `Length ${length} exceeds MaximumLength ${maximumLength}`);
      if (id === 0) {
        if (length !== 0) fail(path, 'NULL Buffer with a non-zero Length');
        return sink(null);
      }
      sink(null);
      deferred.push(() => {
        const max = r.u32();
        const offset = r.u32();
        const actual = r.u32();
        if (max !== Math.floor(maximumLength / 2)) fail(path, `max count ${max} does not match MaximumLength ${maximumLength}`);
        if (offset !== 0) fail(path, `non-zero string offset ${offset}`);
        if (actual !== length / 2) fail(path, `actual count ${actual} does not match Length ${length}`);
        r.checkCount(actual, 2, path);
        sink(readUtf16(r, actual));
      });
      return;
    }
    case 'union': {
      const tag = readPrim(r, t.discriminant) as number;
      const arm = t.arms[tag];
      if (arm === undefined) fail(path, `${t.name} has no case ${tag}`);
      const out: { tag: number; value: unknown } = { tag, value: null };
      sink(out);
      return readScalars(r, arm, deferred, undefined, undefined, (x) => (out.value = x), `${path}.value`);
    }
    case 'map': {
      let inner: unknown = null;
      readScalars(r, t.inner, deferred, conf, expect, (x) => (inner = x), path);
      const convert = (): void => {
        try {
          sink(mapRuntime(t).from(inner));
        } catch (e) {
          if (e instanceof NdrError) throw e;
          fail(path, `${t.name}: ${e instanceof Error ? e.message : String(e)}`);
        }
      };
      // Referents inside the inner value arrive through `deferred`; convert after them.
      if (hasPointers(t.inner)) deferred.push(convert);
      else convert();
      return;
    }
    default:
      return sink(readPrim(r, t.kind));
  }
}

function hasPointers(t: NdrType): boolean {
  const c = ptrCache.get(t);
  if (c !== undefined) return c;
  let res: boolean;
  switch (t.kind) {
    case 'ptr':
    case 'ustring':
      res = true;
      break;
    case 'farray':
    case 'carray':
    case 'cvarray':
      res = hasPointers(t.element);
      break;
    case 'struct':
      res = Object.values(t.fields).some(hasPointers);
      break;
    case 'union':
      res = Object.values(t.arms).some(hasPointers);
      break;
    case 'map':
      res = hasPointers(t.inner);
      break;
    default:
      res = false;
  }
  ptrCache.set(t, res);
  return res;
}

function readTop(r: NdrReader, t: NdrType, expect: number | undefined, path: string): unknown {
  let conf: number | undefined;
  if (isConformant(t)) conf = r.u32();
  const deferred: Deferred[] = [];
  let value: unknown = null;
  readScalars(r, t, deferred, conf, expect, (x) => (value = x), path);
  // deferred may grow while running (maps over pointer types append their conversion).
  for (let i = 0; i < deferred.length; i++) deferred[i]();
  return value;
}

/** Reads one complete NDR top-level type (e.g. one RPC parameter) from r. */
export function readNdr<T extends NdrType>(r: NdrReader, type: T): NdrValue<T> {
  return readTop(r, type, undefined, nameOf(type)) as NdrValue<T>;
}

/** Decodes buf as one top-level type; trailing bytes are an error unless allowTrailing. */
export function ndrDecode<T extends NdrType>(type: T, buf: Buffer, opts: { allowTrailing?: boolean } = {}): NdrValue<T> {
  const r = new NdrReader(buf);
  const v = readNdr(r, type);
  if (!opts.allowTrailing && r.remaining !== 0) throw new NdrError(`${r.remaining} trailing bytes after ${nameOf(type)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// MS-RPCE 2.2.6 type serialization version 1

/** MS-RPCE 2.2.6.1 common type header: version 1, little-endian (0x10), length 8, filler. */
const TS1_COMMON_HEADER = Buffer.from([0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc]);

/**
 * Serializes one top-level type in MS-RPCE 2.2.6 type serialization version 1: the common header,
 * the private header (2.2.6.2: ObjectBufferLength, then a 4-byte filler), then the NDR data padded
 * to a multiple of 8 (ObjectBufferLength counts the padding). MS-PAC 2.5 PAC_LOGON_INFO uses this.
 */
export function encodeTypeSerialization1<T extends NdrType>(type: T, value: NdrValue<T>): Buffer {
  const w = new NdrWriter();
  writeNdr(w, type, value);
  w.align(8);
  const body = w.toBuffer();
  const priv = Buffer.alloc(8);
  priv.writeUInt32LE(body.length, 0);
  return Buffer.concat([TS1_COMMON_HEADER, priv, body]);
}

/** Decodes a type serialization version 1 buffer holding one top-level type. */
export function decodeTypeSerialization1<T extends NdrType>(type: T, buf: Buffer): NdrValue<T> {
  if (buf.length < 16) throw new NdrError('type serialization header truncated');
  if (buf[0] !== 0x01) throw new NdrError(`unsupported type serialization version ${buf[0]}`);
  if (buf[1] !== 0x10) throw new NdrError('only little-endian type serialization is supported');
  if (buf.readUInt16LE(2) !== 8) throw new NdrError(`bad common header length ${buf.readUInt16LE(2)}`);
  const objectLength = buf.readUInt32LE(8);
  if (objectLength > buf.length - 16) throw new NdrError(`ObjectBufferLength ${objectLength} exceeds the ${buf.length - 16} bytes present`);
  const r = new NdrReader(buf, 16, 16 + objectLength);
  const v = readNdr(r, type);
  // The object buffer is the NDR data plus at most 7 bytes of 8-byte alignment padding.
  if (r.remaining >= 8) throw new NdrError(`${r.remaining} unused bytes in the serialized object buffer`);
  return v;
}
