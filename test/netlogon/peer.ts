// A long-lived impacket peer (impacket_nrpc.py): one JSON request per line, one answer per line.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'impacket_nrpc.py');

export type Json = Record<string, unknown>;

export class ImpacketPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly lines: string[] = [];
  private stderr = '';
  private exited = false;

  private constructor() {
    this.child = spawn('/usr/bin/python3', [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.on('exit', () => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ fatal: `impacket peer exited: ${this.stderr}` }));
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (w) w(line);
      else this.lines.push(line);
    });
  }

  private next(): Promise<Json> {
    const parse = (l: string): Json => JSON.parse(l) as Json;
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(parse(l));
    if (this.exited) return Promise.resolve({ fatal: `impacket peer exited: ${this.stderr}` });
    return new Promise((resolve) => this.waiting.push((line) => resolve(parse(line))));
  }

  /** Starts the peer; throws (the test fails) when /usr/bin/python3 has no impacket. */
  static async start(): Promise<ImpacketPeer> {
    const p = new ImpacketPeer();
    const hello = await p.next();
    if (hello.ready !== true) throw new Error(`impacket peer did not start: ${JSON.stringify(hello)} ${p.stderr}`);
    return p;
  }

  async call(op: string, args: Json = {}): Promise<Json> {
    this.child.stdin.write(`${JSON.stringify({ op, ...args })}\n`);
    const r = await this.next();
    if (r.error !== undefined || r.fatal !== undefined) throw new Error(`impacket ${op}: ${String(r.error ?? r.fatal)}`);
    return r.ok as Json;
  }

  close(): void {
    this.child.stdin.end();
  }
}
