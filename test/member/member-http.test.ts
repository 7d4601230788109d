// MS-AUTHSO 5 on a member server, end to end with the shipped command: `authso http --member
// STATE --root DIR --rules FILE --listen ADDR:PORT [--tls-cert --tls-key --client-ca]` runs as
// its own process on a member joined to an in-process DC (KDC + Netlogon + EPM), and real
// clients use it:
//   curl --negotiate (MIT ticket for HTTP/<fqdn> and HTTP/<name>, opened with the member's machine
//   keys, PAC checked by the DC), --ntlm (pass-through; the connection stays authenticated),
//   --digest (DIGEST_VALIDATION_REQ to the DC), --basic over https (AS exchange), --cert (the DC
//   maps the certificate through S4U2Self); python requests-kerberos / requests-ntlm over https
//   with TLS channel bindings; 401 / 403 / lockout; the DC's audit line for each validation.

import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import type { NetlogonLogonEvent } from '../../src/netlogon/server.js';
import { provisionBlobFor } from '../../src/member/provision.js';
import { OID } from '../../src/spnego/index.js';
import { joinDomain } from '../../src/member/state.js';
import { clientCa, clientCertificate, serverCertificate, type TestCa } from '../helpers/certs.js';
import { mitEnv, requirePeer, run, SYSTEM_PYTHON, type MitEnv } from '../helpers/peers.js';

const CURL = requirePeer('/usr/bin/curl');
const KINIT = requirePeer('/usr/bin/kinit');
const PYTHON = requirePeer(SYSTEM_PYTHON);
const NTLMSSP_PLUGIN = requirePeer('/usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so');
const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));
const REQUESTS = join(ROOT_DIR, 'test/http/requests_client.py');
const FQDN = 'web.example.test';
const PW = { alice: 'Alice-Passw0rd!', bob: 'Bob-Passw0rd!', carol: 'Carol-Passw0rd!', dave: 'Dave-Passw0rd!' } as const;
const SECRET = 'the member serves this file only to domain users\n';

interface CliServer {
  proc: ChildProcessWithoutNullStreams;
  ready: Record<string, unknown>;
  port: number;
  /** Every JSON line the process printed after the ready line. */
  lines: Record<string, unknown>[];
  stderr: string[];
}

/** Starts `authso http` and waits for its ready line. */
async function startCli(args: string[]): Promise<CliServer> {
  const proc = spawn(process.execPath, [join(ROOT_DIR, 'bin/authso.mjs'), 'http', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  proc.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
  const rl = createInterface({ input: proc.stdout });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`authso http did not get ready: ${stderr.join('')}`)), 30_000);
    proc.once('exit', (code) => reject(new Error(`authso http exited (${code}): ${stderr.join('')}`)));
    rl.on('line', (l) => {
      const v = JSON.parse(l) as Record<string, unknown>;
      if (v.event === 'ready') {
        clearTimeout(timer);
        resolve(v);
      } else lines.push(v);
    });
  });
  return { proc, ready, port: Number(String(ready.listen).split(':').pop()), lines, stderr };
}

async function stopCli(s: CliServer | undefined): Promise<number | null> {
  if (!s || s.proc.exitCode !== null) return s?.proc.exitCode ?? null;
  const exited = new Promise<number | null>((r) => s.proc.once('exit', (code) => r(code)));
  s.proc.kill('SIGTERM');
  return exited;
}

