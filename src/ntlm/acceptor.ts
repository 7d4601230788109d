// The NTLM acceptor (MS-NLMP 3.2: the server side), behind the common SecurityContext:
//
//   NEGOTIATE_MESSAGE  → CHALLENGE_MESSAGE (random ServerChallenge, target info with MsvAvTimestamp)
//   AUTHENTICATE_MESSAGE → the domain validates the response (MS-APDS 3.1, through the
//                          DomainAuthority), then the MIC, channel bindings and key exchange are
//                          checked here, where the NEGOTIATE/CHALLENGE bytes are.
//
// Which responses are accepted: NTLMv2 always; NTLMv1 only when `allowNtlmV1`; LM alone never;
// anonymous (3.2.5.1.2) only when `allowAnonymous`. A MIC announced by the client (MsvAvFlags
// 0x2) must be present and right: stripping it, zeroing it or altering anything it covers
// (including the NEGOTIATE flags) fails the logon ("drop the MIC", CVE-2019-1040).

import { dateToFileTime } from '../pac/filetime.js';
import { random as randomBytes } from '../crypto/random.js';
import { STATUS_LOGON_FAILURE } from '../directory/ntstatus.js';
import {
  LOGON_TYPE_SID,
  NTLM_AUTHENTICATION,
  SE_GROUP_ENABLED,
  SE_GROUP_ENABLED_BY_DEFAULT,
  SE_GROUP_MANDATORY,
} from '../security/logon-token.js';
import {
  SEC_E,
  SecurityError,
  type DomainAuthority,
  type LogonToken,
  type NtlmValidationResult,
  type SecurityContext,
  type Step,
} from '../security/types.js';
import { contextFlagsFor, NtlmContextBase, toSecurityError } from './context.js';
import { bytesEqual, computeMic, kxkey, ntlmv1EssChallenge, NtlmSessionSecurity, rc4k } from './crypto.js';
import {
  AV_FLAG,
  decodeAuthenticate,
  decodeNegotiate,
  decodeNtlmv2Response,
  encodeAvPairs,
  encodeChallenge,
  NtlmError,
  NTLMSSP,
  pairsFromTargetInfo,
  targetInfoFromPairs,
  zeroMic,
  type AuthenticateMessage,
  type NtlmVersion,
  type TargetInfo,
} from './messages.js';

/** MS-NRPC 2.2.1.4.5 ParameterControl bits an NTLM network logon passes to the DC. */
export const MSV1_0 = {
  CLEARTEXT_PASSWORD_ALLOWED: 0x2,
  ALLOW_SERVER_TRUST_ACCOUNT: 0x20,
  ALLOW_WORKSTATION_TRUST_ACCOUNT: 0x800,
} as const;

/** The VERSION authso announces by default (Windows Server 2022, NTLMSSP_REVISION_W2K3). */
export const DEFAULT_SERVER_VERSION: NtlmVersion = { major: 10, minor: 0, build: 20348, revision: 0x0f };

export interface NtlmAcceptorOptions {
  authority: DomainAuthority;
  /** This server's NetBIOS name, e.g. 'WEB' (MsvAvNbComputerName). */
  netbiosComputerName: string;
  /** The domain's NetBIOS name, e.g. 'EXAMPLE' (MsvAvNbDomainName, TargetName). */
  netbiosDomainName: string;
  /** This server's DNS name, e.g. 'web.example.test' (MsvAvDnsComputerName). */
  dnsComputerName: string;
  /** The domain's DNS name, e.g. 'example.test' (MsvAvDnsDomainName). */
  dnsDomainName: string;
  /** The forest's DNS name (MsvAvDnsTreeName); default dnsDomainName. */
  dnsTreeName?: string;
  /** Accept NTLMv1 (24-byte) responses. Default false: LmCompatibilityLevel 5 behaviour. */
  allowNtlmV1?: boolean;
  /** Accept anonymous AUTHENTICATE messages (ANONYMOUS LOGON, S-1-5-7). Default false. */
  allowAnonymous?: boolean;
  /**
   * The MsvAvChannelBindings value expected (16 bytes, channelBindingsHash() of the outer TLS
   * channel): Extended Protection for Authentication. Absent: bindings are not checked.
   */
  channelBindings?: Buffer;
  /** With channelBindings: also accept clients that send none or all-zero bindings (EPA "when supported"). */
  channelBindingsLenient?: boolean;
  /** MS-NRPC ParameterControl for the validation; default allows workstation and server trust accounts. */
  parameterControl?: number;
  now?: () => Date;
  /** Source of the ServerChallenge (tests make it deterministic). */
  random?: (n: number) => Buffer;
  version?: NtlmVersion;
}

