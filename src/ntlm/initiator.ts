// The NTLM initiator (MS-NLMP 3.1: the client side), behind the common SecurityContext:
// NEGOTIATE_MESSAGE, then on the CHALLENGE_MESSAGE an AUTHENTICATE_MESSAGE with an NTLMv2
// response whose blob carries the server's target info plus our MsvAvFlags (MIC present),
// channel bindings and target name, the MIC over all three messages, and a fresh session key
// sent under key exchange. NTLM does not authenticate the server: `peerName` stays unset.

import { ntHash } from '../crypto/index.js';
import { random as randomBytes } from '../crypto/random.js';
import { dateToFileTime } from '../pac/filetime.js';
import { SEC_E, SecurityError, type SecurityContext, type Step } from '../security/types.js';
import { contextFlagsFor, NtlmContextBase, toSecurityError } from './context.js';
import { computeMic, computeNtlmv2Response, NtlmSessionSecurity, ntowfV2, rc4k } from './crypto.js';
import {
  AUTHENTICATE_MIC_OFFSET,
  AV_FLAG,
  AV_ID,
  decodeAvPairs,
  decodeChallenge,
  encodeAuthenticate,
  encodeAvPairs,
  encodeNegotiate,
  encodeNtlmString,
  NtlmError,
  NTLMSSP,
  type AvPair,
  type NtlmVersion,
} from './messages.js';

export interface NtlmInitiatorOptions {
  /** The account name; '' (with no password or hash) for an anonymous logon. */
  user: string;
  /** The account's domain as the user typed it (NetBIOS or DNS name); part of NTOWFv2. */
  domain: string;
  password?: string;
  /** The NT hash (NTOWFv1) instead of the password. */
  ntHash?: Buffer;
  workstation?: string;
  /** Request integrity (NEGOTIATE_SIGN). */
  sign?: boolean;
  /** Request confidentiality (NEGOTIATE_SEAL; implies signing). */
  seal?: boolean;
  /** MsvAvChannelBindings to send (16 bytes, channelBindingsHash()); Z(16) when absent. */
  channelBindings?: Buffer;
  /** MsvAvTargetName: the SPN of the service, e.g. 'HTTP/web.example.test'. */
  targetName?: string;
  now?: () => Date;
  random?: (n: number) => Buffer;
  /** The VERSION to announce; default 10.0.20348 (as DEFAULT_SERVER_VERSION). */
  version?: NtlmVersion;
}

const DEFAULT_CLIENT_VERSION: NtlmVersion = { major: 10, minor: 0, build: 20348, revision: 0x0f };

export class NtlmInitiator extends NtlmContextBase implements SecurityContext {
  readonly role = 'initiator' as const;
  readonly peer = undefined;
  readonly peerName = undefined;
  private readonly o: NtlmInitiatorOptions;
  private negotiateBytes?: Buffer;
  private negotiateFlags = 0;

  constructor(options: NtlmInitiatorOptions) {
    super();
    this.o = options;
    if (options.ntHash !== undefined && options.ntHash.length !== 16) throw new SecurityError(SEC_E.NO_CREDENTIALS, 'an NT hash is 16 bytes');
    if (options.channelBindings !== undefined && options.channelBindings.length !== 16) {
      throw new SecurityError(SEC_E.BAD_BINDINGS, 'channel bindings must be the 16-byte MsvAvChannelBindings hash');
    }
  }

  private get anonymous(): boolean {
    return this.o.user === '' && this.o.password === undefined && this.o.ntHash === undefined;
  }

  async step(input?: Buffer): Promise<Step> {
    if (this.state === 'done' || this.state === 'failed') {
      throw new SecurityError(SEC_E.INVALID_HANDLE, 'the NTLM context is already complete or has failed');
    }
    try {
      if (this.state === 'initial') {
        if (input !== undefined && input.length > 0) throw new NtlmError('the initiator speaks first');
        return this.negotiate();
      }
      if (input === undefined || !Buffer.isBuffer(input) || input.length === 0) throw new NtlmError('no CHALLENGE_MESSAGE');
      return this.authenticate(input);
    } catch (e) {
      this.state = 'failed';
      throw toSecurityError(e);
    }
  }