describe('authso http on a member server (MS-AUTHSO 5), decided by the DC', () => {
  let work: string;
  let domain: RunningDomain;
  let plain: CliServer;
  let tls: CliServer;
  let ca: TestCa;
  const dcAudit: NetlogonLogonEvent[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'authso-member-http-'));
    domain = await startDomain({
      rpc: true,
      policy: { lockoutThreshold: 3, lockoutDuration: 1800, lockoutObservationWindow: 1800 },
      users: [
        { name: 'alice', password: PW.alice },
        { name: 'bob', password: PW.bob, groups: ['Domain Admins'] },
        { name: 'carol', password: PW.carol },
        { name: 'dave', password: PW.dave },
      ],
      onNetlogonEvent: (e) => dcAudit.push(e),
    });
    assert.ok(domain.epm);
    const { password } = await domain.directory.createComputer('web');
    const blob = await provisionBlobFor(domain.directory, 'web', password, { host: domain.epm.host, epmPort: domain.epm.port, kdcPort: domain.kdc.port });
    const state = join(work, 'web.state');
    await joinDomain({ provision: blob, statePath: state });

    const root = join(work, 'www');
    await mkdir(join(root, 'private'), { recursive: true });
    await mkdir(join(root, 'public'));
    await mkdir(join(root, 'admins'));
    await writeFile(join(root, 'private', 'secret.txt'), SECRET);
    await writeFile(join(root, 'public', 'hello.txt'), 'hello\n');
    await writeFile(join(root, 'admins', 'a.txt'), 'admins only\n');
    await writeFile(join(work, 'outside.txt'), 'not served\n');
    // A rule may only name mechanisms the server has: Certificate needs --client-ca (https).
    const rules = join(work, 'rules.json');
    const tlsRules = join(work, 'tls-rules.json');
    const shared = [
      { path: '/public/*', auth: 'anonymous' },
      { path: '/admins/*', sddl: 'D:(A;;GA;;;DA)' },
    ];
    await writeFile(rules, JSON.stringify(shared));
    await writeFile(tlsRules, JSON.stringify([...shared, { path: '/cert-only/*', mechanisms: ['Certificate'] }]));
    const server = await serverCertificate(work, FQDN);
    ca = await clientCa(work);
    const common = ['--member', state, '--root', root];
    plain = await startCli([...common, '--rules', rules, '--listen', '127.0.0.1:0']);
    tls = await startCli([...common, '--rules', tlsRules, '--listen', '127.0.0.1:0', '--tls-cert', server.cert, '--tls-key', server.key, '--client-ca', ca.cert]);
  });

  after(async () => {
    await stopCli(plain);
    await stopCli(tls);
    await domain?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const url = (s: CliServer, path: string, host = FQDN) => `${s === tls ? 'https' : 'http'}://${host}:${s.port}${path}`;
  const noKrb = () => ({ PATH: process.env.PATH, LANG: 'C', KRB5_CONFIG: join(work, 'none.conf'), KRB5CCNAME: `FILE:${join(work, 'none.cc')}` });
  async function curl(s: CliServer, args: string[], env: NodeJS.ProcessEnv = noKrb()) {
    const resolve = ['--resolve', `${FQDN}:${s.port}:127.0.0.1`, '--resolve', `web:${s.port}:127.0.0.1`];
    const r = await run(CURL, ['-sS', '-k', ...resolve, '-w', '\n%{http_code}', ...args], { env });
    const lines = r.stdout.split('\n');
    return { ...r, status: Number(lines[lines.length - 1]), body: lines.slice(0, -1).join('\n') };
  }
  async function kinit(user: keyof typeof PW): Promise<MitEnv> {
    const m = await mitEnv(domain);
    const k = await run(KINIT, [`${user}@EXAMPLE.TEST`], { env: m.env, input: `${PW[user]}\n` });
    assert.equal(k.code, 0, k.stderr);
    return m;
  }
  const successes = (s: CliServer, mechanism: string) => s.lines.filter((l) => l.event === 'http-auth' && l.mechanism === mechanism && l.result === 'success');

  test('the ready line names the member, its SPNs and the mechanisms', () => {
    assert.equal(plain.ready.member, 'WEB$');
    assert.equal(plain.ready.domain, 'example.test');
    assert.deepEqual(plain.ready.spns, ['HTTP/web', `HTTP/${FQDN}`]);
    assert.deepEqual(plain.ready.mechanisms, ['Negotiate', 'NTLM', 'Digest', 'Basic']);
    assert.equal(tls.ready.tls, true);
    assert.equal(tls.ready.clientCertificates, true);
    assert.ok((tls.ready.mechanisms as string[]).includes('Certificate'));
  });

  test('anonymous resources are served without authentication; others are challenged (no Basic over http)', async () => {
    const pub = await curl(plain, [url(plain, '/public/hello.txt')]);
    assert.equal(pub.status, 200);
    assert.equal(pub.body, 'hello\n');
    const priv = await curl(plain, ['-D', '-', '-o', '/dev/null', url(plain, '/private/secret.txt')]);
    assert.equal(priv.status, 401);
    assert.match(priv.stdout, /^WWW-Authenticate: Negotiate\r?$/im);
    assert.match(priv.stdout, /^WWW-Authenticate: NTLM\r?$/im);
    assert.match(priv.stdout, /^WWW-Authenticate: Digest realm="example\.test"/im);
    assert.doesNotMatch(priv.stdout, /Basic/);
    const overTls = await curl(tls, ['-D', '-', '-o', '/dev/null', url(tls, '/private/secret.txt')]);
    assert.match(overTls.stdout, /^WWW-Authenticate: Basic realm="example\.test"/im);
  });

  test('curl --negotiate: tickets for HTTP/<fqdn> and HTTP/<name> open with the machine keys; the DC checks the PAC', async () => {
    const m = await kinit('alice');
    const before = dcAudit.filter((e) => e.kind === 'generic' && e.package === 'Kerberos').length;
    for (const host of [FQDN, 'web']) {
      const r = await curl(plain, ['--fail', '--negotiate', '-u', ':', '-D', join(work, 'h.txt'), url(plain, '/private/secret.txt', host)], m.env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.status, 200);
      assert.equal(r.body, SECRET);
    }
    const k = await run('/usr/bin/klist', [], { env: m.env });
    assert.match(k.stdout, /HTTP\/web\.example\.test@EXAMPLE\.TEST/);
    assert.match(k.stdout, /HTTP\/web@EXAMPLE\.TEST/);
    const ok = successes(plain, 'Negotiate').filter((l) => String(l.user).toLowerCase() === 'alice@example.test');
    assert.ok(ok.length >= 2, JSON.stringify(plain.lines));
    // The DC confirmed the PAC's KDC signature (KERB_VERIFY_PAC) once: both tickets carry the
    // same PAC (copied from one TGT, signed with the same key), and confirmations are remembered.
    const verified = dcAudit.filter((e) => e.kind === 'generic' && e.package === 'Kerberos' && e.result === 'success' && e.computer === 'WEB');
    assert.equal(verified.length - before, 1);
  });

  test('curl --ntlm: pass-through to the DC; the connection stays authenticated for the next request', async () => {
    const before = dcAudit.filter((e) => e.kind === 'network').length;
    const r = await curl(plain, ['--fail', '--ntlm', '-u', `EXAMPLE\\alice:${PW.alice}`, '-o', '/dev/null', url(plain, '/private/secret.txt'), url(plain, '/private/secret.txt')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.status, 200);
    const asked = dcAudit.filter((e) => e.kind === 'network').slice(before);
    assert.equal(asked.length, 1, JSON.stringify(asked));
    assert.equal(asked[0].result, 'success');
    assert.equal(asked[0].user.toLowerCase(), 'example\\alice');
    assert.equal(asked[0].computer, 'WEB');
  });

  test('curl --negotiate without a ticket: NTLM inside SPNEGO (MIT GSSAPI + gss-ntlmssp), validated by the DC', async () => {
    // No Kerberos credentials, NTLM ones in a user file: MIT's SPNEGO offers NTLMSSP only.
    const dir = join(work, 'ntlmssp');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'users'), `EXAMPLE:alice:${PW.alice}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'mech'), `gssntlmssp_v1 ${OID.NTLMSSP} ${NTLMSSP_PLUGIN}\n`);
    await writeFile(join(dir, 'krb5.conf'), domain.krb5Conf);
    const env = {
      PATH: process.env.PATH,
      LANG: 'C',
      NTLM_USER_FILE: join(dir, 'users'),
      GSS_MECH_CONFIG: join(dir, 'mech'),
      KRB5_CONFIG: join(dir, 'krb5.conf'),
      KRB5CCNAME: `FILE:${join(dir, 'no-ccache')}`,
    };
    const before = dcAudit.filter((e) => e.kind === 'network').length;
    const r = await curl(plain, ['--fail', '--negotiate', '-u', ':', url(plain, '/private/secret.txt')], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.body, SECRET);
    const line = successes(plain, 'Negotiate').at(-1);
    assert.equal(String(line?.user).toLowerCase(), 'example\\alice');
    const asked = dcAudit.filter((e) => e.kind === 'network').slice(before);
    assert.equal(asked.length, 1);
    assert.equal(asked[0].result, 'success');
  });

  test('curl --digest: validated by the DC (WDigest generic pass-through)', async () => {
    const ok = await curl(plain, ['--fail', '--digest', '-u', `alice:${PW.alice}`, url(plain, '/private/secret.txt')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.body, SECRET);
    assert.ok(dcAudit.some((e) => e.package === 'WDigest' && e.result === 'success'));
    assert.ok(successes(plain, 'Digest').length >= 1);
    const bad = await curl(plain, ['--digest', '-u', 'dave:wrong', '-o', '/dev/null', url(plain, '/private/secret.txt')]);
    assert.equal(bad.status, 401);
    assert.ok(dcAudit.some((e) => e.package === 'WDigest' && e.result === 'failure'));
  });

  test('curl --basic over https: an AS exchange for the user, the ticket opened with the machine keys', async () => {
    const ok = await curl(tls, ['--fail', '--basic', '-u', `alice:${PW.alice}`, url(tls, '/private/secret.txt')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.body, SECRET);
    const bad = await curl(tls, ['--basic', '-u', 'alice:wrong', '-o', '/dev/null', url(tls, '/private/secret.txt')]);
    assert.equal(bad.status, 401);
    const overHttp = await curl(plain, ['--basic', '-u', `alice:${PW.alice}`, '-o', '/dev/null', url(plain, '/private/secret.txt')]);
    assert.equal(overHttp.status, 401);
  });

  test('curl --cert: the DC maps the certificate UPN to the account; unknown or untrusted certificates are refused', async () => {
    const alice = await clientCertificate(work, ca, 'alice', ['alice@example.test']);
    const ok = await curl(tls, ['--fail', '--cert', alice.cert, '--key', alice.key, url(tls, '/cert-only/../private/secret.txt')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.body, SECRET);
    const line = successes(tls, 'Certificate').at(-1);
    assert.ok(line, JSON.stringify(tls.lines));
    assert.equal(String(line.user).toLowerCase(), 'alice@example.test');
    const nobody = await clientCertificate(work, ca, 'nobody', ['nobody@example.test']);
    assert.equal((await curl(tls, ['--cert', nobody.cert, '--key', nobody.key, '-o', '/dev/null', url(tls, '/private/secret.txt')])).status, 401);
    const self = await clientCertificate(work, undefined, 'self', ['alice@example.test']);
    assert.equal((await curl(tls, ['--cert', self.cert, '--key', self.key, '-o', '/dev/null', url(tls, '/private/secret.txt')])).status, 401);
    // A resource only for certificates has no challenge to offer anyone else.
    assert.equal((await curl(tls, ['-o', '/dev/null', url(tls, '/cert-only/x')])).status, 403);
  });

  test('authso user map-certificate: a certificate without the user\'s UPN logs on through its explicit mapping', async () => {
    const c = await clientCertificate(work, ca, 'mapped', ['nobody@example.test']);
    assert.equal((await curl(tls, ['--cert', c.cert, '--key', c.key, '-o', '/dev/null', url(tls, '/private/secret.txt')])).status, 401);
    const map = await run(process.execPath, [join(ROOT_DIR, 'bin/authso.mjs'), 'user', 'map-certificate', 'dave', '--cert', c.cert, '--data-dir', domain.dataDir]);
    assert.equal(map.code, 0, map.stderr);
    assert.match(map.stdout, /^dave: X509:<I>CN=authso test client CA<SR>[0-9A-F]+$/m);
    const ok = await curl(tls, ['--fail', '--cert', c.cert, '--key', c.key, url(tls, '/private/secret.txt')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(String(successes(tls, 'Certificate').at(-1)?.user).toLowerCase(), 'dave@example.test');
    const again = await run(process.execPath, [join(ROOT_DIR, 'bin/authso.mjs'), 'user', 'map-certificate', 'alice', '--cert', c.cert, '--data-dir', domain.dataDir]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already mapped to dave/);
  });

  test('the access check: alice is refused /admins (403), bob (Domain Admins) is served', async () => {
    const alice = await curl(plain, ['--ntlm', '-u', `EXAMPLE\\alice:${PW.alice}`, '-o', '/dev/null', url(plain, '/admins/a.txt')]);
    assert.equal(alice.status, 403);
    const bob = await curl(plain, ['--ntlm', '-u', `EXAMPLE\\bob:${PW.bob}`, url(plain, '/admins/a.txt')]);
    assert.equal(bob.status, 200);
    assert.equal(bob.body, 'admins only\n');
  });

  test('python requests-kerberos and requests-ntlm over https (channel bindings checked)', async () => {
    const m = await kinit('bob');
    const k = await run(PYTHON, [REQUESTS, 'kerberos', url(tls, '/private/secret.txt'), '--resolve', `${FQDN}:127.0.0.1`, '--insecure'], { env: m.env });
    assert.equal(k.stdout.split('\n')[0], '200', k.stdout + k.stderr);
    const conf = join(work, 'openssl-legacy.cnf');
    await writeFile(conf, 'openssl_conf = init\n[init]\nproviders = prov\n[prov]\ndefault = dflt\nlegacy = lgcy\n[dflt]\nactivate = 1\n[lgcy]\nactivate = 1\n');
    const env = { PATH: process.env.PATH, LANG: 'C', OPENSSL_CONF: conf };
    const n = await run(PYTHON, [REQUESTS, 'ntlm', url(tls, '/private/secret.txt'), 'EXAMPLE\\bob', PW.bob, '--resolve', `${FQDN}:127.0.0.1`, '--insecure'], { env });
    assert.equal(n.stdout.split('\n')[0], '200', n.stdout + n.stderr);
  });

  test('files outside the root are not served', async () => {
    const r = await curl(plain, ['--ntlm', '-u', `EXAMPLE\\alice:${PW.alice}`, '--path-as-is', '-o', '/dev/null', url(plain, '/private/../../outside.txt')]);
    assert.equal(r.status, 404);
    const m = await curl(plain, ['--ntlm', '-u', `EXAMPLE\\alice:${PW.alice}`, '-X', 'DELETE', '-o', '/dev/null', url(plain, '/private/secret.txt')]);
    assert.equal(m.status, 405);
  });

  test('lockout over HTTP: after three wrong passwords even the right one fails', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await curl(plain, ['--ntlm', '-u', `EXAMPLE\\carol:wrong-${i}`, '-o', '/dev/null', url(plain, '/private/secret.txt')]);
      assert.equal(r.status, 401);
    }
    const right = await curl(plain, ['--ntlm', '-u', `EXAMPLE\\carol:${PW.carol}`, '-o', '/dev/null', url(plain, '/private/secret.txt')]);
    assert.equal(right.status, 401);
    const digest = await curl(plain, ['--digest', '-u', `carol:${PW.carol}`, '-o', '/dev/null', url(plain, '/private/secret.txt')]);
    assert.equal(digest.status, 401);
    // The member's failure lines name who tried (as claimed), the DC's say what it decided.
    assert.ok(plain.lines.some((l) => l.result === 'failure' && l.mechanism === 'NTLM' && String(l.user).toLowerCase() === 'example\\carol'), JSON.stringify(plain.lines));
    const carol = await domain.directory.findClient('carol');
    assert.ok(carol?.account.lockoutTime instanceof Date);
    assert.ok(dcAudit.some((e) => e.user.toLowerCase() === 'example\\carol' && e.status === 'STATUS_ACCOUNT_LOCKED_OUT'), JSON.stringify(dcAudit.filter((e) => /carol/i.test(e.user))));
  });

  test('no secret reaches the member or DC audit lines', () => {
    const all = JSON.stringify([plain.lines, tls.lines, dcAudit]);
    for (const p of Object.values(PW)) assert.ok(!all.includes(p));
  });

  test('SIGTERM stops the server cleanly', async () => {
    const code = await stopCli(plain);
    assert.equal(code, 0, plain.stderr.join(''));
    assert.ok(plain.lines.some((l) => l.event === 'stopped'));
  });
});
