// Building a LogonToken (MS-AUTHSO 3.5 UserLogonToken) from what the domain returned: a PAC's
// KERB_VALIDATION_INFO or NETLOGON_VALIDATION_SAM_INFO4 (whose leading fields are the same,
// MS-NRPC 2.2.1.4.13). The LSA of a Windows server adds the well-known SIDs of the logon
// (MS-DTYP 2.4.2.4): Everyone, Authenticated Users, the logon-type SID, This Organization.

import { fileTimeToDate } from '../pac/filetime.js';
import type { KerbValidationInfo, SidAndAttributes } from '../pac/types.js';
import { sidWithRid } from '../dtyp/sid.js';
import type { LogonToken, LogonType, MechanismName } from './types.js';

export const SE_GROUP_MANDATORY = 0x1;
export const SE_GROUP_ENABLED_BY_DEFAULT = 0x2;
export const SE_GROUP_ENABLED = 0x4;
const DEFAULT_ATTRS = SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED;

export const EVERYONE = 'S-1-1-0';
export const AUTHENTICATED_USERS = 'S-1-5-11';
export const THIS_ORGANIZATION = 'S-1-5-15';
export const LOGON_TYPE_SID: Record<LogonType, string> = {
  interactive: 'S-1-5-4',
  network: 'S-1-5-2',
  networkCleartext: 'S-1-5-2',
  batch: 'S-1-5-3',
  service: 'S-1-5-6',
};
/** MS-DTYP 2.4.2.4: NTLM logons carry "NTLM Authentication" (S-1-5-64-10). */
export const NTLM_AUTHENTICATION = 'S-1-5-64-10';
/** MS-DTYP 2.4.2.4: Digest logons carry "Digest Authentication" (S-1-5-64-21). */
export const DIGEST_AUTHENTICATION = 'S-1-5-64-21';
export const DOMAIN_ADMINS_RID = 512;

export interface TokenOptions {
  logonType: LogonType;
  authPackage: MechanismName;
  dnsDomainName?: string;
  upn?: string;
  sessionKey?: Buffer;
}

export function logonTokenFromValidationInfo(info: KerbValidationInfo, o: TokenOptions): LogonToken {
  const domainSid = info.logonDomainId;
  const seen = new Set<string>();
  const groups: SidAndAttributes[] = [];
  const add = (sid: string, attributes: number) => {
    if (seen.has(sid)) return;
    seen.add(sid);
    groups.push({ sid, attributes });
  };
  for (const g of info.groupIds) add(sidWithRid(domainSid, g.relativeId), g.attributes);
  for (const s of info.extraSids) add(s.sid, s.attributes);
  if (info.resourceGroupDomainSid) for (const g of info.resourceGroupIds) add(sidWithRid(info.resourceGroupDomainSid, g.relativeId), g.attributes);
  add(EVERYONE, DEFAULT_ATTRS);
  add(AUTHENTICATED_USERS, DEFAULT_ATTRS);
  add(LOGON_TYPE_SID[o.logonType], DEFAULT_ATTRS);
  add(THIS_ORGANIZATION, DEFAULT_ATTRS);
  if (o.authPackage === 'NTLM') add(NTLM_AUTHENTICATION, DEFAULT_ATTRS);
  if (o.authPackage === 'Digest') add(DIGEST_AUTHENTICATION, DEFAULT_ATTRS);
  const isAdmin = info.groupIds.some((g) => g.relativeId === DOMAIN_ADMINS_RID);
  return {
    userSid: sidWithRid(domainSid, info.userId),
    primaryGroupSid: sidWithRid(domainSid, info.primaryGroupId),
    groups,
    privileges: isAdmin
      ? ['SeBackupPrivilege', 'SeRestorePrivilege', 'SeSecurityPrivilege', 'SeTakeOwnershipPrivilege', 'SeDebugPrivilege', 'SeChangeNotifyPrivilege']
      : ['SeChangeNotifyPrivilege'],
    logonType: o.logonType,
    authPackage: o.authPackage,
    userName: info.effectiveName,
    domainName: info.logonDomainName,
    dnsDomainName: o.dnsDomainName,
    upn: o.upn,
    logonServer: info.logonServer,
    profile: {
      fullName: info.fullName,
      homeDirectory: info.homeDirectory,
      homeDrive: info.homeDirectoryDrive,
      logonScript: info.logonScript,
      profilePath: info.profilePath,
    },
    userAccountControl: info.userAccountControl,
    logonTime: fileTimeToDate(info.logonTime),
    sessionKey: o.sessionKey,
  };
}

/** Every SID of the token (user first), for access checks. */
export function tokenSids(t: LogonToken): string[] {
  return [t.userSid, ...t.groups.filter((g) => (g.attributes & SE_GROUP_ENABLED) !== 0).map((g) => g.sid)];
}
