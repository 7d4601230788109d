// Connection-oriented DCE/RPC PDUs (C706 chapter 12.6, with the MS-RPCE 2.2.2 extensions).
//
// Every PDU body is DECLARED ONCE below as a codec (a small combinator set over the NDR
// reader/writer of src/encoding/ndr.ts); encodePdu/decodePdu frame them with the common header
// (12.6.3.1) and the optional auth verifier (sec_trailer + auth value, 12.6.3.2 / MS-RPCE
// 2.2.2.11). Decoding takes untrusted bytes: frag_length is bounded by the caller's negotiated
// maximum, every count is checked against the bytes present, and every failure is an RpcError
// carrying the nca status a server answers with.
//
// Only the NDR data representation MS-RPCE 2.2.5 profiles (little-endian integers, ASCII
// characters, IEEE floats: drep 0x10 0x00) is produced; a PDU declaring another is refused
// (C706 12.6.3.1 lets the receiver fault a representation it cannot handle).

import { NdrError, NdrReader, NdrWriter } from '../encoding/ndr.js';

// ---------------------------------------------------------------------------------------------
// Constants

/** C706 12.6.3.1 ptype. */
export const PTYPE = {
  request: 0,
  response: 2,
  fault: 3,
  bind: 11,
  bind_ack: 12,
  bind_nak: 13,
  alter_context: 14,
  alter_context_resp: 15,
  auth3: 16, // MS-RPCE 2.2.2.10 rpc_auth_3
  shutdown: 17,
  co_cancel: 18,
  orphaned: 19,
} as const;
export type PType = (typeof PTYPE)[keyof typeof PTYPE];

/** C706 12.6.3.1 pfc_flags; MS-RPCE 2.2.2.3 reuses 0x04 as PFC_SUPPORT_HEADER_SIGN on binds. */
export const PFC = {
  FIRST_FRAG: 0x01,
  LAST_FRAG: 0x02,
  PENDING_CANCEL: 0x04,
  SUPPORT_HEADER_SIGN: 0x04,
  CONC_MPX: 0x10,
  DID_NOT_EXECUTE: 0x20,
  MAYBE: 0x40,
  OBJECT_UUID: 0x80,
} as const;

/** MS-RPCE 2.2.1.1.7 security provider identifiers (auth_type). */
export const AUTHN = {
  NONE: 0,
  GSS_NEGOTIATE: 9, // SPNEGO
  WINNT: 10, // NTLMSSP
  GSS_SCHANNEL: 14,
  GSS_KERBEROS: 16,
  NETLOGON: 68,
  DEFAULT: 0xff,
} as const;

/** MS-RPCE 2.2.1.1.8 authentication levels. */
export const AUTHN_LEVEL = {
  DEFAULT: 0,
  NONE: 1,
  CONNECT: 2,
  CALL: 3,
  PKT: 4,
  PKT_INTEGRITY: 5,
  PKT_PRIVACY: 6,
} as const;

/** C706 appendix E (and MS-RPCE 2.2.2.6 / MS-ERREF) fault status codes. */
export const NCA = {
  s_comm_failure: 0x1c010001,
  s_op_rng_error: 0x1c010002,
  s_unk_if: 0x1c010003,
  s_proto_error: 0x1c01000b,
  s_out_args_too_big: 0x1c010013,
  s_server_too_busy: 0x1c010014,
  s_unsupported_type: 0x1c010017,
  s_fault_unspec: 0x1c000012,
  s_fault_context_mismatch: 0x1c00001a,
  s_fault_remote_no_memory: 0x1c00001b,
  s_invalid_pres_context_id: 0x1c00001c,
  s_unsupported_authn_level: 0x1c00001d,
  s_invalid_checksum: 0x1c00001f,
  /** MS-RPCE 3.3.3.5.1 / 3.1.1.5.1.1: access denied is the Windows error 5. */
  s_fault_access_denied: 0x00000005,
  /** MS-RPCE 2.2.2.6: RPC_X_BAD_STUB_DATA, for stub data that does not unmarshal. */
  s_fault_ndr: 0x000006f7,
} as const;

/** C706 12.6.3.1 p_reject_reason_t for bind_nak; 8 and 9 are MS-RPCE 2.2.2.5 additions. */
export const REJECT = {
  reason_not_specified: 0,
  temporary_congestion: 1,
  local_limit_exceeded: 2,
  called_paddr_unknown: 3,
  protocol_version_not_supported: 4,
  default_context_not_supported: 5,
  user_data_not_readable: 6,
  no_psap_available: 7,
  authentication_type_not_recognized: 8,
  invalid_checksum: 9,
} as const;

