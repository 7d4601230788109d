// HTTP Digest (RFC 7616 / MS-DPSP) against the HTTP authenticator with the DC's
// DirectoryAuthority (MS-APDS 3.3 on the DC itself): curl --digest, python-requests'
// HTTPDigestAuth, lockout through the directory, nc replay, stale nonces, hostile headers.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { digestHa1, requestDigest } from '../../src/digest/index.js';
import { requirePeer, run, SYSTEM_PYTHON } from '../helpers/peers.js';
import { HOST, PASSWORDS, startHttpFixture, type HttpFixture } from './fixture.js';

const PYTHON = requirePeer(SYSTEM_PYTHON);
const SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), 'digest_client.py');
const LIFETIME_MS = 1500;

interface Reply {
  status: number;
  headers: Record<string, string[] | undefined>;
}

function get(port: number, path: string, authorization?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: `${HOST}:${port}` };
    if (authorization !== undefined) headers.Authorization = authorization;
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headersDistinct }));
    });
    req.on('error', reject);
    req.end();
  });
}

function digestChallenge(r: Reply): Record<string, string> {
  const all = r.headers['www-authenticate'] ?? [];
  const d = all.find((h) => h.startsWith('Digest '));
  assert.ok(d, `no Digest challenge in ${JSON.stringify(all)}`);
  const out: Record<string, string> = {};
  for (const m of d.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) out[m[1]] = m[2] ?? m[3];
  return out;
}

function authorization(c: Record<string, string>, user: string, password: string, path: string, nc: string, cnonce = 'abcdef0123'): string {
  const ha1 = digestHa1(user, c.realm, password);
  const response = requestDigest(ha1, { nonce: c.nonce, nc, cnonce, qop: 'auth' }, 'GET', path);
  return `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${path}", algorithm=MD5, response="${response}", qop=auth, nc=${nc}, cnonce="${cnonce}", opaque="${c.opaque}"`;
}

