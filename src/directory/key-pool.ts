// A pool of worker threads deriving account key material (./keys.ts keyMaterial: AES keys, NT
// hash, WDigest hashes) in parallel, for bulk account creation (Directory.createUsers). Key
// derivation is CPU-bound (PBKDF2-HMAC-SHA1 × 4096 iterations per password set, ≈ 2.5–3.6 ms),
// so one worker per core is what helps; the caller's thread stays free for the SQLite writes.
//
// The worker is ./key-worker.ts. Under tsx (the sources run directly, as bin/authso.mjs and
// the tests do) a worker does not inherit the TypeScript loader, so it starts from a small
// bootstrap that registers tsx's ESM hooks before importing the worker module; a build (tsc to
// .js) imports key-worker.js directly.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DirectoryError } from './errors.js';
import { keyMaterial } from './keys.js';
import type { KeyJob, KeyWorkerReply, KeyWorkerRequest } from './key-worker.js';
import type { NewKeyMaterial } from './store.js';

export type { KeyJob } from './key-worker.js';

/** Jobs per message: ~0.1 s of work, small enough to balance the workers, large enough to amortise messaging. */
const CHUNK = 32;

/** CommonJS bootstrap run with `eval: true`: register tsx (when running from .ts) and import the worker. */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((e) => setImmediate(() => { throw e; }));
`;

function workerEntry(): { entry: string; tsx?: string } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return { entry: new URL('./key-worker.ts', here).href, tsx: import.meta.resolve('tsx/esm/api') };
  }
  return { entry: new URL('./key-worker.js', here).href };
}

/** Turns what structured clone delivers (Uint8Array) back into Buffers, without copying. */
function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function revive(m: NewKeyMaterial): NewKeyMaterial {
  return {
    ntHash: asBuffer(m.ntHash),
    keys: m.keys.map((k) => ({ etype: k.etype, value: asBuffer(k.value) })),
    salt: m.salt,
    wdigest: m.wdigest === undefined ? undefined : asBuffer(m.wdigest),
  };
}

interface Task {
  id: number;
  jobs: KeyJob[];
  resolve: (r: NewKeyMaterial[]) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  task?: Task;
}

export interface KeyDerivationPoolOptions {
  /** Worker threads; default os.availableParallelism(). 0 derives on the calling thread. */
  size?: number;
}

export class KeyDerivationPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private failure: Error | undefined;
  private closed = false;

  constructor(opts: KeyDerivationPoolOptions = {}) {
    const size = opts.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 0 || size > 256) throw new RangeError('key derivation pool size must be an integer 0..256');
    this.size = size;
    if (size === 0) return;
    const workerData = workerEntry();
    for (let i = 0; i < size; i++) {
      // execArgv: [] so the worker does not inherit the parent's flags (--test, --import tsx...).
      const worker = new Worker(BOOTSTRAP, { eval: true, workerData, execArgv: [] });
      const slot: Slot = { worker };
      worker.on('message', (reply: KeyWorkerReply) => this.onReply(slot, reply));
      worker.on('error', (e) => this.fail(new Error(`key derivation worker failed: ${e.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`key derivation worker exited (code ${code})`));
      });
      // Idle workers do not keep the process alive (a forgotten close() does not hang it).
      worker.unref();
      this.slots.push(slot);
    }
  }

  /** The key material of each job, in order. */
  async derive(jobs: KeyJob[]): Promise<NewKeyMaterial[]> {
    if (this.closed) throw new DirectoryError('CLOSED', 'the key derivation pool is closed');
    if (this.failure) throw this.failure;
    if (this.size === 0) return jobs.map((j) => keyMaterial(j.password, j.salt, j.names));
    const parts: Array<Promise<NewKeyMaterial[]>> = [];
    for (let i = 0; i < jobs.length; i += CHUNK) {
      const chunk = jobs.slice(i, i + CHUNK);
      parts.push(new Promise((resolve, reject) => this.queue.push({ id: this.nextId++, jobs: chunk, resolve, reject })));
    }
    this.dispatch();
    return (await Promise.all(parts)).flat();
  }

  /** Stops the workers (pending derivations are rejected). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new DirectoryError('CLOSED', 'the key derivation pool is closed');
    for (const t of this.queue.splice(0)) t.reject(err);
    for (const s of this.slots) s.task?.reject(err);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.task || this.queue.length === 0) continue;
      const task = this.queue.shift() as Task;
      slot.task = task;
      slot.worker.ref();
      const req: KeyWorkerRequest = { id: task.id, jobs: task.jobs };
      slot.worker.postMessage(req);
    }
  }

  private onReply(slot: Slot, reply: KeyWorkerReply): void {
    const task = slot.task;
    if (!task || task.id !== reply.id) return;
    slot.task = undefined;
    slot.worker.unref();
    if ('error' in reply) task.reject(new Error(`key derivation failed: ${reply.error}`));
    else task.resolve(reply.results.map(revive));
    this.dispatch();
  }

  private fail(e: Error): void {
    if (this.failure || this.closed) return;
    this.failure = e;
    for (const t of this.queue.splice(0)) t.reject(e);
    for (const s of this.slots) {
      s.task?.reject(e);
      s.task = undefined;
    }
    void Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
