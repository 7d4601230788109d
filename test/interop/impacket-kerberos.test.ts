// impacket's Kerberos client (getTGT.py, getST.py) against our KDC. impacket always talks to
// port 88, so this DC gets its own loopback address with the standard port.

import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { IMPACKET_EXAMPLES, requirePeer, run, SYSTEM_PYTHON } from '../helpers/peers.js';

const GET_TGT = requirePeer(join(IMPACKET_EXAMPLES, 'getTGT.py'));
const GET_ST = requirePeer(join(IMPACKET_EXAMPLES, 'getST.py'));
const HOST = '127.0.0.88';

describe('impacket getTGT / getST against the authso KDC', () => {
  let domain: RunningDomain;
  before(async () => {
    domain = await startDomain({
      realm: 'EXAMPLE.TEST',
      host: HOST,
      kdcPort: 88,
      users: [{ name: 'alice', password: 'Alice-Passw0rd!' }],
      services: [{ computer: 'web', spns: ['HTTP/web.example.test'] }],
    });
  });
  after(async () => {
    await domain?.stop();
  });

  test('getTGT then getST (stock impacket: no body checksum in the TGS authenticator)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'authso-impacket-'));
    const env = { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' };
    const t = await run(SYSTEM_PYTHON, [GET_TGT, '-dc-ip', HOST, 'EXAMPLE.TEST/alice'], { env, cwd: dir, input: 'Alice-Passw0rd!\n' });
    assert.equal(t.code, 0, t.stdout + t.stderr);
    assert.match(t.stdout, /Saving ticket in alice\.ccache/);
    const s = await run(
      SYSTEM_PYTHON,
      [GET_ST, '-k', '-no-pass', '-spn', 'HTTP/web.example.test', '-dc-ip', HOST, 'EXAMPLE.TEST/alice'],
      { env: { ...env, KRB5CCNAME: join(dir, 'alice.ccache') }, cwd: dir },
    );
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.match(s.stdout, /Saving ticket in /);
    const files = await readdir(dir);
    assert.ok(files.some((f) => f.includes('HTTP') || f === 'alice.ccache'), files.join(','));
  });

  test('getTGT with a wrong password fails with KDC_ERR_PREAUTH_FAILED', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'authso-impacket-'));
    const env = { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' };
    const t = await run(SYSTEM_PYTHON, [GET_TGT, '-dc-ip', HOST, 'EXAMPLE.TEST/alice'], { env, cwd: dir, input: 'wrong\n' });
    assert.match(t.stdout + t.stderr, /KDC_ERR_PREAUTH_FAILED/);
  });
});
