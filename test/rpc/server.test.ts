// Our RPC client against our RPC server: binding, presentation contexts, fragmentation, faults,
// and every authentication level with the fake security provider.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as ndr from '../../src/encoding/ndr.js';
import { RpcClient, type RpcClientAuth } from '../../src/rpc/client.js';
import { AUTHN, AUTHN_LEVEL, BIND_TIME_FEATURE, decodePdu, encodePdu, NCA, NDR20, NDR64, PduFramer, PFC, REJECT, RpcError } from '../../src/rpc/pdu.js';
import { RpcServer, startRpcServer, type RpcInterface } from '../../src/rpc/server.js';
import { ECHO_IN, ECHO_OUT, WHOAMI_INFO, WHOAMI_UUID, WHOAMI_VERSION, whoamiInterface } from '../../src/rpc/whoami.js';
import { FakeAcceptor, FakeInitiator, PlainAcceptor } from './fake-provider.js';

const WHOAMI = { uuid: WHOAMI_UUID, ...WHOAMI_VERSION };
const SECURE_UUID = '0a3c6c1e-7f1b-4d5e-8c2a-9b7e6d5c4b3a';
const SECURE = { uuid: SECURE_UUID, major: 2, minor: 0 };

const errors: unknown[] = [];
function secureInterface(): RpcInterface {
  const base = whoamiInterface({ providers: [AUTHN.WINNT, AUTHN.GSS_KERBEROS], minLevel: AUTHN_LEVEL.PKT_INTEGRITY });
  return {
    ...base,
    uuid: SECURE_UUID,
    version: { major: 2, minor: 0 },
    opnums: {
      ...base.opnums,
      2: async () => {
        throw new Error('internal secret detail /etc/passwd');
      },
      3: async () => {
        throw new RpcError(0x1c000021, 'user defined');
      },
    },
  };
}

function echoStub(data: Buffer): Buffer {
  return ndr.ndrEncode(ECHO_IN, { data });
}
function echoData(stub: Buffer): Buffer | null {
  return ndr.ndrDecode(ECHO_OUT, stub).data;
}

