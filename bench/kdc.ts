// KDC benchmark: AS-REQ/s and TGS-REQ/s at peak (closed loop, N in flight), p50/p99 latency,
// and p99 at half the peak rate (open loop), against authso's DC and MIT krb5kdc started here,
// or against any loopback KDC by address. Not a test: run it with `npm run bench -- --help`.
// See docs/benchmarks.md for what is measured and the recorded figures.

import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DcConfig, DcMessage } from './authso-dc.js';
import { errorCount, processMemoryMiB, runAtRate, runPeak, type LoadTarget, type RunStats, type Workload } from './load.js';
import { mitAvailable, mitVersion, startMitKdc } from './mit.js';
import { isLoopback, removeDir, stopProcess, track, trackDir } from './procs.js';
import { TRANSPORTS, type Endpoint, type TransportKind } from './transport.js';
import { asWorkload, deriveUsers, getTgt, servicePrincipal, tgsWorkload, type BenchUser } from './workloads.js';

const USAGE = `Usage: npm run bench -- [options]

Measures AS-REQ/s and TGS-REQ/s (peak, p50/p99) and p99 at half the peak rate.

Targets (default: authso, and mit and mit-nowrite when /usr/sbin/krb5kdc exists):
  --targets LIST         comma-separated: authso, mit (MIT krb5kdc as configured by default: it
                         writes last-success to its database on every AS exchange), mit-nowrite
                         (disable_last_success + disable_lockout: no database write, as authso)
  --kdc HOST:PORT        measure an already running loopback KDC instead; its users must be
                         user0..user{N-1} with --password, and --service must exist
  --kdc-pid PID          with --kdc: the KDC's process id, for its CPU and memory figures
  --accounts N           also provision N accounts in a fresh authso DC (e.g. 100000), time
                         it, and measure AS-REQ/s and the DC's RSS again (default 0: skip)

Load:
  --transport T          tcp (one connection per request, default), tcp-persistent, udp
  --concurrency N        requests in flight at peak (default 4; see docs/benchmarks.md)
  --seconds S            length of each measured run (default 10)
  --warmup S             unmeasured load before each peak run (default 2)
  --max-requests N       cap on requests per run (default 200000)
  --sample N             decrypt and check every Nth reply (default 10; 0 = never)
  --timeout-ms MS        per-request timeout (default 5000)
  --skip-half            skip the runs at half the peak rate

Realm:
  --realm R              (default EXAMPLE.TEST)
  --users N              bench users user0..user{N-1}, requests rotate over them (default 1000)
  --password P           their password (default Bench-Passw0rd!)
  --service SPN          TGS target (default HTTP/web.example.test)

Output:
  --json                 print one JSON document on stdout (progress goes to stderr; use
                         \`npm run -s bench -- --json\` so that npm's banner stays out of it)
  --json-out FILE        also write the JSON document to FILE (the table still goes to stdout)
  --profile DIR          write a V8 CPU profile of each authso DC process into DIR
  --help`;

const TARGETS = ['authso', 'mit', 'mit-nowrite'] as const;
const TARGET_LABEL: Record<string, string> = { authso: 'authso', mit: 'MIT', 'mit-nowrite': 'MIT no-write' };