const ANONYMOUS_LOGON_SID = 'S-1-5-7';
const DEFAULT_ATTRS = SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED;

/**
 * The token of an anonymous NTLM logon (MS-NLMP 3.2.5.1.2; MS-DTYP 2.4.2.4 ANONYMOUS LOGON).
 * Everyone is not included: Windows' default ("Let Everyone permissions apply to anonymous
 * users" disabled) keeps anonymous callers out of Everyone's grants.
 */
export function anonymousLogonToken(): LogonToken {
  return {
    userSid: ANONYMOUS_LOGON_SID,
    primaryGroupSid: ANONYMOUS_LOGON_SID,
    groups: [
      { sid: LOGON_TYPE_SID.network, attributes: DEFAULT_ATTRS },
      { sid: NTLM_AUTHENTICATION, attributes: DEFAULT_ATTRS },
    ],
    privileges: [],
    logonType: 'network',
    authPackage: 'NTLM',
    userName: 'ANONYMOUS LOGON',
    domainName: 'NT AUTHORITY',
    logonServer: '',
    profile: { fullName: '', homeDirectory: '', homeDrive: '', logonScript: '', profilePath: '' },
    userAccountControl: 0,
  };
}

/** Capabilities the acceptor echoes when the client asks for them (3.2.5.1.1). */
const ECHOED_FLAGS =
  NTLMSSP.NEGOTIATE_SIGN |
  NTLMSSP.NEGOTIATE_SEAL |
  NTLMSSP.NEGOTIATE_ALWAYS_SIGN |
  NTLMSSP.NEGOTIATE_EXTENDED_SESSIONSECURITY |
  NTLMSSP.NEGOTIATE_KEY_EXCH |
  NTLMSSP.NEGOTIATE_128 |
  NTLMSSP.NEGOTIATE_56 |
  NTLMSSP.NEGOTIATE_IDENTIFY;

function isAnonymous(m: AuthenticateMessage): boolean {
  // 3.2.5.1.2: no user, no NT response, and an LM response that is empty or Z(1).
  const lm = m.lmChallengeResponse;
  return m.userName === '' && m.ntChallengeResponse.length === 0 && (lm.length === 0 || (lm.length === 1 && lm[0] === 0));
}

export class NtlmAcceptor extends NtlmContextBase implements SecurityContext {
  readonly role = 'acceptor' as const;
  private token?: LogonToken;
  private clientName?: string;
  private claimed?: string;
  private readonly o: NtlmAcceptorOptions;
  private negotiateBytes?: Buffer;
  private challengeBytes?: Buffer;
  private serverChallenge?: Buffer;
  private challengeFlags = 0;

  constructor(options: NtlmAcceptorOptions) {
    super();
    this.o = options;
    if (options.channelBindings !== undefined && options.channelBindings.length !== 16) {
      throw new SecurityError(SEC_E.BAD_BINDINGS, 'expected channel bindings must be the 16-byte MsvAvChannelBindings hash');
    }
  }

  /** Who the client is, once done (the DC's token; ANONYMOUS LOGON for an anonymous logon). */
  get peer(): LogonToken | undefined {
    return this.token;
  }

  /** 'DOMAIN\\user' of the client, once done. */
  get peerName(): string | undefined {
    return this.clientName;
  }

  /** 'DOMAIN\\user' as the AUTHENTICATE_MESSAGE gave it (for audit lines of failures). */
  get claimedName(): string | undefined {
    return this.claimed;
  }

  async step(input?: Buffer): Promise<Step> {
    if (this.state === 'done' || this.state === 'failed') {
      throw new SecurityError(SEC_E.INVALID_HANDLE, 'the NTLM context is already complete or has failed');
    }
    try {
      if (input === undefined || !Buffer.isBuffer(input) || input.length === 0) throw new NtlmError('no token');
      if (this.state === 'initial') return this.onNegotiate(input);
      return await this.onAuthenticate(input);
    } catch (e) {
      this.state = 'failed';
      throw toSecurityError(e);
    }
  }

  private now(): Date {
    return this.o.now ? this.o.now() : new Date();
  }

