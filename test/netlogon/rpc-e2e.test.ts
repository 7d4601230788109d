// End to end over TCP: impacket's nrpc client against our RPC runtime hosting the Netlogon
// interface (unauthenticated bind: impacket 0.10 seals schannel with RC4 only, which we refuse).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../../src/directory/directory.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import { createNetlogonInterface } from '../../src/netlogon/index.js';
import { startRpcServer } from '../../src/rpc/server.js';
import { ImpacketPeer } from './peer.js';

test('impacket over ncacn_ip_tcp: ReqChallenge, Authenticate3, SamLogonWithFlags', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'authso-netlogon-e2e-'));
  const dir = await Directory.openSqlite(dataDir);
  const peer = await ImpacketPeer.start();
  const internal: unknown[] = [];
  try {
    await dir.provision({ realm: 'EXAMPLE.TEST', netbiosName: 'EXAMPLE' });
    const alice = await dir.createUser('alice', { password: 'Alice-Password-1!' });
    const { account: member } = await dir.createComputer('member', { password: 'Member-Machine-Password-7' });
    const iface = createNetlogonInterface({
      directory: dir,
      authority: new DirectoryAuthority(dir, { dcName: 'DC1' }),
      dcName: 'DC1',
      dnsDomainName: 'example.test',
      onError: (e) => internal.push(e),
    });
    const server = await startRpcServer({ host: '127.0.0.1', port: 0, interfaces: [iface], onError: (e) => internal.push(e) });
    try {
      const r = await peer.call('e2e', {
        port: server.port,
        computer: 'MEMBER',
        password: 'Member-Machine-Password-7',
        user: 'alice',
        userPassword: 'Alice-Password-1!',
      });
      assert.equal(r.authStatus, 0);
      assert.equal(r.serverCredentialOk, true);
      assert.equal(r.rid, member.rid);
      const logon = r.logon as { status: number; userId: number; tag: number };
      assert.equal(logon.status, 0);
      assert.equal(logon.tag, 3);
      assert.equal(logon.userId, alice.rid);
      assert.equal(r.returnOk, true, 'the return authenticator verifies');
      assert.equal(r.sessionKeyOk, true, 'the UserSessionKey decrypts to the NTLMv2 session base key');
    } finally {
      await server.close();
    }
    assert.deepEqual(internal, []);
  } finally {
    peer.close();
    await dir.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
