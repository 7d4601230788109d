// SPNEGO tokens: RFC 4178 4.2 (NegTokenInit, NegTokenResp), MS-SPNG 2.2.1 (NegTokenInit2 with
// NegHints) and the RFC 2743 3.1 InitialContextToken framing of the first token.
//
// Decoding is strict about structure (every length bounded by its parent, no trailing bytes, no
// unknown negState values) and lenient only where real peers differ: an [0] choice may hold either
// the RFC 4178 NegTokenInit or MS-SPNG's NegTokenInit2 (the same context tag, MS-SPNG 2.2.1 note),
// and the initiator's first token is accepted with or without its InitialContextToken wrapper.
// Every decode failure is a SpnegoDecodeError.

import {
  DecodeContext,
  DerError,
  TagClass,
  UniversalTag,
  asBuffer,
  constructed,
  contextTag,
  expectTag,
  explicit,
  generalString,
  integerContentToBigInt,
  kerberosFlags,
  objectIdentifier,
  octetString,
  opt,
  primitive,
  readChildren,
  readElement,
  readExplicitInner,
  readTop,
  req,
  seqOf,
  struct,
  tagId,
  toBuffer,
  withRaw,
  type Codec,
  type DerElement,
  type DerNode,
  type WithRaw,
} from '../encoding/der.js';
import type { ContextFlags } from '../security/types.js';

/** Mechanism OIDs SPNEGO deals with. */
export const OID = {
  /** RFC 4178 1: the SPNEGO pseudo-mechanism itself. */
  SPNEGO: '1.3.6.1.5.5.2',
  /** RFC 1964 / RFC 4121 Kerberos V5 GSS-API mechanism. */
  KERBEROS: '1.2.840.113554.1.2.2',
  /** MS-KILE 2.1 / MS-SPNG 3.3.5.2: the OID Windows 2000 mis-encoded and Windows still sends first. */
  MS_KERBEROS: '1.2.840.48018.1.2.2',
  /** RFC 4121 user-to-user Kerberos (recognized, never negotiated here). */
  KERBEROS_U2U: '1.2.840.113554.1.2.2.3',
  /** MS-NLMP 1.9: NTLMSSP. */
  NTLMSSP: '1.3.6.1.4.1.311.2.2.10',
  /** MS-NEGOEX 1.9: recognized in mechanism lists; we never choose it. */
  NEGOEX: '1.3.6.1.4.1.311.2.2.30',
} as const;

/** MS-SPNG 2.2.1: the hintName Windows servers put in NegTokenInit2. */
export const NEG_HINT_NAME = 'not_defined_in_RFC4178@please_ignore';

/** RFC 4178 4.2.2 negState. */
export const NegState = {
  ACCEPT_COMPLETED: 0,
  ACCEPT_INCOMPLETE: 1,
  REJECT: 2,
  REQUEST_MIC: 3,
} as const;
export type NegStateValue = (typeof NegState)[keyof typeof NegState];

/**
 * RFC 4178 4.2.1 ContextFlags BIT STRING (SIZE (32)), as a 32-bit number with bit 0 the most
 * significant bit (the same layout as KerberosFlags, so the same codec is used).
 */
export const ReqFlag = {
  deleg: 0x80000000,
  mutual: 0x40000000,
  replay: 0x20000000,
  sequence: 0x10000000,
  anon: 0x08000000,
  conf: 0x04000000,
  integ: 0x02000000,
} as const;

/** RFC 4178 4.2.1 NegTokenInit (what initiators send). */
export interface NegTokenInit {
  mechTypes: string[];
  /** ContextFlags as a ReqFlag bit mask. MS-SPNG 2.2.1: SHOULD be omitted by the sender. */
  reqFlags?: number;
  /** The optimistic token of mechTypes[0]. */
  mechToken?: Buffer;
  mechListMIC?: Buffer;
}

/** MS-SPNG 2.2.1 NegHints. hintAddress is never sent (MS-SPNG 2.2.1) but is decoded if present. */
export interface NegHints {
  hintName?: string;
  hintAddress?: Buffer;
}

/** MS-SPNG 2.2.1 NegTokenInit2 (what a server that speaks first sends). */
export interface NegTokenInit2 {
  mechTypes?: string[];
  reqFlags?: number;
  mechToken?: Buffer;
  negHints?: NegHints;
  mechListMIC?: Buffer;
}

/** RFC 4178 4.2.2 NegTokenResp. */
export interface NegTokenResp {
  negState?: NegStateValue;
  supportedMech?: string;
  responseToken?: Buffer;
  mechListMIC?: Buffer;
}