interface Options {
  targets: string[];
  kdc?: Endpoint;
  kdcPid?: number;
  accounts: number;
  transport: TransportKind;
  concurrency: number;
  seconds: number;
  warmup: number;
  maxRequests: number;
  sample: number;
  timeoutMs: number;
  half: boolean;
  realm: string;
  users: number;
  password: string;
  service: string;
  json: boolean;
  jsonOut?: string;
  profile?: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      targets: { type: 'string' },
      kdc: { type: 'string' },
      'kdc-pid': { type: 'string' },
      accounts: { type: 'string', default: '0' },
      transport: { type: 'string', default: 'tcp' },
      concurrency: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      'max-requests': { type: 'string', default: '200000' },
      sample: { type: 'string', default: '10' },
      'timeout-ms': { type: 'string', default: '5000' },
      'skip-half': { type: 'boolean', default: false },
      realm: { type: 'string', default: 'EXAMPLE.TEST' },
      users: { type: 'string', default: '1000' },
      password: { type: 'string', default: 'Bench-Passw0rd!' },
      service: { type: 'string', default: 'HTTP/web.example.test' },
      json: { type: 'boolean', default: false },
      'json-out': { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  const num = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}`);
    return n;
  };
  const transport = values.transport as TransportKind;
  if (!TRANSPORTS.includes(transport)) throw new Error(`--transport must be one of ${TRANSPORTS.join(', ')}`);
  let kdc: Endpoint | undefined;
  if (values.kdc) {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(values.kdc);
    if (!m) throw new Error('--kdc must be HOST:PORT');
    kdc = { host: m[1], port: int('kdc', m[2], 1, 65535) };
    if (!isLoopback(kdc.host)) throw new Error('--kdc must be a loopback address: this is a load generator');
  }
  const targets = values.targets ? values.targets.split(',').map((s) => s.trim()) : kdc ? [] : mitAvailable() ? [...TARGETS] : ['authso'];
  for (const t of targets) if (!(TARGETS as readonly string[]).includes(t)) throw new Error(`unknown target ${t} (known: ${TARGETS.join(', ')})`);
  if (targets.some((t) => t.startsWith('mit')) && !mitAvailable()) throw new Error('target mit needs /usr/sbin/krb5kdc, kdb5_util and kadmin.local (Debian: krb5-kdc, krb5-admin-server)');
  return {
    targets,
    kdc,
    kdcPid: values['kdc-pid'] ? int('kdc-pid', values['kdc-pid'], 1, 2 ** 31) : undefined,
    accounts: int('accounts', values.accounts, 0, 10_000_000),
    transport,
    concurrency: int('concurrency', values.concurrency, 1, 4096),
    seconds: num('seconds', values.seconds, 0.1, 3600),
    warmup: num('warmup', values.warmup, 0, 600),
    maxRequests: int('max-requests', values['max-requests'], 1, 50_000_000),
    sample: int('sample', values.sample, 0, 1_000_000),
    timeoutMs: int('timeout-ms', values['timeout-ms'], 10, 600_000),
    half: !values['skip-half'],
    realm: values.realm.toUpperCase(),
    users: int('users', values.users, 1, 10_000_000),
    password: values.password,
    service: values.service,
    json: values.json,
    jsonOut: values['json-out'],
    profile: values.profile,
  };
}

// ---------------------------------------------------------------------------------------------

interface Machine {
  cores: number;
  cpuModel: string;
  kernel: string;
  node: string;
  mit?: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
  note: string;
}

async function machineInfo(withMit: boolean): Promise<Machine> {
  let cpuModel = 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux
  }
  const cores = availableParallelism();
  return {
    cores,
    cpuModel,
    kernel: release(),
    node: process.version,
    mit: withMit ? await mitVersion() : undefined,
    loadAverageAtStart: loadavg(),
    note: `load generator (this process) and KDC under test share these ${cores} cores`,
  };
}

function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

// ---------------------------------------------------------------------------------------------

interface AuthsoDc {
  endpoint: Endpoint;
  pid: number;
  startMs: number;
  provisionMs: number;
  provisionCpuMs: number;
  provisionOtherCpuMs?: number;
  stop(): Promise<void>;
}

async function startAuthso(opts: Options, accounts: number): Promise<AuthsoDc> {
  const dataDir = trackDir(await mkdtemp(join(tmpdir(), 'authso-bench-dc-')));
  const cfg: DcConfig = { realm: opts.realm, host: '127.0.0.1', dataDir, accounts, password: opts.password, computer: 'web', spn: opts.service };
  const script = fileURLToPath(new URL('./authso-dc.ts', import.meta.url));
  // The child's stdout goes to our stderr so that --json output stays clean.
  const child = track(fork(script, [JSON.stringify(cfg)], { execArgv: ['--import', 'tsx', ...(opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${opts.profile}`] : [])], stdio: ['ignore', 2, 2, 'ipc'] }));
  const ready = await new Promise<Extract<DcMessage, { type: 'ready' }>>((resolve, reject) => {
    child.once('exit', () => removeDir(dataDir));
    child.on('message', (m: DcMessage) => {
      if (m.type === 'progress') progress(`authso: ${m.created} accounts created in ${(m.elapsedMs / 1000).toFixed(1)} s`);
      else if (m.type === 'ready') resolve(m);
      else if (m.type === 'error') reject(new Error(`authso DC failed: ${m.message}`));
    });
    child.once('exit', (code, signal) => reject(new Error(`authso DC exited (${code ?? signal}) before it was ready`)));
    child.once('error', reject);
  });
  return {
    endpoint: { host: '127.0.0.1', port: ready.port },
    pid: ready.pid,
    startMs: ready.startMs,
    provisionMs: ready.provisionMs,
    provisionCpuMs: ready.provisionCpuMs,
    provisionOtherCpuMs: ready.provisionOtherCpuMs,
    async stop() {
      if (child.connected) child.send('stop');
      await stopProcess(child, 10_000);
      removeDir(dataDir);
    },
  };
}

