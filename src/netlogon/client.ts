// The member side of the Netlogon secure channel (MS-NRPC 3.4): a client of a DC's Netlogon
// interface over the DCE/RPC runtime (src/rpc/client.ts).
//
// 3.4.5.2: NetrServerReqChallenge + NetrServerAuthenticate3 establish the channel (AES only,
// as the DC side: src/netlogon/secure-channel.ts); later calls carry an authenticator chained
// on the stored credential (3.1.4.5), so calls on one channel are strictly one at a time — the
// DC keeps ONE channel per computer name (3.5.4.4.2: a new Authenticate3 replaces it), so a
// member cannot usefully open a pool of them either. A lost connection or a DC that no longer
// knows the channel (STATUS_ACCESS_DENIED on the authenticator, e.g. after a DC restart) makes
// the client re-establish once and retry the call once; re-establishment is serialized by the
// same queue, so waiters share it, and a failed establishment is remembered briefly so an
// unreachable DC does not get a connection storm.
//
// Secrets (the machine password, session key, credentials) never appear in errors.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { aesCfb8Decrypt, aesCfb8Encrypt } from '../crypto/cfb8.js';
import { ntHash } from '../crypto/index.js';
import { resolveTcpEndpoint } from '../rpc/epm.js';
import { RpcClient, type RpcClientAuth } from '../rpc/client.js';
import { AUTHN, AUTHN_LEVEL, RpcError } from '../rpc/pdu.js';
import {
  decodeParams,
  encodeParams,
  LOGON_LEVEL,
  NETLOGON_UUID,
  NETLOGON_VERSION,
  NetrLogonGetCapabilitiesIn,
  NetrLogonGetCapabilitiesOut,
  NetrLogonSamLogonExIn,
  NetrLogonSamLogonExOut,
  NetrLogonSamLogonWithFlagsIn,
  NetrLogonSamLogonWithFlagsOut,
  NetrServerAuthenticate3In,
  NetrServerAuthenticate3Out,
  NetrServerPasswordSet2In,
  NetrServerPasswordSet2Out,
  NetrServerReqChallengeIn,
  NetrServerReqChallengeOut,
  NL_TRUST_PASSWORD_SIZE,
  OPNUM,
  SECURE_CHANNEL_TYPE,
  VALIDATION_LEVEL,
  type NetlogonAuthenticator,
  type NetlogonLevel,
  type NetlogonValidation,
} from './idl.js';
import { NetlogonSspInitiator } from './ssp.js';
import { computeNetlogonCredentialAes, computeSessionKeyAes, credentialPlus, firstFiveBytesRepeat, NETLOGON_NEG } from './secure-channel.js';

/** MS-ERREF NTSTATUS values the client acts on. */
const STATUS_SUCCESS = 0;
const STATUS_ACCESS_DENIED = 0xc0000022;

/**
 * What the client offers in NetrServerAuthenticate3 (3.1.4.2): AES, strong keys, secure RPC,
 * the flags a Windows member offers for the calls it makes; never ARCFOUR (no RC4 channel).
 */
export const CLIENT_NEGOTIATE_FLAGS =
  (NETLOGON_NEG.ACCOUNT_LOCKOUT |
    NETLOGON_NEG.MULTIPLE_SIDS |
    NETLOGON_NEG.PASSWORD_CHANGE_REFUSAL |
    NETLOGON_NEG.GENERIC_PASSTHROUGH |
    NETLOGON_NEG.CONCURRENT_RPC |
    NETLOGON_NEG.STRONG_KEYS |
    NETLOGON_NEG.TRANSITIVE_TRUSTS |
    NETLOGON_NEG.DNS_DOMAIN_TRUSTS |
    NETLOGON_NEG.PASSWORD_SET2 |
    NETLOGON_NEG.GETDOMAININFO |
    NETLOGON_NEG.CROSS_FOREST_TRUSTS |
    NETLOGON_NEG.NEUTRALIZE_NT4_EMULATION |
    NETLOGON_NEG.SUPPORTS_AES |
    NETLOGON_NEG.AUTHENTICATED_RPC) >>>
  0;

