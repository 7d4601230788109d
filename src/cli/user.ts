// `authso user ...`: user accounts (and, for show/list/enable/disable/unlock, any account).

import type { Command } from 'commander';
import { enctypeProfile } from '../crypto/index.js';
import type { Directory } from '../directory/directory.js';
import { isLockedOut } from '../directory/policy.js';
import { UF, type Account, type AccountKind } from '../directory/types.js';
import { addDataDirOption, addPasswordOptions, fail, printJson, println, readPassword, withDirectory, type PasswordOptions } from './util.js';

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

  addDataDirOption(user.command('delete <name>').description('delete an account')).action(async (name: string, o: DirOpts) => {
    await withDirectory(o.dataDir, async (d) => {
      const a = await d.getAccount(name);
      await d.deleteAccount(name);
      println(`deleted ${a.samAccountName}`);
    });
  });
}
