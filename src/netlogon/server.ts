// The DC's Netlogon service (MS-NRPC 3.5): opnum handlers over stub bytes, for the DCE/RPC
// runtime (src/rpc/server.ts) to host.
//
// Each handler decodes its [in] parameters (src/netlogon/idl.ts), decides, and encodes its
// [out] parameters ending with the NTSTATUS. Protocol failures are NTSTATUS return values, as
// MS-NRPC specifies; only undecodable stubs throw, as NetlogonStubError (an NdrError, which the
// runtime answers with a nca_s_fault_ndr fault). Nothing here logs or returns a secret.
//
// Served: NetrLogonSamLogon (2), NetrServerReqChallenge (4), NetrLogonGetCapabilities (21),
// NetrServerAuthenticate3 (26), NetrLogonGetDomainInfo (29, level 1, minimal),
// NetrServerPasswordSet2 (30), DsrGetDcNameEx2 (34), NetrLogonSamLogonEx (39),
// NetrLogonSamLogonWithFlags (45).
//
// Not yet: NetrLogonSamLogonEx is only honoured for calls the runtime reports as arriving over
// a Netlogon secure-channel bind (authType 68 with the computer name as peerName), and the
// runtime has no schannel acceptor yet, so today it answers STATUS_ACCESS_DENIED on the wire.
// Digest generic logons (MS-APDS 3.3) are validated for qop=auth with MD5 / MD5-sess only (auth-int,
// auth-conf and RFC 2069 requests answer STATUS_NOT_SUPPORTED). NetrLogonGetDomainInfo does
// not yet store what the workstation reports (dNSHostName, OS). No trusts: trusted-domain
// secure channels are refused. DES and RC4 secure channels are refused by design.

import { createHash, timingSafeEqual } from 'node:crypto';
import { aesCfb8Decrypt, aesCfb8Encrypt } from '../crypto/cfb8.js';
import { ETYPE } from '../crypto/types.js';
import type { Directory } from '../directory/directory.js';
import { DirectoryError } from '../directory/errors.js';
import {
  STATUS_ACCOUNT_LOCKED_OUT,
  STATUS_LOGON_FAILURE,
  STATUS_NO_SUCH_USER,
  STATUS_SUCCESS,
  STATUS_WRONG_PASSWORD,
  ntStatusName,
} from '../directory/ntstatus.js';
import { isLockedOut } from '../directory/policy.js';
import { UF, type Account, type AccountSecrets, type Domain } from '../directory/types.js';
import * as ndr from '../encoding/ndr.js';
import { NdrError } from '../encoding/ndr.js';
import { AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY, buildValidationInfo, LOGON_EXTRA_SIDS, SE_GROUP_DEFAULT, SE_GROUP_RESOURCE } from '../kerberos/kdc/pac-builder.js';
import { sessionBaseKeyV1 } from '../ntlm/crypto.js';
import { encodePac } from '../pac/pac.js';
import { PAC_TYPE, type KerbValidationInfo } from '../pac/types.js';
import { encodeKerbValidationInfo } from '../pac/validation-info.js';
import {
  ApdsFormatError,
  DIGEST_FLAG_FORMAT_BY_DC,
  decodeDigestValidationReq,
  encodeDigestValidationResp,
  validationRequestFromReq,
  type DigestValidationReq,
} from '../digest/apds.js';
import {
  STATUS_NOLOGON_INTERDOMAIN_TRUST_ACCOUNT,
  STATUS_NOLOGON_SERVER_TRUST_ACCOUNT,
  STATUS_NOLOGON_WORKSTATION_TRUST_ACCOUNT,
  type DirectoryAuthority,
} from '../security/directory-authority.js';
import { SEC_E, SecurityError } from '../security/types.js';
import {
  decodeParams,
  DsrGetDcNameEx2In,
  DsrGetDcNameEx2Out,
  encodeParams,
  LOGON_LEVEL,
  NETLOGON_AUTHENTICATOR,
  NETLOGON_UUID,
  NETLOGON_VALIDATION,
  NETLOGON_VERSION,
  NetrLogonGetCapabilitiesIn,
  NetrLogonGetCapabilitiesOut,
  NetrLogonGetDomainInfoIn,
  NetrLogonGetDomainInfoOut,
  NetrLogonSamLogonExIn,
  NetrLogonSamLogonIn,
  NetrLogonSamLogonWithFlagsIn,
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
  type NdrParams,
  type NetlogonAuthenticator,
  type NetlogonLevel,
  type NetlogonValidation,
  type NetlogonValidationSamInfo4,
  type ParamsValue,
} from './idl.js';
import { SecureChannelStore, SERVER_NEGOTIATE_FLAGS, type SecureChannel } from './secure-channel.js';

// MS-ERREF 2.3.1 NTSTATUS values used here (the shared ones come from directory/ntstatus.ts).
export const STATUS_INVALID_INFO_CLASS = 0xc0000003;
export const STATUS_INVALID_PARAMETER = 0xc000000d;
export const STATUS_ACCESS_DENIED = 0xc0000022;
export const STATUS_PASSWORD_RESTRICTION = 0xc000006c;
export const STATUS_NOT_SUPPORTED = 0xc00000bb;
export const STATUS_INTERNAL_ERROR = 0xc00000e5;
export const STATUS_NO_SUCH_PACKAGE = 0xc00000fe;
export const STATUS_INVALID_LEVEL = 0xc0000148;
export const STATUS_NO_TRUST_SAM_ACCOUNT = 0xc000018b;
/** MS-ERREF 2.2 Win32 codes (NET_API_STATUS of DsrGetDcNameEx2). */
export const ERROR_NO_SUCH_DOMAIN = 1355;
export const ERROR_INTERNAL_ERROR = 1359;

/** MS-RPCE 2.2.1.1.7 RPC_C_AUTHN_NETLOGON and 2.2.1.1.8 RPC_C_AUTHN_LEVEL_PKT_PRIVACY. */
const RPC_C_AUTHN_NETLOGON = 68;
const RPC_C_AUTHN_LEVEL_PKT_PRIVACY = 6;

/** MS-NRPC 2.2.1.4.5 ParameterControl bits honoured for interactive logons. */
const MSV1_0_ALLOW_SERVER_TRUST_ACCOUNT = 0x20;
const MSV1_0_ALLOW_WORKSTATION_TRUST_ACCOUNT = 0x800;

