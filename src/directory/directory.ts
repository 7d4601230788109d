// The account directory: Active Directory's domain model (MS-ADTS, MS-SAMR) over a Store.
// The KDC, NTLM/Netlogon code and the admin commands use only this class.

import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryError } from './errors.js';
import { KeyDerivationPool, type KeyJob } from './key-pool.js';
import { keyMaterial, randomDomainSid, randomPassword, saltFor, type KeyMaterialNames } from './keys.js';
import {
  computerSamName,
  foldName,
  validateDnsName,
  validateGroupName,
  validateNetbiosDomainName,
  validateSpn,
  validateUpn,
  validateUserName,
} from './names.js';
import {
  accountRestrictions,
  badPasswordTransition,
  checkPasswordPolicy,
  defaultPolicy,
  isLockedOut,
  validatePolicy,
  type RestrictionOptions,
} from './policy.js';
import { SqliteStore } from './sqlite-store.js';
import { BatchEntryError, type AccountPatch, type NewAccount, type NewAccountEntry, type NewGroup, type ProvisionData, type Store } from './store.js';
import {
  UF,
  type Account,
  type AccountKind,
  type Domain,
  type DomainPolicy,
  type Group,
  type GroupScope,
  type MembershipSet,
  type PrincipalEntry,
} from './types.js';

/** Well-known RIDs (MS-DTYP 2.4.2.4 Well-Known SID Structures). */
export const RID = {
  ADMINISTRATOR: 500,
  GUEST: 501,
  KRBTGT: 502,
  DOMAIN_ADMINS: 512,
  DOMAIN_USERS: 513,
  DOMAIN_GUESTS: 514,
  DOMAIN_COMPUTERS: 515,
  DOMAIN_CONTROLLERS: 516,
  CERT_PUBLISHERS: 517,
  SCHEMA_ADMINS: 518,
  ENTERPRISE_ADMINS: 519,
  GROUP_POLICY_CREATOR_OWNERS: 520,
  READONLY_DOMAIN_CONTROLLERS: 521,
  PROTECTED_USERS: 525,
  ALLOWED_RODC_PASSWORD_REPLICATION: 571,
  DENIED_RODC_PASSWORD_REPLICATION: 572,
  /** First RID handed out to new objects. */
  FIRST_FREE: 1100,
} as const;

export const BUILTIN_SID_PREFIX = 'S-1-5-32';
export const BUILTIN = {
  ADMINISTRATORS: 'S-1-5-32-544',
  USERS: 'S-1-5-32-545',
  GUESTS: 'S-1-5-32-546',
} as const;

/** UF bits that encode the account type (exactly one is set on every account). */
const ACCOUNT_TYPE_BITS =
  UF.NORMAL_ACCOUNT | UF.WORKSTATION_TRUST_ACCOUNT | UF.SERVER_TRUST_ACCOUNT | UF.INTERDOMAIN_TRUST_ACCOUNT;
/** UF bits AD computes rather than stores (msDS-User-Account-Control-Computed). */
const COMPUTED_BITS = UF.LOCKOUT | UF.PASSWORD_EXPIRED;

/**
 * Service classes that resolve to the HOST/ SPN when no account registers them explicitly:
 * the default sPNMappings value of CN=Directory Service,CN=Windows NT,CN=Services (MS-ADTS;
 * a Windows KDC finds CIFS/web or HTTP/web through the computer's HOST/web).
 */
const HOST_SPN_ALIASES = new Set(
  (
    'alerter,appmgmt,cisvc,clipsrv,browser,dhcp,dnscache,replicator,eventlog,eventsystem,policyagent,oakley,' +
    'dmserver,dns,mcsvc,fax,msiserver,ias,messenger,netlogon,netman,netdde,netddedsm,nmagent,plugplay,' +
    'protectedstorage,rasman,rpclocator,rpc,rpcss,remoteaccess,rsvp,samss,scardsvr,scesrv,seclogon,scm,dcom,' +
    'cifs,spooler,snmp,schedule,tapisrv,trksvr,trkwks,ups,time,wins,www,http,w3svc,iisadmin,msdtc'
  ).split(','),
);

export interface ProvisionOptions {
  realm: string;
  netbiosName: string;
  /** Administrator's password; a random one (that nobody knows) when absent. */
  adminPassword?: string;
  domainSid?: string;
  policy?: Partial<DomainPolicy>;
}

export interface CreateUserOptions {
  password: string;
  upn?: string;
  displayName?: string;
  /** Extra userAccountControl bits; NORMAL_ACCOUNT is always set. */
  uac?: number;
  homeDirectory?: string;
  homeDrive?: string;
  scriptPath?: string;
  profilePath?: string;
  supportedEncryptionTypes?: number;
  /** pwdLastSet = 0: the user must change the password at next logon. */
  mustChangePassword?: boolean;
  accountExpires?: Date;
}

/** One user of Directory.createUsers: the name and createUser's options. */
export interface NewUser extends CreateUserOptions {
  name: string;
}

export interface CreateUsersOptions {
  /** Called after each committed batch with the number of users created so far. */
  onProgress?: (created: number, total: number) => void;
  /** Accounts per transaction (default 1000). */
  batchSize?: number;
  /**
   * Where the keys are derived: a pool the caller owns (kept open, for several calls). Default:
   * a pool of os.availableParallelism() worker threads for this call, or, for fewer than
   * 32 users, this thread (starting workers would cost more than it saves).
   */
  pool?: KeyDerivationPool;
}

export interface CreatedUser {
  samAccountName: string;
  rid: number;
  sid: string;
}

/** What createUser / createUsers write for one user, once validated. */
interface PreparedUser {
  account: NewAccount;
  password: string;
  salt: string;
  names: KeyMaterialNames;
}

const DEFAULT_BATCH = 1000;
const MIN_USERS_FOR_WORKERS = 32;

