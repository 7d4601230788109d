// MS-AUTHSO 7 end to end: a domain user binds to an RPC server on a member server, and the member
// decides nothing alone — NTLM binds are validated by the DC over the member's Netlogon secure
// channel (MS-APDS 3.1, MS-NRPC 3.4.5.3.4), Kerberos tickets are decrypted with the member's own
// machine keys from its state file and their PAC KDC signature is verified by the DC
// (KERB_VERIFY_PAC, MS-APDS 3.2). The caller's identity then reaches the interface (whoami).
//   DC: startDomain({ rpc: true }) — KDC, Netlogon, EPM on its own loopback address (impacket asks
//       the KDC on port 88); member: offline join (provisionBlobFor + joinDomain) + loadMemberState;
//   clients: impacket (NTLM, and Kerberos inside SPNEGO — impacket 0.10 has no raw type 16) at
//       CONNECT, PKT_INTEGRITY and PKT_PRIVACY; our RpcClient for raw Kerberos (type 16) and
//       Negotiate-with-NTLM; refusals of MS-AUTHSO 7.3.8 step 2 (wrong password — counted at the
//       DC —, level below the interface minimum, unregistered provider).

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ndr from '../../src/encoding/ndr.js';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { KerberosInitiator } from '../../src/kerberos/gss/index.js';
import { provisionBlobFor } from '../../src/member/provision.js';
import { memberAcceptors } from '../../src/member/rpc-server.js';
import { joinDomain, loadMemberState, type LoadedMember } from '../../src/member/state.js';
import { NtlmInitiator } from '../../src/ntlm/index.js';
import { RpcClient } from '../../src/rpc/client.js';
import { ntlmRpc } from '../../src/rpc/ntlm.js';
import { AUTHN, AUTHN_LEVEL, NCA, REJECT, RpcError } from '../../src/rpc/pdu.js';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.js';
import { ECHO_IN, ECHO_OUT, WHOAMI_INFO, WHOAMI_UUID, WHOAMI_VERSION, whoamiInterface } from '../../src/rpc/whoami.js';
import type { SecurityContext } from '../../src/security/types.js';
import { NegotiateInitiator } from '../../src/spnego/index.js';
import { impacket } from '../rpc/impacket-helper.js';

/** The DC's own loopback address (no other test uses it): impacket's KDC is always port 88. */
const DC = '127.0.0.93';
const PASSWORD = 'Alice-Passw0rd!';
/** whoami demanding PKT_INTEGRITY or better, over every provider. */
const SECURE_UUID = 'c4a7e2d9-5b1f-4c38-9e60-1d8f3a2b7e45';
const LEVELS = [AUTHN_LEVEL.CONNECT, AUTHN_LEVEL.PKT_INTEGRITY, AUTHN_LEVEL.PKT_PRIVACY];
const bigEcho = Buffer.alloc(9000, 0x42);

