// The Netlogon secure channel, server side (MS-NRPC 3.1.4): challenges, the AES session key,
// Netlogon credentials and authenticators.
//
// Only the AES variant is offered (3.1.4.3.1 session key, 3.1.4.4.1 credentials). The DES and
// RC4/strong-key variants are what CVE-2020-1472 (Zerologon) and older downgrade attacks rode
// on, and every supported Windows client negotiates AES; a client that does not offer AES,
// strong keys and secure RPC is refused (3.1.4.2, as Windows DCs in enforcement mode do).
//
// Zerologon itself was AES-CFB8 with an all-zero IV: an all-zero client challenge encrypts to
// an all-zero credential for 1 key in 256. The fix (MS-NRPC 3.1.4.1 as revised) refuses client
// challenges and credentials whose first 5 bytes are not distinct; we refuse both, and a
// challenge is consumed by the one NetrServerAuthenticate3 that uses it, right or wrong.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { aesCfb8Encrypt } from '../crypto/cfb8.js';
import type { NetlogonAuthenticator } from './idl.js';

/** MS-NRPC 3.1.4.2 negotiate flags (named as in Samba's IDL; the spec letters them). */
export const NETLOGON_NEG = {
  ACCOUNT_LOCKOUT: 0x00000001,
  PERSISTENT_SAMREPL: 0x00000002,
  ARCFOUR: 0x00000004,
  PROMOTION_COUNT: 0x00000008,
  CHANGELOG_BDC: 0x00000010,
  FULL_SYNC_REPL: 0x00000020,
  MULTIPLE_SIDS: 0x00000040,
  REDO: 0x00000080,
  PASSWORD_CHANGE_REFUSAL: 0x00000100,
  SEND_PASSWORD_INFO_PDC: 0x00000200,
  GENERIC_PASSTHROUGH: 0x00000400,
  CONCURRENT_RPC: 0x00000800,
  AVOID_ACCOUNT_DB_REPL: 0x00001000,
  AVOID_SECURITYAUTH_DB_REPL: 0x00002000,
  STRONG_KEYS: 0x00004000,
  TRANSITIVE_TRUSTS: 0x00008000,
  DNS_DOMAIN_TRUSTS: 0x00010000,
  PASSWORD_SET2: 0x00020000,
  GETDOMAININFO: 0x00040000,
  CROSS_FOREST_TRUSTS: 0x00080000,
  NEUTRALIZE_NT4_EMULATION: 0x00100000,
  RODC_PASSTHROUGH: 0x00200000,
  SUPPORTS_AES_SHA2: 0x00400000,
  SUPPORTS_AES: 0x01000000,
  AUTHENTICATED_RPC_LSASS: 0x20000000,
  AUTHENTICATED_RPC: 0x40000000,
} as const;

/** Flags a client must offer: AES (W), secure RPC (Y) and strong keys. */
export const REQUIRED_NEGOTIATE_FLAGS = NETLOGON_NEG.SUPPORTS_AES | NETLOGON_NEG.AUTHENTICATED_RPC | NETLOGON_NEG.STRONG_KEYS;

/**
 * What this DC offers (the negotiated set is the intersection with the client's, 3.1.4.2): a
 * Windows Server 2019 DC's 0x612fffff minus ARCFOUR (no RC4 channel here) and minus the NT4
 * replication bits, which no member uses and we do not implement.
 */
export const SERVER_NEGOTIATE_FLAGS =
  (0x612fffff &
    ~(
      NETLOGON_NEG.ARCFOUR |
      NETLOGON_NEG.PERSISTENT_SAMREPL |
      NETLOGON_NEG.PROMOTION_COUNT |
      NETLOGON_NEG.CHANGELOG_BDC |
      NETLOGON_NEG.FULL_SYNC_REPL |
      NETLOGON_NEG.REDO
    )) >>>
  0;

/** 3.1.4.3.1: SessionKey = HMAC-SHA256(NT hash of the shared secret, ClientChallenge || ServerChallenge)[0..16). */
export function computeSessionKeyAes(ntHash: Buffer, clientChallenge: Buffer, serverChallenge: Buffer): Buffer {
  return createHmac('sha256', ntHash).update(clientChallenge).update(serverChallenge).digest().subarray(0, 16);
}

