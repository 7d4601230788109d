// The Netlogon security support provider ("secure channel", RPC_C_AUTHN_NETLOGON = 68,
// MS-NRPC 3.3): protects DCE/RPC PDUs with the session key of an established Netlogon secure
// channel (src/netlogon/client.ts on the member, SecureChannelStore on the DC). This is what
// NetrLogonSamLogonEx requires (3.5.4.5.1: no authenticator, so the bind itself must prove the
// channel) and how Windows members call Netlogon when "secure RPC" is required.
//
// Context establishment (3.3.4.1): one leg each way.
//   initiator → NL_AUTH_MESSAGE (2.2.1.3.1) MessageType 0 (negotiate request) with Flags
//               NetBIOS domain name | NetBIOS computer name, both OEM, NUL-terminated, in flag
//               order;
//   acceptor  → NL_AUTH_MESSAGE MessageType 1 (negotiate response), Flags 0, four zero bytes;
//               the acceptor has found the computer's established channel (by name) and uses
//               its session key. No channel: the bind is refused.
//
// Per-message protection with AES negotiated (3.3.4.2.1 / 3.3.4.2.2, NL_AUTH_SHA2_SIGNATURE
// 2.2.1.3.3): a 56-octet verifier laid out as
//   [0..8)   SignatureAlgorithm 0x0013 (HMAC-SHA256), SealAlgorithm 0x001A (AES-128) or 0xFFFF,
//            Pad 0xFFFF, Flags 0
//   [8..16)  SequenceNumber, AES-CFB8 encrypted under the session key with IV = Checksum||Checksum
//   [16..24) Checksum: the first 8 octets of HMAC-SHA256(SessionKey, header || [confounder] ||
//            data) — Windows uses 8 octets here although the structure has room for 32, and
//            peers must match it
//   [24..32) Confounder (sealed only), encrypted like the data
//   [32..56) zero
// Sealing: AES-CFB8 with key SessionKey XOR 0xF0 and IV = SequenceNumber||SequenceNumber (the
// plaintext sequence number); the confounder and the data are each encrypted from that same
// initial IV (Windows behaviour). "data" is the whole PDU up to the verifier when header signing
// was negotiated, otherwise the stub and its padding.
// The sequence number is one 64-bit counter per context advanced for every protected PDU in
// either direction (requests and responses alternate), sent big-endian with the top bit set
// when the sender is the initiator (3.3.4.2.1 step 2).

import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SecurityError, SEC_E, NO_FLAGS, type ContextFlags, type LogonToken, type SecurityContext, type Step } from '../security/types.js';
import type { RpcPduParts, RpcProtection } from '../rpc/protection.js';
import type { SecureChannelStore } from './secure-channel.js';

/** 2.2.1.3.1 NL_AUTH_MESSAGE MessageType / Flags. */
const NL_NEGOTIATE_REQUEST = 0;
const NL_NEGOTIATE_RESPONSE = 1;
const NL_FLAG_OEM_NETBIOS_DOMAIN_NAME = 0x1;
const NL_FLAG_OEM_NETBIOS_COMPUTER_NAME = 0x2;
const NL_FLAG_UTF8_DNS_DOMAIN_NAME = 0x4;
const NL_FLAG_UTF8_DNS_HOST_NAME = 0x8;
const NL_FLAG_UTF8_NETBIOS_COMPUTER_NAME = 0x10;

/** 2.2.1.3.3 NL_AUTH_SHA2_SIGNATURE algorithm identifiers. */
const NL_SIGN_HMAC_SHA256 = 0x0013;
const NL_SEAL_AES128 = 0x001a;
const NL_SEAL_NONE = 0xffff;

/** The verifier size with AES (what Windows and Samba send at either level). */
export const NL_AUTH_SHA2_SIGNATURE_SIZE = 56;
const CHECKSUM_LENGTH = 8;

const FLAGS: ContextFlags = Object.freeze({ ...NO_FLAGS, integrity: true, confidentiality: true, replayDetect: true, sequenceDetect: true });

