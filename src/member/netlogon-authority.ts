// The member server's DomainAuthority (MS-APDS 3.1 / 3.2 over MS-NRPC): what the DC's
// DirectoryAuthority decides locally, a member asks its DC over the Netlogon secure channel.
// Acceptors (NtlmAcceptor, KerberosAcceptor) cannot tell the two apart: the same LogonToken
// shape (built by logonTokenFromValidationInfo from the validation info the DC returns), the
// same session keys, the same SecurityError codes with the DC's NTSTATUS.

import { ALG_TYPE, ApdsFormatError, CHARSET_TYPE, DIGEST_FLAG_FORMAT_BY_DC, DIGEST_TYPE, QOP_TYPE, decodeDigestValidationResp, encodeDigestValidationReq } from '../digest/apds.js';
import { ntStatusName } from '../directory/ntstatus.js';
import { NetlogonChannelError, NetlogonClient, NetlogonStatusError, type NetlogonClientOptions, type SamLogonResult } from '../netlogon/client.js';
import { decodeKerbValidationInfo, decodePac, findPacBuffer } from '../pac/index.js';
import { PAC_TYPE, type KerbValidationInfo } from '../pac/types.js';
import { logonTokenFromValidationInfo } from '../security/logon-token.js';
import {
  SEC_E,
  SecurityError,
  type DigestValidationRequest,
  type DigestValidationResult,
  type DomainAuthority,
  type NtlmValidationRequest,
  type NtlmValidationResult,
} from '../security/types.js';

export interface NetlogonAuthorityOptions extends NetlogonClientOptions {
  /** NetBIOS name of the domain (for KERB_VERIFY_PAC's identity). */
  domainName: string;
  /** DNS name of the domain: the token's dnsDomainName (SAM_INFO2 does not carry it). */
  dnsDomainName: string;
  /**
   * How long a PAC KDC signature the DC confirmed stays confirmed (default 300 000 ms; 0 = ask
   * every time). A client reusing one service ticket sends the same PAC with every new
   * authenticator: the answer cannot change while the krbtgt key that signed it is kept.
   */
  pacVerifyCacheMs?: number;
}

/** Most confirmed PAC signatures remembered (oldest dropped first). */
const PAC_CACHE_MAX = 10_000;

/** The validation info of SAM_INFO/2/4 as MS-PAC's KERB_VALIDATION_INFO (the same members, 2.2.1.4.11). */
export function kerbValidationInfoOf(r: SamLogonResult): KerbValidationInfo {
  const v = r.validation;
  const extra = 'extraSids' in v && v.extraSids ? v.extraSids : [];
  if (v.logonDomainId === null) throw new SecurityError(SEC_E.INTERNAL_ERROR, 'the DC answered validation information without a domain SID');
  return {
    logonTime: v.logonTime,
    logoffTime: v.logoffTime,
    kickOffTime: v.kickOffTime,
    passwordLastSet: v.passwordLastSet,
    passwordCanChange: v.passwordCanChange,
    passwordMustChange: v.passwordMustChange,
    effectiveName: v.effectiveName ?? '',
    fullName: v.fullName ?? '',
    logonScript: v.logonScript ?? '',
    profilePath: v.profilePath ?? '',
    homeDirectory: v.homeDirectory ?? '',
    homeDirectoryDrive: v.homeDirectoryDrive ?? '',
    logonCount: v.logonCount,
    badPasswordCount: v.badPasswordCount,
    userId: v.userId,
    primaryGroupId: v.primaryGroupId,
    groupIds: (v.groupIds ?? []).map((g) => ({ relativeId: g.relativeId, attributes: g.attributes })),
    userFlags: v.userFlags,
    userSessionKey: Buffer.from(r.userSessionKey),
    logonServer: v.logonServer ?? '',
    logonDomainName: v.logonDomainName ?? '',
    logonDomainId: v.logonDomainId,
    userAccountControl: v.userAccountControl,
    subAuthStatus: v.subAuthStatus,
    lastSuccessfulILogon: v.lastSuccessfulILogon,
    lastFailedILogon: v.lastFailedILogon,
    failedILogonCount: v.failedILogonCount,
    extraSids: extra.filter((s): s is { sid: string; attributes: number } => s.sid !== null).map((s) => ({ sid: s.sid, attributes: s.attributes })),
    resourceGroupIds: [],
  };
}

