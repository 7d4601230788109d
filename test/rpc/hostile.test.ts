// Hostile input: garbage, truncated and mutated PDUs, oversized fragments and requests, forged
// verifiers. Every case ends in a fault / bind_nak or a closed connection, and the server keeps
// serving other clients.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as ndr from '../../src/encoding/ndr.js';
import { RpcClient } from '../../src/rpc/client.js';
import { AUTHN, AUTHN_LEVEL, decodePdu, encodePdu, NCA, NDR20, PFC, RpcError } from '../../src/rpc/pdu.js';
import type { RpcPduParts } from '../../src/rpc/protection.js';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.js';
import { ECHO_IN as ECHO_IN_DECL, WHOAMI_INFO, WHOAMI_UUID, WHOAMI_VERSION, whoamiInterface } from '../../src/rpc/whoami.js';
import { FakeAcceptor, FakeInitiator } from './fake-provider.js';

const WHOAMI = { uuid: WHOAMI_UUID, ...WHOAMI_VERSION };

function bindPdu(over: Partial<{ maxXmitFrag: number; maxRecvFrag: number }> = {}): Buffer {
  return encodePdu({
    ptype: 11,
    flags: PFC.FIRST_FRAG | PFC.LAST_FRAG,
    callId: 1,
    maxXmitFrag: over.maxXmitFrag ?? 1432,
    maxRecvFrag: over.maxRecvFrag ?? 1432,
    assocGroupId: 0,
    contexts: [{ contextId: 0, abstractSyntax: WHOAMI, transferSyntaxes: [NDR20] }],
  });
}
function requestPdu(callId: number, flags: number, stub: Buffer): Buffer {
  return encodePdu({ ptype: 0, flags, callId, allocHint: stub.length, contextId: 0, opnum: 1, stub });
}

/** Sends chunks on a fresh connection; collects what comes back until close or a quiet period. */
async function raw(port: number, chunks: Buffer[], quietMs = 300): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const got: Buffer[] = [];
    let closed = false;
    let timer: NodeJS.Timeout;
    const finish = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(got), closed });
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    };
    s.on('connect', () => {
      for (const c of chunks) s.write(c);
      arm();
    });
    s.on('data', (d: Buffer) => {
      got.push(d);
      arm();
    });
    s.on('error', () => {});
    s.on('close', () => {
      closed = true;
      finish();
    });
  });
}

function faults(data: Buffer): number[] {
  const out: number[] = [];
  for (let off = 0; off + 16 <= data.length; ) {
    const len = data.readUInt16LE(off + 8);
    if (len < 16 || off + len > data.length) break;
    const p = decodePdu(data.subarray(off, off + len));
    if (p.ptype === 3) out.push(p.status);
    if (p.ptype === 13) out.push(-p.rejectReason - 1);
    off += len;
  }
  return out;
}

