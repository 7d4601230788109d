// `authso krb5conf`: prints a client krb5.conf for this domain (MIT / Heimdal clients).

import type { Command } from 'commander';
import { renderKrb5Conf } from '../dc/krb5conf.js';
import { addDataDirOption, fail, withDirectory } from './util.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerKrb5Conf(program: Command): void {
  addDataDirOption(
    program
      .command('krb5conf')
      .description('print a client krb5.conf for this domain')
      .option('--kdc <host:port>', 'a KDC address (repeatable; default 127.0.0.1:88)', collect)
      .option('--tcp-only', 'make clients use TCP only (udp_preference_limit = 1)'),
  ).action(async (o: { dataDir?: string; kdc?: string[]; tcpOnly?: boolean }) => {
    const kdcs = o.kdc ?? ['127.0.0.1:88'];
    for (const k of kdcs) {
      const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(k);
      if (!m || Number(m[2]) > 65535) fail(`bad --kdc '${k}': expected HOST:PORT`);
    }
    await withDirectory(o.dataDir, async (d) => {
      const dom = await d.getDomain();
      process.stdout.write(renderKrb5Conf({ realm: dom.realm, dnsName: dom.dnsName, kdcs, tcpOnly: o.tcpOnly }));
    });
  });
}
