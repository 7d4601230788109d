// The Negotiate state machines with scripted fake mechanisms: selection, optimistic tokens,
// re-selection, fallback, the mechListMIC rules of RFC 4178 5 and their failure modes, the
// MS-SPNG hooks, NegTokenInit2, and the errors the contexts promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEC_E, SecurityError } from '../../src/security/types.js';
import {
  NEG_HINT_NAME,
  NegState,
  NegotiateAcceptor,
  NegotiateError,
  NegotiateInitiator,
  OID,
  SEC_E_SECPKG_NOT_FOUND,
  decodeNegTokenResp,
  decodeNegotiationToken,
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenResp,
} from '../../src/spnego/index.js';
import { FakeMech, checkMessageProtection, handshake, initOf, type FakeOptions } from './helpers.js';

const KRB: FakeOptions = { name: 'Kerberos', legs: 2 };
const KRB_NONMUTUAL: FakeOptions = { name: 'Kerberos', legs: 1 };
const NTLM: FakeOptions = { name: 'NTLM', legs: 3 };

function pair(
  o: { ikrb?: FakeOptions | null; intlm?: FakeOptions | null; akrb?: FakeOptions | null; antlm?: FakeOptions | null; msKerberosOid?: boolean } = {},
) {
  const made: { initiator: FakeMech[]; acceptor: FakeMech[] } = { initiator: [], acceptor: [] };
  const f = (role: 'initiator' | 'acceptor', opt: FakeOptions | null | undefined, dflt: FakeOptions) =>
    opt === null
      ? undefined
      : () => {
          const m = new FakeMech(role, opt ?? dflt);
          made[role].push(m);
          return m;
        };
  const initiator = new NegotiateInitiator({ kerberos: f('initiator', o.ikrb, KRB), ntlm: f('initiator', o.intlm, NTLM), msKerberosOid: o.msKerberosOid });
  const acceptor = new NegotiateAcceptor({ kerberos: f('acceptor', o.akrb, KRB), ntlm: f('acceptor', o.antlm, NTLM) });
  return { initiator, acceptor, made };
}

async function rejects(p: Promise<unknown>, code: number, re?: RegExp): Promise<SecurityError> {
  let caught: unknown;
  await p.catch((e: unknown) => (caught = e));
  assert.ok(caught instanceof SecurityError, `expected a SecurityError, got ${String(caught)}`);
  assert.equal(caught.code, code, `code 0x${caught.code.toString(16)}: ${caught.message}`);
  if (re) assert.match(caught.message, re);
  return caught;
}

test('Kerberos first choice with the optimistic token: two legs, no MIC, supportedMech echoed', async () => {
  const { initiator, acceptor } = pair();
  const x = await handshake(initiator, acceptor);
  assert.equal(x.tokens.length, 2);
  const x0 = x.tokens[0].bytes;
  const init = decodeNegotiationToken(x0);
  assert.equal(init.type, 'negTokenInit');
  assert.equal(init.wrapped, true);
  assert.deepEqual(initOf(x0).mechTypes, [OID.KERBEROS, OID.NTLMSSP]);
  assert.equal(init.token.mechToken?.toString(), 'Kerberos|0');
  const resp = decodeNegTokenResp(x.tokens[1].bytes);
  assert.deepEqual(resp, { negState: NegState.ACCEPT_COMPLETED, supportedMech: OID.KERBEROS, responseToken: Buffer.from('Kerberos|1') });
  assert.equal(acceptor.negotiatedMechanism, 'kerberos');
  assert.equal(initiator.negotiatedMechanism, 'kerberos');
  assert.equal(acceptor.peer?.authPackage, 'Kerberos');
  assert.equal(acceptor.flags.integrity, true);
  checkMessageProtection(initiator, acceptor);
});

test('MS-SPNG 3.3.5.2: a client listing the Microsoft Kerberos OID first gets that OID back', async () => {
  const { initiator, acceptor } = pair({ msKerberosOid: true });
  const x = await handshake(initiator, acceptor);
  const x0 = x.tokens[0].bytes;
  assert.deepEqual(initOf(x0).mechTypes, [OID.MS_KERBEROS, OID.KERBEROS, OID.NTLMSSP]);
  assert.equal(decodeNegTokenResp(x.tokens[1].bytes).supportedMech, OID.MS_KERBEROS);
  assert.equal(acceptor.negotiatedOid, OID.MS_KERBEROS);
});

