// `authso group ...`: security groups and their members.

import type { Command } from 'commander';
import type { GroupScope } from '../directory/types.js';
import { addDataDirOption, fail, printJson, println, withDirectory } from './util.js';

interface DirOpts {
  dataDir?: string;
}

const SCOPES: Record<string, GroupScope> = { global: 'global', universal: 'universal', 'domain-local': 'domainLocal' };

export function registerGroup(program: Command): void {
  const group = program.command('group').description('manage groups');

  addDataDirOption(
    group
      .command('create <name>')
      .description('create a security group')
      .option('--scope <scope>', 'global, universal or domain-local', 'global')
      .option('--description <text>', 'description', ''),
  ).action(async (name: string, o: DirOpts & { scope: string; description: string }) => {
    const scope = SCOPES[o.scope];
    if (scope === undefined) fail(`--scope must be global, universal or domain-local (got '${o.scope}')`);
    await withDirectory(o.dataDir, async (d) => {
      const g = await d.createGroup(name, scope, o.description);
      println(`created group ${g.samAccountName} (${o.scope}, RID ${g.rid}, SID ${g.sid})`);
    });
  });

  addDataDirOption(group.command('add-member <group> <member>').description('add a user, computer or group to a group')).action(
    async (groupName: string, member: string, o: DirOpts) => {
      await withDirectory(o.dataDir, async (d) => {
        await d.addMember(groupName, member);
        println(`added ${member} to ${(await d.getGroup(groupName)).samAccountName}`);
      });
    },
  );

  addDataDirOption(group.command('remove-member <group> <member>').description('remove a member from a group')).action(
    async (groupName: string, member: string, o: DirOpts) => {
      await withDirectory(o.dataDir, async (d) => {
        await d.removeMember(groupName, member);
        println(`removed ${member} from ${(await d.getGroup(groupName)).samAccountName}`);
      });
    },
  );

  addDataDirOption(group.command('show <name>').description('show a group and its members as JSON')).action(
    async (name: string, o: DirOpts) => {
      await withDirectory(o.dataDir, async (d) => {
        const g = await d.getGroup(name);
        const [accounts, groups] = await Promise.all([d.listAccounts(), d.listGroups()]);
        const names = new Map<string, string>([
          ...accounts.map((a): [string, string] => [a.sid, a.samAccountName]),
          ...groups.map((x): [string, string] => [x.sid, x.samAccountName]),
        ]);
        printJson({ ...g, memberNames: g.members.map((s) => names.get(s) ?? s) });
      });
    },
  );

  addDataDirOption(group.command('list').description('list groups: name, scope, RID, SID (tab-separated)')).action(
    async (o: DirOpts) => {
      await withDirectory(o.dataDir, async (d) => {
        await d.getDomain();
        for (const g of await d.listGroups()) println(`${g.samAccountName}\t${g.scope}\t${g.rid}\t${g.sid}`);
      });
    },
  );

  addDataDirOption(group.command('delete <name>').description('delete a group')).action(async (name: string, o: DirOpts) => {
    await withDirectory(o.dataDir, async (d) => {
      await d.deleteGroup(name);
      println(`deleted group ${name}`);
    });
  });
}