/** 3.1.4.4.1: Credential = AES-CFB8(SessionKey, IV = 0, Input) for an 8-byte input. */
export function computeNetlogonCredentialAes(input: Buffer, sessionKey: Buffer): Buffer {
  return aesCfb8Encrypt(sessionKey, input);
}

/** 3.1.4.5: a credential plus n, adding to its first 32-bit little-endian word (mod 2^32). */
export function credentialPlus(cred: Buffer, n: number): Buffer {
  const out = Buffer.from(cred);
  out.writeUInt32LE((cred.readUInt32LE(0) + n) >>> 0, 0);
  return out;
}

/** The post-CVE-2020-1472 rule: the first 5 bytes must not all be equal (zeros included). */
export function firstFiveBytesRepeat(b: Buffer): boolean {
  for (let i = 1; i < 5; i++) if (b[i] !== b[0]) return false;
  return true;
}

function equal8(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An established secure channel (3.1.1: the server's per-client state). */
export interface SecureChannel {
  computerName: string;
  accountName: string;
  accountRid: number;
  secureChannelType: number;
  negotiateFlags: number;
  /** The flags the client asked for (NetrLogonGetCapabilities level 2). */
  requestedFlags: number;
  sessionKey: Buffer;
  /** The stored credential (3.1.4.5 "ServerStoredCredential", the seed both sides advance). */
  storedCredential: Buffer;
}

export interface SecureChannelStoreOptions {
  /** Pending challenges kept at most (the oldest is dropped). Default 4096. */
  maxChallenges?: number;
  /** How long a challenge stays usable. Default 2 minutes. */
  challengeTtlMs?: number;
  /** Established channels kept at most (the least recently used is dropped). Default 65536. */
  maxChannels?: number;
  now?: () => number;
  /** Source of server challenges (tests). */
  random?: (n: number) => Buffer;
}

/** Outcome of a NetrServerAuthenticate3 credential check. */
export type AuthenticateResult =
  | { ok: true; channel: SecureChannel; serverCredential: Buffer }
  | { ok: false; reason: 'no-challenge' | 'weak-challenge' | 'weak-credential' | 'flags' | 'credential' };

const key = (computerName: string): string => computerName.toUpperCase();

/**
 * The server challenges (per client computer name, 3.5.4.4.1: a new challenge replaces the
 * previous one) and the established channels (per computer name; a new authentication
 * replaces the channel, as 3.5.4.4.2 has it).
 */
export class SecureChannelStore {
  private readonly challenges = new Map<string, { client: Buffer; server: Buffer; at: number }>();
  private readonly channels = new Map<string, SecureChannel>();
  private readonly maxChallenges: number;
  private readonly ttl: number;
  private readonly maxChannels: number;
  private readonly now: () => number;
  private readonly random: (n: number) => Buffer;

  constructor(o: SecureChannelStoreOptions = {}) {
    this.maxChallenges = o.maxChallenges ?? 4096;
    this.ttl = o.challengeTtlMs ?? 120_000;
    this.maxChannels = o.maxChannels ?? 65536;
    this.now = o.now ?? Date.now;
    this.random = o.random ?? randomBytes;
  }

  /** 3.5.4.4.1: stores the client challenge and returns a fresh server challenge. */
  newChallenge(computerName: string, clientChallenge: Buffer): Buffer {
    const k = key(computerName);
    const server = Buffer.from(this.random(8));
    this.challenges.delete(k); // re-insert: Map order is the eviction order
    this.challenges.set(k, { client: Buffer.from(clientChallenge), server, at: this.now() });
    while (this.challenges.size > this.maxChallenges) {
      const oldest = this.challenges.keys().next().value;
      if (oldest === undefined) break;
      this.challenges.delete(oldest);
    }
    return server;
  }

  /** Drops a computer's pending challenge (an Authenticate3 refused before the credential check). */
  discardChallenge(computerName: string): void {
    this.challenges.delete(key(computerName));
  }

  get pendingChallenges(): number {
    return this.challenges.size;
  }

  /**
   * 3.5.4.4.2 (NetrServerAuthenticate3) for a known account whose candidate NT hashes (current,
   * then previous) are given. Consumes the pending challenge whatever the outcome.
   */
  authenticate(p: {
    computerName: string;
    accountName: string;
    accountRid: number;
    secureChannelType: number;
    clientCredential: Buffer;
    clientFlags: number;
    ntHashes: Buffer[];
  }): AuthenticateResult {
    const k = key(p.computerName);
    const ch = this.challenges.get(k);
    this.challenges.delete(k);
    if (!ch || this.now() - ch.at > this.ttl) return { ok: false, reason: 'no-challenge' };
    if ((p.clientFlags & REQUIRED_NEGOTIATE_FLAGS) !== REQUIRED_NEGOTIATE_FLAGS) return { ok: false, reason: 'flags' };
    if (firstFiveBytesRepeat(ch.client)) return { ok: false, reason: 'weak-challenge' };
    if (firstFiveBytesRepeat(p.clientCredential)) return { ok: false, reason: 'weak-credential' };
    for (const nt of p.ntHashes) {
      const sessionKey = computeSessionKeyAes(nt, ch.client, ch.server);
      const expected = computeNetlogonCredentialAes(ch.client, sessionKey);
      if (!equal8(expected, p.clientCredential)) continue;
      const channel: SecureChannel = {
        computerName: p.computerName,
        accountName: p.accountName,
        accountRid: p.accountRid,
        secureChannelType: p.secureChannelType,
        negotiateFlags: (p.clientFlags & SERVER_NEGOTIATE_FLAGS) >>> 0,
        requestedFlags: p.clientFlags >>> 0,
        sessionKey,
        storedCredential: Buffer.from(p.clientCredential),
      };
      this.channels.delete(k);
      this.channels.set(k, channel);
      while (this.channels.size > this.maxChannels) {
        const oldest = this.channels.keys().next().value;
        if (oldest === undefined) break;
        this.channels.delete(oldest);
      }
      return { ok: true, channel, serverCredential: computeNetlogonCredentialAes(ch.server, sessionKey) };
    }
    return { ok: false, reason: 'credential' };
  }

  /** The established channel of a computer, if any. */
  channel(computerName: string): SecureChannel | undefined {
    return this.channels.get(key(computerName));
  }

  /**
   * 3.1.4.5: checks the client's authenticator against the channel and, when it is right,
   * advances the stored credential and returns the server's return authenticator. A wrong or
   * replayed authenticator (the credential has moved on) returns undefined and changes nothing.
   */
  checkAuthenticator(computerName: string, auth: NetlogonAuthenticator): { channel: SecureChannel; returnAuthenticator: NetlogonAuthenticator } | undefined {
    const k = key(computerName);
    const ch = this.channels.get(k);
    if (!ch || auth.credential.length !== 8) return undefined;
    const ts = auth.timestamp >>> 0;
    // The seed advances by Timestamp + 1 (mod 2^32 on its first word): 0xFFFFFFFF would leave it
    // unchanged and make that authenticator replayable forever. No clock produces it; refuse it.
    if (ts === 0xffffffff) return undefined;
    const expected = computeNetlogonCredentialAes(credentialPlus(ch.storedCredential, ts), ch.sessionKey);
    if (!equal8(expected, auth.credential)) return undefined;
    // Stored + Timestamp + 1 becomes the new seed; the return credential is computed over it.
    ch.storedCredential = credentialPlus(ch.storedCredential, ts + 1);
    this.channels.delete(k);
    this.channels.set(k, ch);
    return { channel: ch, returnAuthenticator: { credential: computeNetlogonCredentialAes(ch.storedCredential, ch.sessionKey), timestamp: 0 } };
  }

  /** Drops a computer's channel (e.g. after its password changed elsewhere). */
  forget(computerName: string): void {
    this.channels.delete(key(computerName));
  }
}
