// Joining a member server to the domain, the offline-domain-join (djoin) way:
//
//  1. on the DC, `authso computer create NAME --provision-out BLOB` creates NAME$ with a
//     one-time random password and writes the provisioning blob (what djoin /provision's
//     savefile carries: the domain's names and SID, the account, its password, the DC);
//  2. on the member, `authso join --provision BLOB --state STATE` writes the member state
//     (the machine password and its Kerberos keys, derived with the directory's own salt
//     rules, src/directory/keys.ts), opens a Netlogon secure channel with the one-time
//     password and rotates it with NetrServerPasswordSet2 (MS-NRPC 3.4.5.2.5), as a Windows
//     member does on its first boot after djoin /requestODJ — the blob's password is then dead.
//
// Servers then call loadMemberState(STATE) for their DomainAuthority (NetlogonAuthority) and
// service keys (KerberosAcceptor `keys`). Both files are JSON, written 0600 through a temporary
// file renamed into place, so a reader never sees a half-written secret.

import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { deriveKeys, randomPassword, saltFor } from '../directory/keys.js';
import type { ServiceKey } from '../kerberos/gss/acceptor.js';
import { NetlogonAuthority } from './netlogon-authority.js';

export const PROVISION_KIND = 'authso-provision';
export const MEMBER_STATE_KIND = 'authso-member-state';

/** Where the member finds its DC. */
export interface DcAddress {
  host: string;
  kdcPort?: number;
  /** The endpoint mapper (default 135): Netlogon's port is asked of it unless rpcPort is set. */
  epmPort?: number;
  rpcPort?: number;
  /** The DC's NetBIOS name (LogonServer / PrimaryName). */
  name?: string;
}

/** Who the member is in the domain: the same in the provisioning blob and the state file. */
export interface MemberIdentity {
  realm: string;
  netbiosDomainName: string;
  dnsDomainName: string;
  domainSid: string;
  /** NetBIOS computer name (upper case, no '$'). */
  computerName: string;
  /** sAMAccountName ('MEMBER$'). */
  accountName: string;
  dnsHostName: string;
  spns: string[];
}

export interface ProvisionBlob extends MemberIdentity {
  kind: typeof PROVISION_KIND;
  version: 1;
  /** The one-time machine password (rotated by join). */
  machinePassword: string;
  kvno: number;
  dc?: DcAddress;
}

export interface MemberKey {
  etype: number;
  /** base64 */
  value: string;
}

export interface MemberState extends MemberIdentity {
  kind: typeof MEMBER_STATE_KIND;
  version: 1;
  dc: DcAddress;
  machinePassword: string;
  /** The kvno the DC gave these keys (as far as the member knows: + 1 per password set). */
  kvno: number;
  salt: string;
  keys: MemberKey[];
  /**
   * A password being set (written before NetrServerPasswordSet2, cleared after): if the member
   * stopped in between, whichever of the two the DC has is found at the next establishment.
   */
  pendingPassword?: string;
  /** The password set before the current one, kept for tickets issued under it. */
  previous?: { kvno: number; keys: MemberKey[] };
  passwordLastSet: string;
}

/** Writes a secret-bearing JSON file: mode 0600, temporary file + rename (atomic on POSIX). */
export async function writeSecretJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600); // the umask may have narrowed it; never widened
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, k: string, file: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v === '') throw new Error(`${file}: missing or invalid "${k}"`);
  return v;
}

export async function readProvisionBlob(path: string): Promise<ProvisionBlob> {
  const o: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!isObject(o) || o.kind !== PROVISION_KIND || o.version !== 1) throw new Error(`${path}: not an authso provisioning blob`);
  for (const k of ['realm', 'netbiosDomainName', 'dnsDomainName', 'domainSid', 'computerName', 'accountName', 'dnsHostName', 'machinePassword']) str(o, k, path);
  return o as unknown as ProvisionBlob;
}

export async function readMemberState(path: string): Promise<MemberState> {
  const o: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!isObject(o) || o.kind !== MEMBER_STATE_KIND || o.version !== 1) throw new Error(`${path}: not an authso member state file`);
  for (const k of ['realm', 'netbiosDomainName', 'dnsDomainName', 'computerName', 'accountName', 'machinePassword', 'salt']) str(o, k, path);
  if (!isObject(o.dc) || typeof o.dc.host !== 'string') throw new Error(`${path}: no DC address`);
  return o as unknown as MemberState;
}

function keysOf(password: string, salt: string): MemberKey[] {
  const d = deriveKeys(password, salt);
  d.ntHash.fill(0);
  return d.keys.map((k) => ({ etype: k.etype, value: k.value.toString('base64') }));
}

/** The member state for a password (keys derived with the computer-account salt, MS-KILE 3.1.1.2). */
function stateWithPassword(base: Omit<MemberState, 'machinePassword' | 'keys' | 'salt' | 'kvno' | 'passwordLastSet' | 'previous'>, password: string, kvno: number, previous?: MemberState): MemberState {
  const salt = saltFor('computer', base.realm, base.accountName, base.dnsDomainName);
  return {
    ...base,
    machinePassword: password,
    pendingPassword: undefined,
    kvno,
    salt,
    keys: keysOf(password, salt),
    previous: previous ? { kvno: previous.kvno, keys: previous.keys } : undefined,
    passwordLastSet: new Date().toISOString(),
  };
}