export interface CreateComputerOptions {
  password?: string;
  dnsHostName?: string;
  supportedEncryptionTypes?: number;
}

/** Admin-settable attributes (null clears an optional one). */
export interface AccountFields {
  accountExpires?: Date | null;
  logonHours?: Buffer | null;
  /** null = must change password at next logon (pwdLastSet = 0). */
  pwdLastSet?: Date | null;
  userPrincipalName?: string | null;
  displayName?: string;
  homeDirectory?: string;
  homeDrive?: string;
  scriptPath?: string;
  profilePath?: string;
  supportedEncryptionTypes?: number | null;
  altSecurityIdentities?: string[];
  dnsHostName?: string | null;
}

export interface KeyInfo {
  kvno: number;
  etypes: number[];
  salt: string;
  previousKvnos: number[];
}

export interface DirectoryOptions {
  /** How often successful-logon statistics are written (ms). Default 5000. */
  logonFlushIntervalMs?: number;
}

/** How long lookups may use the cached domain row (policy) before re-reading it. */
const DOMAIN_CACHE_MS = 1000;

function sidRe(): RegExp {
  return /^S-1-5-21-(\d{1,10})-(\d{1,10})-(\d{1,10})$/;
}

export class Directory {
  private readonly store: Store;
  private cachedDomain: Domain | undefined;
  private cachedAt = 0;
  private pendingLogons = new Map<number, { lastLogon: Date; logons: number }>();
  private readonly flushTimer: ReturnType<typeof setInterval>;
  private flushing: Promise<void> | undefined;
  private closed = false;

  private constructor(store: Store, opts: DirectoryOptions) {
    this.store = store;
    this.flushTimer = setInterval(() => {
      void this.flushLogonStats().catch(() => {
        // Kept in memory and retried on the next tick or at close.
      });
    }, opts.logonFlushIntervalMs ?? 5000);
    this.flushTimer.unref();
  }

  /** Opens (creating) `dataDir/authso.db`; the directory is created 0700 and the file 0600. */
  static async openSqlite(dataDir: string, opts: DirectoryOptions = {}): Promise<Directory> {
    const created = mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (created !== undefined) chmodSync(dataDir, 0o700);
    return Directory.create(SqliteStore.open(join(dataDir, 'authso.db')), opts);
  }

  static async create(store: Store, opts: DirectoryOptions = {}): Promise<Directory> {
    const dir = new Directory(store, opts);
    dir.cachedDomain = await store.getDomain();
    dir.cachedAt = Date.now();
    return dir;
  }

