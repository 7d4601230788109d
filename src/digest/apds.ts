// MS-APDS 2.2.5 Digest validation messages, carried in Netlogon generic pass-through
// (MS-NRPC 3.2.4.1, package "WDigest"): DIGEST_VALIDATION_REQ (server → DC) and
// DIGEST_VALIDATION_RESP (DC → server). Little-endian; the Payload holds null-terminated
// ISO-8859-1 strings (the last three UTF-16LE) in a fixed order. Decoding is bounded and
// throws ApdsFormatError on anything malformed.

import type { DigestValidationRequest } from '../security/types.js';

export const DIGEST_VALIDATION_REQ_TYPE = 0x1a;
export const DIGEST_VALIDATION_RESP_TYPE = 0x0a;
const REQ_HEADER = 40;
/** MessageType … Reserved3 (32 bytes), SessionKey (32), its NUL (1), Pad4 (7), Pad1 (8). */
const RESP_FIXED = 80;

/** MS-APDS 2.2.5.1 field values. */
export const DIGEST_TYPE = { HTTP: 3, SASL: 4 } as const;
export const QOP_TYPE = { NONE: 1, AUTH: 2, AUTH_INT: 3, AUTH_CONF: 4 } as const;
export const ALG_TYPE = { MD5_ASSUMED: 1, MD5: 2, MD5_SESS: 3 } as const;
export const CHARSET_TYPE = { ISO_8859_1: 1, UTF_8: 2 } as const;
/** Flags bit A (the least significant bit): the DC determines the name format. */
export const DIGEST_FLAG_FORMAT_BY_DC = 0x1;

export class ApdsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApdsFormatError';
  }
}

export interface DigestValidationReq {
  digestType: number;
  qopType: number;
  algType: number;
  charsetType: number;
  nameFormat: number;
  flags: number;
  username: string;
  realm: string;
  nonce: string;
  cnonce: string;
  nonceCount: string;
  algorithm: string;
  qop: string;
  method: string;
  uri: string;
  response: string;
  hentity: string;
  authzid: string;
  accountName: string;
  domain: string;
  serverName: string;
}

const NARROW = ['username', 'realm', 'nonce', 'cnonce', 'nonceCount', 'algorithm', 'qop', 'method', 'uri', 'response', 'hentity', 'authzid'] as const;
const WIDE = ['accountName', 'domain', 'serverName'] as const;

/** The narrow strings: ISO-8859-1 (MS-APDS 2.2.5.1) unless CharsetType says UTF-8 (then username may be UTF-8). */
function narrowEncoding(charsetType: number): BufferEncoding {
  return charsetType === CHARSET_TYPE.UTF_8 ? 'utf8' : 'latin1';
}

export function encodeDigestValidationReq(r: DigestValidationReq): Buffer {
  const enc = narrowEncoding(r.charsetType);
  const parts: Buffer[] = [];
  for (const k of NARROW) parts.push(Buffer.from(r[k], enc), Buffer.alloc(1));
  const wideLen: number[] = [];
  for (const k of WIDE) {
    const b = Buffer.from(r[k], 'utf16le');
    wideLen.push(b.length);
    parts.push(b, Buffer.alloc(2));
  }
  const payload = Buffer.concat(parts);
  const total = REQ_HEADER + payload.length;
  if (total > 0xffff) throw new ApdsFormatError('DIGEST_VALIDATION_REQ too large');
  const h = Buffer.alloc(REQ_HEADER);
  h.writeUInt32LE(DIGEST_VALIDATION_REQ_TYPE, 0);
  h.writeUInt16LE(1, 4);
  h.writeUInt16LE(total, 6);
  h.writeUInt16LE(r.digestType, 8);
  h.writeUInt16LE(r.qopType, 10);
  h.writeUInt16LE(r.algType, 12);
  h.writeUInt16LE(r.charsetType, 14);
  h.writeUInt16LE(payload.length, 16);
  h.writeUInt16LE(r.nameFormat, 18);
  h.writeUInt16LE(r.flags, 20);
  h.writeUInt16LE(wideLen[0], 22);
  h.writeUInt16LE(wideLen[1], 24);
  h.writeUInt16LE(wideLen[2], 26);
  // Reserved3, Reserved4 and Pad1 (8 bytes) stay zero.
  return Buffer.concat([h, payload]);
}