function cfb8(key: Buffer, iv: Buffer, data: Buffer, decrypt: boolean): Buffer {
  const c = decrypt ? createDecipheriv('aes-128-cfb8', key, iv) : createCipheriv('aes-128-cfb8', key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

function doubled(b8: Buffer): Buffer {
  return Buffer.concat([b8, b8]);
}

/** Encodes an NL_AUTH_MESSAGE negotiate request (2.2.1.3.1). */
export function encodeNlAuthNegotiate(domainName: string, computerName: string): Buffer {
  const oem = (s: string) => Buffer.concat([Buffer.from(s.toUpperCase(), 'latin1'), Buffer.alloc(1)]);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(NL_NEGOTIATE_REQUEST, 0);
  head.writeUInt32LE(NL_FLAG_OEM_NETBIOS_DOMAIN_NAME | NL_FLAG_OEM_NETBIOS_COMPUTER_NAME, 4);
  return Buffer.concat([head, oem(domainName), oem(computerName)]);
}

/** Decodes a negotiate request: the names it carries (the OEM and UTF-8 NetBIOS computer name forms). */
export function decodeNlAuthNegotiate(b: Buffer): { domainName?: string; computerName?: string } {
  if (b.length < 8 || b.readUInt32LE(0) !== NL_NEGOTIATE_REQUEST) throw new SecurityError(SEC_E.INVALID_TOKEN, 'not an NL_AUTH_MESSAGE negotiate request');
  const flags = b.readUInt32LE(4);
  let off = 8;
  const oem = (): string => {
    const end = b.indexOf(0, off);
    if (end < 0 || end - off > 255) throw new SecurityError(SEC_E.INVALID_TOKEN, 'malformed NL_AUTH_MESSAGE name');
    const s = b.subarray(off, end).toString('latin1');
    off = end + 1;
    return s;
  };
  // RFC 1035 compressed names (2.2.1.3.1): length-prefixed labels, no pointers expected here.
  const utf8 = (): string => {
    const labels: string[] = [];
    for (let guard = 0; guard < 128; guard++) {
      if (off >= b.length) throw new SecurityError(SEC_E.INVALID_TOKEN, 'malformed NL_AUTH_MESSAGE DNS name');
      const n = b[off++];
      if (n === 0) return labels.join('.');
      if (n > 63 || off + n > b.length) throw new SecurityError(SEC_E.INVALID_TOKEN, 'malformed NL_AUTH_MESSAGE DNS name');
      labels.push(b.subarray(off, off + n).toString('utf8'));
      off += n;
    }
    throw new SecurityError(SEC_E.INVALID_TOKEN, 'malformed NL_AUTH_MESSAGE DNS name');
  };
  const r: { domainName?: string; computerName?: string } = {};
  if (flags & NL_FLAG_OEM_NETBIOS_DOMAIN_NAME) r.domainName = oem();
  if (flags & NL_FLAG_OEM_NETBIOS_COMPUTER_NAME) r.computerName = oem();
  if (flags & NL_FLAG_UTF8_DNS_DOMAIN_NAME) utf8();
  if (flags & NL_FLAG_UTF8_DNS_HOST_NAME) utf8();
  if (flags & NL_FLAG_UTF8_NETBIOS_COMPUTER_NAME) r.computerName ??= utf8();
  return r;
}

/** The shared per-PDU machinery of both roles. */
abstract class NetlogonSspBase implements SecurityContext, RpcProtection {
  readonly mechanism = 'Netlogon' as const;
  abstract readonly role: 'initiator' | 'acceptor';
  readonly flags = FLAGS;
  protected key: Buffer | undefined;
  private seq = 0n;
  protected established = false;

  abstract step(input?: Buffer): Promise<Step>;

  get done(): boolean {
    return this.established;
  }

  get sessionKey(): Buffer | undefined {
    return this.key;
  }

  private sessionKeyOrThrow(): Buffer {
    if (!this.key || !this.established) throw new SecurityError(SEC_E.INVALID_HANDLE, 'the Netlogon security context is not established');
    return this.key;
  }

  /** 3.3.4.2.1 step 2: the sequence number as sent by `initiatorSent`'s side. */
  private seqBytes(initiatorSent: boolean): Buffer {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(Number(this.seq & 0xffffffffn), 0);
    b.writeUInt32BE((Number((this.seq >> 32n) & 0x7fffffffn) | (initiatorSent ? 0x80000000 : 0)) >>> 0, 4);
    return b;
  }

  private checksum(key: Buffer, header: Buffer, confounder: Buffer | undefined, data: Buffer[]): Buffer {
    const h = createHmac('sha256', key).update(header);
    if (confounder) h.update(confounder);
    for (const d of data) h.update(d);
    return h.digest().subarray(0, CHECKSUM_LENGTH);
  }

  private header(sealed: boolean): Buffer {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(NL_SIGN_HMAC_SHA256, 0);
    h.writeUInt16LE(sealed ? NL_SEAL_AES128 : NL_SEAL_NONE, 2);
    h.writeUInt16LE(0xffff, 4);
    h.writeUInt16LE(0, 6);
    return h;
  }

  private sealKey(key: Buffer): Buffer {
    const k = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) k[i] = key[i] ^ 0xf0;
    return k;
  }

  /** 3.3.4.2.1: builds the verifier for `data` (encrypting `toSeal` in place when sealing). */
  protected outgoing(data: Buffer[], toSeal: Buffer | undefined): Buffer {
    const key = this.sessionKeyOrThrow();
    const sealed = toSeal !== undefined;
    const seq = this.seqBytes(this.role === 'initiator');
    const header = this.header(sealed);
    const confounder = sealed ? randomBytes(8) : undefined;
    const checksum = this.checksum(key, header, confounder, data);
    const sig = Buffer.alloc(NL_AUTH_SHA2_SIGNATURE_SIZE);
    header.copy(sig, 0);
    checksum.copy(sig, 16);
    if (sealed && confounder) {
      const sk = this.sealKey(key);
      const iv = doubled(seq);
      cfb8(sk, iv, confounder, false).copy(sig, 24);
      cfb8(sk, iv, toSeal, false).copy(toSeal);
    }
    cfb8(key, doubled(checksum), seq, false).copy(sig, 8);
    this.seq++;
    return sig;
  }

  /** 3.3.4.2.2: checks a verifier (decrypting `toUnseal` in place first when sealed). */
  protected incoming(data: () => Buffer[], toUnseal: Buffer | undefined, sig: Buffer): void {
    const key = this.sessionKeyOrThrow();
    const sealed = toUnseal !== undefined;
    if (sig.length < (sealed ? 32 : 24)) throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'Netlogon verifier too short');
    const header = this.header(sealed);
    if (!sig.subarray(0, 8).equals(header)) throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'unexpected Netlogon signature algorithms');
    const seq = this.seqBytes(this.role !== 'initiator');
    let confounder: Buffer | undefined;
    if (sealed) {
      const sk = this.sealKey(key);
      const iv = doubled(seq);
      confounder = cfb8(sk, iv, sig.subarray(24, 32), true);
      cfb8(sk, iv, toUnseal, true).copy(toUnseal);
    }
    const checksum = this.checksum(key, header, confounder, data());
    if (!timingSafeEqual(checksum, sig.subarray(16, 24))) throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'Netlogon signature mismatch');
    const wireSeq = cfb8(key, doubled(checksum), sig.subarray(8, 16), true);
    if (!timingSafeEqual(wireSeq, seq)) throw new SecurityError(SEC_E.OUT_OF_SEQUENCE, 'Netlogon sequence number mismatch');
    this.seq++;
  }

  // -- SecurityContext (whole messages: the data is the message itself) --

  sign(message: Buffer): Buffer {
    return this.outgoing([message], undefined);
  }
  verify(message: Buffer, signature: Buffer): void {
    this.incoming(() => [message], undefined, signature);
  }
  seal(message: Buffer): Buffer {
    const copy = Buffer.from(message);
    const sig = this.outgoing([message], copy);
    return Buffer.concat([sig, copy]);
  }
  unseal(token: Buffer): Buffer {
    if (token.length < NL_AUTH_SHA2_SIGNATURE_SIZE) throw new SecurityError(SEC_E.INVALID_TOKEN, 'sealed Netlogon message too short');
    const body = Buffer.from(token.subarray(NL_AUTH_SHA2_SIGNATURE_SIZE));
    this.incoming(() => [body], body, token.subarray(0, NL_AUTH_SHA2_SIGNATURE_SIZE));
    return body;
  }

  // -- RpcProtection --

  rpcSignatureLength(): number {
    return NL_AUTH_SHA2_SIGNATURE_SIZE;
  }

  private signed(parts: RpcPduParts): Buffer {
    return parts.headerSigning ? parts.pdu : parts.pdu.subarray(parts.stubStart, parts.bodyEnd);
  }

  rpcSign(parts: RpcPduParts): Buffer {
    return this.outgoing([this.signed(parts)], undefined);
  }
  rpcVerify(parts: RpcPduParts, signature: Buffer): void {
    this.incoming(() => [this.signed(parts)], undefined, signature);
  }
  rpcSeal(parts: RpcPduParts): Buffer {
    // The checksum is over the plaintext: copy it before the stub is encrypted in place.
    const plain = Buffer.from(this.signed(parts));
    return this.outgoing([plain], parts.pdu.subarray(parts.stubStart, parts.bodyEnd));
  }
  rpcUnseal(parts: RpcPduParts, signature: Buffer): void {
    this.incoming(() => [this.signed(parts)], parts.pdu.subarray(parts.stubStart, parts.bodyEnd), signature);
  }
}

