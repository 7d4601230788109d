// MS-PAC section 2: the Privilege Attribute Certificate as plain data. Codec: ./pac.ts
// (PACTYPE/PAC_INFO_BUFFER framing) and ./validation-info.ts (NDR KERB_VALIDATION_INFO).

/** A SID in its string form 'S-1-5-21-...' (src/dtyp/sid.ts converts to/from bytes). */
export type SidString = string;

/** MS-DTYP 2.3.3 FILETIME as a bigint of 100 ns ticks since 1601; 0x7FFFFFFFFFFFFFFF = never. */
export type FileTime = bigint;

/** MS-PAC 2.2.1 GROUP_MEMBERSHIP */
export interface GroupMembership {
  relativeId: number;
  attributes: number; // SE_GROUP_* (MS-PAC 2.2.1): usually 7 = MANDATORY|ENABLED_BY_DEFAULT|ENABLED
}

/** MS-PAC 2.2.1 KERB_SID_AND_ATTRIBUTES */
export interface SidAndAttributes {
  sid: SidString;
  attributes: number;
}

/** MS-PAC 2.5 KERB_VALIDATION_INFO */
export interface KerbValidationInfo {
  logonTime: FileTime;
  logoffTime: FileTime;
  kickOffTime: FileTime;
  passwordLastSet: FileTime;
  passwordCanChange: FileTime;
  passwordMustChange: FileTime;
  effectiveName: string;
  fullName: string;
  logonScript: string;
  profilePath: string;
  homeDirectory: string;
  homeDirectoryDrive: string;
  logonCount: number;
  badPasswordCount: number;
  userId: number;
  primaryGroupId: number;
  groupIds: GroupMembership[];
  userFlags: number; // LOGON_EXTRA_SIDS 0x20, LOGON_RESOURCE_GROUPS 0x200, ...
  userSessionKey: Buffer; // 16 bytes, zero in a Kerberos PAC
  logonServer: string;
  logonDomainName: string;
  logonDomainId: SidString;
  userAccountControl: number;
  subAuthStatus: number;
  lastSuccessfulILogon: FileTime;
  lastFailedILogon: FileTime;
  failedILogonCount: number;
  extraSids: SidAndAttributes[];
  resourceGroupDomainSid?: SidString;
  resourceGroupIds: GroupMembership[];
}

/** MS-PAC 2.7 PAC_CLIENT_INFO */
export interface PacClientInfo {
  clientId: FileTime; // the ticket's authtime as FILETIME
  name: string;
}

/** MS-PAC 2.10 UPN_DNS_INFO (with the 2.10.1 extension when flags has S bit 0x2) */
export interface UpnDnsInfo {
  upn: string;
  dnsDomainName: string;
  flags: number; // U (0x1): no UPN set; S (0x2): extension present
  samName?: string;
  sid?: SidString;
}

/** MS-PAC 2.8 PAC_SIGNATURE_DATA */
export interface PacSignatureData {
  signatureType: number; // cksumtype: 16 (aes256), 15 (aes128), -138 (hmac-md5)
  signature: Buffer;
  rodcIdentifier?: number;
}

/** MS-PAC 2.14 PAC_ATTRIBUTES_INFO */
export interface PacAttributesInfo {
  flagsLength: number; // bits, 2
  flags: number; // PAC_WAS_REQUESTED 0x1, PAC_WAS_GIVEN_IMPLICITLY 0x2
}

/** MS-PAC 2.4 ulType values */
export const PAC_TYPE = {
  LOGON_INFO: 1,
  CREDENTIALS_INFO: 2,
  SERVER_CHECKSUM: 6,
  PRIVSVR_CHECKSUM: 7,
  CLIENT_INFO: 10,
  DELEGATION_INFO: 11,
  UPN_DNS_INFO: 12,
  CLIENT_CLAIMS_INFO: 13,
  DEVICE_INFO: 14,
  DEVICE_CLAIMS_INFO: 15,
  TICKET_CHECKSUM: 16,
  ATTRIBUTES_INFO: 17,
  REQUESTOR: 18,
  FULL_PAC_CHECKSUM: 19,
} as const;

/** One PAC_INFO_BUFFER: the type and its raw bytes (decoded views come from the typed helpers). */
export interface PacBuffer {
  type: number;
  data: Buffer;
}

/** MS-PAC 2.3 PACTYPE, buffers in wire order. */
export interface Pac {
  version: number; // 0
  buffers: PacBuffer[];
}
