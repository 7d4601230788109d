// Extended Protection over https (RFC 5929 tls-server-end-point; MS-NLMP MsvAvChannelBindings;
// RFC 4121 Bnd): the hash choice against openssl's fingerprints, then the authenticator's three
// modes with NTLM from our initiator (right, wrong and no bindings), curl (which sends none)
// and python requests-ntlm (which sends the right ones).

import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { request, Agent } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { endPointHash, tlsServerEndPointBindings } from '../../src/http/channel-binding.js';
import { channelBindingsHash } from '../../src/kerberos/gss/checksum.js';
import { NtlmInitiator } from '../../src/ntlm/index.js';
import { OPENSSL } from '../helpers/certs.js';
import { requirePeer, run, SYSTEM_PYTHON } from '../helpers/peers.js';
import { HOST, PASSWORDS, startHttpFixture, type HttpFixture } from './fixture.js';

const PYTHON = requirePeer(SYSTEM_PYTHON);
const REQUESTS = join(fileURLToPath(new URL('.', import.meta.url)), 'requests_client.py');

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

describe('tls-server-end-point (RFC 5929 4.1)', () => {
  let dir: string;
  before(async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    dir = await mkdtemp(join(tmpdir(), 'authso-cbt-'));
  });
  after(async () => {
    const { rm } = await import('node:fs/promises');
    await rm(dir, { recursive: true, force: true });
  });

  // The signature's hash, except that SHA-1 (and MD5) become SHA-256.
  for (const [digest, expected] of [
    ['sha1', 'sha256'],
    ['sha256', 'sha256'],
    ['sha384', 'sha384'],
    ['sha512', 'sha512'],
  ] as const) {
    test(`a certificate signed with ${digest} binds with ${expected}, as openssl's fingerprint`, async () => {
      const cert = join(dir, `${digest}.pem`);
      const key = join(dir, `${digest}.key`);
      const r = await run(OPENSSL, ['req', '-x509', `-${digest}`, '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=cbt', '-keyout', key, '-out', cert, '-days', '1']);
      assert.equal(r.code, 0, r.stderr);
      const der = pemToDer(await readFile(cert, 'utf8'));
      assert.equal(endPointHash(der), expected);
      const fp = await run(OPENSSL, ['x509', '-in', cert, '-noout', '-fingerprint', `-${expected}`]);
      const hex = fp.stdout.split('=')[1].trim().replace(/:/g, '').toLowerCase();
      const app = tlsServerEndPointBindings(der).applicationData;
      assert.ok(app);
      assert.equal(app.subarray(0, 21).toString('latin1'), 'tls-server-end-point:');
      assert.equal(app.subarray(21).toString('hex'), hex);
    });
  }

  test('bytes that are not a certificate fall back to SHA-256 without throwing', () => {
    assert.equal(endPointHash(Buffer.from('not a certificate')), 'sha256');
    assert.equal(endPointHash(Buffer.alloc(0)), 'sha256');
  });
});

/** One NTLM handshake on one https connection, with the given MsvAvChannelBindings (or none). */
async function ntlmOverTls(f: HttpFixture, bindings: Buffer | undefined | 'right'): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
  const get = (auth?: string) =>
    new Promise<{ status: number; challenge?: string; cert?: Buffer }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: f.httpsPort, path: '/ntlm-only/cbt', servername: HOST, agent, headers: auth ? { Authorization: auth } : {} },
        (res) => {
          res.resume();
          const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
          const h = res.headers['www-authenticate'];
          res.on('end', () => resolve({ status: res.statusCode ?? 0, challenge: Array.isArray(h) ? h[0] : h, cert: cert?.raw }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  try {
    const probe = await get();
    assert.ok(probe.cert);
    const cbt = bindings === 'right' ? channelBindingsHash(tlsServerEndPointBindings(probe.cert)) : bindings;
    const ini = new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: PASSWORDS.alice, channelBindings: cbt });
    const n = await ini.step();
    const c = await get(`NTLM ${n.output?.toString('base64')}`);
    assert.equal(c.status, 401);
    const a = await ini.step(Buffer.from((c.challenge ?? '').replace(/^NTLM /, ''), 'base64'));
    return (await get(`NTLM ${a.output?.toString('base64')}`)).status;
  } finally {
    agent.destroy();
  }
}

describe('Extended Protection modes of the HTTP authenticator', () => {
  let required: HttpFixture;
  let lenient: HttpFixture;
  before(async () => {
    required = await startHttpFixture({ extendedProtection: 'required' });
    lenient = await startHttpFixture();
  });
  after(async () => {
    await required?.stop();
    await lenient?.stop();
  });

  test('when-supported (default): right bindings and no bindings pass, bindings of another channel fail', async () => {
    assert.equal(await ntlmOverTls(lenient, 'right'), 200);
    assert.equal(await ntlmOverTls(lenient, undefined), 200);
    assert.equal(await ntlmOverTls(lenient, Buffer.alloc(16, 7)), 401);
  });

  test('required: only the right bindings pass; curl (none) is refused, requests-ntlm (sends them) is served', async () => {
    assert.equal(await ntlmOverTls(required, 'right'), 200);
    assert.equal(await ntlmOverTls(required, undefined), 401);
    assert.equal(await ntlmOverTls(required, Buffer.alloc(16, 7)), 401);
    const c = await required.curl(['-k', '--ntlm', '-u', `EXAMPLE\\alice:${PASSWORDS.alice}`, required.url('/ntlm-only/x', true)]);
    assert.equal(c.status, 401);
    const conf = join(required.dir, 'openssl-legacy.cnf');
    await writeFile(conf, 'openssl_conf = init\n[init]\nproviders = prov\n[prov]\ndefault = dflt\nlegacy = lgcy\n[dflt]\nactivate = 1\n[lgcy]\nactivate = 1\n');
    const py = await run(PYTHON, [REQUESTS, 'ntlm', required.url('/ntlm-only/py', true), 'EXAMPLE\\alice', PASSWORDS.alice, '--resolve', `${HOST}:127.0.0.1`, '--insecure'], {
      env: { PATH: process.env.PATH, LANG: 'C', OPENSSL_CONF: conf },
    });
    assert.equal(py.stdout.split('\n')[0], '200', py.stdout + py.stderr);
  });

  test('plain http has no channel: NTLM without bindings passes even when required', async () => {
    const c = await required.curl(['--ntlm', '-u', `EXAMPLE\\alice:${PASSWORDS.alice}`, required.url('/ntlm-only/x')]);
    assert.equal(c.status, 200);
  });
});