export class NetlogonAuthority implements DomainAuthority {
  readonly client: NetlogonClient;
  private readonly o: NetlogonAuthorityOptions;
  /** KDC signatures the DC confirmed: key → until (ms). */
  private readonly confirmedPacs = new Map<string, number>();

  constructor(o: NetlogonAuthorityOptions, client?: NetlogonClient) {
    this.o = o;
    // Windows' "secure RPC": logons over a sealed type-68 bind (NetrLogonSamLogonEx) unless
    // asked not to; a DC without the provider gets NetrLogonSamLogonWithFlags.
    this.client = client ?? new NetlogonClient({ ...o, secureRpc: o.secureRpc ?? true });
  }

  async validateNtlm(req: NtlmValidationRequest): Promise<NtlmValidationResult> {
    if (!Buffer.isBuffer(req.serverChallenge) || req.serverChallenge.length !== 8 || !Buffer.isBuffer(req.ntResponse) || !Buffer.isBuffer(req.lmResponse)) {
      throw new SecurityError(SEC_E.INVALID_TOKEN, 'malformed NTLM validation request');
    }
    let r: SamLogonResult;
    try {
      r = await this.client.samLogonNetwork({
        userName: typeof req.userName === 'string' ? req.userName : '',
        domainName: typeof req.domainName === 'string' ? req.domainName : '',
        workstation: typeof req.workstation === 'string' ? req.workstation : '',
        challenge: req.serverChallenge,
        ntResponse: req.ntResponse,
        lmResponse: req.lmResponse,
        parameterControl: typeof req.parameterControl === 'number' ? req.parameterControl : 0,
      });
    } catch (e) {
      throw mapError(e, 'NTLM pass-through logon');
    }
    const info = kerbValidationInfoOf(r);
    const upn = r.level === 6 && 'upn' in r.validation && r.validation.upn ? r.validation.upn : `${info.effectiveName}@${this.o.dnsDomainName}`;
    const dns = r.level === 6 && 'dnsLogonDomainName' in r.validation && r.validation.dnsLogonDomainName ? r.validation.dnsLogonDomainName : this.o.dnsDomainName;
    const token = logonTokenFromValidationInfo(info, { logonType: 'network', authPackage: 'NTLM', dnsDomainName: dns, upn });
    return { token, userSessionKey: r.userSessionKey, lmSessionKey: r.lmSessionKey };
  }

  async verifyPacKdcSignature(serverChecksum: Buffer, kdcSignatureType: number, kdcSignature: Buffer): Promise<boolean> {
    if (!Buffer.isBuffer(serverChecksum) || !Buffer.isBuffer(kdcSignature) || !Number.isInteger(kdcSignatureType)) return false;
    if (serverChecksum.length > 64 || kdcSignature.length > 64) return false;
    // Only confirmations are remembered: a refusal is asked again (the DC may have been
    // mid-rotation), and a forged signature never matches a confirmed one.
    const ttl = this.o.pacVerifyCacheMs ?? 300_000;
    const key = `${kdcSignatureType}:${serverChecksum.toString('base64')}:${kdcSignature.toString('base64')}`;
    const now = Date.now();
    const until = this.confirmedPacs.get(key);
    if (until !== undefined && until > now) return true;
    let ok: boolean;
    try {
      ok = await this.client.verifyPac(serverChecksum, kdcSignatureType, kdcSignature, this.o.domainName);
    } catch (e) {
      throw mapError(e, 'KERB_VERIFY_PAC');
    }
    if (ok && ttl > 0) {
      this.confirmedPacs.delete(key);
      if (this.confirmedPacs.size >= PAC_CACHE_MAX) {
        const oldest = this.confirmedPacs.keys().next();
        if (!oldest.done) this.confirmedPacs.delete(oldest.value);
      }
      this.confirmedPacs.set(key, now + ttl);
    }
    return ok;
  }

