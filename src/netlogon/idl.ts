// MS-NRPC structures (section 2.2.1, IDL in section 6) declared once with our NDR layer, and the
// request/response parameter lists of the opnums the DC serves (MS-NRPC 3.5.4).
//
// Names follow the MS-NRPC IDL. Conventions (see src/encoding/ndr.ts):
// - IDL enums are 16-bit on the wire (NETLOGON_SECURE_CHANNEL_TYPE, NETLOGON_LOGON_INFO_CLASS,
//   NETLOGON_VALIDATION_INFO_CLASS); unions switched by them have a 16-bit discriminant, unions
//   switched by a DWORD (NETLOGON_CAPABILITIES, NETLOGON_WORKSTATION_INFORMATION) a 32-bit one.
// - A top-level [ref] pointer parameter has no wire form (its referent is the parameter); a
//   top-level [unique] one is ptr(...). LOGONSRV_HANDLE is `[handle] wchar_t*`: [unique] where
//   the IDL says so (PrimaryName, LogonServer, ComputerName of DsrGetDcNameEx2), [ref] otherwise
//   (ServerName of NetrLogonGetCapabilities / NetrLogonGetDomainInfo).
// - Parameters are top-level types: each one's deferred referents follow it before the next
//   parameter (C706 14.3.12.3), which is why they are lists of types, not one structure.

import * as ndr from '../encoding/ndr.js';
import type { NdrType, NdrValue } from '../encoding/ndr.js';
import { KERB_SID_AND_ATTRIBUTES, VALIDATION_INFO_HEAD } from '../pac/validation-info.js';

/** The Netlogon RPC interface (MS-NRPC 2.1). */
export const NETLOGON_UUID = '12345678-1234-abcd-ef00-01234567cffb';
export const NETLOGON_VERSION = { major: 1, minor: 0 } as const;

/** MS-NRPC 3.5.4 opnums served here. */
export const OPNUM = {
  NetrLogonSamLogon: 2,
  NetrServerReqChallenge: 4,
  NetrLogonGetCapabilities: 21,
  NetrServerAuthenticate3: 26,
  NetrLogonGetDomainInfo: 29,
  NetrServerPasswordSet2: 30,
  DsrGetDcNameEx2: 34,
  NetrLogonSamLogonEx: 39,
  NetrLogonSamLogonWithFlags: 45,
} as const;

// ---------------------------------------------------------------------------------------------
// Basic types (2.2.1.1, 2.2.1.3)

/** 2.2.1.3.4 NETLOGON_CREDENTIAL: CHAR data[8]. */
export const NETLOGON_CREDENTIAL = ndr.bytes(8);

/** 2.2.1.1.5 NETLOGON_AUTHENTICATOR. */
export const NETLOGON_AUTHENTICATOR = ndr.struct('NETLOGON_AUTHENTICATOR', {
  credential: NETLOGON_CREDENTIAL,
  timestamp: ndr.u32,
});
export type NetlogonAuthenticator = NdrValue<typeof NETLOGON_AUTHENTICATOR>;

/** 2.2.1.3.13 NETLOGON_SECURE_CHANNEL_TYPE (an enum: 16-bit). */
export const NETLOGON_SECURE_CHANNEL_TYPE = ndr.u16;
export const SECURE_CHANNEL_TYPE = {
  NullSecureChannel: 0,
  MsvApSecureChannel: 1,
  WorkstationSecureChannel: 2,
  TrustedDnsDomainSecureChannel: 3,
  TrustedDomainSecureChannel: 4,
  UasServerSecureChannel: 5,
  ServerSecureChannel: 6,
  CdcServerSecureChannel: 7,
} as const;

/** 2.2.1.1.2 STRING: Length/MaximumLength in bytes and [size_is(MaximumLength), length_is(Length)] CHAR*. */
export const STRING = ndr.struct('STRING', {
  length: ndr.u16,
  maximumLength: ndr.u16,
  buffer: ndr.ptr(ndr.cvarray(ndr.u8)),
});

/** MS-DTYP 2.3.4 GUID. */
export const GUID = ndr.struct('GUID', {
  data1: ndr.u32,
  data2: ndr.u16,
  data3: ndr.u16,
  data4: ndr.bytes(8),
});

