// MS-PAC 2.5 KERB_VALIDATION_INFO, the PAC_LOGON_INFO buffer: MS-PAC 2.5 has it marshalled with
// MS-RPCE 2.2.6 type serialization version 1, the serialized type being a unique pointer to
// KERB_VALIDATION_INFO (so the NDR data starts with the referent ID 0x00020000).
//
// The structure is declared once below (member order and types from MS-PAC 2.5, GROUP_MEMBERSHIP
// and KERB_SID_AND_ATTRIBUTES from 2.2); the NDR layer derives both directions from it.

import * as ndr from '../encoding/ndr.js';
import type { NdrValue } from '../encoding/ndr.js';
import { asPacError, PacError } from './errors.js';
import type { GroupMembership, KerbValidationInfo, SidAndAttributes } from './types.js';

/** MS-PAC 2.2.2 GROUP_MEMBERSHIP (also used by Netlogon validation info). */
export const GROUP_MEMBERSHIP = ndr.struct('GROUP_MEMBERSHIP', {
  relativeId: ndr.u32,
  attributes: ndr.u32,
});

/** MS-PAC 2.2.1 KERB_SID_AND_ATTRIBUTES: PISID Sid; ULONG Attributes. */
export const KERB_SID_AND_ATTRIBUTES = ndr.struct('KERB_SID_AND_ATTRIBUTES', {
  sid: ndr.ptr(ndr.sid),
  attributes: ndr.u32,
});

/**
 * The members KERB_VALIDATION_INFO shares, in order and wire form, with MS-NRPC's
 * NETLOGON_VALIDATION_SAM_INFO/2/4 (2.2.1.4.11-13; src/netlogon/idl.ts), up to UserSessionKey.
 */
export const VALIDATION_INFO_HEAD = {
  logonTime: ndr.filetime,
  logoffTime: ndr.filetime,
  kickOffTime: ndr.filetime,
  passwordLastSet: ndr.filetime,
  passwordCanChange: ndr.filetime,
  passwordMustChange: ndr.filetime,
  effectiveName: ndr.ustring,
  fullName: ndr.ustring,
  logonScript: ndr.ustring,
  profilePath: ndr.ustring,
  homeDirectory: ndr.ustring,
  homeDirectoryDrive: ndr.ustring,
  logonCount: ndr.u16,
  badPasswordCount: ndr.u16,
  userId: ndr.u32,
  primaryGroupId: ndr.u32,
  groupCount: ndr.sizeOf('groupIds'),
  groupIds: ndr.ptr(ndr.carray(GROUP_MEMBERSHIP)),
  userFlags: ndr.u32,
  userSessionKey: ndr.bytes(16), // USER_SESSION_KEY: two 8-byte CYPHER_BLOCKs
} as const;

/** MS-PAC 2.5 KERB_VALIDATION_INFO. The *Count members are size_is() of the arrays after them. */
export const KERB_VALIDATION_INFO = ndr.struct('KERB_VALIDATION_INFO', {
  ...VALIDATION_INFO_HEAD,
  // Windows sends these two with MaximumLength = Length + 2; matching it keeps our encoding
  // byte-identical to a Windows DC's (checked against a captured Windows PAC in the tests).
  logonServer: ndr.ustringZ,
  logonDomainName: ndr.ustringZ,
  logonDomainId: ndr.ptr(ndr.sid),
  reserved1: ndr.fixedArray(ndr.u32, 2),
  userAccountControl: ndr.u32,
  subAuthStatus: ndr.u32,
  lastSuccessfulILogon: ndr.filetime,
  lastFailedILogon: ndr.filetime,
  failedILogonCount: ndr.u32,
  reserved3: ndr.u32,
  sidCount: ndr.sizeOf('extraSids'),
  extraSids: ndr.ptr(ndr.carray(KERB_SID_AND_ATTRIBUTES)),
  resourceGroupDomainSid: ndr.ptr(ndr.sid),
  resourceGroupCount: ndr.sizeOf('resourceGroupIds'),
  resourceGroupIds: ndr.ptr(ndr.carray(GROUP_MEMBERSHIP)),
});

/** PKERB_VALIDATION_INFO: what PAC_LOGON_INFO serializes. */
export const PKERB_VALIDATION_INFO = ndr.ptr(KERB_VALIDATION_INFO);

export type KerbValidationInfoWire = NdrValue<typeof KERB_VALIDATION_INFO>;

function groups(gs: GroupMembership[]): { relativeId: number; attributes: number }[] | null {
  // An empty list is sent as a NULL pointer with a zero count, as Windows does.
  return gs.length === 0 ? null : gs.map((g) => ({ relativeId: g.relativeId, attributes: g.attributes }));
}

