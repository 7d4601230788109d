// The load generator: a closed loop (N requests always in flight, for the peak rate) and an
// open loop (requests launched on a fixed schedule, for latency at a given rate). Both are
// bounded in time and in count, and record every request's latency, so percentiles are exact.

import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { peekApplicationTag, decodeKrbError, MSG_TYPE } from '../src/kerberos/messages/index.js';
import { openChannel, type Channel, type Endpoint, type TransportKind } from './transport.js';

export interface BenchRequest {
  bytes: Buffer;
  /** Full check of a reply (decrypt, nonce); throws when the reply is wrong. */
  verify(reply: Buffer): void;
}

export interface Workload {
  name: string;
  /** The message type a success carries (AS-REP 11, TGS-REP 13). */
  replyType: number;
  next(): BenchRequest;
}

export interface LoadTarget {
  endpoint: Endpoint;
  transport: TransportKind;
  timeoutMs: number;
  /** The KDC's process id, for its CPU time (Linux /proc). */
  serverPid?: number;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface RunStats {
  workload: string;
  mode: 'peak' | 'rate';
  concurrency?: number;
  targetRate?: number;
  /** Requests sent. */
  sent: number;
  /** Replies of the expected type (AS-REP / TGS-REP) that passed (or were not sampled for) verification. */
  ok: number;
  /** Replies that were KRB-ERRORs, by error-code. */
  krbErrors: Record<string, number>;
  /** No reply: timeouts, refused or reset connections, by kind. */
  transportErrors: Record<string, number>;
  /** Sampled replies that failed decryption or checks (also counted as errors, not in ok). */
  verifyFailures: number;
  verified: number;
  /** Open loop only: launches skipped because the in-flight cap was reached. */
  skipped: number;
  tcpFallbacks: number;
  elapsedSec: number;
  okPerSec: number;
  /** Replies per second of KDC CPU time (ok / KDC CPU seconds): the KDC's cost per request, less disturbed by other load. */
  okPerKdcCpuSec?: number;
  /** Latency from sending the request to having the whole reply, ms. */
  latencyMs: Percentiles;
  /** Open loop only: latency measured from the scheduled send time (includes client lag). */
  scheduledLatencyMs?: Percentiles;
  /** CPU used by this (client) process over the run, % of one core. */
  clientCpuPct: number;
  /** CPU used by the KDC process over the run, % of one core. */
  serverCpuPct?: number;
  /**
   * CPU used by everything else on the machine during the run (all busy time minus this process
   * and the KDC), % of one core: a measure of how quiet the machine was.
   */
  otherCpuPct?: number;
  /** Connections the kernel dropped because the KDC's accept queue was full, during the run. */
  listenOverflows?: number;
  firstError?: string;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a process (all its threads), in seconds; undefined if it cannot be read. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/** CPU time all processes of the machine spent busy (/proc/stat), in seconds. */
export function machineBusySeconds(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...
    const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
    return busy / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/**
 * The kernel's count of connections dropped because a listen queue was full (TcpExt
 * ListenOverflows, all sockets of this network namespace). A KDC with a short accept backlog
 * drops SYNs under many simultaneous connects; the client then retries after about 1 s.
 */
export function listenOverflows(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i++) {
      if (!lines[i].startsWith('TcpExt:') || !lines[i + 1].startsWith('TcpExt:')) continue;
      const names = lines[i].split(/\s+/);
      const values = lines[i + 1].split(/\s+/);
      const at = names.indexOf('ListenOverflows');
      return at < 0 ? undefined : Number(values[at]);
    }
  } catch {
    // not Linux
  }
  return undefined;
}

/** VmRSS and VmHWM of a process, in MiB. */
export function processMemoryMiB(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(/\s(\d+)\s+kB/.exec(status.split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? NaN);
    return { rss: kb('VmRSS:') / 1024, hwm: kb('VmHWM:') / 1024 };
  } catch {
    return undefined;
  }
}

export function percentiles(samples: Float64Array): Percentiles {
  if (samples.length === 0) return { p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
  const s = Float64Array.from(samples).sort();
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  let sum = 0;
  for (const v of s) sum += v;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: s[s.length - 1], mean: sum / s.length };
}

/** Tallies replies; shared by both loops. */
class Tally {
  ok = 0;
  sent = 0;
  verifyFailures = 0;
  verified = 0;
  skipped = 0;
  readonly krbErrors: Record<string, number> = {};
  readonly transportErrors: Record<string, number> = {};
  firstError: string | undefined;