/** [string] wchar_t*, embedded or top-level [unique]. */
const LPWSTR = ndr.ptr(ndr.wstring);

// ---------------------------------------------------------------------------------------------
// Logon information (2.2.1.4)

/** 2.2.1.4.15 NETLOGON_LOGON_IDENTITY_INFO (Reserved is an OLD_LARGE_INTEGER: two 32-bit halves). */
export const NETLOGON_LOGON_IDENTITY_INFO = ndr.struct('NETLOGON_LOGON_IDENTITY_INFO', {
  logonDomainName: ndr.ustring,
  parameterControl: ndr.u32,
  reserved: ndr.filetime,
  userName: ndr.ustring,
  workstation: ndr.ustring,
});

/** 2.2.1.4.12 NETLOGON_NETWORK_INFO. */
export const NETLOGON_NETWORK_INFO = ndr.struct('NETLOGON_NETWORK_INFO', {
  identity: NETLOGON_LOGON_IDENTITY_INFO,
  lmChallenge: ndr.bytes(8),
  ntChallengeResponse: STRING,
  lmChallengeResponse: STRING,
});

/** 2.2.1.4.13 NETLOGON_INTERACTIVE_INFO (also NETLOGON_SERVICE_INFO, same layout). */
export const NETLOGON_INTERACTIVE_INFO = ndr.struct('NETLOGON_INTERACTIVE_INFO', {
  identity: NETLOGON_LOGON_IDENTITY_INFO,
  lmOwfPassword: ndr.bytes(16),
  ntOwfPassword: ndr.bytes(16),
});

/** 2.2.1.4.2 NETLOGON_GENERIC_INFO. */
export const NETLOGON_GENERIC_INFO = ndr.struct('NETLOGON_GENERIC_INFO', {
  identity: NETLOGON_LOGON_IDENTITY_INFO,
  packageName: ndr.ustring,
  dataLength: ndr.sizeOf('logonData'),
  logonData: ndr.ptr(ndr.carray(ndr.u8)),
});

/** 2.2.1.4.16 NETLOGON_LOGON_INFO_CLASS. */
export const LOGON_LEVEL = {
  NetlogonInteractiveInformation: 1,
  NetlogonNetworkInformation: 2,
  NetlogonServiceInformation: 3,
  NetlogonGenericInformation: 4,
  NetlogonInteractiveTransitiveInformation: 5,
  NetlogonNetworkTransitiveInformation: 6,
  NetlogonServiceTransitiveInformation: 7,
} as const;

/** 2.2.1.4.6 NETLOGON_LEVEL, switched by NETLOGON_LOGON_INFO_CLASS. */
export const NETLOGON_LEVEL = ndr.union('NETLOGON_LEVEL', 'u16', {
  1: ndr.ptr(NETLOGON_INTERACTIVE_INFO),
  2: ndr.ptr(NETLOGON_NETWORK_INFO),
  3: ndr.ptr(NETLOGON_INTERACTIVE_INFO),
  4: ndr.ptr(NETLOGON_GENERIC_INFO),
  5: ndr.ptr(NETLOGON_INTERACTIVE_INFO),
  6: ndr.ptr(NETLOGON_NETWORK_INFO),
  7: ndr.ptr(NETLOGON_INTERACTIVE_INFO),
});
export type NetlogonLevel = NdrValue<typeof NETLOGON_LEVEL>;

// ---------------------------------------------------------------------------------------------
// Validation information (2.2.1.4.x)

/** 2.2.1.4.7 NETLOGON_SID_AND_ATTRIBUTES: the same wire form as MS-PAC's KERB_SID_AND_ATTRIBUTES. */
export const NETLOGON_SID_AND_ATTRIBUTES = KERB_SID_AND_ATTRIBUTES;

/**
 * The leading members shared by NETLOGON_VALIDATION_SAM_INFO/2/4 (2.2.1.4.11-13) and MS-PAC's
 * KERB_VALIDATION_INFO. SAM_INFO's ExpansionRoom[10] is, as SAM_INFO4 names it, LMKey[8],
 * UserAccountControl, SubAuthStatus, LastSuccessfulILogon, LastFailedILogon,
 * FailedILogonCount, Reserved4 (the same 40 bytes).
 */
