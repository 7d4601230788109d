// MS-NLMP 2.2 wire structures: NEGOTIATE_MESSAGE, CHALLENGE_MESSAGE, AUTHENTICATE_MESSAGE,
// VERSION, AV_PAIR, NTLMv2_CLIENT_CHALLENGE and NTLMSSP_MESSAGE_SIGNATURE.
//
// The three messages share one shape (2.2.1): the "NTLMSSP\0" signature, a MessageType, a
// fixed header of 32-bit fields, fixed byte arrays and payload descriptors (Len, MaxLen,
// BufferOffset), then optionally VERSION (and, in AUTHENTICATE, the MIC), then the payload.
// Each header is declared once below as a table; one reader and one writer serve all three.
//
// Every byte parsed here is untrusted: lengths and offsets are checked against the buffer,
// sizes are bounded, and any malformation is one NtlmError (the contexts map it to
// SEC_E_INVALID_TOKEN). Nothing here knows keys or passwords.

export class NtlmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NtlmError';
  }
}

/** 2.2.1: every NTLM message starts with these 8 bytes. */
export const NTLMSSP_SIGNATURE: Buffer = Buffer.from('NTLMSSP\0', 'latin1');

export const MESSAGE_TYPE = { NEGOTIATE: 1, CHALLENGE: 2, AUTHENTICATE: 3 } as const;

/**
 * Largest message accepted. Windows' NTLM package advertises cbMaxToken 2888 bytes; other
 * implementations send bigger target info, so we allow one 64 KiB token (the u16 lengths of
 * the payload fields bound each field anyway).
 */
export const MAX_MESSAGE_BYTES = 65536;

/** MS-NLMP 2.2.2.5 NEGOTIATE flags (the spec's names without the NTLMSSP_ / NTLM_ prefix). */
export const NTLMSSP = {
  NEGOTIATE_UNICODE: 0x00000001,
  NEGOTIATE_OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  NEGOTIATE_SIGN: 0x00000010,
  NEGOTIATE_SEAL: 0x00000020,
  NEGOTIATE_DATAGRAM: 0x00000040,
  NEGOTIATE_LM_KEY: 0x00000080,
  NEGOTIATE_NTLM: 0x00000200,
  ANONYMOUS: 0x00000800,
  NEGOTIATE_OEM_DOMAIN_SUPPLIED: 0x00001000,
  NEGOTIATE_OEM_WORKSTATION_SUPPLIED: 0x00002000,
  NEGOTIATE_ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  NEGOTIATE_EXTENDED_SESSIONSECURITY: 0x00080000,
  NEGOTIATE_IDENTIFY: 0x00100000,
  REQUEST_NON_NT_SESSION_KEY: 0x00400000,
  NEGOTIATE_TARGET_INFO: 0x00800000,
  NEGOTIATE_VERSION: 0x02000000,
  NEGOTIATE_128: 0x20000000,
  NEGOTIATE_KEY_EXCH: 0x40000000,
  NEGOTIATE_56: 0x80000000,
} as const;

/** 2.2.2.1 AV_PAIR AvId values. */
export const AV_ID = {
  MsvAvEOL: 0,
  MsvAvNbComputerName: 1,
  MsvAvNbDomainName: 2,
  MsvAvDnsComputerName: 3,
  MsvAvDnsDomainName: 4,
  MsvAvDnsTreeName: 5,
  MsvAvFlags: 6,
  MsvAvTimestamp: 7,
  MsvAvSingleHost: 8,
  MsvAvTargetName: 9,
  MsvAvChannelBindings: 10,
} as const;

/** 2.2.2.1 MsvAvFlags bits. */
export const AV_FLAG = {
  /** The client's account authentication is constrained. */
  ACCOUNT_AUTHENTICATION_CONSTRAINED: 0x1,
  /** The client provides a MIC in the AUTHENTICATE_MESSAGE. */
  MIC_PRESENT: 0x2,
  /** The client-supplied target name came from an untrusted source. */
  TARGET_SPN_UNTRUSTED: 0x4,
} as const;

