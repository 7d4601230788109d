// Capturing our own loopback traffic with tshark around a test body, so the capture can be
// dissected afterwards (a `[Malformed Packet]` or an expert error on our bytes is a bug).

import { spawn } from 'node:child_process';
import { requirePeer } from './peers.js';

export const TSHARK = requirePeer('/usr/bin/tshark');

/** Runs `body` while tshark writes packets matching the BPF `filter` on lo to `file`. */
export async function captureLoopback(filter: string, file: string, body: () => Promise<void>): Promise<void> {
  const child = spawn(TSHARK, ['-i', 'lo', '-f', filter, '-w', file, '-a', 'duration:120'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`tshark did not start: ${err}`)), 20_000);
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/Capturing on/.test(err)) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`tshark exited: ${err}`)));
  });
  // "Capturing on" comes slightly before packets are really captured.
  await new Promise((r) => setTimeout(r, 1000));
  try {
    await body();
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await done;
  }
}
