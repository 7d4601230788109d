// `authso join`: joins this machine (a member server) to the domain with a provisioning blob
// made by `authso computer create NAME --provision-out BLOB` (src/member/state.ts: the
// offline-join model). Writes the member state file and rotates the one-time password.

import type { Command } from 'commander';
import { joinDomain, readProvisionBlob, type DcAddress } from '../member/state.js';
import { fail, println } from './util.js';

interface JoinCliOptions {
  provision: string;
  state: string;
  dc?: string;
  dcName?: string;
  kdcPort?: string;
  epmPort?: string;
  rpcPort?: string;
  timeout: string;
}

function port(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${name}: not a port number: ${v}`);
  return n;
}

export function registerJoin(program: Command): void {
  program
    .command('join')
    .description('join this member server to the domain with a provisioning blob (writes the state file, rotates the machine password)')
    .requiredOption('--provision <file>', 'provisioning blob from `authso computer create NAME --provision-out FILE`')
    .requiredOption('--state <file>', 'member state file to write (0600: holds the machine password and keys)')
    .option('--dc <host>', "the DC's address (overrides the blob's)")
    .option('--dc-name <name>', "the DC's NetBIOS name (overrides the blob's)")
    .option('--kdc-port <port>', 'the KDC port (overrides the blob)')
    .option('--epm-port <port>', 'the endpoint mapper port (overrides the blob)')
    .option('--rpc-port <port>', 'the Netlogon port (default: asked of the endpoint mapper)')
    .option('--timeout <ms>', 'RPC timeout', '10000')
    .action(async (o: JoinCliOptions) => {
      const provision = await readProvisionBlob(o.provision).catch((e: Error) => fail(`cannot read the provisioning blob: ${e.message}`));
      const dc: Partial<DcAddress> = {
        host: o.dc,
        name: o.dcName?.toUpperCase(),
        kdcPort: port('--kdc-port', o.kdcPort),
        epmPort: port('--epm-port', o.epmPort),
        rpcPort: port('--rpc-port', o.rpcPort),
      };
      const timeoutMs = Number(o.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) fail(`--timeout: not a number of milliseconds: ${o.timeout}`);
      const r = await joinDomain({ provision, statePath: o.state, dc, timeoutMs }).catch((e: Error) => fail(`join failed: ${e.message}`));
      println(
        `joined ${r.state.accountName} (RID ${r.accountRid}) to ${r.state.dnsDomainName} via ${r.state.dc.host}; ` +
          `machine password rotated; state written to ${o.state}`,
      );
    });
}
