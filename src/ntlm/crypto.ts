// MS-NLMP 3.3 (NTLM v1 and v2 responses), 3.4 (session security) and the MIC (3.1.5.1.2).
//
// MD4 and RC4 come from src/crypto (Node 20's OpenSSL refuses both without the legacy
// provider); HMAC-MD5 and MD5 from node:crypto; single DES for the NTLMv1 DESL function is
// 3DES-EDE with the same key three times (E(K, D(K, E(K, x))) = E(K, x)), since OpenSSL 3 keeps
// plain DES in the legacy provider too.

import { createCipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { md4, ntHash, Rc4, rc4 } from '../crypto/index.js';
import { SEC_E, SecurityError } from '../security/types.js';
import {
  decodeMessageSignature,
  encodeMessageSignature,
  encodeNtlmv2ClientChallenge,
  MESSAGE_SIGNATURE_BYTES,
  NtlmError,
  NTLMSSP,
} from './messages.js';

export function md5(...data: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const d of data) h.update(d);
  return h.digest();
}

export function hmacMd5(key: Buffer, ...data: Buffer[]): Buffer {
  const h = createHmac('md5', key);
  for (const d of data) h.update(d);
  return h.digest();
}

/** Constant-time equality of two byte strings (false for different lengths). */
export function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

// ---- NTLM v1 (3.3.1): only to recognise and, when an administrator allows it, verify ----

/** 7 key bytes to a DES key with the parity bit position filled (the low bit of each byte). */
function desKey7to8(k7: Buffer): Buffer {
  const k = Buffer.alloc(8);
  k[0] = k7[0] & 0xfe;
  k[1] = ((k7[0] << 7) | (k7[1] >> 1)) & 0xfe;
  k[2] = ((k7[1] << 6) | (k7[2] >> 2)) & 0xfe;
  k[3] = ((k7[2] << 5) | (k7[3] >> 3)) & 0xfe;
  k[4] = ((k7[3] << 4) | (k7[4] >> 4)) & 0xfe;
  k[5] = ((k7[4] << 3) | (k7[5] >> 5)) & 0xfe;
  k[6] = ((k7[5] << 2) | (k7[6] >> 6)) & 0xfe;
  k[7] = (k7[6] << 1) & 0xfe;
  return k;
}