  /** 3.1.5.1.1 */
  private negotiate(): Step {
    const wantSign = this.o.sign === true || this.o.seal === true;
    let flags =
      NTLMSSP.NEGOTIATE_UNICODE |
      NTLMSSP.NEGOTIATE_OEM |
      NTLMSSP.REQUEST_TARGET |
      NTLMSSP.NEGOTIATE_NTLM |
      NTLMSSP.NEGOTIATE_ALWAYS_SIGN |
      NTLMSSP.NEGOTIATE_EXTENDED_SESSIONSECURITY |
      NTLMSSP.NEGOTIATE_128 |
      NTLMSSP.NEGOTIATE_56;
    if (!this.anonymous) flags |= NTLMSSP.NEGOTIATE_KEY_EXCH;
    if (wantSign) flags |= NTLMSSP.NEGOTIATE_SIGN;
    if (this.o.seal) flags |= NTLMSSP.NEGOTIATE_SEAL;
    this.negotiateBytes = encodeNegotiate({ flags, domainName: '', workstation: '', version: this.o.version ?? DEFAULT_CLIENT_VERSION });
    this.negotiateFlags = flags | NTLMSSP.NEGOTIATE_VERSION;
    this.state = 'waiting';
    return { done: false, output: this.negotiateBytes };
  }

  /** 3.1.5.1.2 */
  private authenticate(input: Buffer): Step {
    const chal = decodeChallenge(input);
    const wantSign = this.o.sign === true || this.o.seal === true;
    let flags = (this.negotiateFlags & chal.flags) >>> 0;
    // Exactly one character set: Unicode when the server agreed to it.
    flags &= ~(NTLMSSP.NEGOTIATE_UNICODE | NTLMSSP.NEGOTIATE_OEM);
    flags |= (chal.flags & NTLMSSP.NEGOTIATE_UNICODE) !== 0 ? NTLMSSP.NEGOTIATE_UNICODE : NTLMSSP.NEGOTIATE_OEM;
    if (wantSign) {
      const need = NTLMSSP.NEGOTIATE_SIGN | NTLMSSP.NEGOTIATE_EXTENDED_SESSIONSECURITY | (this.o.seal ? NTLMSSP.NEGOTIATE_SEAL | NTLMSSP.NEGOTIATE_128 : 0);
      if ((flags & need) !== need) {
        throw new SecurityError(SEC_E.UNSUPPORTED_FUNCTION, 'the server did not agree to the requested NTLM signing/sealing');
      }
    }
    const serverPairs = chal.targetInfo.length > 0 ? decodeAvPairs(chal.targetInfo) : [];
    const now = this.o.now ? this.o.now() : new Date();
    const random = this.o.random ?? randomBytes;
    const workstation = this.o.workstation ?? '';

    if (this.anonymous) {
      // 3.1.5.1.2: anonymous = empty NT response, LM response Z(1); no session security (3.4).
      flags = (flags | NTLMSSP.ANONYMOUS) & ~(NTLMSSP.NEGOTIATE_SIGN | NTLMSSP.NEGOTIATE_SEAL | NTLMSSP.NEGOTIATE_KEY_EXCH);
      const out = encodeAuthenticate({
        flags,
        lmChallengeResponse: Buffer.alloc(1),
        ntChallengeResponse: Buffer.alloc(0),
        domainName: '',
        userName: '',
        workstation,
        encryptedRandomSessionKey: Buffer.alloc(0),
        version: this.o.version ?? DEFAULT_CLIENT_VERSION,
      });
      this.finish(flags, undefined, true);
      return { done: true, output: out };
    }

    const serverTime = serverPairs.find((p) => p.id === AV_ID.MsvAvTimestamp);
    if (serverTime !== undefined && serverTime.value.length !== 8) throw new NtlmError('MsvAvTimestamp must be 8 bytes');
    // 3.1.5.1.2: a MIC when the server sent a timestamp (it then understands MICs).
    const withMic = serverTime !== undefined;
    const timestamp = serverTime ? serverTime.value.readBigUInt64LE(0) : dateToFileTime(now);
    const clientPairs = this.clientAvPairs(serverPairs, withMic);

    const nt = this.o.ntHash ?? ntHash(this.o.password ?? '');
    const responseKeyNT = ntowfV2(nt, this.o.user, this.o.domain);
    const clientChallenge = Buffer.from(random(8));
    const r = computeNtlmv2Response(responseKeyNT, chal.serverChallenge, clientChallenge, timestamp, encodeAvPairs(clientPairs));
    // 3.1.5.1.2: with a server timestamp the LM response is Z(24) (it would not cover the blob).
    const lmResponse = withMic ? Buffer.alloc(24) : r.lmChallengeResponse;
    const keyExchangeKey = r.sessionBaseKey; // 3.4.5.1 KXKEY for NTLM v2
    let exportedSessionKey = keyExchangeKey;
    let encryptedRandomSessionKey: Buffer = Buffer.alloc(0);
    if ((flags & NTLMSSP.NEGOTIATE_KEY_EXCH) !== 0) {
      exportedSessionKey = Buffer.from(random(16));
      encryptedRandomSessionKey = rc4k(keyExchangeKey, exportedSessionKey);
    }
    const out = encodeAuthenticate({
      flags,
      lmChallengeResponse: lmResponse,
      ntChallengeResponse: r.ntChallengeResponse,
      domainName: this.o.domain,
      userName: this.o.user,
      workstation,
      encryptedRandomSessionKey,
      version: this.o.version ?? DEFAULT_CLIENT_VERSION,
      mic: withMic ? Buffer.alloc(16) : undefined,
    });
    if (withMic) {
      computeMic(exportedSessionKey, this.negotiateBytes!, input, out).copy(out, AUTHENTICATE_MIC_OFFSET);
      this.micExchanged = true;
    }
    this.finish(flags, exportedSessionKey, false);
    return { done: true, output: out };
  }

