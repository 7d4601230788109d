// The embedded Store on SQLite (better-sqlite3), the default backend.
//
// Durability and concurrency: WAL journal with synchronous = FULL, so a change is on disk when
// the call returns (an acknowledged change survives a crash or power loss); several processes
// may open the same file (the KDC, admin commands) — every write is one BEGIN IMMEDIATE
// transaction, so read-modify-write sequences (RID allocation, lockout counting, kvno) are
// serialised across processes, with a busy timeout instead of failures under contention.
//
// Case-insensitive names: sAMAccountName, userPrincipalName and servicePrincipalName are
// compared case-insensitively in AD. We store a folded key column next to each (the JS
// toLowerCase of the value, which, unlike SQLite's lower(), folds non-ASCII letters too) and
// index it; UNIQUE indexes on those keys enforce the domain-wide uniqueness of sAMAccountName
// (per table; across accounts and groups it is checked in the same transaction), UPN and SPN.
//
// Secrets live in their own table (secrets), read only by getPrincipal / getSecrets.

import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { DirectoryError } from './errors.js';
import { foldName } from './names.js';
import {
  BatchEntryError,
  type AccountPatch,
  type GroupRef,
  type LogonStat,
  type NewAccount,
  type NewAccountEntry,
  type NewGroup,
  type NewKeyMaterial,
  type ProvisionData,
  type Store,
} from './store.js';
import type {
  Account,
  AccountKind,
  AccountSecrets,
  Domain,
  DomainPolicy,
  Group,
  GroupScope,
  KeySet,
  PrincipalEntry,
} from './types.js';