describe('RPC server and client', () => {
  let server: RpcServer;
  before(async () => {
    server = await startRpcServer({
      interfaces: [whoamiInterface(), secureInterface()],
      acceptors: { [AUTHN.WINNT]: () => new FakeAcceptor(), [AUTHN.GSS_KERBEROS]: () => new FakeAcceptor(), [AUTHN.GSS_NEGOTIATE]: () => new PlainAcceptor() },
      onError: (e) => errors.push(e),
    });
  });
  after(async () => {
    await server.close();
  });

  async function client(auth?: RpcClientAuth, extra: { maxXmitFrag?: number; maxRecvFrag?: number; headerSigning?: boolean } = {}): Promise<RpcClient> {
    return RpcClient.connect({ host: '127.0.0.1', port: server.port, auth, ...extra });
  }

  test('unauthenticated bind and call: ANONYMOUS LOGON', async () => {
    const c = await client();
    const { contextId } = await c.bind(WHOAMI);
    assert.equal(c.secAddr, String(server.port));
    assert.ok(c.assocGroupId > 0);
    const info = ndr.ndrDecode(WHOAMI_INFO, await c.call(contextId, 0, Buffer.alloc(0)));
    assert.equal(info.userName, 'ANONYMOUS LOGON');
    assert.equal(info.userSid, 'S-1-5-7');
    assert.equal(info.authLevel, AUTHN_LEVEL.NONE);
    c.close();
  });

  test('fragment sizes: the smaller of both sides, at least 1432', async () => {
    const c = await client(undefined, { maxXmitFrag: 2000, maxRecvFrag: 1432 });
    await c.bind(WHOAMI);
    assert.equal(c.maxXmitFrag, 2000);
    assert.equal(c.maxRecvFrag, 1432);
    c.close();
    const tiny = await client(undefined, { maxXmitFrag: 1000, maxRecvFrag: 1000 });
    await assert.rejects(tiny.bind(WHOAMI), (e: RpcError) => e.kind === 'nak' && e.status === REJECT.local_limit_exceeded);
    tiny.close();
  });

  test('association groups: a second connection joins the first one\'s; unknown groups are refused', async () => {
    const a = await client();
    await a.bind(WHOAMI);
    const b = await RpcClient.connect({ host: '127.0.0.1', port: server.port, assocGroupId: a.assocGroupId });
    await b.bind(WHOAMI);
    assert.equal(b.assocGroupId, a.assocGroupId);
    b.close();
    a.close();
    await new Promise((r) => setTimeout(r, 50));
    // Once its last connection is gone the group no longer exists.
    const c = await RpcClient.connect({ host: '127.0.0.1', port: server.port, assocGroupId: a.assocGroupId });
    await assert.rejects(c.bind(WHOAMI), (e: RpcError) => e.kind === 'nak' && e.status === REJECT.reason_not_specified);
    c.close();
  });

  test('fragmented request and response (100 KiB each way)', async () => {
    const c = await client(undefined, { maxXmitFrag: 1432, maxRecvFrag: 1432 });
    const { contextId } = await c.bind(WHOAMI);
    const data = Buffer.alloc(100 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    assert.deepEqual(echoData(await c.call(contextId, 1, echoStub(data))), data);
    // The connection still serves afterwards.
    assert.deepEqual(echoData(await c.call(contextId, 1, echoStub(Buffer.from('x')))), Buffer.from('x'));
    c.close();
  });

  test('several presentation contexts; unknown interface, NDR64-only and bind time features', async () => {
    const c = await RpcClient.connect({ host: '127.0.0.1', port: server.port, bindTimeFeatures: BIND_TIME_FEATURE.SECURITY_CONTEXT_MULTIPLEXING | BIND_TIME_FEATURE.KEEP_CONNECTION_ON_ORPHAN });
    const first = await c.bind(WHOAMI);
    // MS-RPCE 3.3.1.5.3: negotiate_ack with the features we honour.
    assert.equal(first.features, BIND_TIME_FEATURE.KEEP_CONNECTION_ON_ORPHAN);
    await assert.rejects(c.bind({ uuid: '11111111-2222-3333-4444-555555555555', major: 1, minor: 0 }), (e: RpcError) => e.kind === 'nak' && e.status === 1);
    await assert.rejects(c.bind(WHOAMI, [NDR64]), (e: RpcError) => e.kind === 'nak' && e.status === 2);
    // An unauthenticated caller may bind the secure interface, but calls are refused.
    const second = await c.bind(SECURE, [NDR64, NDR20]);
    assert.notEqual(second.contextId, first.contextId);
    const info = ndr.ndrDecode(WHOAMI_INFO, await c.call(first.contextId, 0, Buffer.alloc(0)));
    assert.equal(info.userName, 'ANONYMOUS LOGON');
    await assert.rejects(c.call(second.contextId, 0, Buffer.alloc(0)), (e: RpcError) => e.kind === 'fault' && e.status === NCA.s_fault_access_denied);
    c.close();
  });

  test('unknown opnum → nca_s_op_rng_error; unknown context → nca_s_unk_if; connection keeps serving', async () => {
    const c = await client();
    const { contextId } = await c.bind(WHOAMI);
    await assert.rejects(c.call(contextId, 77, Buffer.alloc(0)), (e: RpcError) => e.status === NCA.s_op_rng_error);
    await assert.rejects(c.call(99, 0, Buffer.alloc(0)), (e: RpcError) => e.status === NCA.s_unk_if);
    await assert.rejects(c.call(contextId, 1, Buffer.from([1, 2, 3])), (e: RpcError) => e.status === NCA.s_fault_ndr);
    const info = ndr.ndrDecode(WHOAMI_INFO, await c.call(contextId, 0, Buffer.alloc(0)));
    assert.equal(info.userSid, 'S-1-5-7');
    c.close();
  });

  for (const legs of [3, 4] as const) {
    for (const level of [AUTHN_LEVEL.CONNECT, AUTHN_LEVEL.PKT_INTEGRITY, AUTHN_LEVEL.PKT_PRIVACY]) {
      for (const headerSigning of [true, false]) {
        test(`fake provider, ${legs} legs, level ${level}, header signing ${headerSigning}`, async () => {
          const ctx = new FakeInitiator('alice', legs);
          const type = legs === 3 ? AUTHN.WINNT : AUTHN.GSS_KERBEROS;
          const c = await client({ type, level, context: ctx, contextId: 7 }, { maxXmitFrag: 1432, maxRecvFrag: 1432, headerSigning });
          const { contextId } = await c.bind(WHOAMI);
          assert.equal(c.headerSigning, headerSigning);
          const info = ndr.ndrDecode(WHOAMI_INFO, await c.call(contextId, 0, Buffer.alloc(0)));
          assert.equal(info.userName, 'alice');
          assert.equal(info.userSid, 'S-1-5-21-1-2-3-1104');
          assert.equal(info.authType, type);
          assert.equal(info.authLevel, level);
          assert.deepEqual(info.groups, ['S-1-5-21-1-2-3-513']);
          // A second interface over alter_context shares the security context.
          const sec = await c.bind(SECURE);
          const big = Buffer.alloc(20_000, 0x5a);
          const before = ctx.ops;
          if (level >= AUTHN_LEVEL.PKT_INTEGRITY) {
            assert.deepEqual(echoData(await c.call(sec.contextId, 1, echoStub(big))), big);
            assert.ok(ctx.ops - before > 20, 'every fragment protected both ways');
            await assert.rejects(c.call(sec.contextId, 2, Buffer.alloc(0)), (e: RpcError) => e.kind === 'fault' && e.status === NCA.s_fault_unspec && !/passwd/.test(e.message));
            await assert.rejects(c.call(sec.contextId, 3, Buffer.alloc(0)), (e: RpcError) => e.status === 0x1c000021);
            assert.deepEqual(echoData(await c.call(sec.contextId, 1, echoStub(Buffer.from('ok')))), Buffer.from('ok'));
          } else {
            // CONNECT is below the secure interface's minimum: refused (MS-AUTHSO 7.3.8 step 2).
            await assert.rejects(c.call(sec.contextId, 1, echoStub(big)), (e: RpcError) => e.kind === 'fault' && e.status === NCA.s_fault_access_denied);
          }
          c.close();
        });
      }
    }
  }

  test('wrong secret: bind_nak for four legs (alter_context → fault), access denied after a failed auth3', async () => {
    const bad = Buffer.from('not-the-secret');
    const c3 = await client({ type: AUTHN.WINNT, level: AUTHN_LEVEL.CONNECT, context: new FakeInitiator('mallory', 3, bad) });
    const b3 = await c3.bind(WHOAMI); // auth3 has no reply; the failure shows on the first call
    await assert.rejects(c3.call(b3.contextId, 0, Buffer.alloc(0)), (e: RpcError) => e.status === NCA.s_fault_access_denied);
    c3.close();
    const c4 = await client({ type: AUTHN.GSS_KERBEROS, level: AUTHN_LEVEL.CONNECT, context: new FakeInitiator('mallory', 4, bad) });
    await assert.rejects(c4.bind(WHOAMI), (e: RpcError) => e.status === NCA.s_fault_access_denied);
    c4.close();
  });

  test('unregistered provider → bind_nak authentication_type_not_recognized; provider without RpcProtection refused at PKT_INTEGRITY', async () => {
    const c = await client({ type: AUTHN.NETLOGON, level: AUTHN_LEVEL.CONNECT, context: new FakeInitiator('bob') });
    await assert.rejects(c.bind(WHOAMI), (e: RpcError) => e.kind === 'nak' && e.status === REJECT.authentication_type_not_recognized);
    c.close();
    const p = await client({ type: AUTHN.GSS_NEGOTIATE, level: AUTHN_LEVEL.PKT_INTEGRITY, context: new FakeInitiator('bob') });
    const b = await p.bind(WHOAMI);
    await assert.rejects(p.call(b.contextId, 0, Buffer.alloc(0)), (e: RpcError) => e.status === NCA.s_fault_access_denied);
    p.close();
    // A registered provider the interface does not list (SPNEGO here) at CONNECT level.
    const q = await client({ type: AUTHN.GSS_NEGOTIATE, level: AUTHN_LEVEL.CONNECT, context: new FakeInitiator('bob') });
    await q.bind(WHOAMI);
    const s = await q.bind(SECURE);
    await assert.rejects(q.call(s.contextId, 0, Buffer.alloc(0)), (e: RpcError) => e.status === NCA.s_fault_access_denied);
    q.close();
  });

  test('on the wire: PKT_PRIVACY hides the stub both ways, PKT_INTEGRITY does not', async () => {
    const marker = Buffer.from('SECRET-MARKER-0123456789');
    for (const level of [AUTHN_LEVEL.PKT_INTEGRITY, AUTHN_LEVEL.PKT_PRIVACY]) {
      // A recording TCP relay between our client and the server.
      const seen: Buffer[] = [];
      const relay = net.createServer((down) => {
        const up = net.connect({ host: '127.0.0.1', port: server.port });
        down.on('data', (d: Buffer) => (seen.push(d), up.write(d)));
        up.on('data', (d: Buffer) => (seen.push(d), down.write(d)));
        down.on('close', () => up.destroy());
        up.on('close', () => down.destroy());
        down.on('error', () => up.destroy());
        up.on('error', () => down.destroy());
      });
      await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
      const port = (relay.address() as net.AddressInfo).port;
      const c = await RpcClient.connect({ host: '127.0.0.1', port, auth: { type: AUTHN.WINNT, level, context: new FakeInitiator('carol') } });
      const { contextId } = await c.bind(WHOAMI);
      assert.deepEqual(echoData(await c.call(contextId, 1, echoStub(marker))), marker);
      c.close();
      await new Promise<void>((r) => relay.close(() => r()));
      const wire = Buffer.concat(seen);
      const count = wire.toString('latin1').split(marker.toString('latin1')).length - 1;
      assert.equal(count, level === AUTHN_LEVEL.PKT_PRIVACY ? 0 : 2, `level ${level}`);
    }
  });

  test('raw: after an auth3, alter_context naming the context with an empty token only adds a presentation context', async () => {
    const sock = net.connect({ host: '127.0.0.1', port: server.port });
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const framer = new PduFramer(() => 0xffff);
    const inbox: Buffer[] = [];
    let wake: (() => void) | undefined;
    sock.on('data', (d: Buffer) => {
      inbox.push(...framer.push(d));
      wake?.();
    });
    const next = async (): Promise<ReturnType<typeof decodePdu>> => {
      for (let i = 0; i < 50 && inbox.length === 0; i++) await new Promise<void>((r) => ((wake = r), setTimeout(r, 100)));
      const b = inbox.shift();
      assert.ok(b, 'no reply');
      return decodePdu(b);
    };
    const auth = (value: Buffer) => ({ authType: AUTHN.WINNT, authLevel: AUTHN_LEVEL.CONNECT, padLength: 0, contextId: 3, value });
    const ctx = (contextId: number, abstractSyntax: typeof WHOAMI) => [{ contextId, abstractSyntax, transferSyntaxes: [NDR20] }];
    const flags = PFC.FIRST_FRAG | PFC.LAST_FRAG;
    sock.write(encodePdu({ ptype: 11, flags, callId: 1, maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 0, contexts: ctx(0, WHOAMI), auth: auth(Buffer.from('HELLO:3:dave')) }));
    const ack = await next();
    assert.equal(ack.ptype, 12);
    const nonce = /^CHAL:([0-9a-f]{32})$/.exec(ack.auth?.value.toString() ?? '')?.[1] ?? '';
    const key = createHmac('sha256', Buffer.from('fake-provider-shared-secret')).update(nonce).digest();
    const proof = Buffer.concat([Buffer.from('AUTH:'), createHmac('sha256', key).update('proof').digest()]);
    sock.write(encodePdu({ ptype: 16, flags, callId: 1, auth: auth(proof) }));
    sock.write(encodePdu({ ptype: 14, flags, callId: 2, maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 0, contexts: ctx(1, SECURE), auth: auth(Buffer.alloc(0)) }));
    const alter = await next();
    assert.equal(alter.ptype, 15);
    if (alter.ptype === 15) assert.deepEqual(alter.results.map((r) => r.result), [0]);
    // A request without a verifier on the CONNECT-level context runs as dave.
    sock.write(encodePdu({ ptype: 0, flags, callId: 3, allocHint: 0, contextId: 0, opnum: 0, stub: Buffer.alloc(0) }));
    const resp = await next();
    assert.equal(resp.ptype, 2);
    if (resp.ptype === 2) assert.equal(ndr.ndrDecode(WHOAMI_INFO, resp.stub).userName, 'dave');
    // A second token on the established context is refused and the connection closed.
    sock.write(encodePdu({ ptype: 14, flags, callId: 4, maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 0, contexts: ctx(2, WHOAMI), auth: auth(Buffer.from('HELLO:3:eve')) }));
    const refused = await next();
    assert.equal(refused.ptype, 3);
    if (refused.ptype === 3) assert.equal(refused.status, NCA.s_fault_access_denied);
    sock.destroy();
  });

  test('handler errors are reported to onError only', () => {
    assert.ok(errors.some((e) => e instanceof Error && /internal secret/.test(e.message)));
  });
});
