// The thin adapters: an Express-style middleware (req, res, next) on a Node server driven by
// curl, and the Fastify onRequest hook against a reply object shaped like Fastify's.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createHttpAuthenticator, type AuthenticatedRequest, type FastifyLikeReply, type HttpAuthenticator } from '../../src/http/index.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import { HOST, PASSWORDS, startHttpFixture, type HttpFixture } from './fixture.js';
import { run } from '../helpers/peers.js';

describe('Express and Fastify adapters', () => {
  let f: HttpFixture;
  let auth: HttpAuthenticator;
  before(async () => {
    f = await startHttpFixture();
    auth = createHttpAuthenticator({
      authority: new DirectoryAuthority(f.domain.directory),
      names: { netbiosComputerName: 'WEB', dnsComputerName: HOST, netbiosDomainName: 'EXAMPLE', dnsDomainName: 'example.test' },
      mechanisms: ['NTLM'],
      rules: [{ path: '/health', auth: 'anonymous' }],
    });
  });
  after(async () => {
    await f?.stop();
  });

  test('expressMiddleware: next() runs with req.authso for an authenticated request', async () => {
    // The (req, res, next) chain Express runs, without Express itself.
    const srv = createServer((req, res) => {
      auth.expressMiddleware(req, res, (err?: unknown) => {
        if (err) {
          res.statusCode = 599;
          res.end();
          return;
        }
        const info = (req as AuthenticatedRequest).authso;
        res.end(JSON.stringify({ user: info?.token?.userName ?? null, mechanism: info?.mechanism ?? null }));
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    try {
      const r = await run('/usr/bin/curl', ['-sS', '--resolve', `${HOST}:${port}:127.0.0.1`, '--ntlm', '-u', `alice:${PASSWORDS.alice}`, `http://${HOST}:${port}/x`]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { user: 'alice', mechanism: 'NTLM' });
      const h = await run('/usr/bin/curl', ['-sS', `http://127.0.0.1:${port}/health`]);
      assert.deepEqual(JSON.parse(h.stdout), { user: null, mechanism: null });
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  test('fastifyHook: a 401 is sent through the reply; an anonymous resource passes', async () => {
    const sent: { status?: number; headers: Record<string, string | string[]>; body?: string } = { headers: {} };
    const reply: FastifyLikeReply = {
      code(s) {
        sent.status = s;
        return reply;
      },
      header(k, v) {
        sent.headers[k] = v;
        return reply;
      },
      send(b) {
        sent.body = b;
      },
    };
    const socket = { remoteAddress: '127.0.0.1' };
    await auth.fastifyHook({ raw: { url: '/x', method: 'GET', headers: {}, socket } as unknown as IncomingMessage }, reply);
    assert.equal(sent.status, 401);
    assert.deepEqual(sent.headers['WWW-Authenticate'], ['NTLM']);
    const request: { raw: IncomingMessage; authso?: unknown } = { raw: { url: '/health', method: 'GET', headers: {}, socket } as unknown as IncomingMessage };
    const sent2 = { called: false };
    await auth.fastifyHook(request as never, { ...reply, code: () => ((sent2.called = true), reply) });
    assert.equal(sent2.called, false);
    assert.deepEqual(request.authso, { anonymous: true });
  });
});
