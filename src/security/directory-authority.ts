// The DomainAuthority of the DC itself: what MS-APDS has the DC decide, answered from the
// directory (on a member the same interface will be a Netlogon client).
//
// validateNtlm is MS-APDS 3.1.5 (NTLM pass-through, network logon) with MS-NLMP 3.3's
// verification, in Windows' order:
//   1. the account is found (unknown: STATUS_LOGON_FAILURE, no counting);
//   2. a locked-out account answers STATUS_ACCOUNT_LOCKED_OUT before any password check, and
//      the attempt is not counted;
//   3. a wrong response counts a bad password (MS-SAMR 3.1.5.14.6) and answers
//      STATUS_WRONG_PASSWORD — except one made with the previous password, which is not
//      counted (AD's N-2 history rule, as the KDC does), so a stale cached password does not
//      lock its user out;
//   4. only with the right password are the other restrictions revealed (disabled, expired,
//      logon hours, password expired / must change), then the logon is recorded.
// The logon information is the KERB_VALIDATION_INFO the KDC puts in a PAC (same groups on both
// paths), without the Kerberos-only asserted-identity SID and with this domain's domain-local
// groups as resource groups, as a service ticket of this domain would carry them.

import { checksumProfile, checksumTypeForEnctype } from '../crypto/registry.js';
import { KEY_USAGE, type Key } from '../crypto/types.js';
import type { Directory } from '../directory/directory.js';
import {
  STATUS_ACCOUNT_LOCKED_OUT,
  STATUS_LOGON_FAILURE,
  STATUS_NO_SUCH_USER,
  STATUS_WRONG_PASSWORD,
  ntStatusName,
} from '../directory/ntstatus.js';
import { isLockedOut } from '../directory/policy.js';
import { ETYPE } from '../crypto/types.js';
import { UF, type Account, type AccountSecrets, type Domain, type PrincipalEntry } from '../directory/types.js';
import { matchingVariants, wdigestHash } from '../directory/wdigest.js';
import { digestsEqual, requestDigest, sessionHa1 } from '../digest/protocol.js';
import {
  addResourceGroups,
  AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY,
  buildValidationInfo,
  LOGON_EXTRA_SIDS,
} from '../kerberos/kdc/pac-builder.js';
import { bytesEqual, desl, ntowfV2, ntowfV2AsGiven, sessionBaseKeyV1, verifyNtlmv2 } from '../ntlm/crypto.js';
import { logonTokenFromValidationInfo } from './logon-token.js';
import {
  SEC_E,
  SecurityError,
  type DigestValidationRequest,
  type DigestValidationResult,
  type DomainAuthority,
  type LogonToken,
  type NtlmValidationRequest,
  type NtlmValidationResult,
} from './types.js';

/** MS-ERREF NTSTATUS values for machine and trust accounts logging on over NTLM. */
export const STATUS_NOLOGON_INTERDOMAIN_TRUST_ACCOUNT = 0xc0000198;
export const STATUS_NOLOGON_WORKSTATION_TRUST_ACCOUNT = 0xc0000199;
export const STATUS_NOLOGON_SERVER_TRUST_ACCOUNT = 0xc000019a;

/** MS-NRPC 2.2.1.4.5 ParameterControl bits this authority honours. */
const MSV1_0_ALLOW_SERVER_TRUST_ACCOUNT = 0x20;
const MSV1_0_ALLOW_WORKSTATION_TRUST_ACCOUNT = 0x800;

/** Longest user or domain name looked at (UPNs included); longer ones cannot be ours. */
const MAX_NAME_CHARS = 1024;
/** How long the domain row (policy) is reused between logons. */
const DOMAIN_CACHE_MS = 1000;

export interface DirectoryAuthorityOptions {
  /** NetBIOS name of this DC: LogonServer in the validation info. Default 'DC1'. */
  dcName?: string;
  /** Verify NTLMv1 (24-byte) responses. Default false: refused without a password check. */
  allowNtlmV1?: boolean;
  now?: () => Date;
}

function denied(ntstatus: number, message: string): SecurityError {
  return new SecurityError(SEC_E.LOGON_DENIED, `${message} (${ntStatusName(ntstatus)})`, { ntstatus });
}

