// Per-message tokens of an established Kerberos context.
//
// RFC 4121 4.2 ("CFX") for every enctype but rc4-hmac:
//   MIC  (4.2.6.1): 04 04 | Flags | FF*5 | SND_SEQ (8, BE) | checksum over (message | header)
//   Wrap (4.2.6.2): 05 04 | Flags | FF | EC (2) | RRC (2) | SND_SEQ (8) | data
//     conf:    data = rotate_right(E(message | EC filler octets | header with RRC 0), RRC)
//     no conf: data = rotate_right(message | checksum over (message | header with EC=RRC=0), RRC),
//              EC = the checksum's length
//   Flags (4.2.2): 0x01 SentByAcceptor, 0x02 Sealed, 0x04 AcceptorSubkey.
//   Key usages (2): acceptor seal 22 / sign 23, initiator seal 24 / sign 25 — Wrap tokens use
//   the seal usages with or without confidentiality, MIC tokens the sign usages (what MIT
//   and Windows do; 4.2.4 says "seal" for Wrap, "sign" for MIC).
//
// RFC 4757 7.2 / 7.3 (the RFC 1964 token layout with rc4-hmac) when the context key is rc4-hmac:
//   MIC  : [framing] 01 01 | 11 00 | FF FF FF FF | SND_SEQ (8, RC4-encrypted) | SGN_CKSUM (8)
//   Wrap : [framing] 02 01 | 11 00 | 10 00 or FF FF | FF FF | SND_SEQ | SGN_CKSUM | confounder (8) | data+pad
//
// DCE/RPC (MS-KILE 3.4.5.4.1, used by ./rpc.ts): dceMic / dceWrap / dceUnwrap protect one PDU with
// IOV-style buffers — the stub encrypted in place, the header and sec_trailer sign-only (./iov.ts)
// when header signing is on; Wrap tokens carry EC 16 and RRC 16 + HMAC length and the ciphertext
// is rotated by RRC + EC (Windows' DCE rotation, which MIT and impacket follow); RFC 4757 tokens
// have no padding and are framed. The ordinary wrap() keeps rotating by RRC alone.
//
// Sequence numbers: each side starts from the initial number it sent in the AP exchange
// (authenticator for the initiator, AP-REP for the acceptor, RFC 4121 4.2.3) and the receiver
// insists on the next expected one when replay or sequence detection was negotiated.

import { createHmac } from 'node:crypto';
import { random } from '../../crypto/random.js';
import { checksumProfile, checksumTypeForEnctype, enctypeProfile } from '../../crypto/registry.js';
import { rc4 } from '../../crypto/rc4.js';
import { CKSUMTYPE, ETYPE, KrbCryptoError, type Key } from '../../crypto/types.js';
import { SEC_E, SecurityError } from '../../security/types.js';
import { tokenError } from './errors.js';
import { decryptIov, encryptIov, iovSupported } from './iov.js';
import { decodeGssFraming, encodeGssFraming, KRB5_MECH_OID, TOK_ID, type KerberosMechOid } from './token.js';

/** RFC 4121 2: key usage numbers of per-message tokens. */
export const KG_USAGE = {
  ACCEPTOR_SEAL: 22,
  ACCEPTOR_SIGN: 23,
  INITIATOR_SEAL: 24,
  INITIATOR_SIGN: 25,
} as const;

/** RFC 4121 4.2.2 token flags. */
export const CFX_FLAG = {
  SENT_BY_ACCEPTOR: 0x01,
  SEALED: 0x02,
  ACCEPTOR_SUBKEY: 0x04,
} as const;

const CFX_HEADER = 16;
/** RFC 4757 7.2 / 7.3 token bodies without framing: MIC 24, Wrap (DCE, no data) 32. */
const RC4_MIC_BODY = 24;
const RC4_WRAP_BODY = 32;
const MASK64 = (1n << 64n) - 1n;

function altered(what: string): SecurityError {
  return new SecurityError(SEC_E.MESSAGE_ALTERED, what);
}

/** Rotates right by n (RFC 4121 4.2.5): the last n octets move to the front. */
export function rotateRight(b: Buffer, n: number): Buffer {
  if (b.length === 0) return Buffer.from(b);
  const r = n % b.length;
  if (r === 0) return Buffer.from(b);
  return Buffer.concat([b.subarray(b.length - r), b.subarray(0, b.length - r)]);
}