test('Kerberos without mutual authentication: one token each way, the reply carries only negState', async () => {
  const { initiator, acceptor } = pair({ ikrb: KRB_NONMUTUAL, akrb: KRB_NONMUTUAL });
  const x = await handshake(initiator, acceptor);
  assert.deepEqual(decodeNegTokenResp(x.tokens[1].bytes), { negState: NegState.ACCEPT_COMPLETED, supportedMech: OID.KERBEROS });
});

test('the server only does NTLM: it ignores the Kerberos token, asks for the MIC, and NTLM completes with MICs both ways', async () => {
  const log: Buffer[] = [];
  const { initiator, acceptor, made } = pair({ akrb: null, antlm: { ...NTLM, log } });
  const x = await handshake(initiator, acceptor);
  const resps = x.tokens.filter((t) => t.from === 'acceptor').map((t) => decodeNegTokenResp(t.bytes));
  // RFC 4178 4.2.2/5: request-mic in the first reply, since NTLM was not the client's first choice.
  assert.equal(resps[0].negState, NegState.REQUEST_MIC);
  assert.equal(resps[0].supportedMech, OID.NTLMSSP);
  assert.equal(resps[0].responseToken, undefined);
  // The NTLM acceptor never saw the Kerberos token.
  assert.deepEqual(
    log.map((b) => b.toString()),
    ['NTLM|0', 'NTLM|2'],
  );
  const last = resps[resps.length - 1];
  assert.equal(last.negState, NegState.ACCEPT_COMPLETED);
  assert.ok(last.mechListMIC);
  // The client's AUTHENTICATE-equivalent came with its MIC.
  const clientFinal = decodeNegTokenResp(x.tokens.filter((t) => t.from === 'initiator').at(-1)!.bytes);
  assert.equal(clientFinal.responseToken?.toString(), 'NTLM|2');
  assert.ok(clientFinal.mechListMIC);
  assert.equal(made.initiator.length, 2, 'the Kerberos initiator was made, then NTLM');
  assert.equal(initiator.negotiatedMechanism, 'ntlm');
  checkMessageProtection(initiator, acceptor);
});

test('Kerberos cannot start on the client: it falls back to NTLM and does not offer Kerberos', async () => {
  const failStart = new SecurityError(SEC_E.NO_AUTHENTICATING_AUTHORITY, 'no KDC');
  const { initiator, acceptor } = pair({ ikrb: { ...KRB, failStart } });
  const x = await handshake(initiator, acceptor);
  const x0 = x.tokens[0].bytes;
  assert.deepEqual(initOf(x0).mechTypes, [OID.NTLMSSP]);
  assert.equal(initiator.skipped.length, 1);
  assert.equal(initiator.skipped[0].mechanism, 'kerberos');
  assert.equal(initiator.skipped[0].error.code, SEC_E.NO_AUTHENTICATING_AUTHORITY);
  // The acceptor also does Kerberos, which it prefers: NTLM, even first, needs the MIC (RFC 4178 5).
  assert.equal(decodeNegTokenResp(x.tokens[1].bytes).negState, NegState.REQUEST_MIC);
  assert.ok(decodeNegTokenResp(x.tokens.at(-1)!.bytes).mechListMIC);
  assert.equal(acceptor.negotiatedMechanism, 'ntlm');
});

test('no mechanism can start: the initiator reports the last failure', async () => {
  const failStart = new SecurityError(SEC_E.NO_CREDENTIALS, 'nothing');
  const { initiator } = pair({ ikrb: { ...KRB, failStart }, intlm: { ...NTLM, failStart } });
  await rejects(initiator.step(), SEC_E.NO_CREDENTIALS);
  await rejects(initiator.step(), SEC_E.INVALID_HANDLE);
});

