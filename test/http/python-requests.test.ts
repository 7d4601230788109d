// python-requests with requests-kerberos (Negotiate, mutual authentication REQUIRED) and
// requests-ntlm against the HTTP authenticator (MS-AUTHSO 5.4.5), through
// test/http/requests_client.py. The Debian packages come from scripts/install-peers.sh.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requirePeer, run, SYSTEM_PYTHON } from '../helpers/peers.js';
import { HOST, PASSWORDS, kinit, startHttpFixture, type HttpFixture } from './fixture.js';

const PYTHON = requirePeer(SYSTEM_PYTHON);
const SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), 'requests_client.py');

describe('python-requests (requests-kerberos, requests-ntlm) against the HTTP authenticator', () => {
  let f: HttpFixture;
  before(async () => {
    const probe = await run(PYTHON, ['-c', 'import requests_kerberos, requests_ntlm']);
    if (probe.code !== 0) throw new Error(`python3-requests-kerberos / python3-requests-ntlm missing: run 'npm run peers'\n${probe.stderr}`);
    f = await startHttpFixture();
  });
  after(async () => {
    await f?.stop();
  });

  const py = (args: string[], env: NodeJS.ProcessEnv) => run(PYTHON, [SCRIPT, ...args, '--resolve', `${HOST}:127.0.0.1`], { env });

  test('requests-kerberos with a kinit ticket: 200 and the mutual-auth token checks out', async () => {
    const m = await f.mit();
    await kinit(m, 'alice');
    const r = await py(['kerberos', f.url('/private/py')], m.env);
    assert.equal(r.code, 0, r.stderr);
    const [status, body] = r.stdout.split('\n');
    assert.equal(status, '200', r.stdout + r.stderr);
    assert.match(body, /"user":"EXAMPLE\\\\alice"/i);
  });

  test('requests-kerberos: 403 where the rule does not allow the user', async () => {
    const m = await f.mit();
    await kinit(m, 'alice');
    const r = await py(['kerberos', f.url('/admins/py')], m.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[0], '403', r.stdout + r.stderr);
  });

  test('requests-ntlm: 200 with the right password, 401 with a wrong one', async () => {
    // ntlm-auth hashes with hashlib's MD4, which OpenSSL 3 keeps in its legacy provider:
    // a private OPENSSL_CONF loads it for the client process only.
    const conf = join(f.dir, 'openssl-legacy.cnf');
    await writeFile(
      conf,
      'openssl_conf = init\n[init]\nproviders = prov\n[prov]\ndefault = dflt\nlegacy = lgcy\n[dflt]\nactivate = 1\n[lgcy]\nactivate = 1\n',
    );
    const env = { PATH: process.env.PATH, LANG: 'C', OPENSSL_CONF: conf };
    const ok = await py(['ntlm', f.url('/private/py'), 'EXAMPLE\\alice', PASSWORDS.alice], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.split('\n')[0], '200', ok.stdout + ok.stderr);
    const bad = await py(['ntlm', f.url('/private/py'), 'EXAMPLE\\alice', 'wrong'], env);
    assert.equal(bad.code, 0, bad.stderr);
    assert.equal(bad.stdout.split('\n')[0], '401', bad.stdout + bad.stderr);
  });
});