  /** Flushes pending logon statistics and closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.flushTimer);
    try {
      await this.flushLogonStats();
    } finally {
      await this.store.close();
    }
  }

  // ---- domain -------------------------------------------------------------------------

  async provision(opts: ProvisionOptions): Promise<Domain> {
    validateDnsName('realm', opts.realm);
    validateNetbiosDomainName(opts.netbiosName);
    const realm = opts.realm.toUpperCase();
    const dnsName = opts.realm.toLowerCase();
    const sid = opts.domainSid ?? randomDomainSid();
    const m = sidRe().exec(sid);
    if (!m || m.slice(1).some((x) => Number(x) > 0xffffffff)) {
      throw new DirectoryError('INVALID_ARGUMENT', `domain SID '${sid}' must look like S-1-5-21-x-y-z (32-bit numbers)`);
    }
    const policy: DomainPolicy = { ...defaultPolicy(), ...(opts.policy ?? {}) };
    validatePolicy(policy);
    const domain: Domain = {
      dnsName,
      realm,
      netbiosName: opts.netbiosName.toUpperCase(),
      sid,
      functionalLevel: 7, // msDS-Behavior-Version DS_BEHAVIOR_WIN2016
      policy,
      nextRid: RID.FIRST_FREE,
    };
    if (opts.adminPassword !== undefined) {
      checkPasswordPolicy(opts.adminPassword, policy, { samAccountName: 'Administrator', kind: 'user' });
    }
    const now = new Date();
    const wellKnown = (rid: number, kind: AccountKind, sam: string, uac: number, primaryGroupId: number, password: string) => {
      const account: NewAccount & { rid: number } = {
        ...blankAccount(kind, sam, uac, primaryGroupId),
        rid,
        pwdLastSet: now,
      };
      return { account, keys: keyMaterial(password, saltFor(kind, realm, sam, dnsName), { sam, domain: { netbiosName: opts.netbiosName.toUpperCase(), dnsName } }) };
    };
    const accounts = [
      wellKnown(RID.ADMINISTRATOR, 'user', 'Administrator', UF.NORMAL_ACCOUNT, RID.DOMAIN_USERS, opts.adminPassword ?? randomPassword(32)),
      // Guest: disabled, no password required, as Windows creates it; ours gets a random one anyway.
      wellKnown(
        RID.GUEST,
        'user',
        'Guest',
        UF.ACCOUNTDISABLE | UF.PASSWD_NOTREQD | UF.NORMAL_ACCOUNT | UF.DONT_EXPIRE_PASSWD,
        RID.DOMAIN_GUESTS,
        randomPassword(32),
      ),
      // krbtgt is disabled (nobody logs on as it); the KDC still uses its keys for TGTs.
      wellKnown(RID.KRBTGT, 'krbtgt', 'krbtgt', UF.ACCOUNTDISABLE | UF.NORMAL_ACCOUNT, RID.DOMAIN_USERS, randomPassword(120)),
    ];
    const g = (rid: number, name: string, scope: GroupScope, description: string): NewGroup & { rid: number } => ({
      rid,
      samAccountName: name,
      scope,
      description,
    });
    const groups: Array<NewGroup & { rid: number }> = [
      g(RID.DOMAIN_ADMINS, 'Domain Admins', 'global', 'Designated administrators of the domain'),
      g(RID.DOMAIN_USERS, 'Domain Users', 'global', 'All domain users'),
      g(RID.DOMAIN_GUESTS, 'Domain Guests', 'global', 'All domain guests'),
      g(RID.DOMAIN_COMPUTERS, 'Domain Computers', 'global', 'All workstations and servers joined to the domain'),
      g(RID.DOMAIN_CONTROLLERS, 'Domain Controllers', 'global', 'All domain controllers in the domain'),
      g(RID.CERT_PUBLISHERS, 'Cert Publishers', 'domainLocal', 'Members of this group are permitted to publish certificates to the directory'),
      g(RID.SCHEMA_ADMINS, 'Schema Admins', 'universal', 'Designated administrators of the schema'),
      g(RID.ENTERPRISE_ADMINS, 'Enterprise Admins', 'universal', 'Designated administrators of the enterprise'),
      g(RID.GROUP_POLICY_CREATOR_OWNERS, 'Group Policy Creator Owners', 'global', 'Members in this group can modify group policy for the domain'),
      g(RID.READONLY_DOMAIN_CONTROLLERS, 'Read-only Domain Controllers', 'global', 'Members of this group are Read-Only Domain Controllers in the domain'),
      g(RID.PROTECTED_USERS, 'Protected Users', 'global', 'Members of this group are afforded additional protections against authentication security threats'),
      g(
        RID.ALLOWED_RODC_PASSWORD_REPLICATION,
        'Allowed RODC Password Replication Group',
        'domainLocal',
        'Members in this group can have their passwords replicated to all read-only domain controllers in the domain',
      ),
      g(
        RID.DENIED_RODC_PASSWORD_REPLICATION,
        'Denied RODC Password Replication Group',
        'domainLocal',
        'Members in this group cannot have their passwords replicated to any read-only domain controllers in the domain',
      ),
      { ...g(544, 'Administrators', 'domainLocal', 'Administrators have complete and unrestricted access to the domain'), sid: BUILTIN.ADMINISTRATORS },
      { ...g(545, 'Users', 'domainLocal', 'Users are prevented from making accidental or intentional system-wide changes'), sid: BUILTIN.USERS },
      { ...g(546, 'Guests', 'domainLocal', 'Guests have the same access as members of the Users group by default'), sid: BUILTIN.GUESTS },
    ];
    const s = (rid: number) => `${sid}-${rid}`;
    const memberships: Array<[string, string]> = [
      // The default memberships of a new Windows domain.
      [s(RID.DOMAIN_ADMINS), s(RID.ADMINISTRATOR)],
      [s(RID.ENTERPRISE_ADMINS), s(RID.ADMINISTRATOR)],
      [s(RID.SCHEMA_ADMINS), s(RID.ADMINISTRATOR)],
      [s(RID.GROUP_POLICY_CREATOR_OWNERS), s(RID.ADMINISTRATOR)],
      [BUILTIN.ADMINISTRATORS, s(RID.ADMINISTRATOR)],
      [BUILTIN.ADMINISTRATORS, s(RID.DOMAIN_ADMINS)],
      [BUILTIN.ADMINISTRATORS, s(RID.ENTERPRISE_ADMINS)],
      [BUILTIN.USERS, s(RID.DOMAIN_USERS)],
      [BUILTIN.GUESTS, s(RID.GUEST)],
      [BUILTIN.GUESTS, s(RID.DOMAIN_GUESTS)],
      // Accounts whose secrets must never be cached on an RODC (MS-ADTS RODC password replication policy).
      ...[
        RID.KRBTGT,
        RID.DOMAIN_ADMINS,
        RID.ENTERPRISE_ADMINS,
        RID.SCHEMA_ADMINS,
        RID.DOMAIN_CONTROLLERS,
        RID.READONLY_DOMAIN_CONTROLLERS,
        RID.GROUP_POLICY_CREATOR_OWNERS,
        RID.CERT_PUBLISHERS,
      ].map((rid): [string, string] => [s(RID.DENIED_RODC_PASSWORD_REPLICATION), s(rid)]),
    ];
    const data: ProvisionData = { domain, accounts, groups, memberships };
    await this.store.provision(data);
    return this.getDomain();
  }

  async getDomain(): Promise<Domain> {
    const d = await this.store.getDomain();
    if (!d) throw new DirectoryError('NOT_PROVISIONED', 'the directory has no domain yet (run `authso provision`)');
    this.cachedDomain = d;
    this.cachedAt = Date.now();
    return d;
  }

  /** The domain as of at most DOMAIN_CACHE_MS ago (lookups on the hot path use this). */
  private async domain(): Promise<Domain> {
    if (this.cachedDomain && Date.now() - this.cachedAt < DOMAIN_CACHE_MS) return this.cachedDomain;
    return this.getDomain();
  }

  async setPolicy(partial: Partial<DomainPolicy>): Promise<DomainPolicy> {
    const d = await this.getDomain();
    const policy: DomainPolicy = { ...d.policy, ...partial };
    validatePolicy(policy);
    await this.store.setPolicy(policy);
    return (await this.getDomain()).policy;
  }

  // ---- accounts -----------------------------------------------------------------------

  async createUser(name: string, opts: CreateUserOptions): Promise<Account> {
    validateUserName(name);
    const d = await this.getDomain();
    const p = this.prepareUser(d, name, opts);
    return this.store.createAccount(p.account, keyMaterial(p.password, p.salt, p.names));
  }