test('NTLM on both sides only: most preferred by both, so no MIC unless the mechanism asks for it', async () => {
  {
    const { initiator, acceptor } = pair({ ikrb: null, akrb: null });
    const x = await handshake(initiator, acceptor);
    assert.equal(decodeNegTokenResp(x.tokens[1].bytes).negState, NegState.ACCEPT_INCOMPLETE);
    for (const t of x.tokens.slice(1)) assert.equal(decodeNegTokenResp(t.bytes).mechListMIC, undefined);
  }
  {
    // MS-NLMP: an AUTHENTICATE_MESSAGE with a MIC obliges the mechListMIC exchange; and
    // MS-SPNG 3.3.5.1: the RC4 state is reset after each mechListMIC.
    const { initiator, acceptor, made } = pair({
      ikrb: null,
      akrb: null,
      intlm: { ...NTLM, hooks: true, requiresMechListMic: true },
      antlm: { ...NTLM, hooks: true, requiresMechListMic: true },
    });
    const x = await handshake(initiator, acceptor);
    assert.ok(decodeNegTokenResp(x.tokens[2].bytes).mechListMIC);
    assert.ok(decodeNegTokenResp(x.tokens[3].bytes).mechListMIC);
    assert.deepEqual(made.initiator[0].resets, ['outbound', 'inbound']);
    assert.deepEqual(made.acceptor[0].resets, ['inbound', 'outbound']);
  }
});

test('a mechanism without integrity exchanges no MIC even when one would be required', async () => {
  const noInteg = { ...NTLM, integrity: false };
  const { initiator, acceptor } = pair({ intlm: noInteg, antlm: noInteg, akrb: null });
  const x = await handshake(initiator, acceptor);
  assert.equal(decodeNegTokenResp(x.tokens[1].bytes).negState, NegState.REQUEST_MIC);
  for (const t of x.tokens.slice(1)) assert.equal(decodeNegTokenResp(t.bytes).mechListMIC, undefined);
});

test('Kerberos chosen second with mutual authentication: AP-REP and MIC, then the client MIC, then done', async () => {
  // The client prefers NTLM (our initiator never does, so the client is driven by hand); the
  // server only does Kerberos.
  const acceptor = new NegotiateAcceptor({ kerberos: () => new FakeMech('acceptor', KRB) });
  const client = new FakeMech('initiator', KRB);
  const mechTypes = [OID.NTLMSSP, OID.KERBEROS];
  const der = encodeMechTypeList(mechTypes);
  const r1 = await acceptor.step(encodeNegTokenInit({ mechTypes, mechToken: Buffer.from('NTLMSSP\0whatever') }));
  const resp1 = decodeNegTokenResp(r1.output!);
  assert.deepEqual(resp1, { negState: NegState.REQUEST_MIC, supportedMech: OID.KERBEROS });
  const k0 = (await client.step()).output!;
  const r2 = await acceptor.step(encodeNegTokenResp({ responseToken: k0 }));
  assert.equal(r2.done, false);
  const resp2 = decodeNegTokenResp(r2.output!);
  assert.equal(resp2.negState, NegState.ACCEPT_INCOMPLETE);
  assert.ok(resp2.mechListMIC);
  await client.step(resp2.responseToken);
  client.verify(der, resp2.mechListMIC!);
  // Without the client's MIC: refused.
  {
    const acc2 = new NegotiateAcceptor({ kerberos: () => new FakeMech('acceptor', KRB) });
    const c2 = new FakeMech('initiator', KRB);
    await acc2.step(encodeNegTokenInit({ mechTypes, mechToken: Buffer.from('x') }));
    const rr = await acc2.step(encodeNegTokenResp({ responseToken: (await c2.step()).output! }));
    await c2.step(decodeNegTokenResp(rr.output!).responseToken);
    await rejects(acc2.step(encodeNegTokenResp({})), SEC_E.DOWNGRADE_DETECTED);
  }
  const r3 = await acceptor.step(encodeNegTokenResp({ mechListMIC: client.sign(der) }));
  assert.equal(r3.done, true);
  assert.deepEqual(decodeNegTokenResp(r3.output!), { negState: NegState.ACCEPT_COMPLETED });
  assert.equal(acceptor.done, true);
});

