// Builds the PAC the KDC puts in every ticket (MS-PAC 2, MS-KILE 3.3.5.6.4): the logon
// information from the directory, client info bound to the ticket's authtime and cname, the
// UPN/DNS info with the SAM name and SID (2.10.1), the requestor SID that defeats the
// CVE-2021-42287 name-confusion attack, and the attributes buffer of TGTs.

import type { Key } from '../../crypto/types.js';
import type { Account, Domain, DomainPolicy, MembershipSet } from '../../directory/types.js';
import { UF } from '../../directory/types.js';
import {
  dateToFileTime,
  encodeKerbValidationInfo,
  encodePacAttributesInfo,
  encodePacClientInfo,
  encodePacRequestor,
  encodeUpnDnsInfo,
  FILETIME_NEVER,
  signPac,
} from '../../pac/index.js';
import { PAC_TYPE, type GroupMembership, type KerbValidationInfo, type PacBuffer, type SidAndAttributes } from '../../pac/types.js';
import { ufToUserAccountControl } from '../../samr/user-account-control.js';

/** MS-PAC 2.2.1 SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED */
export const SE_GROUP_DEFAULT = 0x7;
/** MS-PAC 2.2.1 SE_GROUP_RESOURCE: a domain-local group added for the resource's domain. */
export const SE_GROUP_RESOURCE = 0x20000000;
/** MS-PAC 2.5 UserFlags */
export const LOGON_EXTRA_SIDS = 0x20;
export const LOGON_RESOURCE_GROUPS = 0x200;
/** MS-DTYP 2.4.2.4: the Kerberos KDC asserted this identity from a credential. */
export const AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY = 'S-1-18-1';
/** MS-PAC 2.14 */
export const PAC_WAS_REQUESTED = 0x1;
export const PAC_WAS_GIVEN_IMPLICITLY = 0x2;

export interface PacInput {
  domain: Domain;
  account: Account;
  membership: MembershipSet;
  dcName: string; // NetBIOS name of this DC (LogonServer)
  authtime: Date;
  /** The ticket's cname as a string without realm: PAC_CLIENT_INFO must match it. */
  clientName: string;
  /** true when the client sent PA-PAC-REQUEST include-pac=TRUE. */
  pacRequested: boolean;
  /** TGTs carry PAC_ATTRIBUTES_INFO; service tickets do not. */
  forTgt: boolean;
}

function passwordTimes(account: Account, policy: DomainPolicy): { canChange: bigint; mustChange: bigint } {
  if (!account.pwdLastSet) return { canChange: 0n, mustChange: 0n };
  const last = account.pwdLastSet.getTime();
  const canChange = dateToFileTime(new Date(last + policy.minPasswordAge * 1000));
  const neverExpires = (account.userAccountControl & UF.DONT_EXPIRE_PASSWD) !== 0 || account.kind !== 'user' || policy.maxPasswordAge === 0;
  const mustChange = neverExpires ? FILETIME_NEVER : dateToFileTime(new Date(last + policy.maxPasswordAge * 1000));
  return { canChange, mustChange };
}

export function buildValidationInfo(i: PacInput): KerbValidationInfo {
  const { domain, account, membership } = i;
  const groupIds: GroupMembership[] = membership.domainGroupRids.map((rid) => ({ relativeId: rid, attributes: SE_GROUP_DEFAULT }));
  const extraSids: SidAndAttributes[] = [{ sid: AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY, attributes: SE_GROUP_DEFAULT }];
  for (const sid of membership.extraSids) extraSids.push({ sid, attributes: SE_GROUP_DEFAULT });
  const { canChange, mustChange } = passwordTimes(account, domain.policy);
  return {
    logonTime: dateToFileTime(i.authtime),
    logoffTime: FILETIME_NEVER,
    kickOffTime: account.accountExpires ? dateToFileTime(account.accountExpires) : FILETIME_NEVER,
    passwordLastSet: dateToFileTime(account.pwdLastSet),
    passwordCanChange: canChange,
    passwordMustChange: mustChange,
    effectiveName: account.samAccountName,
    fullName: account.displayName,
    logonScript: account.scriptPath,
    profilePath: account.profilePath,
    homeDirectory: account.homeDirectory,
    homeDirectoryDrive: account.homeDrive,
    logonCount: account.logonCount,
    badPasswordCount: account.badPwdCount,
    userId: account.rid,
    primaryGroupId: account.primaryGroupId,
    groupIds,
    userFlags: extraSids.length > 0 ? LOGON_EXTRA_SIDS : 0,
    userSessionKey: Buffer.alloc(16),
    logonServer: i.dcName,
    logonDomainName: domain.netbiosName,
    logonDomainId: domain.sid,
    userAccountControl: ufToUserAccountControl(account.userAccountControl),
    subAuthStatus: 0,
    lastSuccessfulILogon: 0n,
    lastFailedILogon: 0n,
    failedILogonCount: 0,
    extraSids,
    resourceGroupIds: [],
  };
}

/** MS-KILE 3.3.5.7.4 (TGS): the domain-local groups of the service's domain join the PAC as resource groups. */
export function addResourceGroups(info: KerbValidationInfo, domainSid: string, membership: MembershipSet): KerbValidationInfo {
  if (membership.domainLocalGroupRids.length === 0) return info;
  const have = new Set(info.resourceGroupIds.map((g) => g.relativeId));
  const resourceGroupIds = [...info.resourceGroupIds];
  for (const rid of membership.domainLocalGroupRids) {
    if (!have.has(rid)) resourceGroupIds.push({ relativeId: rid, attributes: SE_GROUP_DEFAULT | SE_GROUP_RESOURCE });
  }
  return {
    ...info,
    resourceGroupDomainSid: domainSid,
    resourceGroupIds,
    userFlags: info.userFlags | LOGON_RESOURCE_GROUPS,
  };
}

export function buildPacBuffers(i: PacInput): PacBuffer[] {
  const info = buildValidationInfo(i);
  const upnSet = i.account.userPrincipalName !== undefined && i.account.userPrincipalName !== '';
  const buffers: PacBuffer[] = [
    { type: PAC_TYPE.LOGON_INFO, data: encodeKerbValidationInfo(info) },
    { type: PAC_TYPE.CLIENT_INFO, data: encodePacClientInfo({ clientId: dateToFileTime(i.authtime), name: i.clientName }) },
    {
      type: PAC_TYPE.UPN_DNS_INFO,
      data: encodeUpnDnsInfo({
        upn: upnSet ? i.account.userPrincipalName! : `${i.account.samAccountName}@${i.domain.dnsName}`,
        dnsDomainName: i.domain.realm,
        flags: (upnSet ? 0 : 0x1) | 0x2,
        samName: i.account.samAccountName,
        sid: i.account.sid,
      }),
    },
  ];
  if (i.forTgt) {
    buffers.push({
      type: PAC_TYPE.ATTRIBUTES_INFO,
      data: encodePacAttributesInfo({ flagsLength: 2, flags: i.pacRequested ? PAC_WAS_REQUESTED : PAC_WAS_GIVEN_IMPLICITLY }),
    });
  }
  buffers.push({ type: PAC_TYPE.REQUESTOR, data: encodePacRequestor(i.account.sid) });
  return buffers;
}

export function buildSignedPac(i: PacInput, serverKey: Key, kdcKey: Key): Buffer {
  return signPac(buildPacBuffers(i), serverKey, kdcKey);
}