const SAM_INFO_BASE = {
  ...VALIDATION_INFO_HEAD,
  logonServer: ndr.ustring,
  logonDomainName: ndr.ustring,
  logonDomainId: ndr.ptr(ndr.sid),
  lmKey: ndr.bytes(8),
  userAccountControl: ndr.u32,
  subAuthStatus: ndr.u32,
  lastSuccessfulILogon: ndr.filetime,
  lastFailedILogon: ndr.filetime,
  failedILogonCount: ndr.u32,
  reserved4: ndr.u32,
} as const;
const EXTRA_SIDS = {
  sidCount: ndr.sizeOf('extraSids'),
  extraSids: ndr.ptr(ndr.carray(NETLOGON_SID_AND_ATTRIBUTES)),
} as const;

/** 2.2.1.4.11 NETLOGON_VALIDATION_SAM_INFO. */
export const NETLOGON_VALIDATION_SAM_INFO = ndr.struct('NETLOGON_VALIDATION_SAM_INFO', SAM_INFO_BASE);
export type NetlogonValidationSamInfo = NdrValue<typeof NETLOGON_VALIDATION_SAM_INFO>;

/** 2.2.1.4.12 NETLOGON_VALIDATION_SAM_INFO2: SAM_INFO plus the extra SIDs. */
export const NETLOGON_VALIDATION_SAM_INFO2 = ndr.struct('NETLOGON_VALIDATION_SAM_INFO2', { ...SAM_INFO_BASE, ...EXTRA_SIDS });
export type NetlogonValidationSamInfo2 = NdrValue<typeof NETLOGON_VALIDATION_SAM_INFO2>;

/** 2.2.1.4.13 NETLOGON_VALIDATION_SAM_INFO4. */
export const NETLOGON_VALIDATION_SAM_INFO4 = ndr.struct('NETLOGON_VALIDATION_SAM_INFO4', {
  ...SAM_INFO_BASE,
  ...EXTRA_SIDS,
  dnsLogonDomainName: ndr.ustring,
  upn: ndr.ustring,
  expansionString1: ndr.ustring,
  expansionString2: ndr.ustring,
  expansionString3: ndr.ustring,
  expansionString4: ndr.ustring,
  expansionString5: ndr.ustring,
  expansionString6: ndr.ustring,
  expansionString7: ndr.ustring,
  expansionString8: ndr.ustring,
  expansionString9: ndr.ustring,
  expansionString10: ndr.ustring,
});
export type NetlogonValidationSamInfo4 = NdrValue<typeof NETLOGON_VALIDATION_SAM_INFO4>;

/** 2.2.1.4.9 NETLOGON_VALIDATION_GENERIC_INFO2. */
export const NETLOGON_VALIDATION_GENERIC_INFO2 = ndr.struct('NETLOGON_VALIDATION_GENERIC_INFO2', {
  dataLength: ndr.sizeOf('validationData'),
  validationData: ndr.ptr(ndr.carray(ndr.u8)),
});

/** 2.2.1.4.17 NETLOGON_VALIDATION_INFO_CLASS. */
export const VALIDATION_LEVEL = {
  NetlogonValidationUasInfo: 1,
  NetlogonValidationSamInfo: 2,
  NetlogonValidationSamInfo2: 3,
  NetlogonValidationGenericInfo: 4,
  NetlogonValidationGenericInfo2: 5,
  NetlogonValidationSamInfo4: 6,
} as const;

/**
 * 2.2.1.4.14 NETLOGON_VALIDATION, switched by NETLOGON_VALIDATION_INFO_CLASS. Level 1 (UAS) has
 * no arm in the IDL ([default] is empty): server.ts writes such replies by hand.
 */
export const NETLOGON_VALIDATION = ndr.union('NETLOGON_VALIDATION', 'u16', {
  2: ndr.ptr(NETLOGON_VALIDATION_SAM_INFO),
  3: ndr.ptr(NETLOGON_VALIDATION_SAM_INFO2),
  4: ndr.ptr(NETLOGON_VALIDATION_GENERIC_INFO2),
  5: ndr.ptr(NETLOGON_VALIDATION_GENERIC_INFO2),
  6: ndr.ptr(NETLOGON_VALIDATION_SAM_INFO4),
});
export type NetlogonValidation = NdrValue<typeof NETLOGON_VALIDATION>;

