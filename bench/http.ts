// HTTP authentication benchmark: authenticated requests/s through authso's HTTP authenticator
// (src/http) on a node:http server, and the same Kerberos load against Apache httpd +
// mod_auth_gssapi protecting the same file with the same keytab, when it is installed.
//  - Kerberos: every request carries a fresh AP-REQ (a new initiator context from one cached
//    service ticket: new authenticator, subkey and sequence number), over keep-alive
//    connections, `--concurrency` requests in flight;
//  - NTLM (authso only): full handshakes, NEGOTIATE → CHALLENGE → AUTHENTICATE, each on a
//    fresh keep-alive connection (the two requests must share it), `--concurrency` in flight.
// Not a test: no pass/fail, figures only. Bounded in time and count. See docs/benchmarks-http.md.

import { readFileSync } from 'node:fs';
import { fork } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { availableParallelism, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDomain, type RunningDomain } from '../src/dc/domain.js';
import { exportKeytab } from '../src/cli/keytab.js';
import { getInitialCredentials } from '../src/kerberos/client/as-client.js';
import type { Credential } from '../src/kerberos/client/credential.js';
import { getServiceTicket } from '../src/kerberos/client/tgs-client.js';
import { KerberosInitiator } from '../src/kerberos/gss/index.js';
import { NT } from '../src/kerberos/messages/types.js';
import { NtlmInitiator } from '../src/ntlm/index.js';
import type { SecurityContext } from '../src/security/types.js';
import { NegotiateInitiator } from '../src/spnego/index.js';
import { apacheMissing, apacheVersion, startApache, type ApacheRcache } from './http-apache.js';
import type { HttpServerConfig, HttpServerMessage } from './http-server.js';
import { machineBusySeconds, processCpuSeconds } from './load.js';
import { removeDir, stopProcess, track, trackDir } from './procs.js';

const USAGE = `Usage: npm run bench:http -- [options]

Authenticated HTTP requests/s (p50/p99, errors) through authso's HTTP authenticator, with a
fresh Kerberos AP-REQ per request (Negotiate) and full NTLM handshakes; and the same Kerberos
load against Apache httpd + mod_auth_gssapi when /usr/sbin/apache2 and the module are there
(scripts/install-bench-peers.sh installs them).

  --seconds S          length of each measured run (default 10)
  --warmup S           unmeasured load before each run (default 2)
  --concurrency N      requests (Kerberos) or handshakes (NTLM) in flight (default 8)
  --max-requests N     cap on requests / handshakes per run (default 200000)
  --timeout-ms MS      per-request timeout (default 5000)
  --token T            spnego (default: NegTokenInit around the AP-REQ, what browsers send) or
                       krb5 (the bare RFC 4121 token); the same kind goes to every server
  --sample N           check the server's mutual-authentication token (AP-REP) on every Nth
                       Kerberos reply (default 10; 0 = never)
  --rounds N           measure every case N times, alternating between the servers (default 1):
                       each case's figures are then over all its rounds (e.g. --rounds 5
                       --seconds 2: 10 s per case, interleaved, which evens out a machine whose
                       speed varies), and the per-round figures are listed too
  --cluster N          also run authso as a node:cluster of N workers (default 2; 0 = skip)
  --apache-rcache R    file (MIT's default replay cache, in a temp dir), none, or both
                       (default both; 'file' is the like-for-like one, see the docs)
  --skip-apache        measure authso only
  --skip-ntlm          Kerberos only
  --profile DIR        write V8 CPU profiles of the authso server process(es) into DIR
  --json               one JSON document on stdout (progress on stderr; use npm run -s)
  --json-out FILE      also write the JSON document to FILE (the table still goes to stdout)
  --help`;