/** Undoes rotateRight: the first n octets move to the end. */
export function rotateLeft(b: Buffer, n: number): Buffer {
  if (b.length === 0) return Buffer.from(b);
  const r = n % b.length;
  if (r === 0) return Buffer.from(b);
  return Buffer.concat([b.subarray(r), b.subarray(0, r)]);
}

export interface ProtectionOptions {
  /** true on the acceptor's side of the context. */
  isAcceptor: boolean;
  /** The initiator's subkey, or the ticket session key when the authenticator had none. */
  initiatorKey: Key;
  /** The acceptor's subkey from the AP-REP (RFC 4121 2: it takes precedence once known). */
  acceptorKey?: Key;
  /** Our first sequence number, and the peer's. */
  sendSeq: bigint;
  recvSeq: bigint;
  /** Insist on the next expected sequence number (replay / sequence detection negotiated). */
  checkSequence: boolean;
  /** Framing OID for RFC 4757 tokens (the one the context was established with). */
  mech?: KerberosMechOid;
  /** MS-KILE 3.4.5.1: RFC 4757 tokens of a DCE-style context travel without framing. */
  dceStyle?: boolean;
}

export interface WrapOptions {
  /** RFC 4121 4.2.5 Right Rotation Count to write (default 0; any is accepted on input). */
  rrc?: number;
  /** RFC 4121 4.2.4 Extra Count (filler octets) for confidential Wrap tokens (default 0). */
  ec?: number;
}

/**
 * One DCE/RPC PDU as GSS_WrapEx / GSS_GetMIC see it with IOV buffers (MS-KILE 3.4.5.4.1,
 * MS-RPCE 3.3.1.5.2.2): `data` is the stub and its padding; `before` / `after` are the PDU header
 * and the sec_trailer, integrity-protected only when header signing was negotiated (empty
 * otherwise).
 */
export interface DceIovMessage {
  before: Buffer;
  data: Buffer;
  after: Buffer;
}

/**
 * RFC 4121 4.2.4 Extra Count we write in DCE-style sealed tokens. Windows announces a 76-octet
 * verifier for AES at PKT_PRIVACY (16 header + 16 filler + 16 confounder + 16 header copy + 12
 * HMAC), i.e. EC 16; receivers read EC from the token, so any value would be understood.
 */
export const DCE_EC = 16;

export interface Unwrapped {
  message: Buffer;
  /** Whether the token was encrypted (Sealed flag / SEAL_ALG RC4). */
  conf: boolean;
}

/**
 * The per-message state of one context: keys, direction, sequence numbers. Not safe for
 * interleaved use by several callers (sequence numbers are consumed in call order), just as
 * a GSS-API context handle is not.
 */
export class MessageProtection {
  private sendSeq: bigint;
  private recvSeq: bigint;
  private readonly o: ProtectionOptions;

  constructor(o: ProtectionOptions) {
    this.o = { ...o };
    this.sendSeq = o.sendSeq & MASK64;
    this.recvSeq = o.recvSeq & MASK64;
  }

  /** The key we send with: the acceptor subkey once there is one (RFC 4121 2). */
  get key(): Key {
    return this.o.acceptorKey ?? this.o.initiatorKey;
  }

  /** RFC 4757 tokens when the context key is rc4-hmac; RFC 4121 otherwise. */
  get rc4(): boolean {
    return this.key.etype === ETYPE.RC4_HMAC;
  }

  getMic(message: Buffer): Buffer {
    return protect(() => {
      if (!Buffer.isBuffer(message)) throw tokenError('message must be a buffer');
      return this.rc4 ? this.rc4Mic(message) : this.cfxMic(message);
    });
  }

  verifyMic(message: Buffer, token: Buffer): void {
    protect(() => {
      if (!Buffer.isBuffer(message) || !Buffer.isBuffer(token)) throw tokenError('message and token must be buffers');
      if (this.rc4) this.rc4VerifyMic(message, token);
      else this.cfxVerifyMic(message, token);
    });
  }

  wrap(message: Buffer, conf: boolean, opts: WrapOptions = {}): Buffer {
    return protect(() => {
      if (!Buffer.isBuffer(message)) throw tokenError('message must be a buffer');
      return this.rc4 ? this.rc4Wrap(message, conf) : this.cfxWrap(message, conf, opts);
    });
  }

