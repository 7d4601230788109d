// `authso computer ...`: computer (machine) accounts, as a domain join creates them.

import type { Command } from 'commander';
import { provisionBlobFor, writeProvisionBlob } from '../member/provision.js';
import type { DcAddress } from '../member/state.js';
import { addDataDirOption, addPasswordOptions, fail, println, readPassword, withDirectory, type PasswordOptions } from './util.js';

interface ProvisionOptions {
  provisionOut?: string;
  dc?: string;
  dcName?: string;
  kdcPort?: string;
  epmPort?: string;
  rpcPort?: string;
}

function port(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${name}: not a port number: ${v}`);
  return n;
}

/** The DC address for the blob (--dc and the port overrides), if --dc was given. */
function dcAddress(o: ProvisionOptions): DcAddress | undefined {
  if (o.dc === undefined) {
    if (o.kdcPort !== undefined || o.epmPort !== undefined || o.rpcPort !== undefined) fail('--kdc-port/--epm-port/--rpc-port need --dc');
    return undefined;
  }
  return {
    host: o.dc,
    name: o.dcName?.toUpperCase(),
    kdcPort: port('--kdc-port', o.kdcPort),
    epmPort: port('--epm-port', o.epmPort),
    rpcPort: port('--rpc-port', o.rpcPort),
  };
}

export function registerComputer(program: Command): void {
  const computer = program.command('computer').description('manage computer accounts');

  addPasswordOptions(
    addDataDirOption(
      computer
        .command('create <name>')
        .description('create the computer account NAME$ (random password unless one is given)')
        .option('--dns-host-name <host>', 'dNSHostName (default: name.<domain DNS name>)')
        .option('--provision-out <file>', 'write an offline-join provisioning blob (0600, holds a one-time machine password) for `authso join`')
        .option('--dc <host>', 'with --provision-out: the DC address the member uses (KDC, endpoint mapper, Netlogon)')
        .option('--dc-name <name>', 'with --dc: the NetBIOS name of the DC', 'DC1')
        .option('--kdc-port <port>', 'with --dc: the KDC port (default 88)')
        .option('--epm-port <port>', 'with --dc: the endpoint mapper port (default 135)')
        .option('--rpc-port <port>', 'with --dc: the Netlogon port (default: asked of the endpoint mapper)'),
    ),
  ).action(async (name: string, o: PasswordOptions & ProvisionOptions & { dataDir?: string; dnsHostName?: string }) => {
    const dc = dcAddress(o);
    const password = o.provisionOut === undefined ? await readPassword(o, false, `Password for ${name}$: `) : undefined;
    if (o.provisionOut !== undefined && (o.passwordFile !== undefined || o.passwordStdin)) {
      fail('--provision-out makes a random one-time password; do not give one');
    }
    await withDirectory(o.dataDir, async (d) => {
      const created = await d.createComputer(name, { password, dnsHostName: o.dnsHostName });
      const { account } = created;
      if (o.provisionOut !== undefined) {
        await writeProvisionBlob(o.provisionOut, await provisionBlobFor(d, account.samAccountName, created.password, dc));
        println(`created computer ${account.samAccountName} (RID ${account.rid}); provisioning blob written to ${o.provisionOut}`);
        println(`join the member with: authso join --provision ${o.provisionOut} --state STATE${dc ? '' : ' --dc HOST'}`);
        return;
      }
      println(
        `created computer ${account.samAccountName} (RID ${account.rid}, dNSHostName ${account.dnsHostName ?? ''}, ` +
          `SPNs ${account.servicePrincipalNames.join(' ')})`,
      );
      if (password === undefined) println(`its password is random; export its keys with: authso keytab export --principal ${account.samAccountName} --out FILE`);
    });
  });
}