/** Schema migrations; index i brings the database from version i to i + 1. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE domain (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    dns_name TEXT NOT NULL,
    realm TEXT NOT NULL,
    netbios_name TEXT NOT NULL,
    sid TEXT NOT NULL,
    functional_level INTEGER NOT NULL,
    policy TEXT NOT NULL,
    next_rid INTEGER NOT NULL
  );
  CREATE TABLE accounts (
    rid INTEGER PRIMARY KEY,
    sid TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'computer', 'krbtgt')),
    sam TEXT NOT NULL,
    sam_key TEXT NOT NULL,
    upn TEXT,
    upn_key TEXT,
    dns_host_name TEXT,
    display_name TEXT NOT NULL DEFAULT '',
    uac INTEGER NOT NULL,
    supported_etypes INTEGER,
    primary_group_id INTEGER NOT NULL,
    logon_hours BLOB,
    account_expires INTEGER,
    pwd_last_set INTEGER,
    bad_pwd_count INTEGER NOT NULL DEFAULT 0,
    bad_password_time INTEGER,
    lockout_time INTEGER,
    last_logon INTEGER,
    logon_count INTEGER NOT NULL DEFAULT 0,
    home_directory TEXT NOT NULL DEFAULT '',
    home_drive TEXT NOT NULL DEFAULT '',
    script_path TEXT NOT NULL DEFAULT '',
    profile_path TEXT NOT NULL DEFAULT '',
    alt_security_identities TEXT NOT NULL DEFAULT '[]'
  );
  CREATE UNIQUE INDEX accounts_sam ON accounts (sam_key);
  CREATE UNIQUE INDEX accounts_upn ON accounts (upn_key) WHERE upn_key IS NOT NULL;
  CREATE INDEX accounts_kind ON accounts (kind);
  CREATE TABLE secrets (
    rid INTEGER PRIMARY KEY REFERENCES accounts (rid) ON DELETE CASCADE,
    nt_hash BLOB,
    current TEXT NOT NULL,
    previous TEXT NOT NULL DEFAULT '[]'
  );
  CREATE TABLE spns (
    id INTEGER PRIMARY KEY,
    rid INTEGER NOT NULL REFERENCES accounts (rid) ON DELETE CASCADE,
    spn TEXT NOT NULL,
    spn_key TEXT NOT NULL
  );
  CREATE UNIQUE INDEX spns_key ON spns (spn_key);
  CREATE INDEX spns_rid ON spns (rid);
  CREATE TABLE groups (
    sid TEXT PRIMARY KEY,
    rid INTEGER NOT NULL,
    sam TEXT NOT NULL,
    sam_key TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL CHECK (scope IN ('global', 'domainLocal', 'universal'))
  );
  CREATE UNIQUE INDEX groups_sam ON groups (sam_key);
  CREATE INDEX groups_rid ON groups (rid);
  CREATE TABLE members (
    group_sid TEXT NOT NULL REFERENCES groups (sid) ON DELETE CASCADE,
    member_sid TEXT NOT NULL,
    PRIMARY KEY (group_sid, member_sid)
  ) WITHOUT ROWID;
  CREATE INDEX members_member ON members (member_sid, group_sid);
  `,
  // 1 → 2: the Primary:WDigest blob (MS-SAMR 3.1.1.8.11.3.1) next to the other secrets. NULL for
  // passwords set before this version: Digest fails for those accounts until a password reset.
  `
  ALTER TABLE secrets ADD COLUMN wdigest BLOB;
  `,
  // 2 → 3: altSecurityIdentities values indexed (case-folded) for certificate mapping: the
  // lookup is reachable by unauthenticated AS-REQs carrying a certificate, so no table scan.
  // Written to run again safely (a database whose version was set back by hand).
  `
  CREATE TABLE IF NOT EXISTS alt_ids (
    rid INTEGER NOT NULL REFERENCES accounts (rid) ON DELETE CASCADE,
    id_key TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS alt_ids_key ON alt_ids (id_key);
  CREATE INDEX IF NOT EXISTS alt_ids_rid ON alt_ids (rid);
  DELETE FROM alt_ids;
  INSERT INTO alt_ids (rid, id_key) SELECT DISTINCT a.rid, lower(j.value) FROM accounts a, json_each(a.alt_security_identities) j;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

interface DomainRow {
  dns_name: string;
  realm: string;
  netbios_name: string;
  sid: string;
  functional_level: number;
  policy: string;
  next_rid: number;
}

interface AccountRow {
  rid: number;
  sid: string;
  kind: AccountKind;
  sam: string;
  upn: string | null;
  dns_host_name: string | null;
  display_name: string;
  uac: number;
  supported_etypes: number | null;
  primary_group_id: number;
  logon_hours: Buffer | null;
  account_expires: number | null;
  pwd_last_set: number | null;
  bad_pwd_count: number;
  bad_password_time: number | null;
  lockout_time: number | null;
  last_logon: number | null;
  logon_count: number;
  home_directory: string;
  home_drive: string;
  script_path: string;
  profile_path: string;
  alt_security_identities: string;
  spn_list: string;
}

interface PrincipalRow extends AccountRow {
  nt_hash: Buffer | null;
  current: string | null;
  previous: string | null;
  wdigest: Buffer | null;
}

interface GroupRow {
  sid: string;
  rid: number;
  sam: string;
  description: string;
  scope: GroupScope;
  member_list: string;
}

interface StoredKeySet {
  kvno: number;
  salt: string;
  keys: Array<{ etype: number; value: string }>;
}

const ACCOUNT_COLUMNS = `a.*, (SELECT json_group_array(spn) FROM (SELECT spn FROM spns WHERE spns.rid = a.rid ORDER BY id)) AS spn_list`;
const GROUP_COLUMNS = `g.*, (SELECT json_group_array(member_sid) FROM members WHERE members.group_sid = g.sid) AS member_list`;

function ms(d: Date | undefined | null): number | null {
  return d === undefined || d === null ? null : d.getTime();
}

function rowToAccount(r: AccountRow): Account {
  const a: Account = {
    rid: r.rid,
    sid: r.sid,
    kind: r.kind,
    samAccountName: r.sam,
    servicePrincipalNames: JSON.parse(r.spn_list) as string[],
    displayName: r.display_name,
    userAccountControl: r.uac,
    primaryGroupId: r.primary_group_id,
    badPwdCount: r.bad_pwd_count,
    logonCount: r.logon_count,
    homeDirectory: r.home_directory,
    homeDrive: r.home_drive,
    scriptPath: r.script_path,
    profilePath: r.profile_path,
    altSecurityIdentities: JSON.parse(r.alt_security_identities) as string[],
  };
  if (r.upn !== null) a.userPrincipalName = r.upn;
  if (r.dns_host_name !== null) a.dnsHostName = r.dns_host_name;
  if (r.supported_etypes !== null) a.supportedEncryptionTypes = r.supported_etypes;
  if (r.logon_hours !== null) a.logonHours = Buffer.from(r.logon_hours);
  if (r.account_expires !== null) a.accountExpires = new Date(r.account_expires);
  if (r.pwd_last_set !== null) a.pwdLastSet = new Date(r.pwd_last_set);
  if (r.bad_password_time !== null) a.badPasswordTime = new Date(r.bad_password_time);
  if (r.lockout_time !== null) a.lockoutTime = new Date(r.lockout_time);
  if (r.last_logon !== null) a.lastLogon = new Date(r.last_logon);
  return a;
}

function encodeKeySet(ks: KeySet): string {
  const stored: StoredKeySet = {
    kvno: ks.kvno,
    salt: ks.salt,
    keys: ks.keys.map((k) => ({ etype: k.etype, value: k.value.toString('base64') })),
  };
  return JSON.stringify(stored);
}

function decodeKeySet(s: StoredKeySet): KeySet {
  return { kvno: s.kvno, salt: s.salt, keys: s.keys.map((k) => ({ etype: k.etype, value: Buffer.from(k.value, 'base64') })) };
}

function rowToSecrets(ntHash: Buffer | null, current: string, previous: string, wdigest: Buffer | null = null): AccountSecrets {
  const secrets: AccountSecrets = {
    current: decodeKeySet(JSON.parse(current) as StoredKeySet),
    previous: (JSON.parse(previous) as StoredKeySet[]).map(decodeKeySet),
  };
  if (ntHash !== null) secrets.ntHash = Buffer.from(ntHash);
  if (wdigest !== null) secrets.wdigest = Buffer.from(wdigest);
  return secrets;
}

function rowToGroup(r: GroupRow): Group {
  return {
    rid: r.rid,
    sid: r.sid,
    samAccountName: r.sam,
    description: r.description,
    scope: r.scope,
    members: (JSON.parse(r.member_list) as string[]).sort(),
  };
}

function rowToDomain(r: DomainRow): Domain {
  return {
    dnsName: r.dns_name,
    realm: r.realm,
    netbiosName: r.netbios_name,
    sid: r.sid,
    functionalLevel: r.functional_level,
    policy: JSON.parse(r.policy) as DomainPolicy,
    nextRid: r.next_rid,
  };
}

/** Column name and value converter for each AccountPatch field. */
const PATCH_COLUMNS: { [K in keyof Required<AccountPatch>]: [string, (v: AccountPatch[K]) => unknown] } = {
  userPrincipalName: ['upn', (v) => v ?? null],
  dnsHostName: ['dns_host_name', (v) => v ?? null],
  displayName: ['display_name', (v) => v],
  userAccountControl: ['uac', (v) => v],
  supportedEncryptionTypes: ['supported_etypes', (v) => v ?? null],
  primaryGroupId: ['primary_group_id', (v) => v],
  logonHours: ['logon_hours', (v) => v ?? null],
  accountExpires: ['account_expires', (v) => ms(v)],
  pwdLastSet: ['pwd_last_set', (v) => ms(v)],
  badPwdCount: ['bad_pwd_count', (v) => v],
  badPasswordTime: ['bad_password_time', (v) => ms(v)],
  lockoutTime: ['lockout_time', (v) => ms(v)],
  lastLogon: ['last_logon', (v) => ms(v)],
  logonCount: ['logon_count', (v) => v],
  homeDirectory: ['home_directory', (v) => v],
  homeDrive: ['home_drive', (v) => v],
  scriptPath: ['script_path', (v) => v],
  profilePath: ['profile_path', (v) => v],
  altSecurityIdentities: ['alt_security_identities', (v) => JSON.stringify(v ?? [])],
};