  unwrap(token: Buffer): Unwrapped {
    return protect(() => {
      if (!Buffer.isBuffer(token)) throw tokenError('token must be a buffer');
      return this.rc4 ? this.rc4Unwrap(token) : this.cfxUnwrap(token);
    });
  }

  // ---- DCE RPC (MS-KILE 3.4.5.4.1) -------------------------------------------------------

  /** The size of dceMic's token: RFC 4121 header + checksum, or a framed RFC 4757 MIC (37). */
  dceMicLength(): number {
    if (this.rc4) return encodeGssFraming(Buffer.alloc(RC4_MIC_BODY), this.o.mech ?? KRB5_MECH_OID).length;
    return CFX_HEADER + checksumProfile(checksumTypeForEnctype(this.key.etype)).size;
  }

  /**
   * The size of dceWrap's token: RFC 4121 header + confounder + EC + encrypted header copy +
   * HMAC (76 for AES-SHA1), or a framed RFC 4757 Wrap token without padding (45).
   */
  dceWrapLength(): number {
    if (this.rc4) return encodeGssFraming(Buffer.alloc(RC4_WRAP_BODY), this.o.mech ?? KRB5_MECH_OID).length;
    return CFX_HEADER + 16 + DCE_EC + CFX_HEADER + checksumProfile(checksumTypeForEnctype(this.key.etype)).size;
  }

  /**
   * GSS_GetMIC over an RPC PDU region. RFC 4757 tokens are framed here even in DCE style: the
   * 37-octet verifier is what Windows and impacket put in the auth value.
   */
  dceMic(message: Buffer): Buffer {
    return protect(() => (this.rc4 ? this.rc4Mic(message, true) : this.cfxMic(message)));
  }

  dceVerifyMic(message: Buffer, token: Buffer): void {
    this.verifyMic(message, token);
  }

  /**
   * GSS_WrapEx with conf_req_flag in DCE style: `data` is encrypted in place (same length), the
   * returned token carries the rest. RFC 4121: RRC = 16 + HMAC length (28 for AES-SHA1, what
   * Windows sends, so that the whole trailer sits in the token) and — Windows' DCE quirk that
   * impacket and MIT follow — the ciphertext is rotated by RRC + EC, not RRC.
   */
  dceWrap(m: DceIovMessage): { data: Buffer; token: Buffer } {
    return protect(() => (this.rc4 ? this.rc4WrapDce(m) : this.cfxWrapDce(m)));
  }

  /** The inverse of dceWrap; returns the decrypted data (same length as m.data). */
  dceUnwrap(m: DceIovMessage, token: Buffer): Buffer {
    return protect(() => (this.rc4 ? this.rc4UnwrapDce(m, token) : this.cfxUnwrapDce(m, token)));
  }

  private cfxWrapDce(m: DceIovMessage): { data: Buffer; token: Buffer } {
    const key = this.key;
    const signOnly = m.before.length > 0 || m.after.length > 0;
    if (signOnly && !iovSupported(key)) throw new SecurityError(SEC_E.UNSUPPORTED_FUNCTION, 'header signing is not supported with this enctype');
    const seq = this.nextSend();
    const flags = this.sendFlags() | CFX_FLAG.SEALED;
    const ec = DCE_EC;
    const rrc = CFX_HEADER + checksumProfile(checksumTypeForEnctype(key.etype)).size;
    const tail = Buffer.concat([Buffer.alloc(ec), this.cfxHeader(TOK_ID.CFX_WRAP, flags, ec, 0, seq)]);
    const usage = this.usage(true, true);
    const cipher = signOnly
      ? encryptIov(key, usage, { before: m.before, data: m.data, after: m.after, tail })
      : enctypeProfile(key.etype).encrypt(key.value, usage, Buffer.concat([m.data, tail]));
    const rotated = rotateRight(cipher, rrc + ec);
    const split = rotated.length - m.data.length;
    return {
      data: Buffer.from(rotated.subarray(split)),
      token: Buffer.concat([this.cfxHeader(TOK_ID.CFX_WRAP, flags, ec, rrc, seq), rotated.subarray(0, split)]),
    };
  }