/** A decoded SPNEGO token. */
export type NegotiationToken =
  | {
      type: 'negTokenInit';
      token: NegTokenInit;
      /** The exact received MechTypeList TLV: what the mechListMIC covers (RFC 4178 5). */
      mechTypesDer: Buffer;
      /** Whether it came inside the RFC 2743 InitialContextToken wrapper. */
      wrapped: boolean;
    }
  | { type: 'negTokenInit2'; token: NegTokenInit2; mechTypesDer?: Buffer; wrapped: boolean }
  | { type: 'negTokenResp'; token: NegTokenResp; wrapped: boolean };

/** Thrown by every decoder here on malformed input (a DerError, so DerError handlers catch it). */
export class SpnegoDecodeError extends DerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, undefined, options);
    this.name = 'SpnegoDecodeError';
  }
}

// ---------------------------------------------------------------------------------------------
// Codecs

const ENUMERATED_ID = tagId(TagClass.UNIVERSAL, false, UniversalTag.ENUMERATED);

/** negState ENUMERATED; values outside 0..3 are refused (the type has no extension marker). */
const negStateCodec: Codec<NegStateValue> = {
  expect: { cls: TagClass.UNIVERSAL, tag: UniversalTag.ENUMERATED, constructed: false },
  node: (v) => {
    if (!Number.isInteger(v) || v < 0 || v > 3) throw new DerError(`negState ${String(v)} out of range`);
    return primitive(ENUMERATED_ID, Uint8Array.of(v));
  },
  read: (el) => {
    expectTag(el, TagClass.UNIVERSAL, UniversalTag.ENUMERATED, false, 'negState ENUMERATED');
    if (el.end - el.contentStart > 4) throw new DerError('negState too long', el.start);
    const v = integerContentToBigInt(el);
    if (v < 0n || v > 3n) throw new DerError(`unknown negState ${v}`, el.start);
    return Number(v) as NegStateValue;
  },
};

/** MechTypeList ::= SEQUENCE OF MechType, keeping the exact received bytes for the MIC. */
const mechTypeListCodec: Codec<string[]> = seqOf(objectIdentifier, 'MechTypeList');
const mechTypeListRaw: Codec<WithRaw<string[]>> = withRaw(mechTypeListCodec);

interface WireNegTokenInit {
  mechTypes: WithRaw<string[]>;
  reqFlags?: number;
  mechToken?: Buffer;
  mechListMIC?: Buffer;
}
interface WireNegTokenInit2 {
  mechTypes?: WithRaw<string[]>;
  reqFlags?: number;
  mechToken?: Buffer;
  negHints?: NegHints;
  mechListMIC?: Buffer;
}

const negTokenInitCodec: Codec<WireNegTokenInit> = struct<WireNegTokenInit>(
  {
    mechTypes: req(0, mechTypeListRaw),
    reqFlags: opt(1, kerberosFlags),
    mechToken: opt(2, octetString),
    mechListMIC: opt(3, octetString),
  },
  'NegTokenInit',
);

const negHintsCodec: Codec<NegHints> = struct<NegHints>(
  {
    hintName: opt(0, generalString),
    hintAddress: opt(1, octetString),
  },
  'NegHints',
);

const negTokenInit2Codec: Codec<WireNegTokenInit2> = struct<WireNegTokenInit2>(
  {
    mechTypes: opt(0, mechTypeListRaw),
    reqFlags: opt(1, kerberosFlags),
    mechToken: opt(2, octetString),
    negHints: opt(3, negHintsCodec),
    mechListMIC: opt(4, octetString),
  },
  'NegTokenInit2',
);

const negTokenRespCodec: Codec<NegTokenResp> = struct<NegTokenResp>(
  {
    negState: opt(0, negStateCodec),
    supportedMech: opt(1, objectIdentifier),
    responseToken: opt(2, octetString),
    mechListMIC: opt(3, octetString),
  },
  'NegTokenResp',
);

/** [1] NegTokenResp: the NegotiationToken CHOICE arm every token after the first uses. */
const negTokenRespChoice: Codec<NegTokenResp> = explicit(TagClass.CONTEXT, 1, negTokenRespCodec, 'negTokenResp [1]');

/**
 * MS-SPNG 2.2.1 note: NegTokenInit2 shares [0] with NegTokenInit. They differ in what [3] holds
 * (OCTET STRING mechListMIC vs SEQUENCE NegHints) and in the [4] mechListMIC of NegTokenInit2;
 * without either, a missing mechTypes (required in NegTokenInit) marks NegTokenInit2.
 */
