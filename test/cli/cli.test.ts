// The `authso` executable end to end, as scripts use it: a child process per command.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeKeytab } from '../../src/kerberos/keytab.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'authso.mjs');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function authso(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    input: opts.input ?? '',
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: Result): Result {
  assert.equal(r.code, 0, `exit ${r.code}; stderr: ${r.stderr}`);
  return r;
}

/** A failure: non-zero exit, exactly one line on stderr, no stack trace. */
function failsWithOneLine(r: Result, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected failure; stdout: ${r.stdout}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `stderr should be one line: ${JSON.stringify(r.stderr)}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.match(lines[0], pattern);
}

test('provision → users → SPNs → keytab → krb5conf through bin/authso.mjs', { timeout: 180_000 }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'authso-cli-'));
  const data = join(tmp, 'data');
  const dd = ['--data-dir', data];
  try {
    assert.ok(statSync(BIN).mode & 0o100, 'bin/authso.mjs is executable');
    const pwFile = join(tmp, 'admin.pw');
    await writeFile(pwFile, 'Admin-Passw0rd\n');

    const p = ok(authso(['provision', '--realm', 'EXAMPLE.TEST', '--netbios', 'EXAMPLE', '--admin-password-file', pwFile, ...dd]));
    assert.match(p.stdout, /provisioned domain EXAMPLE\.TEST \(NetBIOS EXAMPLE, SID S-1-5-21-\d+-\d+-\d+\)/);
    assert.equal(statSync(data).mode & 0o777, 0o700);
    assert.equal(statSync(join(data, 'authso.db')).mode & 0o777, 0o600);
    failsWithOneLine(authso(['provision', '--realm', 'EXAMPLE.TEST', ...dd]), /already holds a domain/);

    // Password on stdin (one line; the rest of the input is ignored).
    ok(authso(['user', 'create', 'alice', '--upn', 'alice@example.test', '--password-stdin', ...dd], { input: 'Secret123\nignored\n' }));
    // Password without a trailing newline, data dir from the environment.
    ok(authso(['user', 'create', 'bob', '--password-stdin'], { input: 'Secret123', env: { AUTHSO_DATA_DIR: data } }));
    failsWithOneLine(authso(['user', 'create', 'carol', ...dd]), /password is required/);
    failsWithOneLine(authso(['user', 'create', 'carol', '--password', 'Secret123', ...dd]), /unknown option '--password'/);
    failsWithOneLine(authso(['user', 'create', 'alice', '--password-stdin', ...dd], { input: 'Secret123\n' }), /already exists/);
    failsWithOneLine(authso(['user', 'create', 'carol', '--password-stdin', ...dd], { input: 'short\n' }), /shorter than/);
    failsWithOneLine(authso(['user', 'list']), /no data directory/);
    failsWithOneLine(authso(['user', 'list', '--data-dir', join(tmp, 'nothing')]), /no domain in/);

    const show = ok(authso(['user', 'show', 'alice', ...dd]));
    const alice = JSON.parse(show.stdout) as Record<string, unknown>;
    assert.equal(alice.samAccountName, 'alice');
    assert.equal(alice.rid, 1100);
    assert.equal(alice.userPrincipalName, 'alice@example.test');
    assert.equal(alice.enabled, true);
    assert.deepEqual(alice.memberOf, ['Domain Users', 'Users']);
    assert.deepEqual(alice.keys, {
      kvno: 1,
      etypes: ['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96', 'arcfour-hmac'],
      salt: 'EXAMPLE.TESTalice',
      previousKvnos: [],
    });
    // No secret material: not the NT hash (hex or base64), no key fields.
    const nt = 'a4f49c406510bdcab6824ee7c30fd852'; // NT hash of Secret123
    assert.ok(!show.stdout.includes(nt) && !show.stdout.includes(Buffer.from(nt, 'hex').toString('base64')));
    assert.doesNotMatch(show.stdout, /ntHash|"value"|secrets/);

    const list = ok(authso(['user', 'list', ...dd]));
    assert.deepEqual(list.stdout.trim().split('\n'), [
      'Administrator\tuser\t500\tenabled',
      'Guest\tuser\t501\tdisabled',
      'krbtgt\tkrbtgt\t502\tdisabled',
      'alice\tuser\t1100\tenabled',
      'bob\tuser\t1101\tenabled',
    ]);

    ok(authso(['user', 'disable', 'bob', ...dd]));
    assert.match(ok(authso(['user', 'list', '--kind', 'user', ...dd])).stdout, /bob\tuser\t1101\tdisabled/);
    ok(authso(['user', 'enable', 'bob', ...dd]));
    ok(authso(['user', 'unlock', 'bob', ...dd]));
    const newPw = join(tmp, 'bob.pw');
    await writeFile(newPw, 'Secret456\n');
    assert.match(ok(authso(['user', 'set-password', 'bob', '--password-file', newPw, ...dd])).stdout, /kvno 2/);
    failsWithOneLine(authso(['user', 'show', 'nobody', ...dd]), /no account named 'nobody'/);

    ok(authso(['group', 'create', 'Engineering', ...dd]));
    ok(authso(['group', 'create', 'WebAdmins', '--scope', 'domain-local', ...dd]));
    failsWithOneLine(authso(['group', 'create', 'X', '--scope', 'planet', ...dd]), /--scope/);
    ok(authso(['group', 'add-member', 'Engineering', 'alice', ...dd]));
    ok(authso(['group', 'add-member', 'WebAdmins', 'Engineering', ...dd]));
    failsWithOneLine(authso(['group', 'add-member', 'Engineering', 'alice', ...dd]), /already a member/);
    assert.deepEqual((JSON.parse(ok(authso(['user', 'show', 'alice', ...dd])).stdout) as { memberOf: string[] }).memberOf, [
      'Domain Users',
      'Engineering',
      'WebAdmins',
      'Users',
    ]);
    ok(authso(['group', 'remove-member', 'Engineering', 'alice', ...dd]));

    const c = ok(authso(['computer', 'create', 'web', ...dd]));
    assert.match(c.stdout, /created computer WEB\$ .*HOST\/WEB HOST\/web\.example\.test/);
    ok(authso(['spn', 'add', 'web', 'HTTP/web.example.test', ...dd]));
    failsWithOneLine(authso(['spn', 'add', 'alice', 'http/WEB.example.test', ...dd]), /already registered on account WEB\$/);
    assert.deepEqual(ok(authso(['spn', 'list', 'WEB$', ...dd])).stdout.trim().split('\n'), [
      'HOST/WEB',
      'HOST/web.example.test',
      'HTTP/web.example.test',
    ]);
    ok(authso(['spn', 'add', 'alice', 'HTTP/app.example.test', ...dd]));
    ok(authso(['spn', 'remove', 'alice', 'HTTP/app.example.test', ...dd]));
    assert.equal(ok(authso(['spn', 'list', 'alice', ...dd])).stdout, '');

    const kt = join(tmp, 'web.keytab');
    ok(authso(['keytab', 'export', '--principal', 'HTTP/web.example.test@EXAMPLE.TEST', '--out', kt, ...dd]));
    assert.equal(statSync(kt).mode & 0o777, 0o600);
    const entries = decodeKeytab(await readFile(kt));
    assert.deepEqual(
      entries.map((e) => [e.principal.components.join('/'), e.principal.realm, e.kvno, e.key.etype]),
      [
        ['HTTP/web.example.test', 'EXAMPLE.TEST', 1, 18],
        ['HTTP/web.example.test', 'EXAMPLE.TEST', 1, 17],
        ['HTTP/web.example.test', 'EXAMPLE.TEST', 1, 23],
      ],
    );
    if (!existsSync('/usr/bin/klist')) throw new Error('peer /usr/bin/klist is missing: install MIT krb5-user');
    const kl = spawnSync('/usr/bin/klist', ['-k', '-e', kt], { encoding: 'utf8' });
    assert.equal(kl.status, 0, kl.stderr);
    assert.match(kl.stdout, /1 HTTP\/web\.example\.test@EXAMPLE\.TEST \(aes256-cts-hmac-sha1-96\)/);
    const ktAlice = join(tmp, 'alice.keytab');
    ok(authso(['keytab', 'export', '--principal', 'alice', '--out', ktAlice, ...dd]));
    assert.deepEqual(decodeKeytab(await readFile(ktAlice)).map((e) => e.principal.components), [['alice'], ['alice'], ['alice']]);
    failsWithOneLine(authso(['keytab', 'export', '--principal', 'HTTP/none.example.test', '--out', join(tmp, 'x.kt'), ...dd]), /no account holds/);

    const conf = ok(authso(['krb5conf', ...dd])).stdout;
    assert.match(conf, /default_realm = EXAMPLE\.TEST/);
    assert.match(conf, /kdc = 127\.0\.0\.1:88/);
    const conf2 = ok(authso(['krb5conf', '--kdc', '10.0.0.1:88', '--kdc', 'kdc2.example.test:8888', ...dd])).stdout;
    assert.match(conf2, /kdc = 10\.0\.0\.1:88\n\s+kdc = kdc2\.example\.test:8888/);
    failsWithOneLine(authso(['krb5conf', '--kdc', 'nope', ...dd]), /expected HOST:PORT/);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('a bad command exits non-zero with one line on stderr', () => {
  failsWithOneLine(authso(['frobnicate']), /unknown command 'frobnicate'/);
  failsWithOneLine(authso(['user', 'create']), /missing required argument 'name'/);
  failsWithOneLine(authso(['provision', '--data-dir', '/tmp/x']), /required option '--realm <realm>' not specified/);
  const help = authso(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /provision/);
  assert.match(authso(['--version']).stdout, /^\d+\.\d+\.\d+/);
});
