// The member server's DomainAuthority (MS-APDS 3.1 / 3.2 over MS-NRPC): what the DC's
// DirectoryAuthority decides locally, a member asks its DC over the Netlogon secure channel.
// Acceptors (NtlmAcceptor, KerberosAcceptor) cannot tell the two apart: the same LogonToken
// shape (built by logonTokenFromValidationInfo from the validation info the DC returns), the
// same session keys, the same SecurityError codes with the DC's NTSTATUS.

import { ntStatusName } from '../directory/ntstatus.js';
import { NetlogonChannelError, NetlogonClient, NetlogonStatusError, type NetlogonClientOptions, type SamLogonResult } from '../netlogon/client.js';
import type { KerbValidationInfo } from '../pac/types.js';
import { logonTokenFromValidationInfo } from '../security/logon-token.js';
import { SEC_E, SecurityError, type DomainAuthority, type NtlmValidationRequest, type NtlmValidationResult } from '../security/types.js';

export interface NetlogonAuthorityOptions extends NetlogonClientOptions {
  /** NetBIOS name of the domain (for KERB_VERIFY_PAC's identity). */
  domainName: string;
  /** DNS name of the domain: the token's dnsDomainName (SAM_INFO2 does not carry it). */
  dnsDomainName: string;
}

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
    try {
      return await this.client.verifyPac(serverChecksum, kdcSignatureType, kdcSignature, this.o.domainName);
    } catch (e) {
      throw mapError(e, 'KERB_VERIFY_PAC');
    }
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
