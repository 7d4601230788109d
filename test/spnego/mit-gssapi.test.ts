// A real SPNEGO initiator against our NegotiateAcceptor: MIT Kerberos' SPNEGO mechanism
// (1.3.6.1.5.5.2) through python3-gssapi, with a TGT kinit got from our KDC. The context is
// established, then MIC and wrap tokens go both ways. Missing peers fail the test (npm run peers).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { exportKeytab } from '../../src/cli/keytab.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import { KerberosAcceptor } from '../../src/kerberos/gss/index.js';
import { NtlmAcceptor } from '../../src/ntlm/index.js';
import { NegState, NegotiateAcceptor, OID, decodeNegTokenResp, decodeNegotiationToken } from '../../src/spnego/index.js';
import { SYSTEM_PYTHON, mitEnv, requirePeer, run, type MitEnv } from '../helpers/peers.js';
import { GssPeer, b64, unb64 } from './gss-peer.js';

const KINIT = requirePeer('/usr/bin/kinit');
requirePeer(SYSTEM_PYTHON);
const TARGET = 'HTTP/web.example.test@EXAMPLE.TEST';

describe('python3-gssapi (MIT SPNEGO) initiator against NegotiateAcceptor', () => {
  let domain: RunningDomain;
  let keytab: Buffer;
  let m: MitEnv;

  before(async () => {
    domain = await startDomain({
      realm: 'EXAMPLE.TEST',
      users: [{ name: 'alice', password: 'Alice-Passw0rd!' }],
      services: [{ computer: 'web', spns: ['HTTP/web.example.test'] }],
    });
    keytab = await exportKeytab(domain.directory, 'HTTP/web.example.test');
    m = await mitEnv(domain);
    const k = await run(KINIT, ['alice@EXAMPLE.TEST'], { env: m.env, input: 'Alice-Passw0rd!\n' });
    assert.equal(k.code, 0, k.stderr);
  });
  after(async () => {
    await domain?.stop();
  });

  const acceptorFor = (alwaysExchangeMic: boolean) =>
    new NegotiateAcceptor({
      kerberos: () => new KerberosAcceptor({ keytab, authority: new DirectoryAuthority(domain.directory) }),
      ntlm: () =>
        new NtlmAcceptor({
          authority: new DirectoryAuthority(domain.directory),
          netbiosComputerName: 'WEB',
          netbiosDomainName: 'EXAMPLE',
          dnsComputerName: 'web.example.test',
          dnsDomainName: 'example.test',
        }),
      alwaysExchangeMic,
    });

  /** Runs the handshake; returns the tokens the acceptor sent. */
  async function establish(peer: GssPeer, acceptor: NegotiateAcceptor): Promise<Buffer[]> {
    const sent: Buffer[] = [];
    let r = await peer.ok({ op: 'init', target: TARGET });
    const init = decodeNegotiationToken(unb64(r.token));
    assert.equal(init.type, 'negTokenInit');
    assert.ok(init.token.mechTypes.includes(OID.KERBEROS), init.token.mechTypes.join(' '));
    for (let i = 0; i < 6; i++) {
      const a = await acceptor.step(unb64(r.token));
      if (a.output) sent.push(a.output);
      if (r.complete) {
        // MIT finished first (it sent its MIC last): our final accept-completed is not for it.
        assert.equal(a.done, true);
        break;
      }
      r = await peer.ok({ op: 'step', token: b64(a.output ?? Buffer.alloc(0)) });
      if (a.done) {
        assert.equal(r.complete, true);
        assert.equal(unb64(r.token).length, 0);
        break;
      }
    }
    assert.equal(acceptor.done, true);
    const info = await peer.ok({ op: 'info' });
    assert.equal(info.complete, true);
    assert.equal(info.mech, OID.KERBEROS);
    return sent;
  }

  async function exchangeMessages(peer: GssPeer, acceptor: NegotiateAcceptor): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const msg = Buffer.from(`hello from MIT ${i}`);
      const w = await peer.ok({ op: 'wrap', data: b64(msg) });
      assert.deepEqual(acceptor.unseal(unb64(w.token)), msg);
      const mic = await peer.ok({ op: 'get_mic', data: b64(msg) });
      acceptor.verify(msg, unb64(mic.token));

      const back = Buffer.from(`hello from authso ${i}`);
      const u = await peer.ok({ op: 'unwrap', token: b64(acceptor.seal(back)) });
      assert.deepEqual(unb64(u.data), back);
      await peer.ok({ op: 'verify_mic', data: b64(back), token: b64(acceptor.sign(back)) });
    }
    // A signature over other bytes is refused by MIT.
    const bad = await peer.call({ op: 'verify_mic', data: b64(Buffer.from('x')), token: b64(acceptor.sign(Buffer.from('y'))) });
    assert.ok(bad.error, 'MIT accepted a MIC over other data');
  }

  test('optimistic Kerberos token, accept-completed with the AP-REP, then wrap and MIC both ways', async () => {
    const peer = new GssPeer(m.env);
    try {
      const acceptor = acceptorFor(false);
      const sent = await establish(peer, acceptor);
      assert.equal(sent.length, 1);
      const resp = decodeNegTokenResp(sent[0]);
      assert.equal(resp.negState, NegState.ACCEPT_COMPLETED);
      assert.equal(resp.supportedMech, OID.KERBEROS);
      assert.equal(acceptor.peer?.userName, 'alice');
      assert.equal(acceptor.peerName?.toLowerCase().startsWith('alice'), true, acceptor.peerName);
      await exchangeMessages(peer, acceptor);
    } finally {
      peer.close();
    }
  });

  test('with the mechListMIC exchange (as Windows does for AES): our MIC, MIT’s MIC, then done', async () => {
    const peer = new GssPeer(m.env);
    try {
      const acceptor = acceptorFor(true);
      const sent = await establish(peer, acceptor);
      const first = decodeNegTokenResp(sent[0]);
      assert.equal(first.negState, NegState.ACCEPT_INCOMPLETE);
      assert.ok(first.responseToken && first.mechListMIC);
      assert.deepEqual(decodeNegTokenResp(sent.at(-1)!), { negState: NegState.ACCEPT_COMPLETED });
      assert.equal(acceptor.peer?.userName, 'alice');
      await exchangeMessages(peer, acceptor);
    } finally {
      peer.close();
    }
  });
});