// ---------------------------------------------------------------------------------------------

interface TargetResult {
  name: string;
  endpoint: Endpoint;
  provisionMs?: number;
  provisionedAccounts?: number;
  as: RunStats;
  tgs?: RunStats;
  asHalf?: RunStats;
  tgsHalf?: RunStats;
  memoryMiB?: { rss: number; hwm: number };
}

async function peakWithWarmup(opts: Options, name: string, w: Workload, target: LoadTarget): Promise<RunStats> {
  if (opts.warmup > 0) {
    progress(`${name}: ${w.name} warm-up ${opts.warmup} s`);
    await runPeak(w, target, { concurrency: opts.concurrency, seconds: opts.warmup, maxRequests: opts.maxRequests, sampleEvery: opts.sample });
  }
  progress(`${name}: ${w.name} peak, ${opts.concurrency} in flight, ${opts.seconds} s`);
  const r = await runPeak(w, target, { concurrency: opts.concurrency, seconds: opts.seconds, maxRequests: opts.maxRequests, sampleEvery: opts.sample });
  progress(`${name}: ${w.name} ${r.okPerSec.toFixed(0)}/s, p99 ${r.latencyMs.p99.toFixed(2)} ms, errors ${errorCount(r)}, other CPU ${pct(r.otherCpuPct)}`);
  return r;
}

async function atHalf(opts: Options, name: string, w: Workload, target: LoadTarget, peak: RunStats): Promise<RunStats | undefined> {
  if (!opts.half || !(peak.okPerSec > 0)) return undefined;
  const rate = peak.okPerSec / 2;
  progress(`${name}: ${w.name} at ${rate.toFixed(0)}/s (half peak), ${opts.seconds} s`);
  const r = await runAtRate(w, target, {
    rate,
    seconds: opts.seconds,
    maxRequests: opts.maxRequests,
    maxInflight: Math.max(256, opts.concurrency * 4),
    sampleEvery: opts.sample,
  });
  progress(`${name}: ${w.name} at half peak p99 ${r.latencyMs.p99.toFixed(2)} ms, errors ${errorCount(r)}, other CPU ${pct(r.otherCpuPct)}`);
  return r;
}

async function measure(opts: Options, name: string, endpoint: Endpoint, pid: number | undefined, users: BenchUser[]): Promise<TargetResult> {
  const target: LoadTarget = { endpoint, transport: opts.transport, timeoutMs: opts.timeoutMs, serverPid: pid };
  const tgt = await getTgt(endpoint, opts.realm, users[0], opts.timeoutMs);
  const asW = asWorkload(opts.realm, users);
  const tgsW = tgsWorkload(opts.realm, tgt, servicePrincipal(opts.service));
  const as = await peakWithWarmup(opts, name, asW, target);
  const tgs = await peakWithWarmup(opts, name, tgsW, target);
  const asHalf = await atHalf(opts, name, asW, target, as);
  const tgsHalf = await atHalf(opts, name, tgsW, target, tgs);
  return { name, endpoint, as, tgs, asHalf, tgsHalf, memoryMiB: pid ? processMemoryMiB(pid) : undefined };
}