function isNegTokenInit2(seqEl: DerElement, ctx: DecodeContext): boolean {
  let sawMechTypes = false;
  for (const child of readChildren(seqEl, ctx)) {
    if (child.cls !== TagClass.CONTEXT) continue; // seq() reports it
    if (child.tag === 0) sawMechTypes = true;
    if (child.tag === 4) return true;
    if (child.tag === 3) {
      const inner = readExplicitInner(child, ctx);
      return inner.cls === TagClass.UNIVERSAL && inner.tag === UniversalTag.SEQUENCE && inner.constructed;
    }
  }
  return !sawMechTypes;
}

function readChoice(el: DerElement, ctx: DecodeContext, wrapped: boolean): NegotiationToken {
  if (el.cls !== TagClass.CONTEXT || !el.constructed || (el.tag !== 0 && el.tag !== 1)) {
    throw new DerError('expected NegotiationToken [0] negTokenInit or [1] negTokenResp', el.start);
  }
  const inner = readExplicitInner(el, ctx);
  if (el.tag === 1) return { type: 'negTokenResp', token: negTokenRespCodec.read(inner, ctx), wrapped };
  expectTag(inner, TagClass.UNIVERSAL, UniversalTag.SEQUENCE, true, 'NegTokenInit SEQUENCE');
  if (isNegTokenInit2(inner, ctx)) {
    const w = negTokenInit2Codec.read(inner, ctx);
    const token: NegTokenInit2 = {};
    if (w.mechTypes) token.mechTypes = w.mechTypes.value;
    if (w.reqFlags !== undefined) token.reqFlags = w.reqFlags;
    if (w.mechToken) token.mechToken = w.mechToken;
    if (w.negHints) token.negHints = w.negHints;
    if (w.mechListMIC) token.mechListMIC = w.mechListMIC;
    return { type: 'negTokenInit2', token, mechTypesDer: w.mechTypes?.raw, wrapped };
  }
  const w = negTokenInitCodec.read(inner, ctx);
  const token: NegTokenInit = { mechTypes: w.mechTypes.value };
  if (w.reqFlags !== undefined) token.reqFlags = w.reqFlags;
  if (w.mechToken) token.mechToken = w.mechToken;
  if (w.mechListMIC) token.mechListMIC = w.mechListMIC;
  return { type: 'negTokenInit', token, mechTypesDer: w.mechTypes.raw as Buffer, wrapped };
}

function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SpnegoDecodeError) throw err;
    const detail = err instanceof DerError ? err.message : `internal decoder error: ${String(err)}`;
    throw new SpnegoDecodeError(`malformed ${what}: ${detail}`, { cause: err });
  }
}

// ---------------------------------------------------------------------------------------------
// RFC 2743 3.1 InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE { thisMech MechType,
// innerContextToken ANY DEFINED BY thisMech }. The inner token of a mechanism other than SPNEGO
// need not be one DER element (Kerberos puts a 2-byte TOK_ID first, RFC 4121 4.1), so only the
// outer header and the OID are parsed here.

const APPLICATION_0 = tagId(TagClass.APPLICATION, true, 0);

/** The parsed RFC 2743 3.1 header: the mechanism OID and where the inner token starts. */
interface GssHeader {
  mech: string;
  innerStart: number;
}

function readGssHeader(buf: Buffer, ctx: DecodeContext): GssHeader & { outer: DerElement } {
  const outer = readTop(buf, ctx);
  expectTag(outer, TagClass.APPLICATION, 0, true, 'InitialContextToken [APPLICATION 0]');
  const oidEl = readElement(buf, outer.contentStart, outer.end, 1, ctx);
  const mech = objectIdentifier.read(oidEl, ctx);
  return { mech, innerStart: oidEl.end, outer };
}

/**
 * The mechanism OID of an RFC 2743 InitialContextToken, or undefined when `input` is not one
 * (never throws). Used to recognize raw Kerberos tokens handed to Negotiate.
 */
export function peekGssMechanism(input: Buffer): string | undefined {
  try {
    const buf = asBuffer(input);
    if (buf.length < 2 || buf[0] !== 0x60) return undefined;
    return readGssHeader(buf, new DecodeContext({ maxElements: 8 })).mech;
  } catch {
    return undefined;
  }
}