  private cfxUnwrapDce(m: DceIovMessage, token: Buffer): Buffer {
    if (token.length < CFX_HEADER) throw tokenError('Wrap token too short');
    if (token.readUInt16BE(0) !== TOK_ID.CFX_WRAP) throw tokenError('not an RFC 4121 Wrap token');
    if (token[3] !== 0xff) throw tokenError('Wrap token filler is not FF');
    const flags = token[2];
    if ((flags & CFX_FLAG.SEALED) === 0) throw altered('DCE Wrap token is not sealed');
    const key = this.receiveKey(flags);
    const ec = token.readUInt16BE(4);
    const rrc = token.readUInt16BE(6);
    const seq = token.readBigUInt64BE(8);
    const signOnly = m.before.length > 0 || m.after.length > 0;
    if (signOnly && !iovSupported(key)) throw new SecurityError(SEC_E.UNSUPPORTED_FUNCTION, 'header signing is not supported with this enctype');
    const usage = this.usage(false, true);
    const rotated = Buffer.concat([token.subarray(CFX_HEADER), m.data]);
    // Windows (and impacket) rotate by RRC + EC; a peer following RFC 4121 to the letter
    // rotates by RRC. The AEAD check tells which, so both are tried (no state changes before).
    const tryRotation = (r: number): Buffer | undefined => {
      const cipher = rotateLeft(rotated, r);
      try {
        return signOnly
          ? decryptIov(key, usage, cipher, m.before, m.after, m.data.length)
          : enctypeProfile(key.etype).decrypt(key.value, usage, cipher);
      } catch (e) {
        if (e instanceof KrbCryptoError) return undefined;
        throw e;
      }
    };
    const plain = tryRotation(rrc + ec) ?? (ec !== 0 ? tryRotation(rrc) : undefined);
    if (!plain) throw altered('Wrap token does not decrypt (integrity check failed)');
    if (plain.length !== m.data.length + ec + CFX_HEADER) throw altered('DCE Wrap token lengths do not add up');
    const copy = plain.subarray(plain.length - CFX_HEADER);
    const expect = Buffer.from(token.subarray(0, CFX_HEADER));
    expect.writeUInt16BE(0, 6);
    if (!copy.equals(expect)) throw altered('Wrap token header does not match its encrypted copy');
    this.acceptSeq(seq);
    return Buffer.from(plain.subarray(0, m.data.length));
  }

  // ---- sequence numbers --------------------------------------------------------------

  private nextSend(): bigint {
    const s = this.sendSeq;
    this.sendSeq = (this.sendSeq + 1n) & (this.rc4 ? 0xffffffffn : MASK64);
    return s;
  }

  /** Called only after the token's integrity is established, so a forgery cannot move it. */
  private acceptSeq(seq: bigint): void {
    if (this.o.checkSequence && seq !== this.recvSeq) {
      throw new SecurityError(SEC_E.OUT_OF_SEQUENCE, `token sequence number ${seq} out of sequence (expected ${this.recvSeq})`);
    }
    this.recvSeq = (seq + 1n) & (this.rc4 ? 0xffffffffn : MASK64);
  }

  // ---- RFC 4121 ----------------------------------------------------------------------

  private usage(sending: boolean, seal: boolean): number {
    const acceptorSends = sending === this.o.isAcceptor;
    if (acceptorSends) return seal ? KG_USAGE.ACCEPTOR_SEAL : KG_USAGE.ACCEPTOR_SIGN;
    return seal ? KG_USAGE.INITIATOR_SEAL : KG_USAGE.INITIATOR_SIGN;
  }

  private sendFlags(): number {
    let f = 0;
    if (this.o.isAcceptor) f |= CFX_FLAG.SENT_BY_ACCEPTOR;
    if (this.o.acceptorKey) f |= CFX_FLAG.ACCEPTOR_SUBKEY;
    return f;
  }

  /** The key a received token names (4.2.2 AcceptorSubkey), after the direction check. */
  private receiveKey(flags: number): Key {
    const fromAcceptor = (flags & CFX_FLAG.SENT_BY_ACCEPTOR) !== 0;
    // A token carrying our own direction is a reflection of one of ours (4.2.2).
    if (fromAcceptor === this.o.isAcceptor) throw altered('token direction flag does not match the peer (reflected token?)');
    if ((flags & CFX_FLAG.ACCEPTOR_SUBKEY) !== 0) {
      if (!this.o.acceptorKey) throw altered('token claims an acceptor subkey the context does not have');
      return this.o.acceptorKey;
    }
    return this.o.initiatorKey;
  }

