// `authso provision`: creates the domain (well-known accounts and groups) in a data directory.

import type { Command } from 'commander';
import { addDataDirOption, fail, println, readPasswordFile, readPasswordStdin, withDirectory } from './util.js';

interface ProvisionOpts {
  dataDir?: string;
  realm: string;
  netbios?: string;
  domainSid?: string;
  adminPasswordFile?: string;
  adminPasswordStdin?: boolean;
}

export function registerProvision(program: Command): void {
  addDataDirOption(
    program
      .command('provision')
      .description('create a new domain: krbtgt, Administrator, Guest and the well-known groups')
      .requiredOption('--realm <realm>', 'Kerberos realm / DNS domain, e.g. EXAMPLE.TEST')
      .option('--netbios <name>', 'NetBIOS domain name (default: first label of the realm)')
      .option('--domain-sid <sid>', 'domain SID S-1-5-21-x-y-z (default: random)')
      .option('--admin-password-file <file>', "Administrator's password, first line of FILE (default: random)")
      .option('--admin-password-stdin', "read Administrator's password from one line of stdin"),
  ).action(async (o: ProvisionOpts) => {
    if (o.adminPasswordFile !== undefined && o.adminPasswordStdin) fail('give either --admin-password-file or --admin-password-stdin');
    const adminPassword =
      o.adminPasswordFile !== undefined
        ? readPasswordFile(o.adminPasswordFile)
        : o.adminPasswordStdin
          ? await readPasswordStdin('Administrator password: ')
          : undefined;
    const netbiosName = o.netbios ?? o.realm.split('.')[0].slice(0, 15);
    await withDirectory(o.dataDir, async (d) => {
      const dom = await d.provision({ realm: o.realm, netbiosName, adminPassword, domainSid: o.domainSid });
      println(`provisioned domain ${dom.realm} (NetBIOS ${dom.netbiosName}, SID ${dom.sid})`);
      if (adminPassword === undefined) {
        println('Administrator has a random password; set one with: authso user set-password Administrator --password-stdin');
      }
    }, { create: true });
  });
}