export interface NetlogonSspInitiatorOptions {
  /** The session key of the established secure channel (NetrServerAuthenticate3). */
  sessionKey: Buffer;
  /** NetBIOS names sent in the negotiate message. */
  computerName: string;
  domainName: string;
}

/** The member side (3.3.4.1.1). */
export class NetlogonSspInitiator extends NetlogonSspBase {
  readonly role = 'initiator' as const;
  readonly peer = undefined;
  private sent = false;

  constructor(private readonly o: NetlogonSspInitiatorOptions) {
    super();
    if (o.sessionKey.length !== 16) throw new SecurityError(SEC_E.NO_CREDENTIALS, 'a Netlogon session key is 16 bytes');
  }

  get peerName(): string | undefined {
    return undefined;
  }

  async step(input?: Buffer): Promise<Step> {
    if (!this.sent) {
      this.sent = true;
      return { done: false, output: encodeNlAuthNegotiate(this.o.domainName, this.o.computerName) };
    }
    if (this.established) throw new SecurityError(SEC_E.INVALID_HANDLE, 'the Netlogon security context is already established');
    if (!input || input.length < 8 || input.readUInt32LE(0) !== NL_NEGOTIATE_RESPONSE) {
      throw new SecurityError(SEC_E.INVALID_TOKEN, 'not an NL_AUTH_MESSAGE negotiate response');
    }
    this.key = Buffer.from(this.o.sessionKey);
    this.established = true;
    return { done: true };
  }
}