/** The account's NT hash (unicodePwd), or the rc4-hmac key that equals it. */
function ntHashOf(keys: { ntHash?: Buffer; keys: Key[] }): Buffer | undefined {
  return keys.ntHash ?? keys.keys.find((k) => k.etype === ETYPE.RC4_HMAC)?.value;
}

export interface DirectoryLogonOptions {
  domain: Domain;
  account: Account;
  now: Date;
  /** NetBIOS name of this DC (LogonServer); default 'DC1'. */
  dcName?: string;
  authPackage: 'NTLM' | 'Digest' | 'Certificate';
  /** NTLM and Digest: the session key the logon established. */
  userSessionKey?: Buffer;
}

/**
 * The token of a network logon the DC decided from its directory (NTLM, Digest, a TLS client
 * certificate): the KERB_VALIDATION_INFO the KDC would put in a PAC, as SAM_INFO4 carries it,
 * with this domain's domain-local groups as resource groups. NTLM and Digest tokens drop
 * S-1-18-1 (a KDC asserted the identity) for S-1-5-64-10 / S-1-5-64-21, which
 * logonTokenFromValidationInfo adds; a certificate logon keeps it.
 */
export async function directoryLogonToken(directory: Directory, o: DirectoryLogonOptions): Promise<LogonToken> {
  const { domain, account } = o;
  const membership = await directory.membership(account);
  let info = buildValidationInfo({
    domain,
    account,
    membership,
    dcName: o.dcName ?? 'DC1',
    authtime: o.now,
    clientName: account.samAccountName,
    pacRequested: false,
    forTgt: false,
  });
  if (o.authPackage !== 'Certificate') {
    const extraSids = info.extraSids.filter((s) => s.sid !== AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY);
    info = {
      ...info,
      extraSids,
      userFlags: extraSids.length > 0 ? info.userFlags | LOGON_EXTRA_SIDS : info.userFlags & ~LOGON_EXTRA_SIDS,
      userSessionKey: o.userSessionKey ?? info.userSessionKey,
    };
  }
  info = addResourceGroups(info, domain.sid, membership);
  return logonTokenFromValidationInfo(info, {
    logonType: 'network',
    authPackage: o.authPackage,
    dnsDomainName: domain.dnsName,
    upn: account.userPrincipalName ?? `${account.samAccountName}@${domain.dnsName}`,
  });
}

export class DirectoryAuthority implements DomainAuthority {
  private readonly directory: Directory;
  private readonly o: DirectoryAuthorityOptions;
  private krbtgtCache?: { at: number; entry: PrincipalEntry };
  private cached?: { at: number; domain: Domain };

  constructor(directory: Directory, options: DirectoryAuthorityOptions = {}) {
    this.directory = directory;
    this.o = options;
  }

