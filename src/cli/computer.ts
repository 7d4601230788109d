// `authso computer ...`: computer (machine) accounts, as a domain join creates them.

import type { Command } from 'commander';
import { addDataDirOption, addPasswordOptions, println, readPassword, withDirectory, type PasswordOptions } from './util.js';

export function registerComputer(program: Command): void {
  const computer = program.command('computer').description('manage computer accounts');

  addPasswordOptions(
    addDataDirOption(
      computer
        .command('create <name>')
        .description('create the computer account NAME$ (random password unless one is given)')
        .option('--dns-host-name <host>', 'dNSHostName (default: name.<domain DNS name>)'),
    ),
  ).action(async (name: string, o: PasswordOptions & { dataDir?: string; dnsHostName?: string }) => {
    const password = await readPassword(o, false, `Password for ${name}$: `);
    await withDirectory(o.dataDir, async (d) => {
      const { account } = await d.createComputer(name, { password, dnsHostName: o.dnsHostName });
      println(
        `created computer ${account.samAccountName} (RID ${account.rid}, dNSHostName ${account.dnsHostName ?? ''}, ` +
          `SPNs ${account.servicePrincipalNames.join(' ')})`,
      );
      if (password === undefined) println(`its password is random; export its keys with: authso keytab export --principal ${account.samAccountName} --out FILE`);
    });
  });
}