interface LargeResult {
  accounts: number;
  provisionMs: number;
  perAccountMs: number;
  /** CPU time of the DC process while provisioning, and of everything else on the machine meanwhile. */
  provisionCpuMs: number;
  provisionOtherCpuMs?: number;
  clientUsers: number;
  as: RunStats;
  memoryMiB?: { rss: number; hwm: number };
  /** AS-REQ/s with N accounts / AS-REQ/s with --users accounts. */
  asRatioToSmall?: number;
  /** The same for AS-REQs per KDC CPU-second (less sensitive to other load on the machine). */
  asPerCpuRatioToSmall?: number;
}

async function measureLarge(opts: Options, small: TargetResult | undefined): Promise<LargeResult> {
  // The client derives one key per user it logs on; 1000 users spread over the whole range
  // make every AS-REQ look up a different part of the directory without 100k key derivations.
  const clientUsers = Math.min(opts.users, opts.accounts);
  const stride = Math.floor(opts.accounts / clientUsers);
  const names = Array.from({ length: clientUsers }, (_, i) => `user${i * stride}`);
  progress(`deriving ${names.length} client keys for the ${opts.accounts}-account run`);
  const users = deriveUsers(opts.realm, names, opts.password);
  progress(`authso: provisioning ${opts.accounts} accounts through the Directory API`);
  const dc = await startAuthso(opts, opts.accounts);
  try {
    const cpuS = (dc.provisionCpuMs / 1000).toFixed(1);
    const otherS = ((dc.provisionOtherCpuMs ?? NaN) / 1000).toFixed(1);
    progress(`authso: ${opts.accounts} accounts in ${(dc.provisionMs / 1000).toFixed(1)} s (DC CPU ${cpuS} s, other processes ${otherS} s)`);
    const target: LoadTarget = { endpoint: dc.endpoint, transport: opts.transport, timeoutMs: opts.timeoutMs, serverPid: dc.pid };
    const as = await peakWithWarmup(opts, `authso ${opts.accounts}`, asWorkload(opts.realm, users), target);
    return {
      accounts: opts.accounts,
      provisionMs: dc.provisionMs,
      perAccountMs: dc.provisionMs / opts.accounts,
      provisionCpuMs: dc.provisionCpuMs,
      provisionOtherCpuMs: dc.provisionOtherCpuMs,
      clientUsers,
      as,
      memoryMiB: processMemoryMiB(dc.pid),
      asRatioToSmall: small ? as.okPerSec / small.as.okPerSec : undefined,
      asPerCpuRatioToSmall: small?.as.okPerKdcCpuSec && as.okPerKdcCpuSec ? as.okPerKdcCpuSec / small.as.okPerKdcCpuSec : undefined,
    };
  } finally {
    await dc.stop();
  }
}

// ---------------------------------------------------------------------------------------------

interface Report {
  machine: Machine;
  options: Omit<Options, 'json' | 'password'>;
  /** One aes256-cts-hmac-sha1-96 string-to-key (PBKDF2-HMAC-SHA1, 4096 iterations) in the client, ms. */
  aes256StringToKeyMs: number;
  targets: TargetResult[];
  /** authso / MIT for each MIT variant, by its name. */
  ratios?: Record<string, Record<string, number>>;
  large?: LargeResult;
  targetsMet: Record<string, boolean | undefined>;
}

function ratios(a: TargetResult, m: TargetResult): Record<string, number> {
  const r: Record<string, number> = {
    asPerSec: a.as.okPerSec / m.as.okPerSec,
    asPerCpu: (a.as.okPerKdcCpuSec ?? NaN) / (m.as.okPerKdcCpuSec ?? NaN),
    asP50: a.as.latencyMs.p50 / m.as.latencyMs.p50,
    asP99: a.as.latencyMs.p99 / m.as.latencyMs.p99,
  };
  if (a.tgs && m.tgs) {
    r.tgsPerSec = a.tgs.okPerSec / m.tgs.okPerSec;
    r.tgsPerCpu = (a.tgs.okPerKdcCpuSec ?? NaN) / (m.tgs.okPerKdcCpuSec ?? NaN);
    r.tgsP50 = a.tgs.latencyMs.p50 / m.tgs.latencyMs.p50;
    r.tgsP99 = a.tgs.latencyMs.p99 / m.tgs.latencyMs.p99;
  }
  if (a.asHalf && m.asHalf) {
    r.asHalfP50 = a.asHalf.latencyMs.p50 / m.asHalf.latencyMs.p50;
    r.asHalfP99 = a.asHalf.latencyMs.p99 / m.asHalf.latencyMs.p99;
  }
  if (a.tgsHalf && m.tgsHalf) {
    r.tgsHalfP50 = a.tgsHalf.latencyMs.p50 / m.tgsHalf.latencyMs.p50;
    r.tgsHalfP99 = a.tgsHalf.latencyMs.p99 / m.tgsHalf.latencyMs.p99;
  }
  return r;
}

