// The account directory as Active Directory models it (MS-ADTS attribute names in comments).
// The Store interface is what a storage backend implements (SQLite now, PostgreSQL later);
// Directory (./directory.ts) is the domain logic over a Store that every protocol uses.

import type { Key } from '../crypto/types.js';

/** MS-ADTS 2.2.16 userAccountControl bits. */
export const UF = {
  SCRIPT: 0x1,
  ACCOUNTDISABLE: 0x2,
  HOMEDIR_REQUIRED: 0x8,
  LOCKOUT: 0x10,
  PASSWD_NOTREQD: 0x20,
  PASSWD_CANT_CHANGE: 0x40,
  ENCRYPTED_TEXT_PASSWORD_ALLOWED: 0x80,
  NORMAL_ACCOUNT: 0x200,
  INTERDOMAIN_TRUST_ACCOUNT: 0x800,
  WORKSTATION_TRUST_ACCOUNT: 0x1000,
  SERVER_TRUST_ACCOUNT: 0x2000,
  DONT_EXPIRE_PASSWD: 0x10000,
  SMARTCARD_REQUIRED: 0x40000,
  TRUSTED_FOR_DELEGATION: 0x80000,
  NOT_DELEGATED: 0x100000,
  USE_DES_KEY_ONLY: 0x200000,
  DONT_REQUIRE_PREAUTH: 0x400000,
  PASSWORD_EXPIRED: 0x800000,
  TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION: 0x1000000,
  NO_AUTH_DATA_REQUIRED: 0x2000000,
  PARTIAL_SECRETS_ACCOUNT: 0x4000000,
} as const;

/** MS-KILE 2.2.7 msDS-SupportedEncryptionTypes bits. */
export const SUPPORTED_ETYPE = {
  DES_CBC_CRC: 0x1,
  DES_CBC_MD5: 0x2,
  RC4_HMAC: 0x4,
  AES128: 0x8,
  AES256: 0x10,
  AES256_SK: 0x20,
} as const;

/** MS-ADTS groupType bits. */
export const GROUP_TYPE = {
  GLOBAL: 0x2,
  DOMAIN_LOCAL: 0x4,
  UNIVERSAL: 0x8,
  SECURITY_ENABLED: 0x80000000,
} as const;

export type GroupScope = 'global' | 'domainLocal' | 'universal';

/** Domain-wide policy (MS-ADTS domainDNS attributes; MS-KILE 3.3.1 KDC policy). Durations in seconds. */
export interface DomainPolicy {
  maxPasswordAge: number; // maxPwdAge; 0 = never expires
  minPasswordAge: number;
  minPasswordLength: number;
  passwordHistoryLength: number;
  /** pwdProperties DOMAIN_PASSWORD_COMPLEX (Windows default on; ours off, see policy.ts defaultPolicy); undefined = off. */
  passwordComplexity?: boolean;
  lockoutThreshold: number; // 0 = never lock
  lockoutDuration: number; // 0 = until an admin unlocks
  lockoutObservationWindow: number;
  maxTicketAge: number; // MaxTicketAge (default 10 h)
  maxRenewAge: number; // MaxRenewAge (default 7 d)
  maxServiceAge: number; // MaxServiceAge (default 600 min)
  maxClockSkew: number; // MaxClockSkew (default 5 min)
  /** Refuse TGS-REQs whose authenticator lacks a body checksum (impacket omits it; Windows accepts). */
  requireTgsBodyChecksum: boolean;
}

export interface Domain {
  dnsName: string; // 'example.test'
  realm: string; // 'EXAMPLE.TEST'
  netbiosName: string; // 'EXAMPLE'
  sid: string; // 'S-1-5-21-a-b-c'
  functionalLevel: number; // msDS-Behavior-Version; 7 = Windows Server 2016
  policy: DomainPolicy;
  nextRid: number;
}

export type AccountKind = 'user' | 'computer' | 'krbtgt';

/** Kerberos keys for one key version. */
export interface KeySet {
  kvno: number;
  keys: Key[]; // aes256, aes128, rc4 (= NT hash) ...
  /** The salt string the AES keys were made with (ETYPE-INFO2 needs it). */
  salt: string;
}

export interface Account {
  rid: number;
  sid: string;
  kind: AccountKind;
  samAccountName: string; // 'alice', 'WEB$', 'krbtgt'
  userPrincipalName?: string; // 'alice@example.test'
  servicePrincipalNames: string[]; // 'HTTP/web.example.test'
  dnsHostName?: string; // computers: 'web.example.test'
  displayName: string;
  userAccountControl: number;
  supportedEncryptionTypes?: number; // msDS-SupportedEncryptionTypes; undefined = default
  primaryGroupId: number; // 513 users, 515 computers
  /** 21 bytes (168 bits, one per hour from Sunday 00:00 UTC); undefined = always allowed. */
  logonHours?: Buffer;
  accountExpires?: Date; // undefined = never
  pwdLastSet?: Date; // undefined (0) = must change at next logon
  badPwdCount: number;
  badPasswordTime?: Date;
  lockoutTime?: Date; // set while locked out
  lastLogon?: Date;
  logonCount: number;
  homeDirectory: string;
  homeDrive: string;
  scriptPath: string;
  profilePath: string;
  /** Certificate mappings (altSecurityIdentities), later issues. */
  altSecurityIdentities: string[];
}

/** Secrets never leave the directory layer except to the protocol code that needs them. */
export interface AccountSecrets {
  ntHash?: Buffer; // unicodePwd as NT OWF (16 bytes)
  current: KeySet;
  /** Previous key versions kept so tickets survive one rotation (krbtgt, services). */
  previous: KeySet[];
  /**
   * MS-SAMR 3.1.1.8.11.3.1 Primary:WDigest (29 precomputed Digest H(A1) values) of the current
   * password; absent for passwords set before authso stored them (Digest fails until a reset).
   */
  wdigest?: Buffer;
}

export interface Group {
  rid: number;
  sid: string;
  samAccountName: string;
  description: string;
  scope: GroupScope;
  /** Member SIDs (users, computers, or other groups). */
  members: string[];
}

/** What the KDC needs to answer for a principal, read in one transaction. */
export interface PrincipalEntry {
  account: Account;
  secrets: AccountSecrets;
}

/** The groups of a logon as the PAC carries them (MS-PAC 2.5). */
export interface MembershipSet {
  /** RIDs of groups of the account's own domain (global and universal), transitive, incl. primary group. */
  domainGroupRids: number[];
  /** Domain-local groups (resource groups) of this domain, transitive. */
  domainLocalGroupRids: number[];
  /** SIDs outside the domain (well-known builtin like S-1-5-32-544), transitive. */
  extraSids: string[];
}
