// MS-SFU 2.2 pre-authentication data of the S4U2self TGS exchange: PA-FOR-USER (padata 129,
// 2.2.1) and PA-S4U-X509-USER (padata 130, 2.2.2) with its S4UUserID, plus the byte string the
// PA-FOR-USER checksum covers. The S4UUserID of a received PA-S4U-X509-USER keeps its exact
// bytes: the checksum is over them, not over a re-encoding.
import { kerberosFlags, kerberosString, octetString, opt, req, struct, uint32, withRaw, type Codec, type WithRaw } from '../../encoding/der.js';
import type { Checksum, PrincipalName } from './types.js';
import { decodeWith, encodeWith } from './common.js';
import { checksumCodec } from './basic.js';
import { principalNameCodec } from './principal.js';

/** PA-FOR-USER ::= SEQUENCE { userName [0] PrincipalName, userRealm [1] Realm, cksum [2] Checksum, auth-package [3] KerberosString } */
export interface PaForUser {
  userName: PrincipalName;
  userRealm: string;
  cksum: Checksum;
  authPackage: string;
}

/** S4UUserID ::= SEQUENCE { nonce [0] UInt32, cname [1] OPTIONAL, crealm [2], subject-certificate [3] OPTIONAL, options [4] BIT STRING OPTIONAL, ... } */
export interface S4uUserId {
  nonce: number;
  cname?: PrincipalName;
  crealm: string;
  subjectCertificate?: Buffer;
  /** KerberosFlags-style 32-bit value, bit 0 = MSB (S4U_OPTION below). */
  options?: number;
}

/** PA-S4U-X509-USER ::= SEQUENCE { user-id [0] S4UUserID, checksum [1] Checksum } */
export interface PaS4uX509User {
  userId: S4uUserId;
  checksum: Checksum;
  /** On decode: the received DER of user-id, which the checksum covers. */
  userIdRaw?: Buffer;
}

/** MS-SFU 2.2.1 / 2.2.2 padata types. */
export const PA_FOR_USER = 129;
export const PA_S4U_X509_USER = 130;

/** MS-SFU 2.2.2 S4UUserID options, as values of the 32-bit flags field. */
export const S4U_OPTION = {
  CHECK_LOGON_HOURS: 0x40000000,
  USE_REPLY_KEY_USAGE: 0x20000000,
  NT_AUTH_POLICY_NOT_REQUIRED: 0x10000000,
  UNCONDITIONAL_DELEGATION: 0x08000000,
} as const;

/** MS-SFU key usages: PA-FOR-USER (17), PA-S4U-X509-USER request (26) and reply (27). */
export const S4U_KEY_USAGE = {
  PA_FOR_USER: 17,
  PA_S4U_X509_USER_REQUEST: 26,
  PA_S4U_X509_USER_REPLY: 27,
} as const;

export const paForUserCodec: Codec<PaForUser> = struct<PaForUser>(
  {
    userName: req(0, principalNameCodec),
    userRealm: req(1, kerberosString),
    cksum: req(2, checksumCodec),
    authPackage: req(3, kerberosString),
  },
  'PA-FOR-USER',
);

export const s4uUserIdCodec: Codec<S4uUserId> = struct<S4uUserId>(
  {
    nonce: req(0, uint32),
    cname: opt(1, principalNameCodec),
    crealm: req(2, kerberosString),
    subjectCertificate: opt(3, octetString),
    options: opt(4, kerberosFlags),
  },
  'S4UUserID',
);

interface PaS4uX509UserWire {
  userId: WithRaw<S4uUserId>;
  checksum: Checksum;
}

const paS4uX509UserCodec: Codec<PaS4uX509UserWire> = struct<PaS4uX509UserWire>(
  {
    userId: req(0, withRaw(s4uUserIdCodec)),
    checksum: req(1, checksumCodec),
  },
  'PA-S4U-X509-USER',
);

export function encodePaForUser(v: PaForUser): Buffer {
  return encodeWith(paForUserCodec, v);
}
export function decodePaForUser(buf: Buffer): PaForUser {
  return decodeWith(paForUserCodec, buf, 'PA-FOR-USER');
}

/**
 * DER of an S4UUserID as MIT and Windows write it: the optional fields are left out when empty
 * (no name strings, no certificate, no options), so a peer re-encoding what it decoded gets the
 * bytes the checksum was made over.
 */
export function encodeS4uUserId(v: S4uUserId): Buffer {
  return encodeWith(s4uUserIdCodec, normalizeUserId(v));
}
export function decodeS4uUserId(buf: Buffer): S4uUserId {
  return decodeWith(s4uUserIdCodec, buf, 'S4UUserID');
}

function normalizeUserId(v: S4uUserId): S4uUserId {
  const out: S4uUserId = { nonce: v.nonce, crealm: v.crealm };
  if (v.cname && v.cname.nameString.length > 0) out.cname = v.cname;
  if (v.subjectCertificate && v.subjectCertificate.length > 0) out.subjectCertificate = v.subjectCertificate;
  if (v.options) out.options = v.options >>> 0;
  return out;
}

/** Encodes a PA-S4U-X509-USER; the checksum must have been made over encodeS4uUserId(userId). */
export function encodePaS4uX509User(v: PaS4uX509User): Buffer {
  return encodeWith(paS4uX509UserCodec, { userId: { value: normalizeUserId(v.userId) }, checksum: v.checksum });
}
export function decodePaS4uX509User(buf: Buffer): PaS4uX509User {
  const w = decodeWith(paS4uX509UserCodec, buf, 'PA-S4U-X509-USER');
  return { userId: w.userId.value, checksum: w.checksum, userIdRaw: w.userId.raw };
}

/**
 * MS-SFU 2.2.1 S4UByteArray: name-type as 4 bytes little endian, then every name string, the
 * realm and the auth-package, as UTF-8 without terminators.
 */
export function s4uByteArray(userName: PrincipalName, userRealm: string, authPackage: string): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32LE(userName.nameType | 0, 0);
  return Buffer.concat([head, ...userName.nameString.map((s) => Buffer.from(s, 'utf8')), Buffer.from(userRealm, 'utf8'), Buffer.from(authPackage, 'utf8')]);
}