  private cfxHeader(tokId: number, flags: number, ec: number, rrc: number, seq: bigint): Buffer {
    const h = Buffer.alloc(CFX_HEADER, 0xff);
    h.writeUInt16BE(tokId, 0);
    h[2] = flags;
    if (tokId === TOK_ID.CFX_WRAP) {
      h.writeUInt16BE(ec, 4);
      h.writeUInt16BE(rrc, 6);
    }
    h.writeBigUInt64BE(seq, 8);
    return h;
  }

  private checksum(key: Key, usage: number, data: Buffer): Buffer {
    return checksumProfile(checksumTypeForEnctype(key.etype)).make(key.value, usage, data);
  }

  private cfxMic(message: Buffer): Buffer {
    const header = this.cfxHeader(TOK_ID.CFX_MIC, this.sendFlags(), 0, 0, this.nextSend());
    const cksum = this.checksum(this.key, this.usage(true, false), Buffer.concat([message, header]));
    return Buffer.concat([header, cksum]);
  }

  private cfxVerifyMic(message: Buffer, token: Buffer): void {
    if (token.length < CFX_HEADER) throw tokenError('MIC token too short');
    if (token.readUInt16BE(0) !== TOK_ID.CFX_MIC) throw tokenError('not an RFC 4121 MIC token');
    for (let i = 3; i < 8; i++) if (token[i] !== 0xff) throw tokenError('MIC token filler is not FF');
    const flags = token[2];
    if ((flags & CFX_FLAG.SEALED) !== 0) throw tokenError('MIC token has the Sealed flag');
    const key = this.receiveKey(flags);
    const header = token.subarray(0, CFX_HEADER);
    const profile = checksumProfile(checksumTypeForEnctype(key.etype));
    const cksum = token.subarray(CFX_HEADER);
    if (cksum.length !== profile.size) throw altered('MIC checksum has the wrong length');
    const ok = cryptoOk(() => profile.verify(key.value, this.usage(false, false), Buffer.concat([message, header]), cksum));
    if (!ok) throw altered('MIC token checksum is wrong');
    this.acceptSeq(token.readBigUInt64BE(8));
  }

  private cfxWrap(message: Buffer, conf: boolean, opts: WrapOptions): Buffer {
    const rrc = opts.rrc ?? 0;
    if (!Number.isInteger(rrc) || rrc < 0 || rrc > 0xffff) throw tokenError('RRC must be 0..65535');
    const key = this.key;
    const seq = this.nextSend();
    let flags = this.sendFlags();
    if (conf) {
      const ec = opts.ec ?? 0;
      if (!Number.isInteger(ec) || ec < 0 || ec > 0xffff) throw tokenError('EC must be 0..65535');
      flags |= CFX_FLAG.SEALED;
      // 4.2.4: the encrypted copy of the header has RRC 0 and the real EC.
      const inner = this.cfxHeader(TOK_ID.CFX_WRAP, flags, ec, 0, seq);
      const cipher = enctypeProfile(key.etype).encrypt(key.value, this.usage(true, true), Buffer.concat([message, Buffer.alloc(ec), inner]));
      return Buffer.concat([this.cfxHeader(TOK_ID.CFX_WRAP, flags, ec, rrc, seq), rotateRight(cipher, rrc)]);
    }
    // 4.2.4: without confidentiality the checksum covers the header with EC and RRC zero;
    // EC then carries the checksum length.
    const zeroHeader = this.cfxHeader(TOK_ID.CFX_WRAP, flags, 0, 0, seq);
    const cksum = this.checksum(key, this.usage(true, true), Buffer.concat([message, zeroHeader]));
    const header = this.cfxHeader(TOK_ID.CFX_WRAP, flags, cksum.length, rrc, seq);
    return Buffer.concat([header, rotateRight(Buffer.concat([message, cksum]), rrc)]);
  }