  constructor(
    private readonly replyType: number,
    private readonly sampleEvery: number,
  ) {}

  reply(req: BenchRequest, reply: Buffer): void {
    let tag: number | undefined;
    try {
      tag = peekApplicationTag(reply);
    } catch {
      tag = undefined;
    }
    if (tag === undefined) {
      this.fail('verify', 'undecodable reply');
      return;
    }
    if (tag === MSG_TYPE.KRB_ERROR) {
      let code = 'undecodable';
      let text = '';
      try {
        const e = decodeKrbError(reply);
        code = String(e.errorCode);
        text = e.eText ?? '';
      } catch {
        // counted under 'undecodable'
      }
      this.krbErrors[code] = (this.krbErrors[code] ?? 0) + 1;
      this.firstError ??= `KRB-ERROR ${code}${text ? ` (${text})` : ''}`;
      return;
    }
    if (tag !== this.replyType) {
      this.fail('verify', `unexpected reply type ${tag}`);
      return;
    }
    if (this.sampleEvery > 0 && (this.ok + this.verifyFailures) % this.sampleEvery === 0) {
      try {
        req.verify(reply);
        this.verified++;
      } catch (e) {
        this.fail('verify', e instanceof Error ? e.message : String(e));
        return;
      }
    }
    this.ok++;
  }

  private fail(_kind: 'verify', msg: string): void {
    this.verifyFailures++;
    this.firstError ??= `verification failed: ${msg}`;
  }