/** 2.2.2.10 VERSION (8 bytes). NTLMRevisionCurrent is 0x0F (NTLMSSP_REVISION_W2K3) everywhere today. */
export interface NtlmVersion {
  major: number;
  minor: number;
  build: number;
  revision: number;
}
export const NTLMSSP_REVISION_W2K3 = 0x0f;
const VERSION_BYTES = 8;
const MIC_BYTES = 16;

export function encodeVersion(v: NtlmVersion): Buffer {
  const b = Buffer.alloc(VERSION_BYTES);
  b.writeUInt8(v.major & 0xff, 0);
  b.writeUInt8(v.minor & 0xff, 1);
  b.writeUInt16LE(v.build & 0xffff, 2);
  b.writeUInt8(v.revision & 0xff, 7);
  return b;
}

export function decodeVersion(b: Buffer): NtlmVersion {
  if (b.length < VERSION_BYTES) throw new NtlmError('VERSION is truncated');
  return { major: b[0], minor: b[1], build: b.readUInt16LE(2), revision: b[7] };
}

// ---- the declared headers ---------------------------------------------------------------

type HeaderField =
  | { readonly name: string; readonly kind: 'u32' }
  | { readonly name: string; readonly kind: 'payload' }
  | { readonly name: string; readonly kind: 'bytes'; readonly size: number };

type FieldValue<F> = F extends { kind: 'u32' } ? number : Buffer;
type HeaderValues<L extends readonly HeaderField[]> = { [F in L[number] as F['name']]: FieldValue<F> };

/** 2.2.1.1 NEGOTIATE_MESSAGE, after Signature and MessageType. */
const NEGOTIATE_HEADER = [
  { name: 'negotiateFlags', kind: 'u32' },
  { name: 'domainName', kind: 'payload' },
  { name: 'workstation', kind: 'payload' },
] as const;

/** 2.2.1.2 CHALLENGE_MESSAGE. */
const CHALLENGE_HEADER = [
  { name: 'targetName', kind: 'payload' },
  { name: 'negotiateFlags', kind: 'u32' },
  { name: 'serverChallenge', kind: 'bytes', size: 8 },
  { name: 'reserved', kind: 'bytes', size: 8 },
  { name: 'targetInfo', kind: 'payload' },
] as const;

/** 2.2.1.3 AUTHENTICATE_MESSAGE. */
const AUTHENTICATE_HEADER = [
  { name: 'lmChallengeResponse', kind: 'payload' },
  { name: 'ntChallengeResponse', kind: 'payload' },
  { name: 'domainName', kind: 'payload' },
  { name: 'userName', kind: 'payload' },
  { name: 'workstation', kind: 'payload' },
  { name: 'encryptedRandomSessionKey', kind: 'payload' },
  { name: 'negotiateFlags', kind: 'u32' },
] as const;

function fieldSize(f: HeaderField): number {
  return f.kind === 'u32' ? 4 : f.kind === 'payload' ? 8 : f.size;
}

function headerSize(layout: readonly HeaderField[]): number {
  return 12 + layout.reduce((n, f) => n + fieldSize(f), 0);
}

interface ReadHeader<L extends readonly HeaderField[]> {
  values: HeaderValues<L>;
  /** End of the declared fixed header. */
  fixedEnd: number;
  /** Where the first non-empty payload field starts (the buffer length when all are empty). */
  payloadStart: number;
}

