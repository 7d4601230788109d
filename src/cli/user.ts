// `authso user ...`: user accounts (and, for show/list/enable/disable/unlock, any account).

import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { Command } from 'commander';
import { enctypeProfile } from '../crypto/index.js';
import type { Directory, NewUser } from '../directory/directory.js';
import { isLockedOut } from '../directory/policy.js';
import { strongCertificateIdentities } from '../http/certificate.js';
import { BatchEntryError } from '../directory/store.js';
import { UF, type Account, type AccountKind } from '../directory/types.js';
import { addDataDirOption, addPasswordOptions, CliError, fail, printJson, println, readPassword, withDirectory, type PasswordOptions } from './util.js';

const UF_NAMES = Object.entries(UF) as Array<[string, number]>;

export function uacFlagNames(uac: number): string[] {
  return UF_NAMES.filter(([, bit]) => (uac & bit) !== 0).map(([name]) => name);
}

function etypeName(etype: number): string {
  try {
    return enctypeProfile(etype).name;
  } catch {
    return String(etype);
  }
}

const iso = (d: Date | undefined) => (d === undefined ? null : d.toISOString());

/** The account as JSON for display: every attribute except secrets, plus groups and key versions. */
export async function accountJson(d: Directory, a: Account): Promise<Record<string, unknown>> {
  const domain = await d.getDomain();
  const [membership, groups, keys] = await Promise.all([d.membership(a), d.listGroups(), d.getKeyInfo(a.samAccountName)]);
  const nameOfSid = new Map(groups.map((g) => [g.sid, g.samAccountName]));
  const groupName = (rid: number) => nameOfSid.get(`${domain.sid}-${rid}`) ?? `RID ${rid}`;
  return {
    samAccountName: a.samAccountName,
    kind: a.kind,
    rid: a.rid,
    sid: a.sid,
    userPrincipalName: a.userPrincipalName ?? null,
    displayName: a.displayName,
    dnsHostName: a.dnsHostName ?? null,
    servicePrincipalNames: a.servicePrincipalNames,
    userAccountControl: a.userAccountControl,
    userAccountControlFlags: uacFlagNames(a.userAccountControl),
    enabled: (a.userAccountControl & UF.ACCOUNTDISABLE) === 0,
    lockedOut: isLockedOut(a, domain.policy, new Date()),
    supportedEncryptionTypes: a.supportedEncryptionTypes ?? null,
    primaryGroupId: a.primaryGroupId,
    memberOf: [
      ...membership.domainGroupRids.map(groupName),
      ...membership.domainLocalGroupRids.map(groupName),
      ...membership.extraSids.map((s) => nameOfSid.get(s) ?? s),
    ],
    accountExpires: iso(a.accountExpires),
    pwdLastSet: iso(a.pwdLastSet),
    badPwdCount: a.badPwdCount,
    badPasswordTime: iso(a.badPasswordTime),
    lockoutTime: iso(a.lockoutTime),
    lastLogon: iso(a.lastLogon),
    logonCount: a.logonCount,
    logonHours: a.logonHours === undefined ? null : a.logonHours.toString('hex'),
    homeDirectory: a.homeDirectory,
    homeDrive: a.homeDrive,
    scriptPath: a.scriptPath,
    profilePath: a.profilePath,
    altSecurityIdentities: a.altSecurityIdentities,
    keys: { kvno: keys.kvno, etypes: keys.etypes.map(etypeName), salt: keys.salt, previousKvnos: keys.previousKvnos },
  };
}

export function statusWord(d: Directory, a: Account): string {
  if ((a.userAccountControl & UF.ACCOUNTDISABLE) !== 0) return 'disabled';
  return d.checkAccountRestrictions(a, new Date(), { ignorePasswordExpiry: true }) === 0 ? 'enabled' : 'restricted';
}

interface DirOpts {
  dataDir?: string;
}

/** The fields a `user import` line may have, and their JSON types. */
const IMPORT_FIELDS: Record<string, 'string' | 'boolean'> = {
  name: 'string',
  password: 'string',
  upn: 'string',
  displayName: 'string',
  mustChangePassword: 'boolean',
};

/**
 * JSON lines, one user per line: {"name": "u1", "password": "...", "upn": "...",
 * "displayName": "...", "mustChangePassword": false}; blank lines are skipped. Returns the users
 * and the line number of each. Messages never quote a line (it holds a password).
 */