describe('MS-AUTHSO 7: RPC binds to a member server, decided by the DC', () => {
  let work: string;
  let domain: RunningDomain;
  let member: LoadedMember;
  let server: RpcServer;
  let aliceSid: string;
  let establishedBefore = 0;
  /** Calls reaching the member's NetlogonAuthority (i.e. questions put to the DC). */
  const asked = { ntlm: 0, pac: 0 };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'authso-member-rpc-'));
    domain = await startDomain({
      rpc: true,
      host: DC,
      kdcPort: 88,
      users: [
        { name: 'alice', password: PASSWORD },
        { name: 'bob', password: PASSWORD },
      ],
    });
    assert.ok(domain.epm);
    // Offline join in-process: the DC creates MEMBER$ and its blob, the member proves the
    // one-time password on a secure channel and rotates it (src/member/state.ts).
    const { password } = await domain.directory.createComputer('member');
    const blob = await provisionBlobFor(domain.directory, 'member', password, { host: domain.epm.host, epmPort: domain.epm.port, kdcPort: domain.kdc.port });
    const statePath = join(work, 'member.state');
    await joinDomain({ provision: blob, statePath });
    member = await loadMemberState(statePath);
    // Count what the acceptors ask the DC (the instance's methods, still doing the real work).
    const authority = member.authority;
    const validateNtlm = authority.validateNtlm.bind(authority);
    const verifyPac = authority.verifyPacKdcSignature.bind(authority);
    authority.validateNtlm = (req) => (asked.ntlm++, validateNtlm(req));
    authority.verifyPacKdcSignature = (...args) => (asked.pac++, verifyPac(...args));
    const alice = await domain.directory.findClient('alice');
    assert.ok(alice);
    aliceSid = alice.account.sid;
    server = await startRpcServer({
      host: '127.0.0.1',
      port: 0,
      interfaces: [whoamiInterface(), { ...whoamiInterface({ providers: [AUTHN.WINNT, AUTHN.GSS_NEGOTIATE, AUTHN.GSS_KERBEROS], minLevel: AUTHN_LEVEL.PKT_INTEGRITY }), uuid: SECURE_UUID }],
      acceptors: memberAcceptors(member),
    });
  });
  after(async () => {
    await server?.close();
    member?.close();
    await domain?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  function checkIdentity(stub: Buffer | string | undefined, authType: number, level: number, user = 'alice', sid: string | undefined = aliceSid): void {
    assert.ok(sid);
    const info = ndr.ndrDecode(WHOAMI_INFO, typeof stub === 'string' || stub === undefined ? Buffer.from(stub ?? '', 'hex') : stub);
    assert.equal(info.userName, user);
    assert.equal(info.domainName, 'EXAMPLE');
    assert.equal(info.userSid, sid);
    assert.equal(info.authType, authType);
    assert.equal(info.authLevel, level);
    assert.ok(info.groups?.includes(`${sid.replace(/-\d+$/, '')}-513`), 'Domain Users, from the DC');
  }

  function impacketCall(uuid: string, level: number, kerberos: boolean, password = PASSWORD, user = 'alice') {
    return impacket({
      op: 'call',
      host: '127.0.0.1',
      remote_name: 'member.example.test',
      port: server.port,
      uuid,
      version: '1.0',
      max_frag: 2000,
      auth: kerberos
        ? { user, password, domain: 'EXAMPLE.TEST', level, type: AUTHN.GSS_NEGOTIATE, kdc: DC }
        : { user, password, domain: 'EXAMPLE', level, type: AUTHN.WINNT },
      calls: [
        [0, ''],
        [1, ndr.ndrEncode(ECHO_IN, { data: bigEcho }).toString('hex')],
      ],
    });
  }

  test('the member joined: its secure channel to the DC is up', async () => {
    establishedBefore = member.authority.client.establishments;
    const caps = await member.authority.client.getCapabilities();
    assert.ok((caps & 0x01000000) !== 0, 'AES negotiated');
    assert.ok(member.authority.client.establishments >= 1);
  });

  for (const kerberos of [false, true]) {
    const label = kerberos ? 'Kerberos in SPNEGO' : 'NTLM';
    for (const level of LEVELS) {
      test(`impacket ${label} at level ${level}: whoami is alice (name + SID), echo fragmented`, async () => {
        const prior = { ...asked };
        const res = await impacketCall(level === AUTHN_LEVEL.CONNECT ? WHOAMI_UUID : SECURE_UUID, level, kerberos);
        assert.equal(res.exception, undefined, res.exception);
        assert.equal(res.results?.[0].error, undefined, JSON.stringify(res.results?.[0]));
        checkIdentity(res.results?.[0].stub, kerberos ? AUTHN.GSS_NEGOTIATE : AUTHN.WINNT, level);
        // NTLM: the DC validated the response; Kerberos: the DC verified the PAC's KDC signature.
        assert.ok(kerberos ? asked.pac > prior.pac : asked.ntlm > prior.ntlm, JSON.stringify({ prior, asked }));
        assert.deepEqual(ndr.ndrDecode(ECHO_OUT, Buffer.from(res.results?.[1].stub ?? '', 'hex')).data, bigEcho);
      });
    }
  }

  test('the NTLM binds all went through one secure channel (no re-establishment per logon)', () => {
    assert.equal(member.authority.client.establishments, Math.max(establishedBefore, 1));
  });

  test('impacket NTLM with a wrong password: refused, and the DC counted it (badPwdCount rises)', async () => {
    const before = (await domain.directory.findClient('bob'))?.account.badPwdCount ?? -1;
    const res = await impacketCall(WHOAMI_UUID, AUTHN_LEVEL.CONNECT, false, 'Wrong-Password-9', 'bob');
    assert.equal(res.results?.[0]?.stub, undefined, JSON.stringify(res));
    assert.match(JSON.stringify(res), /access_denied/i);
    assert.ok(!JSON.stringify(res).includes('Wrong-Password-9'));
    const afterCount = (await domain.directory.findClient('bob'))?.account.badPwdCount ?? -1;
    assert.equal(afterCount, before + 1);
    // bob's right password still works afterwards (below any lockout threshold).
    const ok = await impacketCall(WHOAMI_UUID, AUTHN_LEVEL.CONNECT, false, PASSWORD, 'bob');
    assert.equal(ok.exception, undefined, ok.exception);
    checkIdentity(ok.results?.[0].stub, AUTHN.WINNT, AUTHN_LEVEL.CONNECT, 'bob', (await domain.directory.findClient('bob'))?.account.sid);
  });

  test('impacket below the interface minimum (CONNECT on a PKT_INTEGRITY interface): access denied, NTLM and Kerberos', async () => {
    for (const kerberos of [false, true]) {
      const res = await impacketCall(SECURE_UUID, AUTHN_LEVEL.CONNECT, kerberos);
      assert.equal(res.results?.[0]?.stub, undefined, JSON.stringify(res));
      assert.match(JSON.stringify(res), /access_denied/i);
    }
  });

  const kerberosInitiator = () =>
    new KerberosInitiator({ target: 'host/member.example.test', kdc: { host: domain.kdc.host, port: domain.kdc.port }, user: 'alice', password: PASSWORD, realm: domain.realm, dceStyle: true });
  const ntlmInitiator = (password = PASSWORD) => ntlmRpc(new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password, sign: true, seal: true }));

  async function roundTrip(port: number, type: number, level: number, context: SecurityContext): Promise<void> {
    const c = await RpcClient.connect({ host: '127.0.0.1', port, auth: { type, level, context }, maxXmitFrag: 1432, maxRecvFrag: 1432 });
    try {
      const { contextId } = await c.bind({ uuid: level === AUTHN_LEVEL.CONNECT ? WHOAMI_UUID : SECURE_UUID, ...WHOAMI_VERSION });
      checkIdentity(await c.call(contextId, 0, Buffer.alloc(0)), type, level);
      const data = Buffer.alloc(7000, 0x33);
      assert.deepEqual(ndr.ndrDecode(ECHO_OUT, await c.call(contextId, 1, ndr.ndrEncode(ECHO_IN, { data }))).data, data);
    } finally {
      c.close();
    }
  }

  test('our RpcClient: raw Kerberos (type 16, DCE style), NTLM, and Negotiate with NTLM inside, at each level', async () => {
    for (const level of LEVELS) {
      await roundTrip(server.port, AUTHN.GSS_KERBEROS, level, kerberosInitiator());
      await roundTrip(server.port, AUTHN.WINNT, level, ntlmInitiator());
      const neg = new NegotiateInitiator({ ntlm: () => ntlmInitiator() });
      await roundTrip(server.port, AUTHN.GSS_NEGOTIATE, level, neg);
      assert.equal(neg.negotiatedMechanism, 'ntlm');
    }
  });

  test('an unregistered provider: bind_nak (authentication_type_not_recognized)', async () => {
    // A member server offering Kerberos only: NTLM binds are not even attempted at the DC.
    const kerberosOnly = await startRpcServer({ host: '127.0.0.1', port: 0, interfaces: [whoamiInterface()], acceptors: memberAcceptors(member, ['kerberos']) });
    try {
      const none = await RpcClient.connect({ host: '127.0.0.1', port: kerberosOnly.port, auth: { type: AUTHN.WINNT, level: AUTHN_LEVEL.PKT_INTEGRITY, context: ntlmInitiator() } });
      await assert.rejects(none.bind({ uuid: WHOAMI_UUID, ...WHOAMI_VERSION }), (e: RpcError) => e.kind === 'nak' && e.status === REJECT.authentication_type_not_recognized);
      none.close();
      const res = await impacket({
        op: 'call',
        host: '127.0.0.1',
        port: kerberosOnly.port,
        uuid: WHOAMI_UUID,
        version: '1.0',
        max_frag: null,
        auth: { user: 'alice', password: PASSWORD, domain: 'EXAMPLE', level: AUTHN_LEVEL.CONNECT, type: AUTHN.WINNT },
        calls: [[0, '']],
      });
      assert.equal(res.results?.[0]?.stub, undefined, JSON.stringify(res));
      // The Kerberos provider it does offer works.
      await roundTrip(kerberosOnly.port, AUTHN.GSS_KERBEROS, AUTHN_LEVEL.CONNECT, kerberosInitiator());
    } finally {
      await kerberosOnly.close();
    }
  });

  test('our RpcClient NTLM with a wrong password: the first call is refused (the DC said no)', async () => {
    const c = await RpcClient.connect({ host: '127.0.0.1', port: server.port, auth: { type: AUTHN.WINNT, level: AUTHN_LEVEL.PKT_INTEGRITY, context: ntlmInitiator('nope') } });
    try {
      const { contextId } = await c.bind({ uuid: WHOAMI_UUID, ...WHOAMI_VERSION });
      await assert.rejects(c.call(contextId, 0, Buffer.alloc(0)), (e: RpcError) => e.status === NCA.s_fault_access_denied);
    } finally {
      c.close();
    }
  });
});
