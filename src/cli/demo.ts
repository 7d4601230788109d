// `authso demo`: a throw-away domain on loopback high ports, with a few users and a web
// service, and the lines to paste to try it with MIT kinit/kvno.

import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDomain } from '../dc/domain.js';
import { exportKeytab } from './keytab.js';
import { fail } from './util.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run a throw-away demo domain on 127.0.0.1 and print how to use it')
    .option('--listen <addr>', 'address to listen on', '127.0.0.1')
    .option('--kdc-port <port>', 'KDC port (UDP and TCP)', '60088')
    .action(async (o: { listen: string; kdcPort: string }) => {
      const users = [
        { name: 'alice', password: 'Alice-Passw0rd!', groups: ['Engineering'] },
        { name: 'bob', password: 'Bob-Passw0rd!' },
      ];
      const domain = await startDomain({
        realm: 'EXAMPLE.TEST',
        host: o.listen,
        kdcPort: Number(o.kdcPort),
        groups: [{ name: 'Engineering' }],
        users,
        services: [{ computer: 'web', spns: ['HTTP/web.example.test'] }],
      }).catch((e: Error) => fail(`cannot start the demo domain: ${e.message}`));
      const conf = await domain.writeKrb5Conf();
      const keytab = join(domain.dataDir, 'http-web.keytab');
      await writeFile(keytab, await exportKeytab(domain.directory, 'HTTP/web.example.test'), { mode: 0o600 });
      const lines = [
        `authso demo domain EXAMPLE.TEST is running (KDC on ${domain.kdc.host}:${domain.kdc.port}, UDP and TCP).`,
        `Data (throw-away): ${domain.dataDir}`,
        '',
        'In another shell (MIT krb5-user):',
        `  export KRB5_CONFIG=${conf} KRB5CCNAME=FILE:${join(domain.dataDir, 'ccache')}`,
        `  echo '${users[0].password}' | kinit alice@EXAMPLE.TEST`,
        '  klist',
        '  kvno HTTP/web.example.test',
        `  klist -k -e ${keytab}      # the web service's keytab`,
        '',
        `Users: ${users.map((u) => `${u.name} / ${u.password}`).join(', ')} (demo passwords only).`,
        'Press Ctrl-C to stop.',
      ];
      process.stdout.write(lines.join('\n') + '\n');
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await domain.stop();
    });
}