  private cfxUnwrap(token: Buffer): Unwrapped {
    if (token.length < CFX_HEADER) throw tokenError('Wrap token too short');
    if (token.readUInt16BE(0) !== TOK_ID.CFX_WRAP) throw tokenError('not an RFC 4121 Wrap token');
    if (token[3] !== 0xff) throw tokenError('Wrap token filler is not FF');
    const flags = token[2];
    const key = this.receiveKey(flags);
    const ec = token.readUInt16BE(4);
    const rrc = token.readUInt16BE(6);
    const seq = token.readBigUInt64BE(8);
    const data = rotateLeft(token.subarray(CFX_HEADER), rrc);
    const usage = this.usage(false, true);
    if ((flags & CFX_FLAG.SEALED) !== 0) {
      let plain: Buffer;
      try {
        plain = enctypeProfile(key.etype).decrypt(key.value, usage, data);
      } catch (e) {
        if (e instanceof KrbCryptoError) throw altered('Wrap token does not decrypt (integrity check failed)');
        throw e;
      }
      if (plain.length < CFX_HEADER + ec) throw altered('decrypted Wrap token too short for its EC');
      // 4.2.4: the encrypted header copy must match the one in the clear (RRC aside).
      const copy = plain.subarray(plain.length - CFX_HEADER);
      const expect = Buffer.from(token.subarray(0, CFX_HEADER));
      expect.writeUInt16BE(0, 6);
      if (!copy.equals(expect)) throw altered('Wrap token header does not match its encrypted copy');
      const message = Buffer.from(plain.subarray(0, plain.length - CFX_HEADER - ec));
      this.acceptSeq(seq);
      return { message, conf: true };
    }
    const profile = checksumProfile(checksumTypeForEnctype(key.etype));
    if (ec !== profile.size) throw altered(`Wrap token EC ${ec} is not the checksum length ${profile.size}`);
    if (data.length < ec) throw tokenError('Wrap token shorter than its checksum');
    const message = Buffer.from(data.subarray(0, data.length - ec));
    const cksum = data.subarray(data.length - ec);
    const zeroHeader = Buffer.from(token.subarray(0, CFX_HEADER));
    zeroHeader.writeUInt16BE(0, 4);
    zeroHeader.writeUInt16BE(0, 6);
    const ok = cryptoOk(() => profile.verify(key.value, usage, Buffer.concat([message, zeroHeader]), cksum));
    if (!ok) throw altered('Wrap token checksum is wrong');
    this.acceptSeq(seq);
    return { message, conf: false };
  }

  // ---- RFC 4757 (rc4-hmac) -----------------------------------------------------------

  private frame(body: Buffer): Buffer {
    return this.o.dceStyle ? body : encodeGssFraming(body, this.o.mech ?? KRB5_MECH_OID);
  }

  /** Accepts the framed form, and the bare one (DCE style, MS-KILE 3.4.5.1). */
  private unframe(token: Buffer): Buffer {
    if (token.length > 0 && token[0] === 0x60) return decodeGssFraming(token).body;
    return token;
  }

  /** RFC 4757 7.2: SND_SEQ = seq (4, BE — as Windows sends it) | direction (4): 00s from the initiator, FFs from the acceptor. */
  private rc4SeqPlain(seq: bigint, fromAcceptor: boolean): Buffer {
    const b = Buffer.alloc(8, fromAcceptor ? 0xff : 0x00);
    b.writeUInt32BE(Number(seq & 0xffffffffn), 0);
    return b;
  }

  /** RFC 4757 7.2: Kseq = HMAC(HMAC(K, (int32)0), SGN_CKSUM); the sequence is RC4-encrypted with it. */
  private rc4SeqKey(key: Key, cksum8: Buffer): Buffer {
    return hmacMd5(hmacMd5(key.value, le32(0)), cksum8);
  }

  /** SGN_CKSUM = first 8 octets of HMAC-MD5(Ksign, MD5(T | header | data)) — the hmac-md5 checksum with usage T. */
  private rc4Cksum(key: Key, t: number, data: Buffer): Buffer {
    return checksumProfile(CKSUMTYPE.HMAC_MD5).make(key.value, t, data).subarray(0, 8);
  }

