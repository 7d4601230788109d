// PDU codec: round trips, exact wire bytes for a known bind, bounded decoding.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bindTimeFeatures,
  bindTimeFeatureSyntax,
  decodePdu,
  encodePdu,
  NCA,
  NDR20,
  padFor,
  PduFramer,
  PFC,
  RpcError,
  uuidFromBytes,
  uuidToBytes,
  type Pdu,
} from '../../src/rpc/pdu.js';
import { decodeTower, parseTower, tcpTower } from '../../src/rpc/epm.js';

const EPM = { uuid: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa', major: 3, minor: 0 };

test('uuid wire form (C706 appendix A: first three fields little-endian)', () => {
  const b = uuidToBytes(NDR20.uuid);
  assert.equal(b.toString('hex'), '045d888aeb1cc9119fe808002b104860');
  assert.equal(uuidFromBytes(b), NDR20.uuid);
  assert.throws(() => uuidToBytes('nope'), RpcError);
});

test('bind: exact bytes of a one-context NDR20 bind (as Windows and impacket send it)', () => {
  const pdu = encodePdu({
    ptype: 11,
    flags: PFC.FIRST_FRAG | PFC.LAST_FRAG,
    callId: 1,
    maxXmitFrag: 4280,
    maxRecvFrag: 4280,
    assocGroupId: 0,
    contexts: [{ contextId: 0, abstractSyntax: EPM, transferSyntaxes: [NDR20] }],
  });
  assert.equal(
    pdu.toString('hex'),
    '05000b031000000048000000010000' +
      '00b810b810000000000100000000000100' +
      '0883afe11f5dc91191a408002b14a0fa03000000' +
      '045d888aeb1cc9119fe808002b10486002000000',
  );
  const d = decodePdu(pdu);
  assert.equal(d.ptype, 11);
  if (d.ptype === 11) assert.deepEqual(d.contexts[0].abstractSyntax, EPM);
});

test('round trips of every PDU type, with and without auth verifiers', () => {
  const samples: Pdu[] = [
    { ptype: 0, flags: 3, callId: 9, allocHint: 5, contextId: 1, opnum: 4, stub: Buffer.from('hello') },
    { ptype: 0, flags: 3, callId: 9, allocHint: 5, contextId: 1, opnum: 4, object: '11111111-2222-3333-4444-555555555555', stub: Buffer.from('hello') },
    { ptype: 2, flags: 3, callId: 9, allocHint: 2, contextId: 1, cancelCount: 0, stub: Buffer.from('ok') },
    { ptype: 3, flags: 0x23, callId: 9, allocHint: 0, contextId: 1, cancelCount: 0, status: NCA.s_op_rng_error, stub: Buffer.alloc(0) },
    {
      ptype: 12,
      flags: 3,
      callId: 1,
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0x1234,
      secAddr: '49152',
      results: [
        { result: 0, reason: 0, transferSyntax: NDR20 },
        { result: 3, reason: 2, transferSyntax: { uuid: '00000000-0000-0000-0000-000000000000', major: 0, minor: 0 } },
      ],
    },
    { ptype: 13, flags: 3, callId: 1, rejectReason: 8, versions: [{ major: 5, minor: 0 }] },
    { ptype: 16, flags: 3, callId: 1, auth: { authType: 10, authLevel: 6, padLength: 0, contextId: 5, value: Buffer.from('token') } },
    { ptype: 17, flags: 3, callId: 0 },
    { ptype: 18, flags: 3, callId: 4 },
    { ptype: 19, flags: 3, callId: 4 },
  ];
  for (const p of samples) {
    const buf = encodePdu(p);
    const { layout, ...d } = decodePdu(buf);
    assert.ok(layout.bodyEnd <= buf.length);
    assert.deepEqual(d, { auth: undefined, ...p, ...(p.ptype === 0 && !p.object ? { object: undefined } : {}) }, `ptype ${p.ptype}`);
  }
  // A request with a verifier: the stub excludes the auth padding.
  const stub = Buffer.from('0123456789');
  const buf = encodePdu({
    ptype: 0,
    flags: 3,
    callId: 2,
    allocHint: 10,
    contextId: 0,
    opnum: 0,
    stub,
    auth: { authType: 10, authLevel: 5, padLength: padFor(stub.length), contextId: 0, value: Buffer.alloc(16, 7) },
  });
  const d = decodePdu(buf);
  assert.equal(d.ptype, 0);
  if (d.ptype === 0) {
    assert.deepEqual(d.stub, stub);
    assert.equal(d.auth?.padLength, 6);
    assert.equal((d.layout.bodyEnd - d.layout.stubStart) % 16, 0);
  }
});

test('bind time feature negotiation syntax (MS-RPCE 2.2.2.14)', () => {
  const s = bindTimeFeatureSyntax(3);
  assert.equal(s.uuid, '6cb71c2c-9812-4540-0300-000000000000');
  assert.equal(bindTimeFeatures(s), 3);
  assert.equal(bindTimeFeatures(NDR20), undefined);
});

test('bounded decoding: lengths, counts, versions and drep are checked', () => {
  const good = encodePdu({ ptype: 0, flags: 3, callId: 1, allocHint: 0, contextId: 0, opnum: 0, stub: Buffer.alloc(8) });
  const bad = (mutate: (b: Buffer) => Buffer, re: RegExp) => {
    const b = mutate(Buffer.from(good));
    assert.throws(() => decodePdu(b), (e: unknown) => e instanceof RpcError && re.test(e.message));
  };
  bad((b) => b.subarray(0, 10), /truncated/);
  bad((b) => ((b[0] = 4), b), /version/);
  bad((b) => ((b[4] = 0x00), b), /data representation/);
  bad((b) => (b.writeUInt16LE(8, 8), b), /shorter than the header/);
  bad((b) => (b.writeUInt16LE(500, 8), b), /frag_length says/);
  bad((b) => (b.writeUInt16LE(30, 10), b), /auth_length/);
  bad((b) => ((b[2] = 99), b), /unknown PDU type/);
  assert.throws(() => decodePdu(good, 20), /exceeds the maximum/);
  // A bind claiming 255 contexts in a few bytes.
  const bind = encodePdu({ ptype: 11, flags: 3, callId: 1, maxXmitFrag: 5840, maxRecvFrag: 5840, assocGroupId: 0, contexts: [] });
  bind[24] = 255;
  assert.throws(() => decodePdu(bind), /count 255 exceeds/);
  // A request whose auth pad covers the fixed request fields.
  const withAuth = encodePdu({ ptype: 0, flags: 3, callId: 1, allocHint: 0, contextId: 0, opnum: 0, stub: Buffer.alloc(0), auth: { authType: 10, authLevel: 5, padLength: 0, contextId: 0, value: Buffer.alloc(16) } });
  withAuth[24 + 2] = 8;
  assert.throws(() => decodePdu(withAuth), /auth padding overlaps/);
});

test('framer: splits a stream at frag_length boundaries and refuses oversized headers early', () => {
  const a = encodePdu({ ptype: 18, flags: 3, callId: 1 });
  const b = encodePdu({ ptype: 0, flags: 3, callId: 2, allocHint: 0, contextId: 0, opnum: 0, stub: Buffer.alloc(100) });
  const f = new PduFramer(() => 0xffff);
  const all = Buffer.concat([a, b]);
  const got: Buffer[] = [];
  for (let i = 0; i < all.length; i += 7) got.push(...f.push(all.subarray(i, i + 7)));
  assert.deepEqual(got, [a, b]);
  const small = new PduFramer(() => 64);
  assert.throws(() => small.push(b.subarray(0, 16)), /exceeds the maximum 64/);
});

test('towers (C706 appendix L): ncacn_ip_tcp floors', () => {
  const t = tcpTower(EPM, 135, '127.0.0.1');
  assert.equal(decodeTower(t).length, 5);
  assert.deepEqual(parseTower(t), { iface: EPM, transfer: NDR20, protocol: 0x0b, port: 135, ip: '127.0.0.1' });
  assert.throws(() => decodeTower(Buffer.from([0xff, 0x00])));
  assert.throws(() => decodeTower(t.subarray(0, t.length - 1)));
});
