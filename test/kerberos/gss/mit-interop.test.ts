// Our Kerberos GSS mechanism against MIT krb5's (python3-gssapi over libgssapi_krb5), with
// tickets from our own KDC:
//   - MIT initiator (kinit'd from our KDC) -> our KerberosAcceptor, then MIC and Wrap both ways;
//   - our KerberosInitiator -> MIT acceptor with a keytab we exported, mutual auth, MIC/Wrap;
//   - delegation, channel bindings and an rc4-hmac context (RFC 4757 tokens) both ways;
//   - in DCE style, the DCE/RPC per-PDU tokens (RpcProtection, MS-KILE 3.4.5.4.1) against MIT's
//     gss_wrap_iov / gss_unwrap_iov with sign-only header and trailer, and MICs over PDUs.

import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportKeytab } from '../../../src/cli/keytab.js';
import { startDomain, type RunningDomain } from '../../../src/dc/domain.js';
import { getInitialCredentials } from '../../../src/kerberos/client/as-client.js';
import type { Credential } from '../../../src/kerberos/client/credential.js';
import { KerberosAcceptor, KerberosInitiator, type ChannelBindings } from '../../../src/kerberos/gss/index.js';
import { SEC_E, SecurityError, type DomainAuthority, type SecurityContext } from '../../../src/security/types.js';
import { checksumProfile, checksumTypeForEnctype } from '../../../src/crypto/registry.js';
import { KEY_USAGE } from '../../../src/crypto/types.js';
import type { RpcPduParts, RpcProtection } from '../../../src/rpc/protection.js';
import { mitEnv, requirePeer, run, type MitEnv } from '../../helpers/peers.js';
import { b64, GssPeer, unb64 } from './fixtures/gss-peer.js';

const KINIT = requirePeer('/usr/bin/kinit');

/**
 * DCE/RPC PKT_PRIVACY tokens (MS-KILE 3.4.5.4.1) both ways against MIT's gss_wrap_iov /
 * gss_unwrap_iov with the layout DCE/RPC uses: a PDU header and sec_trailer as sign-only
 * buffers (header signing) or none, the stub encrypted in place.
 */
async function exchangeIov(ours: RpcProtection, peer: GssPeer): Promise<void> {
  for (const headerSigning of [true, false]) {
    for (const len of [16, 48, 1024]) {
      // The PDU header and sec_trailer: signed only with header signing (MS-RPCE 2.2.2.3).
      const head = Buffer.from('HDR-0123456789-HDR-abcd!');
      const tail = Buffer.from('TRAILER!');
      const before = headerSigning ? head : Buffer.alloc(0);
      const after = headerSigning ? tail : Buffer.alloc(0);
      const stub = Buffer.alloc(len, len & 0xff);
      const parts = (data: Buffer): RpcPduParts => ({ pdu: Buffer.concat([head, data, tail]), stubStart: head.length, bodyEnd: head.length + data.length, headerSigning });
      // MIT -> us
      const w = await peer.must({ op: 'wrap_iov', before: b64(before), data: b64(stub), after: b64(after) });
      const p1 = parts(unb64(w.data));
      ours.rpcUnseal(p1, unb64(w.token));
      assert.deepEqual(p1.pdu.subarray(p1.stubStart, p1.bodyEnd), stub);
      // us -> MIT
      const p2 = parts(stub);
      const token = ours.rpcSeal(p2);
      assert.equal(token.length, ours.rpcSignatureLength(6));
      const u = await peer.must({ op: 'unwrap_iov', before: b64(before), data: b64(p2.pdu.subarray(p2.stubStart, p2.bodyEnd)), after: b64(after), token: b64(token) });
      assert.deepEqual(unb64(u.data), stub);
      // PKT_INTEGRITY: a MIC over the whole PDU (header signing) or the stub, both ways.
      const p3 = parts(stub);
      const signedPart = headerSigning ? p3.pdu : stub;
      const mic = await peer.must({ op: 'mic', data: b64(signedPart) });
      ours.rpcVerify(p3, unb64(mic.token));
      const ourMic = ours.rpcSign(p3);
      assert.equal(ourMic.length, ours.rpcSignatureLength(5));
      const v = await peer.call({ op: 'verify', data: b64(signedPart), token: b64(ourMic) });
      assert.ok(v.ok, v.error);
    }
  }
}
const ALICE_PW = 'Alice-Passw0rd!';
const BOB_PW = 'Bob-Passw0rd!23';

