// NTLM validations per second end to end through a member server (MS-AUTHSO 7 with MS-APDS 3.1):
//   client: our NtlmInitiator over our RpcClient, a fresh connection and bind per logon at
//           RPC_C_AUTHN_LEVEL_CONNECT (bind → bind_ack → auth3, MS-RPCE 3.3.1.5.2), C at a time;
//   member: startRpcServer hosting whoami, its NTLM acceptor's NetlogonAuthority passing each
//           AUTHENTICATE through the member's secure channel (NetrLogonSamLogonEx, MS-NRPC
//           3.4.5.3.4) to
//   DC:     startDomain({ rpc: true }) — Netlogon over loopback TCP, the directory behind it.
// One logon = connect + bind + auth3 + WhoAmI answered as the user (the DC's decision reaches
// the server before the call is dispatched). Also reported: how many secure channels the member
// established during the run (one is the goal: no reconnect storm), and a burst of 200
// concurrent logons (errors and establishments).
// Everything is in this one process, on loopback: the figures include the client's and the DC's
// CPU, they are not a DC's capacity.
// Usage: npm run bench:netlogon -- [--seconds N] [--concurrency C] [--max N] [--json]
// Never a timed test: prints figures only. Bounded in count (--max, default 20000) and time.

import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ndr from '../src/encoding/ndr.js';
import { startDomain } from '../src/dc/domain.js';
import { provisionBlobFor } from '../src/member/provision.js';
import { memberAcceptors } from '../src/member/rpc-server.js';
import { joinDomain, loadMemberState } from '../src/member/state.js';
import { NtlmInitiator } from '../src/ntlm/index.js';
import { RpcClient } from '../src/rpc/client.js';
import { ntlmRpc } from '../src/rpc/ntlm.js';
import { AUTHN, AUTHN_LEVEL } from '../src/rpc/pdu.js';
import { startRpcServer } from '../src/rpc/server.js';
import { WHOAMI_INFO, WHOAMI_UUID, WHOAMI_VERSION, whoamiInterface } from '../src/rpc/whoami.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  return Number.isFinite(v) && v > 0 ? v : dflt;
}
const SECONDS = Math.min(arg('seconds', 5), 120);
const CONCURRENCY = Math.min(Math.floor(arg('concurrency', 8)), 500);
const MAX = Math.min(Math.floor(arg('max', 20000)), 200000);
const BURST = 200;
const JSON_OUT = process.argv.includes('--json');
const PASSWORD = 'Alice-Passw0rd!';
const USERS = 8;

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** One logon through the member: returns the latency in ms, or throws. */
async function logon(port: number, user: string): Promise<number> {
  const t0 = performance.now();
  const context = ntlmRpc(new NtlmInitiator({ user, domain: 'EXAMPLE', password: PASSWORD, workstation: 'BENCH' }));
  const c = await RpcClient.connect({ host: '127.0.0.1', port, auth: { type: AUTHN.WINNT, level: AUTHN_LEVEL.CONNECT, context } });
  try {
    const { contextId } = await c.bind({ uuid: WHOAMI_UUID, ...WHOAMI_VERSION });
    const info = ndr.ndrDecode(WHOAMI_INFO, await c.call(contextId, 0, Buffer.alloc(0)));
    if (info.userName !== user) throw new Error(`whoami answered ${info.userName}`);
  } finally {
    c.close();
  }
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'authso-bench-netlogon-'));
  const users = Array.from({ length: USERS }, (_, i) => `user${i}`);
  const domain = await startDomain({ rpc: true, users: users.map((name) => ({ name, password: PASSWORD })) });
  let member: Awaited<ReturnType<typeof loadMemberState>> | undefined;
  let server: Awaited<ReturnType<typeof startRpcServer>> | undefined;
  try {
    if (!domain.epm) throw new Error('the domain has no endpoint mapper');
    const { password } = await domain.directory.createComputer('member');
    const blob = await provisionBlobFor(domain.directory, 'member', password, { host: domain.epm.host, epmPort: domain.epm.port });
    const statePath = join(work, 'member.state');
    await joinDomain({ provision: blob, statePath });
    member = await loadMemberState(statePath);
    server = await startRpcServer({ host: '127.0.0.1', port: 0, interfaces: [whoamiInterface()], acceptors: memberAcceptors(member, ['ntlm']) });
    const port = server.port;
    const client = member.authority.client;

    // Warm-up: establishes the secure channel (counted apart) and JIT-compiles the paths.
    for (let i = 0; i < 20; i++) await logon(port, users[i % USERS]);
    const est0 = client.establishments;

    // Timed run: C workers, each a fresh connection + bind per logon.
    const lat: number[] = [];
    let errors = 0;
    let started = 0;
    const deadline = performance.now() + SECONDS * 1000;
    const r0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => {
        while (started < MAX && performance.now() < deadline) {
          const n = started++;
          try {
            lat.push(await logon(port, users[(n + w) % USERS]));
          } catch {
            errors++;
          }
        }
      }),
    );
    const elapsed = (performance.now() - r0) / 1000;
    const runEst = client.establishments - est0;
    lat.sort((a, b) => a - b);

    // Burst: 200 logons at once.
    const est1 = client.establishments;
    let burstErrors = 0;
    const firstError: string[] = [];
    const b0 = performance.now();
    const burstLat = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        logon(port, users[i % USERS]).catch((e: unknown) => {
          burstErrors++;
          if (firstError.length === 0) firstError.push(e instanceof Error ? e.message : String(e));
          return NaN;
        }),
      ),
    );
    const burstSec = (performance.now() - b0) / 1000;
    const burstOk = burstLat.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    const burstEst = client.establishments - est1;

    const result = {
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      logons: lat.length,
      errors,
      perSecond: Math.round(lat.length / elapsed),
      p50ms: +pct(lat, 50).toFixed(2),
      p99ms: +pct(lat, 99).toFixed(2),
      establishmentsDuringRun: runEst,
      establishmentsTotal: client.establishments,
      burst: {
        concurrent: BURST,
        ok: burstOk.length,
        errors: burstErrors,
        firstError: firstError[0],
        seconds: +burstSec.toFixed(2),
        p50ms: +pct(burstOk, 50).toFixed(2),
        p99ms: +pct(burstOk, 99).toFixed(2),
        establishments: burstEst,
      },
      loadavg: loadavg().map((x) => +x.toFixed(2)),
      node: process.version,
    };
    if (JSON_OUT) {
      console.log(JSON.stringify(result, null, 2));
    } else {
      console.log(`member NTLM (CONNECT, one bind per logon) → NetlogonAuthority → DC Netlogon → directory, ${CONCURRENCY} concurrent, ${SECONDS}s`);
      console.log(`  ${result.logons} logons, ${result.perSecond}/s, p50 ${result.p50ms} ms, p99 ${result.p99ms} ms, errors ${errors}`);
      console.log(`  secure-channel establishments during the run: ${runEst} (total since start: ${client.establishments})`);
      const b = result.burst;
      console.log(`burst of ${BURST} concurrent logons: ${b.ok} ok, ${b.errors} errors${b.firstError ? ` (first: ${b.firstError})` : ''}, ${b.seconds}s, p50 ${b.p50ms} ms, p99 ${b.p99ms} ms, establishments ${b.establishments}`);
      console.log(`load average: ${result.loadavg.join(' ')}; node ${process.version}`);
    }
  } finally {
    await server?.close();
    member?.close();
    await domain.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