/** Reads Signature, MessageType and the declared header; checks every payload field's bounds. */
function readHeader<L extends readonly HeaderField[]>(buf: Buffer, type: number, layout: L, what: string): ReadHeader<L> {
  if (!Buffer.isBuffer(buf)) throw new NtlmError(`${what}: not a byte buffer`);
  if (buf.length > MAX_MESSAGE_BYTES) throw new NtlmError(`${what}: message of ${buf.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  const fixedEnd = headerSize(layout);
  if (buf.length < fixedEnd) throw new NtlmError(`${what}: ${buf.length} bytes is shorter than the ${fixedEnd}-byte header`);
  if (!buf.subarray(0, 8).equals(NTLMSSP_SIGNATURE)) throw new NtlmError(`${what}: no NTLMSSP signature`);
  const msgType = buf.readUInt32LE(8);
  if (msgType !== type) throw new NtlmError(`${what}: MessageType ${msgType}, expected ${type}`);
  const values: Record<string, number | Buffer> = {};
  let pos = 12;
  let payloadStart = buf.length;
  for (const f of layout) {
    if (f.kind === 'u32') {
      values[f.name] = buf.readUInt32LE(pos);
    } else if (f.kind === 'bytes') {
      values[f.name] = Buffer.from(buf.subarray(pos, pos + f.size));
    } else {
      // 2.2.1: Len, MaxLen (ignored on receipt), BufferOffset from the start of the message.
      const len = buf.readUInt16LE(pos);
      const offset = buf.readUInt32LE(pos + 4);
      if (len === 0) {
        values[f.name] = Buffer.alloc(0);
      } else {
        if (offset < fixedEnd || offset > buf.length || len > buf.length - offset) {
          throw new NtlmError(`${what}: ${f.name} (offset ${offset}, length ${len}) lies outside the ${buf.length}-byte message`);
        }
        values[f.name] = Buffer.from(buf.subarray(offset, offset + len));
        if (offset < payloadStart) payloadStart = offset;
      }
    }
    pos += fieldSize(f);
  }
  return { values: values as HeaderValues<L>, fixedEnd, payloadStart };
}

interface WriteOptions {
  version?: NtlmVersion;
  /** AUTHENTICATE only: reserve the 16-byte MIC after VERSION (filled with these bytes). */
  mic?: Buffer;
  /** The order of the payload fields in the payload (default: header order). */
  payloadOrder?: readonly string[];
}

function writeMessage<L extends readonly HeaderField[]>(type: number, layout: L, values: HeaderValues<L>, o: WriteOptions): Buffer {
  const vals = values as Record<string, number | Buffer>;
  const fixedEnd = headerSize(layout);
  if (o.mic !== undefined && o.mic.length !== MIC_BYTES) throw new NtlmError('MIC must be 16 bytes');
  // 2.2.1.3: the MIC follows VERSION; a message with a MIC always carries the VERSION slot.
  const hasVersionSlot = o.version !== undefined || o.mic !== undefined;
  let payloadPos = fixedEnd + (hasVersionSlot ? VERSION_BYTES : 0) + (o.mic ? MIC_BYTES : 0);
  const payloadFields = layout.filter((f) => f.kind === 'payload').map((f) => f.name);
  const order = o.payloadOrder ?? payloadFields;
  if (order.length !== payloadFields.length || !payloadFields.every((n) => order.includes(n))) {
    throw new NtlmError('payloadOrder must list every payload field once');
  }
  const offsets = new Map<string, number>();
  for (const name of order) {
    const data = vals[name] as Buffer;
    if (data.length > 0xffff) throw new NtlmError(`${name} is longer than 65535 bytes`);
    offsets.set(name, payloadPos);
    payloadPos += data.length;
  }
  const out = Buffer.alloc(payloadPos);
  NTLMSSP_SIGNATURE.copy(out, 0);
  out.writeUInt32LE(type, 8);
  let pos = 12;
  for (const f of layout) {
    const v = vals[f.name];
    if (f.kind === 'u32') {
      out.writeUInt32LE((v as number) >>> 0, pos);
    } else if (f.kind === 'bytes') {
      const b = v as Buffer;
      if (b.length !== f.size) throw new NtlmError(`${f.name} must be ${f.size} bytes`);
      b.copy(out, pos);
    } else {
      const b = v as Buffer;
      const off = offsets.get(f.name)!;
      out.writeUInt16LE(b.length, pos);
      out.writeUInt16LE(b.length, pos + 2);
      out.writeUInt32LE(off, pos + 4);
      b.copy(out, off);
    }
    pos += fieldSize(f);
  }
  if (o.version) encodeVersion(o.version).copy(out, fixedEnd);
  if (o.mic) o.mic.copy(out, fixedEnd + VERSION_BYTES);
  return out;
}

/** VERSION is present when the flag says so and the payload leaves room for it. */
function readOptionalVersion(buf: Buffer, flags: number, fixedEnd: number, payloadStart: number): NtlmVersion | undefined {
  if ((flags & NTLMSSP.NEGOTIATE_VERSION) === 0) return undefined;
  if (payloadStart < fixedEnd + VERSION_BYTES || buf.length < fixedEnd + VERSION_BYTES) return undefined;
  return decodeVersion(buf.subarray(fixedEnd, fixedEnd + VERSION_BYTES));
}

// ---- strings ----------------------------------------------------------------------------

/** 2.2: Unicode strings are UTF-16LE without terminator; OEM strings are read as Latin-1. */
export function decodeNtlmString(b: Buffer, unicode: boolean, what: string): string {
  if (!unicode) return b.toString('latin1');
  if (b.length % 2 !== 0) throw new NtlmError(`${what}: odd length for a UTF-16 string`);
  return b.toString('utf16le');
}

export function encodeNtlmString(s: string, unicode: boolean): Buffer {
  return Buffer.from(s, unicode ? 'utf16le' : 'latin1');
}

// ---- NEGOTIATE_MESSAGE (2.2.1.1) --------------------------------------------------------

export interface NegotiateMessage {
  flags: number;
  /** Only when NEGOTIATE_OEM_DOMAIN_SUPPLIED is set (OEM encoding, 2.2.1.1). */
  domainName: string;
  /** Only when NEGOTIATE_OEM_WORKSTATION_SUPPLIED is set. */
  workstation: string;
  version?: NtlmVersion;
}

export function encodeNegotiate(m: NegotiateMessage): Buffer {
  let flags = m.flags;
  if (m.domainName) flags |= NTLMSSP.NEGOTIATE_OEM_DOMAIN_SUPPLIED;
  if (m.workstation) flags |= NTLMSSP.NEGOTIATE_OEM_WORKSTATION_SUPPLIED;
  if (m.version) flags |= NTLMSSP.NEGOTIATE_VERSION;
  return writeMessage(
    MESSAGE_TYPE.NEGOTIATE,
    NEGOTIATE_HEADER,
    { negotiateFlags: flags >>> 0, domainName: encodeNtlmString(m.domainName, false), workstation: encodeNtlmString(m.workstation, false) },
    { version: m.version },
  );
}

export function decodeNegotiate(buf: Buffer): NegotiateMessage {
  const h = readHeader(buf, MESSAGE_TYPE.NEGOTIATE, NEGOTIATE_HEADER, 'NEGOTIATE_MESSAGE');
  const flags = h.values.negotiateFlags;
  return {
    flags,
    domainName: (flags & NTLMSSP.NEGOTIATE_OEM_DOMAIN_SUPPLIED) !== 0 ? decodeNtlmString(h.values.domainName, false, 'DomainName') : '',
    workstation:
      (flags & NTLMSSP.NEGOTIATE_OEM_WORKSTATION_SUPPLIED) !== 0 ? decodeNtlmString(h.values.workstation, false, 'Workstation') : '',
    version: readOptionalVersion(buf, flags, h.fixedEnd, h.payloadStart),
  };
}

// ---- CHALLENGE_MESSAGE (2.2.1.2) --------------------------------------------------------

export interface ChallengeMessage {
  flags: number;
  targetName: string;
  serverChallenge: Buffer;
  /** The raw AV_PAIR sequence (the client copies it into its NTLMv2 response). */
  targetInfo: Buffer;
  version?: NtlmVersion;
}

export function encodeChallenge(m: ChallengeMessage): Buffer {
  if (m.serverChallenge.length !== 8) throw new NtlmError('ServerChallenge must be 8 bytes');
  const unicode = (m.flags & NTLMSSP.NEGOTIATE_UNICODE) !== 0;
  let flags = m.flags;
  if (m.version) flags |= NTLMSSP.NEGOTIATE_VERSION;
  if (m.targetInfo.length > 0) flags |= NTLMSSP.NEGOTIATE_TARGET_INFO;
  return writeMessage(
    MESSAGE_TYPE.CHALLENGE,
    CHALLENGE_HEADER,
    {
      targetName: encodeNtlmString(m.targetName, unicode),
      negotiateFlags: flags >>> 0,
      serverChallenge: m.serverChallenge,
      reserved: Buffer.alloc(8),
      targetInfo: m.targetInfo,
    },
    { version: m.version },
  );
}

export function decodeChallenge(buf: Buffer): ChallengeMessage {
  const h = readHeader(buf, MESSAGE_TYPE.CHALLENGE, CHALLENGE_HEADER, 'CHALLENGE_MESSAGE');
  const flags = h.values.negotiateFlags;
  const targetInfo = (flags & NTLMSSP.NEGOTIATE_TARGET_INFO) !== 0 ? h.values.targetInfo : Buffer.alloc(0);
  // Validate now so that a bad sequence fails as a malformed CHALLENGE, not later.
  if (targetInfo.length > 0) decodeAvPairs(targetInfo, 'CHALLENGE_MESSAGE TargetInfo');
  return {
    flags,
    targetName: decodeNtlmString(h.values.targetName, (flags & NTLMSSP.NEGOTIATE_UNICODE) !== 0, 'TargetName'),
    serverChallenge: h.values.serverChallenge,
    targetInfo,
    version: readOptionalVersion(buf, flags, h.fixedEnd, h.payloadStart),
  };
}

// ---- AUTHENTICATE_MESSAGE (2.2.1.3) -----------------------------------------------------

export interface AuthenticateMessage {
  flags: number;
  lmChallengeResponse: Buffer;
  ntChallengeResponse: Buffer;
  domainName: string;
  userName: string;
  workstation: string;
  encryptedRandomSessionKey: Buffer;
  version?: NtlmVersion;
  /** The 16 bytes at the MIC position, when the layout has room for one (see micOffset). */
  mic?: Buffer;
}

/** 2.2.1.3: the MIC sits right after the 64-byte header and the 8-byte VERSION. */
export const AUTHENTICATE_MIC_OFFSET = headerSize(AUTHENTICATE_HEADER) + VERSION_BYTES;

/** Payload order Windows uses (and MS-NLMP 4.2.4.3 shows): names first, then the responses. */
const AUTHENTICATE_PAYLOAD_ORDER = [
  'domainName',
  'userName',
  'workstation',
  'lmChallengeResponse',
  'ntChallengeResponse',
  'encryptedRandomSessionKey',
] as const;

/**
 * Encodes an AUTHENTICATE_MESSAGE. With `mic` (16 bytes, normally zeros before the MIC is
 * computed) the MIC slot is reserved at AUTHENTICATE_MIC_OFFSET; VERSION is then always present.
 */
export function encodeAuthenticate(m: AuthenticateMessage): Buffer {
  const unicode = (m.flags & NTLMSSP.NEGOTIATE_UNICODE) !== 0;
  let flags = m.flags;
  if (m.version) flags |= NTLMSSP.NEGOTIATE_VERSION;
  return writeMessage(
    MESSAGE_TYPE.AUTHENTICATE,
    AUTHENTICATE_HEADER,
    {
      lmChallengeResponse: m.lmChallengeResponse,
      ntChallengeResponse: m.ntChallengeResponse,
      domainName: encodeNtlmString(m.domainName, unicode),
      userName: encodeNtlmString(m.userName, unicode),
      workstation: encodeNtlmString(m.workstation, unicode),
      encryptedRandomSessionKey: m.encryptedRandomSessionKey,
      negotiateFlags: flags >>> 0,
    },
    { version: m.version, mic: m.mic, payloadOrder: AUTHENTICATE_PAYLOAD_ORDER },
  );
}

export function decodeAuthenticate(buf: Buffer): AuthenticateMessage {
  const h = readHeader(buf, MESSAGE_TYPE.AUTHENTICATE, AUTHENTICATE_HEADER, 'AUTHENTICATE_MESSAGE');
  const flags = h.values.negotiateFlags;
  const unicode = (flags & NTLMSSP.NEGOTIATE_UNICODE) !== 0;
  const micEnd = AUTHENTICATE_MIC_OFFSET + MIC_BYTES;
  // The MIC has no flag of its own in the header (its presence is announced inside the NTLMv2
  // response, MsvAvFlags 0x2): it is there when the payload leaves room for it.
  const mic = h.payloadStart >= micEnd && buf.length >= micEnd ? Buffer.from(buf.subarray(AUTHENTICATE_MIC_OFFSET, micEnd)) : undefined;
  return {
    flags,
    lmChallengeResponse: h.values.lmChallengeResponse,
    ntChallengeResponse: h.values.ntChallengeResponse,
    domainName: decodeNtlmString(h.values.domainName, unicode, 'DomainName'),
    userName: decodeNtlmString(h.values.userName, unicode, 'UserName'),
    workstation: decodeNtlmString(h.values.workstation, unicode, 'Workstation'),
    encryptedRandomSessionKey: h.values.encryptedRandomSessionKey,
    version: readOptionalVersion(buf, flags, h.fixedEnd, h.payloadStart),
    mic,
  };
}

/** The message with its MIC field zero-filled: the input of the MIC (3.1.5.1.2, 3.2.5.1.2). */
export function zeroMic(authenticateBytes: Buffer): Buffer {
  const copy = Buffer.from(authenticateBytes);
  copy.fill(0, AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_OFFSET + MIC_BYTES);
  return copy;
}

// ---- AV_PAIR (2.2.2.1) -------------------------------------------------------------------

export interface AvPair {
  id: number;
  value: Buffer;
}

/** Pair IDs whose repetition would make the meaning ambiguous; a repeat is malformed. */
const SINGLE_VALUED = new Set<number>(Object.values(AV_ID));

/** Reads an AV_PAIR sequence up to MsvAvEOL (required); bytes after it are ignored. */
export function decodeAvPairs(buf: Buffer, what = 'AV_PAIR list'): AvPair[] {
  const pairs: AvPair[] = [];
  const seen = new Set<number>();
  let pos = 0;
  for (;;) {
    if (buf.length - pos < 4) throw new NtlmError(`${what}: not terminated by MsvAvEOL`);
    const id = buf.readUInt16LE(pos);
    const len = buf.readUInt16LE(pos + 2);
    pos += 4;
    if (id === AV_ID.MsvAvEOL) {
      if (len !== 0) throw new NtlmError(`${what}: MsvAvEOL with a non-zero length`);
      return pairs;
    }
    if (len > buf.length - pos) throw new NtlmError(`${what}: pair ${id} runs past the end`);
    if (SINGLE_VALUED.has(id)) {
      if (seen.has(id)) throw new NtlmError(`${what}: pair ${id} appears twice`);
      seen.add(id);
    }
    pairs.push({ id, value: Buffer.from(buf.subarray(pos, pos + len)) });
    pos += len;
  }
}

/** Writes the pairs followed by MsvAvEOL. */
export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of pairs) {
    if (p.id === AV_ID.MsvAvEOL) throw new NtlmError('MsvAvEOL is added by encodeAvPairs');
    if (p.value.length > 0xffff) throw new NtlmError(`AV pair ${p.id} is longer than 65535 bytes`);
    const h = Buffer.alloc(4);
    h.writeUInt16LE(p.id, 0);
    h.writeUInt16LE(p.value.length, 2);
    parts.push(h, p.value);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** The AV pairs MS-NLMP defines, decoded. */
export interface TargetInfo {
  nbComputerName?: string;
  nbDomainName?: string;
  dnsComputerName?: string;
  dnsDomainName?: string;
  dnsTreeName?: string;
  /** MsvAvFlags (AV_FLAG bits). */
  flags?: number;
  /** MsvAvTimestamp: FILETIME. */
  timestamp?: bigint;
  /** MsvAvSingleHost: Single_Host_Data (2.2.2.2), kept raw. */
  singleHost?: Buffer;
  /** MsvAvTargetName: the SPN the client meant to reach. */
  targetName?: string;
  /** MsvAvChannelBindings: MD5 of gss_channel_bindings_struct (16 bytes). */
  channelBindings?: Buffer;
}

function exactSize(p: AvPair, n: number, name: string): Buffer {
  if (p.value.length !== n) throw new NtlmError(`${name} must be ${n} bytes, got ${p.value.length}`);
  return p.value;
}

export function targetInfoFromPairs(pairs: readonly AvPair[]): TargetInfo {
  const ti: TargetInfo = {};
  const str = (p: AvPair, name: string) => decodeNtlmString(p.value, true, name);
  for (const p of pairs) {
    switch (p.id) {
      case AV_ID.MsvAvNbComputerName:
        ti.nbComputerName = str(p, 'MsvAvNbComputerName');
        break;
      case AV_ID.MsvAvNbDomainName:
        ti.nbDomainName = str(p, 'MsvAvNbDomainName');
        break;
      case AV_ID.MsvAvDnsComputerName:
        ti.dnsComputerName = str(p, 'MsvAvDnsComputerName');
        break;
      case AV_ID.MsvAvDnsDomainName:
        ti.dnsDomainName = str(p, 'MsvAvDnsDomainName');
        break;
      case AV_ID.MsvAvDnsTreeName:
        ti.dnsTreeName = str(p, 'MsvAvDnsTreeName');
        break;
      case AV_ID.MsvAvFlags:
        ti.flags = exactSize(p, 4, 'MsvAvFlags').readUInt32LE(0);
        break;
      case AV_ID.MsvAvTimestamp:
        ti.timestamp = exactSize(p, 8, 'MsvAvTimestamp').readBigUInt64LE(0);
        break;
      case AV_ID.MsvAvSingleHost:
        // 2.2.2.2 Single_Host_Data: Size, Z4, CustomData (8), MachineID (32).
        if (p.value.length < 48) throw new NtlmError('MsvAvSingleHost is shorter than 48 bytes');
        ti.singleHost = p.value;
        break;
      case AV_ID.MsvAvTargetName:
        ti.targetName = str(p, 'MsvAvTargetName');
        break;
      case AV_ID.MsvAvChannelBindings:
        ti.channelBindings = exactSize(p, 16, 'MsvAvChannelBindings');
        break;
      default:
        // 2.2.2.1: unknown AvIds are ignored.
        break;
    }
  }
  return ti;
}

/** Pairs for a TargetInfo, in the order Windows writes them (domain before computer, 3.2.5.1.1). */
export function pairsFromTargetInfo(ti: TargetInfo): AvPair[] {
  const out: AvPair[] = [];
  const s = (id: number, v: string | undefined) => {
    if (v !== undefined) out.push({ id, value: encodeNtlmString(v, true) });
  };
  s(AV_ID.MsvAvNbDomainName, ti.nbDomainName);
  s(AV_ID.MsvAvNbComputerName, ti.nbComputerName);
  s(AV_ID.MsvAvDnsDomainName, ti.dnsDomainName);
  s(AV_ID.MsvAvDnsComputerName, ti.dnsComputerName);
  s(AV_ID.MsvAvDnsTreeName, ti.dnsTreeName);
  if (ti.timestamp !== undefined) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(ti.timestamp);
    out.push({ id: AV_ID.MsvAvTimestamp, value: b });
  }
  if (ti.flags !== undefined) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(ti.flags >>> 0);
    out.push({ id: AV_ID.MsvAvFlags, value: b });
  }
  if (ti.singleHost !== undefined) out.push({ id: AV_ID.MsvAvSingleHost, value: ti.singleHost });
  s(AV_ID.MsvAvTargetName, ti.targetName);
  if (ti.channelBindings !== undefined) out.push({ id: AV_ID.MsvAvChannelBindings, value: ti.channelBindings });
  return out;
}

// ---- NTLMv2_CLIENT_CHALLENGE (2.2.2.7) and NTLMv2_RESPONSE (2.2.2.8) ------------------------

/** RespType, HiRespType, Reserved1, Reserved2, TimeStamp, ChallengeFromClient, Reserved3. */
const CLIENT_CHALLENGE_HEADER = 28;
/** NTProofStr. */
const NT_PROOF_BYTES = 16;

export interface Ntlmv2ClientChallenge {
  timestamp: bigint;
  challengeFromClient: Buffer;
  /** The client's AV pairs (decoded) and their raw bytes up to and including MsvAvEOL. */
  avPairs: AvPair[];
}

/**
 * The "temp" of 3.3.2: NTLMv2_CLIENT_CHALLENGE with the AvPairs (ending in MsvAvEOL) followed
 * by Z(4), exactly as the NTProofStr covers it.
 */
export function encodeNtlmv2ClientChallenge(timestamp: bigint, challengeFromClient: Buffer, avPairs: Buffer): Buffer {
  if (challengeFromClient.length !== 8) throw new NtlmError('ChallengeFromClient must be 8 bytes');
  const h = Buffer.alloc(CLIENT_CHALLENGE_HEADER);
  h[0] = 1; // RespType (Responserversion)
  h[1] = 1; // HiRespType (HiResponserversion)
  h.writeBigUInt64LE(timestamp, 8);
  challengeFromClient.copy(h, 16);
  return Buffer.concat([h, avPairs, Buffer.alloc(4)]);
}

export interface Ntlmv2Response {
  ntProofStr: Buffer;
  /** Everything after NTProofStr (the "temp" the proof covers). */
  clientChallengeBytes: Buffer;
  clientChallenge: Ntlmv2ClientChallenge;
}

/** Splits an NtChallengeResponse longer than 24 bytes (3.3.2) into NTProofStr and its blob. */
export function decodeNtlmv2Response(nt: Buffer): Ntlmv2Response {
  if (nt.length < NT_PROOF_BYTES + CLIENT_CHALLENGE_HEADER + 4) throw new NtlmError('NTLMv2_RESPONSE is truncated');
  const blob = nt.subarray(NT_PROOF_BYTES);
  if (blob[0] !== 1 || blob[1] !== 1) throw new NtlmError(`NTLMv2_CLIENT_CHALLENGE version ${blob[0]}/${blob[1]}, expected 1/1`);
  return {
    ntProofStr: Buffer.from(nt.subarray(0, NT_PROOF_BYTES)),
    clientChallengeBytes: Buffer.from(blob),
    clientChallenge: {
      timestamp: blob.readBigUInt64LE(8),
      challengeFromClient: Buffer.from(blob.subarray(16, 24)),
      avPairs: decodeAvPairs(blob.subarray(CLIENT_CHALLENGE_HEADER), 'NTLMv2_CLIENT_CHALLENGE AvPairs'),
    },
  };
}

// ---- NTLMSSP_MESSAGE_SIGNATURE (2.2.2.9.2, extended session security) ---------------------

export const MESSAGE_SIGNATURE_BYTES = 16;

export interface MessageSignature {
  checksum: Buffer; // 8 bytes
  seqNum: number;
}

export function encodeMessageSignature(s: MessageSignature): Buffer {
  const b = Buffer.alloc(MESSAGE_SIGNATURE_BYTES);
  b.writeUInt32LE(1, 0); // Version MUST be 1
  s.checksum.copy(b, 4, 0, 8);
  b.writeUInt32LE(s.seqNum >>> 0, 12);
  return b;
}

export function decodeMessageSignature(b: Buffer): MessageSignature {
  if (!Buffer.isBuffer(b) || b.length !== MESSAGE_SIGNATURE_BYTES) throw new NtlmError('NTLMSSP_MESSAGE_SIGNATURE must be 16 bytes');
  if (b.readUInt32LE(0) !== 1) throw new NtlmError('NTLMSSP_MESSAGE_SIGNATURE version is not 1');
  return { checksum: Buffer.from(b.subarray(4, 12)), seqNum: b.readUInt32LE(12) };
}