describe('hostile input', () => {
  let server: RpcServer;
  before(async () => {
    server = await startRpcServer({
      interfaces: [whoamiInterface()],
      acceptors: { [AUTHN.WINNT]: () => new FakeAcceptor() },
      maxRequestSize: 20_000,
    });
  });
  after(async () => {
    await server.close();
  });

  async function stillServes(): Promise<void> {
    const c = await RpcClient.connect({ host: '127.0.0.1', port: server.port });
    const { contextId } = await c.bind(WHOAMI);
    const info = ndr.ndrDecode(WHOAMI_INFO, await c.call(contextId, 0, Buffer.alloc(0)));
    assert.equal(info.userSid, 'S-1-5-7');
    c.close();
  }

  test('garbage and a wrong RPC version: fault (proto error) and close', async () => {
    const r = await raw(server.port, [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]);
    assert.ok(r.closed);
    const v4 = bindPdu();
    v4[0] = 4;
    const r2 = await raw(server.port, [v4]);
    assert.ok(r2.closed);
    assert.deepEqual(faults(r2.data), [-4 - 1], 'bind_nak protocol_version_not_supported');
    await stillServes();
  });

  test('big-endian data representation is refused', async () => {
    const b = bindPdu();
    b[4] = 0x00;
    const r = await raw(server.port, [b]);
    assert.ok(r.closed);
    assert.deepEqual(faults(r.data), [NCA.s_unsupported_type]);
  });

  test('request before bind → nca_s_proto_error and close', async () => {
    const r = await raw(server.port, [requestPdu(1, 3, Buffer.alloc(4))]);
    assert.ok(r.closed);
    assert.deepEqual(faults(r.data), [NCA.s_proto_error]);
  });

  test('frag_length above the negotiated receive size → fault and close, before the body arrives', async () => {
    // Above our own maximum (5840): refused on the header alone.
    const huge = requestPdu(2, 3, Buffer.alloc(9000));
    const r = await raw(server.port, [bindPdu(), huge.subarray(0, 16)]);
    assert.ok(r.closed);
    assert.deepEqual(faults(r.data), [NCA.s_proto_error]);
    // Within our maximum but above the 1432 this bind negotiated: refused when processed.
    const big = requestPdu(2, 3, Buffer.alloc(3000));
    const r2 = await raw(server.port, [bindPdu(), big]);
    assert.ok(r2.closed);
    assert.deepEqual(faults(r2.data), [NCA.s_proto_error]);
  });

  test('fragment sizes below 1432 → bind_nak local_limit_exceeded', async () => {
    const r = await raw(server.port, [bindPdu({ maxXmitFrag: 100, maxRecvFrag: 100 })]);
    assert.deepEqual(faults(r.data), [-2 - 1]);
  });

  test('reassembly is bounded (maxRequestSize) and a stray middle fragment is a protocol error', async () => {
    const chunks = [bindPdu(), requestPdu(2, PFC.FIRST_FRAG, Buffer.alloc(1000))];
    for (let i = 0; i < 30; i++) chunks.push(requestPdu(2, 0, Buffer.alloc(1000)));
    const r = await raw(server.port, chunks);
    assert.ok(r.closed);
    assert.deepEqual(faults(r.data), [NCA.s_proto_error]);
    const r2 = await raw(server.port, [bindPdu(), requestPdu(7, PFC.LAST_FRAG, Buffer.alloc(8))]);
    assert.ok(r2.closed);
    assert.deepEqual(faults(r2.data), [NCA.s_proto_error]);
    await stillServes();
  });

  test('500 pipelined requests in one write are all answered, in order', async () => {
    const reqs: Buffer[] = [];
    const echo = ndr.ndrEncode(ECHO_IN_DECL, { data: Buffer.from('ping') });
    for (let i = 0; i < 500; i++) reqs.push(requestPdu(10 + i, 3, echo));
    const r = await raw(server.port, [Buffer.concat([bindPdu(), ...reqs])], 1000);
    const ids: number[] = [];
    for (let off = 0; off + 16 <= r.data.length; ) {
      const len = r.data.readUInt16LE(off + 8);
      const p = decodePdu(r.data.subarray(off, off + len));
      if (p.ptype === 2) ids.push(p.callId);
      off += len;
    }
    assert.equal(ids.length, 500);
    assert.deepEqual(ids, reqs.map((_, i) => 10 + i));
  });

  test('a truncated PDU then silence: no reply, no crash', async () => {
    const r = await raw(server.port, [bindPdu().subarray(0, 30)]);
    assert.equal(r.data.length, 0);
    await stillServes();
  });

  test('mutation fuzzing of bind and request PDUs (400 cases)', async () => {
    const seeds = [Buffer.concat([bindPdu(), requestPdu(2, 3, ndr.ndrEncode(WHOAMI_INFO, { userName: 'a', domainName: 'b', userSid: 'S-1-5-7', authType: 0, authLevel: 1, groups: [] }))])];
    let closedOrAnswered = 0;
    const batch: Promise<void>[] = [];
    for (let i = 0; i < 400; i++) {
      const b = Buffer.from(seeds[0]);
      const n = 1 + (i % 6);
      for (let k = 0; k < n; k++) {
        const at = randomBytes(2).readUInt16LE(0) % b.length;
        b[at] = randomBytes(1)[0];
      }
      const cut = i % 5 === 0 ? b.subarray(0, randomBytes(2).readUInt16LE(0) % b.length) : b;
      batch.push(
        raw(server.port, [cut], 150).then((r) => {
          if (r.closed || r.data.length > 0) closedOrAnswered++;
        }),
      );
      if (batch.length >= 20) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
    assert.ok(closedOrAnswered > 200);
    await stillServes();
  });

  test('a forged PKT_INTEGRITY verifier → access denied and close', async () => {
    class Forger extends FakeInitiator {
      override rpcSign(p: RpcPduParts): Buffer {
        const s = super.rpcSign(p);
        s[0] ^= 1;
        return s;
      }
    }
    const c = await RpcClient.connect({ host: '127.0.0.1', port: server.port, auth: { type: AUTHN.WINNT, level: AUTHN_LEVEL.PKT_INTEGRITY, context: new Forger('eve') } });
    const { contextId } = await c.bind(WHOAMI);
    await assert.rejects(c.call(contextId, 0, Buffer.alloc(0)), (e: RpcError) => e.status === NCA.s_fault_access_denied);
    await assert.rejects(c.call(contextId, 0, Buffer.alloc(0)), (e: RpcError) => e.status === NCA.s_comm_failure);
    c.close();
    await stillServes();
  });
});