  /** 3.2.5.1.1: NEGOTIATE_MESSAGE in, CHALLENGE_MESSAGE out. */
  private onNegotiate(input: Buffer): Step {
    const neg = decodeNegotiate(input);
    const c = neg.flags;
    this.checkMinimumSecurity(c);
    let flags = NTLMSSP.NEGOTIATE_NTLM | NTLMSSP.NEGOTIATE_TARGET_INFO | (c & ECHOED_FLAGS);
    flags |= (c & NTLMSSP.NEGOTIATE_UNICODE) !== 0 ? NTLMSSP.NEGOTIATE_UNICODE : NTLMSSP.NEGOTIATE_OEM;
    const requestTarget = (c & NTLMSSP.REQUEST_TARGET) !== 0;
    // A domain member names its domain as the target (3.2.5.1.1).
    if (requestTarget) flags |= NTLMSSP.REQUEST_TARGET | NTLMSSP.TARGET_TYPE_DOMAIN;
    const random = this.o.random ?? randomBytes;
    const serverChallenge = Buffer.from(random(8));
    if (serverChallenge.length !== 8) throw new SecurityError(SEC_E.INTERNAL_ERROR, 'challenge source returned the wrong length');
    const ti: TargetInfo = {
      nbDomainName: this.o.netbiosDomainName,
      nbComputerName: this.o.netbiosComputerName,
      dnsDomainName: this.o.dnsDomainName,
      dnsComputerName: this.o.dnsComputerName,
      dnsTreeName: this.o.dnsTreeName ?? this.o.dnsDomainName,
      // Its presence tells clients to send a MIC (3.1.5.1.2).
      timestamp: dateToFileTime(this.now()),
    };
    const challenge = encodeChallenge({
      flags,
      targetName: requestTarget ? this.o.netbiosDomainName : '',
      serverChallenge,
      targetInfo: encodeAvPairs(pairsFromTargetInfo(ti)),
      version: this.o.version ?? DEFAULT_SERVER_VERSION,
    });
    this.negotiateBytes = Buffer.from(input);
    this.challengeBytes = challenge;
    this.serverChallenge = serverChallenge;
    this.challengeFlags = flags | NTLMSSP.NEGOTIATE_VERSION;
    this.state = 'waiting';
    return { done: false, output: challenge };
  }

  /** 3.2.5.1.2: AUTHENTICATE_MESSAGE in, the logon decided. */
  private async onAuthenticate(input: Buffer): Promise<Step> {
    const auth = decodeAuthenticate(input);
    this.claimed = `${auth.domainName}\\${auth.userName}`.slice(0, 256);
    // Only what both sides announced is in force; a flag the client adds is ignored.
    const flags = (auth.flags & this.challengeFlags) >>> 0;
    const serverChallenge = this.serverChallenge!;
    // The same minimum as at NEGOTIATE, on what the client finally chose (it may drop flags).
    this.checkMinimumSecurity(flags);

    if (isAnonymous(auth)) {
      if (!this.o.allowAnonymous) {
        throw new SecurityError(SEC_E.LOGON_DENIED, 'anonymous NTLM logons are not allowed', { ntstatus: STATUS_LOGON_FAILURE });
      }
      // 3.4: no session security for ANONYMOUS.
      this.token = anonymousLogonToken();
      this.clientName = 'NT AUTHORITY\\ANONYMOUS LOGON';
      this.ctxFlags = contextFlagsFor(flags, true);
      this.negFlags = flags;
      this.state = 'done';
      return { done: true };
    }

    const nt = auth.ntChallengeResponse;
    let result: NtlmValidationResult;
    let keyExchangeKey: Buffer;
    let clientInfo: TargetInfo | undefined;
    if (nt.length > 24) {
      // NTLMv2 (3.3.2). Structural checks first, so that a tampered message is refused without
      // spending a password check on it.
      const v2 = decodeNtlmv2Response(nt);
      clientInfo = targetInfoFromPairs(v2.clientChallenge.avPairs);
      const micAnnounced = ((clientInfo.flags ?? 0) & AV_FLAG.MIC_PRESENT) !== 0;
      if (micAnnounced && (auth.mic === undefined || auth.mic.every((b) => b === 0))) {
        throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'the client announced a MIC but the AUTHENTICATE_MESSAGE carries none');
      }
      this.checkChannelBindings(clientInfo);
      result = await this.validate(auth, serverChallenge);
      keyExchangeKey = kxkey(flags, result.userSessionKey, auth.lmChallengeResponse, serverChallenge, true);
    } else if (nt.length === 24) {
      if (!this.o.allowNtlmV1) {
        throw new SecurityError(SEC_E.LOGON_DENIED, 'NTLMv1 responses are not accepted', { ntstatus: STATUS_LOGON_FAILURE });
      }
      if (this.o.channelBindings !== undefined && !this.o.channelBindingsLenient) {
        throw new SecurityError(SEC_E.BAD_BINDINGS, 'NTLMv1 cannot carry channel bindings');
      }
      // 3.3.1 with extended session security: the DC verifies against the derived challenge.
      const ess = (flags & NTLMSSP.NEGOTIATE_EXTENDED_SESSIONSECURITY) !== 0;
      if (ess && auth.lmChallengeResponse.length < 8) throw new NtlmError('LmChallengeResponse lacks the client challenge');
      const challenge = ess ? ntlmv1EssChallenge(serverChallenge, auth.lmChallengeResponse.subarray(0, 8)) : serverChallenge;
      result = await this.validate(auth, challenge);
      keyExchangeKey = kxkey(flags, result.userSessionKey, auth.lmChallengeResponse, serverChallenge, false);
    } else if (nt.length === 0 && auth.lmChallengeResponse.length === 24) {
      throw new SecurityError(SEC_E.LOGON_DENIED, 'LM responses are not accepted', { ntstatus: STATUS_LOGON_FAILURE });
    } else {
      throw new NtlmError(`NtChallengeResponse of ${nt.length} bytes is neither NTLMv1 nor NTLMv2`);
    }