/** C706 12.6.3.1 p_cont_def_result_t; negotiate_ack is MS-RPCE 2.2.2.4's bind time feature answer. */
export const CONT_RESULT = { acceptance: 0, user_rejection: 1, provider_rejection: 2, negotiate_ack: 3 } as const;
/** C706 p_provider_reason_t. */
export const PROVIDER_REASON = {
  reason_not_specified: 0,
  abstract_syntax_not_supported: 1,
  proposed_transfer_syntaxes_not_supported: 2,
  local_limit_exceeded: 3,
} as const;

/** An interface or transfer syntax identifier (C706 p_syntax_id_t: uuid + u32 version, major in the low 16 bits). */
export interface SyntaxId {
  uuid: string;
  major: number;
  minor: number;
}
export const NDR20: SyntaxId = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 };
export const NDR64: SyntaxId = { uuid: '71710533-beba-4937-8319-b5dbef9ccc36', major: 1, minor: 0 };
/** MS-RPCE 2.2.2.14: bind time feature negotiation, uuid 6cb71c2c-9812-4540-ffff-000000000000 pattern,
 *  where the 4th group's first two octets carry the feature bitmask (little-endian). */
export const BIND_TIME_FEATURE_PREFIX = '6cb71c2c-9812-4540-';
export const BIND_TIME_FEATURE = { SECURITY_CONTEXT_MULTIPLEXING: 0x01, KEEP_CONNECTION_ON_ORPHAN: 0x02 } as const;

export function sameSyntax(a: SyntaxId, b: SyntaxId): boolean {
  return a.uuid.toLowerCase() === b.uuid.toLowerCase() && a.major === b.major && a.minor === b.minor;
}
/** The feature bits of a bind time feature negotiation syntax, or undefined for any other syntax. */
export function bindTimeFeatures(s: SyntaxId): number | undefined {
  const u = s.uuid.toLowerCase();
  if (!u.startsWith(BIND_TIME_FEATURE_PREFIX) || !u.endsWith('-000000000000')) return undefined;
  const g = Buffer.from(u.slice(19, 23), 'hex');
  return g.readUInt16LE(0);
}
export function bindTimeFeatureSyntax(features: number): SyntaxId {
  const g = Buffer.alloc(2);
  g.writeUInt16LE(features & 0xffff);
  return { uuid: `${BIND_TIME_FEATURE_PREFIX}${g.toString('hex')}-000000000000`, major: 1, minor: 0 };
}

// ---------------------------------------------------------------------------------------------
// Errors

/** A protocol failure; `status` is the nca status (or bind_nak reason when `nak`) to answer with. */
export class RpcError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly kind: 'fault' | 'nak' | 'protocol' = 'fault',
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

function protoError(message: string): RpcError {
  return new RpcError(NCA.s_proto_error, message, 'protocol');
}

// ---------------------------------------------------------------------------------------------
// Codecs (the declarations)

interface Codec<T> {
  write(w: NdrWriter, v: T): void;
  read(r: NdrReader): T;
}

const u8: Codec<number> = { write: (w, v) => w.u8(v), read: (r) => r.u8() };
const u16: Codec<number> = { write: (w, v) => w.u16(v), read: (r) => r.u16() };
const u32: Codec<number> = { write: (w, v) => w.u32(v), read: (r) => r.u32() };

