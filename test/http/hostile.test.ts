// Hostile and malformed input to the HTTP authenticator (MS-AUTHSO 5.4.5 steps 4–8, RFC 7235):
// bad base64, oversized headers, random mechanism tokens, stray legs, path tricks, a failing
// authority. Each gets 400/401 (or 500 without internals) and the server keeps serving.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { NtlmInitiator } from '../../src/ntlm/index.js';
import { NegotiateInitiator } from '../../src/spnego/index.js';
import { createHttpAuthenticator } from '../../src/http/index.js';
import type { DomainAuthority } from '../../src/security/types.js';
import type { IncomingMessage } from 'node:http';
import { PASSWORDS, startHttpFixture, type HttpFixture } from './fixture.js';

interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

/** One keep-alive connection that sends raw requests and reads one response at a time. */
class RawClient {
  private buf = '';
  private waiters: (() => void)[] = [];
  closed = false;
  private constructor(private readonly sock: Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.waiters.splice(0).forEach((w) => w());
    });
    sock.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
    sock.on('error', () => {});
  }
  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  async request(path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
    const lines = [`GET ${path} HTTP/1.1`, 'Host: web.example.test', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    this.sock.write(`${lines.join('\r\n')}\r\n\r\n`);
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buf.slice(0, end);
        const m = /content-length: (\d+)/i.exec(head);
        const len = m ? Number(m[1]) : 0;
        if (this.buf.length >= end + 4 + len) {
          const body = this.buf.slice(end + 4, end + 4 + len);
          this.buf = this.buf.slice(end + 4 + len);
          return { status: Number(head.slice(9, 12)), headers: head, body };
        }
      }
      if (this.closed) throw new Error(`connection closed; got ${JSON.stringify(this.buf.slice(0, 200))}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  close(): void {
    this.sock.destroy();
  }
}

describe('hostile input to the HTTP authenticator', () => {
  let f: HttpFixture;
  before(async () => {
    f = await startHttpFixture();
  });
  after(async () => {
    await f?.stop();
  });

  async function one(path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
    const c = await RawClient.open(f.httpPort);
    try {
      return await c.request(path, headers);
    } finally {
      c.close();
    }
  }

  async function stillServing(): Promise<void> {
    const r = await f.curl(['--ntlm', '-u', `alice:${PASSWORDS.alice}`, f.url('/private/after')]);
    assert.equal(r.status, 200, r.stderr);
  }

  test('malformed Authorization headers: 400', async () => {
    for (const v of ['Negotiate !!!not-base64!!!', 'NTLM ===', 'Negotiate', 'NTLM', 'Nego(tiate abc', 'Negotiate a', 'Negotiate abc def ghi']) {
      const r = await one('/private/x', { Authorization: v });
      assert.ok(r.status === 400 || r.status === 401, `${v}: ${r.status}`);
      if (v.startsWith('Negotiate !') || v === 'Nego(tiate abc') assert.equal(r.status, 400, v);
    }
    await stillServing();
  });

  test('an Authorization header over 64 KiB: 400', async () => {
    const r = await one('/private/x', { Authorization: `Negotiate ${'A'.repeat(70 * 1024)}` });
    assert.equal(r.status, 400);
    await stillServing();
  });

  test('random tokens for every scheme: 401 re-challenging', async () => {
    for (let i = 0; i < 20; i++) {
      for (const scheme of ['Negotiate', 'NTLM', 'negotiate', 'ntlm']) {
        const raw = randomBytes(1 + (i * 37) % 600);
        if (i % 3 === 0) raw[0] = 0x60; // looks like a GSS InitialContextToken
        if (i % 3 === 1) Buffer.from('NTLMSSP\0\x03\0\0\0', 'latin1').copy(raw); // a stray AUTHENTICATE
        const r = await one('/private/x', { Authorization: `${scheme} ${raw.toString('base64')}` });
        assert.equal(r.status, 401, `${scheme} #${i}`);
        assert.match(r.headers, /WWW-Authenticate: Negotiate/i);
      }
    }
    await stillServing();
  });

  test('unknown schemes and Basic over http: 401 without Basic', async () => {
    for (const v of ['Bearer abc.def.ghi', 'Digest username="alice", realm="x"', `Basic ${Buffer.from(`alice:${PASSWORDS.alice}`).toString('base64')}`]) {
      const r = await one('/private/x', { Authorization: v });
      assert.equal(r.status, 401, v);
      assert.doesNotMatch(r.headers, /WWW-Authenticate: Basic/i);
    }
  });

  test('NTLM legs bound to the connection: AUTHENTICATE on another connection fails; abandoned handshakes are cleaned up', async () => {
    const init = new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: PASSWORDS.alice, workstation: 'WS1' });
    const t1 = await init.step();
    const c1 = await RawClient.open(f.httpPort);
    const r1 = await c1.request('/private/x', { Authorization: `NTLM ${t1.output?.toString('base64')}` });
    assert.equal(r1.status, 401);
    const m = /WWW-Authenticate: NTLM ([A-Za-z0-9+/=]+)/i.exec(r1.headers);
    assert.ok(m, r1.headers);
    assert.equal(f.auth.pendingHandshakes, 1);
    const t3 = await init.step(Buffer.from(m[1], 'base64'));
    // The third leg on a different connection has no challenge to answer.
    const r2 = await one('/private/x', { Authorization: `NTLM ${t3.output?.toString('base64')}` });
    assert.equal(r2.status, 401);
    c1.close();
    for (let i = 0; i < 50 && f.auth.pendingHandshakes > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(f.auth.pendingHandshakes, 0);
  });

  test('NTLM on one keep-alive connection: three legs then 200, many times; a new NEGOTIATE restarts', async () => {
    const c = await RawClient.open(f.httpPort);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      for (let round = 0; round < 15; round++) {
        const init = new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: PASSWORDS.alice, workstation: 'WS1' });
        const t1 = await init.step();
        const r1 = await c.request('/private/x', { Authorization: `NTLM ${t1.output?.toString('base64')}` });
        assert.equal(r1.status, 401);
        if (round === 0) continue; // abandoned: the next NEGOTIATE on this connection starts over
        const m = /WWW-Authenticate: NTLM ([A-Za-z0-9+/=]+)/i.exec(r1.headers);
        assert.ok(m);
        const t3 = await init.step(Buffer.from(m[1], 'base64'));
        const r3 = await c.request('/private/x', { Authorization: `NTLM ${t3.output?.toString('base64')}` });
        assert.equal(r3.status, 200, r3.headers);
      }
      await new Promise((r) => setImmediate(r));
      // One 'close' listener per socket, however many handshakes it carries.
      assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning'), []);
    } finally {
      process.off('warning', onWarning);
      c.close();
    }
  });

  test('Negotiate carrying NTLM (SPNEGO, and a raw NTLMSSP token) over several legs on one connection', async () => {
    for (const framing of ['spnego', 'raw'] as const) {
      const ntlm = () => new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: PASSWORDS.alice, workstation: 'WS1' });
      const init = framing === 'spnego' ? new NegotiateInitiator({ ntlm }) : ntlm();
      const c = await RawClient.open(f.httpPort);
      try {
        let step = await init.step();
        let r: RawResponse | undefined;
        for (let leg = 0; leg < 4; leg++) {
          r = await c.request('/private/x', { Authorization: `Negotiate ${step.output?.toString('base64')}` });
          const m = /WWW-Authenticate: Negotiate ([A-Za-z0-9+/=]+)/i.exec(r.headers);
          if (r.status !== 401) {
            if (m && !init.done) await init.step(Buffer.from(m[1], 'base64'));
            break;
          }
          assert.ok(m, r.headers);
          step = await init.step(Buffer.from(m[1], 'base64'));
        }
        assert.equal(r?.status, 200, `${framing}: ${r?.headers}`);
        assert.match(r?.body ?? '', /"mechanism":"Negotiate"/);
      } finally {
        c.close();
      }
    }
  });

  test('the bound on pending handshakes: beyond it, 503', async () => {
    const { DirectoryAuthority } = await import('../../src/security/directory-authority.js');
    const auth = createHttpAuthenticator({
      authority: new DirectoryAuthority(f.domain.directory),
      names: { netbiosComputerName: 'WEB', dnsComputerName: 'web.example.test', netbiosDomainName: 'EXAMPLE', dnsDomainName: 'example.test' },
      mechanisms: ['NTLM'],
      maxPendingHandshakes: 1,
    });
    const { createServer } = await import('node:http');
    const srv = createServer((req, res) => {
      void auth.handler(req, res).then((ok) => ok && res.end('ok'));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const t1 = await new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: 'x', workstation: 'WS1' }).step();
      const a = await RawClient.open(port);
      const b = await RawClient.open(port);
      assert.equal((await a.request('/x', { Authorization: `NTLM ${t1.output?.toString('base64')}` })).status, 401);
      assert.equal(auth.pendingHandshakes, 1);
      assert.equal((await b.request('/x', { Authorization: `NTLM ${t1.output?.toString('base64')}` })).status, 503);
      a.close();
      for (let i = 0; i < 50 && auth.pendingHandshakes > 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await b.request('/x', { Authorization: `NTLM ${t1.output?.toString('base64')}` })).status, 401);
      b.close();
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  test('request-target tricks do not dodge the rules', async () => {
    assert.equal((await one('/public/x')).status, 200);
    assert.equal((await one('/PUBLIC/x')).status, 200);
    for (const p of ['/public/../private/x', '/public/%2e%2e/private/x', '/public/..%2fprivate/x', '/public%2f..%2fprivate/x', '//private/x', '/./private/x', '/public/..\\private/x']) {
      const r = await one(p);
      assert.equal(r.status, 401, p);
    }
    assert.equal((await one('/%ff%fe')).status, 400);
    const ntlm = await f.curl(['--ntlm', '-u', `alice:${PASSWORDS.alice}`, f.url('/ADMINS/x')]);
    assert.equal(ntlm.status, 403);
  });

  test('an authority that fails unexpectedly: 503 with no internals, and the next request is served', async () => {
    const broken: DomainAuthority = {
      validateNtlm: () => Promise.reject(new Error('secret-internal-detail')),
      verifyPacKdcSignature: () => Promise.reject(new Error('secret-internal-detail')),
    };
    const audit: string[] = [];
    const auth = createHttpAuthenticator({
      authority: broken,
      names: { netbiosComputerName: 'WEB', dnsComputerName: 'web.example.test', netbiosDomainName: 'EXAMPLE', dnsDomainName: 'example.test' },
      mechanisms: ['NTLM'],
      logger: (l) => audit.push(l),
    });
    const { createServer } = await import('node:http');
    const srv = createServer((req, res) => {
      void auth.handler(req, res).then((ok) => ok && res.end('ok'));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const c = await RawClient.open(port);
      const init = new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: 'x', workstation: 'WS1' });
      const t1 = await init.step();
      const r1 = await c.request('/x', { Authorization: `NTLM ${t1.output?.toString('base64')}` });
      const m = /WWW-Authenticate: NTLM ([A-Za-z0-9+/=]+)/i.exec(r1.headers);
      assert.ok(m);
      const t3 = await init.step(Buffer.from(m[1], 'base64'));
      const r3 = await c.request('/x', { Authorization: `NTLM ${t3.output?.toString('base64')}` });
      assert.equal(r3.status, 503);
      assert.doesNotMatch(r3.headers + r3.body, /secret-internal-detail/);
      assert.doesNotMatch(audit.join('\n'), /secret-internal-detail/);
      c.close();
      const r4 = await RawClient.open(port).then(async (c2) => {
        const r = await c2.request('/x');
        c2.close();
        return r;
      });
      assert.equal(r4.status, 401);
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  test('a configuration error found at request time: 500 with no internals', async () => {
    const { DirectoryAuthority } = await import('../../src/security/directory-authority.js');
    const audit: string[] = [];
    const auth = createHttpAuthenticator({
      authority: new DirectoryAuthority(f.domain.directory),
      names: { netbiosComputerName: 'WEB', dnsComputerName: 'web.example.test', netbiosDomainName: 'EXAMPLE', dnsDomainName: 'example.test' },
      mechanisms: ['NTLM'],
      domainSid: 'S-1-5-21-not-a-sid',
      rules: [{ path: '*', sddl: 'D:(A;;GA;;;DA)' }],
      logger: (l) => audit.push(l),
    });
    const init = new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: PASSWORDS.alice, workstation: 'WS1' });
    const socket = { remoteAddress: '127.0.0.1', once: () => {} };
    const t1 = await init.step();
    const d1 = await auth.authenticate({ url: '/x', method: 'GET', headers: { authorization: `NTLM ${t1.output?.toString('base64')}` }, socket } as unknown as IncomingMessage);
    assert.equal(d1.status, 401);
    const ch = String((d1.headers['WWW-Authenticate'] as string).split(' ')[1]);
    const t3 = await init.step(Buffer.from(ch, 'base64'));
    const d3 = await auth.authenticate({ url: '/x', method: 'GET', headers: { authorization: `NTLM ${t3.output?.toString('base64')}` }, socket } as unknown as IncomingMessage);
    assert.equal(d3.status, 500);
    assert.deepEqual(d3.headers, {});
    assert.match(audit[audit.length - 1], /"result":"error"/);
  });

  test('authenticate() is usable without a server', async () => {
    const d = await f.auth.authenticate({ url: '/public/x', headers: {}, socket: {} } as unknown as IncomingMessage);
    assert.equal(d.status, 200);
    assert.equal(d.info?.anonymous, true);
  });
});