    // 3.2.5.1.2 key exchange: the client chose the session key and sent it under KXKEY.
    let exportedSessionKey = keyExchangeKey;
    if ((flags & NTLMSSP.NEGOTIATE_KEY_EXCH) !== 0) {
      if (auth.encryptedRandomSessionKey.length !== 16) throw new NtlmError('KEY_EXCH negotiated without a 16-byte EncryptedRandomSessionKey');
      exportedSessionKey = rc4k(keyExchangeKey, auth.encryptedRandomSessionKey);
    }

    if (clientInfo && ((clientInfo.flags ?? 0) & AV_FLAG.MIC_PRESENT) !== 0) {
      const expected = computeMic(exportedSessionKey, this.negotiateBytes!, this.challengeBytes!, zeroMic(input));
      if (!bytesEqual(expected, auth.mic!)) {
        throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'the MIC of the NTLM exchange is wrong (a message was altered)');
      }
      this.micExchanged = true;
    }

    if ((flags & (NTLMSSP.NEGOTIATE_SIGN | NTLMSSP.NEGOTIATE_SEAL)) !== 0) {
      this.security = new NtlmSessionSecurity(flags, exportedSessionKey, 'server');
    }
    this.exportedSessionKey = exportedSessionKey;
    this.token = { ...result.token, sessionKey: exportedSessionKey };
    this.clientName = `${result.token.domainName}\\${result.token.userName}`;
    this.ctxFlags = contextFlagsFor(flags, false);
    this.negFlags = flags;
    this.negotiateBytes = undefined;
    this.challengeBytes = undefined;
    this.state = 'done';
    return { done: true };
  }

  /**
   * NtlmMinServerSec (3.2.5.1.1): signing or sealing only with extended session security (no
   * NTLM v1 CRC32 signatures, no LM-derived keys), and sealing only with 128-bit keys.
   */
  private checkMinimumSecurity(flags: number): void {
    if ((flags & (NTLMSSP.NEGOTIATE_SIGN | NTLMSSP.NEGOTIATE_SEAL)) !== 0 && (flags & NTLMSSP.NEGOTIATE_EXTENDED_SESSIONSECURITY) === 0) {
      throw new SecurityError(SEC_E.UNSUPPORTED_FUNCTION, 'NTLM signing and sealing require extended session security');
    }
    if ((flags & NTLMSSP.NEGOTIATE_SEAL) !== 0 && (flags & NTLMSSP.NEGOTIATE_128) === 0) {
      throw new SecurityError(SEC_E.UNSUPPORTED_FUNCTION, 'NTLM sealing requires 128-bit keys');
    }
  }

  /** Extended Protection (MS-NLMP 3.2.5.1.2 / MS-NLMP 2.2.2.1 MsvAvChannelBindings). */
  private checkChannelBindings(ti: TargetInfo): void {
    const expected = this.o.channelBindings;
    if (expected === undefined) return;
    const got = ti.channelBindings;
    if (got !== undefined && bytesEqual(got, expected)) return;
    const unbound = got === undefined || got.every((b) => b === 0);
    if (unbound && this.o.channelBindingsLenient) return;
    throw new SecurityError(SEC_E.BAD_BINDINGS, 'the NTLM channel bindings do not match this channel');
  }

  private async validate(auth: AuthenticateMessage, serverChallenge: Buffer): Promise<NtlmValidationResult> {
    try {
      return await this.o.authority.validateNtlm({
        userName: auth.userName,
        domainName: auth.domainName,
        workstation: auth.workstation,
        serverChallenge,
        ntResponse: auth.ntChallengeResponse,
        lmResponse: auth.lmChallengeResponse,
        logonType: 'network',
        parameterControl: this.o.parameterControl ?? MSV1_0.ALLOW_SERVER_TRUST_ACCOUNT | MSV1_0.ALLOW_WORKSTATION_TRUST_ACCOUNT,
      });
    } catch (e) {
      throw toSecurityError(e, SEC_E.NO_AUTHENTICATING_AUTHORITY);
    }
  }
}