  /**
   * Creates many users as createUser would (the same checks, errors, keys and attributes), for
   * bulk imports: every entry is validated first (a BatchEntryError naming the entry, its
   * position and the reason; names and UPNs must also be unique within the input and the names
   * free in the directory), then keys are derived on worker threads (opts.pool) while the
   * accounts are written in transactions of opts.batchSize. A batch that fails at write time (a
   * name or UPN taken meanwhile) is written not at all, with a BatchEntryError; the batches
   * before it stay committed. Returns the users created, in input order.
   */
  async createUsers(users: NewUser[], opts: CreateUsersOptions = {}): Promise<CreatedUser[]> {
    const batchSize = opts.batchSize ?? DEFAULT_BATCH;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new DirectoryError('INVALID_ARGUMENT', 'batchSize must be a positive integer');
    const d = await this.getDomain();
    const prepared = users.map((u, i) => entry(i, u.name, () => this.prepareUser(d, u.name, u)));
    await this.checkUnique(prepared);
    if (prepared.length === 0) return [];
    const pool = opts.pool ?? new KeyDerivationPool(prepared.length < MIN_USERS_FOR_WORKERS ? { size: 0 } : {});
    const batches: PreparedUser[][] = [];
    for (let i = 0; i < prepared.length; i += batchSize) batches.push(prepared.slice(i, i + batchSize));
    const derive = (batch: PreparedUser[]) => {
      const jobs: KeyJob[] = batch.map((p) => ({ password: p.password, salt: p.salt, names: p.names }));
      const keys = pool.derive(jobs);
      keys.catch(() => undefined); // awaited below; a batch abandoned after a failure must not be an unhandled rejection
      return keys;
    };
    const created: CreatedUser[] = [];
    try {
      let next = derive(batches[0]);
      for (let b = 0; b < batches.length; b++) {
        const keys = await next;
        // The workers derive batch b + 1 while this thread writes batch b.
        if (b + 1 < batches.length) next = derive(batches[b + 1]);
        const now = new Date();
        const entries: NewAccountEntry[] = batches[b].map((p, i) => ({
          account: p.account.pwdLastSet === undefined ? p.account : { ...p.account, pwdLastSet: now },
          keys: keys[i],
        }));
        let rids: number[];
        try {
          rids = await this.store.createAccounts(entries);
        } catch (e) {
          if (e instanceof BatchEntryError) throw e.at(b * batchSize + e.index);
          throw e;
        }
        rids.forEach((rid, i) => created.push({ samAccountName: entries[i].account.samAccountName, rid, sid: `${d.sid}-${rid}` }));
        opts.onProgress?.(created.length, prepared.length);
      }
    } finally {
      if (opts.pool === undefined) await pool.close();
    }
    return created;
  }

  /**
   * Names and UPNs unique within the input, and names not taken in the directory, checked
   * before any key is derived or account written (the store checks again in each batch).
   */
  private async checkUnique(prepared: PreparedUser[]): Promise<void> {
    const names = new Set<string>();
    const upns = new Set<string>();
    for (let i = 0; i < prepared.length; i++) {
      const a = prepared[i].account;
      if (names.has(foldName(a.samAccountName))) {
        throw new BatchEntryError(new DirectoryError('ALREADY_EXISTS', `the name '${a.samAccountName}' appears more than once in the input`), i, a.samAccountName);
      }
      names.add(foldName(a.samAccountName));
      if (a.userPrincipalName !== undefined) {
        if (upns.has(foldName(a.userPrincipalName))) {
          throw new BatchEntryError(
            new DirectoryError('UPN_IN_USE', `userPrincipalName '${a.userPrincipalName}' appears more than once in the input`),
            i,
            a.samAccountName,
          );
        }
        upns.add(foldName(a.userPrincipalName));
      }
    }
    for (let i = 0; i < prepared.length; i++) {
      const sam = prepared[i].account.samAccountName;
      if ((await this.store.findAccountBySam(sam)) || (await this.store.findGroupBySam(sam))) {
        throw new BatchEntryError(new DirectoryError('ALREADY_EXISTS', `an account or group named '${sam}' already exists`), i, sam);
      }
    }
  }

  /** createUser's checks and the account to create (shared by createUser and createUsers). */
  private prepareUser(d: Domain, name: string, opts: CreateUserOptions): PreparedUser {
    validateUserName(name);
    if (opts.upn !== undefined) validateUpn(opts.upn);
    const extra = opts.uac ?? 0;
    if ((extra & (ACCOUNT_TYPE_BITS & ~UF.NORMAL_ACCOUNT)) !== 0) {
      throw new DirectoryError('INVALID_ARGUMENT', 'a user account cannot carry a machine or trust account type bit');
    }
    if ((extra & UF.LOCKOUT) !== 0) throw new DirectoryError('INVALID_ARGUMENT', 'UF_LOCKOUT cannot be set; it follows lockoutTime');
    checkEtypes(opts.supportedEncryptionTypes);
    checkPasswordPolicy(opts.password, d.policy, { samAccountName: name, displayName: opts.displayName, kind: 'user' });
    const mustChange = opts.mustChangePassword === true || (extra & UF.PASSWORD_EXPIRED) !== 0;
    const account: NewAccount = {
      ...blankAccount('user', name, (extra & ~COMPUTED_BITS) | UF.NORMAL_ACCOUNT, RID.DOMAIN_USERS),
      userPrincipalName: opts.upn,
      displayName: opts.displayName ?? '',
      supportedEncryptionTypes: opts.supportedEncryptionTypes,
      homeDirectory: opts.homeDirectory ?? '',
      homeDrive: opts.homeDrive ?? '',
      scriptPath: opts.scriptPath ?? '',
      profilePath: opts.profilePath ?? '',
      accountExpires: opts.accountExpires,
      pwdLastSet: mustChange ? undefined : new Date(),
    };
    return { account, password: opts.password, salt: saltFor('user', d.realm, name, d.dnsName), names: { sam: name, upn: opts.upn, domain: { netbiosName: d.netbiosName, dnsName: d.dnsName } } };
  }