const f0 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US'));
const f2 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(2));
const pct = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : `${Math.round(n)}%`);

function errorsCell(s: RunStats | undefined): string {
  if (!s) return '-';
  const n = errorCount(s);
  return n === 0 ? `0 of ${f0(s.sent)}` : `${f0(n)} of ${f0(s.sent)}`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ')).join('\n');
}

function render(rep: Report, opts: Options): string {
  const m = rep.machine;
  const out: string[] = [];
  out.push('KDC benchmark');
  out.push(`machine: ${m.cores} cores (${m.cpuModel}), Linux ${m.kernel}, node ${m.node}${m.mit ? `, ${m.mit}` : ''}`);
  out.push(`note: ${m.note}; load average at start ${m.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')}`);
  const tr =
    opts.transport === 'tcp' ? 'TCP, one connection per request' : opts.transport === 'tcp-persistent' ? 'TCP, one persistent connection per in-flight slot' : 'UDP (TCP retry on RESPONSE_TOO_BIG)';
  out.push(
    `load: ${tr}; ${opts.concurrency} in flight at peak; ${opts.seconds} s per run after ${opts.warmup} s warm-up; ` +
      `AS-REQ with aes256 PA-ENC-TIMESTAMP over ${opts.users} users; TGS-REQ for ${opts.service} with one TGT; 1 reply in ${opts.sample} decrypted and checked`,
  );
  out.push('');
  const names = rep.targets.map((t) => t.name);
  const ratioNames = Object.keys(rep.ratios ?? {});
  const header = ['', ...names, ...ratioNames.map((n) => `authso/${n}`)];
  const rows: string[][] = [header];
  const add = (label: string, cell: (t: TargetResult) => string, ratio?: string): void => {
    rows.push([label, ...rep.targets.map(cell), ...ratioNames.map((n) => (ratio === undefined ? '' : f2(rep.ratios?.[n]?.[ratio])))]);
  };
  const runRows = (s: (t: TargetResult) => RunStats | undefined, key: string): void => {
    add('  latency p50 ms', (t) => f2(s(t)?.latencyMs.p50), `${key}P50`);
    add('  latency p99 ms', (t) => f2(s(t)?.latencyMs.p99), `${key}P99`);
    add('  CPU: KDC / client / other', (t) => `${pct(s(t)?.serverCpuPct)} / ${pct(s(t)?.clientCpuPct)} / ${pct(s(t)?.otherCpuPct)}`);
    add('  SYN drops (accept queue full)', (t) => f0(s(t)?.listenOverflows));
    add('  errors', (t) => errorsCell(s(t)));
  };
  add('AS-REQ/s (peak)', (t) => f0(t.as.okPerSec), 'asPerSec');
  add('  per KDC CPU-second', (t) => f0(t.as.okPerKdcCpuSec), 'asPerCpu');
  runRows((t) => t.as, 'as');
  add('TGS-REQ/s (peak)', (t) => f0(t.tgs?.okPerSec), 'tgsPerSec');
  add('  per KDC CPU-second', (t) => f0(t.tgs?.okPerKdcCpuSec), 'tgsPerCpu');
  runRows((t) => t.tgs, 'tgs');
  if (opts.half) {
    add('AS at half peak: rate/s', (t) => f0(t.asHalf?.okPerSec));
    runRows((t) => t.asHalf, 'asHalf');
    add('TGS at half peak: rate/s', (t) => f0(t.tgsHalf?.okPerSec));
    runRows((t) => t.tgsHalf, 'tgsHalf');
  }
  add(`provisioning (${opts.users} users)`, (t) => (t.provisionMs === undefined ? '-' : `${(t.provisionMs / 1000).toFixed(1)} s`));
  add('KDC RSS after the runs', (t) => (t.memoryMiB ? `${t.memoryMiB.rss.toFixed(0)} MiB` : '-'));
  out.push(table(rows));
  const errs = rep.targets.flatMap((t) => [t.as, t.tgs, t.asHalf, t.tgsHalf].filter((s): s is RunStats => !!s && !!s.firstError).map((s) => `${t.name} ${s.workload}${s.mode === 'rate' ? ' (half peak)' : ''}: ${s.firstError}`));
  if (errs.length) out.push('', 'first error of each run with errors:', ...errs.map((e) => `  ${e}`));
  out.push(`one aes256 string-to-key (PBKDF2-HMAC-SHA1 x 4096) in the load generator: ${rep.aes256StringToKeyMs.toFixed(2)} ms`);
  if (rep.large) {
    const l = rep.large;
    out.push('');
    out.push(`authso with ${l.accounts.toLocaleString('en-US')} accounts (AS-REQ rotating over ${l.clientUsers} users spread over all of them):`);
    out.push(
      table([
        ['provisioning time', `${(l.provisionMs / 1000).toFixed(1)} s (${l.perAccountMs.toFixed(2)} ms per account, Directory.createUsers: keys derived on worker threads, 1,000 accounts per transaction)`],
        [
          '  CPU: DC / other',
          `${(l.provisionCpuMs / 1000).toFixed(1)} s / ${l.provisionOtherCpuMs === undefined ? '-' : `${(l.provisionOtherCpuMs / 1000).toFixed(1)} s`}`,
        ],
        ['AS-REQ/s (peak)', `${f0(l.as.okPerSec)} (${l.asRatioToSmall === undefined ? '-' : `${(l.asRatioToSmall * 100).toFixed(0)}% of the ${opts.users}-account figure`})`],
        [
          '  per KDC CPU-second',
          `${f0(l.as.okPerKdcCpuSec)}${l.asPerCpuRatioToSmall === undefined ? '' : ` (${(l.asPerCpuRatioToSmall * 100).toFixed(0)}% of the ${opts.users}-account figure)`}`,
        ],
        ['  latency p50 / p99 ms', `${f2(l.as.latencyMs.p50)} / ${f2(l.as.latencyMs.p99)}`],
        ['  CPU: KDC / client / other', `${pct(l.as.serverCpuPct)} / ${pct(l.as.clientCpuPct)} / ${pct(l.as.otherCpuPct)}`],
        ['  errors', errorsCell(l.as)],
        ['DC RSS after the run', l.memoryMiB ? `${l.memoryMiB.rss.toFixed(0)} MiB (peak ${l.memoryMiB.hwm.toFixed(0)} MiB)` : '-'],
      ]),
    );
  }
  out.push('');
  out.push('targets:');
  const tm = rep.targetsMet;
  const mark = (v: boolean | undefined): string => (v === undefined ? 'not measured' : v ? 'met' : 'NOT met');
  const authso = rep.targets.find((t) => t.name === 'authso');
  out.push(`  authso p99 < 10 ms at half peak: ${mark(tm.halfPeakP99)}${authso?.asHalf ? ` (AS ${f2(authso.asHalf.latencyMs.p99)} ms, TGS ${f2(authso.tgsHalf?.latencyMs.p99)} ms)` : ''}`);
  if (rep.large) {
    out.push(`  ${rep.large.accounts} accounts provisioned in < 60 s: ${mark(tm.provisionUnderMinute)}`);
    out.push(`  AS-REQ/s with ${rep.large.accounts} accounts within 20% of ${opts.users}: ${mark(tm.largeWithin20Pct)}`);
    out.push(`  DC RSS < 300 MB with ${rep.large.accounts} accounts: ${mark(tm.rssUnder300MB)}`);
  }
  const runs = [...rep.targets.flatMap((t) => [t.as, t.tgs, t.asHalf, t.tgsHalf]), rep.large?.as].filter((s): s is RunStats => !!s);
  const noisiest = Math.max(0, ...runs.map((s) => s.otherCpuPct ?? 0));
  out.push(
    `quiet machine: other processes used at most ${pct(noisiest)} of a core during any measured run` +
      (noisiest > 10 ? ' — NOT quiet, figures are disturbed' : ''),
  );
  if (m.loadAverageAtEnd) out.push(`load average at end ${m.loadAverageAtEnd.map((x) => x.toFixed(2)).join(' ')}`);
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const machine = await machineInfo(opts.targets.some((t) => t.startsWith('mit')));
  progress(`${machine.cores} cores, ${machine.cpuModel}; load average ${machine.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')}`);
  if (machine.loadAverageAtStart[0] >= 0.7) progress('warning: the machine is not quiet (1-minute load average >= 0.7); figures will be lower than on an idle machine');

  const names = Array.from({ length: opts.users }, (_, i) => `user${i}`);
  const t0 = performance.now();
  const users = deriveUsers(opts.realm, names, opts.password);
  const s2kMs = (performance.now() - t0) / users.length;
  progress(`derived ${users.length} client keys in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const results: TargetResult[] = [];
  if (opts.kdc) {
    results.push(await measure(opts, `${opts.kdc.host}:${opts.kdc.port}`, opts.kdc, opts.kdcPid, users));
  }
  for (const t of opts.targets) {
    if (t === 'authso') {
      progress(`authso: starting the DC with ${opts.users} users`);
      const dc = await startAuthso(opts, opts.users);
      try {
        progress(`authso: ready on ${dc.endpoint.host}:${dc.endpoint.port} (pid ${dc.pid}), ${opts.users} users in ${(dc.provisionMs / 1000).toFixed(1)} s`);
        const r = await measure(opts, 'authso', dc.endpoint, dc.pid, users);
        results.push({ ...r, provisionMs: dc.provisionMs, provisionedAccounts: opts.users });
      } finally {
        await dc.stop();
      }
    } else {
      const label = TARGET_LABEL[t];
      progress(`${label}: creating a throw-away realm`);
      const kdc = await startMitKdc({
        realm: opts.realm,
        users: names,
        password: opts.password,
        service: opts.service,
        noDbWrites: t === 'mit-nowrite',
        log: (l) => progress(`${label}: ${l}`),
      });
      try {
        progress(`${label}: krb5kdc on ${kdc.endpoint.host}:${kdc.endpoint.port} (pid ${kdc.pid}), ${opts.users} principals in ${(kdc.provisionMs / 1000).toFixed(1)} s`);
        const r = await measure(opts, label, kdc.endpoint, kdc.pid, users);
        results.push({ ...r, provisionMs: kdc.provisionMs, provisionedAccounts: opts.users });
      } finally {
        await kdc.stop();
      }
    }
  }
  const authso = results.find((r) => r.name === 'authso');
  const mits = results.filter((r) => r.name.startsWith('MIT'));
  const large = opts.accounts > 0 ? await measureLarge(opts, authso) : undefined;
  machine.loadAverageAtEnd = loadavg();

  const { json: _json, jsonOut: _jsonOut, password: _password, profile: _profile, ...shown } = opts;
  const report: Report = {
    machine,
    options: shown,
    aes256StringToKeyMs: s2kMs,
    targets: results,
    ratios: authso && mits.length ? Object.fromEntries(mits.map((m) => [m.name, ratios(authso, m)])) : undefined,
    large,
    targetsMet: {
      halfPeakP99: authso?.asHalf && authso.tgsHalf ? authso.asHalf.latencyMs.p99 < 10 && authso.tgsHalf.latencyMs.p99 < 10 : undefined,
      provisionUnderMinute: large ? large.provisionMs < 60_000 : undefined,
      largeWithin20Pct: large?.asRatioToSmall !== undefined ? large.asRatioToSmall >= 0.8 : undefined,
      rssUnder300MB: large?.memoryMiB ? large.memoryMiB.rss * 1.048576 < 300 : undefined,
    },
  };
  if (opts.jsonOut) writeFileSync(opts.jsonOut, `${JSON.stringify(report, null, 2)}\n`);
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${render(report, opts)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
