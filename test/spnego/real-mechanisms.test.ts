// Negotiate over the real mechanisms against a throw-away domain (startDomain): our
// NegotiateInitiator ⇄ NegotiateAcceptor for Kerberos (a KDC, an exported keytab) and NTLM (a
// DirectoryAuthority), the NTLM fallback, a downgrade refused, and the universal receiver with
// raw NTLM and raw Kerberos tokens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { exportKeytab } from '../../src/cli/keytab.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import { SEC_E, SecurityError } from '../../src/security/types.js';
import { NtlmAcceptor, NtlmInitiator } from '../../src/ntlm/index.js';
import { KerberosAcceptor, KerberosInitiator } from '../../src/kerberos/gss/index.js';
import {
  NegState,
  NegotiateAcceptor,
  NegotiateInitiator,
  OID,
  decodeNegTokenResp,
  encodeNegTokenInit,
  encodeNegTokenResp,
  peekGssMechanism,
} from '../../src/spnego/index.js';
import { checkMessageProtection, handshake, initOf } from './helpers.js';

const PASSWORD = 'Alice-Passw0rd!';

describe('Negotiate over the real Kerberos and NTLM mechanisms', () => {
  let domain: RunningDomain;
  let keytab: Buffer;
  let authority: DirectoryAuthority;

  before(async () => {
    domain = await startDomain({
      realm: 'EXAMPLE.TEST',
      users: [{ name: 'alice', password: PASSWORD }],
      services: [{ computer: 'web', spns: ['HTTP/web.example.test'] }],
    });
    keytab = await exportKeytab(domain.directory, 'HTTP/web.example.test');
    authority = new DirectoryAuthority(domain.directory);
  });
  after(async () => {
    await domain?.stop();
  });

  const ntlmAcceptor = () =>
    new NtlmAcceptor({
      authority,
      netbiosComputerName: 'WEB',
      netbiosDomainName: 'EXAMPLE',
      dnsComputerName: 'web.example.test',
      dnsDomainName: 'example.test',
    });
  const ntlmInitiator = (password = PASSWORD) => () => new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password, seal: true });
  const kerberosAcceptor = () => new KerberosAcceptor({ keytab, authority });
  const kerberosInitiator =
    (o: { port?: number; target?: string } = {}) =>
    () =>
      new KerberosInitiator({
        target: o.target ?? 'HTTP/web.example.test',
        kdc: { host: domain.kdc.host, port: o.port ?? domain.kdc.port },
        user: 'alice',
        password: PASSWORD,
        realm: domain.realm,
      });

  test('Kerberos: optimistic AP-REQ, AP-REP back, done in one round trip; wrap and MIC both ways', async () => {
    const initiator = new NegotiateInitiator({ kerberos: kerberosInitiator(), ntlm: ntlmInitiator() });
    const acceptor = new NegotiateAcceptor({ kerberos: kerberosAcceptor, ntlm: ntlmAcceptor });
    const x = await handshake(initiator, acceptor);
    assert.equal(x.tokens.length, 2);
    const x0 = x.tokens[0].bytes;
    assert.deepEqual(initOf(x0).mechTypes, [OID.KERBEROS, OID.NTLMSSP]);
    assert.equal(peekGssMechanism(initOf(x0).mechToken!), OID.KERBEROS);
    const resp = decodeNegTokenResp(x.tokens[1].bytes);
    assert.equal(resp.negState, NegState.ACCEPT_COMPLETED);
    assert.equal(resp.supportedMech, OID.KERBEROS);
    assert.equal(peekGssMechanism(resp.responseToken!), OID.KERBEROS, 'an AP-REP token');
    assert.equal(acceptor.negotiatedMechanism, 'kerberos');
    assert.equal(acceptor.peer?.userName, 'alice');
    assert.equal(acceptor.peer?.authPackage, 'Kerberos');
    assert.deepEqual(acceptor.sessionKey, initiator.sessionKey);
    assert.equal(acceptor.flags.mutual, true);
    checkMessageProtection(initiator, acceptor);
  });

  test('Kerberos with the Microsoft OID: the AP-REP is framed and named with it', async () => {
    const initiator = new NegotiateInitiator({ kerberos: kerberosInitiator(), msKerberosOid: true });
    const acceptor = new NegotiateAcceptor({ kerberos: kerberosAcceptor, ntlm: ntlmAcceptor });
    const x = await handshake(initiator, acceptor);
    assert.equal(decodeNegTokenResp(x.tokens[1].bytes).supportedMech, OID.MS_KERBEROS);
    assert.equal(acceptor.peer?.userName, 'alice');
  });

  test('NTLM through Negotiate: CHALLENGE, AUTHENTICATE with its MIC, mechListMICs both ways', async () => {
    const initiator = new NegotiateInitiator({ ntlm: ntlmInitiator() });
    const acceptor = new NegotiateAcceptor({ kerberos: kerberosAcceptor, ntlm: ntlmAcceptor });
    const x = await handshake(initiator, acceptor);
    assert.equal(x.tokens.length, 4);
    const last = decodeNegTokenResp(x.tokens[3].bytes);
    assert.equal(last.negState, NegState.ACCEPT_COMPLETED);
    assert.equal(last.mechListMIC?.length, 16, 'an NTLMSSP_MESSAGE_SIGNATURE');
    assert.equal(decodeNegTokenResp(x.tokens[2].bytes).mechListMIC?.length, 16);
    assert.equal(acceptor.peer?.userName, 'alice');
    assert.equal(acceptor.peer?.authPackage, 'NTLM');
    assert.deepEqual(acceptor.sessionKey, initiator.sessionKey);
    checkMessageProtection(initiator, acceptor);
  });

  test('no Kerberos ticket obtainable (KDC unreachable): falls back to NTLM', async () => {
    const initiator = new NegotiateInitiator({ kerberos: kerberosInitiator({ port: 1 }), ntlm: ntlmInitiator() });
    const acceptor = new NegotiateAcceptor({ kerberos: kerberosAcceptor, ntlm: ntlmAcceptor });
    const x = await handshake(initiator, acceptor);
    assert.deepEqual(initOf(x.tokens[0].bytes).mechTypes, [OID.NTLMSSP]);
    assert.equal(initiator.skipped[0]?.mechanism, 'kerberos');
    assert.equal(acceptor.negotiatedMechanism, 'ntlm');
    assert.equal(acceptor.peer?.userName, 'alice');
  });

  test('unknown service principal: Kerberos skipped, NTLM used', async () => {
    const initiator = new NegotiateInitiator({ kerberos: kerberosInitiator({ target: 'HTTP/nowhere.example.test' }), ntlm: ntlmInitiator() });
    const acceptor = new NegotiateAcceptor({ kerberos: kerberosAcceptor, ntlm: ntlmAcceptor });
    await handshake(initiator, acceptor);
    assert.equal(initiator.skipped[0]?.error.code, SEC_E.TARGET_UNKNOWN);
    assert.equal(acceptor.negotiatedMechanism, 'ntlm');
  });

  test('the server does only NTLM: the client re-selects after its optimistic Kerberos token', async () => {
    const initiator = new NegotiateInitiator({ kerberos: kerberosInitiator(), ntlm: ntlmInitiator() });
    const acceptor = new NegotiateAcceptor({ ntlm: ntlmAcceptor });
    const x = await handshake(initiator, acceptor);
    const first = decodeNegTokenResp(x.tokens[1].bytes);
    assert.deepEqual(first, { negState: NegState.REQUEST_MIC, supportedMech: OID.NTLMSSP });
    assert.equal(initiator.negotiatedMechanism, 'ntlm');
    checkMessageProtection(initiator, acceptor);
  });

  test('a wrong NTLM password fails with the NTSTATUS, not as a downgrade', async () => {
    const initiator = new NegotiateInitiator({ ntlm: ntlmInitiator('wrong') });
    const acceptor = new NegotiateAcceptor({ ntlm: ntlmAcceptor });
    await assert.rejects(handshake(initiator, acceptor), (e: unknown) => e instanceof SecurityError && e.code === SEC_E.LOGON_DENIED && e.details.ntstatus !== undefined);
  });

  test('downgrade: Kerberos preferred, NTLM completed without a mechListMIC → SEC_E_DOWNGRADE_DETECTED', async () => {
    const acceptor = new NegotiateAcceptor({ ntlm: ntlmAcceptor });
    const krb = kerberosInitiator()();
    const apReq = (await krb.step()).output!;
    const r1 = await acceptor.step(encodeNegTokenInit({ mechTypes: [OID.KERBEROS, OID.NTLMSSP], mechToken: apReq }));
    assert.equal(decodeNegTokenResp(r1.output!).negState, NegState.REQUEST_MIC);
    const ntlm = ntlmInitiator()();
    const r2 = await acceptor.step(encodeNegTokenResp({ responseToken: (await ntlm.step()).output! }));
    const auth = (await ntlm.step(decodeNegTokenResp(r2.output!).responseToken)).output!;
    await assert.rejects(acceptor.step(encodeNegTokenResp({ responseToken: auth })), (e: unknown) => e instanceof SecurityError && e.code === SEC_E.DOWNGRADE_DETECTED);
    assert.equal(acceptor.done, false);
    assert.equal(acceptor.peer, undefined);
  });

  test('universal receiver: raw NTLMSSP messages in, raw NTLMSSP messages out', async () => {
    const client = ntlmInitiator()();
    const acceptor = new NegotiateAcceptor({ kerberos: kerberosAcceptor, ntlm: ntlmAcceptor });
    const x = await handshake(client, acceptor);
    assert.equal(x.tokens.length, 3);
    for (const t of x.tokens) assert.equal(t.bytes.subarray(0, 8).toString('latin1'), 'NTLMSSP\0');
    assert.equal(acceptor.raw, true);
    assert.equal(acceptor.negotiatedMechanism, 'ntlm');
    assert.equal(acceptor.peer?.userName, 'alice');
    checkMessageProtection(client, acceptor);
  });

  test('universal receiver: a raw Kerberos GSS token in, a raw AP-REP out', async () => {
    const client = kerberosInitiator()();
    const acceptor = new NegotiateAcceptor({ kerberos: kerberosAcceptor, ntlm: ntlmAcceptor });
    const x = await handshake(client, acceptor);
    assert.equal(x.tokens.length, 2);
    assert.equal(peekGssMechanism(x.tokens[1].bytes), OID.KERBEROS);
    assert.equal(acceptor.raw, true);
    assert.equal(acceptor.negotiatedMechanism, 'kerberos');
    assert.equal(acceptor.peer?.userName, 'alice');
    checkMessageProtection(client, acceptor);
  });

  test('universal receiver: a raw Kerberos token to an NTLM-only acceptor is refused', async () => {
    const client = kerberosInitiator()();
    const acceptor = new NegotiateAcceptor({ ntlm: ntlmAcceptor });
    await assert.rejects(acceptor.step((await client.step()).output), (e: unknown) => e instanceof SecurityError && e.code === 0x80090305);
  });

  test('a replayed AP-REQ: the Kerberos error is passed on inside a reject', async () => {
    const client = kerberosInitiator()();
    const apReq = (await client.step()).output!;
    const token = encodeNegTokenInit({ mechTypes: [OID.KERBEROS], mechToken: apReq });
    const a1 = new NegotiateAcceptor({ kerberos: kerberosAcceptor });
    assert.equal((await a1.step(token)).done, true);
    const a2 = new NegotiateAcceptor({ kerberos: kerberosAcceptor });
    const err = await a2.step(token).then(
      () => assert.fail('replay accepted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SecurityError);
    const output = (err as { output?: Buffer }).output;
    if (output) {
      const resp = decodeNegTokenResp(output);
      assert.equal(resp.negState, NegState.REJECT);
      assert.ok(resp.responseToken);
    }
  });
});