/** A Netlogon call the DC answered with a failure NTSTATUS. */
export class NetlogonStatusError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
  ) {
    super(`${operation} failed: NTSTATUS 0x${(status >>> 0).toString(16).padStart(8, '0')}`);
    this.name = 'NetlogonStatusError';
  }
}

/** The channel could not be used (DC unreachable, connection lost, authentication refused). */
export class NetlogonChannelError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'NetlogonChannelError';
  }
}

export interface NetlogonClientOptions {
  /** The DC's address. */
  host: string;
  /** Netlogon's ncacn_ip_tcp port; absent: asked of the endpoint mapper at epmPort. */
  port?: number;
  /** The endpoint mapper's port (default 135). */
  epmPort?: number;
  /** This member's NetBIOS computer name (no '$'). */
  computerName: string;
  /** The machine account (default computerName + '$'). */
  accountName?: string;
  /**
   * The machine password (a function: read at each establishment, so rotation is seen). A list
   * is tried in order, each with a fresh challenge: a member that crashed between the DC
   * accepting a new password and saving it passes [pending, saved].
   */
  password: string | (() => string | string[]);
  /** Called with the password a channel was established with (the state promotes a pending one). */
  onPasswordUsed?: (password: string) => void;
  /** The DC's NetBIOS name for PrimaryName/LogonServer ('\\DC1'); default: none (NULL). */
  dcName?: string;
  secureChannelType?: number;
  timeoutMs?: number;
  /** How long a failed establishment is reused for the next callers (default 1000 ms). */
  failureHoldMs?: number;
  /** NetBIOS domain name (sent in the secure-RPC negotiate message). */
  domainName?: string;
  /**
   * Logons over a second connection bound with the Netlogon security provider at PKT_PRIVACY
   * (MS-NRPC 3.3, RPC_C_AUTHN_NETLOGON), calling NetrLogonSamLogonEx (SAM_INFO4): true for our
   * provider (src/netlogon/ssp.ts), or a function building the RPC auth from the channel. When
   * the DC refuses that bind, logons fall back to NetrLogonSamLogonWithFlags on the channel.
   */
  secureRpc?: boolean | ((channel: { sessionKey: Buffer; computerName: string }) => RpcClientAuth);
}

export interface NetworkLogonRequest {
  userName: string;
  domainName: string;
  workstation: string;
  challenge: Buffer;
  ntResponse: Buffer;
  lmResponse: Buffer;
  parameterControl: number;
}

export interface SamLogonResult {
  /** 2, 3 or 6 (NETLOGON_VALIDATION_INFO_CLASS). */
  level: number;
  validation: NonNullable<Extract<NetlogonValidation, { tag: 2 | 3 | 6 }>['value']>;
  /** Decrypted (3.2.4.4 with AES: the keys of SAM_INFO/SAM_INFO2 are AES-CFB8 under the session key). */
  userSessionKey: Buffer;
  lmSessionKey: Buffer;
}

interface Channel {
  rpc: RpcClient;
  contextId: number;
  sessionKey: Buffer;
  /** 3.1.4.5 ClientStoredCredential. */
  stored: Buffer;
  negotiateFlags: number;
  accountRid: number;
  /** The sealed type-68 connection for SamLogonEx, when configured and bound. */
  secure?: { rpc: RpcClient; contextId: number; level: number };
}

const SYNTAX = { uuid: NETLOGON_UUID, major: NETLOGON_VERSION.major, minor: NETLOGON_VERSION.minor };

function equal8(a: Buffer, b: Buffer): boolean {
  return a.length === 8 && b.length === 8 && timingSafeEqual(a, b);
}