  /**
   * Creates the computer account NAME$ as a domain join does: WORKSTATION_TRUST_ACCOUNT,
   * primary group Domain Computers (515), dNSHostName and the HOST/NAME and HOST/fqdn SPNs.
   * Returns the password (random, 120 characters, when none is given).
   */
  async createComputer(name: string, opts: CreateComputerOptions = {}): Promise<{ account: Account; password: string }> {
    const sam = computerSamName(name);
    const bare = sam.slice(0, -1);
    const d = await this.getDomain();
    const dnsHostName = (opts.dnsHostName ?? `${bare.toLowerCase()}.${d.dnsName}`).toLowerCase();
    validateDnsName('dNSHostName', dnsHostName);
    checkEtypes(opts.supportedEncryptionTypes);
    const password = opts.password ?? randomPassword(120);
    checkPasswordPolicy(password, d.policy, { samAccountName: sam, kind: 'computer' });
    const account: NewAccount = {
      ...blankAccount('computer', sam, UF.WORKSTATION_TRUST_ACCOUNT, RID.DOMAIN_COMPUTERS),
      dnsHostName,
      servicePrincipalNames: [`HOST/${bare}`, `HOST/${dnsHostName}`],
      supportedEncryptionTypes: opts.supportedEncryptionTypes,
      pwdLastSet: new Date(),
    };
    const created = await this.store.createAccount(account, keyMaterial(password, saltFor('computer', d.realm, sam, d.dnsName), { sam, domain: d }));
    return { account: created, password };
  }

  /**
   * An administrative password set (SamrSetInformationUser with a new password): new keys
   * with kvno + 1. The previous key set is kept so that tickets issued under it stay
   * decryptable: 2 generations for krbtgt, computers and accounts with SPNs (services), 1 for
   * other users (as supplementalCredentials' OldCredentials / OlderCredentials).
   * Returns the new kvno.
   */
  async setPassword(name: string, password: string, opts: { mustChange?: boolean } = {}): Promise<number> {
    const a = await this.resolveAccount(name);
    const d = await this.getDomain();
    checkPasswordPolicy(password, d.policy, { samAccountName: a.samAccountName, displayName: a.displayName, kind: a.kind });
    const isService = a.kind !== 'user' || a.servicePrincipalNames.length > 0;
    return this.store.setPassword(a.rid, keyMaterial(password, saltFor(a.kind, d.realm, a.samAccountName, d.dnsName), { sam: a.samAccountName, upn: a.userPrincipalName, domain: d }), {
      keepPrevious: isService ? 2 : 1,
      pwdLastSet: opts.mustChange ? null : new Date(),
    });
  }

  /**
   * userAccountControl |= set, &= ~clear. The account type bits cannot change (except a
   * computer between workstation and server trust). UF_LOCKOUT and UF_PASSWORD_EXPIRED are
   * computed in AD: clearing LOCKOUT unlocks; setting PASSWORD_EXPIRED sets pwdLastSet = 0 and
   * clearing it sets pwdLastSet = now (MS-SAMR SamrSetInformationUser semantics).
   */
  async setAccountControl(name: string, set: number, clear: number): Promise<Account> {
    if ((set & clear) !== 0) throw new DirectoryError('INVALID_ARGUMENT', 'the same bit cannot be both set and cleared');
    if ((set & UF.LOCKOUT) !== 0) throw new DirectoryError('INVALID_ARGUMENT', 'UF_LOCKOUT cannot be set; it follows lockoutTime');
    const target = await this.resolveAccount(name);
    return this.store.mutateAccount(target.rid, (a) => {
      const uac = ((a.userAccountControl | set) & ~clear & ~COMPUTED_BITS) >>> 0;
      const oldType = a.userAccountControl & ACCOUNT_TYPE_BITS;
      const newType = uac & ACCOUNT_TYPE_BITS;
      const machineSwitch =
        a.kind === 'computer' && (newType === UF.WORKSTATION_TRUST_ACCOUNT || newType === UF.SERVER_TRUST_ACCOUNT);
      if (newType !== oldType && !machineSwitch) {
        throw new DirectoryError('CONSTRAINT', `the account type bits of ${a.samAccountName} cannot be changed`);
      }
      const patch: AccountPatch = { userAccountControl: uac };
      if ((clear & UF.LOCKOUT) !== 0) {
        patch.lockoutTime = null;
        patch.badPwdCount = 0;
      }
      if ((set & UF.PASSWORD_EXPIRED) !== 0) patch.pwdLastSet = null;
      if ((clear & UF.PASSWORD_EXPIRED) !== 0 && a.pwdLastSet === undefined) patch.pwdLastSet = new Date();
      return patch;
    });
  }

  async enableAccount(name: string): Promise<Account> {
    return this.setAccountControl(name, 0, UF.ACCOUNTDISABLE);
  }

  async disableAccount(name: string): Promise<Account> {
    return this.setAccountControl(name, UF.ACCOUNTDISABLE, 0);
  }

  /** Clears lockoutTime and badPwdCount (an administrator's unlock). */
  async unlockAccount(name: string): Promise<Account> {
    const a = await this.resolveAccount(name);
    return this.store.updateAccount(a.rid, { lockoutTime: null, badPwdCount: 0 });
  }