/** MS-APDS 2.2.2 KERB_VERIFY_PAC_REQUEST.MessageType. */
const KERB_VERIFY_PAC_MESSAGE = 3;

/** MS-NRPC 2.2.1.2.1 DOMAIN_CONTROLLER_INFOW flags and address types. */
export const DS_FLAG = {
  PDC: 0x00000001,
  GC: 0x00000004,
  LDAP: 0x00000008,
  DS: 0x00000010,
  KDC: 0x00000020,
  TIMESERV: 0x00000040,
  CLOSEST: 0x00000080,
  WRITABLE: 0x00000100,
  DNS_CONTROLLER: 0x20000000,
  DNS_DOMAIN: 0x40000000,
  DNS_FOREST: 0x80000000,
} as const;
const DS_INET_ADDRESS = 1;
const DS_NETBIOS_ADDRESS = 2;
/** MS-NRPC 3.5.4.3.1 Flags: DS_RETURN_DNS_NAME. */
const DS_RETURN_DNS_NAME = 0x40000000;

/** Longest computer/account name looked at (NetBIOS names are 15 characters; DNS names 255). */
const MAX_NAME = 256;

/** An undecodable request stub. The RPC runtime turns it (an NdrError) into a fault. */
export class NetlogonStubError extends NdrError {
  /** C706 nca_s_fault_ndr. */
  readonly faultStatus = 0x000006f7;
  constructor(opnum: number, message: string) {
    super(`Netlogon opnum ${opnum}: ${message}`);
    this.name = 'NetlogonStubError';
  }
}

/** What the handlers read of the runtime's CallContext (src/rpc/server.ts). */
export interface NetlogonCallContext {
  /** RPC_C_AUTHN_* of the call's security context. */
  authType?: number;
  /** RPC_C_AUTHN_LEVEL_*. */
  authLevel?: number;
  /** For a Netlogon secure-channel (schannel) bind: the client computer name it authenticated. */
  peerName?: string;
}

export type NetlogonHandler = (stub: Buffer, call?: NetlogonCallContext) => Promise<Buffer>;

export interface NetlogonInterface {
  uuid: string;
  version: { major: number; minor: number };
  name: string;
  opnums: { [opnum: number]: NetlogonHandler };
}

export interface NetlogonServerOptions {
  directory: Directory;
  authority: DirectoryAuthority;
  /** NetBIOS name of this DC (no backslashes), e.g. 'DC1'. */
  dcName: string;
  /** DNS name of the domain, e.g. 'example.test'. */
  dnsDomainName: string;
  /** This DC's IP address for DsrGetDcNameEx2; absent: its NetBIOS name is the address. */
  dcAddress?: string;
  /** Site name returned by DsrGetDcNameEx2. Default 'Default-First-Site-Name'. */
  siteName?: string;
  /** DOMAIN_CONTROLLER_INFOW.Flags (DS_FLAG.*) for what this DC serves. */
  dcFlags?: number;
  /** Secure channel state (shared between interface instances of one DC). */
  channels?: SecureChannelStore;
  now?: () => Date;
  /** Internal errors (directory failures) that became STATUS_INTERNAL_ERROR. */
  onError?: (e: unknown) => void;
  /** One event per pass-through validation (the DC's audit line): who asked, for whom, the result. Never a secret. */
  onEvent?: (e: NetlogonLogonEvent) => void;
}

/** A validation the DC made for a member (MS-APDS 3.1–3.3 over MS-NRPC). */
export interface NetlogonLogonEvent {
  event: 'netlogon-logon';
  /** The secure channel's computer (the member that asked). */
  computer: string;
  kind: 'network' | 'interactive' | 'generic';
  /** For generic logons: the package ('Kerberos' = PAC verification, 'WDigest'). */
  package?: string;
  /** As the member sent it (DOMAIN\user); empty for PAC verification. */
  user: string;
  result: 'success' | 'failure';
  status: string;
}

// ---------------------------------------------------------------------------------------------

const ZERO8 = Buffer.alloc(8);
const ZERO_AUTH: NetlogonAuthenticator = { credential: ZERO8, timestamp: 0 };

