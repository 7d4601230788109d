// Kerberos as an RPC security provider against our RPC server (MS-RPCE 3.3.1.5.2.2 with MS-KILE
// 3.4.5.4.1), with tickets from our KDC and the PAC becoming the caller's token:
//   - impacket with Kerberos inside SPNEGO (RPC_C_AUTHN_GSS_NEGOTIATE) — the multi-leg flow of
//     MS-AUTHSO 7.3.7 figure 40: bind (AP-REQ, DCE style) → bind_ack (AP-REP) → alter_context (the
//     client's DCE-style AP-REP) → alter_context_resp — at CONNECT, PKT_INTEGRITY and PKT_PRIVACY,
//     with AES and (NT hash → RC4 only) rc4-hmac contexts, and below an interface's minimum level;
//   - our RpcClient with KerberosInitiator (raw RPC_C_AUTHN_GSS_KERBEROS, DCE style with and
//     without header signing, non-DCE, AES and rc4-hmac) and NegotiateInitiator (Kerberos or NTLM
//     inside) at each level; tampering and replays; refusals (level, provider, unregistered
//     provider, a Negotiate whose NTLM cannot protect PDUs).
// impacket always asks port 88 of the KDC host, so the domain gets its own loopback address.
// impacket 0.10 speaks Kerberos only inside SPNEGO (rpcrt.py refuses auth type 16 before sending
// anything), so raw type 16 is exercised with our own client only.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as ndr from '../../src/encoding/ndr.js';
import { exportKeytab } from '../../src/cli/keytab.js';
import { ntHash } from '../../src/crypto/nt-owf.js';
import { ETYPE } from '../../src/crypto/types.js';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { KerberosAcceptor, KerberosInitiator } from '../../src/kerberos/gss/index.js';
import { NtlmAcceptor, NtlmInitiator } from '../../src/ntlm/index.js';
import { RpcClient } from '../../src/rpc/client.js';
import { ntlmRpc } from '../../src/rpc/ntlm.js';
import { AUTHN, AUTHN_LEVEL, NCA, REJECT, RpcError } from '../../src/rpc/pdu.js';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.js';
import { ECHO_IN, ECHO_OUT, WHOAMI_INFO, WHOAMI_UUID, WHOAMI_VERSION, whoamiInterface } from '../../src/rpc/whoami.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import type { SecurityContext } from '../../src/security/types.js';
import { NegotiateAcceptor, NegotiateInitiator } from '../../src/spnego/index.js';
import { impacket } from './impacket-helper.js';

const KDC = '127.0.0.89';
const PASSWORD = 'Alice-Passw0rd!';
/** whoami that demands PKT_INTEGRITY or better, over Negotiate or raw Kerberos. */
const SECURE_UUID = '3e8b5d71-9c2a-4f06-b1d8-6a4c0e2f9b57';
/** whoami that demands PKT_PRIVACY, over Negotiate only. */
const PRIVATE_UUID = '9a41c0d2-6e57-4b3f-8c19-d2f07a5e3b68';
const LEVELS = [AUTHN_LEVEL.CONNECT, AUTHN_LEVEL.PKT_INTEGRITY, AUTHN_LEVEL.PKT_PRIVACY];