function isZero(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

/** A non-weak 8-byte client challenge (3.1.4.1 as revised for CVE-2020-1472). */
function clientChallenge(): Buffer {
  for (;;) {
    const c = randomBytes(8);
    if (!firstFiveBytesRepeat(c)) return c;
  }
}

/** A transport failure (connection lost or refused, a protocol fault): the channel is gone. */
function isConnectionFailure(e: unknown): boolean {
  return e instanceof RpcError || (e instanceof Error && 'code' in e && typeof (e as { code: unknown }).code === 'string');
}

export class NetlogonClient {
  private channel: Channel | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private lastFailure: { at: number; error: Error } | undefined;
  private closed = false;
  /** How many secure channels were established (NetrServerAuthenticate3 successes). */
  establishments = 0;

  constructor(private readonly o: NetlogonClientOptions) {}

  get computerName(): string {
    return this.o.computerName.toUpperCase();
  }

  get accountName(): string {
    return this.o.accountName ?? `${this.computerName}$`;
  }

  private get primaryName(): string | null {
    return this.o.dcName ? `\\\\${this.o.dcName.toUpperCase()}` : null;
  }

  private passwords(): string[] {
    const p = typeof this.o.password === 'function' ? this.o.password() : this.o.password;
    return Array.isArray(p) ? p : [p];
  }

  /** Runs f with the channel, one at a time; re-establishes once and retries once when the channel is gone. */
  private exclusive<T>(f: (ch: Channel) => Promise<T>, retry = true): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new NetlogonChannelError('Netlogon client closed');
      let ch = this.channel ?? (await this.establish());
      try {
        return await f(ch);
      } catch (e) {
        if (!retry || !isChannelGone(e)) throw e;
        this.drop(ch);
        ch = await this.establish();
        try {
          return await f(ch);
        } catch (e2) {
          if (isChannelGone(e2)) {
            this.drop(ch);
            throw new NetlogonChannelError(`the secure channel to ${this.o.host} failed again after re-establishment`);
          }
          throw e2;
        }
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private drop(ch: Channel): void {
    if (this.channel === ch) this.channel = undefined;
    ch.rpc.close();
    ch.secure?.rpc.close();
  }

  /** 3.4.5.2.1-2: ReqChallenge + Authenticate3 on a fresh connection. */
  private async establish(): Promise<Channel> {
    const hold = this.o.failureHoldMs ?? 1000;
    if (this.lastFailure && Date.now() - this.lastFailure.at < hold) throw this.lastFailure.error;
    try {
      const ch = await this.authenticate();
      this.lastFailure = undefined;
      this.channel = ch;
      this.establishments++;
      return ch;
    } catch (e) {
      const error = e instanceof NetlogonChannelError || e instanceof NetlogonStatusError ? e : new NetlogonChannelError(`cannot reach the DC's Netlogon service at ${this.o.host}`);
      this.lastFailure = { at: Date.now(), error };
      throw error;
    }
  }

  private async port(): Promise<number> {
    if (this.o.port !== undefined) return this.o.port;
    const p = await resolveTcpEndpoint(this.o.host, SYNTAX, this.o.epmPort ?? 135, this.o.timeoutMs);
    if (p === undefined) throw new NetlogonChannelError(`the endpoint mapper at ${this.o.host} does not know Netlogon`);
    return p;
  }

  private async authenticate(): Promise<Channel> {
    const port = await this.port();
    const rpc = await RpcClient.connect({ host: this.o.host, port, timeoutMs: this.o.timeoutMs });
    try {
      const { contextId } = await rpc.bind(SYNTAX);
      const candidates = this.passwords();
      let candidate = 0;
      for (let attempt = 0; attempt < 8 + candidates.length; attempt++) {
        const password = candidates[candidate];
        if (password === undefined) break;
        const cc = clientChallenge();
        const rc = decodeParams(
          NetrServerReqChallengeOut,
          await rpc.call(contextId, OPNUM.NetrServerReqChallenge, encodeParams(NetrServerReqChallengeIn, { primaryName: this.primaryName, computerName: this.computerName, clientChallenge: cc })),
        );
        if (rc.status !== STATUS_SUCCESS) throw new NetlogonStatusError('NetrServerReqChallenge', rc.status);
        const nt = ntHash(password);
        const sessionKey = computeSessionKeyAes(nt, cc, rc.serverChallenge);
        nt.fill(0);
        const clientCredential = computeNetlogonCredentialAes(cc, sessionKey);
        // The DC refuses a credential whose first 5 bytes repeat (Zerologon hardening): new challenge.
        if (firstFiveBytesRepeat(clientCredential)) continue;
        const a = decodeParams(
          NetrServerAuthenticate3Out,
          await rpc.call(
            contextId,
            OPNUM.NetrServerAuthenticate3,
            encodeParams(NetrServerAuthenticate3In, {
              primaryName: this.primaryName,
              accountName: this.accountName,
              secureChannelType: this.o.secureChannelType ?? SECURE_CHANNEL_TYPE.WorkstationSecureChannel,
              computerName: this.computerName,
              clientCredential,
              negotiateFlags: CLIENT_NEGOTIATE_FLAGS,
            }),
          ),
        );
        if (a.status === STATUS_ACCESS_DENIED && candidate + 1 < candidates.length) {
          candidate++;
          continue;
        }
        if (a.status !== STATUS_SUCCESS) throw new NetlogonChannelError('the DC refused the secure channel (NetrServerAuthenticate3)', a.status);
        // 3.4.5.2.2: the server proves the session key too.
        if (!equal8(a.serverCredential, computeNetlogonCredentialAes(rc.serverChallenge, sessionKey))) {
          throw new NetlogonChannelError('the DC answered a wrong server credential');
        }
        if ((a.negotiateFlags & NETLOGON_NEG.SUPPORTS_AES) === 0) throw new NetlogonChannelError('the DC did not negotiate AES');
        const ch: Channel = { rpc, contextId, sessionKey, stored: clientCredential, negotiateFlags: a.negotiateFlags >>> 0, accountRid: a.accountRid };
        if (this.o.secureRpc) ch.secure = await this.openSecure(port, sessionKey);
        this.o.onPasswordUsed?.(password);
        return ch;
      }
      throw new NetlogonChannelError('no usable client credential');
    } catch (e) {
      rpc.close();
      throw e;
    }
  }

  /** Whether logons currently go over the sealed secure-RPC connection (NetrLogonSamLogonEx). */
  get sealed(): boolean {
    return this.channel?.secure !== undefined;
  }

  private async openSecure(port: number, sessionKey: Buffer): Promise<{ rpc: RpcClient; contextId: number; level: number } | undefined> {
    const o = this.o.secureRpc;
    if (!o) return undefined;
    const auth: RpcClientAuth =
      typeof o === 'function'
        ? o({ sessionKey, computerName: this.computerName })
        : {
            type: AUTHN.NETLOGON,
            level: AUTHN_LEVEL.PKT_PRIVACY,
            context: new NetlogonSspInitiator({ sessionKey, computerName: this.computerName, domainName: this.o.domainName ?? '' }),
          };
    const rpc = await RpcClient.connect({ host: this.o.host, port, timeoutMs: this.o.timeoutMs, auth });
    try {
      const { contextId } = await rpc.bind(SYNTAX);
      return { rpc, contextId, level: auth.level };
    } catch {
      // The DC does not offer the Netlogon provider (or refused the bind): use the channel's
      // authenticator-protected calls instead.
      rpc.close();
      return undefined;
    }
  }

  /** 3.1.4.5: the next authenticator (ClientStoredCredential += TimeNow). */
  private authenticator(ch: Channel): { auth: NetlogonAuthenticator; next: Buffer } {
    let ts = Math.floor(Date.now() / 1000) >>> 0;
    if (ts === 0xffffffff) ts = 0; // the DC refuses this one (it would not advance the seed)
    const stored = credentialPlus(ch.stored, ts);
    return { auth: { credential: computeNetlogonCredentialAes(stored, ch.sessionKey), timestamp: ts }, next: stored };
  }

  /** 3.1.4.5: checks the return authenticator (Credential of ClientStoredCredential + 1) and advances. */
  private accept(ch: Channel, next: Buffer, ret: NetlogonAuthenticator | null): void {
    const expected = credentialPlus(next, 1);
    if (!ret || !equal8(ret.credential, computeNetlogonCredentialAes(expected, ch.sessionKey))) {
      this.drop(ch);
      throw new NetlogonChannelError('the DC returned a wrong return authenticator');
    }
    ch.stored = expected;
  }

  /** An authenticated call: the authenticator in, the return authenticator checked. */
  private async authenticated<T extends { status: number }>(
    ch: Channel,
    call: (auth: NetlogonAuthenticator) => Promise<T & { ret: NetlogonAuthenticator | null }>,
  ): Promise<T & { ret: NetlogonAuthenticator | null }> {
    const { auth, next } = this.authenticator(ch);
    const r = await call(auth);
    // STATUS_ACCESS_DENIED with a zero return authenticator: the DC does not know the channel.
    if (r.status === STATUS_ACCESS_DENIED && (!r.ret || isZero(r.ret.credential))) throw new ChannelGone();
    this.accept(ch, next, r.ret);
    return r;
  }

  /** Establishes the channel now (join; tests). */
  async connect(): Promise<{ negotiateFlags: number; accountRid: number }> {
    return this.exclusive(async (ch) => ({ negotiateFlags: ch.negotiateFlags, accountRid: ch.accountRid }));
  }

  /** 3.4.5.3.1 NetrLogonGetCapabilities: the negotiated flags as the DC has them (level 1). */
  async getCapabilities(level: 1 | 2 = 1): Promise<number> {
    return this.exclusive(async (ch) => {
      const r = await this.authenticated(ch, async (authenticator) => {
        const out = decodeParams(
          NetrLogonGetCapabilitiesOut,
          await ch.rpc.call(
            ch.contextId,
            OPNUM.NetrLogonGetCapabilities,
            encodeParams(NetrLogonGetCapabilitiesIn, {
              serverName: this.primaryName ?? '',
              computerName: this.computerName,
              authenticator,
              returnAuthenticator: { credential: Buffer.alloc(8), timestamp: 0 },
              queryLevel: level,
            }),
          ),
        );
        return { status: out.status, ret: out.returnAuthenticator, value: out.serverCapabilities.value };
      });
      if (r.status !== STATUS_SUCCESS) throw new NetlogonStatusError('NetrLogonGetCapabilities', r.status);
      return r.value >>> 0;
    });
  }

  /**
   * 3.4.5.2.5 NetrServerPasswordSet2: sets the machine account's new password. NL_TRUST_PASSWORD
   * (2.2.1.3.7) holds the UTF-16LE password at the end of its 512-byte buffer after a random
   * confounder, and the whole 516 bytes are AES-CFB8 encrypted under the session key (3.4.5.2.5
   * with AES negotiated). Not retried: a repeated set after an unseen success would be harmless,
   * but the caller must know which password the DC holds, so a failure is reported as is.
   */
  async setPassword(newPassword: string): Promise<void> {
    const pw = Buffer.from(newPassword, 'utf16le');
    if (pw.length === 0 || pw.length > 512) throw new RangeError('machine password length out of range');
    await this.exclusive(async (ch) => {
      const plain = randomBytes(NL_TRUST_PASSWORD_SIZE);
      pw.copy(plain, 512 - pw.length);
      plain.writeUInt32LE(pw.length, 512);
      const enc = aesCfb8Encrypt(ch.sessionKey, plain);
      plain.fill(0);
      const r = await this.authenticated(ch, async (authenticator) => {
        const out = decodeParams(
          NetrServerPasswordSet2Out,
          await ch.rpc.call(
            ch.contextId,
            OPNUM.NetrServerPasswordSet2,
            encodeParams(NetrServerPasswordSet2In, {
              primaryName: this.primaryName,
              accountName: this.accountName,
              secureChannelType: this.o.secureChannelType ?? SECURE_CHANNEL_TYPE.WorkstationSecureChannel,
              computerName: this.computerName,
              authenticator,
              clearNewPassword: { buffer: Buffer.from(enc.subarray(0, 512)), length: enc.readUInt32LE(512) },
            }),
          ),
        );
        return { status: out.status, ret: out.returnAuthenticator };
      });
      if (r.status !== STATUS_SUCCESS) throw new NetlogonStatusError('NetrServerPasswordSet2', r.status);
    }, false);
    pw.fill(0);
  }

  /**
   * 3.4.5.3 network logon (NTLM pass-through, MS-APDS 3.1): NetrLogonSamLogonEx over the sealed
   * secure-RPC connection when one is configured (SAM_INFO4, keys in clear inside the sealed
   * PDU), otherwise NetrLogonSamLogonWithFlags with SAM_INFO2 and AES-encrypted session keys.
   * A failure NTSTATUS is a NetlogonStatusError.
   */
  async samLogonNetwork(req: NetworkLogonRequest): Promise<SamLogonResult> {
    const info: NetlogonLevel = {
      tag: LOGON_LEVEL.NetlogonNetworkInformation,
      value: {
        identity: {
          logonDomainName: req.domainName,
          parameterControl: req.parameterControl >>> 0,
          reserved: 0n,
          userName: req.userName,
          workstation: req.workstation,
        },
        lmChallenge: req.challenge,
        ntChallengeResponse: { length: req.ntResponse.length, maximumLength: req.ntResponse.length, buffer: req.ntResponse },
        lmChallengeResponse: { length: req.lmResponse.length, maximumLength: req.lmResponse.length, buffer: req.lmResponse },
      },
    };
    const { level, validation, status, sessionKey } = await this.samLogon(info, LOGON_LEVEL.NetlogonNetworkInformation, true);
    if (status !== STATUS_SUCCESS) throw new NetlogonStatusError('NetrLogonSamLogon', status);
    if (!validation || (validation.tag !== 2 && validation.tag !== 3 && validation.tag !== 6) || validation.value === null) {
      throw new NetlogonChannelError('the DC answered a logon without validation information');
    }
    const v = validation.value;
    const userSessionKey = level === 6 || isZero(v.userSessionKey) ? Buffer.from(v.userSessionKey) : aesCfb8Decrypt(sessionKey, v.userSessionKey);
    const lmSessionKey = level === 6 || isZero(v.lmKey) ? Buffer.from(v.lmKey) : aesCfb8Decrypt(sessionKey, v.lmKey);
    return { level, validation: v, userSessionKey, lmSessionKey };
  }

  /**
   * MS-APDS 3.2.5.2 KERB_VERIFY_PAC as a generic logon (package "Kerberos", validation level 5):
   * the LogonData is AES-CFB8 encrypted under the session key. True when the DC says the KDC
   * signature is its own.
   */
  async verifyPac(serverChecksum: Buffer, signatureType: number, signature: Buffer, domainName: string): Promise<boolean> {
    const data = Buffer.alloc(16 + serverChecksum.length + signature.length);
    data.writeUInt32LE(3, 0); // MessageType: KERB_VERIFY_PAC
    data.writeUInt32LE(serverChecksum.length, 4);
    data.writeInt32LE(signatureType, 8);
    data.writeUInt32LE(signature.length, 12);
    serverChecksum.copy(data, 16);
    signature.copy(data, 16 + serverChecksum.length);
    const info = (sessionKey: Buffer): NetlogonLevel => ({
      tag: LOGON_LEVEL.NetlogonGenericInformation,
      value: {
        identity: { logonDomainName: domainName, parameterControl: 0, reserved: 0n, userName: '', workstation: '' },
        packageName: 'Kerberos',
        logonData: aesCfb8Encrypt(sessionKey, data),
      },
    });
    const r = await this.samLogon(info, VALIDATION_LEVEL.NetlogonValidationGenericInfo2, false);
    return r.status === STATUS_SUCCESS;
  }

  /**
   * A generic pass-through logon (MS-NRPC 3.2.4.1, LogonLevel NetlogonGenericInformation,
   * validation level 5) to the package `packageName` on the DC, e.g. "WDigest" carrying a
   * DIGEST_VALIDATION_REQ (MS-APDS 3.3.5.1). The LogonData is AES-CFB8 encrypted under the
   * session key. Returns the package's answer (ValidationData); a failure NTSTATUS is a
   * NetlogonStatusError.
   */
  async genericLogon(packageName: string, logonData: Buffer, identity: { domainName: string; userName: string; workstation: string }): Promise<Buffer> {
    const info = (sessionKey: Buffer): NetlogonLevel => ({
      tag: LOGON_LEVEL.NetlogonGenericInformation,
      value: {
        identity: { logonDomainName: identity.domainName, parameterControl: 0, reserved: 0n, userName: identity.userName, workstation: identity.workstation },
        packageName,
        logonData: aesCfb8Encrypt(sessionKey, logonData),
      },
    });
    const r = await this.samLogon(info, VALIDATION_LEVEL.NetlogonValidationGenericInfo2, false);
    if (r.status !== STATUS_SUCCESS) throw new NetlogonStatusError('NetrLogonSamLogon (generic)', r.status);
    const v = r.validation;
    if (!v || v.tag !== 5 || !v.value || v.value.validationData === null) throw new NetlogonChannelError('the DC answered a generic logon without validation data');
    return Buffer.from(v.value.validationData);
  }

  /** One SamLogon call; `info` may be a function of the session key (generic logons encrypt their data). */
  private async samLogon(
    info: NetlogonLevel | ((sessionKey: Buffer) => NetlogonLevel),
    levelOrValidation: number,
    network: boolean,
  ): Promise<{ level: number; validation: NetlogonValidation | undefined; status: number; sessionKey: Buffer }> {
    return this.exclusive(async (ch) => {
      const logonInformation = typeof info === 'function' ? info(ch.sessionKey) : info;
      const logonLevel = Number(logonInformation.tag);
      if (ch.secure) {
        // SAM_INFO4 carries the session keys in clear: only asked for over a sealed bind (3.5.4.5.1).
        const sealedBind = ch.secure.level >= AUTHN_LEVEL.PKT_PRIVACY;
        const validationLevel = network ? (sealedBind ? VALIDATION_LEVEL.NetlogonValidationSamInfo4 : VALIDATION_LEVEL.NetlogonValidationSamInfo2) : levelOrValidation;
        const out = decodeParams(
          NetrLogonSamLogonExOut,
          await ch.secure.rpc.call(
            ch.secure.contextId,
            OPNUM.NetrLogonSamLogonEx,
            encodeParams(NetrLogonSamLogonExIn, {
              logonServer: this.primaryName,
              computerName: this.computerName,
              logonLevel,
              logonInformation,
              validationLevel,
              extraFlags: 0,
            }),
          ),
        );
        if (out.status === STATUS_ACCESS_DENIED) throw new ChannelGone();
        return { level: validationLevel, validation: out.validationInformation, status: out.status, sessionKey: ch.sessionKey };
      }
      const validationLevel = network ? VALIDATION_LEVEL.NetlogonValidationSamInfo2 : levelOrValidation;
      const r = await this.authenticated(ch, async (authenticator) => {
        const out = decodeParams(
          NetrLogonSamLogonWithFlagsOut,
          await ch.rpc.call(
            ch.contextId,
            OPNUM.NetrLogonSamLogonWithFlags,
            encodeParams(NetrLogonSamLogonWithFlagsIn, {
              logonServer: this.primaryName,
              computerName: this.computerName,
              authenticator,
              returnAuthenticator: { credential: Buffer.alloc(8), timestamp: 0 },
              logonLevel,
              logonInformation,
              validationLevel,
              extraFlags: 0,
            }),
          ),
        );
        return { status: out.status, ret: out.returnAuthenticator, validation: out.validationInformation };
      });
      return { level: validationLevel, validation: r.validation, status: r.status, sessionKey: ch.sessionKey };
    });
  }

  /** Closes the connection(s); later calls fail. */
  close(): void {
    this.closed = true;
    if (this.channel) this.drop(this.channel);
  }
}

/** The DC no longer has our channel (or the connection is gone): re-establish. */
class ChannelGone extends Error {
  constructor() {
    super('the secure channel is no longer known to the DC');
    this.name = 'ChannelGone';
  }
}

function isChannelGone(e: unknown): boolean {
  return e instanceof ChannelGone || isConnectionFailure(e);
}
