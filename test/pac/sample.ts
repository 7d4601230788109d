// A KERB_VALIDATION_INFO shared by the PAC tests.

import { FILETIME_NEVER, dateToFileTime, type KerbValidationInfo } from '../../src/pac/index.js';

export const SAMPLE_INFO: KerbValidationInfo = {
  logonTime: dateToFileTime(new Date('2024-01-02T03:04:05Z')),
  logoffTime: FILETIME_NEVER,
  kickOffTime: FILETIME_NEVER,
  passwordLastSet: dateToFileTime(new Date('2023-12-01T00:00:00Z')),
  passwordCanChange: 0n,
  passwordMustChange: FILETIME_NEVER,
  effectiveName: 'bob',
  fullName: 'Bob Builder',
  logonScript: '',
  profilePath: '',
  homeDirectory: '',
  homeDirectoryDrive: '',
  logonCount: 3,
  badPasswordCount: 0,
  userId: 1105,
  primaryGroupId: 513,
  groupIds: [
    { relativeId: 513, attributes: 7 },
    { relativeId: 1200, attributes: 7 },
  ],
  userFlags: 0x20,
  userSessionKey: Buffer.alloc(16),
  logonServer: 'DC1',
  logonDomainName: 'CORP',
  logonDomainId: 'S-1-5-21-1-2-3',
  userAccountControl: 0x10,
  subAuthStatus: 0,
  lastSuccessfulILogon: 0n,
  lastFailedILogon: 0n,
  failedILogonCount: 0,
  extraSids: [{ sid: 'S-1-18-1', attributes: 7 }],
  resourceGroupIds: [],
};