test('alwaysExchangeMic: the server sends its MIC and waits for the client one, even for a one-leg Kerberos', async () => {
  for (const [name, ini, acc] of [
    ['Kerberos without mutual authentication', KRB_NONMUTUAL, KRB_NONMUTUAL],
    ['Kerberos', KRB, KRB],
    ['NTLM without its MIC', NTLM, NTLM],
  ] as const) {
    const kind = ini.name === 'NTLM' ? 'ntlm' : 'kerberos';
    const initiator = new NegotiateInitiator({ [kind]: () => new FakeMech('initiator', ini) });
    const acceptor = new NegotiateAcceptor({ [kind]: () => new FakeMech('acceptor', acc), alwaysExchangeMic: true });
    const x = await handshake(initiator, acceptor);
    const fromServer = x.tokens.filter((t) => t.from === 'acceptor').map((t) => decodeNegTokenResp(t.bytes));
    const fromClient = x.tokens.filter((t) => t.from === 'initiator').slice(1).map((t) => decodeNegTokenResp(t.bytes));
    assert.ok(fromServer.some((t) => t.mechListMIC && t.negState === NegState.ACCEPT_INCOMPLETE), name);
    assert.ok(fromClient.at(-1)?.mechListMIC, name);
    assert.deepEqual(fromServer.at(-1), { negState: NegState.ACCEPT_COMPLETED }, name);
    checkMessageProtection(initiator, acceptor);
  }
});

test('downgrade: a client that preferred Kerberos but completes NTLM without a mechListMIC is refused', async () => {
  const acceptor = new NegotiateAcceptor({ ntlm: () => new FakeMech('acceptor', NTLM) });
  const client = new FakeMech('initiator', NTLM);
  const r1 = await acceptor.step(encodeNegTokenInit({ mechTypes: [OID.KERBEROS, OID.NTLMSSP], mechToken: Buffer.from('ap-req') }));
  assert.equal(decodeNegTokenResp(r1.output!).negState, NegState.REQUEST_MIC);
  const r2 = await acceptor.step(encodeNegTokenResp({ responseToken: (await client.step()).output! }));
  const auth = (await client.step(decodeNegTokenResp(r2.output!).responseToken)).output!;
  const e = await rejects(acceptor.step(encodeNegTokenResp({ responseToken: auth })), SEC_E.DOWNGRADE_DETECTED, /mechListMIC/);
  assert.ok(e instanceof NegotiateError && e.output);
  assert.equal(decodeNegTokenResp((e as NegotiateError).output!).negState, NegState.REJECT);
  assert.equal(acceptor.done, false);
  assert.equal(acceptor.peer, undefined);
  await rejects(acceptor.step(encodeNegTokenResp({})), SEC_E.INVALID_HANDLE);
});

test('downgrade: a man in the middle strips Kerberos from the list; the MICs disagree', async () => {
  const { initiator, acceptor } = pair();
  await rejects(
    handshake(initiator, acceptor, (from, bytes, n) => {
      if (from !== 'initiator' || n !== 0) return bytes;
      return encodeNegTokenInit({ mechTypes: [OID.NTLMSSP] }); // no Kerberos, no optimistic token
    }),
    SEC_E.DOWNGRADE_DETECTED,
  );
});

test('a forged server MIC is caught by the initiator', async () => {
  const { initiator, acceptor } = pair({ akrb: null });
  await rejects(
    handshake(initiator, acceptor, (from, bytes) => {
      if (from !== 'acceptor') return bytes;
      const t = decodeNegTokenResp(bytes);
      if (!t.mechListMIC) return bytes;
      return encodeNegTokenResp({ ...t, mechListMIC: Buffer.alloc(t.mechListMIC.length, 0x41) });
    }),
    SEC_E.DOWNGRADE_DETECTED,
  );
});

test('a server that completes without the MIC the exchange requires is refused by the initiator', async () => {
  const { initiator, acceptor } = pair({ akrb: null });
  await rejects(
    handshake(initiator, acceptor, (from, bytes) => {
      if (from !== 'acceptor') return bytes;
      const t = decodeNegTokenResp(bytes);
      return t.negState === NegState.ACCEPT_COMPLETED ? encodeNegTokenResp({ negState: NegState.ACCEPT_COMPLETED }) : bytes;
    }),
    SEC_E.DOWNGRADE_DETECTED,
  );
});

test('no mechanism in common: SEC_E_SECPKG_NOT_FOUND with a reject token', async () => {
  const acceptor = new NegotiateAcceptor({ kerberos: () => new FakeMech('acceptor', KRB) });
  const e = await rejects(acceptor.step(encodeNegTokenInit({ mechTypes: [OID.NEGOEX, OID.NTLMSSP, OID.KERBEROS_U2U] })), SEC_E_SECPKG_NOT_FOUND);
  assert.deepEqual(decodeNegTokenResp((e as NegotiateError).output!), { negState: NegState.REJECT });
});

