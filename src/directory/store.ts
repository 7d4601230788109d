// The storage contract of the directory. A backend (SQLite now, PostgreSQL later) stores
// objects and enforces uniqueness and atomicity; all domain rules (names, policy, keys,
// lockout, group nesting) live in Directory (./directory.ts), which uses only this interface.
//
// Every mutating method is one transaction. Methods are async so that a networked backend can
// implement them; the callbacks passed to mutateAccount are synchronous and pure, so a backend
// can run them between its SELECT ... FOR UPDATE and its UPDATE.

import { DirectoryError } from './errors.js';
import type { Account, AccountKind, AccountSecrets, Domain, DomainPolicy, Group, GroupScope, KeySet, PrincipalEntry } from './types.js';

/** The fields of an account a caller may change (null clears an optional attribute). */
export interface AccountPatch {
  userPrincipalName?: string | null;
  dnsHostName?: string | null;
  displayName?: string;
  userAccountControl?: number;
  supportedEncryptionTypes?: number | null;
  primaryGroupId?: number;
  logonHours?: Buffer | null;
  accountExpires?: Date | null;
  /** null = 0 in AD: the password must be changed at next logon. */
  pwdLastSet?: Date | null;
  badPwdCount?: number;
  badPasswordTime?: Date | null;
  lockoutTime?: Date | null;
  lastLogon?: Date | null;
  logonCount?: number;
  homeDirectory?: string;
  homeDrive?: string;
  scriptPath?: string;
  profilePath?: string;
  altSecurityIdentities?: string[];
}

/** An account to create: RID given (well-known accounts) or allocated by the store. */
export interface NewAccount {
  rid?: number;
  kind: AccountKind;
  samAccountName: string;
  userPrincipalName?: string;
  servicePrincipalNames: string[];
  dnsHostName?: string;
  displayName: string;
  userAccountControl: number;
  supportedEncryptionTypes?: number;
  primaryGroupId: number;
  logonHours?: Buffer;
  accountExpires?: Date;
  pwdLastSet?: Date;
  homeDirectory: string;
  homeDrive: string;
  scriptPath: string;
  profilePath: string;
  altSecurityIdentities: string[];
}

/** Key material of one password set; the store assigns the kvno (previous + 1). */
export interface NewKeyMaterial {
  ntHash: Buffer;
  keys: KeySet['keys'];
  salt: string;
  /** MS-SAMR 3.1.1.8.11.3.1 Primary:WDigest blob (./wdigest.ts); absent = none stored. */
  wdigest?: Buffer;
}

export interface NewGroup {
  /** Full SID for groups outside the domain (builtin S-1-5-32-544); else allocated from the domain. */
  sid?: string;
  rid?: number;
  samAccountName: string;
  description: string;
  scope: GroupScope;
}

/** Everything provisioning writes, committed as one transaction. */
export interface ProvisionData {
  domain: Domain;
  accounts: Array<{ account: NewAccount & { rid: number }; keys: NewKeyMaterial }>;
  groups: Array<NewGroup & { rid: number }>;
  /** [group SID, member SID] */
  memberships: Array<[string, string]>;
}

/** One account of a batch (Store.createAccounts). */
export interface NewAccountEntry {
  account: NewAccount;
  keys: NewKeyMaterial;
}

/**
 * The failure of one entry of a batch (Store.createAccounts, Directory.createUsers): the
 * entry's own error (same code; `reason` is its message), the entry's position in the input
 * and its name. The message names both.
 */
export class BatchEntryError extends DirectoryError {
  readonly index: number;
  readonly entryName: string;
  readonly reason: string;
  constructor(cause: DirectoryError, index: number, entryName: string) {
    super(cause.code, `entry ${index + 1} (${entryName}): ${cause.message}`);
    this.name = 'BatchEntryError';
    this.index = index;
    this.entryName = entryName;
    this.reason = cause.message;
  }

  /** The same failure at another position (a batch's offset in a larger input). */
  at(index: number): BatchEntryError {
    return new BatchEntryError(new DirectoryError(this.code, this.reason), index, this.entryName);
  }
}

