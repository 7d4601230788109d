// `authso spn ...`: servicePrincipalName values of accounts (unique across the domain).

import type { Command } from 'commander';
import { addDataDirOption, println, withDirectory } from './util.js';

interface DirOpts {
  dataDir?: string;
}

export function registerSpn(program: Command): void {
  const spn = program.command('spn').description('manage service principal names');

  addDataDirOption(spn.command('add <account> <spn>').description('register an SPN on an account')).action(
    async (account: string, name: string, o: DirOpts) => {
      await withDirectory(o.dataDir, async (d) => {
        await d.addSpn(account, name);
        println(`added ${name} to ${(await d.getAccount(account)).samAccountName}`);
      });
    },
  );

  addDataDirOption(spn.command('remove <account> <spn>').description('remove an SPN from an account')).action(
    async (account: string, name: string, o: DirOpts) => {
      await withDirectory(o.dataDir, async (d) => {
        await d.removeSpn(account, name);
        println(`removed ${name} from ${(await d.getAccount(account)).samAccountName}`);
      });
    },
  );

  addDataDirOption(spn.command('list <account>').description("list an account's SPNs, one per line")).action(
    async (account: string, o: DirOpts) => {
      await withDirectory(o.dataDir, async (d) => {
        for (const s of await d.listSpns(account)) println(s);
      });
    },
  );
}
