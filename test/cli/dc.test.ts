// `authso dc` as an operator runs it: provision with the CLI, start the DC, wait for the ready
// line, use it with MIT kinit, see the audit lines, stop it with SIGTERM.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { IMPACKET_EXAMPLES, requirePeer, run, SYSTEM_PYTHON } from '../helpers/peers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'authso.mjs');
const KINIT = requirePeer('/usr/bin/kinit');
const RPCDUMP = requirePeer(join(IMPACKET_EXAMPLES, 'rpcdump.py'));
// rpcdump.py only talks to port 135, so this DC gets its own loopback address.
const HOST = '127.0.0.90';

function authso(args: string[], input = ''): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('authso dc: ready line, kinit works, impacket rpcdump lists Netlogon, audit lines, clean stop on SIGTERM', { timeout: 120_000 }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'authso-dc-'));
  const dd = ['--data-dir', join(tmp, 'data')];
  authso(['provision', '--realm', 'EXAMPLE.TEST', '--netbios', 'EXAMPLE', ...dd]);
  authso(['user', 'create', 'alice', '--password-stdin', ...dd], 'Alice-Passw0rd!\n');

  const dc = spawn(process.execPath, [BIN, 'dc', '--listen', HOST, '--kdc-port', '0', '--epm-port', '135', ...dd], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  dc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: dc.stdout });
  const events: Record<string, unknown>[] = [];
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    lines.on('line', (l) => {
      const e = JSON.parse(l) as Record<string, unknown>;
      events.push(e);
      if (e.event === 'ready') resolve(e);
    });
    dc.on('exit', (code) => reject(new Error(`dc exited ${code}: ${stderr}`)));
  });
  const exited = new Promise<number | null>((r) => dc.on('exit', (code) => r(code)));
  try {
    const r = await ready;
    const kdc = (r.kdc as { tcp: string }).tcp;
    assert.match(kdc, /^127\.0\.0\.90:\d+$/);
    assert.equal(r.epm, `${HOST}:135`);
    const netlogon = r.netlogon as string;
    const dump = await run(SYSTEM_PYTHON, [RPCDUMP, HOST], { env: { PATH: process.env.PATH, HOME: tmp } });
    assert.equal(dump.code, 0, dump.stdout + dump.stderr);
    assert.match(dump.stdout, /12345678-1234-ABCD-EF00-01234567CFFB v1\.0/i);
    assert.ok(dump.stdout.includes(`ncacn_ip_tcp:${netlogon.replace(':', '[')}]`), dump.stdout);
    const conf = join(tmp, 'krb5.conf');
    await writeFile(conf, authso(['krb5conf', '--kdc', kdc, ...dd]));
    const env = { PATH: process.env.PATH, KRB5_CONFIG: conf, KRB5CCNAME: `FILE:${join(tmp, 'cc')}` };
    const k = await run(KINIT, ['alice'], { env, input: 'Alice-Passw0rd!\n' });
    assert.equal(k.code, 0, k.stderr);
    const bad = await run(KINIT, ['alice'], { env, input: 'wrong\n' });
    assert.notEqual(bad.code, 0);
    await new Promise((res) => setTimeout(res, 200));
    assert.ok(events.some((e) => e.event === 'as' && e.result === 'ok' && e.client === 'alice@EXAMPLE.TEST' && e.etype === 18));
    assert.ok(events.some((e) => e.event === 'as' && e.result === 'error' && e.code === 24));
    assert.ok(!JSON.stringify(events).includes('Passw0rd'), 'no secret in the audit lines');
  } finally {
    dc.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
  assert.deepEqual(events.at(-1), { event: 'stopped' });
});