// ---------------------------------------------------------------------------------------------
// Capabilities, domain information, DC location, trust password

/** MS-NRPC 2.2.1 NETLOGON_CAPABILITIES (switched by the DWORD QueryLevel). */
export const NETLOGON_CAPABILITIES = ndr.union('NETLOGON_CAPABILITIES', 'u32', {
  1: ndr.u32, // ServerCapabilities: the negotiated flags
  2: ndr.u32, // RequestedFlags: the flags the client asked for in NetrServerAuthenticate3
});

/** MS-NRPC 2.2.1.3 NETLOGON_LSA_POLICY_INFO. */
export const NETLOGON_LSA_POLICY_INFO = ndr.struct('NETLOGON_LSA_POLICY_INFO', {
  lsaPolicySize: ndr.sizeOf('lsaPolicy'),
  lsaPolicy: ndr.ptr(ndr.carray(ndr.u8)),
});

/** 2.2.1.3.6 NETLOGON_WORKSTATION_INFO. */
export const NETLOGON_WORKSTATION_INFO = ndr.struct('NETLOGON_WORKSTATION_INFO', {
  lsaPolicy: NETLOGON_LSA_POLICY_INFO,
  dnsHostName: LPWSTR,
  siteName: LPWSTR,
  dummy1: LPWSTR,
  dummy2: LPWSTR,
  dummy3: LPWSTR,
  dummy4: LPWSTR,
  osVersion: ndr.ustring,
  osName: ndr.ustring,
  dummyString3: ndr.ustring,
  dummyString4: ndr.ustring,
  workstationFlags: ndr.u32,
  kerberosSupportedEncryptionTypes: ndr.u32,
  dummyLong3: ndr.u32,
  dummyLong4: ndr.u32,
});

/** 2.2.1.3.9 NETLOGON_WORKSTATION_INFORMATION (switched by the DWORD Level). */
export const NETLOGON_WORKSTATION_INFORMATION = ndr.union('NETLOGON_WORKSTATION_INFORMATION', 'u32', {
  1: ndr.ptr(NETLOGON_WORKSTATION_INFO),
  2: ndr.ptr(NETLOGON_WORKSTATION_INFO),
});

/** 2.2.1.3.10 NETLOGON_ONE_DOMAIN_INFO. */
export const NETLOGON_ONE_DOMAIN_INFO = ndr.struct('NETLOGON_ONE_DOMAIN_INFO', {
  domainName: ndr.ustring,
  dnsDomainName: ndr.ustring,
  dnsForestName: ndr.ustring,
  domainGuid: GUID,
  domainSid: ndr.ptr(ndr.sid),
  trustExtension: ndr.ustring,
  dummyString2: ndr.ustring,
  dummyString3: ndr.ustring,
  dummyString4: ndr.ustring,
  dummyLong1: ndr.u32,
  dummyLong2: ndr.u32,
  dummyLong3: ndr.u32,
  dummyLong4: ndr.u32,
});

/** 2.2.1.3.11 NETLOGON_DOMAIN_INFO. */
export const NETLOGON_DOMAIN_INFO = ndr.struct('NETLOGON_DOMAIN_INFO', {
  primaryDomain: NETLOGON_ONE_DOMAIN_INFO,
  trustedDomainCount: ndr.sizeOf('trustedDomains'),
  trustedDomains: ndr.ptr(ndr.carray(NETLOGON_ONE_DOMAIN_INFO)),
  lsaPolicy: NETLOGON_LSA_POLICY_INFO,
  dnsHostNameInDs: ndr.ustring,
  dummyString2: ndr.ustring,
  dummyString3: ndr.ustring,
  dummyString4: ndr.ustring,
  workstationFlags: ndr.u32,
  supportedEncTypes: ndr.u32,
  dummyLong3: ndr.u32,
  dummyLong4: ndr.u32,
});