function authorityOf(state: { current: MemberState }, options: { timeoutMs?: number; statePath?: string } = {}): NetlogonAuthority {
  const s = state.current;
  const path = options.statePath;
  return new NetlogonAuthority({
    host: s.dc.host,
    port: s.dc.rpcPort,
    epmPort: s.dc.epmPort,
    computerName: s.computerName,
    accountName: s.accountName,
    // Read at each channel establishment: a rotation is picked up without a restart.
    // A pending password first: the DC also accepts the previous password (3.5.4.4.2), so only
    // trying the pending one first tells whether the interrupted set reached the DC.
    password: () => (state.current.pendingPassword ? [state.current.pendingPassword, state.current.machinePassword] : state.current.machinePassword),
    onPasswordUsed: (password) => {
      const cur = state.current;
      if (cur.pendingPassword === undefined || password !== cur.pendingPassword || path === undefined) return;
      // The DC took the pending password before the member could save it: it is the current one now.
      const next = stateWithPassword(cur, password, cur.kvno + 1, cur);
      state.current = next;
      void writeSecretJson(path, next).catch(() => undefined);
    },
    dcName: s.dc.name,
    domainName: s.netbiosDomainName,
    dnsDomainName: s.dnsDomainName,
    timeoutMs: options.timeoutMs,
  });
}

/** Length of the machine passwords join and rotation set (Windows uses 120 random characters). */
const MACHINE_PASSWORD_LENGTH = 120;

/**
 * Rotates the machine password over the authority's secure channel and saves the state. The
 * state file is written only after the DC accepted the new password; until then the old one
 * stays the member's (the DC also still accepts it as the previous password, 3.5.4.4.2).
 */
async function rotate(holder: { current: MemberState }, authority: NetlogonAuthority, statePath: string): Promise<void> {
  const old = holder.current;
  const password = randomPassword(MACHINE_PASSWORD_LENGTH);
  holder.current = { ...old, pendingPassword: password };
  await writeSecretJson(statePath, holder.current);
  // On failure the password stays pending (the DC may have taken it): the next establishment finds out.
  await authority.client.setPassword(password);
  const next = stateWithPassword(old, password, old.kvno + 1, old);
  await writeSecretJson(statePath, next);
  holder.current = next;
}

export interface JoinOptions {
  provision: ProvisionBlob;
  statePath: string;
  /** Overrides the blob's DC address (fields given replace the blob's). */
  dc?: Partial<DcAddress>;
  timeoutMs?: number;
}

export interface JoinResult {
  state: MemberState;
  /** NetrServerAuthenticate3's AccountRid. */
  accountRid: number;
}

/**
 * Joins with a provisioning blob: writes the state with the one-time password, proves it on a
 * secure channel, then sets a new machine password. The DC keeps the previous two key
 * generations of a computer account (src/directory/directory.ts setPassword) and Netlogon
 * accepts a previous password (3.5.4.4.2), so the password is set three times: afterwards the
 * one-time password from the blob is in no generation the DC still accepts.
 */
export async function joinDomain(o: JoinOptions): Promise<JoinResult> {
  const p = o.provision;
  const dc: DcAddress = { ...(p.dc ?? { host: '' }), ...Object.fromEntries(Object.entries(o.dc ?? {}).filter(([, v]) => v !== undefined)) };
  if (!dc.host) throw new Error('no DC address: give --dc (the provisioning blob has none)');
  const holder = {
    current: stateWithPassword(
      {
        kind: MEMBER_STATE_KIND,
        version: 1,
        realm: p.realm,
        netbiosDomainName: p.netbiosDomainName,
        dnsDomainName: p.dnsDomainName,
        domainSid: p.domainSid,
        computerName: p.computerName.toUpperCase(),
        accountName: p.accountName,
        dnsHostName: p.dnsHostName,
        spns: p.spns ?? [],
        dc,
      },
      p.machinePassword,
      p.kvno,
    ),
  };
  await writeSecretJson(o.statePath, holder.current);
  const authority = authorityOf(holder, { timeoutMs: o.timeoutMs, statePath: o.statePath });
  try {
    const { accountRid } = await authority.client.connect();
    for (let i = 0; i < 3; i++) await rotate(holder, authority, o.statePath);
    return { state: holder.current, accountRid };
  } finally {
    authority.close();
  }
}

export interface LoadedMember {
  state: MemberState;
  /** The member's DomainAuthority (NTLM pass-through, PAC verification) over Netlogon. */
  authority: NetlogonAuthority;
  /** The machine account's keys for KerberosAcceptor `keys` (HOST/ and the account's other SPNs). */
  serviceKeys(): ServiceKey[];
  /** Sets a new random machine password (MS-NRPC 3.4.5.2.5) and saves the state file. */
  rotatePassword(): Promise<void>;
  close(): void;
}

/** Opens a member state file for a server. */
export async function loadMemberState(path: string, options: { timeoutMs?: number } = {}): Promise<LoadedMember> {
  const holder = { current: await readMemberState(path) };
  const authority = authorityOf(holder, { ...options, statePath: path });
  let rotating: Promise<void> | undefined;
  return {
    get state() {
      return holder.current;
    },
    authority,
    serviceKeys() {
      const s = holder.current;
      const out: ServiceKey[] = s.keys.map((k) => ({ kvno: s.kvno, key: { etype: k.etype, value: Buffer.from(k.value, 'base64') } }));
      if (s.previous) for (const k of s.previous.keys) out.push({ kvno: s.previous.kvno, key: { etype: k.etype, value: Buffer.from(k.value, 'base64') } });
      return out;
    },
    rotatePassword() {
      // One rotation at a time: two concurrent sets would leave the state and the DC disagreeing.
      rotating ??= rotate(holder, authority, path).finally(() => {
        rotating = undefined;
      });
      return rotating;
    },
    close() {
      authority.close();
    },
  };
}