test('the initiator reports a reject as a logon failure', async () => {
  const initiator = new NegotiateInitiator({ ntlm: () => new FakeMech('initiator', NTLM) });
  await initiator.step();
  await rejects(initiator.step(encodeNegTokenResp({ negState: NegState.REJECT })), SEC_E.LOGON_DENIED);
});

test('a server that speaks first sends NegTokenInit2 with the hint; the client answers with its NegTokenInit', async () => {
  const { initiator, acceptor } = pair({ akrb: null });
  const hint = await acceptor.step();
  assert.equal(hint.done, false);
  const d = decodeNegotiationToken(hint.output!);
  assert.equal(d.type, 'negTokenInit2');
  assert.equal(d.wrapped, true);
  assert.deepEqual(d.token, { mechTypes: [OID.NTLMSSP], negHints: { hintName: NEG_HINT_NAME } });
  // The client narrows its list to what the server offers, so NTLM goes first with its token.
  const r = await initiator.step(hint.output);
  const x0 = r.output!;
  assert.deepEqual(initOf(x0).mechTypes, [OID.NTLMSSP]);
  let a = await acceptor.step(r.output);
  let i = await initiator.step(a.output);
  a = await acceptor.step(i.output);
  assert.equal(a.done, true);
  i = await initiator.step(a.output);
  assert.equal(i.done, true);
  // Both OIDs for Kerberos when the server does Kerberos.
  const both = new NegotiateAcceptor({ kerberos: () => new FakeMech('acceptor', KRB), ntlm: () => new FakeMech('acceptor', NTLM) });
  assert.deepEqual(initOf((await both.step()).output!).mechTypes, [OID.MS_KERBEROS, OID.KERBEROS, OID.NTLMSSP]);
  await rejects(both.step(), SEC_E.INVALID_TOKEN);
});

test('the contexts refuse to sign or seal before completion, and delegate after', async () => {
  const { initiator, acceptor } = pair();
  for (const c of [initiator, acceptor]) {
    assert.throws(() => c.sign(Buffer.from('x')), (e: unknown) => e instanceof SecurityError && e.code === SEC_E.INVALID_HANDLE);
    assert.throws(() => c.seal(Buffer.from('x')), SecurityError);
    assert.equal(c.peer, undefined);
    assert.equal(c.flags.integrity, false);
  }
  await handshake(initiator, acceptor);
  checkMessageProtection(initiator, acceptor);
  assert.equal(acceptor.peer?.userName, 'fake');
  // After completion an empty step is a no-op; a token is an error.
  assert.deepEqual(await acceptor.step(), { done: true });
  await rejects(acceptor.step(Buffer.from([1])), SEC_E.INVALID_TOKEN);
  await rejects(initiator.step(Buffer.from([1])), SEC_E.INVALID_TOKEN);
  // ... which leaves the established contexts working (the server-to-client direction is still
  // in sequence after checkMessageProtection's deliberately tampered message).
  assert.equal(acceptor.done, true);
  assert.equal(initiator.done, true);
  const m = Buffer.from('still there');
  initiator.verify(m, acceptor.sign(m));
});