/** 2.2.1.3.12 NETLOGON_DOMAIN_INFORMATION (switched by the DWORD Level). */
export const NETLOGON_DOMAIN_INFORMATION = ndr.union('NETLOGON_DOMAIN_INFORMATION', 'u32', {
  1: ndr.ptr(NETLOGON_DOMAIN_INFO),
  2: ndr.ptr(NETLOGON_LSA_POLICY_INFO),
});

/** 2.2.1.2.1 DOMAIN_CONTROLLER_INFOW. */
export const DOMAIN_CONTROLLER_INFOW = ndr.struct('DOMAIN_CONTROLLER_INFOW', {
  domainControllerName: LPWSTR,
  domainControllerAddress: LPWSTR,
  domainControllerAddressType: ndr.u32,
  domainGuid: GUID,
  domainName: LPWSTR,
  dnsForestName: LPWSTR,
  flags: ndr.u32,
  dcSiteName: LPWSTR,
  clientSiteName: LPWSTR,
});
export type DomainControllerInfoW = NdrValue<typeof DOMAIN_CONTROLLER_INFOW>;

/** 2.2.1.3.7 NL_TRUST_PASSWORD: WCHAR Buffer[256]; ULONG Length (516 bytes, encrypted whole). */
export const NL_TRUST_PASSWORD = ndr.struct('NL_TRUST_PASSWORD', {
  buffer: ndr.bytes(512),
  length: ndr.u32,
});
export const NL_TRUST_PASSWORD_SIZE = 516;

// ---------------------------------------------------------------------------------------------
// Parameter lists (MS-NRPC 3.5.4; the [in] parameters in order, then the [out] ones)

export type NdrParams = { readonly [name: string]: NdrType };
export type ParamsValue<P extends NdrParams> = { -readonly [K in keyof P]: NdrValue<P[K]> };

/** 3.5.4.4.1 NetrServerReqChallenge (opnum 4). */
export const NetrServerReqChallengeIn = {
  primaryName: LPWSTR,
  computerName: ndr.wstring,
  clientChallenge: NETLOGON_CREDENTIAL,
} as const;
export const NetrServerReqChallengeOut = {
  serverChallenge: NETLOGON_CREDENTIAL,
  status: ndr.u32,
} as const;

/** 3.5.4.4.2 NetrServerAuthenticate3 (opnum 26). */
export const NetrServerAuthenticate3In = {
  primaryName: LPWSTR,
  accountName: ndr.wstring,
  secureChannelType: NETLOGON_SECURE_CHANNEL_TYPE,
  computerName: ndr.wstring,
  clientCredential: NETLOGON_CREDENTIAL,
  negotiateFlags: ndr.u32,
} as const;
export const NetrServerAuthenticate3Out = {
  serverCredential: NETLOGON_CREDENTIAL,
  negotiateFlags: ndr.u32,
  accountRid: ndr.u32,
  status: ndr.u32,
} as const;

/** 3.5.4.4.5 NetrServerPasswordSet2 (opnum 30). */
export const NetrServerPasswordSet2In = {
  primaryName: LPWSTR,
  accountName: ndr.wstring,
  secureChannelType: NETLOGON_SECURE_CHANNEL_TYPE,
  computerName: ndr.wstring,
  authenticator: NETLOGON_AUTHENTICATOR,
  clearNewPassword: NL_TRUST_PASSWORD,
} as const;
export const NetrServerPasswordSet2Out = {
  returnAuthenticator: NETLOGON_AUTHENTICATOR,
  status: ndr.u32,
} as const;

/** 3.5.4.4.10 NetrLogonGetCapabilities (opnum 21). */
export const NetrLogonGetCapabilitiesIn = {
  serverName: ndr.wstring,
  computerName: LPWSTR,
  authenticator: NETLOGON_AUTHENTICATOR,
  returnAuthenticator: NETLOGON_AUTHENTICATOR,
  queryLevel: ndr.u32,
} as const;
export const NetrLogonGetCapabilitiesOut = {
  returnAuthenticator: NETLOGON_AUTHENTICATOR,
  serverCapabilities: NETLOGON_CAPABILITIES,
  status: ndr.u32,
} as const;