/** uuid_t in NDR (C706 appendix A): time_low u32, time_mid u16, time_hi u16 little-endian, then 8 octets. */
export function uuidToBytes(s: string): Buffer {
  const hex = s.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex) || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)) {
    throw new RpcError(NCA.s_proto_error, `bad uuid ${s}`);
  }
  const b = Buffer.from(hex, 'hex');
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}
export function uuidFromBytes(b: Buffer): string {
  const c = Buffer.from(b);
  c.subarray(0, 4).reverse();
  c.subarray(4, 6).reverse();
  c.subarray(6, 8).reverse();
  const h = c.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

const uuid: Codec<string> = {
  write: (w, v) => {
    w.align(4);
    w.raw(uuidToBytes(v));
  },
  read: (r) => {
    r.align(4);
    return uuidFromBytes(r.raw(16));
  },
};

/** p_syntax_id_t. */
const syntaxId: Codec<SyntaxId> = {
  write: (w, v) => {
    uuid.write(w, v.uuid);
    w.u16(v.major);
    w.u16(v.minor);
  },
  read: (r) => ({ uuid: uuid.read(r), major: r.u16(), minor: r.u16() }),
};

/** A structure: members in declaration order. */
function struct<T>(fields: { [K in keyof T]: Codec<T[K]> }): Codec<T> {
  const names = Object.keys(fields) as (keyof T)[];
  return {
    write(w, v) {
      for (const n of names) fields[n].write(w, v[n]);
    },
    read(r) {
      const o = {} as T;
      for (const n of names) o[n] = fields[n].read(r);
      return o;
    },
  };
}

/** A list preceded by an 8-bit count and `reserved` zero octets (the C706 p_*_list_t shape).
 *  Counts are bounded by the bytes left (each element costs at least minElem octets). */
function list<T>(elem: Codec<T>, reserved: number, minElem: number): Codec<T[]> {
  return {
    write(w, v) {
      if (v.length > 255) throw protoError('list longer than 255 entries');
      w.u8(v.length);
      for (let i = 0; i < reserved; i++) w.u8(0);
      for (const e of v) elem.write(w, e);
    },
    read(r) {
      const n = r.u8();
      for (let i = 0; i < reserved; i++) r.u8();
      r.checkCount(n, minElem, 'list');
      const out: T[] = [];
      for (let i = 0; i < n; i++) out.push(elem.read(r));
      return out;
    },
  };
}

/** C706 port_any_t (the secondary address: a NUL-terminated port string with a u16 length
 *  counting the NUL), followed by the padding that restores 4-octet alignment. */
const portAny: Codec<string> = {
  write(w, v) {
    const b = v.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from(v, 'latin1'), Buffer.alloc(1)]);
    w.u16(b.length);
    w.raw(b);
    w.align(4);
  },
  read(r) {
    const n = r.u16();
    r.checkCount(n, 1, 'sec_addr');
    const b = r.raw(n);
    r.align(4);
    const nul = b.indexOf(0);
    return b.subarray(0, nul < 0 ? b.length : nul).toString('latin1');
  },
};

/** p_cont_elem_t: a presentation context: id, abstract syntax, proposed transfer syntaxes. */
export interface ContextElem {
  contextId: number;
  abstractSyntax: SyntaxId;
  transferSyntaxes: SyntaxId[];
}
const contextElem: Codec<ContextElem> = {
  write(w, v) {
    w.u16(v.contextId);
    w.u8(v.transferSyntaxes.length);
    w.u8(0);
    syntaxId.write(w, v.abstractSyntax);
    for (const t of v.transferSyntaxes) syntaxId.write(w, t);
  },
  read(r) {
    const contextId = r.u16();
    const n = r.u8();
    r.u8();
    const abstractSyntax = syntaxId.read(r);
    if (n === 0) throw protoError('presentation context without transfer syntaxes');
    r.checkCount(n, 20, 'transfer syntaxes');
    const transferSyntaxes: SyntaxId[] = [];
    for (let i = 0; i < n; i++) transferSyntaxes.push(syntaxId.read(r));
    return { contextId, abstractSyntax, transferSyntaxes };
  },
};

/** p_result_t. For negotiate_ack the reason carries the accepted bind time features. */
export interface ContextResult {
  result: number;
  reason: number;
  transferSyntax: SyntaxId;
}
const contextResult: Codec<ContextResult> = struct<ContextResult>({ result: u16, reason: u16, transferSyntax: syntaxId });

/** rpcconn_bind_hdr_t / rpcconn_alter_context_hdr_t bodies (C706 12.6.4.3, 12.6.4.1). */
export interface BindBody {
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  contexts: ContextElem[];
}
const bindBody = struct<BindBody>({ maxXmitFrag: u16, maxRecvFrag: u16, assocGroupId: u32, contexts: list(contextElem, 3, 44) });

/** rpcconn_bind_ack_hdr_t / rpcconn_alter_context_response_hdr_t (C706 12.6.4.4, 12.6.4.2). */
export interface BindAckBody {
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  secAddr: string;
  results: ContextResult[];
}
const bindAckBody = struct<BindAckBody>({
  maxXmitFrag: u16,
  maxRecvFrag: u16,
  assocGroupId: u32,
  secAddr: portAny,
  results: list(contextResult, 3, 24),
});