  private rc4Mic(message: Buffer, framed = false): Buffer {
    const key = this.key;
    const header = Buffer.from([0x01, 0x01, 0x11, 0x00, 0xff, 0xff, 0xff, 0xff]);
    // RFC 4757 7.2: T = 15 for MIC tokens.
    const cksum = this.rc4Cksum(key, 15, Buffer.concat([header, message]));
    const seq = rc4(this.rc4SeqKey(key, cksum), this.rc4SeqPlain(this.nextSend(), this.o.isAcceptor));
    const body = Buffer.concat([header, seq, cksum]);
    return framed ? encodeGssFraming(body, this.o.mech ?? KRB5_MECH_OID) : this.frame(body);
  }

  private rc4VerifyMic(message: Buffer, token: Buffer): void {
    const body = this.unframe(token);
    if (body.length < 24) throw tokenError('RC4 MIC token too short');
    if (body.readUInt16BE(0) !== TOK_ID.RC4_MIC) throw tokenError('not an RFC 4757 MIC token');
    if (body.readUInt16BE(2) !== 0x1100 || body.readUInt32BE(4) !== 0xffffffff) throw tokenError('RC4 MIC token: unsupported SGN_ALG or bad filler');
    const key = this.key;
    const cksum = body.subarray(16, 24);
    const expect = this.rc4Cksum(key, 15, Buffer.concat([body.subarray(0, 8), message]));
    if (!timingSafeEq(expect, cksum)) throw altered('RC4 MIC checksum is wrong');
    const seq = this.rc4OpenSeq(key, body.subarray(8, 16), cksum);
    this.acceptSeq(seq);
  }

  /** Decrypts SND_SEQ and checks its direction octets name the peer. */
  private rc4OpenSeq(key: Key, encSeq: Buffer, cksum: Buffer): bigint {
    const plain = rc4(this.rc4SeqKey(key, cksum), encSeq);
    const want = this.o.isAcceptor ? 0x00 : 0xff;
    for (let i = 4; i < 8; i++) if (plain[i] !== want) throw altered('RC4 token direction does not match the peer (reflected token?)');
    return BigInt(plain.readUInt32BE(0));
  }

  private rc4Wrap(message: Buffer, conf: boolean): Buffer {
    const key = this.key;
    const header = Buffer.from([0x02, 0x01, 0x11, 0x00, conf ? 0x10 : 0xff, conf ? 0x00 : 0xff, 0xff, 0xff]);
    const confounder = random(8);
    // RFC 4757 7.3 / RFC 1964 1.2.2.3 padding with RC4's block size of 1: one octet of 0x01.
    const padded = Buffer.concat([message, Buffer.from([0x01])]);
    const seqNo = this.nextSend();
    // RFC 4757 7.3: T = 13 for Wrap tokens.
    const cksum = this.rc4Cksum(key, 13, Buffer.concat([header, confounder, padded]));
    const seq = rc4(this.rc4SeqKey(key, cksum), this.rc4SeqPlain(seqNo, this.o.isAcceptor));
    let tail: Buffer = Buffer.concat([confounder, padded]);
    if (conf) tail = rc4(this.rc4DataKey(key, seqNo), tail);
    return this.frame(Buffer.concat([header, seq, cksum, tail]));
  }

  /** RFC 4757 7.3: Klocal = K XOR F0..; Kcrypt = HMAC(HMAC(Klocal, (int32)0), seq as 4 octets BE). */
  private rc4DataKey(key: Key, seq: bigint): Buffer {
    const klocal = Buffer.from(key.value.map((b) => b ^ 0xf0));
    const s = Buffer.alloc(4);
    s.writeUInt32BE(Number(seq & 0xffffffffn));
    return hmacMd5(hmacMd5(klocal, le32(0)), s);
  }

  /**
   * RFC 4757 7.3 in DCE style (MS-KILE 3.4.5.4.1): no padding (the RPC stub is already padded),
   * the checksum over header | confounder | the buffers in order (sign-only ones included), and
   * the confounder and data encrypted with one RC4 stream. Framed (45 octets), as Windows sends it.
   */
  private rc4WrapDce(m: DceIovMessage): { data: Buffer; token: Buffer } {
    const key = this.key;
    const header = Buffer.from([0x02, 0x01, 0x11, 0x00, 0x10, 0x00, 0xff, 0xff]);
    const confounder = random(8);
    const seqNo = this.nextSend();
    const cksum = this.rc4Cksum(key, 13, Buffer.concat([header, confounder, m.before, m.data, m.after]));
    const seq = rc4(this.rc4SeqKey(key, cksum), this.rc4SeqPlain(seqNo, this.o.isAcceptor));
    const enc = rc4(this.rc4DataKey(key, seqNo), Buffer.concat([confounder, m.data]));
    const body = Buffer.concat([header, seq, cksum, enc.subarray(0, 8)]);
    return { data: Buffer.from(enc.subarray(8)), token: encodeGssFraming(body, this.o.mech ?? KRB5_MECH_OID) };
  }

