// `authso user import --file FILE`: bulk user creation from JSON lines, end to end through
// bin/authso.mjs (a child process per command, keys derived on worker threads in it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Directory } from '../../src/directory/directory.js';
import { keyMaterial, saltFor } from '../../src/directory/keys.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'authso.mjs');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function authso(args: string[], opts: { input?: string } = {}): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    input: opts.input ?? '',
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: Result): Result {
  assert.equal(r.code, 0, `exit ${r.code}; stderr: ${r.stderr}`);
  assert.equal(r.stderr, '');
  return r;
}

/** A failure: non-zero exit, exactly one line on stderr, no stack trace, no password. */
function failsWithOneLine(r: Result, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected failure; stdout: ${r.stdout}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `stderr should be one line: ${JSON.stringify(r.stderr)}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.doesNotMatch(r.stderr, /Imp0rt-pass|tiny/, 'no password in the error');
  assert.match(lines[0], pattern);
  assert.equal(r.stdout, '');
}

const line = (o: Record<string, unknown>) => JSON.stringify(o);

test('user import: JSON lines from a file and from stdin; bad lines and duplicates fail with the line number', { timeout: 240_000 }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'authso-import-'));
  const data = join(tmp, 'data');
  const dd = ['--data-dir', data];
  try {
    const pwFile = join(tmp, 'admin.pw');
    await writeFile(pwFile, 'Admin-Passw0rd\n');
    ok(authso(['provision', '--realm', 'EXAMPLE.TEST', '--netbios', 'EXAMPLE', '--admin-password-file', pwFile, ...dd]));
    ok(authso(['user', 'create', 'alice', '--password-stdin', ...dd], { input: 'Secret123\n' }));

    // 40 users (enough for createUsers to use its worker threads), a blank line, CRLF endings.
    const users = Array.from({ length: 40 }, (_, i) => ({ name: `u${i}`, password: `Imp0rt-pass-${i}`, upn: `u${i}@corp.example` }));
    const file = join(tmp, 'users.jsonl');
    await writeFile(file, `${users.slice(0, 20).map(line).join('\n')}\n\n${users.slice(20).map(line).join('\r\n')}\n`);
    const r = ok(authso(['user', 'import', '--file', file, ...dd]));
    assert.match(r.stdout, /^imported 40 users in \d+\.\d s\n$/);

    // stdin, with the optional fields.
    const stdinLines = [
      line({ name: 'v1', password: 'Imp0rt-pass-v1', displayName: 'V One' }),
      line({ name: 'v2', password: 'Imp0rt-pass-v2', mustChangePassword: true }),
    ];
    assert.match(ok(authso(['user', 'import', '--file', '-', ...dd], { input: `${stdinLines.join('\n')}\n` })).stdout, /^imported 2 users in \d+\.\d s\n$/);

    const show = JSON.parse(ok(authso(['user', 'show', 'u7', ...dd])).stdout) as Record<string, unknown>;
    assert.equal(show.userPrincipalName, 'u7@corp.example');
    assert.deepEqual(show.memberOf, ['Domain Users', 'Users']);
    assert.equal((JSON.parse(ok(authso(['user', 'show', 'v2', ...dd])).stdout) as Record<string, unknown>).pwdLastSet, null);

    const before = ok(authso(['user', 'list', ...dd])).stdout;
    const tryImport = async (rows: string[], pattern: RegExp) => {
      await writeFile(file, `${rows.join('\n')}\n`);
      failsWithOneLine(authso(['user', 'import', '--file', file, ...dd]), pattern);
    };
    const good = (n: string) => line({ name: n, password: 'Imp0rt-pass-x' });
    await tryImport([good('w1'), good('w2'), '{"name": "w3", "password": "Imp0rt-pass-x"', good('w4')], /^authso: line 3: not valid JSON/);
    await tryImport([good('w1'), '', '["w2"]'], /^authso: line 3: not a JSON object$/);
    await tryImport([good('w1'), line({ name: 'w2' })], /^authso: line 2: 'password' is missing$/);
    await tryImport([good('w1'), line({ name: 'w2', password: 'Imp0rt-pass-x', pasword: 'Imp0rt-pass-x' })], /^authso: line 2: unknown field 'pasword'/);
    await tryImport([good('w1'), line({ name: 'w2', password: 'Imp0rt-pass-x', mustChangePassword: 'yes' })], /^authso: line 2: 'mustChangePassword' must be a boolean$/);
    await tryImport([good('w1'), line({ name: 'w2', password: 'tiny' })], /^authso: line 2 \(w2\): password is shorter than/);
    await tryImport([good('w1'), line({ name: 'bad/name', password: 'Imp0rt-pass-x' })], /^authso: line 2 \(bad\/name\): /);
    // Duplicates: within the file (case-insensitive) and with an existing account.
    await tryImport([good('w1'), good('w2'), '', good('W1')], /^authso: line 4 \(W1\): the name 'W1' appears more than once in the input$/);
    await tryImport([good('w1'), good('ALICE')], /^authso: line 2 \(ALICE\): an account or group named 'ALICE' already exists$/);
    await tryImport([good('w1'), line({ name: 'w2', password: 'Imp0rt-pass-x', upn: 'u3@CORP.example' })], /^authso: line 2 \(w2\): userPrincipalName 'u3@CORP.example' is already used by u3$/);
    // Nothing of a failed import was written.
    assert.equal(ok(authso(['user', 'list', ...dd])).stdout, before);

    failsWithOneLine(authso(['user', 'import', '--file', join(tmp, 'missing.jsonl'), ...dd]), /^authso: cannot read .*missing\.jsonl: ENOENT$/);
    const noFile = authso(['user', 'import', ...dd]);
    assert.notEqual(noFile.code, 0);
    assert.match(noFile.stderr, /--file/);
    await writeFile(file, '');
    assert.match(ok(authso(['user', 'import', '--file', file, ...dd])).stdout, /^imported 0 users in /);

    // The keys are those of a password set through createUser.
    const dir = await Directory.openSqlite(data);
    try {
      for (const u of [users[0], users[39]]) {
        const p = await dir.findClient(u.name);
        assert.ok(p);
        const expected = keyMaterial(u.password, saltFor('user', 'EXAMPLE.TEST', u.name, 'example.test'), {
          sam: u.name,
          upn: u.upn,
          domain: { netbiosName: 'EXAMPLE', dnsName: 'example.test' },
        });
        assert.deepEqual(p.secrets.current.keys, expected.keys);
        assert.deepEqual(p.secrets.ntHash, expected.ntHash);
        assert.deepEqual(p.secrets.wdigest, expected.wdigest);
        assert.equal(p.secrets.current.kvno, 1);
      }
      assert.equal((await dir.listAccounts('user')).length, 2 + 1 + 40 + 2);
    } finally {
      await dir.close();
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
