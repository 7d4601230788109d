// `authso dc`: runs the domain controller services in the foreground. Prints one JSON line
// {"event":"ready",...} once every listener is bound, one JSON line per KDC answer (who,
// what, result — never a secret), and stops cleanly on SIGTERM/SIGINT.

import type { Command } from 'commander';
import { startKdcServer } from '../dc/kdc-server.js';
import { startDcRpcServices } from '../dc/rpc-services.js';
import { Directory } from '../directory/directory.js';
import { Kdc } from '../kerberos/kdc/kdc.js';
import { dataDirOption, fail } from './util.js';

interface DcOptions {
  dataDir?: string;
  listen: string;
  kdcPort: string;
  rpcPort: string;
  epmPort: string;
  rpc: boolean;
  dcName: string;
  quiet?: boolean;
}

export function registerDc(program: Command): void {
  program
    .command('dc')
    .description('run the domain controller services (KDC) in the foreground')
    .option('--data-dir <dir>', 'data directory (or AUTHSO_DATA_DIR)')
    .option('--listen <addr>', 'address to listen on', '127.0.0.1')
    .option('--kdc-port <port>', 'KDC port (UDP and TCP)', '88')
    .option('--rpc-port <port>', 'Netlogon RPC port (0 = any free port, announced by the endpoint mapper)', '0')
    .option('--epm-port <port>', 'RPC endpoint mapper port', '135')
    .option('--no-rpc', 'do not run Netlogon and the endpoint mapper')
    .option('--dc-name <name>', 'NetBIOS name of this DC', 'DC1')
    .option('--quiet', 'do not print one line per KDC request and per Netlogon validation')
    .action(async (o: DcOptions) => {
      const dir = dataDirOption(o.dataDir);
      const port = portOption('--kdc-port', o.kdcPort);
      const rpcPort = portOption('--rpc-port', o.rpcPort);
      const epmPort = portOption('--epm-port', o.epmPort);
      const directory = await Directory.openSqlite(dir);
      await directory.getDomain().catch(() => fail(`no provisioned domain in ${dir} (run: authso provision)`));
      const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
      const kdc = new Kdc({
        directory,
        dcName: o.dcName.toUpperCase(),
        onEvent: o.quiet ? undefined : (e) => out({ time: new Date().toISOString(), ...e }),
        onInternalError: (e) => process.stderr.write(`authso dc: internal error: ${e instanceof Error ? e.message : String(e)}\n`),
      });
      const server = await startKdcServer(kdc, {
        host: o.listen,
        port,
        onError: (e) => process.stderr.write(`authso dc: ${e instanceof Error ? e.message : String(e)}\n`),
      }).catch((e: Error) => fail(`cannot listen on ${o.listen}:${port}: ${e.message}`));
      const onError = (e: unknown) => process.stderr.write(`authso dc: ${e instanceof Error ? e.message : String(e)}\n`);
      const rpc = o.rpc
        ? await startDcRpcServices({
            directory,
            host: o.listen,
            rpcPort,
            epmPort,
            dcName: o.dcName.toUpperCase(),
            onError,
            onEvent: o.quiet ? undefined : (e) => out({ time: new Date().toISOString(), ...e }),
          }).catch(async (e: Error) => {
            await server.close();
            return fail(`cannot start the RPC services on ${o.listen} (rpc ${rpcPort}, epm ${epmPort}): ${e.message}`);
          })
        : undefined;
      out({
        event: 'ready',
        kdc: { udp: `${server.udpAddress.host}:${server.udpAddress.port}`, tcp: `${server.tcpAddress.host}:${server.tcpAddress.port}` },
        ...(rpc ? { netlogon: `${rpc.rpc.host}:${rpc.rpc.port}`, epm: `${rpc.epm.host}:${rpc.epm.port}` } : {}),
      });
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await rpc?.close();
      await server.close();
      await directory.close();
      out({ event: 'stopped' });
    });
}

function portOption(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`bad ${name}: ${v}`);
  return n;
}
