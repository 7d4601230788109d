// Security-context acceptances per second, in one process (issue 4's benchmark):
//  - Kerberos: AP-REQs (fresh authenticator each, mutual auth, PAC server signature checked and
//    the KDC signature verified through the DomainAuthority) accepted by KerberosAcceptor.
//    The AP-REQs are made before timing (the initiator's cost is not the acceptor's).
//  - NTLM: full NEGOTIATE/CHALLENGE/AUTHENTICATE handshakes, initiator and acceptor in the
//    same process, the response validated by DirectoryAuthority against the directory
//    (NTLMv2 with MIC). The initiator's share is included and reported apart.
// Usage: npm run bench:contexts -- [--seconds N] [--json]
// Never a timed test: prints figures only. Bounded in count and time.

import { performance } from 'node:perf_hooks';
import { startDomain } from '../src/dc/domain.js';
import { exportKeytab } from '../src/cli/keytab.js';
import { getInitialCredentials } from '../src/kerberos/client/as-client.js';
import { getServiceTicket } from '../src/kerberos/client/tgs-client.js';
import { KerberosAcceptor, KerberosInitiator } from '../src/kerberos/gss/index.js';
import { NT } from '../src/kerberos/messages/types.js';
import { NtlmAcceptor, NtlmInitiator } from '../src/ntlm/index.js';
import { DirectoryAuthority } from '../src/security/directory-authority.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const SECONDS = arg('seconds', 5);
const MAX = arg('max', 20000);
const JSON_OUT = process.argv.includes('--json');

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

async function main(): Promise<void> {
  const d = await startDomain({
    users: [{ name: 'alice', password: 'Alice-Passw0rd!' }],
    services: [{ computer: 'web', spns: ['HTTP/web.example.test'] }],
  });
  try {
    const authority = new DirectoryAuthority(d.directory, { dcName: 'DC1' });
    const keytab = await exportKeytab(d.directory, 'HTTP/web.example.test');
    const tgt = await getInitialCredentials({ kdc: d.kdc, realm: d.realm, user: 'alice', password: 'Alice-Passw0rd!' });
    const st = await getServiceTicket(d.kdc, { tgt, sname: { nameType: NT.SRV_INST, nameString: ['HTTP', 'web.example.test'] } });

    // Kerberos: pre-build the AP-REQs.
    const n = Math.min(MAX, 20000);
    const tokens: Buffer[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n && performance.now() - t0 < SECONDS * 1000; i++) {
      const ini = new KerberosInitiator({ target: 'HTTP/web.example.test', serviceTicket: st, realm: d.realm, mutual: true });
      const s = await ini.step();
      tokens.push(s.output!);
    }
    const lat: number[] = [];
    const k0 = performance.now();
    for (const tok of tokens) {
      const a0 = performance.now();
      const acc = new KerberosAcceptor({ keytab, authority });
      const r = await acc.step(tok);
      if (!r.done || !acc.peer) throw new Error('Kerberos acceptance failed');
      lat.push(performance.now() - a0);
    }
    const kSec = (performance.now() - k0) / 1000;
    lat.sort((a, b) => a - b);
    const kerberos = { accepted: tokens.length, perSecond: tokens.length / kSec, p50ms: pct(lat, 50), p99ms: pct(lat, 99) };

    // NTLM: whole handshakes.
    const nl: number[] = [];
    let initiatorMs = 0;
    const n0 = performance.now();
    let count = 0;
    while (count < MAX && performance.now() - n0 < SECONDS * 1000) {
      const h0 = performance.now();
      const ini = new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: 'Alice-Passw0rd!', workstation: 'CLIENT' });
      const acc = new NtlmAcceptor({
        authority,
        netbiosComputerName: 'WEB',
        netbiosDomainName: 'EXAMPLE',
        dnsComputerName: 'web.example.test',
        dnsDomainName: 'example.test',
      });
      let i1 = performance.now();
      const neg = await ini.step();
      initiatorMs += performance.now() - i1;
      const chal = await acc.step(neg.output!);
      i1 = performance.now();
      const auth = await ini.step(chal.output!);
      initiatorMs += performance.now() - i1;
      const fin = await acc.step(auth.output!);
      if (!fin.done || !acc.peer) throw new Error('NTLM handshake failed');
      nl.push(performance.now() - h0);
      count++;
    }
    const nSec = (performance.now() - n0) / 1000;
    nl.sort((a, b) => a - b);
    const ntlm = { handshakes: count, perSecond: count / nSec, p50ms: pct(nl, 50), p99ms: pct(nl, 99), initiatorShare: initiatorMs / (nSec * 1000) };

    if (JSON_OUT) {
      process.stdout.write(JSON.stringify({ kerberos, ntlm }) + '\n');
    } else {
      const f = (x: number) => x.toFixed(2);
      process.stdout.write(
        [
          'security contexts, one process (node ' + process.version + ')',
          `Kerberos AP-REQ acceptances: ${Math.round(kerberos.perSecond)}/s  (n=${kerberos.accepted}, p50 ${f(kerberos.p50ms)} ms, p99 ${f(kerberos.p99ms)} ms; PAC + KDC signature verified)`,
          `NTLM full handshakes:        ${Math.round(ntlm.perSecond)}/s  (n=${ntlm.handshakes}, p50 ${f(ntlm.p50ms)} ms, p99 ${f(ntlm.p99ms)} ms; initiator share ${(ntlm.initiatorShare * 100).toFixed(0)}%)`,
        ].join('\n') + '\n',
      );
    }
  } finally {
    await d.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/contexts: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