  private async domain(): Promise<Domain> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < DOMAIN_CACHE_MS) return this.cached.domain;
    const domain = await this.directory.getDomain();
    this.cached = { at: now, domain };
    return domain;
  }

  /** Ours: the NetBIOS name, the DNS name or the realm (any case), or empty (MS-NLMP 3.2.5.1.2). */
  private isOurDomain(name: string, d: Domain): boolean {
    if (name === '') return true;
    const n = name.toLowerCase();
    return n === d.netbiosName.toLowerCase() || n === d.dnsName.toLowerCase() || n === d.realm.toLowerCase();
  }

  async validateNtlm(req: NtlmValidationRequest): Promise<NtlmValidationResult> {
    try {
      return await this.validate(req);
    } catch (e) {
      if (e instanceof SecurityError) throw e;
      // A directory failure (closed store, I/O): the domain could not decide. No detail leaks.
      throw new SecurityError(SEC_E.INTERNAL_ERROR, 'the directory could not validate the NTLM logon');
    }
  }

  private async validate(req: NtlmValidationRequest): Promise<NtlmValidationResult> {
    if (!Buffer.isBuffer(req.serverChallenge) || req.serverChallenge.length !== 8 || !Buffer.isBuffer(req.ntResponse) || !Buffer.isBuffer(req.lmResponse)) {
      throw new SecurityError(SEC_E.INVALID_TOKEN, 'malformed NTLM validation request');
    }
    const now = this.o.now ? this.o.now() : new Date();
    const domain = await this.domain();
    const v2 = req.ntResponse.length > 24;
    if (!v2 && req.ntResponse.length !== 24) throw denied(STATUS_LOGON_FAILURE, 'NTLM logon without an NT response');
    // Refused before the account is touched: no password was checked, nothing is counted.
    if (!v2 && !this.o.allowNtlmV1) throw denied(STATUS_LOGON_FAILURE, 'NTLMv1 logon refused by policy');

    const userName = typeof req.userName === 'string' ? req.userName : '';
    const domainName = typeof req.domainName === 'string' ? req.domainName : '';
    let entry: PrincipalEntry | undefined;
    if (userName !== '' && userName.length <= MAX_NAME_CHARS && domainName.length <= MAX_NAME_CHARS && this.isOurDomain(domainName, domain)) {
      entry = await this.directory.findClient(userName);
    }
    if (!entry) {
      // The same HMAC work as a real check, so the answer's timing does not say "no such user".
      ntowfV2(Buffer.alloc(16), userName.slice(0, MAX_NAME_CHARS), domainName.slice(0, MAX_NAME_CHARS));
      throw denied(STATUS_LOGON_FAILURE, `NTLM logon for an unknown account (${ntStatusName(STATUS_NO_SUCH_USER)})`);
    }
    const { account, secrets } = entry;

    if (isLockedOut(account, domain.policy, now)) throw denied(STATUS_ACCOUNT_LOCKED_OUT, 'NTLM logon to a locked-out account');

    const check = (nt: Buffer | undefined): Buffer | undefined => (nt ? this.verifyResponse(nt, req, v2) : undefined);
    const sessionBaseKey = check(ntHashOf({ ntHash: secrets.ntHash, keys: secrets.current.keys }));
    if (!sessionBaseKey) {
      if (!this.matchesPreviousPassword(secrets, check)) await this.directory.recordBadPassword(account.rid, now);
      throw denied(STATUS_WRONG_PASSWORD, 'NTLM logon with a wrong password');
    }

    const status = this.directory.checkAccountRestrictions(account, now);
    if (status !== 0) throw denied(status, 'NTLM logon refused by an account restriction');
    const machine = this.machineAccountStatus(account.userAccountControl, req.parameterControl);
    if (machine !== 0) throw denied(machine, 'NTLM logon refused for a trust account');
    await this.directory.recordSuccessfulLogon(account.rid, now, account);
    const token = await directoryLogonToken(this.directory, { domain, account, now, dcName: this.o.dcName, authPackage: 'NTLM', userSessionKey: sessionBaseKey });
    // NETLOGON_VALIDATION LMSessionKey: the first 8 bytes of the LM hash, which authso never keeps.
    return { token, userSessionKey: sessionBaseKey, lmSessionKey: Buffer.alloc(8) };
  }

  async validateDigest(req: DigestValidationRequest): Promise<DigestValidationResult> {
    try {
      return await this.digest(req);
    } catch (e) {
      if (e instanceof SecurityError) throw e;
      throw new SecurityError(SEC_E.INTERNAL_ERROR, 'the directory could not validate the Digest logon');
    }
  }

  /**
   * MS-APDS 3.3.5 (Digest validation on the DC) with the same order and counting as NTLM
   * above: unknown account → STATUS_LOGON_FAILURE; locked out → STATUS_ACCOUNT_LOCKED_OUT
   * before any check, not counted; a wrong response → STATUS_WRONG_PASSWORD, counted (MS-SAMR
   * 3.1.5.14.6); restrictions only after the right response. H(A1) is the Primary:WDigest hash
   * stored for exactly the (username, realm) spelling the client hashed (MS-SAMR
   * 3.1.1.8.11.3.1); a spelling with no stored hash cannot be checked and is refused without
   * counting, as is an account whose password predates the WDigest hashes.
   */
  private async digest(req: DigestValidationRequest): Promise<DigestValidationResult> {
    const str = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
    if (
      !str(req.username, 512) || !str(req.realm, 256) || !str(req.nonce, 256) || !str(req.cnonce, 256) || !str(req.method, 64) || !str(req.uri, 8192) ||
      typeof req.nc !== 'string' || !/^[0-9a-fA-F]{8}$/.test(req.nc) || typeof req.response !== 'string' || !/^[0-9a-fA-F]{32}$/.test(req.response) ||
      req.qop !== 'auth' || (req.algorithm !== 'MD5' && req.algorithm !== 'MD5-sess') || req.username === ''
    ) {
      throw new SecurityError(SEC_E.INVALID_TOKEN, 'malformed Digest validation request');
    }
    const now = this.o.now ? this.o.now() : new Date();
    const domain = await this.domain();
    let entry: PrincipalEntry | undefined;
    const bs = req.username.indexOf('\\');
    if (bs >= 0) {
      if (this.isOurDomain(req.username.slice(0, bs), domain) && bs + 1 < req.username.length) entry = await this.directory.findClient(req.username.slice(bs + 1));
    } else {
      entry = await this.directory.findClient(req.username);
    }
    const verify = (ha1: Buffer): Buffer | undefined => {
      const sess = sessionHa1(ha1, req.algorithm, req.nonce, req.cnonce);
      return digestsEqual(requestDigest(sess, req, req.method, req.uri), req.response) ? sess : undefined;
    };
    if (!entry) {
      // The same MD5 work as a real check, so the timing does not say "no such user".
      verify(Buffer.alloc(16));
      throw denied(STATUS_LOGON_FAILURE, `Digest logon for an unknown account (${ntStatusName(STATUS_NO_SUCH_USER)})`);
    }
    const { account, secrets } = entry;
    if (isLockedOut(account, domain.policy, now)) throw denied(STATUS_ACCOUNT_LOCKED_OUT, 'Digest logon to a locked-out account');
    if (!secrets.wdigest) {
      throw new SecurityError(SEC_E.NO_CREDENTIALS, `the account has no WDigest hashes; set its password again (${ntStatusName(STATUS_LOGON_FAILURE)})`, {
        ntstatus: STATUS_LOGON_FAILURE,
      });
    }
    const names = {
      samAccountName: account.samAccountName,
      userPrincipalName: account.userPrincipalName ?? `${account.samAccountName}@${domain.dnsName}`,
      netbiosDomainName: domain.netbiosName,
      dnsDomainName: domain.dnsName,
    };
    const candidates = matchingVariants(names, req.username, req.realm);
    if (candidates.length === 0) throw denied(STATUS_LOGON_FAILURE, 'Digest logon with a user name / realm form that has no stored hash');
    let sessionKey: Buffer | undefined;
    for (const i of candidates) {
      const ha1 = wdigestHash(secrets.wdigest, i);
      sessionKey = ha1 ? verify(ha1) : undefined;
      if (sessionKey) break;
    }
    if (!sessionKey) {
      // No WDigest history is kept (MS-SAMR stores the current password's only), so unlike NTLM
      // there is no previous-password exemption: every wrong response counts.
      await this.directory.recordBadPassword(account.rid, now);
      throw denied(STATUS_WRONG_PASSWORD, 'Digest logon with a wrong password');
    }
    const status = this.directory.checkAccountRestrictions(account, now);
    if (status !== 0) throw denied(status, 'Digest logon refused by an account restriction');
    // Trust accounts do not log on with Digest (no caller may allow them, unlike NTLM's ParameterControl).
    const machine = this.machineAccountStatus(account.userAccountControl, 0);
    if (machine !== 0) throw denied(machine, 'Digest logon refused for a trust account');
    await this.directory.recordSuccessfulLogon(account.rid, now, account);
    const token = await directoryLogonToken(this.directory, { domain, account, now, dcName: this.o.dcName, authPackage: 'Digest', userSessionKey: sessionKey });
    return { token, sessionKey };
  }

  /**
   * NTLMv2 (MS-NLMP 3.3.2): NTOWFv2 with the user name upper-cased (the spec) and as given
   * (clients that skip the upper-casing), with the domain as given and, as 3.2.5.1.2's retry,
   * empty. NTLMv1 (3.3.1): DESL of the challenge the acceptor passed (already the
   * extended-session-security challenge when that was negotiated).
   */
  private verifyResponse(nt: Buffer, req: NtlmValidationRequest, v2: boolean): Buffer | undefined {
    if (!v2) {
      return bytesEqual(desl(nt, req.serverChallenge), req.ntResponse) ? sessionBaseKeyV1(nt) : undefined;
    }
    const domains = req.domainName === '' ? [''] : [req.domainName, ''];
    for (const d of domains) {
      const keys = [ntowfV2(nt, req.userName, d)];
      if (req.userName.toUpperCase() !== req.userName) keys.push(ntowfV2AsGiven(nt, req.userName, d));
      for (const k of keys) {
        const sbk = verifyNtlmv2(k, req.serverChallenge, req.ntResponse);
        if (sbk) return sbk;
      }
    }
    return undefined;
  }

  private matchesPreviousPassword(secrets: AccountSecrets, check: (nt: Buffer | undefined) => Buffer | undefined): boolean {
    return secrets.previous.some((set) => check(ntHashOf({ keys: set.keys })) !== undefined);
  }

  /** MS-APDS 3.1.5: machine and trust accounts log on over NTLM only when the caller allows them. */
  private machineAccountStatus(uac: number, parameterControl: number): number {
    const pc = typeof parameterControl === 'number' ? parameterControl : 0;
    if ((uac & UF.INTERDOMAIN_TRUST_ACCOUNT) !== 0) return STATUS_NOLOGON_INTERDOMAIN_TRUST_ACCOUNT;
    if ((uac & UF.WORKSTATION_TRUST_ACCOUNT) !== 0 && (pc & MSV1_0_ALLOW_WORKSTATION_TRUST_ACCOUNT) === 0) {
      return STATUS_NOLOGON_WORKSTATION_TRUST_ACCOUNT;
    }
    if ((uac & UF.SERVER_TRUST_ACCOUNT) !== 0 && (pc & MSV1_0_ALLOW_SERVER_TRUST_ACCOUNT) === 0) return STATUS_NOLOGON_SERVER_TRUST_ACCOUNT;
    return 0;
  }

  /**
   * MS-APDS 3.2 (KERB_VERIFY_PAC): is kdcSignature the krbtgt's keyed checksum (MS-PAC 2.8.2,
   * key usage 17) over serverChecksum? Tries the krbtgt's current and kept previous keys whose
   * enctype signs with that checksum type; an unknown type or a wrong signature is false.
   */
  async verifyPacKdcSignature(serverChecksum: Buffer, kdcSignatureType: number, kdcSignature: Buffer): Promise<boolean> {
    if (!Buffer.isBuffer(serverChecksum) || !Buffer.isBuffer(kdcSignature) || !Number.isInteger(kdcSignatureType)) return false;
    // The krbtgt keys are read at most every 2 s (as the KDC does); a signature they do not
    // verify is tried once more against a fresh read, so a rotation is never missed.
    const cached = this.krbtgtCache;
    const now = Date.now();
    if (cached && now - cached.at <= KRBTGT_CACHE_MS && now >= cached.at) {
      if (signedBy(cached.entry, serverChecksum, kdcSignatureType, kdcSignature)) return true;
    }
    const entry = await this.directory.getKrbtgt();
    this.krbtgtCache = { at: now, entry };
    return signedBy(entry, serverChecksum, kdcSignatureType, kdcSignature);
  }
}

const KRBTGT_CACHE_MS = 2000;

/** Is kdcSignature the keyed checksum of one of the krbtgt's current or kept keys over serverChecksum? */
function signedBy(krbtgt: PrincipalEntry, serverChecksum: Buffer, kdcSignatureType: number, kdcSignature: Buffer): boolean {
  for (const set of [krbtgt.secrets.current, ...krbtgt.secrets.previous]) {
    for (const key of set.keys) {
      let type: number;
      try {
        type = checksumTypeForEnctype(key.etype);
      } catch {
        continue;
      }
      if (type !== kdcSignatureType) continue;
      try {
        if (checksumProfile(type).verify(key.value, KEY_USAGE.KERB_NON_KERB_CKSUM_SALT, serverChecksum, kdcSignature)) return true;
      } catch {
        // A malformed signature for this key type: not ours.
      }
    }
  }
  return false;
}