/** rpcconn_bind_nak_hdr_t (C706 12.6.4.5): reason and the protocol versions we support. MS-RPCE
 *  2.2.2.5 lets a signature and extended error follow; they are ignored on receipt. */
export interface BindNakBody {
  rejectReason: number;
  versions: { major: number; minor: number }[];
}
const bindNakBody = struct<BindNakBody>({
  rejectReason: u16,
  versions: list(struct<{ major: number; minor: number }>({ major: u8, minor: u8 }), 0, 2),
});

interface RequestFixed {
  allocHint: number;
  contextId: number;
  opnum: number;
}
const requestFixed = struct<RequestFixed>({ allocHint: u32, contextId: u16, opnum: u16 });
interface ResponseFixed {
  allocHint: number;
  contextId: number;
  cancelCount: number;
  reserved: number;
}
const responseFixed = struct<ResponseFixed>({ allocHint: u32, contextId: u16, cancelCount: u8, reserved: u8 });
interface FaultFixed extends ResponseFixed {
  status: number;
  reserved2: number;
}
const faultFixed = struct<FaultFixed>({ allocHint: u32, contextId: u16, cancelCount: u8, reserved: u8, status: u32, reserved2: u32 });

// ---------------------------------------------------------------------------------------------
// PDUs

/** sec_trailer (MS-RPCE 2.2.2.11) plus the auth value that follows it. */
export interface AuthVerifier {
  authType: number;
  authLevel: number;
  /** Octets of padding between the stub and the sec_trailer (part of the body on the wire). */
  padLength: number;
  contextId: number;
  value: Buffer;
}
export const SEC_TRAILER_LENGTH = 8;
export const HEADER_LENGTH = 16;
/** Request header length without/with the object UUID (C706 12.6.4.9). */
export const REQUEST_HEADER_LENGTH = 24;
export const RESPONSE_HEADER_LENGTH = 24;

interface PduCommon {
  flags: number;
  callId: number;
  auth?: AuthVerifier;
}
export type Pdu =
  | (PduCommon & { ptype: 0; allocHint: number; contextId: number; opnum: number; object?: string; stub: Buffer })
  | (PduCommon & { ptype: 2; allocHint: number; contextId: number; cancelCount: number; stub: Buffer })
  | (PduCommon & { ptype: 3; allocHint: number; contextId: number; cancelCount: number; status: number; stub: Buffer })
  | (PduCommon & { ptype: 11 | 14 } & BindBody)
  | (PduCommon & { ptype: 12 | 15 } & BindAckBody)
  | (PduCommon & { ptype: 13 } & BindNakBody)
  | (PduCommon & { ptype: 16 | 17 | 18 | 19 });

/** The body bytes (everything between the common header and the sec_trailer, pad included). */
function encodeBody(p: Pdu): Buffer {
  const w = new NdrWriter();
  switch (p.ptype) {
    case 0:
      requestFixed.write(w, p);
      if (p.object !== undefined) w.raw(uuidToBytes(p.object));
      w.raw(p.stub);
      break;
    case 2:
      responseFixed.write(w, { ...p, reserved: 0 });
      w.raw(p.stub);
      break;
    case 3:
      faultFixed.write(w, { ...p, reserved: 0, reserved2: 0 });
      w.raw(p.stub);
      break;
    case 11:
    case 14:
      bindBody.write(w, p);
      break;
    case 12:
    case 15:
      bindAckBody.write(w, p);
      break;
    case 13:
      bindNakBody.write(w, p);
      break;
    case 16:
      // MS-RPCE 2.2.2.10: rpc_auth_3 carries 4 octets of arbitrary pad before the sec_trailer.
      w.u32(0);
      break;
    default:
      break;
  }
  return w.toBuffer();
}

/**
 * Encodes a PDU. With `auth`, the body is followed by auth.padLength octets of zero padding
 * (the caller chose it; see padFor), the sec_trailer and the auth value.
 */
