// RFC 2743 3.1 mechanism-independent token framing, as RFC 4121 4.1 uses it for the Kerberos
// context-establishment tokens:
//
//   0x60 | DER length | 0x06 len OID | TOK_ID (2 octets) | inner token
//
// with TOK_ID 01 00 (KRB_AP_REQ), 02 00 (KRB_AP_REP), 03 00 (KRB_ERROR). Two mechanism OIDs
// name Kerberos: the standard 1.2.840.113554.1.2.2 and the one Windows 2000 put in SPNEGO by
// mistake, 1.2.840.48018.1.2.2 (MS-KILE 1.9 / RFC 4178 section 1, still sent by Windows), which
// is accepted on input and can be chosen for output so a reply names the OID it answers.
// RFC 1964 (rc4-hmac) per-message tokens use the same framing; RFC 4121 4.2 tokens do not.

import { tokenError } from './errors.js';

export const KRB5_MECH_OID = '1.2.840.113554.1.2.2';
export const MS_KRB5_MECH_OID = '1.2.840.48018.1.2.2';

/** RFC 4121 4.1 / RFC 1964 1.1 TOK_ID values (big-endian 16-bit). */
export const TOK_ID = {
  AP_REQ: 0x0100,
  AP_REP: 0x0200,
  KRB_ERROR: 0x0300,
  /** RFC 1964 / RFC 4757 7.2 MIC and 7.3 Wrap (rc4-hmac contexts). */
  RC4_MIC: 0x0101,
  RC4_WRAP: 0x0201,
  /** RFC 4121 4.2.6.1 / 4.2.6.2 (not framed). */
  CFX_MIC: 0x0404,
  CFX_WRAP: 0x0504,
} as const;

/** DER of the OID element (06 len arcs) for the two Kerberos OIDs: fixed, so no encoder needed. */
const OID_DER: Record<string, Buffer> = {
  [KRB5_MECH_OID]: Buffer.from('06092a864886f712010202', 'hex'),
  [MS_KRB5_MECH_OID]: Buffer.from('06092a864882f712010202', 'hex'),
};

export type KerberosMechOid = typeof KRB5_MECH_OID | typeof MS_KRB5_MECH_OID;

export function isKerberosOid(oid: string): oid is KerberosMechOid {
  return oid === KRB5_MECH_OID || oid === MS_KRB5_MECH_OID;
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Frames `body` (which starts with the TOK_ID) as an InitialContextToken of `mech`. */
export function encodeGssFraming(body: Buffer, mech: KerberosMechOid = KRB5_MECH_OID): Buffer {
  const oid = OID_DER[mech];
  const len = oid.length + body.length;
  return Buffer.concat([Buffer.from([0x60]), derLength(len), oid, body]);
}

/** Largest token accepted: context tokens carry a ticket with a PAC, never megabytes. */
export const MAX_TOKEN = 1 << 20;

/**
 * Parses the framing: returns the mechanism OID and what follows it (TOK_ID and inner token).
 * Throws SecurityError(SEC_E_INVALID_TOKEN) on anything malformed or not a Kerberos OID.
 */
export function decodeGssFraming(token: Buffer): { mech: KerberosMechOid; body: Buffer } {
  if (!Buffer.isBuffer(token)) throw tokenError('token is not a buffer');
  if (token.length > MAX_TOKEN) throw tokenError('token too large');
  if (token.length < 2 || token[0] !== 0x60) throw tokenError('not a GSS-API InitialContextToken (no 0x60 tag)');
  let pos = 1;
  const first = token[pos++];
  let len: number;
  if (first < 0x80) {
    len = first;
  } else {
    const n = first & 0x7f;
    // RFC 2743 3.1: definite DER lengths only; four octets are far more than a token needs.
    if (n === 0 || n > 4 || pos + n > token.length) throw tokenError('bad GSS-API token length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + token[pos++];
    if (len < 0x80 || token[pos - n] === 0) throw tokenError('non-minimal GSS-API token length');
  }
  if (pos + len !== token.length) throw tokenError('GSS-API token length does not match the token');
  if (pos + 2 > token.length || token[pos] !== 0x06) throw tokenError('GSS-API token has no mechanism OID');
  const oidLen = token[pos + 1];
  if (oidLen >= 0x80 || pos + 2 + oidLen > token.length) throw tokenError('bad mechanism OID');
  const oidDer = token.subarray(pos, pos + 2 + oidLen);
  const mech = (Object.keys(OID_DER) as KerberosMechOid[]).find((k) => OID_DER[k].equals(oidDer));
  if (!mech) throw tokenError('token is not for the Kerberos mechanism');
  return { mech, body: token.subarray(pos + 2 + oidLen) };
}

/** A framed Kerberos token: OID, TOK_ID, inner (RFC 4121 4.1). */
export function encodeKrb5Token(tokId: number, inner: Buffer, mech: KerberosMechOid = KRB5_MECH_OID): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(tokId);
  return encodeGssFraming(Buffer.concat([id, inner]), mech);
}

export interface Krb5Token {
  mech: KerberosMechOid;
  tokId: number;
  inner: Buffer;
}

export function decodeKrb5Token(token: Buffer): Krb5Token {
  const { mech, body } = decodeGssFraming(token);
  if (body.length < 2) throw tokenError('token has no TOK_ID');
  return { mech, tokId: body.readUInt16BE(0), inner: body.subarray(2) };
}

/** True when the bytes look like a framed token (for callers that accept raw DCE-style ones too). */
export function isFramed(token: Buffer): boolean {
  return token.length > 0 && token[0] === 0x60;
}