test('protocol violations are INVALID_TOKEN', async () => {
  const mk = () => new NegotiateAcceptor({ kerberos: () => new FakeMech('acceptor', KRB), ntlm: () => new FakeMech('acceptor', NTLM) });
  // A NegTokenResp as the first token.
  await rejects(mk().step(encodeNegTokenResp({ responseToken: Buffer.from('x') })), SEC_E.INVALID_TOKEN);
  // A NegTokenInit after the mechanism is chosen.
  {
    const a = mk();
    await a.step(encodeNegTokenInit({ mechTypes: [OID.NTLMSSP], mechToken: Buffer.from('NTLM|0') }));
    await rejects(a.step(encodeNegTokenInit({ mechTypes: [OID.NTLMSSP] })), SEC_E.INVALID_TOKEN);
  }
  // The client names another mechanism mid-way.
  {
    const a = mk();
    await a.step(encodeNegTokenInit({ mechTypes: [OID.NTLMSSP], mechToken: Buffer.from('NTLM|0') }));
    await rejects(a.step(encodeNegTokenResp({ supportedMech: OID.KERBEROS, responseToken: Buffer.from('NTLM|2') })), SEC_E.INVALID_TOKEN);
  }
  // A MIC before the mechanism completed.
  {
    const a = mk();
    await rejects(
      a.step(encodeNegTokenInit({ mechTypes: [OID.NTLMSSP], mechToken: Buffer.from('NTLM|0'), mechListMIC: Buffer.alloc(16) })),
      SEC_E.INVALID_TOKEN,
      /before the mechanism completed/,
    );
  }
  {
    const a = mk();
    await rejects(
      a.step(encodeNegTokenInit({ mechTypes: [OID.KERBEROS], mechToken: Buffer.from('Kerberos|0'), mechListMIC: Buffer.alloc(16, 1) })),
      SEC_E.DOWNGRADE_DETECTED,
    );
  }
  // The mechanism's own error passes through unchanged.
  await rejects(mk().step(encodeNegTokenInit({ mechTypes: [OID.NTLMSSP], mechToken: Buffer.from('NTLM|5') })), SEC_E.INVALID_TOKEN, /unexpected token/);
  // The initiator: a server choosing something we did not offer, or completing too early.
  {
    const i = new NegotiateInitiator({ ntlm: () => new FakeMech('initiator', NTLM) });
    await i.step();
    await rejects(i.step(encodeNegTokenResp({ negState: NegState.ACCEPT_INCOMPLETE, supportedMech: OID.KERBEROS })), SEC_E.INVALID_TOKEN);
  }
  {
    const i = new NegotiateInitiator({ ntlm: () => new FakeMech('initiator', NTLM) });
    await i.step();
    await rejects(i.step(encodeNegTokenResp({ negState: NegState.ACCEPT_COMPLETED, supportedMech: OID.NTLMSSP })), SEC_E.INVALID_TOKEN);
  }
  {
    const i = new NegotiateInitiator({ ntlm: () => new FakeMech('initiator', NTLM) });
    await i.step();
    await rejects(i.step(encodeNegTokenResp({ supportedMech: OID.NTLMSSP, responseToken: Buffer.from('NTLM|1') })), SEC_E.INVALID_TOKEN, /negState/);
  }
  assert.throws(() => new NegotiateAcceptor({}), TypeError);
  assert.throws(() => new NegotiateInitiator({}), TypeError);
});

test('DCE/RPC protection is forwarded to the chosen mechanism; refused before completion or when it has none', async () => {
  const { initiator, acceptor, made } = pair({ akrb: null, ikrb: null });
  const parts = { pdu: Buffer.alloc(40, 1), stubStart: 24, bodyEnd: 32, headerSigning: true };
  assert.throws(() => acceptor.rpcSignatureLength(5), (e: SecurityError) => e.code === SEC_E.INVALID_HANDLE);
  assert.throws(() => initiator.rpcSign(parts), (e: SecurityError) => e.code === SEC_E.INVALID_HANDLE);
  await handshake(initiator, acceptor);
  // FakeMech has no RpcProtection: mechanism-blind forwarding finds none.
  assert.throws(() => acceptor.rpcSeal(parts), (e: SecurityError) => e.code === SEC_E.UNSUPPORTED_FUNCTION);
  // Given one, the calls reach it unchanged.
  const calls: string[] = [];
  const mech = made.acceptor[0] as unknown as Record<string, unknown>;
  Object.assign(mech, {
    rpcSignatureLength: (level: number) => (calls.push(`len ${level}`), 16),
    rpcSign: () => (calls.push('sign'), Buffer.alloc(16)),
    rpcVerify: () => void calls.push('verify'),
    rpcSeal: () => (calls.push('seal'), Buffer.alloc(16)),
    rpcUnseal: () => void calls.push('unseal'),
  });
  assert.equal(acceptor.rpcSignatureLength(6), 16);
  acceptor.rpcSign(parts);
  acceptor.rpcVerify(parts, Buffer.alloc(16));
  acceptor.rpcSeal(parts);
  acceptor.rpcUnseal(parts, Buffer.alloc(16));
  assert.deepEqual(calls, ['len 6', 'sign', 'verify', 'seal', 'unseal']);
});