/** The NDR value for info (empty strings become non-NULL empty strings, like Windows). */
export function kerbValidationInfoToWire(info: KerbValidationInfo): KerbValidationInfoWire {
  if (!Buffer.isBuffer(info.userSessionKey) || info.userSessionKey.length !== 16) {
    throw new PacError('KERB_VALIDATION_INFO.userSessionKey must be 16 bytes');
  }
  return {
    logonTime: info.logonTime,
    logoffTime: info.logoffTime,
    kickOffTime: info.kickOffTime,
    passwordLastSet: info.passwordLastSet,
    passwordCanChange: info.passwordCanChange,
    passwordMustChange: info.passwordMustChange,
    effectiveName: info.effectiveName,
    fullName: info.fullName,
    logonScript: info.logonScript,
    profilePath: info.profilePath,
    homeDirectory: info.homeDirectory,
    homeDirectoryDrive: info.homeDirectoryDrive,
    logonCount: info.logonCount,
    badPasswordCount: info.badPasswordCount,
    userId: info.userId,
    primaryGroupId: info.primaryGroupId,
    groupIds: groups(info.groupIds),
    userFlags: info.userFlags,
    userSessionKey: info.userSessionKey,
    logonServer: info.logonServer,
    logonDomainName: info.logonDomainName,
    logonDomainId: info.logonDomainId,
    reserved1: [0, 0],
    userAccountControl: info.userAccountControl,
    subAuthStatus: info.subAuthStatus,
    lastSuccessfulILogon: info.lastSuccessfulILogon,
    lastFailedILogon: info.lastFailedILogon,
    failedILogonCount: info.failedILogonCount,
    reserved3: 0,
    extraSids: info.extraSids.length === 0 ? null : info.extraSids.map((s) => ({ sid: s.sid, attributes: s.attributes })),
    resourceGroupDomainSid: info.resourceGroupDomainSid ?? null,
    resourceGroupIds: groups(info.resourceGroupIds),
  };
}

/** The PAC view of a decoded KERB_VALIDATION_INFO (NULL strings read as ''). */
export function kerbValidationInfoFromWire(w: KerbValidationInfoWire): KerbValidationInfo {
  if (w.logonDomainId === null) throw new PacError('KERB_VALIDATION_INFO.LogonDomainId is NULL');
  const extraSids: SidAndAttributes[] = (w.extraSids ?? []).map((s, i) => {
    if (s.sid === null) throw new PacError(`KERB_VALIDATION_INFO.ExtraSids[${i}].Sid is NULL`);
    return { sid: s.sid, attributes: s.attributes };
  });
  const info: KerbValidationInfo = {
    logonTime: w.logonTime,
    logoffTime: w.logoffTime,
    kickOffTime: w.kickOffTime,
    passwordLastSet: w.passwordLastSet,
    passwordCanChange: w.passwordCanChange,
    passwordMustChange: w.passwordMustChange,
    effectiveName: w.effectiveName ?? '',
    fullName: w.fullName ?? '',
    logonScript: w.logonScript ?? '',
    profilePath: w.profilePath ?? '',
    homeDirectory: w.homeDirectory ?? '',
    homeDirectoryDrive: w.homeDirectoryDrive ?? '',
    logonCount: w.logonCount,
    badPasswordCount: w.badPasswordCount,
    userId: w.userId,
    primaryGroupId: w.primaryGroupId,
    groupIds: (w.groupIds ?? []).map((g) => ({ relativeId: g.relativeId, attributes: g.attributes })),
    userFlags: w.userFlags,
    userSessionKey: w.userSessionKey,
    logonServer: w.logonServer ?? '',
    logonDomainName: w.logonDomainName ?? '',
    logonDomainId: w.logonDomainId,
    userAccountControl: w.userAccountControl,
    subAuthStatus: w.subAuthStatus,
    lastSuccessfulILogon: w.lastSuccessfulILogon,
    lastFailedILogon: w.lastFailedILogon,
    failedILogonCount: w.failedILogonCount,
    extraSids,
    resourceGroupIds: (w.resourceGroupIds ?? []).map((g) => ({ relativeId: g.relativeId, attributes: g.attributes })),
  };
  if (w.resourceGroupDomainSid !== null) info.resourceGroupDomainSid = w.resourceGroupDomainSid;
  return info;
}

/** PAC_LOGON_INFO buffer contents (MS-PAC 2.5). */
export function encodeKerbValidationInfo(info: KerbValidationInfo): Buffer {
  const wire = kerbValidationInfoToWire(info);
  return asPacError('PAC_LOGON_INFO', () => ndr.encodeTypeSerialization1(PKERB_VALIDATION_INFO, wire));
}

/** Decodes a PAC_LOGON_INFO buffer; throws PacError. */
export function decodeKerbValidationInfo(buf: Buffer): KerbValidationInfo {
  return asPacError('PAC_LOGON_INFO', () => {
    const wire = ndr.decodeTypeSerialization1(PKERB_VALIDATION_INFO, buf);
    if (wire === null) throw new PacError('PAC_LOGON_INFO: NULL KERB_VALIDATION_INFO pointer');
    return kerbValidationInfoFromWire(wire);
  });
}