  private rc4UnwrapDce(m: DceIovMessage, token: Buffer): Buffer {
    const body = this.unframe(token);
    if (body.length !== RC4_WRAP_BODY) throw tokenError('RC4 DCE Wrap token has the wrong length');
    if (body.readUInt16BE(0) !== TOK_ID.RC4_WRAP) throw tokenError('not an RFC 4757 Wrap token');
    if (body.readUInt16BE(2) !== 0x1100 || body.readUInt16BE(4) !== 0x1000 || body.readUInt16BE(6) !== 0xffff) {
      throw tokenError('RC4 DCE Wrap token: unsupported SGN_ALG / SEAL_ALG or bad filler');
    }
    const key = this.key;
    const cksum = body.subarray(16, 24);
    const seqNo = this.rc4OpenSeq(key, body.subarray(8, 16), cksum);
    const plain = rc4(this.rc4DataKey(key, seqNo), Buffer.concat([body.subarray(24, 32), m.data]));
    const expect = this.rc4Cksum(key, 13, Buffer.concat([body.subarray(0, 8), plain.subarray(0, 8), m.before, plain.subarray(8), m.after]));
    if (!timingSafeEq(expect, cksum)) throw altered('RC4 Wrap token checksum is wrong');
    this.acceptSeq(seqNo);
    return Buffer.from(plain.subarray(8));
  }

  private rc4Unwrap(token: Buffer): Unwrapped {
    const body = this.unframe(token);
    if (body.length < 32 + 1) throw tokenError('RC4 Wrap token too short');
    if (body.readUInt16BE(0) !== TOK_ID.RC4_WRAP) throw tokenError('not an RFC 4757 Wrap token');
    if (body.readUInt16BE(2) !== 0x1100 || body.readUInt16BE(6) !== 0xffff) throw tokenError('RC4 Wrap token: unsupported SGN_ALG or bad filler');
    const sealAlg = body.readUInt16BE(4);
    if (sealAlg !== 0x1000 && sealAlg !== 0xffff) throw tokenError('RC4 Wrap token: unsupported SEAL_ALG');
    const conf = sealAlg === 0x1000;
    const key = this.key;
    const cksum = body.subarray(16, 24);
    const seqNo = this.rc4OpenSeq(key, body.subarray(8, 16), cksum);
    let tail: Buffer = body.subarray(24);
    if (conf) tail = rc4(this.rc4DataKey(key, seqNo), tail);
    const expect = this.rc4Cksum(key, 13, Buffer.concat([body.subarray(0, 8), tail]));
    if (!timingSafeEq(expect, cksum)) throw altered('RC4 Wrap token checksum is wrong');
    const padded = tail.subarray(8);
    const pad = padded[padded.length - 1];
    if (pad < 1 || pad > 8 || pad > padded.length) throw altered('RC4 Wrap token has bad padding');
    for (let i = padded.length - pad; i < padded.length; i++) if (padded[i] !== pad) throw altered('RC4 Wrap token has bad padding');
    this.acceptSeq(seqNo);
    return { message: Buffer.from(padded.subarray(0, padded.length - pad)), conf };
  }
}

function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function hmacMd5(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('md5', key).update(data).digest();
}

function timingSafeEq(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** Only SecurityError leaves the per-message functions (the SecurityContext contract). */
function protect<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SecurityError) throw e;
    if (e instanceof KrbCryptoError) throw altered(`token failed a cryptographic check: ${e.message}`);
    throw new SecurityError(SEC_E.INTERNAL_ERROR, `Kerberos per-message token: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A checksum verify that failed inside the crypto layer is a bad token, not a crash. */
function cryptoOk(fn: () => boolean): boolean {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KrbCryptoError) return false;
    throw e;
  }
}