interface Options {
  seconds: number;
  warmup: number;
  concurrency: number;
  maxRequests: number;
  timeoutMs: number;
  token: 'spnego' | 'krb5';
  sample: number;
  rounds: number;
  cluster: number;
  apacheRcache: ApacheRcache[];
  skipApache: boolean;
  skipNtlm: boolean;
  profile?: string;
  json: boolean;
  jsonOut?: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '8' },
      'max-requests': { type: 'string', default: '200000' },
      'timeout-ms': { type: 'string', default: '5000' },
      token: { type: 'string', default: 'spnego' },
      sample: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '1' },
      cluster: { type: 'string', default: '2' },
      'apache-rcache': { type: 'string', default: 'both' },
      'skip-apache': { type: 'boolean', default: false },
      'skip-ntlm': { type: 'boolean', default: false },
      profile: { type: 'string' },
      json: { type: 'boolean', default: false },
      'json-out': { type: 'string' },
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
  if (values.token !== 'spnego' && values.token !== 'krb5') throw new Error('--token must be spnego or krb5');
  const rc = values['apache-rcache'];
  if (!['file', 'none', 'both'].includes(rc)) throw new Error('--apache-rcache must be file, none or both');
  return {
    seconds: num('seconds', values.seconds, 0.1, 3600),
    warmup: num('warmup', values.warmup, 0, 600),
    concurrency: int('concurrency', values.concurrency, 1, 1024),
    maxRequests: int('max-requests', values['max-requests'], 1, 50_000_000),
    timeoutMs: int('timeout-ms', values['timeout-ms'], 10, 600_000),
    token: values.token,
    sample: int('sample', values.sample, 0, 1_000_000),
    rounds: int('rounds', values.rounds, 1, 100),
    cluster: int('cluster', values.cluster, 0, 64),
    apacheRcache: rc === 'both' ? ['file', 'none'] : [rc as ApacheRcache],
    skipApache: values['skip-apache'],
    skipNtlm: values['skip-ntlm'],
    profile: values.profile,
    json: values.json,
    jsonOut: values['json-out'],
  };
}