/** A group reached by the membership closure. */
export interface GroupRef {
  sid: string;
  rid: number;
  scope: GroupScope;
}

/** Successful-logon statistics accumulated in memory and flushed in batches. */
export interface LogonStat {
  rid: number;
  lastLogon: Date;
  logons: number;
}

export interface Store {
  /** undefined until provisioned. */
  getDomain(): Promise<Domain | undefined>;
  /** Fails with ALREADY_PROVISIONED when a domain exists. */
  provision(data: ProvisionData): Promise<void>;
  setPolicy(policy: DomainPolicy): Promise<void>;

  /**
   * Creates the account and its secrets (kvno 1) in one transaction, allocating the RID from
   * Domain.nextRid when none is given. Fails with ALREADY_EXISTS when the sAMAccountName is
   * taken by any account or group, UPN_IN_USE / SPN_IN_USE on those conflicts.
   */
  createAccount(account: NewAccount, keys: NewKeyMaterial): Promise<Account>;
  /**
   * Creates every account of the batch as createAccount would (same checks, RIDs allocated in
   * order), all in one transaction: when one entry fails, nothing of the batch is written and
   * the error is a BatchEntryError with the entry's index and name. Returns the RIDs in order.
   */
  createAccounts(entries: NewAccountEntry[]): Promise<number[]>;
  getAccount(rid: number): Promise<Account | undefined>;
  findAccountBySam(samAccountName: string): Promise<Account | undefined>;
  /**
   * The accounts holding any of these altSecurityIdentities values (compared case-insensitively,
   * as AD's attribute is). Certificate logons are rare: implementations may scan.
   */
  findAccountsByAltSecurityIdentity(values: string[]): Promise<Account[]>;
  listAccounts(kind?: AccountKind): Promise<Account[]>;
  /** Fails with NO_SUCH_OBJECT / UPN_IN_USE. */
  updateAccount(rid: number, patch: AccountPatch): Promise<Account>;
  /**
   * Read-modify-write in one transaction: `fn` sees the current account and domain and returns
   * the patch to apply (undefined: no write at all). Returns the account as committed.
   */
  mutateAccount(rid: number, fn: (account: Account, domain: Domain) => AccountPatch | undefined): Promise<Account>;
  /** Removes the account, its secrets, SPNs and group memberships. */
  deleteAccount(rid: number): Promise<void>;

  /** Account and secrets read together (one statement / snapshot). */
  getPrincipal(by: { rid: number } | { sam: string } | { upn: string } | { spn: string }): Promise<PrincipalEntry | undefined>;
  getSecrets(rid: number): Promise<AccountSecrets | undefined>;
  /**
   * A password set: new kvno = current + 1, the current KeySet moves to previous (at most
   * `keepPrevious` kept), pwdLastSet is written — all in one transaction. Returns the new kvno.
   */
  setPassword(rid: number, keys: NewKeyMaterial, opts: { keepPrevious: number; pwdLastSet: Date | null }): Promise<number>;

  /** Fails with SPN_IN_USE (message names the owner) when any account already has it (case-insensitive). */
  addSpn(rid: number, spn: string): Promise<void>;
  /** Returns false when the account did not have it. */
  removeSpn(rid: number, spn: string): Promise<boolean>;

  createGroup(group: NewGroup): Promise<Group>;
  getGroup(sid: string): Promise<Group | undefined>;
  findGroupBySam(samAccountName: string): Promise<Group | undefined>;
  listGroups(): Promise<Group[]>;
  deleteGroup(sid: string): Promise<void>;
  /** Returns false when already a member. */
  addMember(groupSid: string, memberSid: string): Promise<boolean>;
  /** Returns false when not a member. */
  removeMember(groupSid: string, memberSid: string): Promise<boolean>;
  /** Every group reachable from the given SIDs through membership (transitive, cycle-safe). */
  groupClosure(sids: string[]): Promise<GroupRef[]>;

  /** Adds the logon counts and raises lastLogon, for all entries in one transaction. */
  flushLogonStats(stats: LogonStat[]): Promise<void>;

  close(): Promise<void>;
}