/** 3.5.4.5.3 NetrLogonSamLogon (opnum 2). */
export const NetrLogonSamLogonIn = {
  logonServer: LPWSTR,
  computerName: LPWSTR,
  authenticator: ndr.ptr(NETLOGON_AUTHENTICATOR),
  returnAuthenticator: ndr.ptr(NETLOGON_AUTHENTICATOR),
  logonLevel: ndr.u16,
  logonInformation: NETLOGON_LEVEL,
  validationLevel: ndr.u16,
} as const;
export const NetrLogonSamLogonOut = {
  returnAuthenticator: ndr.ptr(NETLOGON_AUTHENTICATOR),
  validationInformation: NETLOGON_VALIDATION,
  authoritative: ndr.u8,
  status: ndr.u32,
} as const;

/** 3.5.4.5.2 NetrLogonSamLogonWithFlags (opnum 45). */
export const NetrLogonSamLogonWithFlagsIn = {
  ...NetrLogonSamLogonIn,
  extraFlags: ndr.u32,
} as const;
export const NetrLogonSamLogonWithFlagsOut = {
  returnAuthenticator: ndr.ptr(NETLOGON_AUTHENTICATOR),
  validationInformation: NETLOGON_VALIDATION,
  authoritative: ndr.u8,
  extraFlags: ndr.u32,
  status: ndr.u32,
} as const;

/** 3.5.4.5.1 NetrLogonSamLogonEx (opnum 39; the handle_t has no wire form). */
export const NetrLogonSamLogonExIn = {
  logonServer: LPWSTR,
  computerName: LPWSTR,
  logonLevel: ndr.u16,
  logonInformation: NETLOGON_LEVEL,
  validationLevel: ndr.u16,
  extraFlags: ndr.u32,
} as const;
export const NetrLogonSamLogonExOut = {
  validationInformation: NETLOGON_VALIDATION,
  authoritative: ndr.u8,
  extraFlags: ndr.u32,
  status: ndr.u32,
} as const;

/** 3.5.4.3.1 DsrGetDcNameEx2 (opnum 34). */
export const DsrGetDcNameEx2In = {
  computerName: LPWSTR,
  accountName: LPWSTR,
  allowableAccountControlBits: ndr.u32,
  domainName: LPWSTR,
  domainGuid: ndr.ptr(GUID),
  siteName: LPWSTR,
  flags: ndr.u32,
} as const;
export const DsrGetDcNameEx2Out = {
  domainControllerInfo: ndr.ptr(DOMAIN_CONTROLLER_INFOW),
  status: ndr.u32, // NET_API_STATUS (a Win32 error code)
} as const;

/** 3.5.4.4 NetrLogonGetDomainInfo (opnum 29). */
export const NetrLogonGetDomainInfoIn = {
  serverName: ndr.wstring,
  computerName: LPWSTR,
  authenticator: NETLOGON_AUTHENTICATOR,
  returnAuthenticator: NETLOGON_AUTHENTICATOR,
  level: ndr.u32,
  wkstaBuffer: NETLOGON_WORKSTATION_INFORMATION,
} as const;
export const NetrLogonGetDomainInfoOut = {
  returnAuthenticator: NETLOGON_AUTHENTICATOR,
  domBuffer: NETLOGON_DOMAIN_INFORMATION,
  status: ndr.u32,
} as const;

/** Reads the parameters of one direction from a stub. Trailing bytes are tolerated (RPC stubs
 *  may be padded to an 8-byte boundary). Throws NdrError. */
export function decodeParams<P extends NdrParams>(params: P, stub: Buffer): ParamsValue<P> {
  const r = new ndr.NdrReader(stub);
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(params)) out[name] = ndr.readNdr(r, params[name]);
  if (r.remaining > 7) throw new ndr.NdrError(`${r.remaining} trailing bytes after the parameters`);
  return out as ParamsValue<P>;
}

/** Writes the parameters of one direction as one stub (one referent ID sequence). */
export function encodeParams<P extends NdrParams>(params: P, values: ParamsValue<P>): Buffer {
  const w = new ndr.NdrWriter();
  for (const name of Object.keys(params)) ndr.writeNdr(w, params[name], values[name] as never);
  return w.toBuffer();
}