function progress(line: string): void {
  process.stderr.write(`bench:http: ${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// The HTTP client: node:http with keep-alive agents, the whole body read before a request counts.

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The request went over a connection an earlier request had used. */
  reused: boolean;
}

const HOST_HEADER = 'web.example.test';

function get(agent: Agent, port: number, path: string, authorization: string | undefined, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'GET', agent, headers: { Host: HOST_HEADER, ...(authorization ? { Authorization: authorization } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), reused: req.reusedSocket }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The token of a `WWW-Authenticate: <scheme> <base64>` header (there may be several). */
function challengeToken(headers: IncomingHttpHeaders, scheme: string): Buffer | undefined {
  const raw = headers['www-authenticate'];
  const all = Array.isArray(raw) ? raw : raw ? [raw] : [];
  for (const h of all) {
    for (const part of h.split(',')) {
      const m = /^\s*(\S+)\s+([A-Za-z0-9+/=]+)\s*$/.exec(part);
      if (m && m[1].toLowerCase() === scheme.toLowerCase()) return Buffer.from(m[2], 'base64');
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Closed loop: `concurrency` operations always in flight, bounded in time and count.

interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

interface CaseResult {
  name: string;
  round: number;
  server: 'authso' | 'authso-cluster' | 'apache';
  mechanism: 'Kerberos' | 'NTLM';
  concurrency: number;
  ok: number;
  errors: Record<string, number>;
  elapsedSec: number;
  okPerSec: number;
  latencyMs: Percentiles;
  /** Server processes' CPU (all threads, all processes), % of one core. */
  serverCpuPct?: number;
  /** Successes per second of server CPU time. */
  okPerServerCpuSec?: number;
  clientCpuPct: number;
  /** Everything else on the machine, % of one core. */
  otherCpuPct?: number;
  serverCpuSec?: number;
  clientCpuSec: number;
  otherCpuSec?: number;
  serverProcesses: number;
  mutualChecked: number;
  /** Before the run: how many of REPLAYS replays of one AP-REQ the server accepted. */
  replaysAccepted?: number;
  firstError?: string;
  notes: string[];
}

function percentiles(lat: number[]): Percentiles {
  if (lat.length === 0) return { p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const s = Float64Array.from(lat).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  let sum = 0;
  for (const x of s) sum += x;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1], mean: sum / s.length };
}

class OpError extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
  }
}

type Op = () => Promise<void>;

interface LoopResult {
  ok: number;
  errors: Record<string, number>;
  latencies: number[];
  elapsedSec: number;
  firstError?: string;
}

async function closedLoop(op: Op, concurrency: number, seconds: number, maxOps: number): Promise<LoopResult> {
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let firstError: string | undefined;
  let started = 0;
  let ok = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (started < maxOps && performance.now() < deadline) {
      started++;
      const a = performance.now();
      try {
        await op();
        latencies.push(performance.now() - a);
        ok++;
      } catch (e) {
        const kind = e instanceof OpError ? e.kind : e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e);
        errors[kind] = (errors[kind] ?? 0) + 1;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return { ok, errors, latencies, elapsedSec: (performance.now() - t0) / 1000, firstError };
}

// ---------------------------------------------------------------------------------------------
// Workloads.

interface Env {
  opts: Options;
  realm: string;
  serviceTicket: Credential;
  fileBody: Buffer;
  urlPath: string;
}

function newKerberosContext(env: Env): SecurityContext {
  const kerberos = (): KerberosInitiator => new KerberosInitiator({ target: 'HTTP/web.example.test', serviceTicket: env.serviceTicket, realm: env.realm, mutual: true });
  return env.opts.token === 'spnego' ? new NegotiateInitiator({ kerberos }) : kerberos();
}

/** A Negotiate header with a fresh AP-REQ, and the context (to check the server's AP-REP). */
async function negotiateHeader(env: Env): Promise<{ header: string; ctx: SecurityContext }> {
  const ctx = newKerberosContext(env);
  const s = await ctx.step();
  if (!s.output) throw new Error('the Kerberos initiator produced no token');
  return { header: `Negotiate ${s.output.toString('base64')}`, ctx };
}

function kerberosOp(env: Env, port: number, agent: Agent, counters: { n: number; mutualChecked: number }): Op {
  return async () => {
    const { header, ctx } = await negotiateHeader(env);
    const r = await get(agent, port, env.urlPath, header, env.opts.timeoutMs);
    if (r.status !== 200) throw new OpError(`HTTP ${r.status}`, `HTTP ${r.status}`);
    if (!r.body.equals(env.fileBody)) throw new OpError('wrong body', `wrong body (${r.body.length} bytes)`);
    const n = ++counters.n;
    if (env.opts.sample > 0 && n % env.opts.sample === 0) {
      // The server proves it is the service (mutual authentication): its AP-REP must verify.
      const tok = challengeToken(r.headers, 'Negotiate');
      if (!tok) throw new OpError('no AP-REP', 'a 200 without the mutual-authentication token');
      try {
        await ctx.step(tok);
      } catch (e) {
        throw new OpError('bad AP-REP', `the server's AP-REP did not verify: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (!ctx.done) throw new OpError('bad AP-REP', 'the context is not established after the AP-REP');
      counters.mutualChecked++;
    }
  };
}

function ntlmOp(env: Env, port: number): Op {
  return async () => {
    // A fresh keep-alive connection per handshake: one socket, both legs on it.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ini = new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: PASSWORD, workstation: 'CLIENT', targetName: 'HTTP/web.example.test' });
      const neg = await ini.step();
      const r1 = await get(agent, port, env.urlPath, `NTLM ${neg.output!.toString('base64')}`, env.opts.timeoutMs);
      if (r1.status !== 401) throw new OpError(`leg 1 HTTP ${r1.status}`, `NEGOTIATE answered ${r1.status}, not 401`);
      const challenge = challengeToken(r1.headers, 'NTLM');
      if (!challenge) throw new OpError('no CHALLENGE', 'the 401 carries no NTLM CHALLENGE_MESSAGE');
      const auth = await ini.step(challenge);
      const r2 = await get(agent, port, env.urlPath, `NTLM ${auth.output!.toString('base64')}`, env.opts.timeoutMs);
      if (!r2.reused) throw new OpError('new connection', 'AUTHENTICATE went on a new connection');
      if (r2.status !== 200) throw new OpError(`leg 2 HTTP ${r2.status}`, `AUTHENTICATE answered ${r2.status}`);
      if (!r2.body.equals(env.fileBody)) throw new OpError('wrong body', `wrong body (${r2.body.length} bytes)`);
    } finally {
      agent.destroy();
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Servers under test.

type Mechanism = 'Kerberos' | 'NTLM';

interface Target {
  label: string;
  server: CaseResult['server'];
  mechs: Mechanism[];
  port: number;
  pids(): number[];
  notes: string[];
  replaysAccepted?: number;
  stop(): Promise<void>;
}

const PASSWORD = 'Alice-Passw0rd!';

async function startAuthso(cfg: HttpServerConfig, profile: string | undefined): Promise<{ port: number; pids: number[]; stop(): Promise<void> }> {
  const script = fileURLToPath(new URL('./http-server.ts', import.meta.url));
  const execArgv = ['--import', 'tsx', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])];
  const child = track(fork(script, [JSON.stringify(cfg)], { execArgv, stdio: ['ignore', 2, 2, 'ipc'] }));
  const ready = await new Promise<Extract<HttpServerMessage, { type: 'ready' }>>((resolve, reject) => {
    child.on('message', (m: HttpServerMessage) => {
      if (m.type === 'ready') resolve(m);
      else reject(new Error(`authso HTTP server failed: ${m.message}`));
    });
    child.once('exit', (code, signal) => reject(new Error(`authso HTTP server exited (${code ?? signal}) before it was ready`)));
    child.once('error', reject);
  });
  return {
    port: ready.port,
    pids: ready.pids,
    async stop() {
      if (child.connected) child.send('stop');
      await stopProcess(child, 10_000);
    },
  };
}