export function encodePdu(p: Pdu): Buffer {
  let body = encodeBody(p);
  if (p.ptype === 0 && p.object !== undefined) p.flags |= PFC.OBJECT_UUID;
  const a = p.auth;
  const authLen = a ? a.value.length : 0;
  if (a) body = Buffer.concat([body, Buffer.alloc(a.padLength)]);
  const total = HEADER_LENGTH + body.length + (a ? SEC_TRAILER_LENGTH + authLen : 0);
  if (total > 0xffff) throw new RpcError(NCA.s_proto_error, `PDU of ${total} octets exceeds frag_length`);
  if (authLen > 0xffff) throw new RpcError(NCA.s_proto_error, 'auth value too long');
  const out = Buffer.alloc(total);
  out[0] = 5; // rpc_vers
  out[1] = 0; // rpc_vers_minor
  out[2] = p.ptype;
  out[3] = p.flags & 0xff;
  out[4] = 0x10; // drep: little-endian, ASCII
  out[5] = 0; // IEEE
  out.writeUInt16LE(total, 8);
  out.writeUInt16LE(authLen, 10);
  out.writeUInt32LE(p.callId >>> 0, 12);
  body.copy(out, HEADER_LENGTH);
  if (a) {
    const t = HEADER_LENGTH + body.length;
    out[t] = a.authType;
    out[t + 1] = a.authLevel;
    out[t + 2] = a.padLength;
    out[t + 3] = 0;
    out.writeUInt32LE(a.contextId >>> 0, t + 4);
    a.value.copy(out, t + SEC_TRAILER_LENGTH);
  }
  return out;
}

/** The header fields needed to frame a stream: checks version and drep, returns frag_length. */
export interface HeaderInfo {
  ptype: number;
  flags: number;
  fragLength: number;
  authLength: number;
  callId: number;
}
/** Parses the 16-octet common header (C706 12.6.3.1). Needs at least 16 octets. */
export function peekHeader(buf: Buffer): HeaderInfo {
  if (buf.length < HEADER_LENGTH) throw protoError('truncated header');
  if (buf[0] !== 5 || (buf[1] !== 0 && buf[1] !== 1)) {
    throw new RpcError(REJECT.protocol_version_not_supported, `unsupported RPC version ${buf[0]}.${buf[1]}`, 'nak');
  }
  // MS-RPCE 2.2.5: only little-endian / ASCII / IEEE is produced or accepted.
  if ((buf[4] & 0xf0) !== 0x10 || (buf[4] & 0x0f) !== 0 || buf[5] !== 0) {
    throw new RpcError(NCA.s_unsupported_type, `unsupported data representation ${buf.subarray(4, 8).toString('hex')}`, 'protocol');
  }
  const fragLength = buf.readUInt16LE(8);
  const authLength = buf.readUInt16LE(10);
  if (fragLength < HEADER_LENGTH) throw protoError(`frag_length ${fragLength} shorter than the header`);
  if (authLength > 0 && authLength + SEC_TRAILER_LENGTH > fragLength - HEADER_LENGTH) {
    throw protoError(`auth_length ${authLength} does not fit frag_length ${fragLength}`);
  }
  return { ptype: buf[2], flags: buf[3], fragLength, authLength, callId: buf.readUInt32LE(12) };
}

/** Where the pieces of a PDU lie: [HEADER_LENGTH, bodyEnd) is the body (stub and pad),
 *  [bodyEnd, bodyEnd+8) the sec_trailer, then the auth value up to frag_length. */
export interface PduLayoutInfo {
  /** Start of the stub within the PDU (request/response/fault), or HEADER_LENGTH. */
  stubStart: number;
  /** End of the stub proper (before the auth padding). */
  stubEnd: number;
  /** End of the body = start of the sec_trailer (frag_length when unauthenticated). */
  bodyEnd: number;
}

/**
 * Decodes one complete PDU (buf.length === frag_length) of at most maxFrag octets. The stub of
 * request/response/fault PDUs excludes the auth padding.
 */