/** MS-NLMP 2.2.1: every NTLM message starts with the signature "NTLMSSP\0". */
const NTLMSSP_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');
export function isNtlmsspMessage(input: Buffer): boolean {
  return input.length >= NTLMSSP_SIGNATURE.length && input.subarray(0, NTLMSSP_SIGNATURE.length).equals(NTLMSSP_SIGNATURE);
}

// ---------------------------------------------------------------------------------------------
// Public encode/decode

/** DER of a MechTypeList (RFC 4178 5: the bytes a mechListMIC is computed over). */
export function encodeMechTypeList(mechTypes: readonly string[]): Buffer {
  return toBuffer(mechTypeListCodec.node([...mechTypes]));
}

function initNode(t: NegTokenInit): DerNode {
  return contextTagged(0, negTokenInitCodec.node({ ...t, mechTypes: { value: t.mechTypes } }));
}
function init2Node(t: NegTokenInit2): DerNode {
  const { mechTypes, ...rest } = t;
  return contextTagged(0, negTokenInit2Codec.node({ ...rest, ...(mechTypes ? { mechTypes: { value: mechTypes } } : {}) }));
}
function contextTagged(n: number, inner: DerNode): DerNode {
  return constructed(contextTag(n), [inner]);
}
function wrapInitial(inner: DerNode): Buffer {
  return toBuffer(constructed(APPLICATION_0, [objectIdentifier.node(OID.SPNEGO), inner]));
}

/**
 * The initiator's first token: InitialContextToken(SPNEGO, [0] NegTokenInit) (RFC 4178 4.2,
 * RFC 2743 3.1). With `wrap: false`, only the [0] NegotiationToken.
 */
export function encodeNegTokenInit(token: NegTokenInit, o: { wrap?: boolean } = {}): Buffer {
  if (token.mechTypes.length === 0) throw new DerError('NegTokenInit needs at least one mechanism');
  const node = initNode(token);
  return o.wrap === false ? toBuffer(node) : wrapInitial(node);
}

/** MS-SPNG 2.2.1 NegTokenInit2, wrapped like an initial token (as Windows servers send it) unless `wrap: false`. */
export function encodeNegTokenInit2(token: NegTokenInit2, o: { wrap?: boolean } = {}): Buffer {
  const node = init2Node(token);
  return o.wrap === false ? toBuffer(node) : wrapInitial(node);
}

/** [1] NegTokenResp (RFC 4178 4.2: tokens after the first carry no InitialContextToken header). */
export function encodeNegTokenResp(token: NegTokenResp): Buffer {
  return toBuffer(negTokenRespChoice.node(token));
}

/**
 * Decodes a SPNEGO token: an InitialContextToken whose mechanism is SPNEGO holding a
 * NegotiationToken, or a bare NegotiationToken ([0] or [1]). Throws SpnegoDecodeError.
 */
export function decodeNegotiationToken(input: Buffer): NegotiationToken {
  return guard('SPNEGO token', () => {
    const buf = asBuffer(input);
    const ctx = new DecodeContext();
    if (buf.length > 0 && buf[0] === 0x60) {
      const h = readGssHeader(buf, ctx);
      if (h.mech !== OID.SPNEGO) throw new DerError(`InitialContextToken for mechanism ${h.mech}, not SPNEGO`);
      const el = readElement(buf, h.innerStart, h.outer.end, 1, ctx);
      if (el.end !== h.outer.end) throw new DerError('trailing data after NegotiationToken', el.end);
      return readChoice(el, ctx, true);
    }
    return readChoice(readTop(buf, ctx), ctx, false);
  });
}

/** Decodes a token that must be a NegTokenResp (bare [1]). */
export function decodeNegTokenResp(input: Buffer): NegTokenResp {
  const t = decodeNegotiationToken(input);
  if (t.type !== 'negTokenResp' || t.wrapped) throw new SpnegoDecodeError('malformed SPNEGO token: expected a NegTokenResp');
  return t.token;
}

/** RFC 4178 4.2.1 reqFlags from GSS-style context flags. */
export function reqFlagsFromContextFlags(f: Partial<ContextFlags>): number {
  let v = 0;
  if (f.delegate) v |= ReqFlag.deleg;
  if (f.mutual) v |= ReqFlag.mutual;
  if (f.replayDetect) v |= ReqFlag.replay;
  if (f.sequenceDetect) v |= ReqFlag.sequence;
  if (f.anonymous) v |= ReqFlag.anon;
  if (f.confidentiality) v |= ReqFlag.conf;
  if (f.integrity) v |= ReqFlag.integ;
  return v >>> 0;
}
