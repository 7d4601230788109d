// `authso http` configuration: the rules file and --listen are checked at start-up with one
// clear line each (a typo must not quietly open or close a resource), and the static file
// handler serves only what is under --root.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseListen, parseRulesFile } from '../../src/cli/http.js';
import { createStaticHandler } from '../../src/http/static-files.js';

describe('authso http: --rules file', () => {
  test('a valid file gives the rules in order', () => {
    const rules = parseRulesFile(
      JSON.stringify([
        { path: '/public/*', auth: 'anonymous' },
        { path: '/private/*', auth: 'required', mechanisms: ['Negotiate', 'NTLM', 'Digest', 'Basic', 'Certificate'], sddl: 'D:(A;;GA;;;AU)' },
        { path: '/admins/*', groups: ['DA'] },
      ]),
      'rules.json',
    );
    assert.equal(rules.length, 3);
    assert.equal(rules[0].auth, 'anonymous');
    assert.deepEqual(rules[2].groups, ['DA']);
  });

  const bad: [string, string, RegExp][] = [
    ['not JSON', '[{', /rules\.json: not JSON/],
    ['not an array', '{"path":"/x"}', /expected a JSON array/],
    ['a rule that is not an object', '["/x"]', /rule 1: not an object/],
    ['no path', '[{"auth":"required"}]', /rule 1: "path" must be a string/],
    ['a misspelt field', '[{"path":"/x","sdl":"D:"}]', /rule 1: unknown field "sdl"/],
    ['a bad auth value', '[{"path":"/x","auth":"optional"}]', /"auth" must be "required" or "anonymous"/],
    ['an unknown mechanism', '[{"path":"/x","mechanisms":["Kerberos"]}]', /"mechanisms" must be a list of/],
    ['a non-string SDDL', '[{"path":"/x","sddl":1}]', /"sddl" must be a string/],
    ['groups not strings', '[{"path":"/x"},{"path":"/y","groups":[1]}]', /rule 2: "groups" must be a list of strings/],
  ];
  for (const [what, text, message] of bad) {
    test(`refused: ${what}`, () => {
      assert.throws(() => parseRulesFile(text, 'rules.json'), message);
    });
  }
});

describe('authso http: --listen', () => {
  test('ADDR:PORT, [v6]:PORT and :PORT', () => {
    assert.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListen('[::1]:443'), { host: '::1', port: 443 });
    assert.deepEqual(parseListen(':0'), { host: '127.0.0.1', port: 0 });
  });
  for (const v of ['127.0.0.1', '127.0.0.1:', 'host:99999', 'host:80x', '']) {
    test(`refused: ${JSON.stringify(v)}`, () => {
      assert.throws(() => parseListen(v), /--listen: expected ADDR:PORT/);
    });
  }
});

describe('the static file handler', () => {
  let work: string;
  let server: Server;
  let port: number;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'authso-static-'));
    const root = join(work, 'www');
    await mkdir(join(root, 'dir'), { recursive: true });
    await mkdir(join(root, 'noindex'));
    await writeFile(join(root, 'a.txt'), 'a\n');
    await writeFile(join(root, 'page.html'), '<p>x</p>');
    await writeFile(join(root, 'dir', 'index.html'), 'index\n');
    await writeFile(join(work, 'secret.txt'), 'outside\n');
    await symlink(join(work, 'secret.txt'), join(root, 'link-out'));
    await symlink(join(root, 'a.txt'), join(root, 'link-in'));
    const files = await createStaticHandler(root);
    server = createServer((req, res) => void files(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await rm(work, { recursive: true, force: true });
  });

  /** A raw request, so that the target goes out exactly as written (no client normalisation). */
  async function get(target: string, method = 'GET'): Promise<{ status: number; body: string; type?: string }> {
    const { request } = await import('node:http');
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: target, method }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('files, content types, directory index, HEAD', async () => {
    assert.deepEqual(await get('/a.txt'), { status: 200, body: 'a\n', type: 'text/plain; charset=utf-8' });
    assert.equal((await get('/page.html')).type, 'text/html; charset=utf-8');
    assert.equal((await get('/dir/')).body, 'index\n');
    assert.equal((await get('/dir')).body, 'index\n');
    const head = await get('/a.txt', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await get('/link-in')).body, 'a\n');
  });

  test('nothing outside the root, no listings, no other methods', async () => {
    for (const t of ['/../secret.txt', '/dir/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/link-out', '/noindex/', '/missing', '/a.txt/x']) {
      const r = await get(t);
      assert.equal(r.status, 404, t);
      assert.doesNotMatch(r.body, /outside/, t);
    }
    assert.equal((await get('/a.txt', 'PUT')).status, 405);
    assert.equal((await get('/a%00.txt')).status, 400);
  });
});