describe('HTTP Digest against the DC (DirectoryAuthority)', () => {
  let f: HttpFixture;
  before(async () => {
    f = await startHttpFixture({ mechanisms: ['Negotiate', 'NTLM', 'Digest'], digestNonceLifetimeMs: LIFETIME_MS });
  });
  after(async () => {
    await f?.stop();
  });

  test('the 401 offers Digest (realm, qop=auth, MD5, nonce, opaque) next to the others', async () => {
    const r = await f.curl(['-D', '-', f.url('/private/x')]);
    assert.equal(r.status, 401);
    assert.match(r.stdout, /^WWW-Authenticate: Negotiate\r?$/im);
    assert.match(r.stdout, /^WWW-Authenticate: Digest realm="example\.test", qop="auth", algorithm=MD5, nonce="[A-Za-z0-9_-]{43}", opaque="[0-9a-f]{32}"\r?$/im);
  });

  test('curl --digest: 200 as EXAMPLE\\alice, with Authentication-Info rspauth', async () => {
    const r = await f.curl(['--digest', '-u', `alice:${PASSWORDS.alice}`, '-D', '-', f.url('/private/x?a=1')]);
    assert.equal(r.status, 200, r.stdout + r.stderr);
    assert.match(r.stdout, /^Authentication-Info: rspauth="[0-9a-f]{32}", qop=auth, nc=00000001, cnonce="[^"]+"\r?$/im);
    const line = f.audit.map((l) => JSON.parse(l) as Record<string, unknown>).find((a) => a.mechanism === 'Digest' && a.result === 'success');
    assert.equal(line?.user, 'EXAMPLE\\alice');
    assert.ok(!f.audit.join('\n').includes(PASSWORDS.alice));
  });

  test('the rspauth is the one RFC 7616 3.5 defines', async () => {
    const c = digestChallenge(await get(f.httpPort, '/private/r'));
    const ok = await get(f.httpPort, '/private/r', authorization(c, 'alice', PASSWORDS.alice, '/private/r', '00000001'));
    assert.equal(ok.status, 200);
    const want = requestDigest(digestHa1('alice', c.realm, PASSWORDS.alice), { nonce: c.nonce, nc: '00000001', cnonce: 'abcdef0123', qop: 'auth' }, '', '/private/r');
    assert.match(String(ok.headers['authentication-info']?.[0]), new RegExp(`rspauth="${want}"`));
  });

  test('the access check applies: 403 for alice on /admins, 200 for bob', async () => {
    assert.equal((await f.curl(['--digest', '-u', `alice:${PASSWORDS.alice}`, f.url('/admins/x')])).status, 403);
    assert.equal((await f.curl(['--digest', '-u', `bob:${PASSWORDS.bob}`, f.url('/admins/x')])).status, 200);
  });

  test('wrong password: 401, counted; after the threshold the right password fails too', async () => {
    for (let i = 0; i < 3; i++) {
      const bad = await f.curl(['--digest', '-u', 'carol:wrong', f.url('/private/x')]);
      assert.equal(bad.status, 401);
    }
    const account = await f.domain.directory.getAccount('carol');
    assert.ok(account?.lockoutTime, 'carol locked out');
    const locked = await f.curl(['--digest', '-u', `carol:${PASSWORDS.carol}`, f.url('/private/x')]);
    assert.equal(locked.status, 401);
    assert.ok(f.audit.some((l) => l.includes('ntstatus=0xc0000234')), 'STATUS_ACCOUNT_LOCKED_OUT audited');
    await f.domain.directory.unlockAccount('carol');
    assert.equal((await f.curl(['--digest', '-u', `carol:${PASSWORDS.carol}`, f.url('/private/x')])).status, 200);
  });

  test('a replayed nc is refused; a higher nc on the same nonce is accepted', async () => {
    const c = digestChallenge(await get(f.httpPort, '/private/n'));
    const h1 = authorization(c, 'alice', PASSWORDS.alice, '/private/n', '00000001');
    assert.equal((await get(f.httpPort, '/private/n', h1)).status, 200);
    const replay = await get(f.httpPort, '/private/n', h1);
    assert.equal(replay.status, 401);
    assert.doesNotMatch(digestChallenge(replay).stale ?? '', /true/);
    assert.equal((await get(f.httpPort, '/private/n', authorization(c, 'alice', PASSWORDS.alice, '/private/n', '00000002'))).status, 200);
    // Replays never reach the DC, so they do not count as bad passwords.
    assert.equal((await f.domain.directory.getAccount('alice'))?.badPwdCount, 0);
  });

  test('an expired nonce: 401 with stale=true, and the client retries with the new nonce', async () => {
    const c = digestChallenge(await get(f.httpPort, '/private/s'));
    await new Promise((r) => setTimeout(r, LIFETIME_MS + 200));
    const stale = await get(f.httpPort, '/private/s', authorization(c, 'alice', PASSWORDS.alice, '/private/s', '00000001'));
    assert.equal(stale.status, 401);
    assert.equal(digestChallenge(stale).stale, 'true');
    // curl starts every transfer unauthenticated, so it never presents an old nonce; python-requests
    // reuses its nonce (nc=2) on the next request, meets stale=true and retries on its own.
    const seen = f.audit.filter((l) => l.includes('Digest nonce stale')).length;
    const env = { PATH: process.env.PATH, LANG: 'C' };
    const r = await run(PYTHON, [SCRIPT, f.url('/private/s1'), 'alice', PASSWORDS.alice, `${HOST}:127.0.0.1`, String((LIFETIME_MS + 300) / 1000)], { env });
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], '200', r.stdout + r.stderr);
    assert.equal(lines[lines.length - 1], '200', r.stdout + r.stderr);
    assert.ok(f.audit.filter((l) => l.includes('Digest nonce stale')).length > seen, 'the second request met a stale nonce');
    // And curl's own --digest goes through after a stale re-challenge like any other.
    assert.equal((await f.curl(['--digest', '-u', `alice:${PASSWORDS.alice}`, f.url('/private/s2')])).status, 200);
  });

  test('the uri must be the request target (RFC 7616 3.4.6): 400 otherwise', async () => {
    const c = digestChallenge(await get(f.httpPort, '/private/u'));
    const r = await get(f.httpPort, '/private/u', authorization(c, 'alice', PASSWORDS.alice, '/private/other', '00000001'));
    assert.equal(r.status, 400);
  });

  test('hostile Digest headers: 400/401, and the server keeps serving', async () => {
    const c = digestChallenge(await get(f.httpPort, '/private/h'));
    const good = authorization(c, 'alice', PASSWORDS.alice, '/private/h', '00000001');
    const cases: Array<[string, number[]]> = [
      ['Digest', [400]],
      ['Digest ', [400]],
      [`Digest username="${'a'.repeat(60_000)}"`, [400]],
      ['Digest username="alice"', [400]],
      [good.replace('nc=00000001', 'nc=zz'), [400]],
      [good.replace('nc=00000001', 'nc=00000000'), [400]],
      [good.replace('qop=auth', 'qop=auth-int'), [400]],
      [good.replace(/response="[0-9a-f]+"/, 'response="xyz"'), [400]],
      [good.replace(/nonce="[^"]+"/, 'nonce="forged"'), [401]],
      [good.replace(/opaque="[^"]+"/, 'opaque="other"'), [401]],
      [good.replace(/realm="[^"]+"/, 'realm="elsewhere"'), [401]],
      [good.replace('username="alice"', 'username="nobody"'), [401]],
      ['Digest username="alice", username="bob"', [400]],
      ['Digest username="unterminated', [400]],
      [`Digest ${'x=1,'.repeat(5000)}`, [400]],
    ];
    for (const [h, want] of cases) {
      const r = await get(f.httpPort, '/private/h', h);
      assert.ok(want.includes(r.status), `${h.slice(0, 80)} → ${r.status}`);
    }
    assert.equal((await get(f.httpPort, '/private/h', good)).status, 200);
    assert.equal((await f.curl(['--digest', '-u', `alice:${PASSWORDS.alice}`, f.url('/private/h2')])).status, 200);
  });

  test('python-requests HTTPDigestAuth: 200, 401 with a wrong password', async () => {
    const env = { PATH: process.env.PATH, LANG: 'C' };
    const ok = await run(PYTHON, [SCRIPT, f.url('/private/py'), 'erin', PASSWORDS.erin, `${HOST}:127.0.0.1`], { env });
    assert.equal(ok.code, 0, ok.stderr);
    const [status, info, body] = ok.stdout.split('\n');
    assert.equal(status, '200', ok.stdout + ok.stderr);
    assert.match(info, /^rspauth="[0-9a-f]{32}"/);
    assert.match(body, /"mechanism":"Digest"/);
    assert.match(body, /"user":"EXAMPLE\\\\erin"/);
    const bad = await run(PYTHON, [SCRIPT, f.url('/private/py'), 'erin', 'wrong', `${HOST}:127.0.0.1`], { env });
    assert.equal(bad.stdout.split('\n')[0], '401', bad.stdout + bad.stderr);
  });
});