/** DES-ECB of one 8-byte block under a 7-byte key (6 Appendix A: DES(K, D)). */
function des(k7: Buffer, block: Buffer): Buffer {
  const k = desKey7to8(k7);
  const c = createCipheriv('des-ede3-ecb', Buffer.concat([k, k, k]), null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

/** 6 Appendix A DESL(K, D): three DES encryptions of D under the 16-byte K split into 7-byte keys. */
export function desl(k: Buffer, d: Buffer): Buffer {
  if (k.length !== 16 || d.length !== 8) throw new NtlmError('DESL takes a 16-byte key and an 8-byte block');
  const k21 = Buffer.concat([k, Buffer.alloc(5)]);
  return Buffer.concat([des(k21.subarray(0, 7), d), des(k21.subarray(7, 14), d), des(k21.subarray(14, 21), d)]);
}

/** 3.3.1 NTOWFv1: MD4(UNICODE(Passwd)). */
export function ntowfV1(password: string): Buffer {
  return ntHash(password);
}

/**
 * 3.3.1 LMOWFv1: DES of "KGS!@#$%" under both halves of the upper-cased password padded to 14
 * bytes. Passwords longer than 14 characters have no LM hash.
 */
export function lmowfV1(password: string): Buffer {
  const upper = Buffer.from(password.toUpperCase(), 'latin1');
  if (upper.length > 14) throw new NtlmError('passwords longer than 14 characters have no LMOWFv1');
  const p = Buffer.concat([upper, Buffer.alloc(14 - upper.length)]);
  const magic = Buffer.from('KGS!@#$%', 'latin1');
  return Buffer.concat([des(p.subarray(0, 7), magic), des(p.subarray(7, 14), magic)]);
}

/** 3.3.1 NTLMv1 NtChallengeResponse without extended session security. */
export function ntlmv1Response(responseKey: Buffer, serverChallenge: Buffer): Buffer {
  return desl(responseKey, serverChallenge);
}

/**
 * 3.3.1 with NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY ("NTLM2 session response"): the
 * challenge is MD5(ServerChallenge, ClientChallenge)[0..8]; the LM response carries the client
 * challenge.
 */
export function ntlmv1EssChallenge(serverChallenge: Buffer, clientChallenge: Buffer): Buffer {
  return md5(serverChallenge, clientChallenge).subarray(0, 8);
}

export function ntlmv1EssResponse(ntHash16: Buffer, serverChallenge: Buffer, clientChallenge: Buffer): { nt: Buffer; lm: Buffer } {
  return {
    nt: desl(ntHash16, ntlmv1EssChallenge(serverChallenge, clientChallenge)),
    lm: Buffer.concat([clientChallenge, Buffer.alloc(16)]),
  };
}

/** 3.3.1 SessionBaseKey for NTLM v1: MD4(NTOWFv1). */
export function sessionBaseKeyV1(ntHash16: Buffer): Buffer {
  return md4(ntHash16);
}

// ---- NTLM v2 (3.3.2) ---------------------------------------------------------------------

/**
 * 3.3.2 NTOWFv2 = HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(Uppercase(User) || UserDom)), from the
 * NT hash (the DC has no password). LMOWFv2 is the same function.
 */
export function ntowfV2(ntHash16: Buffer, user: string, domain: string): Buffer {
  return hmacMd5(ntHash16, Buffer.from(user.toUpperCase() + domain, 'utf16le'));
}

/** The same HMAC without upper-casing the user: some non-Windows clients compute it so. */
export function ntowfV2AsGiven(ntHash16: Buffer, user: string, domain: string): Buffer {
  return hmacMd5(ntHash16, Buffer.from(user + domain, 'utf16le'));
}

export interface Ntlmv2Responses {
  ntChallengeResponse: Buffer;
  lmChallengeResponse: Buffer;
  ntProofStr: Buffer;
  sessionBaseKey: Buffer;
}

/**
 * 3.3.2 ComputeResponse for NTLM v2. `avPairs` is the AV_PAIR sequence (with MsvAvEOL) the
 * client sends back inside NTLMv2_CLIENT_CHALLENGE.
 */
export function computeNtlmv2Response(
  responseKeyNT: Buffer,
  serverChallenge: Buffer,
  clientChallenge: Buffer,
  timestamp: bigint,
  avPairs: Buffer,
): Ntlmv2Responses {
  const temp = encodeNtlmv2ClientChallenge(timestamp, clientChallenge, avPairs);
  const ntProofStr = hmacMd5(responseKeyNT, serverChallenge, temp);
  return {
    ntChallengeResponse: Buffer.concat([ntProofStr, temp]),
    lmChallengeResponse: Buffer.concat([hmacMd5(responseKeyNT, serverChallenge, clientChallenge), clientChallenge]),
    ntProofStr,
    sessionBaseKey: hmacMd5(responseKeyNT, ntProofStr),
  };
}

/**
 * Server side of 3.3.2: the SessionBaseKey when NTProofStr is right for this key, else
 * undefined. Only the NT response counts: accepting the LMv2 response alone would accept an
 * AUTHENTICATE whose NTLMv2 blob (with its MsvAvFlags, timestamp and channel bindings) was
 * altered, since LMv2 does not cover the blob.
 */
export function verifyNtlmv2(responseKeyNT: Buffer, serverChallenge: Buffer, ntChallengeResponse: Buffer): Buffer | undefined {
  if (ntChallengeResponse.length <= 24) return undefined;
  const proof = ntChallengeResponse.subarray(0, 16);
  const expected = hmacMd5(responseKeyNT, serverChallenge, ntChallengeResponse.subarray(16));
  if (!bytesEqual(proof, expected)) return undefined;
  return hmacMd5(responseKeyNT, expected);
}

// ---- keys (3.4.5) ----------------------------------------------------------------------

/**
 * 3.4.5.1 KXKEY. NTLM v2: the SessionBaseKey. NTLM v1 with extended session security:
 * HMAC_MD5(SessionBaseKey, ServerChallenge || LmChallengeResponse[0..8]); plain NTLM v1: the
 * SessionBaseKey. The LM_KEY and NON_NT_SESSION_KEY variants need the LM hash, which authso
 * never stores, so they are refused.
 */
export function kxkey(flags: number, sessionBaseKey: Buffer, lmChallengeResponse: Buffer, serverChallenge: Buffer, ntlmv2: boolean): Buffer {
  if (ntlmv2) return sessionBaseKey;
  if ((flags & NTLMSSP.NEGOTIATE_EXTENDED_SESSIONSECURITY) !== 0) {
    if (lmChallengeResponse.length < 8) throw new NtlmError('extended session security needs the client challenge in LmChallengeResponse');
    return hmacMd5(sessionBaseKey, serverChallenge, lmChallengeResponse.subarray(0, 8));
  }
  if ((flags & (NTLMSSP.NEGOTIATE_LM_KEY | NTLMSSP.REQUEST_NON_NT_SESSION_KEY)) !== 0) {
    throw new NtlmError('LM session keys are not supported');
  }
  return sessionBaseKey;
}

const MAGIC = {
  clientSign: 'session key to client-to-server signing key magic constant\0',
  serverSign: 'session key to server-to-client signing key magic constant\0',
  clientSeal: 'session key to client-to-server sealing key magic constant\0',
  serverSeal: 'session key to server-to-client sealing key magic constant\0',
} as const;

export type Direction = 'client' | 'server';

/** 3.4.5.2 SIGNKEY (extended session security): MD5(ExportedSessionKey || magic). */
export function signKey(exportedSessionKey: Buffer, mode: Direction): Buffer {
  return md5(exportedSessionKey, Buffer.from(mode === 'client' ? MAGIC.clientSign : MAGIC.serverSign, 'latin1'));
}

/**
 * 3.4.5.3 SEALKEY. With extended session security: MD5 of the key cut to 16/7/5 bytes
 * (NEGOTIATE_128 / NEGOTIATE_56 / neither) and the direction's magic constant. Without it
 * (NTLM v1 legacy): the key cut to 7 or 5 bytes with the spec's fixed tail.
 */
export function sealKey(flags: number, exportedSessionKey: Buffer, mode: Direction): Buffer {
  if ((flags & NTLMSSP.NEGOTIATE_EXTENDED_SESSIONSECURITY) !== 0) {
    const len = (flags & NTLMSSP.NEGOTIATE_128) !== 0 ? 16 : (flags & NTLMSSP.NEGOTIATE_56) !== 0 ? 7 : 5;
    return md5(exportedSessionKey.subarray(0, len), Buffer.from(mode === 'client' ? MAGIC.clientSeal : MAGIC.serverSeal, 'latin1'));
  }
  if ((flags & NTLMSSP.NEGOTIATE_56) !== 0) return Buffer.concat([exportedSessionKey.subarray(0, 7), Buffer.from([0xa0])]);
  return Buffer.concat([exportedSessionKey.subarray(0, 5), Buffer.from([0xe5, 0x38, 0xb0])]);
}

/** 3.1.5.1.2: EncryptedRandomSessionKey = RC4K(KeyExchangeKey, ExportedSessionKey); RC4 is its own inverse. */
export function rc4k(key: Buffer, data: Buffer): Buffer {
  return rc4(key, data);
}

/** 3.1.5.1.2 / 3.2.5.1.2: MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE with MIC zeroed). */
export function computeMic(exportedSessionKey: Buffer, negotiate: Buffer, challenge: Buffer, authenticateZeroMic: Buffer): Buffer {
  return hmacMd5(exportedSessionKey, negotiate, challenge, authenticateZeroMic);
}

/** RFC 2744 gss_channel_bindings_struct, as MS-NLMP 2.2.2.1 MsvAvChannelBindings hashes it. */
export interface ChannelBindings {
  initiatorAddrType?: number;
  initiatorAddress?: Buffer;
  acceptorAddrType?: number;
  acceptorAddress?: Buffer;
  /** For TLS (RFC 5929): 'tls-server-end-point:' || hash of the server certificate. */
  applicationData: Buffer;
}

/** MsvAvChannelBindings value: MD5 of the flattened gss_channel_bindings_struct (little-endian lengths). */
export function channelBindingsHash(cb: ChannelBindings): Buffer {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  const ia = cb.initiatorAddress ?? Buffer.alloc(0);
  const aa = cb.acceptorAddress ?? Buffer.alloc(0);
  return md5(
    u32(cb.initiatorAddrType ?? 0),
    u32(ia.length),
    ia,
    u32(cb.acceptorAddrType ?? 0),
    u32(aa.length),
    aa,
    u32(cb.applicationData.length),
    cb.applicationData,
  );
}

// ---- session security (3.4) --------------------------------------------------------------

interface DirectionState {
  signKey: Buffer;
  sealKey: Buffer;
  handle: Rc4;
  seqNum: number;
}

/**
 * Connection-oriented NTLM session security with extended session security (3.4.2-3.4.4.2):
 * one RC4 stream, signing key and sequence number per direction. With KEY_EXCH the checksum
 * is also RC4-encrypted with the direction's stream (3.4.4.2), interleaved with sealing.
 * Without extended session security NTLM v1's CRC32 signatures would apply; authso refuses to
 * negotiate signing or sealing without it, so this class requires the flag.
 */
export class NtlmSessionSecurity {
  private readonly out: DirectionState;
  private readonly in: DirectionState;
  private readonly keyExch: boolean;

  constructor(flags: number, exportedSessionKey: Buffer, role: Direction) {
    if ((flags & NTLMSSP.NEGOTIATE_EXTENDED_SESSIONSECURITY) === 0) {
      throw new NtlmError('session security without extended session security is not supported');
    }
    this.keyExch = (flags & NTLMSSP.NEGOTIATE_KEY_EXCH) !== 0;
    const peer: Direction = role === 'client' ? 'server' : 'client';
    const state = (d: Direction): DirectionState => {
      const k = sealKey(flags, exportedSessionKey, d);
      return { signKey: signKey(exportedSessionKey, d), sealKey: k, handle: new Rc4(k), seqNum: 0 };
    };
    this.out = state(role);
    this.in = state(peer);
  }

  /**
   * Re-initialises one direction's RC4 stream with its sealing key, keeping the sequence number:
   * MS-SPNG 3.3.5.1 requires it after the SPNEGO mechListMIC is signed ('out') or verified ('in').
   */
  resetRc4(direction: 'out' | 'in'): void {
    const d = direction === 'out' ? this.out : this.in;
    d.handle = new Rc4(d.sealKey);
  }

  /** 3.4.4.2 MAC: HMAC_MD5(SigningKey, SeqNum || Message)[0..8], RC4-encrypted under KEY_EXCH. */
  private mac(d: DirectionState, seqNum: number, message: Buffer): Buffer {
    const seq = Buffer.alloc(4);
    seq.writeUInt32LE(seqNum >>> 0);
    let checksum = hmacMd5(d.signKey, seq, message).subarray(0, 8);
    if (this.keyExch) checksum = d.handle.process(checksum);
    return encodeMessageSignature({ checksum, seqNum });
  }

  /** 3.4.4 for an outgoing message: the 16-byte NTLMSSP_MESSAGE_SIGNATURE. */
  sign(message: Buffer): Buffer {
    const sig = this.mac(this.out, this.out.seqNum, message);
    this.out.seqNum = (this.out.seqNum + 1) >>> 0;
    return sig;
  }

  /**
   * Checks an incoming signature against the next expected sequence number (3.4.4: the
   * receiver's SeqNum is not incremented on failure). Throws SecurityError.
   */
  verify(message: Buffer, signature: Buffer): void {
    let sig;
    try {
      sig = decodeMessageSignature(signature);
    } catch {
      throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'malformed NTLM message signature');
    }
    const expected = this.mac(this.in, this.in.seqNum, message);
    if (!bytesEqual(expected, signature)) {
      if (sig.seqNum !== this.in.seqNum) throw new SecurityError(SEC_E.OUT_OF_SEQUENCE, 'NTLM message out of sequence');
      throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'NTLM message signature is wrong');
    }
    this.in.seqNum = (this.in.seqNum + 1) >>> 0;
  }

  /**
   * 3.4.3 SEAL: the message RC4-encrypted with the direction's stream, then the signature over
   * the plaintext. `signed` is what the signature covers when it differs from what is encrypted
   * (3.4.6 GSS_WrapEx; DCE/RPC signs the whole PDU but encrypts only the stub).
   */
  seal(message: Buffer, signed: Buffer = message): { sealed: Buffer; signature: Buffer } {
    const sealed = this.out.handle.process(message);
    return { sealed, signature: this.sign(signed) };
  }

  /**
   * Decrypts and verifies; throws SecurityError (and returns nothing) when the signature is
   * wrong. `signed` maps the decrypted message to the bytes the signature covers (3.4.7).
   */
  unseal(sealed: Buffer, signature: Buffer, signed: (plaintext: Buffer) => Buffer = (p) => p): Buffer {
    if (signature.length !== MESSAGE_SIGNATURE_BYTES) throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'malformed NTLM message signature');
    const message = this.in.handle.process(sealed);
    this.verify(signed(message), signature);
    return message;
  }
}
