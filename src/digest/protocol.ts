// HTTP Digest (RFC 7616, which obsoletes RFC 2617) as MS-DPSP profiles it for Windows: MD5 and
// MD5-sess with qop=auth. The server side only: reading a client's Authorization: Digest
// parameters, computing the expected response from H(A1), and rspauth for Authentication-Info.
// H(A1) itself comes from the domain (the WDigest hash, MS-SAMR 3.1.1.8.11.3.1), never from a
// password here.

import { createHash, timingSafeEqual } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'MD5-sess';

/** Bounds on what a client may send (a real user name, URI or nonce is far shorter). */
export const DIGEST_LIMITS = {
  username: 512,
  realm: 256,
  nonce: 256,
  cnonce: 256,
  uri: 8192,
  opaque: 256,
} as const;

/** What the client sent (RFC 7616 3.4), checked for shape but not yet against any state. */
export interface DigestResponseParams {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  /** 32 lower-case hex digits (RFC 7616 3.4.1 request-digest; compared case-insensitively). */
  response: string;
  algorithm: DigestAlgorithm;
  cnonce: string;
  /** nc as sent (8 hex digits) and its value. */
  nc: string;
  ncValue: number;
  qop: 'auth';
  opaque?: string;
}

export class DigestFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigestFormatError';
  }
}

const HEX32 = /^[0-9a-fA-F]{32}$/;
const NC = /^[0-9a-fA-F]{8}$/;

function field(p: Record<string, string>, name: keyof typeof DIGEST_LIMITS, required: boolean): string | undefined {
  const v = p[name];
  if (v === undefined) {
    if (required) throw new DigestFormatError(`Digest credentials without ${name}`);
    return undefined;
  }
  if (v.length > DIGEST_LIMITS[name]) throw new DigestFormatError(`Digest ${name} too long`);
  // Control characters never belong in these fields (and must not reach logs or SQL lookups).
  if ([...v].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) throw new DigestFormatError(`control characters in Digest ${name}`);
  return v;
}

/**
 * RFC 7616 3.4 credentials from already-split auth-params (names lower-cased). Requires
 * qop=auth with cnonce and nc (RFC 7616 3.4: qop is mandatory; the RFC 2069 form without it
 * gives no replay protection and is refused), algorithm MD5 or MD5-sess (absent = MD5), and
 * refuses userhash=true and username* (not offered by this server).
 */
export function parseDigestParams(p: Record<string, string>): DigestResponseParams {
  const username = field(p, 'username', true) as string;
  if (p['username*'] !== undefined || (p.userhash ?? 'false').toLowerCase() !== 'false') throw new DigestFormatError('Digest userhash / username* not supported');
  const realm = field(p, 'realm', true) as string;
  const nonce = field(p, 'nonce', true) as string;
  const uri = field(p, 'uri', true) as string;
  const cnonce = field(p, 'cnonce', true) as string;
  const opaque = field(p, 'opaque', false);
  const response = p.response;
  if (response === undefined || !HEX32.test(response)) throw new DigestFormatError('Digest response is not 32 hex digits');
  const qop = p.qop;
  if (qop === undefined || qop.toLowerCase() !== 'auth') throw new DigestFormatError('Digest qop must be auth');
  const nc = p.nc;
  if (nc === undefined || !NC.test(nc)) throw new DigestFormatError('Digest nc is not 8 hex digits');
  const ncValue = parseInt(nc, 16);
  if (ncValue === 0) throw new DigestFormatError('Digest nc must start at 1');
  const alg = (p.algorithm ?? 'MD5').toLowerCase();
  let algorithm: DigestAlgorithm;
  if (alg === 'md5') algorithm = 'MD5';
  else if (alg === 'md5-sess') algorithm = 'MD5-sess';
  else throw new DigestFormatError('Digest algorithm not supported');
  if (username === '' || cnonce === '' || nonce === '') throw new DigestFormatError('empty Digest username, nonce or cnonce');
  const out: DigestResponseParams = { username, realm, nonce, uri, response: response.toLowerCase(), algorithm, cnonce, nc, ncValue, qop: 'auth' };
  if (opaque !== undefined) out.opaque = opaque;
  return out;
}

function md5hex(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

/**
 * RFC 7616 3.4.2: the session H(A1). For MD5 it is the stored MD5(user:realm:password); for
 * MD5-sess MD5(H(user:realm:password) ":" nonce ":" cnonce) (hex of the inner hash, as RFC
 * 2617 3.2.2.2 and every client compute it). MS-DPSP uses this value as the session key.
 */
export function sessionHa1(ha1: Buffer, algorithm: DigestAlgorithm, nonce: string, cnonce: string): Buffer {
  if (algorithm === 'MD5') return Buffer.from(ha1);
  return createHash('md5').update(`${ha1.toString('hex')}:${nonce}:${cnonce}`, 'utf8').digest();
}

/**
 * RFC 7616 3.4.1 with qop=auth: KD(H(A1), nonce:nc:cnonce:qop:H(A2)), A2 = method ":" uri
 * (for the response) or ":" uri (rspauth, RFC 7616 3.5), as 32 lower-case hex digits.
 */
export function requestDigest(sessHa1: Buffer, p: { nonce: string; nc: string; cnonce: string; qop: string }, method: string, uri: string): string {
  const ha2 = md5hex(`${method}:${uri}`);
  return md5hex(`${sessHa1.toString('hex')}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`);
}

/** Constant-time comparison of two hex digests. */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'latin1');
  const y = Buffer.from(b.toLowerCase(), 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** RFC 7616 3.5 Authentication-Info: rspauth proves the server knew H(A1) too. */
export function authenticationInfo(sessHa1: Buffer, p: { nonce: string; nc: string; cnonce: string }, uri: string): string {
  const rspauth = requestDigest(sessHa1, { ...p, qop: 'auth' }, '', uri);
  return `rspauth="${rspauth}", qop=auth, nc=${p.nc}, cnonce="${p.cnonce.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
