// A real SPNEGO initiator doing NTLM against our NegotiateAcceptor: MIT Kerberos' SPNEGO with the
// gss-ntlmssp mechanism plugin, through python3-gssapi, with NTLM credentials from a user file
// (no Kerberos ticket, so SPNEGO offers NTLMSSP only). MIT sends the NTLM MIC and a mechListMIC
// and, after the mechListMICs, resets the NTLM RC4 state (MS-SPNG 3.3.5.1) — so application
// MICs and wrap tokens only work if our NTLM context does the same.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import { NtlmAcceptor } from '../../src/ntlm/index.js';
import { NegState, NegotiateAcceptor, OID, decodeNegTokenResp } from '../../src/spnego/index.js';
import { requirePeer, SYSTEM_PYTHON } from '../helpers/peers.js';
import { GssPeer, b64, unb64 } from './gss-peer.js';

const PLUGIN = requirePeer('/usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so');
requirePeer(SYSTEM_PYTHON);

describe('MIT SPNEGO + gss-ntlmssp initiator against NegotiateAcceptor (NTLM)', () => {
  let domain: RunningDomain;
  let env: NodeJS.ProcessEnv;
  let acceptor: NegotiateAcceptor;
  let peer: GssPeer;

  before(async () => {
    domain = await startDomain({ realm: 'EXAMPLE.TEST', users: [{ name: 'alice', password: 'Alice-Passw0rd!' }] });
    const dir = await mkdtemp(join(tmpdir(), 'authso-ntlmssp-'));
    await writeFile(join(dir, 'users'), 'EXAMPLE:alice:Alice-Passw0rd!\n', { mode: 0o600 });
    await writeFile(join(dir, 'krb5.conf'), domain.krb5Conf);
    // The plugin is named here too, so the test does not depend on /etc/gss/mech.d.
    await writeFile(join(dir, 'mech'), `gssntlmssp_v1 ${OID.NTLMSSP} ${PLUGIN}\n`);
    env = {
      PATH: process.env.PATH,
      LANG: 'C',
      NTLM_USER_FILE: join(dir, 'users'),
      GSS_MECH_CONFIG: join(dir, 'mech'),
      KRB5_CONFIG: join(dir, 'krb5.conf'),
      KRB5CCNAME: `FILE:${join(dir, 'no-ccache')}`,
    };
    const authority = new DirectoryAuthority(domain.directory);
    acceptor = new NegotiateAcceptor({
      ntlm: () =>
        new NtlmAcceptor({ authority, netbiosComputerName: 'WEB', netbiosDomainName: 'EXAMPLE', dnsComputerName: 'web.example.test', dnsDomainName: 'example.test' }),
    });
    peer = new GssPeer(env);
  });
  after(async () => {
    peer?.close();
    await domain?.stop();
  });

  test('the handshake: NEGOTIATE, CHALLENGE, AUTHENTICATE + mechListMIC, accept-completed + mechListMIC', async () => {
    let r = await peer.ok({ op: 'init', target: 'HTTP@web.example.test', hostbased: true });
    const sent: Buffer[] = [];
    for (let i = 0; i < 4 && !acceptor.done; i++) {
      const a = await acceptor.step(unb64(r.token));
      if (a.output) sent.push(a.output);
      r = await peer.ok({ op: 'step', token: b64(a.output ?? Buffer.alloc(0)) });
    }
    assert.equal(acceptor.done, true);
    assert.equal(r.complete, true);
    assert.equal(sent.length, 2);
    assert.equal(decodeNegTokenResp(sent[0]).supportedMech, OID.NTLMSSP);
    const last = decodeNegTokenResp(sent[1]);
    assert.equal(last.negState, NegState.ACCEPT_COMPLETED);
    assert.equal(last.mechListMIC?.length, 16);
    assert.equal(acceptor.peer?.userName, 'alice');
    assert.equal(acceptor.negotiatedMechanism, 'ntlm');
    assert.equal((await peer.ok({ op: 'info' })).mech, OID.NTLMSSP);
  });

  test('MIC and wrap both ways after the mechListMIC exchange (MS-SPNG 3.3.5.1 RC4 reset)', async () => {
    assert.equal(acceptor.done, true);
    const m = Buffer.from('hello from MIT');
    acceptor.verify(m, unb64((await peer.ok({ op: 'get_mic', data: b64(m) })).token));
    await peer.ok({ op: 'verify_mic', data: b64(m), token: b64(acceptor.sign(m)) });
    assert.deepEqual(acceptor.unseal(unb64((await peer.ok({ op: 'wrap', data: b64(m) })).token)), m);
    assert.deepEqual(unb64((await peer.ok({ op: 'unwrap', token: b64(acceptor.seal(m)) })).data), m);
  });
});