  /** Accounts whose altSecurityIdentities hold any of these values (certificate mapping). */
  async findAccountsByAltSecurityIdentity(values: string[]): Promise<Account[]> {
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string' || v.length > 4096)) {
      throw new DirectoryError('INVALID_ARGUMENT', 'altSecurityIdentities values must be strings');
    }
    return this.store.findAccountsByAltSecurityIdentity(values);
  }

  async setAccountFields(name: string, fields: AccountFields): Promise<Account> {
    const a = await this.resolveAccount(name);
    const patch: AccountPatch = {};
    if (fields.logonHours !== undefined) {
      if (fields.logonHours !== null && (!Buffer.isBuffer(fields.logonHours) || fields.logonHours.length !== 21)) {
        throw new DirectoryError('INVALID_ARGUMENT', 'logonHours must be 21 bytes (168 hours)');
      }
      patch.logonHours = fields.logonHours === null ? null : Buffer.from(fields.logonHours);
    }
    for (const k of ['accountExpires', 'pwdLastSet'] as const) {
      const v = fields[k];
      if (v === undefined) continue;
      if (v !== null && (!(v instanceof Date) || Number.isNaN(v.getTime()))) {
        throw new DirectoryError('INVALID_ARGUMENT', `${k} must be a valid Date or null`);
      }
      patch[k] = v;
    }
    if (fields.userPrincipalName !== undefined) {
      if (fields.userPrincipalName !== null) validateUpn(fields.userPrincipalName);
      patch.userPrincipalName = fields.userPrincipalName;
    }
    if (fields.dnsHostName !== undefined) {
      if (fields.dnsHostName !== null) validateDnsName('dNSHostName', fields.dnsHostName);
      patch.dnsHostName = fields.dnsHostName === null ? null : fields.dnsHostName.toLowerCase();
    }
    if (fields.supportedEncryptionTypes !== undefined) {
      checkEtypes(fields.supportedEncryptionTypes ?? undefined);
      patch.supportedEncryptionTypes = fields.supportedEncryptionTypes;
    }
    for (const k of ['displayName', 'homeDirectory', 'homeDrive', 'scriptPath', 'profilePath'] as const) {
      const v = fields[k];
      if (v === undefined) continue;
      if (typeof v !== 'string' || v.length > 1024) throw new DirectoryError('INVALID_ARGUMENT', `${k} must be a string of at most 1024 characters`);
      patch[k] = v;
    }
    if (fields.altSecurityIdentities !== undefined) {
      if (!Array.isArray(fields.altSecurityIdentities) || fields.altSecurityIdentities.some((x) => typeof x !== 'string')) {
        throw new DirectoryError('INVALID_ARGUMENT', 'altSecurityIdentities must be a list of strings');
      }
      patch.altSecurityIdentities = [...fields.altSecurityIdentities];
    }
    return this.store.updateAccount(a.rid, patch);
  }

  /**
   * An account by sAMAccountName (case-insensitive); 'web' also finds the computer WEB$, and
   * 'user@suffix' is looked up as a UPN. Throws NO_SUCH_OBJECT.
   */
  async getAccount(name: string): Promise<Account> {
    return this.resolveAccount(name);
  }

  async findAccount(name: string): Promise<Account | undefined> {
    let a = await this.store.findAccountBySam(name);
    if (!a && !name.endsWith('$')) a = await this.store.findAccountBySam(`${name}$`);
    if (!a && name.includes('@')) a = (await this.store.getPrincipal({ upn: name }))?.account;
    return a;
  }

  async getAccountByRid(rid: number): Promise<Account | undefined> {
    return this.store.getAccount(rid);
  }

  async listAccounts(kind?: AccountKind): Promise<Account[]> {
    return this.store.listAccounts(kind);
  }

  /** Well-known accounts (RID < 1000: Administrator, Guest, krbtgt) cannot be deleted. */
  async deleteAccount(name: string): Promise<void> {
    const a = await this.resolveAccount(name);
    if (a.rid < 1000) throw new DirectoryError('CONSTRAINT', `${a.samAccountName} is a well-known account and cannot be deleted`);
    await this.store.deleteAccount(a.rid);
  }

  /** The current key version, enctypes and salt (no key material), for display. */
  async getKeyInfo(name: string): Promise<KeyInfo> {
    const a = await this.resolveAccount(name);
    const s = await this.store.getSecrets(a.rid);
    if (!s) throw new DirectoryError('NO_SUCH_OBJECT', `${a.samAccountName} has no keys`);
    return {
      kvno: s.current.kvno,
      etypes: s.current.keys.map((k) => k.etype),
      salt: s.current.salt,
      previousKvnos: s.previous.map((p) => p.kvno),
    };
  }

  private async resolveAccount(name: string): Promise<Account> {
    const a = await this.findAccount(name);
    if (!a) throw new DirectoryError('NO_SUCH_OBJECT', `no account named '${name}'`);
    return a;
  }

  // ---- groups -------------------------------------------------------------------------

  async createGroup(name: string, scope: GroupScope = 'global', description = ''): Promise<Group> {
    validateGroupName(name);
    if (scope !== 'global' && scope !== 'universal' && scope !== 'domainLocal') {
      throw new DirectoryError('INVALID_ARGUMENT', `group scope must be global, universal or domainLocal`);
    }
    await this.getDomain();
    return this.store.createGroup({ samAccountName: name, scope, description });
  }

  async getGroup(name: string): Promise<Group> {
    const g = await this.store.findGroupBySam(name);
    if (!g) throw new DirectoryError('NO_SUCH_OBJECT', `no group named '${name}'`);
    return g;
  }

  async listGroups(): Promise<Group[]> {
    return this.store.listGroups();
  }

  /** Well-known groups (RID < 1000 and builtin groups) cannot be deleted. */
  async deleteGroup(name: string): Promise<void> {
    const g = await this.getGroup(name);
    if (g.rid < 1000 || g.sid.startsWith(`${BUILTIN_SID_PREFIX}-`)) {
      throw new DirectoryError('CONSTRAINT', `${g.samAccountName} is a well-known group and cannot be deleted`);
    }
    await this.store.deleteGroup(g.sid);
  }

  /**
   * Adds a user, computer or group to a group, with AD's nesting rules (MS-ADTS group types):
   * a global group holds accounts and global groups; a universal group also universal groups;
   * a domain-local group also domain-local groups of the domain. Builtin groups hold any
   * domain principal but are never members themselves. Cycles are allowed, as in AD.
   */
  async addMember(group: string, memberName: string): Promise<void> {
    const g = await this.getGroup(group);
    const member = await this.resolvePrincipal(memberName);
    if (member.kind === 'group') {
      const m = member.group;
      if (m.sid === g.sid) throw new DirectoryError('CONSTRAINT', `a group cannot be a member of itself`);
      if (m.sid.startsWith(`${BUILTIN_SID_PREFIX}-`)) {
        throw new DirectoryError('CONSTRAINT', `builtin group ${m.samAccountName} cannot be a member of another group`);
      }
      const isBuiltin = g.sid.startsWith(`${BUILTIN_SID_PREFIX}-`);
      const allowed: Record<GroupScope, GroupScope[]> = {
        global: ['global'],
        universal: ['global', 'universal'],
        domainLocal: ['global', 'universal', 'domainLocal'],
      };
      if (!isBuiltin && !allowed[g.scope].includes(m.scope)) {
        throw new DirectoryError('CONSTRAINT', `a ${m.scope} group cannot be a member of the ${g.scope} group ${g.samAccountName}`);
      }
    }
    const sid = member.kind === 'group' ? member.group.sid : member.account.sid;
    const name = member.kind === 'group' ? member.group.samAccountName : member.account.samAccountName;
    if (!(await this.store.addMember(g.sid, sid))) {
      throw new DirectoryError('ALREADY_EXISTS', `${name} is already a member of ${g.samAccountName}`);
    }
  }

  async removeMember(group: string, memberName: string): Promise<void> {
    const g = await this.getGroup(group);
    const member = await this.resolvePrincipal(memberName);
    const sid = member.kind === 'group' ? member.group.sid : member.account.sid;
    const name = member.kind === 'group' ? member.group.samAccountName : member.account.samAccountName;
    if (!(await this.store.removeMember(g.sid, sid))) {
      throw new DirectoryError('NO_SUCH_OBJECT', `${name} is not a member of ${g.samAccountName}`);
    }
  }

  private async resolvePrincipal(name: string): Promise<{ kind: 'group'; group: Group } | { kind: 'account'; account: Account }> {
    const group = await this.store.findGroupBySam(name);
    if (group) return { kind: 'group', group };
    const account = await this.findAccount(name);
    if (account) return { kind: 'account', account };
    throw new DirectoryError('NO_SUCH_OBJECT', `no account or group named '${name}'`);
  }

  // ---- SPNs ---------------------------------------------------------------------------

  /** servicePrincipalName values are unique across the domain (the KDC must find one owner). */
  async addSpn(account: string, spn: string): Promise<void> {
    validateSpn(spn);
    const a = await this.resolveAccount(account);
    await this.store.addSpn(a.rid, spn);
  }

  async removeSpn(account: string, spn: string): Promise<void> {
    const a = await this.resolveAccount(account);
    if (!(await this.store.removeSpn(a.rid, spn))) {
      throw new DirectoryError('NO_SUCH_OBJECT', `${a.samAccountName} has no SPN '${spn}'`);
    }
  }

  async listSpns(account: string): Promise<string[]> {
    return (await this.resolveAccount(account)).servicePrincipalNames;
  }

  // ---- KDC lookups --------------------------------------------------------------------

  private isOurRealm(name: string): boolean {
    const d = this.cachedDomain;
    if (!d) return false;
    const n = name.toLowerCase();
    return n === d.dnsName || n === d.realm.toLowerCase() || n === d.netbiosName.toLowerCase();
  }

  /**
   * A client principal (AS-REQ cname): a sAMAccountName (case-insensitive), or a UPN
   * 'user@suffix': the explicit userPrincipalName, else the implicit UPN
   * sAMAccountName@<domain DNS name or realm> that AD also resolves.
   */
  async findClient(name: string): Promise<PrincipalEntry | undefined> {
    await this.domain();
    if (!name.includes('@')) return this.store.getPrincipal({ sam: name });
    const byUpn = await this.store.getPrincipal({ upn: name });
    if (byUpn) return byUpn;
    const at = name.lastIndexOf('@');
    if (this.isOurRealm(name.slice(at + 1))) return this.store.getPrincipal({ sam: name.slice(0, at) });
    return undefined;
  }

  /**
   * A service principal (TGS-REQ sname / AS-REQ sname):
   * - ['krbtgt', REALM] (or ['krbtgt']) → the krbtgt account; krbtgt of another realm → none
   *   (no trusts yet);
   * - a single name → sAMAccountName ('web' also finds WEB$) or a UPN;
   * - several parts → the SPN 'a/b[/c]' matched case-insensitively; when no account holds it
   *   and the service class is one of sPNMappings' HOST aliases, the HOST/ SPN.
   */
  async findService(nameParts: string[]): Promise<PrincipalEntry | undefined> {
    await this.domain();
    if (nameParts.length === 0 || nameParts.some((p) => p.length === 0)) return undefined;
    if (nameParts[0].toLowerCase() === 'krbtgt' && nameParts.length <= 2) {
      if (nameParts.length === 1 || this.isOurRealm(nameParts[1])) return this.getKrbtgt();
      return undefined;
    }
    if (nameParts.length === 1) {
      const n = nameParts[0];
      if (n.includes('@')) return this.findClient(n);
      const bySam = await this.store.getPrincipal({ sam: n });
      if (bySam || n.endsWith('$')) return bySam;
      return this.store.getPrincipal({ sam: `${n}$` });
    }
    const spn = nameParts.join('/');
    const direct = await this.store.getPrincipal({ spn });
    if (direct) return direct;
    if (HOST_SPN_ALIASES.has(nameParts[0].toLowerCase())) {
      return this.store.getPrincipal({ spn: ['host', ...nameParts.slice(1)].join('/') });
    }
    return undefined;
  }

  async getKrbtgt(): Promise<PrincipalEntry> {
    const p = await this.store.getPrincipal({ rid: RID.KRBTGT });
    if (!p) throw new DirectoryError('NOT_PROVISIONED', 'the directory has no krbtgt account (run `authso provision`)');
    return p;
  }

  /**
   * The groups of a logon (MS-PAC 2.5 GroupIds / ResourceGroupIds / ExtraSids input): the
   * transitive closure of group membership from the account and its primary group (cycle-safe),
   * split into global/universal groups of the domain (primary group first), domain-local groups
   * of the domain, and SIDs outside the domain (builtin S-1-5-32-*).
   */
  async membership(account: Account): Promise<MembershipSet> {
    const d = await this.domain();
    const primarySid = `${d.sid}-${account.primaryGroupId}`;
    const refs = await this.store.groupClosure([account.sid, primarySid]);
    const prefix = `${d.sid}-`;
    const domainGroupRids = new Set<number>([account.primaryGroupId]);
    const domainLocal = new Set<number>();
    const extra = new Set<string>();
    for (const r of refs) {
      if (!r.sid.startsWith(prefix)) extra.add(r.sid);
      else if (r.scope === 'domainLocal') domainLocal.add(r.rid);
      else domainGroupRids.add(r.rid);
    }
    const [primary, ...rest] = [...domainGroupRids];
    return {
      domainGroupRids: [primary, ...rest.sort((a, b) => a - b)],
      domainLocalGroupRids: [...domainLocal].sort((a, b) => a - b),
      extraSids: [...extra].sort(),
    };
  }

  // ---- logon state --------------------------------------------------------------------

  /**
   * Account restrictions at `now` (see policy.ts accountRestrictions): an NTSTATUS, 0 = OK.
   * Uses the domain policy as read at most a second ago by any directory call.
   */
  checkAccountRestrictions(account: Account, now: Date, opts?: RestrictionOptions): number {
    const d = this.cachedDomain;
    if (!d) throw new DirectoryError('NOT_PROVISIONED', 'the directory has no domain yet');
    return accountRestrictions(account, d.policy, now, opts);
  }

  /**
   * One failed password for the account (MS-SAMR 3.1.5.14.6), as one transaction on the
   * current row, so concurrent failures (other KDC workers or processes) are all counted.
   */
  async recordBadPassword(rid: number, now: Date): Promise<{ locked: boolean; badPwdCount: number }> {
    let policy: DomainPolicy | undefined;
    const a = await this.store.mutateAccount(rid, (acct, domain) => {
      policy = domain.policy;
      const u = badPasswordTransition(acct, domain.policy, now);
      return u && { badPwdCount: u.badPwdCount, badPasswordTime: u.badPasswordTime, lockoutTime: u.lockoutTime };
    });
    return { locked: policy !== undefined && isLockedOut(a, policy, now), badPwdCount: a.badPwdCount };
  }

  /**
   * A successful logon. badPwdCount is reset (and an expired lock cleared) with a write only
   * when there is something to reset, so the common case costs no transaction and no fsync.
   * lastLogon and logonCount (non-replicated, per-DC attributes in AD) are accumulated in
   * memory and written in one transaction every few seconds and at close(); a crash loses at
   * most that interval of logon statistics, never a security state. `known` (the account the
   * caller just read) saves the read.
   */
  async recordSuccessfulLogon(rid: number, now: Date, known?: Pick<Account, 'badPwdCount' | 'lockoutTime'>): Promise<void> {
    const p = this.pendingLogons.get(rid);
    if (p) {
      p.logons++;
      if (now > p.lastLogon) p.lastLogon = now;
    } else {
      this.pendingLogons.set(rid, { lastLogon: now, logons: 1 });
    }
    const cur = known ?? (await this.store.getAccount(rid));
    if (!cur || (cur.badPwdCount === 0 && cur.lockoutTime === undefined)) return;
    await this.store.mutateAccount(rid, (a, domain) => {
      if (isLockedOut(a, domain.policy, now)) return undefined; // a success does not lift an active lock
      if (a.badPwdCount === 0 && a.lockoutTime === undefined) return undefined;
      return { badPwdCount: 0, lockoutTime: null };
    });
  }

  /** Writes the accumulated logon statistics now (also runs on a timer and at close). */
  async flushLogonStats(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    if (this.pendingLogons.size === 0) return;
    const batch = this.pendingLogons;
    this.pendingLogons = new Map();
    const run = this.store
      .flushLogonStats([...batch].map(([rid, v]) => ({ rid, lastLogon: v.lastLogon, logons: v.logons })))
      .catch((e: unknown) => {
        // Put the batch back so nothing is lost, then report.
        for (const [rid, v] of batch) {
          const p = this.pendingLogons.get(rid);
          if (p) {
            p.logons += v.logons;
            if (v.lastLogon > p.lastLogon) p.lastLogon = v.lastLogon;
          } else this.pendingLogons.set(rid, v);
        }
        throw e;
      });
    this.flushing = run.finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }
}

function blankAccount(kind: AccountKind, sam: string, uac: number, primaryGroupId: number): NewAccount {
  return {
    kind,
    samAccountName: sam,
    servicePrincipalNames: [],
    displayName: '',
    userAccountControl: uac,
    primaryGroupId,
    homeDirectory: '',
    homeDrive: '',
    scriptPath: '',
    profilePath: '',
    altSecurityIdentities: [],
  };
}

/** Runs fn for input entry i, reporting a DirectoryError as that entry's BatchEntryError. */
function entry<T>(i: number, name: unknown, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DirectoryError) throw new BatchEntryError(e, i, String(name));
    throw e;
  }
}

function checkEtypes(v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
    throw new DirectoryError('INVALID_ARGUMENT', 'msDS-SupportedEncryptionTypes must be a 32-bit unsigned integer');
  }
}
