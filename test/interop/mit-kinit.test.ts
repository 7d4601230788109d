// MIT Kerberos clients against our KDC: kinit (password on stdin), klist, kvno, kinit -k -t
// with an exported keytab, renewal, wrong password, lockout, disabled accounts, UDP → TCP.

import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { exportKeytab } from '../../src/cli/keytab.js';
import { mitEnv, requirePeer, run } from '../helpers/peers.js';

const KINIT = requirePeer('/usr/bin/kinit');
const KLIST = requirePeer('/usr/bin/klist');
const KVNO = requirePeer('/usr/bin/kvno');

describe('MIT kinit/klist/kvno against the authso KDC', () => {
  let domain: RunningDomain;
  before(async () => {
    domain = await startDomain({
      realm: 'EXAMPLE.TEST',
      policy: { lockoutThreshold: 3, lockoutDuration: 1800, lockoutObservationWindow: 1800 },
      groups: [{ name: 'Engineering' }],
      users: [
        { name: 'alice', password: 'Alice-Passw0rd!', groups: ['Engineering'] },
        { name: 'carol', password: 'Carol-Passw0rd!' },
        { name: 'dave', password: 'Dave-Passw0rd!', disabled: true },
        { name: 'erin', password: 'Erin-Passw0rd!' },
      ],
      services: [{ computer: 'web', spns: ['HTTP/web.example.test'] }],
    });
  });
  after(async () => {
    await domain?.stop();
  });

  test('kinit with the right password, then klist and kvno', async () => {
    const m = await mitEnv(domain);
    const k = await run(KINIT, ['alice@EXAMPLE.TEST'], { env: m.env, input: 'Alice-Passw0rd!\n' });
    assert.equal(k.code, 0, k.stderr);
    const l = await run(KLIST, ['-e'], { env: m.env });
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /krbtgt\/EXAMPLE\.TEST@EXAMPLE\.TEST/);
    assert.match(l.stdout, /aes256-cts-hmac-sha1-96/);
    const v = await run(KVNO, ['HTTP/web.example.test@EXAMPLE.TEST'], { env: m.env });
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /HTTP\/web\.example\.test@EXAMPLE\.TEST: kvno = 1/);
  });

  test('the same over UDP first: a too-big reply makes kinit retry over TCP', async () => {
    const m = await mitEnv(domain);
    const trace = join(m.dir, 'trace.log');
    const env = { ...m.env, KRB5_TRACE: trace };
    const k = await run(KINIT, ['alice@EXAMPLE.TEST'], { env, input: 'Alice-Passw0rd!\n' });
    assert.equal(k.code, 0, k.stderr);
    const log = await readFile(trace, 'utf8');
    assert.match(log, /Sending initial UDP request/);
    assert.match(log, /too big for UDP; retrying with TCP/);
    assert.match(log, /Received answer \(\d+ bytes\) from stream/);
  });

  test('only TCP (udp_preference_limit = 1)', async () => {
    const m = await mitEnv(domain, '    udp_preference_limit = 1\n');
    const k = await run(KINIT, ['alice'], { env: m.env, input: 'Alice-Passw0rd!\n' });
    assert.equal(k.code, 0, k.stderr);
  });

  test('kinit -k -t with an exported keytab, by SPN and by account name', async () => {
    const m = await mitEnv(domain);
    const kt = join(m.dir, 'web.keytab');
    await writeFile(kt, await exportKeytab(domain.directory, 'HTTP/web.example.test'), { mode: 0o600 });
    const l = await run(KLIST, ['-k', '-e', kt], { env: m.env });
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /HTTP\/web\.example\.test@EXAMPLE\.TEST \(aes256-cts-hmac-sha1-96\)/);
    const k = await run(KINIT, ['-k', '-t', kt, 'HTTP/web.example.test@EXAMPLE.TEST'], { env: m.env });
    assert.equal(k.code, 0, k.stderr);
    const kt2 = join(m.dir, 'web-acct.keytab');
    await writeFile(kt2, await exportKeytab(domain.directory, 'WEB$'), { mode: 0o600 });
    const k2 = await run(KINIT, ['-k', '-t', kt2, 'WEB$@EXAMPLE.TEST'], { env: m.env });
    assert.equal(k2.code, 0, k2.stderr);
  });

  test('renewal with kinit -R', async () => {
    const m = await mitEnv(domain);
    const k = await run(KINIT, ['-r', '2d', 'alice'], { env: m.env, input: 'Alice-Passw0rd!\n' });
    assert.equal(k.code, 0, k.stderr);
    const r = await run(KINIT, ['-R'], { env: m.env });
    assert.equal(r.code, 0, r.stderr);
    const l = await run(KLIST, ['-f'], { env: m.env });
    assert.match(l.stdout, /renew until/);
    assert.match(l.stdout, /Flags: [A-Za-z]*R/);
  });

  test('a wrong password is reported as such', async () => {
    const m = await mitEnv(domain);
    const k = await run(KINIT, ['erin'], { env: m.env, input: 'not-the-password\n' });
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /Password incorrect/);
  });

  test('after the lockout threshold the account is revoked, even with the right password', async () => {
    const m = await mitEnv(domain);
    for (let i = 0; i < 3; i++) {
      const k = await run(KINIT, ['carol'], { env: m.env, input: 'wrong\n' });
      assert.match(k.stderr, /Password incorrect/);
    }
    const k = await run(KINIT, ['carol'], { env: m.env, input: 'Carol-Passw0rd!\n' });
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /revoked/);
    await domain.directory.unlockAccount('carol');
    const k2 = await run(KINIT, ['carol'], { env: m.env, input: 'Carol-Passw0rd!\n' });
    assert.equal(k2.code, 0, k2.stderr);
  });

  test('a disabled account is refused', async () => {
    const m = await mitEnv(domain);
    const k = await run(KINIT, ['dave'], { env: m.env, input: 'Dave-Passw0rd!\n' });
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /revoked/);
  });

  test('an unknown user is reported as not found', async () => {
    const m = await mitEnv(domain);
    const k = await run(KINIT, ['nobody'], { env: m.env, input: 'x\n' });
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /not found in Kerberos database/);
  });
});