/** MIC and Wrap (conf and integrity-only) in both directions between `ours` and the MIT peer. */
async function exchangeMessages(ours: SecurityContext & { wrap(m: Buffer, conf: boolean, o?: { rrc?: number }): Buffer; unwrap(t: Buffer): { message: Buffer; conf: boolean } }, peer: GssPeer): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const msg = Buffer.from(`message ${round} from MIT ` + 'x'.repeat(round * 37));
    // MIT -> us
    const mic = await peer.must({ op: 'mic', data: b64(msg) });
    ours.verify(msg, unb64(mic.token));
    for (const conf of [true, false]) {
      const w = await peer.must({ op: 'wrap', data: b64(msg), conf });
      assert.equal(w.conf, conf);
      const u = ours.unwrap(unb64(w.token));
      assert.deepEqual(u.message, msg);
      assert.equal(u.conf, conf);
    }
    // us -> MIT
    const back = Buffer.from(`reply ${round} from authso ` + 'y'.repeat(round * 53));
    const v = await peer.call({ op: 'verify', data: b64(back), token: b64(ours.sign(back)) });
    assert.ok(v.ok, v.error);
    for (const conf of [true, false]) {
      const r = await peer.must({ op: 'unwrap', token: b64(ours.wrap(back, conf)) });
      assert.deepEqual(unb64(r.data), back);
      assert.equal(r.conf, conf);
    }
    // seal/unseal of the common interface are Wrap with confidentiality
    const s = await peer.must({ op: 'unwrap', token: b64(ours.seal(back)) });
    assert.deepEqual(unb64(s.data), back);
    const w = await peer.must({ op: 'wrap', data: b64(msg), conf: true });
    assert.deepEqual(ours.unseal(unb64(w.token)), msg);
  }
  // A wrong MIC from the peer's point of view, and ours.
  const bad = await peer.call({ op: 'verify', data: b64(Buffer.from('other')), token: b64(ours.sign(Buffer.from('signed'))) });
  assert.equal(bad.ok, false);
  const mic = await peer.must({ op: 'mic', data: b64(Buffer.from('signed')) });
  assert.throws(
    () => ours.verify(Buffer.from('other'), unb64(mic.token)),
    (e: unknown) => e instanceof SecurityError && e.code === SEC_E.MESSAGE_ALTERED,
  );
}