export function decodeDigestValidationReq(b: Buffer): DigestValidationReq {
  if (b.length < REQ_HEADER) throw new ApdsFormatError('DIGEST_VALIDATION_REQ too short');
  if (b.readUInt32LE(0) !== DIGEST_VALIDATION_REQ_TYPE) throw new ApdsFormatError('not a DIGEST_VALIDATION_REQ');
  if (b.readUInt16LE(4) !== 1) throw new ApdsFormatError('DIGEST_VALIDATION_REQ version not 1');
  const charsetType = b.readUInt16LE(14);
  const charValuesLength = b.readUInt16LE(16);
  if (REQ_HEADER + charValuesLength > b.length) throw new ApdsFormatError('DIGEST_VALIDATION_REQ payload overruns the message');
  const payload = b.subarray(REQ_HEADER, REQ_HEADER + charValuesLength);
  const enc = narrowEncoding(charsetType);
  let at = 0;
  const out: Partial<Record<(typeof NARROW)[number] | (typeof WIDE)[number], string>> = {};
  for (const k of NARROW) {
    const end = payload.indexOf(0, at);
    if (end < 0) throw new ApdsFormatError(`DIGEST_VALIDATION_REQ ${k} not terminated`);
    out[k] = payload.subarray(at, end).toString(enc);
    at = end + 1;
  }
  for (const k of WIDE) {
    let end = at;
    while (end + 1 < payload.length && (payload[end] !== 0 || payload[end + 1] !== 0)) end += 2;
    if (end + 1 >= payload.length) throw new ApdsFormatError(`DIGEST_VALIDATION_REQ ${k} not terminated`);
    out[k] = payload.subarray(at, end).toString('utf16le');
    at = end + 2;
  }
  return {
    digestType: b.readUInt16LE(8),
    qopType: b.readUInt16LE(10),
    algType: b.readUInt16LE(12),
    charsetType,
    nameFormat: b.readUInt16LE(18),
    flags: b.readUInt16LE(20),
    ...(out as Record<(typeof NARROW)[number] | (typeof WIDE)[number], string>),
  };
}

/**
 * The DomainAuthority request for a decoded DIGEST_VALIDATION_REQ, or undefined when it asks
 * for something authso does not validate (qop other than auth, an unknown algorithm).
 */
export function validationRequestFromReq(r: DigestValidationReq): DigestValidationRequest | undefined {
  if (r.qopType !== QOP_TYPE.AUTH || r.qop.toLowerCase() !== 'auth') return undefined;
  let algorithm: 'MD5' | 'MD5-sess';
  if (r.algType === ALG_TYPE.MD5_SESS) algorithm = 'MD5-sess';
  else if (r.algType === ALG_TYPE.MD5 || r.algType === ALG_TYPE.MD5_ASSUMED) algorithm = 'MD5';
  else return undefined;
  return {
    username: r.username,
    realm: r.realm,
    nonce: r.nonce,
    cnonce: r.cnonce,
    nc: r.nonceCount,
    qop: 'auth',
    method: r.method,
    uri: r.uri,
    response: r.response,
    algorithm,
  };
}

export interface DigestValidationResp {
  status: number;
  /** 32 hex characters: the session H(A1) (RFC 2617 3.2.2.2). */
  sessionKey: string;
  /** A PACTYPE (MS-PAC 2.3). */
  authData: Buffer;
  /** The user's account name (UTF-16LE on the wire). */
  accountName: string;
}

export function encodeDigestValidationResp(r: DigestValidationResp): Buffer {
  const key = Buffer.alloc(32);
  Buffer.from(r.sessionKey, 'latin1').copy(key, 0, 0, 32);
  const name = Buffer.from(r.accountName, 'utf16le');
  const h = Buffer.alloc(32);
  h.writeUInt32LE(DIGEST_VALIDATION_RESP_TYPE, 0);
  h.writeUInt16LE(1, 4);
  h.writeUInt32LE(r.status >>> 0, 8);
  h.writeUInt16LE(33, 12);
  h.writeUInt32LE(r.authData.length, 16);
  h.writeUInt16LE(name.length, 20);
  h.writeUInt32LE(RESP_FIXED + r.authData.length + name.length, 24);
  // SessionKey (32) + NUL + Pad4 (7) + Pad1 (8), then AuthData and AccountName.
  return Buffer.concat([h, key, Buffer.alloc(16), r.authData, name]);
}

export function decodeDigestValidationResp(b: Buffer): DigestValidationResp {
  const fixed = RESP_FIXED;
  if (b.length < fixed) throw new ApdsFormatError('DIGEST_VALIDATION_RESP too short');
  if (b.readUInt32LE(0) !== DIGEST_VALIDATION_RESP_TYPE || b.readUInt16LE(4) !== 1) throw new ApdsFormatError('not a DIGEST_VALIDATION_RESP v1');
  const authDataSize = b.readUInt32LE(16);
  const nameSize = b.readUInt16LE(20);
  if (fixed + authDataSize + nameSize > b.length) throw new ApdsFormatError('DIGEST_VALIDATION_RESP fields overrun the message');
  return {
    status: b.readUInt32LE(8),
    sessionKey: b.subarray(32, 64).toString('latin1'),
    authData: Buffer.from(b.subarray(fixed, fixed + authDataSize)),
    accountName: b.subarray(fixed + authDataSize, fixed + authDataSize + nameSize).toString('utf16le'),
  };
}