export function parseUserLines(text: string): { users: NewUser[]; lines: number[] } {
  const users: NewUser[] = [];
  const lines: number[] = [];
  const rows = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  rows.forEach((row, i) => {
    const n = i + 1;
    if (row.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(row);
    } catch {
      fail(`line ${n}: not valid JSON (expected {"name": ..., "password": ...})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`line ${n}: not a JSON object`);
    const o = v as Record<string, unknown>;
    for (const [k, val] of Object.entries(o)) {
      const type = Object.hasOwn(IMPORT_FIELDS, k) ? IMPORT_FIELDS[k] : undefined;
      if (type === undefined) fail(`line ${n}: unknown field '${k}' (known: ${Object.keys(IMPORT_FIELDS).join(', ')})`);
      if (typeof val !== type) fail(`line ${n}: '${k}' must be a ${type}`);
    }
    if (typeof o.name !== 'string' || o.name === '') fail(`line ${n}: 'name' is missing`);
    if (typeof o.password !== 'string' || o.password === '') fail(`line ${n}: 'password' is missing`);
    users.push({
      name: o.name,
      password: o.password,
      upn: o.upn as string | undefined,
      displayName: o.displayName as string | undefined,
      mustChangePassword: o.mustChangePassword as boolean | undefined,
    });
    lines.push(n);
  });
  return { users, lines };
}

async function readImportInput(file: string): Promise<string> {
  if (file === '-') {
    if (process.stdin.isTTY) fail('--file - reads JSON lines from a pipe or redirect, not from a terminal');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    fail(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export function registerUser(program: Command): void {
  const user = program.command('user').description('manage user accounts');

  addPasswordOptions(
    addDataDirOption(
      user
        .command('create <name>')
        .description('create a user (primary group Domain Users)')
        .option('--upn <upn>', 'userPrincipalName, e.g. alice@example.test')
        .option('--display-name <name>', 'displayName')
        .option('--must-change-password', 'the user must change the password at next logon'),
    ),
  ).action(async (name: string, o: DirOpts & PasswordOptions & { upn?: string; displayName?: string; mustChangePassword?: boolean }) => {
    const password = (await readPassword(o, true, `Password for ${name}: `)) as string;
    await withDirectory(o.dataDir, async (d) => {
      const a = await d.createUser(name, {
        password,
        upn: o.upn,
        displayName: o.displayName,
        mustChangePassword: o.mustChangePassword,
      });
      println(`created user ${a.samAccountName} (RID ${a.rid}, SID ${a.sid})`);
    });
  });

  addDataDirOption(
    user
      .command('import')
      .description('create many users from JSON lines {"name":..., "password":..., "upn":...} (keys derived on all cores)')
      .requiredOption('--file <file>', 'the JSON-lines file, or - for stdin'),
  ).action(async (o: DirOpts & { file: string }) => {
    const { users, lines } = parseUserLines(await readImportInput(o.file));
    await withDirectory(o.dataDir, async (d) => {
      const t0 = performance.now();
      let imported = 0;
      try {
        await d.createUsers(users, { onProgress: (created) => (imported = created) });
      } catch (e) {
        if (e instanceof BatchEntryError) {
          // Entries are all checked before anything is written, so this is usually 0; a conflict
          // that appears meanwhile fails its batch of 1,000 only.
          const note = imported > 0 ? ` (${imported} users before line ${lines[imported]} were imported)` : '';
          throw new CliError(`line ${lines[e.index]} (${e.entryName}): ${e.reason}${note}`);
        }
        throw e;
      }
      println(`imported ${users.length} users in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });
  });

  addPasswordOptions(
    addDataDirOption(
      user
        .command('set-password <name>')
        .description("set an account's password (new keys, kvno + 1)")
        .option('--must-change', 'the user must change it at next logon'),
    ),
  ).action(async (name: string, o: DirOpts & PasswordOptions & { mustChange?: boolean }) => {
    const password = (await readPassword(o, true, `New password for ${name}: `)) as string;
    await withDirectory(o.dataDir, async (d) => {
      const kvno = await d.setPassword(name, password, { mustChange: o.mustChange });
      println(`password of ${(await d.getAccount(name)).samAccountName} set (kvno ${kvno})`);
    });
  });

  const simple = (cmd: string, description: string, fn: (d: Directory, name: string) => Promise<Account>, verb: string) =>
    addDataDirOption(user.command(`${cmd} <name>`).description(description)).action(async (name: string, o: DirOpts) => {
      await withDirectory(o.dataDir, async (d) => {
        const a = await fn(d, name);
        println(`${a.samAccountName} ${verb}`);
      });
    });
  simple('disable', 'disable an account', (d, n) => d.disableAccount(n), 'disabled');
  simple('enable', 'enable an account', (d, n) => d.enableAccount(n), 'enabled');
  simple('unlock', 'unlock a locked-out account (clears lockoutTime and badPwdCount)', (d, n) => d.unlockAccount(n), 'unlocked');

  addDataDirOption(user.command('show <name>').description('show an account as JSON (no secrets)')).action(
    async (name: string, o: DirOpts) => {
      await withDirectory(o.dataDir, async (d) => printJson(await accountJson(d, await d.getAccount(name))));
    },
  );

  addDataDirOption(
    user
      .command('list')
      .description('list accounts: name, kind, RID, status (tab-separated)')
      .option('--kind <kind>', 'only user, computer or krbtgt accounts')
      .option('--json', 'print JSON'),
  ).action(async (o: DirOpts & { kind?: string; json?: boolean }) => {
    if (o.kind !== undefined && !['user', 'computer', 'krbtgt'].includes(o.kind)) fail(`--kind must be user, computer or krbtgt`);
    await withDirectory(o.dataDir, async (d) => {
      await d.getDomain();
      const accounts = await d.listAccounts(o.kind as AccountKind | undefined);
      if (o.json) {
        printJson(accounts.map((a) => ({ samAccountName: a.samAccountName, kind: a.kind, rid: a.rid, status: statusWord(d, a) })));
      } else {
        for (const a of accounts) println(`${a.samAccountName}\t${a.kind}\t${a.rid}\t${statusWord(d, a)}`);
      }
    });
  });

  // Explicit certificate mappings (altSecurityIdentities, KB5014754's strong forms): a
  // certificate without the user's UPN (or with another one) logs on as this account.
  addDataDirOption(
    user
      .command('map-certificate <name>')
      .description('map a certificate to the account (altSecurityIdentities X509:<I>issuer<SR>serial, and X509:<SKI> with --ski)')
      .requiredOption('--cert <file>', 'the certificate (PEM or DER)')
      .option('--ski', 'map by its subject key identifier instead of issuer and serial number'),
  ).action(async (name: string, o: DirOpts & { cert: string; ski?: boolean }) => {
    let der: Buffer;
    try {
      der = new X509Certificate(readFileSync(o.cert)).raw;
    } catch (e) {
      return fail(`--cert: not a certificate: ${(e as Error).message}`);
    }
    const ids = strongCertificateIdentities(der);
    const id = o.ski ? ids.find((x) => x.startsWith('X509:<SKI>')) : ids.find((x) => x.startsWith('X509:<I>'));
    if (!id) fail('the certificate has no subject key identifier');
    await withDirectory(o.dataDir, async (d) => {
      const a = await d.getAccount(name);
      const taken = (await d.findAccountsByAltSecurityIdentity([id])).filter((x) => x.rid !== a.rid);
      if (taken.length > 0) fail(`the certificate is already mapped to ${taken[0].samAccountName}`);
      const list = a.altSecurityIdentities.some((x) => x.toLowerCase() === id.toLowerCase()) ? a.altSecurityIdentities : [...a.altSecurityIdentities, id];
      await d.setAccountFields(name, { altSecurityIdentities: list });
      println(`${a.samAccountName}: ${id}`);
    });
  });

  addDataDirOption(
    user.command('unmap-certificate <name> <mapping>').description('remove one altSecurityIdentities value from the account'),
  ).action(async (name: string, mapping: string, o: DirOpts) => {
    await withDirectory(o.dataDir, async (d) => {
      const a = await d.getAccount(name);
      const list = a.altSecurityIdentities.filter((x) => x.toLowerCase() !== mapping.toLowerCase());
      if (list.length === a.altSecurityIdentities.length) fail(`${a.samAccountName} has no mapping ${mapping}`);
      await d.setAccountFields(name, { altSecurityIdentities: list });
      println(`${a.samAccountName}: removed ${mapping}`);
    });
  });

  addDataDirOption(user.command('delete <name>').description('delete an account')).action(async (name: string, o: DirOpts) => {
    await withDirectory(o.dataDir, async (d) => {
      const a = await d.getAccount(name);
      await d.deleteAccount(name);
      println(`deleted ${a.samAccountName}`);
    });
  });
}
