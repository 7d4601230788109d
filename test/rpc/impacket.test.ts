// impacket (a real, independent DCE/RPC implementation) as a client of our runtime: an
// unauthenticated bind and calls to whoami (with fragmentation), and rpcdump-style endpoint
// mapper queries (ept_lookup via hept_lookup, ept_map via hept_map).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as ndr from '../../src/encoding/ndr.js';
import { startEndpointMapper, type EndpointMapper } from '../../src/rpc/epm.js';
import { NCA } from '../../src/rpc/pdu.js';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.js';
import { ECHO_IN, ECHO_OUT, WHOAMI_INFO, WHOAMI_UUID, whoamiInterface } from '../../src/rpc/whoami.js';
import { impacket } from './impacket-helper.js';

describe('impacket against the authso RPC runtime', () => {
  let server: RpcServer;
  let epm: { server: RpcServer; mapper: EndpointMapper };
  before(async () => {
    server = await startRpcServer({ interfaces: [whoamiInterface()] });
    epm = await startEndpointMapper({ servers: [server] });
  });
  after(async () => {
    await server.close();
    await epm.server.close();
  });

  test('unauthenticated bind and calls (whoami, fragmented echo, unknown opnum)', async () => {
    const big = Buffer.alloc(30_000);
    for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
    const res = await impacket({
      op: 'call',
      host: '127.0.0.1',
      port: server.port,
      uuid: WHOAMI_UUID,
      version: '1.0',
      max_frag: 1000,
      calls: [
        [0, ''],
        [1, ndr.ndrEncode(ECHO_IN, { data: big }).toString('hex')],
        [42, ''],
        [0, ''],
      ],
    });
    assert.equal(res.exception, undefined, res.exception);
    const r = res.results ?? [];
    const info = ndr.ndrDecode(WHOAMI_INFO, Buffer.from(r[0].stub ?? '', 'hex'));
    assert.equal(info.userName, 'ANONYMOUS LOGON');
    assert.equal(info.userSid, 'S-1-5-7');
    assert.deepEqual(ndr.ndrDecode(ECHO_OUT, Buffer.from(r[1].stub ?? '', 'hex')).data, big);
    // impacket names the fault status (NCA.s_op_rng_error = 0x1c010002).
    assert.match(r[2].error ?? '', /nca_s_op_rng_error/, JSON.stringify(r[2]));
    assert.equal(NCA.s_op_rng_error, 0x1c010002);
    assert.ok(r[3].stub, 'the connection keeps serving after a fault');
  });

  test('binding an unknown interface is rejected', async () => {
    const res = await impacket({ op: 'call', host: '127.0.0.1', port: server.port, uuid: '12345678-1234-1234-1234-123456789abc', version: '1.0', calls: [] });
    assert.match(res.exception ?? '', /abstract_syntax_not_supported|rejected/);
  });

  test('hept_lookup lists the registered interfaces with their ncacn_ip_tcp endpoints', async () => {
    const res = await impacket({ op: 'lookup', host: '127.0.0.1', port: epm.server.port });
    assert.equal(res.exception, undefined, res.exception);
    const entries = res.entries ?? [];
    const who = entries.find((e) => e.iface.toLowerCase().startsWith(WHOAMI_UUID));
    assert.ok(who, JSON.stringify(entries));
    assert.equal(who.iface.toLowerCase(), `${WHOAMI_UUID} v1.0`);
    assert.equal(who.string_binding, `ncacn_ip_tcp:127.0.0.1[${server.port}]`);
    assert.equal(who.annotation, 'authso whoami');
    assert.ok(entries.some((e) => e.iface.toLowerCase().startsWith('e1af8308-5d1f-11c9-91a4-08002b14a0fa') && e.string_binding.endsWith(`[${epm.server.port}]`)));
  });

  test('hept_map resolves an interface to its port; an unknown one is not registered', async () => {
    const res = await impacket({ op: 'map', host: '127.0.0.1', port: epm.server.port, uuid: WHOAMI_UUID, version: '1.0' });
    assert.equal(res.binding, `ncacn_ip_tcp:127.0.0.1[${server.port}]`, JSON.stringify(res));
    const none = await impacket({ op: 'map', host: '127.0.0.1', port: epm.server.port, uuid: '12345678-1234-1234-1234-123456789abc', version: '1.0' });
    assert.ok(none.error || none.exception, JSON.stringify(none));
  });
});