describe('Kerberos GSS mechanism against MIT krb5 (python3-gssapi)', () => {
  let domain: RunningDomain;
  let webKeytab: Buffer;
  let legacyKeytab: Buffer;
  let aliceSid: string;
  let engineeringSid: string;

  before(async () => {
    domain = await startDomain({
      groups: [{ name: 'Engineering' }],
      users: [
        { name: 'alice', password: ALICE_PW, groups: ['Engineering'], upn: 'alice@example.test' },
        { name: 'bob', password: BOB_PW, supportedEncryptionTypes: 0x1c },
      ],
      services: [{ computer: 'web', spns: ['HTTP/web.example.test'] }],
    });
    // A service whose account allows only RC4 (msDS-SupportedEncryptionTypes = 0x4).
    await domain.directory.createComputer('legacy', { supportedEncryptionTypes: 0x4 });
    await domain.directory.addSpn('LEGACY$', 'HTTP/legacy.example.test');
    webKeytab = await exportKeytab(domain.directory, 'HTTP/web.example.test');
    legacyKeytab = await exportKeytab(domain.directory, 'HTTP/legacy.example.test');
    aliceSid = (await domain.directory.getAccount('alice')).sid;
    engineeringSid = (await domain.directory.getGroup('Engineering')).sid;
  });
  const dirs: string[] = [];
  after(async () => {
    await domain?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  /** An MIT client environment with a forwardable TGT for `user`. */
  async function kinit(user = 'alice', password = ALICE_PW, extra = ''): Promise<MitEnv> {
    const m = await mitEnv(domain, extra);
    dirs.push(m.dir);
    const k = await run(KINIT, ['-f', `${user}@${domain.realm}`], { env: m.env, input: `${password}\n` });
    assert.equal(k.code, 0, k.stderr);
    return m;
  }

  /** An MIT acceptor environment with `keytab`. */
  async function acceptorEnv(keytab: Buffer): Promise<MitEnv> {
    const m = await mitEnv(domain);
    dirs.push(m.dir);
    const kt = join(m.dir, 'service.keytab');
    await writeFile(kt, keytab, { mode: 0o600 });
    m.env.KRB5_KTNAME = `FILE:${kt}`;
    m.env.KRB5RCACHEDIR = m.dir;
    return m;
  }

  async function tgt(user = 'alice', password = ALICE_PW): Promise<Credential> {
    return getInitialCredentials({ kdc: domain.kdc, realm: domain.realm, user, password });
  }

  test('MIT initiator -> our acceptor: mutual auth, the PAC becomes the logon token, MIC/Wrap both ways', async () => {
    const m = await kinit();
    const peer = new GssPeer(m.env);
    try {
      const init = await peer.must({ op: 'init', role: 'initiate', target: 'HTTP@web.example.test', flags: ['mutual', 'replay', 'sequence', 'conf', 'integ'] });
      assert.equal(init.complete, false);
      // MS-APDS 3.2: the KDC signature checked by the domain (here: the directory's krbtgt keys).
      let kdcChecks = 0;
      const authority: DomainAuthority = {
        validateNtlm: () => Promise.reject(new Error('not used')),
        verifyPacKdcSignature: async (serverChecksum, type, sig) => {
          kdcChecks++;
          const krbtgt = await domain.directory.getKrbtgt();
          return krbtgt.secrets.current.keys.some((k) => {
            const t = checksumTypeForEnctype(k.etype);
            return t === type && checksumProfile(t).verify(k.value, KEY_USAGE.KERB_NON_KERB_CKSUM_SALT, serverChecksum, sig);
          });
        },
      };
      const acceptor = new KerberosAcceptor({ keytab: webKeytab, authority });
      const s = await acceptor.step(unb64(init.token));
      assert.equal(s.done, true);
      assert.equal(kdcChecks, 1);
      assert.ok(s.output, 'an AP-REP for mutual authentication');
      const fin = await peer.must({ op: 'step', token: b64(s.output) });
      assert.equal(fin.complete, true);
      assert.equal(fin.peer, 'HTTP/web.example.test@EXAMPLE.TEST');

      assert.equal(acceptor.peerName, 'alice@EXAMPLE.TEST');
      assert.equal(acceptor.pacStatus, 'verified');
      const tok = acceptor.peer!;
      assert.equal(tok.userSid, aliceSid);
      assert.equal(tok.userName, 'alice');
      assert.equal(tok.authPackage, 'Kerberos');
      assert.equal(tok.logonType, 'network');
      assert.equal(tok.upn, 'alice@example.test');
      assert.equal(tok.dnsDomainName, 'EXAMPLE.TEST');
      const sids = tok.groups.map((g) => g.sid);
      assert.ok(sids.includes(engineeringSid), 'Engineering group SID');
      assert.ok(sids.includes('S-1-5-11') && sids.includes('S-1-5-2'), 'Authenticated Users and Network');
      assert.ok(acceptor.flags.mutual && acceptor.flags.replayDetect && acceptor.flags.sequenceDetect);
      assert.equal(acceptor.flags.delegate, false);

      // The context key MIT ended up with is ours (our acceptor subkey, RFC 4121 2).
      const sk = await peer.must({ op: 'sessionkey' });
      assert.deepEqual(unb64(sk.key), acceptor.sessionKey);
      assert.deepEqual(tok.sessionKey, acceptor.sessionKey);

      await exchangeMessages(acceptor, peer);
    } finally {
      await peer.close();
    }
  });

  test('MIT initiator without mutual authentication: no AP-REP, messages still flow', async () => {
    const m = await kinit();
    const peer = new GssPeer(m.env);
    try {
      const init = await peer.must({ op: 'init', role: 'initiate', target: 'HTTP@web.example.test', flags: ['sequence', 'conf', 'integ'] });
      assert.equal(init.complete, true);
      const acceptor = new KerberosAcceptor({ keytab: webKeytab });
      const s = await acceptor.step(unb64(init.token));
      assert.equal(s.done, true);
      assert.equal(s.output, undefined);
      assert.equal(acceptor.flags.mutual, false);
      await exchangeMessages(acceptor, peer);
    } finally {
      await peer.close();
    }
  });

  test('our initiator -> MIT acceptor (exported keytab): mutual auth, MIC/Wrap both ways, any RRC', async () => {
    const m = await acceptorEnv(webKeytab);
    const peer = new GssPeer(m.env);
    try {
      await peer.must({ op: 'init', role: 'accept' });
      const initiator = new KerberosInitiator({ target: 'HTTP/web.example.test', kdc: domain.kdc, tgt: await tgt() });
      const s1 = await initiator.step();
      assert.equal(s1.done, false);
      const r = await peer.must({ op: 'step', token: b64(s1.output!) });
      assert.equal(r.complete, true);
      assert.equal(r.peer, 'alice@EXAMPLE.TEST');
      assert.ok(r.flags!.includes('mutual'));
      const s2 = await initiator.step(unb64(r.token));
      assert.equal(s2.done, true);
      assert.equal(initiator.done, true);
      assert.equal(initiator.peerName, 'HTTP/web.example.test@EXAMPLE.TEST');
      const sk = await peer.must({ op: 'sessionkey' });
      assert.deepEqual(unb64(sk.key), initiator.sessionKey, 'MIT uses the acceptor subkey it sent us');

      // RFC 4121 4.2.5: the receiver must undo any rotation; MIT does for ours.
      for (const rrc of [1, 12, 28, 60, 1000]) {
        for (const conf of [true, false]) {
          const msg = Buffer.from(`rotated by ${rrc}`);
          const u = await peer.must({ op: 'unwrap', token: b64(initiator.wrap(msg, conf, { rrc })) });
          assert.deepEqual(unb64(u.data), msg);
        }
      }
      // (last: its closing bad-MIC check leaves a gap in our sequence numbers on MIT's side)
      await exchangeMessages(initiator, peer);
    } finally {
      await peer.close();
    }
  });

  test('our initiator with a password (AS exchange inside) and no mutual authentication', async () => {
    const m = await acceptorEnv(webKeytab);
    const peer = new GssPeer(m.env);
    try {
      await peer.must({ op: 'init', role: 'accept' });
      const initiator = new KerberosInitiator({
        target: { service: 'HTTP', host: 'web.example.test' },
        kdc: domain.kdc,
        realm: domain.realm,
        user: 'alice',
        password: ALICE_PW,
        mutual: false,
      });
      const s1 = await initiator.step();
      assert.equal(s1.done, true);
      const r = await peer.must({ op: 'step', token: b64(s1.output!) });
      assert.equal(r.complete, true);
      assert.equal(r.token, null);
      await exchangeMessages(initiator, peer);
    } finally {
      await peer.close();
    }
  });

  test('delegation: MIT forwards a TGT to our acceptor, which can use it', async () => {
    const m = await kinit();
    const peer = new GssPeer(m.env);
    try {
      const init = await peer.must({ op: 'init', role: 'initiate', target: 'HTTP@web.example.test', flags: ['mutual', 'delegate', 'sequence'] });
      const acceptor = new KerberosAcceptor({ keytab: webKeytab });
      const s = await acceptor.step(unb64(init.token));
      await peer.must({ op: 'step', token: b64(s.output!) });
      assert.equal(acceptor.delegationError, undefined);
      assert.equal(acceptor.flags.delegate, true);
      const cred = acceptor.delegatedCredential!;
      assert.ok(cred, 'a delegated credential');
      assert.deepEqual(cred.ticket.sname.nameString, ['krbtgt', 'EXAMPLE.TEST']);
      assert.deepEqual(cred.cname.nameString, ['alice']);
      // The service acts as alice: a service ticket from our KDC with the forwarded TGT.
      const onward = new KerberosInitiator({ target: 'HOST/web.example.test', kdc: domain.kdc, tgt: cred });
      const a2 = new KerberosAcceptor({ keytab: webKeytab });
      const t1 = await onward.step();
      const t2 = await a2.step(t1.output);
      await onward.step(t2.output);
      assert.equal(a2.peer!.userSid, aliceSid);
    } finally {
      await peer.close();
    }
  });

  test('delegation: our initiator forwards a TGT the MIT acceptor can use', async () => {
    const m = await acceptorEnv(webKeytab);
    const peer = new GssPeer(m.env);
    try {
      await peer.must({ op: 'init', role: 'accept' });
      const initiator = new KerberosInitiator({ target: 'HTTP/web.example.test', kdc: domain.kdc, tgt: await tgt(), delegate: true });
      const s1 = await initiator.step();
      assert.equal(initiator.flags.delegate, true);
      const r = await peer.must({ op: 'step', token: b64(s1.output!) });
      assert.equal(r.delegated, true);
      assert.equal(r.delegatedName, 'alice@EXAMPLE.TEST');
      await initiator.step(unb64(r.token));
      const use = await peer.must({ op: 'usedeleg', target: 'HOST@web.example.test' });
      assert.ok(unb64(use.token).length > 100, 'MIT made an AP-REQ with the forwarded TGT');
    } finally {
      await peer.close();
    }
  });

  test('channel bindings (RFC 4121 4.1.1.2) both ways; a mismatch is SEC_E_BAD_BINDINGS', async () => {
    const appData = Buffer.concat([Buffer.from('tls-server-end-point:'), Buffer.alloc(32, 0xab)]);
    const cb: ChannelBindings = { applicationData: appData };
    const m = await kinit();
    const peer = new GssPeer(m.env);
    try {
      let init = await peer.must({ op: 'init', role: 'initiate', target: 'HTTP@web.example.test', flags: ['mutual'], cb: b64(appData) });
      const ok = new KerberosAcceptor({ keytab: webKeytab, channelBindings: cb, strictChannelBindings: true });
      const s = await ok.step(unb64(init.token));
      assert.equal(s.done, true);
      init = await peer.must({ op: 'init', role: 'initiate', target: 'HTTP@web.example.test', flags: ['mutual'], cb: b64(Buffer.from('something else')) });
      const wrong = new KerberosAcceptor({ keytab: webKeytab, channelBindings: cb });
      await assert.rejects(wrong.step(unb64(init.token)), (e: unknown) => e instanceof SecurityError && e.code === SEC_E.BAD_BINDINGS);
      // No bindings from the initiator: fine unless strict.
      init = await peer.must({ op: 'init', role: 'initiate', target: 'HTTP@web.example.test', flags: ['mutual'] });
      assert.equal((await new KerberosAcceptor({ keytab: webKeytab, channelBindings: cb }).step(unb64(init.token))).done, true);
      init = await peer.must({ op: 'init', role: 'initiate', target: 'HTTP@web.example.test', flags: ['mutual'] });
      await assert.rejects(
        new KerberosAcceptor({ keytab: webKeytab, channelBindings: cb, strictChannelBindings: true }).step(unb64(init.token)),
        (e: unknown) => e instanceof SecurityError && e.code === SEC_E.BAD_BINDINGS,
      );
    } finally {
      await peer.close();
    }
    const ma = await acceptorEnv(webKeytab);
    const acc = new GssPeer(ma.env);
    try {
      await acc.must({ op: 'init', role: 'accept', cb: b64(appData) });
      const initiator = new KerberosInitiator({ target: 'HTTP/web.example.test', kdc: domain.kdc, tgt: await tgt(), channelBindings: cb });
      const r = await acc.must({ op: 'step', token: b64((await initiator.step()).output!) });
      assert.equal(r.complete, true);
      await acc.must({ op: 'init', role: 'accept', cb: b64(Buffer.from('something else')) });
      const i2 = new KerberosInitiator({ target: 'HTTP/web.example.test', kdc: domain.kdc, tgt: await tgt(), channelBindings: cb });
      const bad = await acc.call({ op: 'step', token: b64((await i2.step()).output!) });
      assert.equal(bad.ok, false);
    } finally {
      await acc.close();
    }
  });

  for (const svc of ['web', 'legacy'] as const) {
    test(`DCE style (MS-KILE 3.4.5.1) with the ${svc} service: MIT initiator -> our acceptor, three legs`, async () => {
      const m = await kinit();
      const peer = new GssPeer(m.env);
      try {
        const init = await peer.must({ op: 'init', role: 'initiate', target: `HTTP@${svc}.example.test`, flags: ['mutual', 'dce', 'sequence', 'conf', 'integ'] });
        const acceptor = new KerberosAcceptor({ keytab: svc === 'web' ? webKeytab : legacyKeytab });
        const s1 = await acceptor.step(unb64(init.token));
        assert.equal(s1.done, false);
        assert.equal(s1.output![0], 0x6f, 'a bare AP-REP');
        const r = await peer.must({ op: 'step', token: b64(s1.output!) });
        assert.equal(r.complete, true);
        assert.ok(r.flags!.includes('dce'));
        const s2 = await acceptor.step(unb64(r.token));
        assert.equal(s2.done, true);
        assert.equal(acceptor.flags.dceStyle, true);
        const sk = await peer.must({ op: 'sessionkey' });
        assert.deepEqual(unb64(sk.key), acceptor.sessionKey);
        // First: exchangeMessages ends with tokens the other side refuses (sequence gaps).
        await exchangeIov(acceptor, peer);
        await exchangeMessages(acceptor, peer);
      } finally {
        await peer.close();
      }
    });

    test(`DCE style with the ${svc} service: our initiator -> MIT acceptor, three legs`, async () => {
      const m = await acceptorEnv(svc === 'web' ? webKeytab : legacyKeytab);
      const peer = new GssPeer(m.env);
      try {
        await peer.must({ op: 'init', role: 'accept' });
        const initiator = new KerberosInitiator({ target: `HTTP/${svc}.example.test`, kdc: domain.kdc, tgt: await tgt(), dceStyle: true });
        const s1 = await initiator.step();
        assert.equal(s1.output![0], 0x6e, 'a bare AP-REQ');
        const r = await peer.must({ op: 'step', token: b64(s1.output!) });
        assert.equal(r.complete, false);
        const s2 = await initiator.step(unb64(r.token));
        assert.equal(s2.done, true);
        const r2 = await peer.must({ op: 'step', token: b64(s2.output!) });
        assert.equal(r2.complete, true);
        const sk = await peer.must({ op: 'sessionkey' });
        assert.deepEqual(unb64(sk.key), initiator.sessionKey);
        // First: exchangeMessages ends with tokens the other side refuses (sequence gaps).
        await exchangeIov(initiator, peer);
        await exchangeMessages(initiator, peer);
      } finally {
        await peer.close();
      }
    });
  }

  test('rc4-hmac session key (RFC 4757 tokens): MIT initiator -> our acceptor', async () => {
    // A client that permits rc4-hmac only, for a service whose account allows only RC4.
    const m = await kinit('bob', BOB_PW, '    permitted_enctypes = rc4-hmac\n    default_tkt_enctypes = rc4-hmac\n    default_tgs_enctypes = rc4-hmac\n');
    const peer = new GssPeer(m.env);
    try {
      const init = await peer.must({ op: 'init', role: 'initiate', target: 'HTTP@legacy.example.test', flags: ['mutual', 'replay', 'sequence', 'conf', 'integ'] });
      const acceptor = new KerberosAcceptor({ keytab: legacyKeytab });
      const s = await acceptor.step(unb64(init.token));
      const fin = await peer.must({ op: 'step', token: b64(s.output!) });
      assert.equal(fin.complete, true);
      assert.equal(acceptor.peer!.userName, 'bob');
      const sk = await peer.must({ op: 'sessionkey' });
      assert.deepEqual(unb64(sk.key), acceptor.sessionKey);
      assert.equal(acceptor.sessionKey!.length, 16);
      // The RFC 4757 token has TOK_ID 01 01 inside the RFC 2743 framing.
      const mic = unb64((await peer.must({ op: 'mic', data: b64(Buffer.from('x')) })).token);
      assert.equal(mic[0], 0x60);
      assert.ok(mic.includes(Buffer.from([0x01, 0x01, 0x11, 0x00])));
      acceptor.verify(Buffer.from('x'), mic);
      await exchangeMessages(acceptor, peer);
    } finally {
      await peer.close();
    }
  });

  test('rc4-hmac session key: our initiator -> MIT acceptor', async () => {
    const m = await acceptorEnv(legacyKeytab);
    const peer = new GssPeer(m.env);
    try {
      await peer.must({ op: 'init', role: 'accept' });
      const initiator = new KerberosInitiator({ target: 'HTTP/legacy.example.test', kdc: domain.kdc, tgt: await tgt() });
      const s1 = await initiator.step();
      assert.equal(initiator.serviceTicket!.sessionKey.etype, 23);
      const r = await peer.must({ op: 'step', token: b64(s1.output!) });
      assert.equal(r.complete, true);
      await initiator.step(unb64(r.token));
      const sk = await peer.must({ op: 'sessionkey' });
      assert.deepEqual(unb64(sk.key), initiator.sessionKey);
      await exchangeMessages(initiator, peer);
    } finally {
      await peer.close();
    }
  });
});
