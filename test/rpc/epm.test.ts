// The endpoint mapper with our own client: ept_map resolution (how a member finds a DC's
// Netlogon port), ept_lookup paging with continuation handles, and bounded input.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RpcClient } from '../../src/rpc/client.js';
import { EPM_SYNTAX, EPT_S_NOT_REGISTERED, eptLookup, resolveTcpEndpoint, startEndpointMapper, type EndpointMapper } from '../../src/rpc/epm.js';
import { NIL_UUID, NCA, RpcError } from '../../src/rpc/pdu.js';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.js';
import { WHOAMI_UUID, WHOAMI_VERSION, whoamiInterface } from '../../src/rpc/whoami.js';

describe('endpoint mapper (our client)', () => {
  let a: RpcServer;
  let b: RpcServer;
  let epm: { server: RpcServer; mapper: EndpointMapper };
  before(async () => {
    a = await startRpcServer({ interfaces: [whoamiInterface()] });
    b = await startRpcServer({ interfaces: [{ ...whoamiInterface(), uuid: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f90a1b2c3', version: { major: 2, minor: 1 }, name: 'second' }] });
    epm = await startEndpointMapper({ servers: [a, b] });
  });
  after(async () => {
    await a.close();
    await b.close();
    await epm.server.close();
  });

  test('resolveTcpEndpoint (ept_map) finds each interface port; minor versions are compatible upward', async () => {
    assert.equal(await resolveTcpEndpoint('127.0.0.1', { uuid: WHOAMI_UUID, ...WHOAMI_VERSION }, epm.server.port), a.port);
    assert.equal(await resolveTcpEndpoint('127.0.0.1', { uuid: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f90a1b2c3', major: 2, minor: 0 }, epm.server.port), b.port);
    assert.equal(await resolveTcpEndpoint('127.0.0.1', { uuid: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f90a1b2c3', major: 2, minor: 2 }, epm.server.port), undefined);
    assert.equal(await resolveTcpEndpoint('127.0.0.1', { uuid: WHOAMI_UUID, major: 9, minor: 0 }, epm.server.port), undefined);
  });

  test('ept_lookup pages through every entry with continuation handles', async () => {
    const c = await RpcClient.connect({ host: '127.0.0.1', port: epm.server.port });
    const { contextId } = await c.bind(EPM_SYNTAX);
    const seen: string[] = [];
    let handle = NIL_UUID;
    for (let i = 0; i < 10; i++) {
      const page = await eptLookup(c, contextId, handle, 1);
      assert.equal(page.status, 0);
      assert.equal(page.entries.length, 1);
      const e = page.entries[0];
      seen.push(`${e.tower.iface?.uuid}:${e.tower.port}:${e.annotation}`);
      handle = page.handle;
      if (handle === NIL_UUID) break;
    }
    assert.deepEqual(seen.sort(), [
      `9a0b1c2d-3e4f-4a5b-8c6d-7e8f90a1b2c3:${b.port}:second`,
      `${WHOAMI_UUID}:${a.port}:authso whoami`,
      `e1af8308-5d1f-11c9-91a4-08002b14a0fa:${epm.server.port}:Endpoint Mapper`,
    ].sort());
    // A forged handle is simply the end of the list.
    const forged = await eptLookup(c, contextId, '01234567-89ab-cdef-0123-456789abcdef', 10);
    assert.deepEqual([forged.entries.length, forged.status, forged.handle], [0, EPT_S_NOT_REGISTERED, NIL_UUID]);
    // Malformed stub data: a fault, and the connection keeps serving.
    await assert.rejects(c.call(contextId, 2, Buffer.from([1, 2, 3])), (e: RpcError) => e.status === NCA.s_fault_ndr);
    await assert.rejects(c.call(contextId, 3, Buffer.alloc(40, 0xff)), (e: RpcError) => e.kind === 'fault');
    assert.equal((await eptLookup(c, contextId)).entries.length, 3);
    c.close();
  });
});