export function decodePdu(buf: Buffer, maxFrag = 0xffff): Pdu & { layout: PduLayoutInfo } {
  const h = peekHeader(buf);
  if (h.fragLength > maxFrag) throw protoError(`frag_length ${h.fragLength} exceeds the maximum ${maxFrag}`);
  if (buf.length !== h.fragLength) throw protoError(`PDU is ${buf.length} octets, frag_length says ${h.fragLength}`);
  let bodyEnd = h.fragLength;
  let auth: AuthVerifier | undefined;
  if (h.authLength > 0) {
    bodyEnd = h.fragLength - h.authLength - SEC_TRAILER_LENGTH;
    const t = bodyEnd;
    auth = {
      authType: buf[t],
      authLevel: buf[t + 1],
      padLength: buf[t + 2],
      contextId: buf.readUInt32LE(t + 4),
      value: Buffer.from(buf.subarray(t + SEC_TRAILER_LENGTH, h.fragLength)),
    };
    if (auth.padLength > bodyEnd - HEADER_LENGTH) throw protoError('auth_pad_length exceeds the body');
  }
  const r = new NdrReader(buf, HEADER_LENGTH, bodyEnd);
  const common = { flags: h.flags, callId: h.callId, auth };
  try {
    const stubAt = (): { stub: Buffer; layout: PduLayoutInfo } => {
      const stubStart = HEADER_LENGTH + r.offset;
      const stubEnd = bodyEnd - (auth ? auth.padLength : 0);
      if (stubEnd < stubStart) throw protoError('auth padding overlaps the PDU header fields');
      return { stub: Buffer.from(buf.subarray(stubStart, stubEnd)), layout: { stubStart, stubEnd, bodyEnd } };
    };
    const plain: PduLayoutInfo = { stubStart: HEADER_LENGTH, stubEnd: bodyEnd, bodyEnd };
    switch (h.ptype) {
      case PTYPE.request: {
        const f = requestFixed.read(r);
        const object = h.flags & PFC.OBJECT_UUID ? uuidFromBytes(r.raw(16)) : undefined;
        return { ptype: 0, ...common, ...f, object, ...stubAt() };
      }
      case PTYPE.response: {
        const f = responseFixed.read(r);
        return { ptype: 2, ...common, allocHint: f.allocHint, contextId: f.contextId, cancelCount: f.cancelCount, ...stubAt() };
      }
      case PTYPE.fault: {
        const f = faultFixed.read(r);
        return { ptype: 3, ...common, allocHint: f.allocHint, contextId: f.contextId, cancelCount: f.cancelCount, status: f.status, ...stubAt() };
      }
      case PTYPE.bind:
      case PTYPE.alter_context:
        return { ptype: h.ptype, ...common, ...bindBody.read(r), layout: plain };
      case PTYPE.bind_ack:
      case PTYPE.alter_context_resp:
        return { ptype: h.ptype, ...common, ...bindAckBody.read(r), layout: plain };
      case PTYPE.bind_nak:
        return { ptype: 13, ...common, ...bindNakBody.read(r), layout: plain };
      case PTYPE.auth3:
      case PTYPE.shutdown:
      case PTYPE.co_cancel:
      case PTYPE.orphaned:
        return { ptype: h.ptype, ...common, layout: plain };
      default:
        throw protoError(`unknown PDU type ${h.ptype}`);
    }
  } catch (e) {
    if (e instanceof NdrError) throw protoError(`malformed ${ptypeName(h.ptype)}: ${e.message}`);
    throw e;
  }
}

export function ptypeName(p: number): string {
  for (const [k, v] of Object.entries(PTYPE)) if (v === p) return k;
  return `ptype ${p}`;
}

/** Auth padding so the sec_trailer starts 16-octet aligned relative to the stub (MS-RPCE
 *  2.2.2.11: the stub is padded to the security provider's block size; 16 covers AES). */
export function padFor(stubLength: number): number {
  return (16 - (stubLength % 16)) % 16;
}

/**
 * Incremental framing of a byte stream into PDUs (C706 12.5: CO PDUs follow each other on the
 * connection, each self-delimited by frag_length). push() returns complete PDUs; a header
 * whose frag_length exceeds `maxFrag()` throws at once, before its body is buffered.
 */
export class PduFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  constructor(private readonly maxFrag: (h: HeaderInfo) => number) {}

  push(data: Buffer): Buffer[] {
    this.chunks.push(data);
    this.buffered += data.length;
    const out: Buffer[] = [];
    for (let guard = 0; guard < 100_000; guard++) {
      if (this.buffered < HEADER_LENGTH) break;
      const head = this.peek(HEADER_LENGTH);
      const h = peekHeader(head);
      const max = this.maxFrag(h);
      if (h.fragLength > max) throw protoError(`frag_length ${h.fragLength} exceeds the maximum ${max}`);
      if (this.buffered < h.fragLength) break;
      out.push(this.take(h.fragLength));
    }
    return out;
  }
  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }
  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const pdu = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return pdu;
  }
}
