// impacket binding with NTLM (RPC_C_AUTHN_WINNT: bind → bind_ack → auth3, MS-AUTHSO 7.3.7
// figure 41) to our RPC server, whose NTLM acceptor validates against the domain directory
// (DirectoryAuthority over startDomain) — at CONNECT, PKT_INTEGRITY and PKT_PRIVACY, plus the
// refusals of MS-AUTHSO 7.3.8 step 2 (level too low, wrong password).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as ndr from '../../src/encoding/ndr.js';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { NtlmAcceptor, NtlmInitiator } from '../../src/ntlm/index.js';
import { RpcClient } from '../../src/rpc/client.js';
import { ntlmRpc } from '../../src/rpc/ntlm.js';
import { AUTHN, AUTHN_LEVEL, NCA, RpcError } from '../../src/rpc/pdu.js';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.js';
import { ECHO_IN, ECHO_OUT, WHOAMI_INFO, WHOAMI_UUID, WHOAMI_VERSION, whoamiInterface } from '../../src/rpc/whoami.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import { impacket } from './impacket-helper.js';

const SECURE_UUID = '7d2c9a4e-1b3f-4e6a-8d5c-2f0e9b1a7c36';
const USERS_UUID = '6c1e2f3a-0000-4000-8000-00000000a001';
const ADMINS_UUID = '6c1e2f3a-0000-4000-8000-00000000a002';
const PASSWORD = 'Alice-Passw0rd!';