/**
 * Before measuring: the file is protected (401 Negotiate without credentials), a fresh AP-REQ
 * gets it, and the same AP-REQ replayed REPLAYS times, each on a new connection (so that with
 * several server processes the replays reach every one of them), is rejected or not.
 */
const REPLAYS = 4;
async function sanity(env: Env, port: number): Promise<{ replaysAccepted: number }> {
  const agent = new Agent({ keepAlive: false });
  try {
    const anon = await get(agent, port, env.urlPath, undefined, env.opts.timeoutMs);
    if (anon.status !== 401 || !String(anon.headers['www-authenticate'] ?? '').includes('Negotiate')) {
      throw new Error(`an unauthenticated request got ${anon.status} (${String(anon.headers['www-authenticate'])}), not a 401 Negotiate challenge`);
    }
    const { header } = await negotiateHeader(env);
    const good = await get(agent, port, env.urlPath, header, env.opts.timeoutMs);
    if (good.status !== 200 || !good.body.equals(env.fileBody)) throw new Error(`a fresh AP-REQ got ${good.status} (${good.body.length} bytes)`);
    let replaysAccepted = 0;
    for (let i = 0; i < REPLAYS; i++) {
      const again = await get(agent, port, env.urlPath, header, env.opts.timeoutMs);
      if (again.status === 200) replaysAccepted++;
      else if (again.status !== 401) throw new Error(`a replayed AP-REQ got ${again.status}`);
    }
    return { replaysAccepted };
  } finally {
    agent.destroy();
  }
}

function cpuOf(pids: number[]): number | undefined {
  let sum = 0;
  for (const p of pids) {
    const s = processCpuSeconds(p);
    if (s === undefined) return undefined;
    sum += s;
  }
  return sum;
}

/** Every success's latency, per case (kept out of the JSON). */
const latenciesOf = new WeakMap<CaseResult, number[]>();

/** One case over all its rounds: totals, latencies merged (round 0). */
function combine(cs: CaseResult[]): CaseResult {
  const first = cs[0];
  const sum = (f: (c: CaseResult) => number | undefined): number | undefined => {
    let t = 0;
    for (const c of cs) {
      const v = f(c);
      if (v === undefined) return undefined;
      t += v;
    }
    return t;
  };
  const ok = sum((c) => c.ok) as number;
  const elapsed = sum((c) => c.elapsedSec) as number;
  const server = sum((c) => c.serverCpuSec);
  const client = sum((c) => c.clientCpuSec) as number;
  const other = sum((c) => c.otherCpuSec);
  const errors: Record<string, number> = {};
  for (const c of cs) for (const [k, v] of Object.entries(c.errors)) errors[k] = (errors[k] ?? 0) + v;
  const merged = cs.flatMap((c) => latenciesOf.get(c) ?? []);
  return {
    ...first,
    round: 0,
    ok,
    errors,
    elapsedSec: elapsed,
    okPerSec: ok / elapsed,
    latencyMs: percentiles(merged),
    serverCpuPct: server !== undefined ? (100 * server) / elapsed : undefined,
    okPerServerCpuSec: server ? ok / server : undefined,
    clientCpuPct: (100 * client) / elapsed,
    otherCpuPct: other !== undefined ? (100 * other) / elapsed : undefined,
    serverCpuSec: server,
    clientCpuSec: client,
    otherCpuSec: other,
    mutualChecked: sum((c) => c.mutualChecked) as number,
    firstError: cs.find((c) => c.firstError)?.firstError,
  };
}

