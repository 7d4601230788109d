// KerberosInitiator against our KDC and acceptor: tickets from the KDC, delegation, failures
// of the KDC exchanges and of mutual authentication as SecurityError.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { exportKeytab } from '../../../src/cli/keytab.js';
import { startDomain, type RunningDomain } from '../../../src/dc/domain.js';
import { getInitialCredentials } from '../../../src/kerberos/client/as-client.js';
import { decodeKrb5Token, encodeKrb5Token, KerberosAcceptor, KerberosInitiator, TOK_ID } from '../../../src/kerberos/gss/index.js';
import { decodeApRep, encodeApRep, KDC_ERR } from '../../../src/kerberos/messages/index.js';
import { SEC_E, SecurityError, type DomainAuthority } from '../../../src/security/types.js';
import { checksumProfile, checksumTypeForEnctype } from '../../../src/crypto/registry.js';
import { KEY_USAGE } from '../../../src/crypto/types.js';

const PW = 'Dana-Passw0rd!';

function isSec(code: number, krbError?: number) {
  return (e: unknown) => {
    assert.ok(e instanceof SecurityError, `expected a SecurityError, got ${String(e)}`);
    assert.equal(e.code, code, `code 0x${e.code.toString(16)}: ${e.message}`);
    if (krbError !== undefined) assert.equal(e.details.krbError, krbError);
    return true;
  };
}

describe('KerberosInitiator with our KDC and acceptor', () => {
  let domain: RunningDomain;
  let keytab: Buffer;
  let authority: DomainAuthority;

  before(async () => {
    domain = await startDomain({
      users: [{ name: 'dana', password: PW }],
      services: [{ computer: 'app', spns: ['HTTP/app.example.test'] }],
    });
    keytab = await exportKeytab(domain.directory, 'HTTP/app.example.test');
    // MS-APDS 3.2 answered from the directory's krbtgt keys.
    authority = {
      validateNtlm: () => Promise.reject(new Error('not used')),
      verifyPacKdcSignature: async (serverChecksum, type, sig) => {
        const krbtgt = await domain.directory.getKrbtgt();
        return krbtgt.secrets.current.keys.some((k) => {
          const t = checksumTypeForEnctype(k.etype);
          return t === type && checksumProfile(t).verify(k.value, KEY_USAGE.KERB_NON_KERB_CKSUM_SALT, serverChecksum, sig);
        });
      },
    };
  });
  after(async () => {
    await domain?.stop();
  });

  test('password logon, service ticket, AP exchange, KDC signature verified by the authority', async () => {
    const i = new KerberosInitiator({ target: 'HTTP/app.example.test', kdc: domain.kdc, realm: domain.realm, user: 'dana', password: PW });
    const a = new KerberosAcceptor({ keytab, authority });
    const s1 = await i.step();
    const s2 = await a.step(s1.output);
    const s3 = await i.step(s2.output);
    assert.ok(s3.done && a.done && i.done);
    assert.equal(a.peer!.userSid, (await domain.directory.getAccount('dana')).sid);
    assert.equal(a.pacStatus, 'verified');
    assert.equal(i.peerName, 'HTTP/app.example.test@EXAMPLE.TEST');
    assert.equal(i.peer, undefined);
    assert.deepEqual(i.sessionKey, a.sessionKey);
    assert.throws(() => i.verify(Buffer.from('x'), Buffer.alloc(0)), isSec(SEC_E.INVALID_TOKEN));
    await assert.rejects(i.step(s2.output), isSec(SEC_E.INVALID_HANDLE));
  });

  test('delegation between our own ends: the acceptor gets a usable forwarded TGT', async () => {
    const tgt = await getInitialCredentials({ kdc: domain.kdc, realm: domain.realm, user: 'dana', password: PW });
    const i = new KerberosInitiator({ target: 'HTTP/app.example.test', kdc: domain.kdc, tgt, delegate: true });
    const a = new KerberosAcceptor({ keytab });
    await i.step(await a.step((await i.step()).output).then((s) => s.output));
    assert.equal(a.flags.delegate, true);
    const fwd = a.delegatedCredential!;
    assert.ok(fwd.info.flags & (0x80000000 >>> 2), 'FORWARDED flag');
    const onward = new KerberosInitiator({ target: 'HOST/app.example.test', kdc: domain.kdc, tgt: fwd });
    const b = new KerberosAcceptor({ keytab });
    await onward.step((await b.step((await onward.step()).output)).output);
    assert.equal(b.peerName, 'dana@EXAMPLE.TEST');
  });

  test('KDC failures: unknown target, wrong password, unreachable KDC', async () => {
    await assert.rejects(
      new KerberosInitiator({ target: 'HTTP/nowhere.example.test', kdc: domain.kdc, realm: domain.realm, user: 'dana', password: PW }).step(),
      isSec(SEC_E.TARGET_UNKNOWN, KDC_ERR.S_PRINCIPAL_UNKNOWN),
    );
    await assert.rejects(
      new KerberosInitiator({ target: 'HTTP/app.example.test', kdc: domain.kdc, realm: domain.realm, user: 'dana', password: 'wrong' }).step(),
      isSec(SEC_E.LOGON_DENIED),
    );
    await assert.rejects(
      new KerberosInitiator({ target: 'HTTP/app.example.test', kdc: { host: '127.0.0.1', port: 1 }, realm: domain.realm, user: 'dana', password: PW }).step(),
      isSec(SEC_E.NO_AUTHENTICATING_AUTHORITY),
    );
    assert.throws(() => new KerberosInitiator({ target: 'HTTP/app.example.test', realm: domain.realm }), isSec(SEC_E.NO_AUTHENTICATING_AUTHORITY));
    assert.throws(() => new KerberosInitiator({ target: 'HTTP/app.example.test', kdc: domain.kdc }), isSec(SEC_E.NO_CREDENTIALS));
  });

  test('mutual authentication failures: a tampered AP-REP, a KRB-ERROR from the acceptor', async () => {
    const tgt = await getInitialCredentials({ kdc: domain.kdc, realm: domain.realm, user: 'dana', password: PW });
    const i = new KerberosInitiator({ target: 'HTTP/app.example.test', kdc: domain.kdc, tgt });
    const a = new KerberosAcceptor({ keytab });
    const rep = decodeKrb5Token((await a.step((await i.step()).output)).output!);
    const ap = decodeApRep(rep.inner);
    ap.encPart.cipher[ap.encPart.cipher.length - 1] ^= 1;
    await assert.rejects(i.step(encodeKrb5Token(TOK_ID.AP_REP, encodeApRep(ap))), isSec(SEC_E.LOGON_DENIED, KDC_ERR.KRB_AP_ERR_MUT_FAIL));

    // The acceptor holds the wrong key: its KRB-ERROR token reaches the initiator as a SecurityError.
    const j = new KerberosInitiator({ target: 'HTTP/app.example.test', kdc: domain.kdc, tgt });
    const wrong = new KerberosAcceptor({ keys: [{ key: { etype: 18, value: Buffer.alloc(32, 1) } }] });
    await assert.rejects(wrong.step((await j.step()).output), isSec(SEC_E.WRONG_PRINCIPAL));
    await assert.rejects(j.step(wrong.errorToken!), isSec(SEC_E.WRONG_PRINCIPAL, KDC_ERR.KRB_AP_ERR_BAD_INTEGRITY));
  });
});