function isZero(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

function ntHashOf(keys: { ntHash?: Buffer; keys: { etype: number; value: Buffer }[] }): Buffer | undefined {
  return keys.ntHash ?? keys.keys.find((k) => k.etype === ETYPE.RC4_HMAC)?.value;
}

/** A stable GUID for the domain (the directory has no objectGUID yet): from SHA-256 of its SID. */
export function domainGuidOf(domainSid: string): { data1: number; data2: number; data3: number; data4: Buffer } {
  const h = createHash('sha256').update(`authso-domain-guid:${domainSid}`).digest();
  h[7] = (h[7] & 0x0f) | 0x40; // RFC 4122 version 4 layout
  h[8] = (h[8] & 0x3f) | 0x80;
  return { data1: h.readUInt32LE(0), data2: h.readUInt16LE(4), data3: h.readUInt16LE(6), data4: Buffer.from(h.subarray(8, 16)) };
}

/** What a successful SAM logon answers, before it is shaped for a validation level. */
interface SamValidationData {
  info: KerbValidationInfo;
  lmSessionKey: Buffer;
  dnsName: string;
  upn: string;
}

interface LogonOutcome {
  status: number;
  validation?: NetlogonValidation;
}

/**
 * Creates the Netlogon interface for the RPC runtime (MS-NRPC 2.1: uuid
 * 12345678-1234-abcd-ef00-01234567cffb v1.0).
 */
export function createNetlogonInterface(opts: NetlogonServerOptions): NetlogonInterface {
  const nl = new NetlogonServer(opts);
  const bind =
    (opnum: number, f: (stub: Buffer, call: NetlogonCallContext) => Promise<Buffer>): NetlogonHandler =>
    (stub, call) =>
      f.call(nl, Buffer.isBuffer(stub) ? stub : Buffer.alloc(0), call ?? {}).catch((e: unknown) => {
        if (e instanceof NetlogonStubError) throw e;
        if (e instanceof NdrError) throw new NetlogonStubError(opnum, e.message);
        throw e;
      });
  return {
    uuid: NETLOGON_UUID,
    version: { ...NETLOGON_VERSION },
    name: 'Netlogon',
    opnums: {
      [OPNUM.NetrLogonSamLogon]: bind(OPNUM.NetrLogonSamLogon, nl.samLogon),
      [OPNUM.NetrServerReqChallenge]: bind(OPNUM.NetrServerReqChallenge, nl.reqChallenge),
      [OPNUM.NetrLogonGetCapabilities]: bind(OPNUM.NetrLogonGetCapabilities, nl.getCapabilities),
      [OPNUM.NetrServerAuthenticate3]: bind(OPNUM.NetrServerAuthenticate3, nl.authenticate3),
      [OPNUM.NetrLogonGetDomainInfo]: bind(OPNUM.NetrLogonGetDomainInfo, nl.getDomainInfo),
      [OPNUM.NetrServerPasswordSet2]: bind(OPNUM.NetrServerPasswordSet2, nl.passwordSet2),
      [OPNUM.DsrGetDcNameEx2]: bind(OPNUM.DsrGetDcNameEx2, nl.getDcNameEx2),
      [OPNUM.NetrLogonSamLogonEx]: bind(OPNUM.NetrLogonSamLogonEx, nl.samLogonEx),
      [OPNUM.NetrLogonSamLogonWithFlags]: bind(OPNUM.NetrLogonSamLogonWithFlags, nl.samLogonWithFlags),
    },
  };
}

class NetlogonServer {
  readonly channels: SecureChannelStore;
  private readonly o: NetlogonServerOptions;

  constructor(o: NetlogonServerOptions) {
    this.o = o;
    this.channels = o.channels ?? new SecureChannelStore();
  }

  private now(): Date {
    return this.o.now ? this.o.now() : new Date();
  }

  private decode<P extends NdrParams>(opnum: number, params: P, stub: Buffer): ParamsValue<P> {
    try {
      return decodeParams(params, stub);
    } catch (e) {
      if (e instanceof NdrError) throw new NetlogonStubError(opnum, e.message);
      throw e;
    }
  }

  /** Runs the decision; an unexpected failure (the directory) becomes STATUS_INTERNAL_ERROR. */
  private async guarded<T>(f: () => Promise<T>, onFail: (status: number) => T): Promise<T> {
    try {
      return await f();
    } catch (e) {
      this.o.onError?.(e);
      return onFail(STATUS_INTERNAL_ERROR);
    }
  }

  // ---- 3.5.4.4.1 NetrServerReqChallenge ----------------------------------------------------

  async reqChallenge(stub: Buffer): Promise<Buffer> {
    const req = this.decode(OPNUM.NetrServerReqChallenge, NetrServerReqChallengeIn, stub);
    const out = (serverChallenge: Buffer, status: number) => encodeParams(NetrServerReqChallengeOut, { serverChallenge, status });
    if (req.computerName.length === 0 || req.computerName.length > MAX_NAME) return out(ZERO8, STATUS_INVALID_PARAMETER);
    return out(this.channels.newChallenge(req.computerName, req.clientChallenge), STATUS_SUCCESS);
  }

  // ---- 3.5.4.4.2 NetrServerAuthenticate3 ---------------------------------------------------

  async authenticate3(stub: Buffer): Promise<Buffer> {
    const req = this.decode(OPNUM.NetrServerAuthenticate3, NetrServerAuthenticate3In, stub);
    const offered = (req.negotiateFlags & SERVER_NEGOTIATE_FLAGS) >>> 0;
    const fail = (status: number) =>
      encodeParams(NetrServerAuthenticate3Out, { serverCredential: ZERO8, negotiateFlags: offered, accountRid: 0, status });
    return this.guarded(async () => {
      const account = await this.trustAccount(req.accountName, req.secureChannelType);
      if (typeof account === 'number') {
        this.channels.discardChallenge(req.computerName); // one attempt per challenge, whatever failed
        return fail(account);
      }
      const { entry } = account;
      const ntHashes = [ntHashOf({ ntHash: entry.secrets.ntHash, keys: entry.secrets.current.keys }), ...entry.secrets.previous.map((s) => ntHashOf(s))].filter(
        (h): h is Buffer => h !== undefined && h.length === 16,
      );
      const r = this.channels.authenticate({
        computerName: req.computerName,
        accountName: entry.account.samAccountName,
        accountRid: entry.account.rid,
        secureChannelType: req.secureChannelType,
        clientCredential: req.clientCredential,
        clientFlags: req.negotiateFlags >>> 0,
        ntHashes,
      });
      // Every refusal is STATUS_ACCESS_DENIED (3.5.4.4.2): the client learns nothing about why.
      if (!r.ok) return fail(STATUS_ACCESS_DENIED);
      return encodeParams(NetrServerAuthenticate3Out, {
        serverCredential: r.serverCredential,
        negotiateFlags: r.channel.negotiateFlags,
        accountRid: r.channel.accountRid,
        status: STATUS_SUCCESS,
      });
    }, fail);
  }

  /**
   * The machine account of a secure channel (3.5.4.4.2): it must exist, be enabled and match
   * the channel type (a workstation trust for WorkstationSecureChannel, a server trust — a DC —
   * for ServerSecureChannel). Trusted-domain channels: no trusts yet.
   */
  private async trustAccount(accountName: string, type: number) {
    if (accountName.length === 0 || accountName.length > MAX_NAME || !accountName.endsWith('$') || accountName.includes('@')) {
      return STATUS_NO_TRUST_SAM_ACCOUNT;
    }
    const entry = await this.o.directory.findClient(accountName);
    if (!entry || entry.account.kind !== 'computer') return STATUS_NO_TRUST_SAM_ACCOUNT;
    const uac = entry.account.userAccountControl;
    if (type === SECURE_CHANNEL_TYPE.WorkstationSecureChannel) {
      if ((uac & UF.WORKSTATION_TRUST_ACCOUNT) === 0) return STATUS_ACCESS_DENIED;
    } else if (type === SECURE_CHANNEL_TYPE.ServerSecureChannel) {
      if ((uac & UF.SERVER_TRUST_ACCOUNT) === 0) return STATUS_ACCESS_DENIED;
    } else {
      return STATUS_ACCESS_DENIED;
    }
    if ((uac & UF.ACCOUNTDISABLE) !== 0) return STATUS_ACCESS_DENIED;
    return { entry };
  }

  // ---- 3.5.4.4.5 NetrServerPasswordSet2 ----------------------------------------------------

  async passwordSet2(stub: Buffer): Promise<Buffer> {
    const req = this.decode(OPNUM.NetrServerPasswordSet2, NetrServerPasswordSet2In, stub);
    const out = (returnAuthenticator: NetlogonAuthenticator, status: number) => encodeParams(NetrServerPasswordSet2Out, { returnAuthenticator, status });
    return this.guarded(async () => {
      const checked = this.channels.checkAuthenticator(req.computerName, req.authenticator);
      if (!checked) return out(ZERO_AUTH, STATUS_ACCESS_DENIED);
      const { channel, returnAuthenticator } = checked;
      // The channel may set only its own account's password.
      if (req.accountName.toUpperCase() !== channel.accountName.toUpperCase() || req.secureChannelType !== channel.secureChannelType) {
        return out(returnAuthenticator, STATUS_ACCESS_DENIED);
      }
      // 3.5.4.4.5: the whole NL_TRUST_PASSWORD is AES-CFB8 encrypted under the session key; the
      // new password is the last Length bytes of Buffer (UTF-16LE), the rest a random confounder.
      const enc = Buffer.alloc(NL_TRUST_PASSWORD_SIZE);
      req.clearNewPassword.buffer.copy(enc, 0);
      enc.writeUInt32LE(req.clearNewPassword.length >>> 0, 512);
      const plain = aesCfb8Decrypt(channel.sessionKey, enc);
      const length = plain.readUInt32LE(512);
      // An empty password is what the Zerologon exploit sets; odd or oversized lengths are garbage.
      if (length === 0 || length > 512 || length % 2 !== 0) return out(returnAuthenticator, STATUS_WRONG_PASSWORD);
      const password = plain.subarray(512 - length, 512).toString('utf16le');
      try {
        await this.o.directory.setPassword(channel.accountName, password);
      } catch (e) {
        if (e instanceof DirectoryError && e.code === 'PASSWORD_POLICY') return out(returnAuthenticator, STATUS_PASSWORD_RESTRICTION);
        throw e;
      } finally {
        plain.fill(0);
      }
      return out(returnAuthenticator, STATUS_SUCCESS);
    }, (s) => out(ZERO_AUTH, s));
  }

  // ---- 3.5.4.4.10 NetrLogonGetCapabilities -------------------------------------------------

  async getCapabilities(stub: Buffer): Promise<Buffer> {
    const req = this.decode(OPNUM.NetrLogonGetCapabilities, NetrLogonGetCapabilitiesIn, stub);
    const out = (returnAuthenticator: NetlogonAuthenticator, tag: 1 | 2, value: number, status: number) =>
      encodeParams(NetrLogonGetCapabilitiesOut, { returnAuthenticator, serverCapabilities: { tag, value }, status });
    const checked = req.computerName === null ? undefined : this.channels.checkAuthenticator(req.computerName, req.authenticator);
    if (!checked) return out(ZERO_AUTH, 1, 0, STATUS_ACCESS_DENIED);
    if (req.queryLevel === 1) return out(checked.returnAuthenticator, 1, checked.channel.negotiateFlags, STATUS_SUCCESS);
    if (req.queryLevel === 2) return out(checked.returnAuthenticator, 2, checked.channel.requestedFlags, STATUS_SUCCESS);
    return out(checked.returnAuthenticator, 1, 0, STATUS_INVALID_LEVEL);
  }

  // ---- 3.5.4.4 NetrLogonGetDomainInfo (minimal) --------------------------------------------

  async getDomainInfo(stub: Buffer): Promise<Buffer> {
    const req = this.decode(OPNUM.NetrLogonGetDomainInfo, NetrLogonGetDomainInfoIn, stub);
    const out = (returnAuthenticator: NetlogonAuthenticator, domBuffer: ParamsValue<typeof NetrLogonGetDomainInfoOut>['domBuffer'], status: number) =>
      encodeParams(NetrLogonGetDomainInfoOut, { returnAuthenticator, domBuffer, status });
    const none = { tag: 1 as const, value: null };
    return this.guarded(async () => {
      const checked = req.computerName === null ? undefined : this.channels.checkAuthenticator(req.computerName, req.authenticator);
      if (!checked) return out(ZERO_AUTH, none, STATUS_ACCESS_DENIED);
      if (req.level !== 1 || req.wkstaBuffer.tag !== 1) return out(checked.returnAuthenticator, none, STATUS_INVALID_LEVEL);
      const d = await this.o.directory.getDomain();
      const account = await this.o.directory.getAccountByRid(checked.channel.accountRid);
      // Level 1: our domain only (no trusts), no LSA policy, and the account's msDS-SupportedEncryptionTypes.
      // The workstation's reported DNS host name and OS are not stored yet.
      const one = {
        domainName: d.netbiosName,
        dnsDomainName: d.dnsName,
        dnsForestName: d.dnsName,
        domainGuid: domainGuidOf(d.sid),
        domainSid: d.sid,
        trustExtension: null,
        dummyString2: null,
        dummyString3: null,
        dummyString4: null,
        dummyLong1: 0,
        dummyLong2: 0,
        dummyLong3: 0,
        dummyLong4: 0,
      };
      return out(
        checked.returnAuthenticator,
        {
          tag: 1,
          value: {
            primaryDomain: one,
            trustedDomains: [one],
            lsaPolicy: { lsaPolicy: null },
            dnsHostNameInDs: account?.dnsHostName ?? null,
            dummyString2: null,
            dummyString3: null,
            dummyString4: null,
            workstationFlags: 0,
            supportedEncTypes: account?.supportedEncryptionTypes ?? 0x1c,
            dummyLong3: 0,
            dummyLong4: 0,
          },
        },
        STATUS_SUCCESS,
      );
    }, (s) => out(ZERO_AUTH, none, s));
  }

  // ---- 3.5.4.3.1 DsrGetDcNameEx2 -----------------------------------------------------------

  async getDcNameEx2(stub: Buffer): Promise<Buffer> {
    const req = this.decode(OPNUM.DsrGetDcNameEx2, DsrGetDcNameEx2In, stub);
    const out = (info: ParamsValue<typeof DsrGetDcNameEx2Out>['domainControllerInfo'], status: number) =>
      encodeParams(DsrGetDcNameEx2Out, { domainControllerInfo: info, status });
    return this.guarded(async () => {
      const d = await this.o.directory.getDomain();
      if (req.domainName !== null && req.domainName !== '') {
        const n = req.domainName.toLowerCase().replace(/\.$/, '');
        if (n !== d.netbiosName.toLowerCase() && n !== d.dnsName) return out(null, ERROR_NO_SUCH_DOMAIN);
      }
      const guid = domainGuidOf(d.sid);
      if (req.domainGuid !== null) {
        const g = req.domainGuid;
        const nullGuid = g.data1 === 0 && g.data2 === 0 && g.data3 === 0 && isZero(g.data4);
        if (!nullGuid && (g.data1 !== guid.data1 || g.data2 !== guid.data2 || g.data3 !== guid.data3 || !g.data4.equals(guid.data4))) {
          return out(null, ERROR_NO_SUCH_DOMAIN);
        }
      }
      const dns = (req.flags & DS_RETURN_DNS_NAME) !== 0;
      const dcDns = `${this.o.dcName.toLowerCase()}.${this.o.dnsDomainName}`;
      const site = this.o.siteName ?? 'Default-First-Site-Name';
      const base = this.o.dcFlags ?? DS_FLAG.PDC | DS_FLAG.KDC | DS_FLAG.TIMESERV | DS_FLAG.CLOSEST | DS_FLAG.WRITABLE;
      return out(
        {
          domainControllerName: `\\\\${dns ? dcDns : this.o.dcName.toUpperCase()}`,
          domainControllerAddress: `\\\\${this.o.dcAddress ?? this.o.dcName.toUpperCase()}`,
          domainControllerAddressType: this.o.dcAddress ? DS_INET_ADDRESS : DS_NETBIOS_ADDRESS,
          domainGuid: guid,
          domainName: dns ? d.dnsName : d.netbiosName,
          dnsForestName: d.dnsName,
          flags: (dns ? base | DS_FLAG.DNS_CONTROLLER | DS_FLAG.DNS_DOMAIN | DS_FLAG.DNS_FOREST : base) >>> 0,
          dcSiteName: site,
          clientSiteName: site,
        },
        STATUS_SUCCESS,
      );
    }, () => out(null, ERROR_INTERNAL_ERROR));
  }

  // ---- 3.5.4.5 NetrLogonSamLogon / WithFlags / Ex ------------------------------------------

  async samLogon(stub: Buffer, call: NetlogonCallContext): Promise<Buffer> {
    const req = this.decode(OPNUM.NetrLogonSamLogon, NetrLogonSamLogonIn, stub);
    const r = await this.authenticatedLogon(req, call);
    const w = new ndr.NdrWriter();
    ndr.writeNdr(w, ndr.ptr(NETLOGON_AUTHENTICATOR), r.returnAuthenticator);
    writeValidation(w, req.validationLevel, r.validation);
    w.u8(1);
    w.u32(r.status >>> 0);
    return w.toBuffer();
  }

  async samLogonWithFlags(stub: Buffer, call: NetlogonCallContext): Promise<Buffer> {
    const req = this.decode(OPNUM.NetrLogonSamLogonWithFlags, NetrLogonSamLogonWithFlagsIn, stub);
    const r = await this.authenticatedLogon(req, call);
    const w = new ndr.NdrWriter();
    ndr.writeNdr(w, ndr.ptr(NETLOGON_AUTHENTICATOR), r.returnAuthenticator);
    writeValidation(w, req.validationLevel, r.validation);
    w.u8(1);
    w.u32(0); // ExtraFlags: none of 3.5.4.5.1's flags is acted on
    w.u32(r.status >>> 0);
    return w.toBuffer();
  }

  /**
   * 3.5.4.5.1 NetrLogonSamLogonEx: no authenticator, so the call must arrive over the client's
   * Netlogon secure channel bind (RPC_C_AUTHN_NETLOGON), whose authenticated computer name
   * (call.peerName) selects the secure channel. Anything else is STATUS_ACCESS_DENIED.
   */
  async samLogonEx(stub: Buffer, call: NetlogonCallContext): Promise<Buffer> {
    const req = this.decode(OPNUM.NetrLogonSamLogonEx, NetrLogonSamLogonExIn, stub);
    let outcome: LogonOutcome;
    const channel = call.authType === RPC_C_AUTHN_NETLOGON && typeof call.peerName === 'string' ? this.channels.channel(call.peerName) : undefined;
    if (!channel) outcome = { status: STATUS_ACCESS_DENIED };
    else outcome = await this.logon(channel, req.logonLevel, req.logonInformation, req.validationLevel, call);
    const w = new ndr.NdrWriter();
    writeValidation(w, req.validationLevel, outcome.validation);
    w.u8(1);
    w.u32(0);
    w.u32(outcome.status >>> 0);
    return w.toBuffer();
  }

  private async authenticatedLogon(
    req: ParamsValue<typeof NetrLogonSamLogonIn>,
    call: NetlogonCallContext,
  ): Promise<LogonOutcome & { returnAuthenticator: NetlogonAuthenticator | null }> {
    // [in, out, unique] ReturnAuthenticator: NULL in, NULL out.
    const echo = req.returnAuthenticator === null ? null : ZERO_AUTH;
    if (req.computerName === null || req.authenticator === null) return { status: STATUS_INVALID_PARAMETER, returnAuthenticator: echo };
    const checked = this.channels.checkAuthenticator(req.computerName, req.authenticator);
    if (!checked) return { status: STATUS_ACCESS_DENIED, returnAuthenticator: echo };
    const outcome = await this.logon(checked.channel, req.logonLevel, req.logonInformation, req.validationLevel, call);
    return { ...outcome, returnAuthenticator: req.returnAuthenticator === null ? null : checked.returnAuthenticator };
  }

  /** The logon itself (3.5.4.5.1 processing rules), common to the three SamLogon calls. */
  private async logon(channel: SecureChannel, logonLevel: number, info: NetlogonLevel, validationLevel: number, call: NetlogonCallContext): Promise<LogonOutcome> {
    if (logonLevel !== Number(info.tag) || info.value === null) return { status: STATUS_INVALID_PARAMETER };
    const generic = logonLevel === LOGON_LEVEL.NetlogonGenericInformation;
    const samLevels: number[] = [VALIDATION_LEVEL.NetlogonValidationSamInfo, VALIDATION_LEVEL.NetlogonValidationSamInfo2, VALIDATION_LEVEL.NetlogonValidationSamInfo4];
    if (generic ? validationLevel !== VALIDATION_LEVEL.NetlogonValidationGenericInfo2 : !samLevels.includes(validationLevel)) {
      return { status: STATUS_INVALID_INFO_CLASS };
    }
    // SAM_INFO4 carries its session keys in clear (3.5.4.5.1): only over a sealed connection.
    const sealed = (call.authLevel ?? 0) >= RPC_C_AUTHN_LEVEL_PKT_PRIVACY;
    if (validationLevel === VALIDATION_LEVEL.NetlogonValidationSamInfo4 && !sealed) return { status: STATUS_INVALID_PARAMETER };
    const outcome = await this.guarded<LogonOutcome>(async () => {
      const bad: LogonOutcome = { status: STATUS_INVALID_PARAMETER };
      switch (info.tag) {
        case 2:
        case 6:
          return info.value ? this.networkLogon(channel, info.value, validationLevel) : bad;
        case 4:
          return info.value ? this.genericLogon(channel, info.value) : bad;
        default:
          return info.value ? this.interactiveLogon(channel, info.value, validationLevel) : bad;
      }
    }, (status) => ({ status }));
    this.audit(channel, info, outcome.status);
    return outcome;
  }

  private audit(channel: SecureChannel, info: NetlogonLevel, status: number): void {
    if (!this.o.onEvent || info.value === null) return;
    const id = info.value.identity;
    const user = id.userName ? `${id.logonDomainName ?? ''}\\${id.userName}`.slice(0, 300) : '';
    try {
      this.o.onEvent({
        event: 'netlogon-logon',
        computer: channel.computerName,
        kind: info.tag === 4 ? 'generic' : info.tag === 2 || info.tag === 6 ? 'network' : 'interactive',
        ...(info.tag === 4 ? { package: (info.value.packageName ?? '').slice(0, 64) } : {}),
        user,
        result: status === STATUS_SUCCESS ? 'success' : 'failure',
        status: ntStatusName(status),
      });
    } catch {
      // An audit sink failing must not fail the logon.
    }
  }

  // -- network (NTLM pass-through, MS-APDS 3.1) --

  private async networkLogon(
    channel: SecureChannel,
    info: NonNullable<Extract<NetlogonLevel, { tag: 2 }>['value']>,
    validationLevel: number,
  ): Promise<LogonOutcome> {
    const nt = stringBytes(info.ntChallengeResponse);
    const lm = stringBytes(info.lmChallengeResponse);
    if (!nt || !lm) return { status: STATUS_INVALID_PARAMETER };
    const userName = info.identity.userName ?? '';
    const domainName = info.identity.logonDomainName ?? '';
    let result;
    try {
      result = await this.o.authority.validateNtlm({
        userName,
        domainName,
        workstation: info.identity.workstation ?? '',
        serverChallenge: info.lmChallenge,
        ntResponse: nt,
        lmResponse: lm,
        logonType: 'network',
        parameterControl: info.identity.parameterControl,
      });
    } catch (e) {
      if (!(e instanceof SecurityError)) throw e;
      if (e.code === SEC_E.INTERNAL_ERROR) return { status: STATUS_INTERNAL_ERROR };
      if (e.code === SEC_E.INVALID_TOKEN) return { status: STATUS_INVALID_PARAMETER };
      let status = e.details.ntstatus ?? STATUS_LOGON_FAILURE;
      // DirectoryAuthority hides an unknown account behind STATUS_LOGON_FAILURE (it answers
      // NTLM acceptors); the DC answers a member's pass-through with STATUS_NO_SUCH_USER.
      if (status === STATUS_LOGON_FAILURE && userName !== '' && userName.length <= MAX_NAME && !(await this.o.directory.findClient(userName))) {
        status = STATUS_NO_SUCH_USER;
      }
      return { status };
    }
    const rid = ridOf(result.token.userSid);
    const account = rid === undefined ? undefined : await this.o.directory.getAccountByRid(rid);
    if (!account) return { status: STATUS_NO_SUCH_USER };
    const v = await this.samValidation(account, result.userSessionKey, result.lmSessionKey);
    return { status: STATUS_SUCCESS, validation: this.validationFor(channel, validationLevel, v) };
  }

  // -- interactive (MS-APDS 3.1.5 with the OWFs the member computed) --

  private async interactiveLogon(
    channel: SecureChannel,
    info: NonNullable<Extract<NetlogonLevel, { tag: 1 }>['value']>,
    validationLevel: number,
  ): Promise<LogonOutcome> {
    // MS-NRPC 3.5.4.5.1 / 3.4.5.2.5: the OWFs are AES-CFB8 encrypted under the session key (when non-zero).
    const ntOwf = isZero(info.ntOwfPassword) ? info.ntOwfPassword : aesCfb8Decrypt(channel.sessionKey, info.ntOwfPassword);
    const userName = info.identity.userName ?? '';
    const domainName = info.identity.logonDomainName ?? '';
    const now = this.now();
    const d = await this.o.directory.getDomain();
    const ours = domainName === '' || [d.netbiosName, d.dnsName, d.realm].some((n) => n.toLowerCase() === domainName.toLowerCase());
    const entry = ours && userName !== '' && userName.length <= MAX_NAME ? await this.o.directory.findClient(userName) : undefined;
    if (!entry) return { status: STATUS_NO_SUCH_USER };
    const { account, secrets } = entry;
    // The order of DirectoryAuthority.validateNtlm: lockout first (not counted), then the
    // password (counted unless it is the previous one), then the other restrictions.
    if (isLockedOut(account, d.policy, now)) return { status: STATUS_ACCOUNT_LOCKED_OUT };
    const current = ntHashOf({ ntHash: secrets.ntHash, keys: secrets.current.keys });
    if (!current || !owfEqual(current, ntOwf)) {
      if (!matchesPrevious(secrets, ntOwf)) await this.o.directory.recordBadPassword(account.rid, now);
      return { status: STATUS_WRONG_PASSWORD };
    }
    const restriction = this.o.directory.checkAccountRestrictions(account, now);
    if (restriction !== 0) return { status: restriction };
    const machine = machineAccountStatus(account.userAccountControl, info.identity.parameterControl);
    if (machine !== 0) return { status: machine };
    await this.o.directory.recordSuccessfulLogon(account.rid, now, account);
    // MS-NLMP 3.3.1: the v1 session base key, MD4(NT OWF), is what an interactive logon returns.
    const v = await this.samValidation(account, sessionBaseKeyV1(current), Buffer.alloc(8));
    return { status: STATUS_SUCCESS, validation: this.validationFor(channel, validationLevel, v) };
  }

  // -- generic: Kerberos PAC verification (MS-APDS 3.2) --

  private async genericLogon(channel: SecureChannel, info: NonNullable<Extract<NetlogonLevel, { tag: 4 }>['value']>): Promise<LogonOutcome> {
    const pkg = (info.packageName ?? '').toLowerCase();
    if (pkg === 'wdigest') return this.digestLogon(channel, info);
    if (pkg !== 'kerberos') return { status: STATUS_NO_SUCH_PACKAGE };
    // Generic LogonData is AES-CFB8 encrypted under the session key, like the interactive OWFs.
    const data = info.logonData === null ? Buffer.alloc(0) : aesCfb8Decrypt(channel.sessionKey, info.logonData);
    // MS-APDS 2.2.2 KERB_VERIFY_PAC_REQUEST: MessageType, ChecksumLength, SignatureType,
    // SignatureLength, then the server checksum and the KDC signature.
    if (data.length < 16 || data.readUInt32LE(0) !== KERB_VERIFY_PAC_MESSAGE) return { status: STATUS_INVALID_PARAMETER };
    const checksumLength = data.readUInt32LE(4);
    const signatureType = data.readInt32LE(8);
    const signatureLength = data.readUInt32LE(12);
    if (checksumLength > 64 || signatureLength > 64 || 16 + checksumLength + signatureLength > data.length) return { status: STATUS_INVALID_PARAMETER };
    const checksum = data.subarray(16, 16 + checksumLength);
    const signature = data.subarray(16 + checksumLength, 16 + checksumLength + signatureLength);
    const ok = await this.o.authority.verifyPacKdcSignature(Buffer.from(checksum), signatureType, Buffer.from(signature));
    if (!ok) return { status: STATUS_LOGON_FAILURE };
    return { status: STATUS_SUCCESS, validation: { tag: 5, value: { validationData: null } } };
  }

  // -- generic: Digest validation (MS-APDS 3.3) --

  /**
   * MS-APDS 3.3.5.2: DIGEST_VALIDATION_REQ in (LogonData, AES-CFB8 encrypted under the session
   * key like every generic LogonData), DIGEST_VALIDATION_RESP out with the session key (hex
   * H(A1), RFC 2617 3.2.2.2) and the user's PAC (LOGON_INFO only: the member does not verify
   * signatures on it; it came over the authenticated secure channel). The check itself, with
   * bad-password counting and lockout, is DirectoryAuthority.validateDigest. A failure is the
   * NTSTATUS of the call, with no RESP (3.3.5.2); an unknown account is STATUS_NO_SUCH_USER
   * unless Flags bit A asked the DC to work out the name format (then STATUS_LOGON_FAILURE).
   */
  private async digestLogon(channel: SecureChannel, info: NonNullable<Extract<NetlogonLevel, { tag: 4 }>['value']>): Promise<LogonOutcome> {
    const data = info.logonData === null ? Buffer.alloc(0) : aesCfb8Decrypt(channel.sessionKey, info.logonData);
    let req: DigestValidationReq;
    try {
      req = decodeDigestValidationReq(data);
    } catch (e) {
      if (e instanceof ApdsFormatError) return { status: STATUS_INVALID_PARAMETER };
      throw e;
    }
    const vr = validationRequestFromReq(req);
    if (!vr) return { status: STATUS_NOT_SUPPORTED };
    let result;
    try {
      result = await this.o.authority.validateDigest(vr);
    } catch (e) {
      if (!(e instanceof SecurityError)) throw e;
      if (e.code === SEC_E.INTERNAL_ERROR) throw e;
      let status = e.details.ntstatus ?? STATUS_LOGON_FAILURE;
      if (status === STATUS_LOGON_FAILURE && (req.flags & DIGEST_FLAG_FORMAT_BY_DC) === 0 && vr.username.length <= MAX_NAME) {
        const bare = vr.username.includes('\\') ? vr.username.slice(vr.username.indexOf('\\') + 1) : vr.username;
        if (bare === '' || !(await this.o.directory.findClient(bare))) status = STATUS_NO_SUCH_USER;
      }
      return { status };
    }
    const rid = ridOf(result.token.userSid);
    const account = rid === undefined ? undefined : await this.o.directory.getAccountByRid(rid);
    if (!account || !result.sessionKey) return { status: STATUS_NO_SUCH_USER };
    const v = await this.samValidation(account, Buffer.alloc(16), Buffer.alloc(8));
    const pac = encodePac({ version: 0, buffers: [{ type: PAC_TYPE.LOGON_INFO, data: encodeKerbValidationInfo(v.info) }] });
    const resp = encodeDigestValidationResp({ status: STATUS_SUCCESS, sessionKey: result.sessionKey.toString('hex'), authData: pac, accountName: account.samAccountName });
    return { status: STATUS_SUCCESS, validation: { tag: 5, value: { validationData: resp } } };
  }

  /**
   * The validation info the KDC would put in a PAC for the account (same groups on both paths,
   * as DirectoryAuthority builds it), with NTLM's differences: no S-1-18-1, and this domain's
   * domain-local groups as extra SIDs (SE_GROUP_RESOURCE) since SAM_INFO2/4 have no
   * resource-group members.
   */
  private async samValidation(account: Account, userSessionKey: Buffer, lmSessionKey: Buffer): Promise<SamValidationData> {
    const d: Domain = await this.o.directory.getDomain();
    const membership = await this.o.directory.membership(account);
    const info = buildValidationInfo({
      domain: d,
      account,
      membership,
      dcName: this.o.dcName.toUpperCase(),
      authtime: this.now(),
      clientName: account.samAccountName,
      pacRequested: false,
      forTgt: false,
    });
    const extraSids = info.extraSids.filter((s) => s.sid !== AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY);
    for (const rid of membership.domainLocalGroupRids) extraSids.push({ sid: `${d.sid}-${rid}`, attributes: SE_GROUP_DEFAULT | SE_GROUP_RESOURCE });
    return {
      info: {
        ...info,
        extraSids,
        userFlags: extraSids.length > 0 ? info.userFlags | LOGON_EXTRA_SIDS : info.userFlags & ~LOGON_EXTRA_SIDS,
        userSessionKey: Buffer.from(userSessionKey),
      },
      lmSessionKey: Buffer.from(lmSessionKey),
      dnsName: d.dnsName,
      upn: account.userPrincipalName ?? `${account.samAccountName}@${d.dnsName}`,
    };
  }

  /**
   * The NETLOGON_VALIDATION for the level. 3.2.4.4 / MS-APDS: with AES negotiated the
   * UserSessionKey and LMSessionKey of SAM_INFO/SAM_INFO2 are AES-CFB8 encrypted under the
   * session key (when non-zero); SAM_INFO4 is only sent sealed and carries them as they are.
   */
  private validationFor(channel: SecureChannel, level: number, data: SamValidationData): NetlogonValidation {
    const v = data.info;
    const lmRaw = data.lmSessionKey;
    const encrypt = level !== VALIDATION_LEVEL.NetlogonValidationSamInfo4;
    const userSessionKey = encrypt && !isZero(v.userSessionKey) ? aesCfb8Encrypt(channel.sessionKey, v.userSessionKey) : Buffer.from(v.userSessionKey);
    const lmKey = encrypt && !isZero(lmRaw) ? aesCfb8Encrypt(channel.sessionKey, lmRaw) : Buffer.from(lmRaw);
    const base = {
      logonTime: v.logonTime,
      logoffTime: v.logoffTime,
      kickOffTime: v.kickOffTime,
      passwordLastSet: v.passwordLastSet,
      passwordCanChange: v.passwordCanChange,
      passwordMustChange: v.passwordMustChange,
      effectiveName: v.effectiveName,
      fullName: v.fullName,
      logonScript: v.logonScript,
      profilePath: v.profilePath,
      homeDirectory: v.homeDirectory,
      homeDirectoryDrive: v.homeDirectoryDrive,
      logonCount: v.logonCount & 0xffff,
      badPasswordCount: v.badPasswordCount & 0xffff,
      userId: v.userId,
      primaryGroupId: v.primaryGroupId,
      groupIds: v.groupIds.length === 0 ? null : v.groupIds.map((g) => ({ relativeId: g.relativeId, attributes: g.attributes })),
      userFlags: v.userFlags,
      userSessionKey,
      logonServer: v.logonServer,
      logonDomainName: v.logonDomainName,
      logonDomainId: v.logonDomainId,
      lmKey,
      userAccountControl: v.userAccountControl,
      subAuthStatus: 0,
      lastSuccessfulILogon: 0n,
      lastFailedILogon: 0n,
      failedILogonCount: 0,
      reserved4: 0,
    };
    const extraSids = v.extraSids.length === 0 ? null : v.extraSids.map((s) => ({ sid: s.sid, attributes: s.attributes }));
    if (level === VALIDATION_LEVEL.NetlogonValidationSamInfo) {
      // SAM_INFO has no extra SIDs: the flag saying they are present must not be set.
      return { tag: 2, value: { ...base, userFlags: base.userFlags & ~LOGON_EXTRA_SIDS } };
    }
    if (level === VALIDATION_LEVEL.NetlogonValidationSamInfo2) return { tag: 3, value: { ...base, extraSids } };
    const info4: NetlogonValidationSamInfo4 = {
      ...base,
      extraSids,
      dnsLogonDomainName: data.dnsName,
      upn: data.upn,
      expansionString1: null,
      expansionString2: null,
      expansionString3: null,
      expansionString4: null,
      expansionString5: null,
      expansionString6: null,
      expansionString7: null,
      expansionString8: null,
      expansionString9: null,
      expansionString10: null,
    };
    return { tag: 6, value: info4 };
  }
}

/** Writes [out, switch_is(ValidationLevel)] NETLOGON_VALIDATION: the requested level as the
 *  discriminant, a NULL arm on failure; levels without an arm ([default]) are the tag alone. */
function writeValidation(w: ndr.NdrWriter, level: number, v: NetlogonValidation | undefined): void {
  if (v !== undefined) {
    ndr.writeNdr(w, NETLOGON_VALIDATION, v);
    return;
  }
  w.u16(level & 0xffff);
  if (level >= 2 && level <= 6) w.u32(0);
}

/** The bytes of an MS-NRPC STRING, or undefined when its counts disagree with its buffer. */
function stringBytes(s: { length: number; maximumLength: number; buffer: Buffer | null }): Buffer | undefined {
  if (s.buffer === null) return s.length === 0 ? Buffer.alloc(0) : undefined;
  if (s.buffer.length !== s.length || s.length > s.maximumLength) return undefined;
  return s.buffer;
}

function ridOf(sid: string): number | undefined {
  const m = /-(\d+)$/.exec(sid);
  return m ? Number(m[1]) : undefined;
}

function owfEqual(a: Buffer, b: Buffer): boolean {
  return a.length === 16 && b.length === 16 && timingSafeEqual(a, b);
}

function matchesPrevious(secrets: AccountSecrets, ntOwf: Buffer): boolean {
  return secrets.previous.some((set) => {
    const h = ntHashOf(set);
    return h !== undefined && owfEqual(h, ntOwf);
  });
}

/** MS-APDS 3.1.5: trust accounts log on only when the caller allows them (ParameterControl). */
function machineAccountStatus(uac: number, parameterControl: number): number {
  if ((uac & UF.INTERDOMAIN_TRUST_ACCOUNT) !== 0) return STATUS_NOLOGON_INTERDOMAIN_TRUST_ACCOUNT;
  if ((uac & UF.WORKSTATION_TRUST_ACCOUNT) !== 0 && (parameterControl & MSV1_0_ALLOW_WORKSTATION_TRUST_ACCOUNT) === 0) return STATUS_NOLOGON_WORKSTATION_TRUST_ACCOUNT;
  if ((uac & UF.SERVER_TRUST_ACCOUNT) !== 0 && (parameterControl & MSV1_0_ALLOW_SERVER_TRUST_ACCOUNT) === 0) return STATUS_NOLOGON_SERVER_TRUST_ACCOUNT;
  return 0;
}