async function measure(env: Env, t: Target, mechanism: Mechanism, round: number): Promise<CaseResult> {
  const o = env.opts;
  const name = `${t.label} ${mechanism === 'Kerberos' ? `Negotiate (${o.token === 'spnego' ? 'SPNEGO/Kerberos' : 'Kerberos'}) requests` : 'NTLM handshakes'}`;
  progress(`${o.rounds > 1 ? `round ${round}: ` : ''}${name}: ${o.warmup} s warm-up, then ${o.seconds} s`);
  const counters = { n: 0, mutualChecked: 0 };
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const op = mechanism === 'Kerberos' ? kerberosOp(env, t.port, agent, counters) : ntlmOp(env, t.port);
  try {
    if (o.warmup > 0) await closedLoop(op, o.concurrency, o.warmup, o.maxRequests);
    counters.mutualChecked = 0;
    const pids = t.pids();
    const s0 = cpuOf(pids);
    const c0 = process.cpuUsage();
    const b0 = machineBusySeconds();
    const r = await closedLoop(op, o.concurrency, o.seconds, o.maxRequests);
    const s1 = cpuOf(pids);
    const c = process.cpuUsage(c0);
    const b1 = machineBusySeconds();
    const clientSec = (c.user + c.system) / 1e6;
    const serverSec = s0 !== undefined && s1 !== undefined ? s1 - s0 : undefined;
    const otherSec = b0 !== undefined && b1 !== undefined && serverSec !== undefined ? Math.max(0, b1 - b0 - clientSec - serverSec) : undefined;
    const result: CaseResult = {
      name,
      round,
      server: t.server,
      mechanism,
      concurrency: o.concurrency,
      ok: r.ok,
      errors: r.errors,
      elapsedSec: r.elapsedSec,
      okPerSec: r.ok / r.elapsedSec,
      latencyMs: percentiles(r.latencies),
      serverCpuPct: serverSec !== undefined ? (100 * serverSec) / r.elapsedSec : undefined,
      okPerServerCpuSec: serverSec ? r.ok / serverSec : undefined,
      clientCpuPct: (100 * clientSec) / r.elapsedSec,
      otherCpuPct: otherSec !== undefined ? (100 * otherSec) / r.elapsedSec : undefined,
      serverCpuSec: serverSec,
      clientCpuSec: clientSec,
      otherCpuSec: otherSec,
      serverProcesses: pids.length,
      mutualChecked: counters.mutualChecked,
      replaysAccepted: t.replaysAccepted,
      firstError: r.firstError,
      notes: t.notes,
    };
    latenciesOf.set(result, r.latencies);
    return result;
  } finally {
    agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------

interface Report {
  machine: { cores: number; cpuModel: string; kernel: string; node: string; apache?: string; loadAverageAtStart: number[]; loadAverageAtEnd?: number[] };
  options: Options;
  fileBytes: number;
  /** One entry per case and round. */
  cases: CaseResult[];
  /** With --rounds > 1: every case over all its rounds (round 0). */
  aggregate?: CaseResult[];
  /** authso (one process) Kerberos req/s ÷ Apache (rcache file) Kerberos req/s, per round, and over all rounds. */
  ratios: number[];
  ratio?: number;
  ratiosCluster: number[];
  ratioCluster?: number;
  /** The same for successes per server CPU-second. */
  cpuRatios: number[];
  cpuRatio?: number;
  apacheSkipped?: string;
  notes: string[];
}

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function table(rep: Report): string {
  const f = (x: number | undefined, d = 2) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
  const out: string[] = [];
  const m = rep.machine;
  out.push(`HTTP authentication benchmark — ${m.cores} cores (${m.cpuModel}), Linux ${m.kernel}, node ${m.node}`);
  if (m.apache) out.push(`peer: ${m.apache}`);
  out.push(
    `${rep.options.concurrency} in flight, ${rep.options.seconds} s per case after ${rep.options.warmup} s warm-up; token: ${rep.options.token === 'spnego' ? 'SPNEGO NegTokenInit with a krb5 AP-REQ (mutual)' : 'bare krb5 AP-REQ (mutual)'}; file ${rep.fileBytes} bytes`,
  );
  out.push(`load average at start ${m.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')}${m.loadAverageAtEnd ? `, at end ${m.loadAverageAtEnd.map((x) => x.toFixed(2)).join(' ')}` : ''}`);
  out.push('');
  const multi = rep.options.rounds > 1;
  const head = ['case', 'ok/s', 'p50 ms', 'p99 ms', 'errors', 'server CPU%', 'ok/server CPU-s', 'client CPU%', 'other CPU%'];
  const shown = multi && rep.aggregate ? rep.aggregate : rep.cases;
  const rows = shown.map((c) => [
    multi ? `${c.name} (${rep.options.rounds} rounds)` : c.name,
    f(c.okPerSec, 0),
    f(c.latencyMs.p50),
    f(c.latencyMs.p99),
    String(Object.values(c.errors).reduce((a, b) => a + b, 0)),
    `${f(c.serverCpuPct, 0)} (${c.serverProcesses} proc)`,
    f(c.okPerServerCpuSec, 0),
    f(c.clientCpuPct, 0),
    f(c.otherCpuPct, 0),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ');
  out.push(line(head));
  for (const r of rows) out.push(line(r));
  for (const c of shown) {
    const errs = Object.entries(c.errors);
    if (errs.length) out.push(`  ${c.name}: errors ${errs.map(([k, v]) => `${k}×${v}`).join(', ')}; first: ${c.firstError}`);
  }
  if (multi) {
    out.push('');
    out.push('per round (ok/s, ok/server CPU-s, other CPU%):');
    for (const a of shown) {
      const rs = rep.cases.filter((c) => c.name === a.name);
      out.push(`  ${a.name}: ${rs.map((c) => `${f(c.okPerSec, 0)}, ${f(c.okPerServerCpuSec, 0)}, ${f(c.otherCpuPct, 0)}%`).join(' | ')}`);
    }
  }
  out.push('');
  const rounds = (xs: number[]) => (xs.length > 1 ? ` (rounds: ${xs.map((x) => x.toFixed(2)).join(', ')})` : '');
  if (rep.ratio !== undefined) out.push(`ratio authso (1 process) / Apache (replay cache on), Kerberos req/s: ${rep.ratio.toFixed(2)}${rounds(rep.ratios)}`);
  if (rep.cpuRatio !== undefined) out.push(`ratio authso (1 process) / Apache (replay cache on), Kerberos req per server CPU-s: ${rep.cpuRatio.toFixed(2)}${rounds(rep.cpuRatios)}`);
  if (rep.ratioCluster !== undefined) out.push(`ratio authso (cluster) / Apache (replay cache on), Kerberos req/s: ${rep.ratioCluster.toFixed(2)}${rounds(rep.ratiosCluster)}`);
  if (rep.apacheSkipped) out.push(`Apache not measured: ${rep.apacheSkipped}`);
  for (const n of rep.notes) out.push(`note: ${n}`);
  return out.join('\n') + '\n';
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const missing = opts.skipApache ? '--skip-apache' : apacheMissing();
  if (missing && !opts.skipApache) progress(`Apache httpd + mod_auth_gssapi not available (${missing}): measuring authso only (scripts/install-bench-peers.sh installs them)`);
  const rep: Report = {
    machine: {
      cores: availableParallelism(),
      cpuModel: cpuModel(),
      kernel: release(),
      node: process.version,
      apache: missing ? undefined : await apacheVersion(),
      loadAverageAtStart: loadavg(),
    },
    options: opts,
    fileBytes: 0,
    cases: [],
    ratios: [],
    ratiosCluster: [],
    cpuRatios: [],
    apacheSkipped: missing,
    notes: [],
  };

  const work = trackDir(await mkdtemp(join(tmpdir(), 'authso-bench-http-')));
  let domain: RunningDomain | undefined;
  const targets: Target[] = [];
  try {
    // The domain (directory + KDC) lives in this process; the server process(es) open its
    // SQLite directory as a second handle. The KDC is used only before the runs (one TGT, one
    // service ticket).
    domain = await startDomain({
      realm: 'EXAMPLE.TEST',
      dataDir: join(work, 'domain'),
      users: [{ name: 'alice', password: PASSWORD }],
      services: [{ computer: 'web', spns: ['HTTP/web.example.test'] }],
    });
    const keytab = await exportKeytab(domain.directory, 'HTTP/web.example.test');
    const keytabPath = join(work, 'http.keytab');
    await writeFile(keytabPath, keytab, { mode: 0o600 });
    const tgt = await getInitialCredentials({ kdc: domain.kdc, realm: domain.realm, user: 'alice', password: PASSWORD });
    const serviceTicket = await getServiceTicket(domain.kdc, { tgt, sname: { nameType: NT.SRV_INST, nameString: ['HTTP', 'web.example.test'] } });
    // A small static file, the same bytes from both servers.
    const fileBody = Buffer.from(`${'authso bench: the protected file. '.repeat(15)}\n`);
    const filePath = join(work, 'index.txt');
    await writeFile(filePath, fileBody);
    rep.fileBytes = fileBody.length;
    const env: Env = { opts, realm: domain.realm, serviceTicket, fileBody, urlPath: '/index.txt' };
    const cfg: HttpServerConfig = {
      dataDir: domain.dataDir,
      keytabPath,
      realm: domain.realm,
      dnsName: domain.dnsName,
      kdc: domain.kdc,
      filePath,
      urlPath: env.urlPath,
      host: '127.0.0.1',
      workers: 0,
    };

    const authsoMechs: Mechanism[] = opts.skipNtlm ? ['Kerberos'] : ['Kerberos', 'NTLM'];
    /** Sanity checks, then the target is measured in every round. */
    const admit = async (t: Target): Promise<void> => {
      targets.push(t);
      const s = await sanity(env, t.port);
      t.replaysAccepted = s.replaysAccepted;
      t.notes.push(
        s.replaysAccepted === 0
          ? `an AP-REQ replayed ${REPLAYS} times (new connection each) is rejected every time (401)`
          : `an AP-REQ replayed ${REPLAYS} times (new connection each) was ACCEPTED ${s.replaysAccepted} time(s) (200): no replay detection${t.server === 'authso-cluster' ? ' across workers (each process has its own in-memory replay cache)' : ''}`,
      );
    };

    // Every server is started (and checked) first and they all stay up, idle but for the one
    // being measured, so that the rounds can alternate between them: on a machine whose speed
    // varies (other work, a vCPU's sibling), each round compares like with like.
    // 1. authso, one Node process.
    {
      const s = await startAuthso(cfg, opts.profile ? join(opts.profile, 'single') : undefined);
      await admit({ label: 'authso (1 process)', server: 'authso', mechs: authsoMechs, port: s.port, pids: () => s.pids, notes: [], stop: () => s.stop() });
    }
    // 2. Apache + mod_auth_gssapi (failing to start or to pass the checks is reported, not fatal).
    if (!missing) {
      for (const rcache of opts.apacheRcache) {
        let t: Target | undefined;
        try {
          const server = await startApache({ keytab, krb5Conf: domain.krb5Conf, filePath, urlPath: env.urlPath, rcache });
          const target: Target = (t = {
            label: `Apache mod_auth_gssapi (rcache ${rcache})`,
            server: 'apache',
            mechs: ['Kerberos'],
            port: server.port,
            pids: () => server.pids(),
            notes: [],
            async stop() {
              // Errors other than the replays the sanity check provokes on purpose.
              const errors = server
                .errorLog()
                .split('\n')
                .filter((l) => /:(error|crit|alert|emerg)\]/.test(l) && !l.includes('Request is a replay'));
              if (errors.length) {
                const msg = `logged ${errors.length} error(s), last: ${errors[errors.length - 1]}`;
                progress(`Apache (rcache ${rcache}) ${msg}`);
                target.notes.push(msg);
              }
              await server.stop();
            },
          });
          await admit(target);
        } catch (e) {
          const msg = `Apache (rcache ${rcache}) failed: ${e instanceof Error ? e.message : String(e)}`;
          progress(msg);
          rep.notes.push(msg);
          if (t) {
            const i = targets.indexOf(t);
            if (i >= 0) targets.splice(i, 1);
            await t.stop();
          }
        }
      }
    }
    // 3. authso as a node:cluster (extra line: several processes, as Apache has).
    if (opts.cluster > 0) {
      const s = await startAuthso({ ...cfg, workers: opts.cluster }, opts.profile ? join(opts.profile, 'cluster') : undefined);
      await admit({
        label: `authso (cluster, ${opts.cluster} workers)`,
        server: 'authso-cluster',
        mechs: authsoMechs,
        port: s.port,
        pids: () => s.pids,
        notes: [],
        stop: () => s.stop(),
      });
    }

    for (let round = 1; round <= opts.rounds; round++) {
      for (const t of targets) for (const m of t.mechs) rep.cases.push(await measure(env, t, m, round));
      const krb = (server: CaseResult['server'], label?: string) =>
        rep.cases.find((c) => c.round === round && c.server === server && c.mechanism === 'Kerberos' && (!label || c.name.includes(label)));
      const ap = krb('apache', 'rcache file');
      const one = krb('authso');
      const cl = krb('authso-cluster');
      if (ap && one) rep.ratios.push(one.okPerSec / ap.okPerSec);
      if (ap && cl) rep.ratiosCluster.push(cl.okPerSec / ap.okPerSec);
      if (ap && one && ap.okPerServerCpuSec && one.okPerServerCpuSec) rep.cpuRatios.push(one.okPerServerCpuSec / ap.okPerServerCpuSec);
    }
    // The ratios: of the totals over every round (with one round, that round's).
    const byName = new Map<string, CaseResult[]>();
    for (const c of rep.cases) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
    const totals = [...byName.values()].map(combine);
    if (opts.rounds > 1) rep.aggregate = totals;
    const total = (server: CaseResult['server'], label?: string) => totals.find((c) => c.server === server && c.mechanism === 'Kerberos' && (!label || c.name.includes(label)));
    const ap = total('apache', 'rcache file');
    const one = total('authso');
    const cl = total('authso-cluster');
    if (ap && one) rep.ratio = one.okPerSec / ap.okPerSec;
    if (ap && cl) rep.ratioCluster = cl.okPerSec / ap.okPerSec;
    if (ap?.okPerServerCpuSec && one?.okPerServerCpuSec) rep.cpuRatio = one.okPerServerCpuSec / ap.okPerServerCpuSec;
    rep.notes.push(
      `cores: the load generator (this process, one thread) and the server under test share the machine's ${rep.machine.cores} cores. ` +
        `authso (1 process) is one Node.js process: one JavaScript thread (plus V8's GC helper threads); ` +
        `Apache (mpm_event, StartServers 2 × ThreadsPerChild 25) and the authso cluster (a primary handing connections to the workers) can use every core. ` +
        `"ok/server CPU-s" (successes per second of server CPU time) is the per-core comparison.`,
    );
    for (const t of targets) for (const n of t.notes) rep.notes.push(`${t.label}: ${n}`);
    if (!opts.skipNtlm) rep.notes.push('NTLM is measured against authso only (mod_auth_gssapi would need gss-ntlmssp with its own credential file).');
    rep.machine.loadAverageAtEnd = loadavg();
  } finally {
    for (const t of targets) {
      try {
        await t.stop();
      } catch (e) {
        progress(`stopping ${t.label}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    await domain?.stop();
    removeDir(work);
  }
  if (opts.jsonOut) await writeFile(opts.jsonOut, `${JSON.stringify(rep, null, 2)}\n`);
  if (opts.json) process.stdout.write(`${JSON.stringify(rep, null, 2)}\n`);
  else process.stdout.write(table(rep));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench/http: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
