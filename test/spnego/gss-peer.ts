// A python3-gssapi (MIT) SPNEGO initiator in a child process (fixtures/gssapi_spnego_peer.py),
// spoken to one JSON line at a time.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SYSTEM_PYTHON } from '../helpers/peers.js';

const PEER = fileURLToPath(new URL('./fixtures/gssapi_spnego_peer.py', import.meta.url));

export type Reply = { error?: string; token?: string; complete?: boolean; data?: string; mech?: string | null; peer?: string | null; flags?: number };

/** One python3-gssapi initiator process, spoken to one JSON line at a time. */
export class GssPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: ((line: string) => void)[] = [];
  private stderr = '';

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(SYSTEM_PYTHON, [PEER], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (l) => this.pending.shift()?.(l));
  }

  async call(req: Record<string, unknown>): Promise<Reply> {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`python3-gssapi peer did not answer ${String(req.op)}: ${this.stderr}`)), 20_000);
      this.pending.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
      this.child.stdin.write(JSON.stringify(req) + '\n');
    });
    const r = JSON.parse(line) as Reply;
    if (r.error && /No module named 'gssapi'/.test(r.error)) throw new Error('python3-gssapi is missing: run npm run peers');
    return r;
  }

  async ok(req: Record<string, unknown>): Promise<Reply> {
    const r = await this.call(req);
    assert.equal(r.error, undefined, `${String(req.op)}: ${r.error} ${this.stderr}`);
    return r;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

export const b64 = (b: Buffer) => b.toString('base64');
export const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64');