export interface NetlogonSspAcceptorOptions {
  /** The DC's secure channels (the store createNetlogonInterface uses). */
  channels: SecureChannelStore;
}

/** The DC side (3.3.4.1.2): the computer named in the negotiate message must have a channel. */
export class NetlogonSspAcceptor extends NetlogonSspBase {
  readonly role = 'acceptor' as const;
  readonly peer: LogonToken | undefined = undefined;
  private computer: string | undefined;

  constructor(private readonly o: NetlogonSspAcceptorOptions) {
    super();
  }

  /** The computer name whose secure channel this context uses (what SamLogonEx selects by). */
  get peerName(): string | undefined {
    return this.established ? this.computer : undefined;
  }

  async step(input?: Buffer): Promise<Step> {
    if (this.established || this.computer !== undefined) throw new SecurityError(SEC_E.INVALID_HANDLE, 'the Netlogon security context is already established');
    const { computerName } = decodeNlAuthNegotiate(input ?? Buffer.alloc(0));
    if (!computerName) throw new SecurityError(SEC_E.INVALID_TOKEN, 'NL_AUTH_MESSAGE without a computer name');
    const channel = this.o.channels.channel(computerName);
    if (!channel) throw new SecurityError(SEC_E.LOGON_DENIED, 'no Netlogon secure channel for that computer');
    this.computer = channel.computerName;
    this.key = Buffer.from(channel.sessionKey);
    this.established = true;
    const out = Buffer.alloc(12);
    out.writeUInt32LE(NL_NEGOTIATE_RESPONSE, 0);
    return { done: true, output: out };
  }
}
