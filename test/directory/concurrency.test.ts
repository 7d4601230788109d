// Several processes on one database: lockout counting under concurrent bad passwords, and
// durability of acknowledged changes across a SIGKILL.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Directory } from '../../src/directory/directory.js';
import { provisioned } from './fixtures/tmp.js';

const WORKER = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function startWorker(args: string[]): { child: ChildProcessWithoutNullStreams; lines: AsyncIterator<string>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const queue: string[] = [];
  const waiters: Array<(v: IteratorResult<string>) => void> = [];
  let buf = '';
  let ended = false;
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiters.shift();
      if (w) w({ value: line, done: false });
      else queue.push(line);
    }
  });
  child.on('close', () => {
    ended = true;
    for (const w of waiters.splice(0)) w({ value: undefined, done: true });
  });
  const lines: AsyncIterator<string> = {
    next: () =>
      new Promise((resolve) => {
        const l = queue.shift();
        if (l !== undefined) resolve({ value: l, done: false });
        else if (ended) resolve({ value: undefined, done: true });
        else waiters.push(resolve);
      }),
  };
  return { child, lines, stderr: () => err };
}

async function expectLine(w: ReturnType<typeof startWorker>, expected: string): Promise<void> {
  const r = await w.lines.next();
  assert.equal(r.value, expected, `worker said ${JSON.stringify(r.value)}; stderr: ${w.stderr()}`);
}

test('concurrent bad passwords from 4 processes are all counted', { timeout: 120_000 }, async () => {
  const { dir, path, cleanup } = await provisioned({ lockoutThreshold: 1_000_000, lockoutObservationWindow: 86400, lockoutDuration: 0 });
  try {
    const { rid } = await dir.createUser('target', { password: 'Secret123' });
    const PROCS = 4;
    const EACH = 60;
    const workers = Array.from({ length: PROCS }, () => startWorker(['bad', path, String(rid), String(EACH)]));
    for (const w of workers) await expectLine(w, 'ready');
    for (const w of workers) w.child.stdin.write('go\n');
    // Meanwhile this process hammers too, through two more Directory instances.
    const others = await Promise.all([Directory.openSqlite(path), Directory.openSqlite(path)]);
    await Promise.all(others.map(async (o) => {
      for (let i = 0; i < EACH; i++) await o.recordBadPassword(rid, new Date());
    }));
    for (const w of workers) await expectLine(w, 'done');
    await Promise.all(others.map((o) => o.close()));
    const a = await dir.getAccount('target');
    assert.equal(a.badPwdCount, (PROCS + 2) * EACH);
  } finally {
    await cleanup();
  }
});

test('concurrent bad passwords lock at exactly the threshold', { timeout: 120_000 }, async () => {
  const { dir, path, cleanup } = await provisioned({ lockoutThreshold: 50, lockoutObservationWindow: 86400, lockoutDuration: 0 });
  try {
    const { rid } = await dir.createUser('target', { password: 'Secret123' });
    const workers = Array.from({ length: 3 }, () => startWorker(['bad', path, String(rid), '30']));
    for (const w of workers) await expectLine(w, 'ready');
    for (const w of workers) w.child.stdin.write('go\n');
    for (const w of workers) await expectLine(w, 'done');
    const a = await dir.getAccount('target');
    // 90 attempts, but once locked nothing more is counted.
    assert.equal(a.badPwdCount, 50);
    assert.ok(a.lockoutTime instanceof Date);
  } finally {
    await cleanup();
  }
});

test('acknowledged changes survive SIGKILL of the writing process', { timeout: 60_000 }, async () => {
  const { dir, path, cleanup } = await provisioned();
  try {
    const w = startWorker(['crash', path]);
    await expectLine(w, 'ready');
    const closed = new Promise((resolve) => w.child.on('close', resolve));
    w.child.kill('SIGKILL');
    await closed;
    // The fresh view: a new Directory on the file the killed process wrote.
    const again = await Directory.openSqlite(path);
    try {
      const a = await again.getAccount('durable');
      assert.deepEqual(a.servicePrincipalNames, ['HTTP/durable.example.test']);
      assert.equal(a.badPwdCount, 1, 'bad password after the reset');
      const p = await again.findService(['HTTP', 'durable.example.test']);
      assert.equal(p?.secrets.current.kvno, 2);
      assert.deepEqual(p?.secrets.previous.map((k) => k.kvno), [1]);
      // Logon statistics were only in the killed process's memory (flushed every few seconds).
      assert.equal(a.logonCount, 0);
    } finally {
      await again.close();
    }
  } finally {
    await cleanup();
  }
  void dir;
});

test('close() flushes pending logon statistics', async () => {
  const { dir, path, cleanup } = await provisioned();
  try {
    const a = await dir.createUser('alice', { password: 'Secret123' });
    const other = await Directory.openSqlite(path);
    for (let i = 0; i < 5; i++) await other.recordSuccessfulLogon(a.rid, new Date());
    await other.close();
    assert.equal((await dir.getAccount('alice')).logonCount, 5);
  } finally {
    await cleanup();
  }
});