  /** The server's pairs, then ours: MsvAvFlags, MsvAvChannelBindings, MsvAvTargetName (3.1.5.1.2). */
  private clientAvPairs(serverPairs: AvPair[], withMic: boolean): AvPair[] {
    const ours = new Set<number>([AV_ID.MsvAvFlags, AV_ID.MsvAvChannelBindings, AV_ID.MsvAvTargetName]);
    const pairs = serverPairs.filter((p) => !ours.has(p.id));
    const serverFlags = serverPairs.find((p) => p.id === AV_ID.MsvAvFlags);
    let avFlags = serverFlags && serverFlags.value.length === 4 ? serverFlags.value.readUInt32LE(0) : 0;
    if (withMic) avFlags |= AV_FLAG.MIC_PRESENT;
    if (avFlags !== 0) {
      const f = Buffer.alloc(4);
      f.writeUInt32LE(avFlags >>> 0);
      pairs.push({ id: AV_ID.MsvAvFlags, value: f });
    }
    pairs.push({ id: AV_ID.MsvAvChannelBindings, value: this.o.channelBindings ?? Buffer.alloc(16) });
    pairs.push({ id: AV_ID.MsvAvTargetName, value: encodeNtlmString(this.o.targetName ?? '', true) });
    return pairs;
  }

  private finish(flags: number, exportedSessionKey: Buffer | undefined, anonymous: boolean): void {
    if (exportedSessionKey && (flags & (NTLMSSP.NEGOTIATE_SIGN | NTLMSSP.NEGOTIATE_SEAL)) !== 0) {
      this.security = new NtlmSessionSecurity(flags, exportedSessionKey, 'client');
    }
    this.exportedSessionKey = exportedSessionKey;
    this.negFlags = flags;
    this.ctxFlags = contextFlagsFor(flags, anonymous);
    this.negotiateBytes = undefined;
    this.state = 'done';
  }
}