/** The column value for one patch field (the mapped type above guarantees the pairing). */
function patchValue<K extends keyof AccountPatch>(field: K, value: AccountPatch[K]): unknown {
  const convert = PATCH_COLUMNS[field][1] as (v: AccountPatch[K]) => unknown;
  return convert(value);
}

function isUniqueViolation(e: unknown): boolean {
  return e instanceof Error && (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

type Db = Database.Database;
type Stmt = Database.Statement;

export class SqliteStore implements Store {
  private readonly db: Db;
  private readonly s: Record<string, Stmt>;
  private readonly updateCache = new Map<string, Stmt>();
  private closed = false;

  /** Opens (creating with mode 0600 when absent) and migrates the database file. */
  static open(file: string): SqliteStore {
    if (file !== ':memory:' && !existsSync(file)) {
      // Create the file ourselves so it is 0600 from the start (SQLite would use 0644 & ~umask);
      // SQLite gives the -wal and -shm files the permissions of the database file.
      try {
        closeSync(openSync(file, 'wx', 0o600));
      } catch (e) {
        if ((e as { code?: string }).code !== 'EEXIST') throw e;
      }
      chmodSync(file, 0o600);
    }
    const db = new Database(file, { timeout: 15000 });
    try {
      return new SqliteStore(db);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  private constructor(db: Db) {
    this.db = db;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    this.migrate();
    const p = (sql: string): Stmt => db.prepare(sql);
    this.s = {
      getDomain: p('SELECT * FROM domain WHERE id = 1'),
      insertDomain: p(
        `INSERT INTO domain (id, dns_name, realm, netbios_name, sid, functional_level, policy, next_rid)
         VALUES (1, @dnsName, @realm, @netbiosName, @sid, @functionalLevel, @policy, @nextRid)`,
      ),
      setPolicy: p('UPDATE domain SET policy = ? WHERE id = 1'),
      setNextRid: p('UPDATE domain SET next_rid = ? WHERE id = 1'),
      insertAccount: p(
        `INSERT INTO accounts (rid, sid, kind, sam, sam_key, upn, upn_key, dns_host_name, display_name, uac,
           supported_etypes, primary_group_id, logon_hours, account_expires, pwd_last_set, home_directory,
           home_drive, script_path, profile_path, alt_security_identities)
         VALUES (@rid, @sid, @kind, @sam, @samKey, @upn, @upnKey, @dnsHostName, @displayName, @uac,
           @supportedEtypes, @primaryGroupId, @logonHours, @accountExpires, @pwdLastSet, @homeDirectory,
           @homeDrive, @scriptPath, @profilePath, @altSecurityIdentities)`,
      ),
      insertSecrets: p('INSERT INTO secrets (rid, nt_hash, current, previous, wdigest) VALUES (?, ?, ?, ?, ?)'),
      updateSecrets: p('UPDATE secrets SET nt_hash = ?, current = ?, previous = ?, wdigest = ? WHERE rid = ?'),
      getSecrets: p('SELECT nt_hash, current, previous, wdigest FROM secrets WHERE rid = ?'),
      accountByRid: p(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a WHERE a.rid = ?`),
      accountBySam: p(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a WHERE a.sam_key = ?`),
      accountsByAltId: p(
        `SELECT ${ACCOUNT_COLUMNS} FROM accounts a WHERE a.rid IN ` +
          `(SELECT x.rid FROM alt_ids x WHERE x.id_key IN (SELECT lower(w.value) FROM json_each(?) w))`,
      ),
      deleteAltIds: p('DELETE FROM alt_ids WHERE rid = ?'),
      insertAltId: p('INSERT INTO alt_ids (rid, id_key) VALUES (?, lower(?))'),
      accountsAll: p(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.rid`),
      accountsByKind: p(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a WHERE a.kind = ? ORDER BY a.rid`),
      accountRidBySam: p('SELECT rid FROM accounts WHERE sam_key = ?'),
      accountByUpnKey: p('SELECT rid, sam FROM accounts WHERE upn_key = ?'),
      deleteAccount: p('DELETE FROM accounts WHERE rid = ?'),
      principalByRid: p(`SELECT ${ACCOUNT_COLUMNS}, s.nt_hash, s.current, s.previous, s.wdigest FROM accounts a LEFT JOIN secrets s ON s.rid = a.rid WHERE a.rid = ?`),
      principalBySam: p(`SELECT ${ACCOUNT_COLUMNS}, s.nt_hash, s.current, s.previous, s.wdigest FROM accounts a LEFT JOIN secrets s ON s.rid = a.rid WHERE a.sam_key = ?`),
      principalByUpn: p(`SELECT ${ACCOUNT_COLUMNS}, s.nt_hash, s.current, s.previous, s.wdigest FROM accounts a LEFT JOIN secrets s ON s.rid = a.rid WHERE a.upn_key = ?`),
      principalBySpn: p(
        `SELECT ${ACCOUNT_COLUMNS}, s.nt_hash, s.current, s.previous, s.wdigest FROM accounts a LEFT JOIN secrets s ON s.rid = a.rid
         WHERE a.rid = (SELECT rid FROM spns WHERE spn_key = ?)`,
      ),
      spnOwner: p('SELECT a.sam AS sam, a.rid AS rid FROM spns JOIN accounts a ON a.rid = spns.rid WHERE spns.spn_key = ?'),
      insertSpn: p('INSERT INTO spns (rid, spn, spn_key) VALUES (?, ?, ?)'),
      deleteSpn: p('DELETE FROM spns WHERE rid = ? AND spn_key = ?'),
      insertGroup: p('INSERT INTO groups (sid, rid, sam, sam_key, description, scope) VALUES (?, ?, ?, ?, ?, ?)'),
      groupBySid: p(`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.sid = ?`),
      groupBySam: p(`SELECT ${GROUP_COLUMNS} FROM groups g WHERE g.sam_key = ?`),
      groupSidBySam: p('SELECT sid FROM groups WHERE sam_key = ?'),
      groupsAll: p(`SELECT ${GROUP_COLUMNS} FROM groups g ORDER BY g.sid LIKE 'S-1-5-32-%', g.rid`),
      deleteGroup: p('DELETE FROM groups WHERE sid = ?'),
      insertMember: p('INSERT OR IGNORE INTO members (group_sid, member_sid) VALUES (?, ?)'),
      deleteMember: p('DELETE FROM members WHERE group_sid = ? AND member_sid = ?'),
      deleteMembershipsOf: p('DELETE FROM members WHERE member_sid = ?'),
      closure: p(
        `WITH RECURSIVE closure(sid) AS (
           SELECT value FROM json_each(?)
           UNION
           SELECT m.group_sid FROM members m JOIN closure c ON m.member_sid = c.sid
         )
         SELECT g.sid AS sid, g.rid AS rid, g.scope AS scope FROM groups g JOIN closure c ON g.sid = c.sid ORDER BY g.rid`,
      ),
      logonStat: p(
        'UPDATE accounts SET last_logon = max(coalesce(last_logon, 0), ?), logon_count = logon_count + ? WHERE rid = ?',
      ),
    };
  }

  private migrate(): void {
    this.db
      .transaction(() => {
        this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
        const row = this.db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
        const version = row?.version ?? 0;
        if (version > MIGRATIONS.length) {
          throw new DirectoryError(
            'SCHEMA',
            `database schema version ${version} is newer than this authso understands (${MIGRATIONS.length}); upgrade authso`,
          );
        }
        for (let v = version; v < MIGRATIONS.length; v++) this.db.exec(MIGRATIONS[v]);
        if (row === undefined) this.db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
        else if (version !== MIGRATIONS.length) this.db.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length);
      })
      .immediate();
  }

  private check(): void {
    if (this.closed) throw new DirectoryError('CLOSED', 'the directory store is closed');
  }

  /** Runs fn as one BEGIN IMMEDIATE transaction (write lock taken up front: no upgrade deadlocks). */
  private write<T>(fn: () => T): T {
    this.check();
    return this.db.transaction(fn).immediate();
  }

  private domainRow(): DomainRow {
    const row = this.s.getDomain.get() as DomainRow | undefined;
    if (!row) throw new DirectoryError('NOT_PROVISIONED', 'the directory has no domain yet (run provision)');
    return row;
  }

  private samTaken(samKey: string): boolean {
    return this.s.accountRidBySam.get(samKey) !== undefined || this.s.groupSidBySam.get(samKey) !== undefined;
  }

  private allocateRid(): number {
    const d = this.domainRow();
    this.s.setNextRid.run(d.next_rid + 1);
    return d.next_rid;
  }

  private insertSpnChecked(rid: number, spn: string): void {
    const key = foldName(spn);
    const owner = this.s.spnOwner.get(key) as { sam: string; rid: number } | undefined;
    if (owner) {
      throw new DirectoryError(
        'SPN_IN_USE',
        owner.rid === rid ? `SPN '${spn}' is already registered on ${owner.sam}` : `SPN '${spn}' is already registered on account ${owner.sam}`,
      );
    }
    try {
      this.s.insertSpn.run(rid, spn, key);
    } catch (e) {
      if (isUniqueViolation(e)) throw new DirectoryError('SPN_IN_USE', `SPN '${spn}' is already registered`);
      throw e;
    }
  }

  private checkUpnFree(upn: string, rid: number | undefined): void {
    const other = this.s.accountByUpnKey.get(foldName(upn)) as { rid: number; sam: string } | undefined;
    if (other && other.rid !== rid) {
      throw new DirectoryError('UPN_IN_USE', `userPrincipalName '${upn}' is already used by ${other.sam}`);
    }
  }

  private insertAccount(domainSid: string, a: NewAccount, rid: number, keys: NewKeyMaterial): void {
    const samKey = foldName(a.samAccountName);
    if (this.samTaken(samKey)) throw new DirectoryError('ALREADY_EXISTS', `an account or group named '${a.samAccountName}' already exists`);
    if (this.s.accountByRid.get(rid) !== undefined || this.s.groupBySid.get(`${domainSid}-${rid}`) !== undefined) {
      throw new DirectoryError('ALREADY_EXISTS', `RID ${rid} is already in use`);
    }
    if (a.userPrincipalName !== undefined) this.checkUpnFree(a.userPrincipalName, undefined);
    this.s.insertAccount.run({
      rid,
      sid: `${domainSid}-${rid}`,
      kind: a.kind,
      sam: a.samAccountName,
      samKey,
      upn: a.userPrincipalName ?? null,
      upnKey: a.userPrincipalName === undefined ? null : foldName(a.userPrincipalName),
      dnsHostName: a.dnsHostName ?? null,
      displayName: a.displayName,
      uac: a.userAccountControl,
      supportedEtypes: a.supportedEncryptionTypes ?? null,
      primaryGroupId: a.primaryGroupId,
      logonHours: a.logonHours ?? null,
      accountExpires: ms(a.accountExpires),
      pwdLastSet: ms(a.pwdLastSet),
      homeDirectory: a.homeDirectory,
      homeDrive: a.homeDrive,
      scriptPath: a.scriptPath,
      profilePath: a.profilePath,
      altSecurityIdentities: JSON.stringify(a.altSecurityIdentities),
    });
    const current: KeySet = { kvno: 1, keys: keys.keys, salt: keys.salt };
    this.s.insertSecrets.run(rid, keys.ntHash, encodeKeySet(current), '[]', keys.wdigest ?? null);
    for (const spn of a.servicePrincipalNames) this.insertSpnChecked(rid, spn);
    this.indexAltIds(rid, a.altSecurityIdentities);
  }

  /** Keeps alt_ids equal to the account's altSecurityIdentities (same transaction). */
  private indexAltIds(rid: number, values: readonly string[] | undefined): void {
    this.s.deleteAltIds.run(rid);
    for (const v of new Set((values ?? []).map((x) => x.toLowerCase()))) this.s.insertAltId.run(rid, v);
  }

  private insertGroup(domainSid: string, g: NewGroup, rid: number): Group {
    const samKey = foldName(g.samAccountName);
    if (this.samTaken(samKey)) throw new DirectoryError('ALREADY_EXISTS', `an account or group named '${g.samAccountName}' already exists`);
    const sid = g.sid ?? `${domainSid}-${rid}`;
    const ridTaken = g.sid === undefined && this.s.accountByRid.get(rid) !== undefined;
    if (ridTaken || this.s.groupBySid.get(sid) !== undefined) throw new DirectoryError('ALREADY_EXISTS', `SID ${sid} is already in use`);
    this.s.insertGroup.run(sid, rid, g.samAccountName, samKey, g.description, g.scope);
    return { rid, sid, samAccountName: g.samAccountName, description: g.description, scope: g.scope, members: [] };
  }

  private accountOrThrow(rid: number): Account {
    const row = this.s.accountByRid.get(rid) as AccountRow | undefined;
    if (!row) throw new DirectoryError('NO_SUCH_OBJECT', `no account with RID ${rid}`);
    return rowToAccount(row);
  }

  private applyPatch(rid: number, patch: AccountPatch): void {
    const fields = (Object.keys(patch) as Array<keyof AccountPatch>).filter((k) => patch[k] !== undefined && k in PATCH_COLUMNS);
    if (fields.length === 0) return;
    if (patch.userPrincipalName !== undefined && patch.userPrincipalName !== null) this.checkUpnFree(patch.userPrincipalName, rid);
    const cols = fields.map((f) => PATCH_COLUMNS[f][0]);
    if (patch.userPrincipalName !== undefined) cols.push('upn_key');
    const sig = cols.join(',');
    let stmt = this.updateCache.get(sig);
    if (!stmt) {
      // One statement per distinct set of columns, prepared once and reused.
      stmt = this.db.prepare(`UPDATE accounts SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE rid = ?`);
      this.updateCache.set(sig, stmt);
    }
    const values = fields.map((f) => patchValue(f, patch[f]));
    if (patch.userPrincipalName !== undefined) values.push(patch.userPrincipalName === null ? null : foldName(patch.userPrincipalName));
    try {
      stmt.run(...values, rid);
    } catch (e) {
      if (isUniqueViolation(e)) throw new DirectoryError('UPN_IN_USE', `userPrincipalName '${String(patch.userPrincipalName)}' is already in use`);
      throw e;
    }
    if (patch.altSecurityIdentities !== undefined) this.indexAltIds(rid, patch.altSecurityIdentities);
  }

  async getDomain(): Promise<Domain | undefined> {
    this.check();
    const row = this.s.getDomain.get() as DomainRow | undefined;
    return row ? rowToDomain(row) : undefined;
  }

  async provision(data: ProvisionData): Promise<void> {
    this.write(() => {
      if (this.s.getDomain.get() !== undefined) throw new DirectoryError('ALREADY_PROVISIONED', 'this directory already holds a domain');
      const d = data.domain;
      this.s.insertDomain.run({
        dnsName: d.dnsName,
        realm: d.realm,
        netbiosName: d.netbiosName,
        sid: d.sid,
        functionalLevel: d.functionalLevel,
        policy: JSON.stringify(d.policy),
        nextRid: d.nextRid,
      });
      for (const g of data.groups) this.insertGroup(d.sid, g, g.rid);
      for (const { account, keys } of data.accounts) this.insertAccount(d.sid, account, account.rid, keys);
      for (const [groupSid, memberSid] of data.memberships) this.s.insertMember.run(groupSid, memberSid);
    });
  }

  async setPolicy(policy: DomainPolicy): Promise<void> {
    this.write(() => {
      this.domainRow();
      this.s.setPolicy.run(JSON.stringify(policy));
    });
  }

  async createAccount(account: NewAccount, keys: NewKeyMaterial): Promise<Account> {
    return this.write(() => {
      const d = this.domainRow();
      const rid = account.rid ?? this.allocateRid();
      this.insertAccount(d.sid, account, rid, keys);
      return this.accountOrThrow(rid);
    });
  }

  async createAccounts(entries: NewAccountEntry[]): Promise<number[]> {
    if (entries.length === 0) return [];
    return this.write(() => {
      const d = this.domainRow();
      return entries.map(({ account, keys }, i) => {
        try {
          const rid = account.rid ?? this.allocateRid();
          this.insertAccount(d.sid, account, rid, keys);
          return rid;
        } catch (e) {
          // Thrown out of the transaction: better-sqlite3 rolls the whole batch back.
          if (e instanceof DirectoryError) throw new BatchEntryError(e, i, account.samAccountName);
          throw e;
        }
      });
    });
  }

  async getAccount(rid: number): Promise<Account | undefined> {
    this.check();
    const row = this.s.accountByRid.get(rid) as AccountRow | undefined;
    return row ? rowToAccount(row) : undefined;
  }

  async findAccountBySam(samAccountName: string): Promise<Account | undefined> {
    this.check();
    const row = this.s.accountBySam.get(foldName(samAccountName)) as AccountRow | undefined;
    return row ? rowToAccount(row) : undefined;
  }

  async findAccountsByAltSecurityIdentity(values: string[]): Promise<Account[]> {
    this.check();
    if (values.length === 0) return [];
    return (this.s.accountsByAltId.all(JSON.stringify(values)) as AccountRow[]).map(rowToAccount);
  }

  async listAccounts(kind?: AccountKind): Promise<Account[]> {
    this.check();
    const rows = (kind === undefined ? this.s.accountsAll.all() : this.s.accountsByKind.all(kind)) as AccountRow[];
    return rows.map(rowToAccount);
  }

  async updateAccount(rid: number, patch: AccountPatch): Promise<Account> {
    return this.write(() => {
      this.accountOrThrow(rid);
      this.applyPatch(rid, patch);
      return this.accountOrThrow(rid);
    });
  }

  async mutateAccount(rid: number, fn: (account: Account, domain: Domain) => AccountPatch | undefined): Promise<Account> {
    return this.write(() => {
      const domain = rowToDomain(this.domainRow());
      const before = this.accountOrThrow(rid);
      const patch = fn(before, domain);
      if (patch === undefined) return before;
      this.applyPatch(rid, patch);
      return this.accountOrThrow(rid);
    });
  }

  async deleteAccount(rid: number): Promise<void> {
    this.write(() => {
      const a = this.accountOrThrow(rid);
      this.s.deleteMembershipsOf.run(a.sid);
      this.s.deleteAccount.run(rid); // secrets and SPNs go with it (ON DELETE CASCADE)
    });
  }

  async getPrincipal(by: { rid: number } | { sam: string } | { upn: string } | { spn: string }): Promise<PrincipalEntry | undefined> {
    this.check();
    let row: PrincipalRow | undefined;
    // One SELECT joining account, SPNs and secrets: a consistent snapshot without a transaction.
    if ('rid' in by) row = this.s.principalByRid.get(by.rid) as PrincipalRow | undefined;
    else if ('sam' in by) row = this.s.principalBySam.get(foldName(by.sam)) as PrincipalRow | undefined;
    else if ('upn' in by) row = this.s.principalByUpn.get(foldName(by.upn)) as PrincipalRow | undefined;
    else row = this.s.principalBySpn.get(foldName(by.spn)) as PrincipalRow | undefined;
    if (!row || row.current === null) return undefined;
    return { account: rowToAccount(row), secrets: rowToSecrets(row.nt_hash, row.current, row.previous ?? '[]', row.wdigest) };
  }

  async getSecrets(rid: number): Promise<AccountSecrets | undefined> {
    this.check();
    const row = this.s.getSecrets.get(rid) as { nt_hash: Buffer | null; current: string; previous: string; wdigest: Buffer | null } | undefined;
    return row ? rowToSecrets(row.nt_hash, row.current, row.previous, row.wdigest) : undefined;
  }

  async setPassword(rid: number, keys: NewKeyMaterial, opts: { keepPrevious: number; pwdLastSet: Date | null }): Promise<number> {
    return this.write(() => {
      this.accountOrThrow(rid);
      const row = this.s.getSecrets.get(rid) as { nt_hash: Buffer | null; current: string; previous: string } | undefined;
      let kvno = 1;
      let previous: KeySet[] = [];
      if (row) {
        const old = rowToSecrets(row.nt_hash, row.current, row.previous);
        kvno = old.current.kvno + 1;
        previous = [old.current, ...old.previous].slice(0, Math.max(0, opts.keepPrevious));
      }
      const current: KeySet = { kvno, keys: keys.keys, salt: keys.salt };
      const prevJson = `[${previous.map(encodeKeySet).join(',')}]`;
      // The WDigest hashes are of the current password only (they are replaced, never kept).
      const wdigest = keys.wdigest ?? null;
      if (row) this.s.updateSecrets.run(keys.ntHash, encodeKeySet(current), prevJson, wdigest, rid);
      else this.s.insertSecrets.run(rid, keys.ntHash, encodeKeySet(current), prevJson, wdigest);
      this.applyPatch(rid, { pwdLastSet: opts.pwdLastSet });
      return kvno;
    });
  }

  async addSpn(rid: number, spn: string): Promise<void> {
    this.write(() => {
      this.accountOrThrow(rid);
      this.insertSpnChecked(rid, spn);
    });
  }

  async removeSpn(rid: number, spn: string): Promise<boolean> {
    return this.write(() => this.s.deleteSpn.run(rid, foldName(spn)).changes > 0);
  }

  async createGroup(group: NewGroup): Promise<Group> {
    return this.write(() => {
      const d = this.domainRow();
      const rid = group.rid ?? this.allocateRid();
      return this.insertGroup(d.sid, group, rid);
    });
  }

  async getGroup(sid: string): Promise<Group | undefined> {
    this.check();
    const row = this.s.groupBySid.get(sid) as GroupRow | undefined;
    return row ? rowToGroup(row) : undefined;
  }

  async findGroupBySam(samAccountName: string): Promise<Group | undefined> {
    this.check();
    const row = this.s.groupBySam.get(foldName(samAccountName)) as GroupRow | undefined;
    return row ? rowToGroup(row) : undefined;
  }

  async listGroups(): Promise<Group[]> {
    this.check();
    return (this.s.groupsAll.all() as GroupRow[]).map(rowToGroup);
  }

  async deleteGroup(sid: string): Promise<void> {
    this.write(() => {
      if (this.s.groupBySid.get(sid) === undefined) throw new DirectoryError('NO_SUCH_OBJECT', `no group with SID ${sid}`);
      this.s.deleteMembershipsOf.run(sid);
      this.s.deleteGroup.run(sid); // its member rows go with it (ON DELETE CASCADE)
    });
  }

  async addMember(groupSid: string, memberSid: string): Promise<boolean> {
    return this.write(() => {
      if (this.s.groupBySid.get(groupSid) === undefined) throw new DirectoryError('NO_SUCH_OBJECT', `no group with SID ${groupSid}`);
      return this.s.insertMember.run(groupSid, memberSid).changes > 0;
    });
  }

  async removeMember(groupSid: string, memberSid: string): Promise<boolean> {
    return this.write(() => this.s.deleteMember.run(groupSid, memberSid).changes > 0);
  }

  async groupClosure(sids: string[]): Promise<GroupRef[]> {
    this.check();
    // Recursive CTE with UNION (not UNION ALL): rows already seen are dropped, so cycles end.
    return this.s.closure.all(JSON.stringify(sids)) as GroupRef[];
  }

  async flushLogonStats(stats: LogonStat[]): Promise<void> {
    if (stats.length === 0) return;
    this.write(() => {
      for (const st of stats) this.s.logonStat.run(st.lastLogon.getTime(), st.logons, st.rid);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