  transport(e: unknown): void {
    const k = e instanceof Error ? e.message : String(e);
    this.transportErrors[k] = (this.transportErrors[k] ?? 0) + 1;
    this.firstError ??= `transport: ${k}`;
  }
}

interface Meter {
  t0: number;
  cpu0: NodeJS.CpuUsage;
  server0: number | undefined;
  overflows0: number | undefined;
  busy0: number | undefined;
}

function startMeter(target: LoadTarget): Meter {
  return {
    t0: performance.now(),
    cpu0: process.cpuUsage(),
    server0: target.serverPid ? processCpuSeconds(target.serverPid) : undefined,
    overflows0: listenOverflows(),
    busy0: machineBusySeconds(),
  };
}

function stopMeter(m: Meter, target: LoadTarget): Pick<RunStats, 'elapsedSec' | 'clientCpuPct' | 'serverCpuPct' | 'otherCpuPct' | 'listenOverflows'> {
  const elapsedSec = (performance.now() - m.t0) / 1000;
  const cpu = process.cpuUsage(m.cpu0);
  const server1 = target.serverPid ? processCpuSeconds(target.serverPid) : undefined;
  const overflows1 = listenOverflows();
  const busy1 = machineBusySeconds();
  const clientSec = (cpu.user + cpu.system) / 1e6;
  const serverSec = m.server0 !== undefined && server1 !== undefined ? server1 - m.server0 : undefined;
  return {
    elapsedSec,
    clientCpuPct: (clientSec / elapsedSec) * 100,
    serverCpuPct: serverSec !== undefined ? (serverSec / elapsedSec) * 100 : undefined,
    otherCpuPct:
      m.busy0 !== undefined && busy1 !== undefined && serverSec !== undefined
        ? Math.max(0, ((busy1 - m.busy0 - clientSec - serverSec) / elapsedSec) * 100)
        : undefined,
    listenOverflows: m.overflows0 !== undefined && overflows1 !== undefined ? overflows1 - m.overflows0 : undefined,
  };
}

function tcpFallbacks(channels: Channel[]): number {
  return channels.reduce((n, c) => n + c.tcpFallbacks, 0);
}

export interface PeakOptions {
  concurrency: number;
  seconds: number;
  maxRequests: number;
  sampleEvery: number;
}

/** Closed loop: `concurrency` workers, each sending its next request as soon as the last is answered. */
export async function runPeak(w: Workload, target: LoadTarget, o: PeakOptions): Promise<RunStats> {
  const tally = new Tally(w.replyType, o.sampleEvery);
  const lat = new Float64Array(o.maxRequests);
  let n = 0;
  const channels = Array.from({ length: o.concurrency }, () => openChannel(target.transport, target.endpoint, target.timeoutMs));
  const meter = startMeter(target);
  const deadline = meter.t0 + o.seconds * 1000;
  const worker = async (ch: Channel): Promise<void> => {
    while (tally.sent < o.maxRequests && performance.now() < deadline) {
      tally.sent++;
      const req = w.next();
      const t = performance.now();
      try {
        const reply = await ch.request(req.bytes);
        lat[n++] = performance.now() - t;
        tally.reply(req, reply);
      } catch (e) {
        tally.transport(e);
      }
    }
  };
  await Promise.all(channels.map(worker));
  const m = stopMeter(meter, target);
  for (const c of channels) c.close();
  return {
    workload: w.name,
    mode: 'peak',
    concurrency: o.concurrency,
    ...counts(tally),
    tcpFallbacks: tcpFallbacks(channels),
    elapsedSec: m.elapsedSec,
    okPerSec: tally.ok / m.elapsedSec,
    okPerKdcCpuSec: perCpu(tally.ok, m),
    latencyMs: percentiles(lat.subarray(0, n)),
    clientCpuPct: m.clientCpuPct,
    serverCpuPct: m.serverCpuPct,
    otherCpuPct: m.otherCpuPct,
    listenOverflows: m.listenOverflows,
  };
}

export interface RateOptions {
  rate: number;
  seconds: number;
  maxRequests: number;
  maxInflight: number;
  sampleEvery: number;
}

/** Open loop: launches requests on a fixed schedule (checked every millisecond) whatever the replies do. */
export async function runAtRate(w: Workload, target: LoadTarget, o: RateOptions): Promise<RunStats> {
  const tally = new Tally(w.replyType, o.sampleEvery);
  const total = Math.max(1, Math.min(o.maxRequests, Math.round(o.rate * o.seconds)));
  const lat = new Float64Array(total);
  const sched = new Float64Array(total);
  let n = 0;
  const channels = new Set<Channel>();
  const free: Channel[] = [];
  const meter = startMeter(target);
  const t0 = meter.t0;
  await new Promise<void>((resolve) => {
    let launched = 0;
    let inflight = 0;
    let finished = false;
    const maybeDone = (): void => {
      if (!finished && launched >= total && inflight === 0) {
        finished = true;
        clearInterval(timer);
        resolve();
      }
    };
    const one = async (scheduledAt: number): Promise<void> => {
      let ch = free.pop();
      if (!ch) {
        ch = openChannel(target.transport, target.endpoint, target.timeoutMs);
        channels.add(ch);
      }
      tally.sent++;
      const req = w.next();
      const t = performance.now();
      try {
        const reply = await ch.request(req.bytes);
        const end = performance.now();
        lat[n] = end - t;
        sched[n++] = end - scheduledAt;
        tally.reply(req, reply);
      } catch (e) {
        tally.transport(e);
      }
      free.push(ch);
    };
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * o.rate) / 1000) + 1);
      while (launched < due) {
        const scheduledAt = t0 + (launched * 1000) / o.rate;
        launched++;
        if (inflight >= o.maxInflight) {
          tally.skipped++;
          continue;
        }
        inflight++;
        void one(scheduledAt).finally(() => {
          inflight--;
          maybeDone();
        });
      }
      maybeDone();
    };
    const timer = setInterval(tick, 1);
    tick();
  });
  const m = stopMeter(meter, target);
  for (const c of channels) c.close();
  return {
    workload: w.name,
    mode: 'rate',
    targetRate: o.rate,
    ...counts(tally),
    tcpFallbacks: tcpFallbacks([...channels]),
    elapsedSec: m.elapsedSec,
    okPerSec: tally.ok / m.elapsedSec,
    okPerKdcCpuSec: perCpu(tally.ok, m),
    latencyMs: percentiles(lat.subarray(0, n)),
    scheduledLatencyMs: percentiles(sched.subarray(0, n)),
    clientCpuPct: m.clientCpuPct,
    serverCpuPct: m.serverCpuPct,
    otherCpuPct: m.otherCpuPct,
    listenOverflows: m.listenOverflows,
  };
}

function perCpu(ok: number, m: { elapsedSec: number; serverCpuPct?: number }): number | undefined {
  return m.serverCpuPct ? ok / ((m.serverCpuPct / 100) * m.elapsedSec) : undefined;
}

function counts(t: Tally): Pick<RunStats, 'sent' | 'ok' | 'krbErrors' | 'transportErrors' | 'verifyFailures' | 'verified' | 'skipped' | 'firstError'> {
  return {
    sent: t.sent,
    ok: t.ok,
    krbErrors: t.krbErrors,
    transportErrors: t.transportErrors,
    verifyFailures: t.verifyFailures,
    verified: t.verified,
    skipped: t.skipped,
    firstError: t.firstError,
  };
}

export function errorCount(s: RunStats): number {
  const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
  return sum(s.krbErrors) + sum(s.transportErrors) + s.verifyFailures;
}
