// curl against the HTTP authenticator (MS-AUTHSO 5.4.5): Negotiate with an MIT ticket
// (RFC 4559, mutual authentication), NTLM, Basic over TLS only, the access check (403) and
// lockout through the domain.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HOST, PASSWORDS, kinit, startHttpFixture, type HttpFixture } from './fixture.js';

describe('curl against the HTTP authenticator', () => {
  let f: HttpFixture;
  before(async () => {
    f = await startHttpFixture();
  });
  after(async () => {
    await f?.stop();
  });

  test('an anonymous resource needs nothing', async () => {
    const r = await f.curl([f.url('/public/x')]);
    assert.equal(r.status, 200, r.stderr);
  });

  test('no credentials: 401 with Negotiate and NTLM offered, Basic not over plain http', async () => {
    const r = await f.curl(['-D', '-', f.url('/private/x')]);
    assert.equal(r.status, 401);
    assert.match(r.stdout, /^WWW-Authenticate: Negotiate\r?$/im);
    assert.match(r.stdout, /^WWW-Authenticate: NTLM\r?$/im);
    assert.doesNotMatch(r.stdout, /Basic/i);
  });

  test('curl --negotiate with a kinit ticket: 200, and curl accepts the mutual-auth token', async () => {
    const m = await f.mit();
    await kinit(m, 'alice');
    const r = await f.curl(['--fail', '-v', '--negotiate', '-u', ':', '-D', '-', f.url('/private/x')], m.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.status, 200, r.stderr);
    // RFC 4559 5: the 200 carries the AP-REP inside the final SPNEGO token.
    assert.match(r.stdout, /^WWW-Authenticate: Negotiate [A-Za-z0-9+/=]{20,}\r?$/im);
    const line = f.audit.map((l) => JSON.parse(l) as Record<string, unknown>).find((a) => a.mechanism === 'Negotiate' && a.result === 'success');
    assert.ok(line, f.audit.join('\n'));
    assert.equal(line.resource, '/private/x');
    assert.doesNotMatch(f.audit.join('\n'), /Alice-Passw0rd/);
  });

  test('curl --negotiate without a ticket: 401', async () => {
    const m = await f.mit();
    const r = await f.curl(['--negotiate', '-u', ':', f.url('/private/x')], m.env);
    assert.equal(r.status, 401);
  });

  test('the request continues with the caller identity (Negotiate)', async () => {
    const m = await f.mit();
    await kinit(m, 'alice');
    const { run } = await import('../helpers/peers.js');
    const r = await run('/usr/bin/curl', ['-sS', '--resolve', `${HOST}:${f.httpPort}:127.0.0.1`, '--negotiate', '-u', ':', f.url('/private/who')], { env: m.env });
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(r.stdout) as { user: string; mechanism: string; anonymous: boolean };
    assert.deepEqual(body.user.toLowerCase(), 'example\\alice');
    assert.equal(body.mechanism, 'Negotiate');
    assert.equal(body.anonymous, false);
  });

  test('curl --ntlm with the right password: 200; wrong password: 401', async () => {
    const ok = await f.curl(['--ntlm', '-u', `alice:${PASSWORDS.alice}`, f.url('/private/x')]);
    assert.equal(ok.status, 200, ok.stderr);
    const bad = await f.curl(['--ntlm', '-u', 'alice:wrong-password', f.url('/private/x')]);
    assert.equal(bad.status, 401);
  });

  test('NTLM lockout: after the threshold the right password fails too', async () => {
    for (let i = 0; i < 3; i++) {
      const bad = await f.curl(['--ntlm', '-u', 'carol:wrong', f.url('/private/x')]);
      assert.equal(bad.status, 401);
    }
    const locked = await f.curl(['--ntlm', '-u', `carol:${PASSWORDS.carol}`, f.url('/private/x')]);
    assert.equal(locked.status, 401);
    const last = JSON.parse(f.audit[f.audit.length - 1]) as { reason: string };
    assert.match(last.reason, /ntstatus=0xc0000234/); // STATUS_ACCOUNT_LOCKED_OUT
    await f.domain.directory.unlockAccount('carol');
    const again = await f.curl(['--ntlm', '-u', `carol:${PASSWORDS.carol}`, f.url('/private/x')]);
    assert.equal(again.status, 200);
  });

  test('curl --basic over https: 200 with the right password, 401 with a wrong one', async () => {
    const ok = await f.curl(['-k', '--basic', '-u', `alice:${PASSWORDS.alice}`, f.url('/private/x', true)]);
    assert.equal(ok.status, 200, ok.stderr);
    const dom = await f.curl(['-k', '--basic', '-u', `EXAMPLE\\alice:${PASSWORDS.alice}`, f.url('/private/x', true)]);
    assert.equal(dom.status, 200, dom.stderr);
    const upn = await f.curl(['-k', '--basic', '-u', `alice@example.test:${PASSWORDS.alice}`, f.url('/private/x', true)]);
    assert.equal(upn.status, 200, upn.stderr);
    const bad = await f.curl(['-k', '--basic', '-u', 'alice:wrong-password', f.url('/private/x', true)]);
    assert.equal(bad.status, 401);
    const offered = await f.curl(['-k', '-D', '-', f.url('/private/x', true)]);
    assert.match(offered.stdout, /^WWW-Authenticate: Basic realm="example\.test", charset="UTF-8"\r?$/im);
  });

  test('Basic lockout goes through the KDC', async () => {
    for (let i = 0; i < 3; i++) {
      const bad = await f.curl(['-k', '--basic', '-u', 'erin:wrong', f.url('/private/x', true)]);
      assert.equal(bad.status, 401);
    }
    const locked = await f.curl(['-k', '--basic', '-u', `erin:${PASSWORDS.erin}`, f.url('/private/x', true)]);
    assert.equal(locked.status, 401);
  });

  test('Basic over plain http is refused and not offered', async () => {
    const r = await f.curl(['-D', '-', '--basic', '-u', `alice:${PASSWORDS.alice}`, f.url('/private/x')]);
    assert.equal(r.status, 401);
    assert.doesNotMatch(r.stdout, /WWW-Authenticate: Basic/i);
  });

  test('a valid user the rule does not allow: 403 (Negotiate, NTLM and Basic)', async () => {
    const m = await f.mit();
    await kinit(m, 'alice');
    const neg = await f.curl(['--negotiate', '-u', ':', f.url('/admins/x')], m.env);
    assert.equal(neg.status, 403);
    const ntlm = await f.curl(['--ntlm', '-u', `alice:${PASSWORDS.alice}`, f.url('/admins/x')]);
    assert.equal(ntlm.status, 403);
    const basic = await f.curl(['-k', '--basic', '-u', `alice:${PASSWORDS.alice}`, f.url('/admins/x', true)]);
    assert.equal(basic.status, 403);
    const denied = f.audit.map((l) => JSON.parse(l) as { result: string }).filter((a) => a.result === 'denied');
    assert.ok(denied.length >= 3);
  });

  test('a member of Domain Admins passes the same rule', async () => {
    const m = await f.mit();
    await kinit(m, 'bob');
    const neg = await f.curl(['--negotiate', '-u', ':', f.url('/admins/x')], m.env);
    assert.equal(neg.status, 200);
    const ntlm = await f.curl(['--ntlm', '-u', `bob:${PASSWORDS.bob}`, f.url('/admins/x')]);
    assert.equal(ntlm.status, 200);
  });

  test('a resource limited to NTLM re-challenges Negotiate with NTLM only', async () => {
    const m = await f.mit();
    await kinit(m, 'alice');
    const neg = await f.curl(['-D', '-', '--negotiate', '-u', ':', f.url('/ntlm-only/x')], m.env);
    assert.equal(neg.status, 401);
    assert.doesNotMatch(neg.stdout, /WWW-Authenticate: Negotiate/i);
    const ntlm = await f.curl(['--ntlm', '-u', `alice:${PASSWORDS.alice}`, f.url('/ntlm-only/x')]);
    assert.equal(ntlm.status, 200);
  });

  test('many clients at once, every mechanism: each gets its own answer', async () => {
    const m = await f.mit();
    await kinit(m, 'alice');
    const jobs: Promise<{ status: number; want: number; what: string }>[] = [];
    for (let i = 0; i < 8; i++) {
      jobs.push(f.curl(['--negotiate', '-u', ':', f.url(`/private/n${i}`)], m.env).then((r) => ({ status: r.status, want: 200, what: `negotiate ${i}` })));
      jobs.push(f.curl(['--ntlm', '-u', `frank:${PASSWORDS.frank}`, f.url(`/private/t${i}`)]).then((r) => ({ status: r.status, want: 200, what: `ntlm ${i}` })));
      jobs.push(f.curl(['--ntlm', '-u', `bob:${PASSWORDS.bob}`, f.url(`/admins/t${i}`)]).then((r) => ({ status: r.status, want: 200, what: `ntlm admin ${i}` })));
      jobs.push(f.curl(['--ntlm', '-u', `frank:${PASSWORDS.frank}`, f.url(`/admins/t${i}`)]).then((r) => ({ status: r.status, want: 403, what: `ntlm denied ${i}` })));
      jobs.push(f.curl(['-k', '--basic', '-u', `frank:${PASSWORDS.frank}`, f.url(`/private/b${i}`, true)]).then((r) => ({ status: r.status, want: 200, what: `basic ${i}` })));
    }
    for (const j of await Promise.all(jobs)) assert.equal(j.status, j.want, j.what);
    assert.equal(f.auth.pendingHandshakes, 0);
  });

  test('curl --anyauth picks NTLM from the challenge of an NTLM-only resource', async () => {
    const r = await f.curl(['--anyauth', '-u', `frank:${PASSWORDS.frank}`, f.url('/ntlm-only/x')]);
    assert.equal(r.status, 200, r.stderr);
  });
});
