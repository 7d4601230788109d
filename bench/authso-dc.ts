// The authso domain controller under test, in its own process (forked by bench/kdc.ts with an
// IPC channel): startDomain() with the service account, then the bench users through the
// Directory API (Directory.createUsers: keys derived on worker threads, 1,000 accounts per
// transaction), timed. Reports { type: 'ready', ... } and stops on 'stop', on SIGTERM or when
// the parent goes away.

import { startDomain, type RunningDomain } from '../src/dc/domain.js';
import { KeyDerivationPool } from '../src/directory/key-pool.js';
import { machineBusySeconds } from './load.js';
import { tuneYoungGeneration } from '../src/cli/gc.js';

// The same V8 young-generation size `authso dc` runs with (src/cli/gc.ts).
tuneYoungGeneration();

export interface DcConfig {
  realm: string;
  /** Where the directory lives (created and removed by the parent). */
  dataDir: string;
  host: string;
  /** Users user0 .. user{accounts-1}, all with `password`. */
  accounts: number;
  password: string;
  /** Computer account name and its extra SPN, e.g. 'web' and 'HTTP/web.example.test'. */
  computer: string;
  spn: string;
}

export type DcMessage =
  | { type: 'progress'; created: number; elapsedMs: number }
  | {
      type: 'ready';
      port: number;
      pid: number;
      startMs: number;
      /** Wall time of the createUsers calls (worker start-up included). */
      provisionMs: number;
      /** CPU time of this process during it, and CPU used by the rest of the machine meanwhile. */
      provisionCpuMs: number;
      provisionOtherCpuMs?: number;
      accounts: number;
    }
  | { type: 'error'; message: string };

function send(m: DcMessage): void {
  process.send?.(m);
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '') as DcConfig;
  const state: { domain?: RunningDomain; stopping: boolean } = { stopping: false };
  const stop = async (): Promise<void> => {
    if (state.stopping) return;
    state.stopping = true;
    try {
      await state.domain?.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('disconnect', () => void stop());
  process.on('message', (m: unknown) => {
    if (m === 'stop') void stop();
  });

  const t0 = performance.now();
  // startDomain's `services` is createComputer(name) + addSpn(NAME$, spn) for each SPN.
  const domain = await startDomain({ realm: cfg.realm, host: cfg.host, dataDir: cfg.dataDir, services: [{ computer: cfg.computer, spns: [cfg.spn] }] });
  state.domain = domain;
  const startMs = performance.now() - t0;
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  const busy0 = machineBusySeconds();
  const step = Math.max(1000, Math.floor(cfg.accounts / 20));
  // One pool (a worker per core) for every chunk; a chunk per progress message, so that a
  // 'stop' is seen between chunks.
  const pool = new KeyDerivationPool();
  try {
    for (let i = 0; i < cfg.accounts; i += step) {
      if (state.stopping) return;
      const users = [];
      for (let j = i; j < Math.min(cfg.accounts, i + step); j++) users.push({ name: `user${j}`, password: cfg.password });
      await domain.directory.createUsers(users, { pool });
      if (users.length === step) send({ type: 'progress', created: i + users.length, elapsedMs: performance.now() - t1 });
    }
  } catch (e) {
    if (state.stopping) return; // the directory was closed under the import by stop()
    throw e;
  } finally {
    await pool.close();
  }
  const provisionMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  const provisionCpuMs = (cpu.user + cpu.system) / 1000;
  const busy1 = machineBusySeconds();
  send({
    type: 'ready',
    port: domain.kdc.port,
    pid: process.pid,
    startMs,
    provisionMs,
    provisionCpuMs,
    provisionOtherCpuMs: busy0 !== undefined && busy1 !== undefined ? Math.max(0, (busy1 - busy0) * 1000 - provisionCpuMs) : undefined,
    accounts: cfg.accounts,
  });
}

main().catch((e: unknown) => {
  const m: DcMessage = { type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  if (process.send) process.send(m, () => process.exit(1));
  else {
    process.stderr.write(`${m.message}\n`);
    process.exit(1);
  }
});
