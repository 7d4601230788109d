// `authso dc`: runs the domain controller services in the foreground. Prints one JSON line
// {"event":"ready",...} once every listener is bound, one JSON line per KDC answer (who,
// what, result — never a secret), and stops cleanly on SIGTERM/SIGINT.

import type { Command } from 'commander';
import { startKdcServer } from '../dc/kdc-server.js';
import { Directory } from '../directory/directory.js';
import { Kdc } from '../kerberos/kdc/kdc.js';
import { dataDirOption, fail } from './util.js';

interface DcOptions {
  dataDir?: string;
  listen: string;
  kdcPort: string;
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
    .option('--dc-name <name>', 'NetBIOS name of this DC', 'DC1')
    .option('--quiet', 'do not print one line per KDC request')
    .action(async (o: DcOptions) => {
      const dir = dataDirOption(o.dataDir);
      const port = Number(o.kdcPort);
      if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad --kdc-port: ${o.kdcPort}`);
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
      out({
        event: 'ready',
        kdc: { udp: `${server.udpAddress.host}:${server.udpAddress.port}`, tcp: `${server.tcpAddress.host}:${server.tcpAddress.port}` },
      });
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await server.close();
      await directory.close();
      out({ event: 'stopped' });
    });
}
