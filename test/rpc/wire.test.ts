// The RPC runtime on the wire: tshark's DCE/RPC dissector reads a capture of our client, impacket
// (unauthenticated and NTLM at CONNECT / PKT_INTEGRITY) and endpoint mapper lookups, with no
// malformed packet and no expert error.

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ndr from '../../src/encoding/ndr.js';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { NtlmAcceptor } from '../../src/ntlm/index.js';
import { RpcClient } from '../../src/rpc/client.js';
import { startEndpointMapper, type EndpointMapper } from '../../src/rpc/epm.js';
import { ntlmRpc } from '../../src/rpc/ntlm.js';
import { AUTHN, AUTHN_LEVEL, BIND_TIME_FEATURE } from '../../src/rpc/pdu.js';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.js';
import { ECHO_IN, WHOAMI_UUID, WHOAMI_VERSION, whoamiInterface } from '../../src/rpc/whoami.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import { run } from '../helpers/peers.js';
import { captureLoopback, TSHARK } from '../helpers/tshark.js';

const capture = (ports: number[], file: string, body: () => Promise<void>) =>
  captureLoopback(ports.map((p) => `port ${p}`).join(' or '), file, body);
import { impacket } from './impacket-helper.js';


describe('DCE/RPC on the wire', () => {
  let domain: RunningDomain;
  let server: RpcServer;
  let epm: { server: RpcServer; mapper: EndpointMapper };
  before(async () => {
    domain = await startDomain({ users: [{ name: 'alice', password: 'Alice-Passw0rd!' }] });
    const authority = new DirectoryAuthority(domain.directory);
    server = await startRpcServer({
      interfaces: [whoamiInterface()],
      acceptors: {
        [AUTHN.WINNT]: () =>
          ntlmRpc(new NtlmAcceptor({ authority, netbiosComputerName: 'RPCSRV', netbiosDomainName: 'EXAMPLE', dnsComputerName: 'rpcsrv.example.test', dnsDomainName: 'example.test' })),
      },
    });
    epm = await startEndpointMapper({ servers: [server] });
  });
  after(async () => {
    await server?.close();
    await epm?.server.close();
    await domain?.stop();
  });

  test('tshark dissects binds, fragmented calls, faults, NTLM auth3/verifiers and EPM without errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'authso-rpc-wire-'));
    const pcap = join(dir, 'rpc.pcap');
    const big = ndr.ndrEncode(ECHO_IN, { data: Buffer.alloc(5000, 1) }).toString('hex');
    await capture([server.port, epm.server.port], pcap, async () => {
      const c = await RpcClient.connect({ host: '127.0.0.1', port: server.port, maxXmitFrag: 1432, maxRecvFrag: 1432, bindTimeFeatures: BIND_TIME_FEATURE.KEEP_CONNECTION_ON_ORPHAN });
      const { contextId } = await c.bind({ uuid: WHOAMI_UUID, ...WHOAMI_VERSION });
      await c.call(contextId, 0, Buffer.alloc(0));
      await c.call(contextId, 1, Buffer.from(big, 'hex'));
      await c.call(contextId, 9, Buffer.alloc(0)).catch(() => undefined);
      c.close();
      const levels = [AUTHN_LEVEL.CONNECT, AUTHN_LEVEL.PKT_INTEGRITY, AUTHN_LEVEL.PKT_PRIVACY];
      for (const level of levels) {
        const r = await impacket({
          op: 'call',
          host: '127.0.0.1',
          port: server.port,
          uuid: WHOAMI_UUID,
          version: '1.0',
          max_frag: 1500,
          auth: { user: 'alice', password: 'Alice-Passw0rd!', domain: 'EXAMPLE', level, type: AUTHN.WINNT },
          calls: [
            [0, ''],
            [1, big],
          ],
        });
        assert.equal(r.exception, undefined, r.exception);
      }
      const l = await impacket({ op: 'lookup', host: '127.0.0.1', port: epm.server.port });
      assert.equal(l.exception, undefined, l.exception);
      const m = await impacket({ op: 'map', host: '127.0.0.1', port: epm.server.port, uuid: WHOAMI_UUID, version: '1.0' });
      assert.ok(m.binding, JSON.stringify(m));
    });
    const decode = ['-r', pcap, '-d', `tcp.port==${server.port},dcerpc`, '-d', `tcp.port==${epm.server.port},dcerpc`];
    const all = await run(TSHARK, [...decode, '-Y', 'dcerpc || epm'], { env: { PATH: process.env.PATH } });
    assert.equal(all.code, 0, all.stderr);
    for (const msg of ['Bind_ack', 'AUTH3', 'Response', 'Fault', 'NTLMSSP_AUTH', 'Map response', 'Lookup response', 'Negotiate ACK']) {
      assert.match(all.stdout, new RegExp(msg), all.stdout);
    }
    const bad = await run(TSHARK, [...decode, '-Y', '_ws.malformed || _ws.expert.severity == error'], { env: { PATH: process.env.PATH } });
    assert.equal(bad.code, 0, bad.stderr);
    assert.equal(bad.stdout.trim(), '', `malformed or erroneous packets:\n${bad.stdout}`);
  });
});