  /**
   * MS-APDS 3.3.5.1: the Digest response goes to the DC as a DIGEST_VALIDATION_REQ in a
   * generic pass-through logon to "WDigest" (MS-NRPC 3.2.4.1); the DC checks it against the
   * user's stored WDigest hash, counts a bad password, and answers a DIGEST_VALIDATION_RESP
   * with the session H(A1) and the user's PAC, whose KERB_VALIDATION_INFO becomes the token.
   * Strings travel as UTF-8 (CharsetType) so any user name survives; the DC works out the
   * name's format (Flags bit A).
   */
  async validateDigest(req: DigestValidationRequest): Promise<DigestValidationResult> {
    const str = (v: unknown): v is string => typeof v === 'string' && v.length <= 8192 && !v.includes('\0');
    if (![req.username, req.realm, req.nonce, req.cnonce, req.nc, req.method, req.uri, req.response].every(str) || req.qop !== 'auth') {
      throw new SecurityError(SEC_E.INVALID_TOKEN, 'malformed Digest validation request');
    }
    if (req.algorithm !== 'MD5' && req.algorithm !== 'MD5-sess') throw new SecurityError(SEC_E.INVALID_TOKEN, 'Digest algorithm not supported');
    let data: Buffer;
    try {
      data = encodeDigestValidationReq({
        digestType: DIGEST_TYPE.HTTP,
        qopType: QOP_TYPE.AUTH,
        algType: req.algorithm === 'MD5-sess' ? ALG_TYPE.MD5_SESS : ALG_TYPE.MD5,
        charsetType: CHARSET_TYPE.UTF_8,
        nameFormat: 0,
        flags: DIGEST_FLAG_FORMAT_BY_DC,
        username: req.username,
        realm: req.realm,
        nonce: req.nonce,
        cnonce: req.cnonce,
        nonceCount: req.nc,
        algorithm: req.algorithm,
        qop: req.qop,
        method: req.method,
        uri: req.uri,
        response: req.response,
        hentity: '',
        authzid: '',
        accountName: req.username,
        domain: this.o.domainName,
        serverName: this.client.computerName,
      });
    } catch (e) {
      if (e instanceof ApdsFormatError) throw new SecurityError(SEC_E.INVALID_TOKEN, `Digest validation request: ${e.message}`);
      throw e;
    }
    let answer: Buffer;
    try {
      answer = await this.client.genericLogon('WDigest', data, { domainName: this.o.domainName, userName: req.username, workstation: this.client.computerName });
    } catch (e) {
      throw mapError(e, 'Digest pass-through logon');
    }
    let info: KerbValidationInfo;
    let sessionKey: Buffer;
    try {
      const resp = decodeDigestValidationResp(answer);
      if (resp.status !== 0) throw new SecurityError(SEC_E.LOGON_DENIED, `Digest logon refused by the DC (${ntStatusName(resp.status)})`, { ntstatus: resp.status });
      if (!/^[0-9a-fA-F]{32}$/.test(resp.sessionKey)) throw new ApdsFormatError('session key is not 32 hex digits');
      sessionKey = Buffer.from(resp.sessionKey, 'hex');
      const logonInfo = findPacBuffer(decodePac(resp.authData), PAC_TYPE.LOGON_INFO);
      if (!logonInfo) throw new ApdsFormatError('no KERB_VALIDATION_INFO in the answer');
      info = decodeKerbValidationInfo(logonInfo);
    } catch (e) {
      if (e instanceof SecurityError) throw e;
      throw new SecurityError(SEC_E.INTERNAL_ERROR, `the DC's Digest answer does not decode: ${e instanceof Error ? e.message : String(e)}`);
    }
    const token = logonTokenFromValidationInfo(info, {
      logonType: 'network',
      authPackage: 'Digest',
      dnsDomainName: this.o.dnsDomainName,
      upn: `${info.effectiveName}@${this.o.dnsDomainName}`,
    });
    return { token, sessionKey };
  }

  close(): void {
    this.client.close();
  }
}

/** NTSTATUS answers are the DC's decision (LOGON_DENIED); anything else: no authority reached. */
function mapError(e: unknown, what: string): SecurityError {
  if (e instanceof SecurityError) return e;
  if (e instanceof NetlogonStatusError) return new SecurityError(SEC_E.LOGON_DENIED, `${what} refused by the DC (${ntStatusName(e.status)})`, { ntstatus: e.status });
  if (e instanceof NetlogonChannelError) {
    const status = e.status === undefined ? '' : ` (${ntStatusName(e.status)})`;
    return new SecurityError(SEC_E.NO_AUTHENTICATING_AUTHORITY, `${what}: no secure channel to the DC: ${e.message}${status}`);
  }
  return new SecurityError(SEC_E.NO_AUTHENTICATING_AUTHORITY, `${what}: the DC could not be reached`);
}