describe('Kerberos and SPNEGO as RPC security providers (impacket and our RpcClient)', () => {
  let domain: RunningDomain;
  let server: RpcServer;
  /** The Negotiate acceptors the server made, latest last. */
  const accepted: NegotiateAcceptor[] = [];
  before(async () => {
    domain = await startDomain({ realm: 'EXAMPLE.TEST', host: KDC, kdcPort: 88, users: [{ name: 'alice', password: PASSWORD }, { name: 'carol', password: PASSWORD, supportedEncryptionTypes: 0x1c }], services: [{ computer: 'rpcsrv' }] });
    // The service also takes rc4-hmac (for carol's RFC 4757 context); AES stays preferred.
    await domain.directory.setAccountFields('rpcsrv$', { supportedEncryptionTypes: 0x1c });
    const keytab = await exportKeytab(domain.directory, 'host/rpcsrv.example.test');
    const authority = new DirectoryAuthority(domain.directory);
    const kerberos = () => new KerberosAcceptor({ keytab, authority });
    // NTLM inside SPNEGO gets the same per-PDU protection as raw NTLM through the adapter.
    const ntlm = () =>
      ntlmRpc(
        new NtlmAcceptor({ authority, netbiosComputerName: 'RPCSRV', netbiosDomainName: 'EXAMPLE', dnsComputerName: 'rpcsrv.example.test', dnsDomainName: 'example.test' }),
      );
    server = await startRpcServer({
      interfaces: [
        whoamiInterface(),
        { ...whoamiInterface({ providers: [AUTHN.GSS_NEGOTIATE, AUTHN.GSS_KERBEROS], minLevel: AUTHN_LEVEL.PKT_INTEGRITY }), uuid: SECURE_UUID },
        { ...whoamiInterface({ providers: [AUTHN.GSS_NEGOTIATE], minLevel: AUTHN_LEVEL.PKT_PRIVACY }), uuid: PRIVATE_UUID },
      ],
      acceptors: {
        [AUTHN.GSS_NEGOTIATE]: () => {
          const a = new NegotiateAcceptor({ kerberos, ntlm });
          accepted.push(a);
          return a;
        },
        [AUTHN.GSS_KERBEROS]: kerberos,
      },
    });
  });
  after(async () => {
    await server?.close();
    await domain?.stop();
  });

  const bigEcho = Buffer.alloc(9000, 0x42);

  function call(uuid: string, level: number, maxFrag?: number, user = 'alice', nthash?: string) {
    return impacket({
      op: 'call',
      host: '127.0.0.1',
      remote_name: 'rpcsrv.example.test',
      port: server.port,
      uuid,
      version: '1.0',
      max_frag: maxFrag ?? null,
      auth: { user, password: nthash ? '' : PASSWORD, nthash, domain: 'EXAMPLE.TEST', level, type: AUTHN.GSS_NEGOTIATE, kdc: KDC },
      calls: [
        [0, ''],
        [1, ndr.ndrEncode(ECHO_IN, { data: bigEcho }).toString('hex')],
      ],
    });
  }

  function checkAlice(stub: Buffer, authType: number, level: number, user = 'alice'): void {
    const info = ndr.ndrDecode(WHOAMI_INFO, stub);
    assert.equal(info.userName, user);
    assert.equal(info.domainName, 'EXAMPLE');
    assert.equal(info.authType, authType);
    assert.equal(info.authLevel, level);
    assert.ok(info.groups?.includes(`${info.userSid?.replace(/-\d+$/, '')}-513`), JSON.stringify(info.groups));
  }

  test('impacket CONNECT: alter_context completes the context; whoami is alice with her PAC groups', async () => {
    const res = await call(WHOAMI_UUID, AUTHN_LEVEL.CONNECT);
    assert.equal(res.exception, undefined, res.exception);
    checkAlice(Buffer.from(res.results?.[0].stub ?? '', 'hex'), AUTHN.GSS_NEGOTIATE, AUTHN_LEVEL.CONNECT);
    assert.deepEqual(ndr.ndrDecode(ECHO_OUT, Buffer.from(res.results?.[1].stub ?? '', 'hex')).data, bigEcho);
  });

  test('impacket PKT_INTEGRITY: MICs over the stub, fragmented both ways', async () => {
    const res = await call(SECURE_UUID, AUTHN_LEVEL.PKT_INTEGRITY, 2000);
    assert.equal(res.exception, undefined, res.exception);
    assert.equal(res.results?.[0].error, undefined, JSON.stringify(res.results?.[0]));
    checkAlice(Buffer.from(res.results?.[0].stub ?? '', 'hex'), AUTHN.GSS_NEGOTIATE, AUTHN_LEVEL.PKT_INTEGRITY);
    assert.deepEqual(ndr.ndrDecode(ECHO_OUT, Buffer.from(res.results?.[1].stub ?? '', 'hex')).data, bigEcho);
  });

  test('impacket PKT_PRIVACY: DCE-style Wrap tokens (RRC 28, rotation by RRC + EC) both ways, fragmented', async () => {
    for (const uuid of [SECURE_UUID, PRIVATE_UUID]) {
      const res = await call(uuid, AUTHN_LEVEL.PKT_PRIVACY, 2000);
      assert.equal(accepted[accepted.length - 1].rpcSignatureLength(AUTHN_LEVEL.PKT_PRIVACY), 76, 'an AES context');
      assert.equal(res.exception, undefined, res.exception);
      assert.equal(res.results?.[0].error, undefined, JSON.stringify(res.results?.[0]));
      checkAlice(Buffer.from(res.results?.[0].stub ?? '', 'hex'), AUTHN.GSS_NEGOTIATE, AUTHN_LEVEL.PKT_PRIVACY);
      assert.deepEqual(ndr.ndrDecode(ECHO_OUT, Buffer.from(res.results?.[1].stub ?? '', 'hex')).data, bigEcho);
    }
  });

  test('impacket with an rc4-hmac context (carol, NT hash: RC4 asked for): RFC 4757 MIC and Wrap tokens', async () => {
    for (const level of [AUTHN_LEVEL.PKT_INTEGRITY, AUTHN_LEVEL.PKT_PRIVACY]) {
      const res = await call(SECURE_UUID, level, 2000, 'carol', ntHash(PASSWORD).toString('hex'));
      assert.equal(res.exception, undefined, res.exception);
      assert.equal(res.results?.[0].error, undefined, JSON.stringify(res.results?.[0]));
      checkAlice(Buffer.from(res.results?.[0].stub ?? '', 'hex'), AUTHN.GSS_NEGOTIATE, level, 'carol');
      assert.deepEqual(ndr.ndrDecode(ECHO_OUT, Buffer.from(res.results?.[1].stub ?? '', 'hex')).data, bigEcho);
      // It was an RFC 4757 context: framed 37-octet MICs / 45-octet Wrap tokens.
      assert.equal(accepted[accepted.length - 1].rpcSignatureLength(level), level === AUTHN_LEVEL.PKT_PRIVACY ? 45 : 37);
    }
  });

  test('impacket below the interface minimum: access denied (MS-AUTHSO 7.3.8 step 2)', async () => {
    const low = await call(SECURE_UUID, AUTHN_LEVEL.CONNECT);
    assert.equal(low.results?.[0]?.stub, undefined, JSON.stringify(low));
    assert.match(JSON.stringify(low), /access_denied/i);
    const mid = await call(PRIVATE_UUID, AUTHN_LEVEL.PKT_INTEGRITY);
    assert.equal(mid.results?.[0]?.stub, undefined, JSON.stringify(mid));
    assert.match(JSON.stringify(mid), /access_denied/i);
  });

  const kerberosInitiator = (o: { etypes?: number[]; user?: string; dceStyle?: boolean } = {}) =>
    new KerberosInitiator({
      target: 'host/rpcsrv.example.test',
      kdc: { host: domain.kdc.host, port: domain.kdc.port },
      user: o.user ?? 'alice',
      password: PASSWORD,
      realm: domain.realm,
      dceStyle: o.dceStyle ?? true,
      etypes: o.etypes,
    });

  async function roundTrip(type: number, level: number, context: SecurityContext, uuid: string, headerSigning = true, user = 'alice'): Promise<void> {
    const c = await RpcClient.connect({ host: '127.0.0.1', port: server.port, auth: { type, level, context }, maxXmitFrag: 1432, maxRecvFrag: 1432, headerSigning });
    try {
      const { contextId } = await c.bind({ uuid, ...WHOAMI_VERSION });
      assert.equal(c.headerSigning, headerSigning);
      checkAlice(await c.call(contextId, 0, Buffer.alloc(0)), type, level, user);
      const data = Buffer.alloc(7000, 0x33);
      assert.deepEqual(ndr.ndrDecode(ECHO_OUT, await c.call(contextId, 1, ndr.ndrEncode(ECHO_IN, { data }))).data, data);
    } finally {
      c.close();
    }
  }

  test('our RpcClient with a DCE-style KerberosInitiator (RPC_C_AUTHN_GSS_KERBEROS) at each level, with and without header signing', async () => {
    for (const level of LEVELS) {
      for (const headerSigning of [true, false]) {
        await roundTrip(AUTHN.GSS_KERBEROS, level, kerberosInitiator(), level === AUTHN_LEVEL.CONNECT ? WHOAMI_UUID : SECURE_UUID, headerSigning);
      }
    }
  });

  test('our RpcClient with a non-DCE KerberosInitiator (two legs: bind with the framed AP-REQ, bind_ack with the AP-REP)', async () => {
    for (const level of LEVELS) {
      await roundTrip(AUTHN.GSS_KERBEROS, level, kerberosInitiator({ dceStyle: false }), level === AUTHN_LEVEL.CONNECT ? WHOAMI_UUID : SECURE_UUID);
    }
  });

  test('a tampered sealed request or a replayed request: access denied, connection closed', async () => {
    for (const attack of ['flip', 'replay'] as const) {
      const ctx = kerberosInitiator();
      // Without header signing the replayed PDU differs from the original only in its call_id,
      // which is then not covered: only the sequence number gives it away.
      const c = await RpcClient.connect({ host: '127.0.0.1', port: server.port, auth: { type: AUTHN.GSS_KERBEROS, level: AUTHN_LEVEL.PKT_PRIVACY, context: ctx }, headerSigning: false });
      const { contextId } = await c.bind({ uuid: SECURE_UUID, ...WHOAMI_VERSION });
      const seal = ctx.rpcSeal.bind(ctx);
      const sent: { stub: Buffer; sig: Buffer }[] = [];
      ctx.rpcSeal = (parts) => {
        const sig = seal(parts);
        sent.push({ stub: Buffer.from(parts.pdu.subarray(parts.stubStart, parts.bodyEnd)), sig });
        if (sent.length === 1) return sig;
        if (attack === 'flip') {
          parts.pdu[parts.stubStart] ^= 1;
          return sig;
        }
        sent[0].stub.copy(parts.pdu, parts.stubStart);
        return sent[0].sig;
      };
      const stub = ndr.ndrEncode(ECHO_IN, { data: Buffer.alloc(64, 1) });
      await c.call(contextId, 1, stub);
      await assert.rejects(c.call(contextId, 1, stub), (e: RpcError) => e.status === NCA.s_fault_access_denied);
      await assert.rejects(c.call(contextId, 0, Buffer.alloc(0)));
      c.close();
    }
  });

  test('our RpcClient with an rc4-hmac Kerberos context (RFC 4757 tokens, MS-KILE 3.4.5.4.1)', async () => {
    for (const level of [AUTHN_LEVEL.PKT_INTEGRITY, AUTHN_LEVEL.PKT_PRIVACY]) {
      for (const headerSigning of [true, false]) {
        const ctx = kerberosInitiator({ etypes: [ETYPE.RC4_HMAC], user: 'carol' });
        await roundTrip(AUTHN.GSS_KERBEROS, level, ctx, SECURE_UUID, headerSigning, 'carol');
        assert.equal(ctx.rpcSignatureLength(level), level === AUTHN_LEVEL.PKT_PRIVACY ? 45 : 37);
      }
    }
  });

  test('verifier sizes: AES 28 (MIC) and 76 (Wrap), as Windows announces them', async () => {
    for (const level of [AUTHN_LEVEL.PKT_INTEGRITY, AUTHN_LEVEL.PKT_PRIVACY]) {
      const ctx = kerberosInitiator();
      await roundTrip(AUTHN.GSS_KERBEROS, level, ctx, SECURE_UUID);
      assert.equal(ctx.rpcSignatureLength(level), level === AUTHN_LEVEL.PKT_PRIVACY ? 76 : 28);
    }
  });

  test('our RpcClient with NegotiateInitiator: Kerberos inside at each level, then NTLM inside', async () => {
    for (const level of LEVELS) {
      const uuid = level === AUTHN_LEVEL.CONNECT ? WHOAMI_UUID : SECURE_UUID;
      await roundTrip(AUTHN.GSS_NEGOTIATE, level, new NegotiateInitiator({ kerberos: () => kerberosInitiator() }), uuid);
      const ntlm = new NegotiateInitiator({ ntlm: () => ntlmRpc(new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: PASSWORD, sign: true, seal: true })) });
      await roundTrip(AUTHN.GSS_NEGOTIATE, level, ntlm, uuid);
      assert.equal(ntlm.negotiatedMechanism, 'ntlm');
    }
  });

  test('refusals: too low a level, a provider the interface does not take, an unregistered provider', async () => {
    // CONNECT on an interface demanding PKT_PRIVACY.
    const low = await RpcClient.connect({ host: '127.0.0.1', port: server.port, auth: { type: AUTHN.GSS_NEGOTIATE, level: AUTHN_LEVEL.PKT_INTEGRITY, context: new NegotiateInitiator({ kerberos: () => kerberosInitiator() }) } });
    const { contextId } = await low.bind({ uuid: PRIVATE_UUID, ...WHOAMI_VERSION });
    await assert.rejects(low.call(contextId, 0, Buffer.alloc(0)), (e: RpcError) => e.status === NCA.s_fault_access_denied);
    low.close();
    // Raw Kerberos is registered but PRIVATE_UUID only takes Negotiate.
    const raw = await RpcClient.connect({ host: '127.0.0.1', port: server.port, auth: { type: AUTHN.GSS_KERBEROS, level: AUTHN_LEVEL.PKT_PRIVACY, context: kerberosInitiator() } });
    const r = await raw.bind({ uuid: PRIVATE_UUID, ...WHOAMI_VERSION });
    await assert.rejects(raw.call(r.contextId, 0, Buffer.alloc(0)), (e: RpcError) => e.status === NCA.s_fault_access_denied);
    raw.close();
    // RPC_C_AUTHN_WINNT is not registered on this server: bind_nak.
    const none = await RpcClient.connect({
      host: '127.0.0.1',
      port: server.port,
      auth: { type: AUTHN.WINNT, level: AUTHN_LEVEL.PKT_INTEGRITY, context: ntlmRpc(new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: PASSWORD, sign: true })) },
    });
    await assert.rejects(none.bind({ uuid: WHOAMI_UUID, ...WHOAMI_VERSION }), (e: RpcError) => e.kind === 'nak' && e.status === REJECT.authentication_type_not_recognized);
    none.close();
  });

  test('a Negotiate acceptor whose NTLM has no RPC adapter: CONNECT works, PKT_INTEGRITY is refused at bind', async () => {
    const authority = new DirectoryAuthority(domain.directory);
    const bare = () => new NtlmAcceptor({ authority, netbiosComputerName: 'RPCSRV', netbiosDomainName: 'EXAMPLE', dnsComputerName: 'rpcsrv.example.test', dnsDomainName: 'example.test' });
    const s2 = await startRpcServer({ interfaces: [whoamiInterface()], acceptors: { [AUTHN.GSS_NEGOTIATE]: () => new NegotiateAcceptor({ ntlm: bare }) } });
    try {
      const ntlm = () => new NegotiateInitiator({ ntlm: () => ntlmRpc(new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: PASSWORD, sign: true, seal: true })) });
      const ok = await RpcClient.connect({ host: '127.0.0.1', port: s2.port, auth: { type: AUTHN.GSS_NEGOTIATE, level: AUTHN_LEVEL.CONNECT, context: ntlm() } });
      const { contextId } = await ok.bind({ uuid: WHOAMI_UUID, ...WHOAMI_VERSION });
      checkAlice(await ok.call(contextId, 0, Buffer.alloc(0)), AUTHN.GSS_NEGOTIATE, AUTHN_LEVEL.CONNECT);
      ok.close();
      const c = await RpcClient.connect({ host: '127.0.0.1', port: s2.port, auth: { type: AUTHN.GSS_NEGOTIATE, level: AUTHN_LEVEL.PKT_INTEGRITY, context: ntlm() } });
      await assert.rejects(c.bind({ uuid: WHOAMI_UUID, ...WHOAMI_VERSION }), (e: RpcError) => e.kind === 'fault' && e.status === NCA.s_fault_access_denied);
      c.close();
    } finally {
      await s2.close();
    }
  });
});