describe('impacket NTLM binds against the authso RPC server', () => {
  let domain: RunningDomain;
  let server: RpcServer;
  before(async () => {
    domain = await startDomain({ realm: 'EXAMPLE.TEST', users: [{ name: 'alice', password: PASSWORD }] });
    const authority = new DirectoryAuthority(domain.directory);
    server = await startRpcServer({
      interfaces: [
        whoamiInterface(),
        { ...whoamiInterface({ providers: [AUTHN.WINNT], minLevel: AUTHN_LEVEL.PKT_INTEGRITY }), uuid: SECURE_UUID },
        { ...whoamiInterface({ providers: [AUTHN.WINNT], minLevel: AUTHN_LEVEL.CONNECT, sddl: 'D:(A;;GX;;;DU)' }), uuid: USERS_UUID },
        { ...whoamiInterface({ providers: [AUTHN.WINNT], minLevel: AUTHN_LEVEL.CONNECT, sddl: 'D:(A;;GX;;;DA)' }), uuid: ADMINS_UUID },
      ],
      acceptors: {
        [AUTHN.WINNT]: () =>
          ntlmRpc(
            new NtlmAcceptor({
              authority,
              netbiosComputerName: 'RPCSRV',
              netbiosDomainName: 'EXAMPLE',
              dnsComputerName: 'rpcsrv.example.test',
              dnsDomainName: 'example.test',
            }),
          ),
      },
    });
  });
  after(async () => {
    await server?.close();
    await domain?.stop();
  });

  function call(uuid: string, level: number, password = PASSWORD, maxFrag?: number) {
    const big = ndr.ndrEncode(ECHO_IN, { data: Buffer.alloc(9000, 0x42) }).toString('hex');
    return impacket({
      op: 'call',
      host: '127.0.0.1',
      port: server.port,
      uuid,
      version: '1.0',
      max_frag: maxFrag ?? null,
      auth: { user: 'alice', password, domain: 'EXAMPLE', level, type: AUTHN.WINNT },
      calls: [
        [0, ''],
        [1, big],
      ],
    });
  }

  function checkAlice(stubHex: string | undefined, level: number): void {
    const info = ndr.ndrDecode(WHOAMI_INFO, Buffer.from(stubHex ?? '', 'hex'));
    assert.equal(info.userName, 'alice');
    assert.equal(info.domainName, 'EXAMPLE');
    assert.match(info.userSid ?? '', /^S-1-5-21-\d+-\d+-\d+-\d+$/);
    assert.equal(info.authType, AUTHN.WINNT);
    assert.equal(info.authLevel, level);
  }

  test('CONNECT: whoami is alice', async () => {
    const res = await call(WHOAMI_UUID, AUTHN_LEVEL.CONNECT);
    assert.equal(res.exception, undefined, res.exception);
    checkAlice(res.results?.[0].stub, AUTHN_LEVEL.CONNECT);
    assert.equal(ndr.ndrDecode(ECHO_OUT, Buffer.from(res.results?.[1].stub ?? '', 'hex')).data?.length, 9000);
  });

  test('PKT_INTEGRITY: signed calls, fragmented both ways, on the interface that demands it', async () => {
    const res = await call(SECURE_UUID, AUTHN_LEVEL.PKT_INTEGRITY, PASSWORD, 2000);
    assert.equal(res.exception, undefined, res.exception);
    checkAlice(res.results?.[0].stub, AUTHN_LEVEL.PKT_INTEGRITY);
    assert.deepEqual(ndr.ndrDecode(ECHO_OUT, Buffer.from(res.results?.[1].stub ?? '', 'hex')).data, Buffer.alloc(9000, 0x42));
  });

  test('PKT_PRIVACY: sealed calls', async () => {
    const res = await call(SECURE_UUID, AUTHN_LEVEL.PKT_PRIVACY);
    assert.equal(res.exception, undefined, res.exception);
    checkAlice(res.results?.[0].stub, AUTHN_LEVEL.PKT_PRIVACY);
  });

  test('CONNECT is below the secure interface minimum: access denied (MS-AUTHSO 7.3.8 step 2)', async () => {
    const res = await call(SECURE_UUID, AUTHN_LEVEL.CONNECT);
    assert.match(JSON.stringify(res), /access_denied/i);
    assert.equal(NCA.s_fault_access_denied, 5);
  });

  test('our RpcClient with NtlmInitiator: CONNECT, PKT_INTEGRITY, PKT_PRIVACY (fragmented), and a wrong password', async () => {
    const levels = [AUTHN_LEVEL.CONNECT, AUTHN_LEVEL.PKT_INTEGRITY, AUTHN_LEVEL.PKT_PRIVACY];
    for (const level of levels) {
      const ctx = ntlmRpc(new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: PASSWORD, sign: true, seal: true }));
      const c = await RpcClient.connect({ host: '127.0.0.1', port: server.port, auth: { type: AUTHN.WINNT, level, context: ctx }, maxXmitFrag: 1432, maxRecvFrag: 1432 });
      const { contextId } = await c.bind({ uuid: level === AUTHN_LEVEL.CONNECT ? WHOAMI_UUID : SECURE_UUID, ...WHOAMI_VERSION });
      const info = ndr.ndrDecode(WHOAMI_INFO, await c.call(contextId, 0, Buffer.alloc(0)));
      assert.equal(info.userName, 'alice');
      assert.equal(info.authLevel, level);
      const data = Buffer.alloc(7000, 0x33);
      assert.deepEqual(ndr.ndrDecode(ECHO_OUT, await c.call(contextId, 1, ndr.ndrEncode(ECHO_IN, { data }))).data, data);
      c.close();
    }
    const bad = ntlmRpc(new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: 'nope', sign: true }));
    const c = await RpcClient.connect({ host: '127.0.0.1', port: server.port, auth: { type: AUTHN.WINNT, level: AUTHN_LEVEL.PKT_INTEGRITY, context: bad } });
    const { contextId } = await c.bind({ uuid: WHOAMI_UUID, ...WHOAMI_VERSION });
    await assert.rejects(c.call(contextId, 0, Buffer.alloc(0)), (e: RpcError) => e.status === NCA.s_fault_access_denied);
    c.close();
  });

  test('MS-AUTHSO 7.1.3.4: the interface security descriptor authorizes each call', async () => {
    for (const [uuid, allowed] of [
      [USERS_UUID, true],
      [ADMINS_UUID, false],
    ] as const) {
      const ctx = ntlmRpc(new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: PASSWORD }));
      const c = await RpcClient.connect({ host: '127.0.0.1', port: server.port, auth: { type: AUTHN.WINNT, level: AUTHN_LEVEL.CONNECT, context: ctx } });
      const { contextId } = await c.bind({ uuid, ...WHOAMI_VERSION });
      if (allowed) {
        assert.equal(ndr.ndrDecode(WHOAMI_INFO, await c.call(contextId, 0, Buffer.alloc(0))).userName, 'alice');
      } else {
        await assert.rejects(c.call(contextId, 0, Buffer.alloc(0)), (e: RpcError) => e.status === NCA.s_fault_access_denied);
        // An authorization refusal fails the call, not the connection.
        await assert.rejects(c.call(contextId, 0, Buffer.alloc(0)), (e: RpcError) => e.status === NCA.s_fault_access_denied);
      }
      c.close();
    }
  });

  test('wrong password: the call after auth3 is refused', async () => {
    const res = await call(WHOAMI_UUID, AUTHN_LEVEL.CONNECT, 'wrong');
    assert.equal(res.results?.[0].stub, undefined, JSON.stringify(res));
    assert.match(JSON.stringify(res), /access_denied/i);
  });
});
