// KerberosAcceptor checks (RFC 4120 3.2.3, RFC 4121 4.1, MS-KILE 3.4.5, MS-PAC 2.8) with
// hand-made tickets: keys and versions, clock skew, ticket times, replays, addresses, names,
// the PAC and its signatures, framing variants, DCE style.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { checksumProfile, checksumTypeForEnctype } from '../../../src/crypto/registry.js';
import { KEY_USAGE, type Key } from '../../../src/crypto/types.js';
import { ReplayCache } from '../../../src/kerberos/kdc/replay-cache.js';
import { encodeKeytab } from '../../../src/kerberos/keytab.js';
import {
  decodeKrb5Token,
  encodeKrb5Token,
  KerberosAcceptor,
  KerberosInitiator,
  MS_KRB5_MECH_OID,
  TOK_ID,
  type KerberosAcceptorOptions,
  type KerberosInitiatorOptions,
} from '../../../src/kerberos/gss/index.js';
import { decodeApReq, decodeKrbError, encodeApReq, FLAG_BIT, flagMask, KDC_ERR } from '../../../src/kerberos/messages/index.js';
import { SEC_E, SecurityError, type DomainAuthority } from '../../../src/security/types.js';
import { CNAME, DOMAIN_SID, key, makeTicket, type TicketSpec } from './fixtures/tickets.js';

function isSec(code: number, krbError?: number) {
  return (e: unknown) => {
    assert.ok(e instanceof SecurityError, `expected a SecurityError, got ${String(e)}`);
    assert.equal(e.code, code, `SEC_E code 0x${e.code.toString(16)}: ${e.message}`);
    if (krbError !== undefined) assert.equal(e.details.krbError, krbError, e.message);
    return true;
  };
}

async function apReq(spec: TicketSpec, init: Partial<KerberosInitiatorOptions> = {}): Promise<{ token: Buffer; initiator: KerberosInitiator; kdcKey: Key }> {
  const t = makeTicket(spec);
  const initiator = new KerberosInitiator({ target: 'HTTP/web.example.test', serviceTicket: t.credential, ...init });
  const s = await initiator.step();
  return { token: s.output!, initiator, kdcKey: t.kdcKey };
}

function acceptor(serviceKey: Key, o: Partial<KerberosAcceptorOptions> = {}, kvno = 3): KerberosAcceptor {
  return new KerberosAcceptor({ keys: [{ principal: 'HTTP/web.example.test@EXAMPLE.TEST', kvno, key: serviceKey }], ...o });
}

describe('KerberosAcceptor', () => {
  for (const etype of [17, 18, 19, 20, 23]) {
    test(`a good AP-REQ with an enctype ${etype} ticket: token from the PAC, AP-REP, same context key`, async () => {
      const sk = key(etype);
      const { token, initiator } = await apReq({ serviceKey: sk });
      const a = acceptor(sk);
      const s = await a.step(token);
      assert.equal(s.done, true);
      assert.equal(decodeKrb5Token(s.output!).tokId, TOK_ID.AP_REP);
      await initiator.step(s.output);
      assert.deepEqual(a.sessionKey, initiator.sessionKey);
      assert.equal(a.pacStatus, 'verified');
      assert.equal(a.peerName, 'carol@EXAMPLE.TEST');
      const p = a.peer!;
      assert.equal(p.userSid, `${DOMAIN_SID}-1107`);
      assert.equal(p.primaryGroupSid, `${DOMAIN_SID}-513`);
      assert.ok(p.groups.some((g) => g.sid === `${DOMAIN_SID}-1201`));
      assert.equal(p.upn, 'carol@example.test');
      assert.equal(p.authPackage, 'Kerberos');
      assert.equal(p.logonType, 'network');
      assert.deepEqual(p.sessionKey, a.sessionKey);
      const m = Buffer.from('ping');
      assert.deepEqual(a.unseal(initiator.seal(m)), m);
      initiator.verify(m, a.sign(m));
    });
  }

  test('keys from a keytab (bytes and path); an unreadable keytab is SEC_E_NO_CREDENTIALS', async () => {
    const sk = key(18);
    const kt = encodeKeytab([{ principal: { realm: 'EXAMPLE.TEST', components: ['HTTP', 'web.example.test'], nameType: 1 }, timestamp: 0, kvno: 3, key: sk }]);
    assert.equal((await new KerberosAcceptor({ keytab: kt }).step((await apReq({ serviceKey: sk })).token)).done, true);
    const dir = await mkdtemp(join(tmpdir(), 'authso-gss-'));
    try {
      const path = join(dir, 'kt');
      await writeFile(path, kt);
      assert.equal((await new KerberosAcceptor({ keytab: path }).step((await apReq({ serviceKey: sk })).token)).done, true);
      await assert.rejects(new KerberosAcceptor({ keytab: join(dir, 'missing') }).step((await apReq({ serviceKey: sk })).token), isSec(SEC_E.NO_CREDENTIALS));
      await assert.rejects(new KerberosAcceptor({ keytab: Buffer.from('junk') }).step((await apReq({ serviceKey: sk })).token), isSec(SEC_E.NO_CREDENTIALS));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('wrong key version: KRB_AP_ERR_BADKEYVER; no key of the enctype: KRB_AP_ERR_NOKEY; wrong key: KRB_AP_ERR_BAD_INTEGRITY', async () => {
    const sk = key(18);
    await assert.rejects(acceptor(sk, {}, 4).step((await apReq({ serviceKey: sk })).token), isSec(SEC_E.WRONG_PRINCIPAL, KDC_ERR.KRB_AP_ERR_BADKEYVER));
    await assert.rejects(acceptor(key(17)).step((await apReq({ serviceKey: sk })).token), isSec(SEC_E.WRONG_PRINCIPAL, KDC_ERR.KRB_AP_ERR_NOKEY));
    const a = acceptor(key(18));
    await assert.rejects(a.step((await apReq({ serviceKey: sk })).token), isSec(SEC_E.WRONG_PRINCIPAL, KDC_ERR.KRB_AP_ERR_BAD_INTEGRITY));
    // The failed step leaves a KRB-ERROR token for the initiator (RFC 4121 4.1, TOK_ID 03 00).
    const err = decodeKrb5Token(a.errorToken!);
    assert.equal(err.tokId, TOK_ID.KRB_ERROR);
    assert.equal(decodeKrbError(err.inner).errorCode, KDC_ERR.KRB_AP_ERR_BAD_INTEGRITY);
    // A key without a kvno matches any version; a ticket for another principal is refused when one is named.
    assert.equal((await new KerberosAcceptor({ keys: [{ key: sk }] }).step((await apReq({ serviceKey: sk })).token)).done, true);
    await assert.rejects(
      new KerberosAcceptor({ keys: [{ key: sk }], servicePrincipal: 'HOST/web.example.test' }).step((await apReq({ serviceKey: sk })).token),
      isSec(SEC_E.WRONG_PRINCIPAL, KDC_ERR.KRB_AP_ERR_NOT_US),
    );
  });

  test('clock skew: SEC_E_TIME_SKEW outside the window (default 5 minutes), configurable, error token sent', async () => {
    const sk = key(18);
    const late = Date.now() - 6 * 60_000;
    const a = acceptor(sk);
    await assert.rejects(a.step((await apReq({ serviceKey: sk }, { now: () => late })).token), isSec(SEC_E.TIME_SKEW, KDC_ERR.KRB_AP_ERR_SKEW));
    assert.equal(decodeKrbError(decodeKrb5Token(a.errorToken!).inner).errorCode, KDC_ERR.KRB_AP_ERR_SKEW);
    const early = Date.now() + 6 * 60_000;
    await assert.rejects(acceptor(sk).step((await apReq({ serviceKey: sk }, { now: () => early })).token), isSec(SEC_E.TIME_SKEW));
    assert.equal((await acceptor(sk, { clockSkewSec: 600 }).step((await apReq({ serviceKey: sk }, { now: () => late })).token)).done, true);
  });

  test('ticket times: expired, not yet valid, invalid flag', async () => {
    const sk = key(18);
    const now = Date.now();
    await assert.rejects(
      acceptor(sk).step((await apReq({ serviceKey: sk, authtime: new Date(now - 11 * 3600_000), endtime: new Date(now - 3600_000) })).token),
      isSec(SEC_E.CONTEXT_EXPIRED, KDC_ERR.KRB_AP_ERR_TKT_EXPIRED),
    );
    await assert.rejects(
      acceptor(sk).step((await apReq({ serviceKey: sk, starttime: new Date(now + 3600_000) })).token),
      isSec(SEC_E.LOGON_DENIED, KDC_ERR.KRB_AP_ERR_TKT_NYV),
    );
    await assert.rejects(
      acceptor(sk).step((await apReq({ serviceKey: sk, flags: flagMask(FLAG_BIT.INVALID) })).token),
      isSec(SEC_E.LOGON_DENIED, KDC_ERR.KRB_AP_ERR_TKT_NYV),
    );
  });

  test('a replayed AP-REQ is refused (KRB_AP_ERR_REPEAT), by any acceptor sharing the cache', async () => {
    const sk = key(18);
    const { token } = await apReq({ serviceKey: sk });
    assert.equal((await acceptor(sk).step(token)).done, true);
    await assert.rejects(acceptor(sk).step(token), isSec(SEC_E.LOGON_DENIED, KDC_ERR.KRB_AP_ERR_REPEAT));
    const own = new ReplayCache(600_000);
    const t2 = (await apReq({ serviceKey: sk })).token;
    assert.equal((await acceptor(sk, { replayCache: own }).step(t2)).done, true);
    await assert.rejects(acceptor(sk, { replayCache: own }).step(t2), isSec(SEC_E.LOGON_DENIED, KDC_ERR.KRB_AP_ERR_REPEAT));
  });

  test('a replay with the clear-text sname changed is still a replay', async () => {
    const sk = key(18);
    const { token } = await apReq({ serviceKey: sk });
    assert.equal((await acceptor(sk).step(token)).done, true);
    const ap = decodeApReq(decodeKrb5Token(token).inner);
    ap.ticket.sname = { nameType: 2, nameString: ['HOST', 'web.example.test'] };
    const altered = encodeKrb5Token(TOK_ID.AP_REQ, encodeApReq(ap));
    await assert.rejects(new KerberosAcceptor({ keys: [{ key: sk }] }).step(altered), isSec(SEC_E.LOGON_DENIED, KDC_ERR.KRB_AP_ERR_REPEAT));
  });

  test('the context expires with the ticket (SEC_E_CONTEXT_EXPIRED)', async () => {
    const sk = key(18);
    let clock = Date.now();
    const now = () => clock;
    const authtime = new Date(Math.floor(clock / 1000) * 1000);
    const { token, initiator } = await apReq({ serviceKey: sk, authtime, endtime: new Date(authtime.getTime() + 3600_000) }, { now });
    const a = acceptor(sk, { now });
    await initiator.step((await a.step(token)).output);
    assert.equal(a.expiresAt!.getTime(), authtime.getTime() + 3600_000);
    a.verify(Buffer.from('m'), initiator.sign(Buffer.from('m')));
    clock += 2 * 3600_000;
    assert.throws(() => a.seal(Buffer.from('m')), isSec(SEC_E.CONTEXT_EXPIRED));
    assert.throws(() => initiator.seal(Buffer.from('m')), isSec(SEC_E.CONTEXT_EXPIRED));
  });

  test('authenticator client must be the ticket client (KRB_AP_ERR_BADMATCH)', async () => {
    const sk = key(18);
    const { token } = await apReq({ serviceKey: sk, cname: { ...CNAME, nameString: ['mallory'] } });
    await assert.rejects(acceptor(sk).step(token), isSec(SEC_E.LOGON_DENIED, KDC_ERR.KRB_AP_ERR_BADMATCH));
  });

  test('ticket addresses are checked when the caller gives the peer address', async () => {
    const sk = key(18);
    const addr = { addrType: 2, address: Buffer.from([10, 0, 0, 1]) };
    const other = { addrType: 2, address: Buffer.from([10, 0, 0, 2]) };
    assert.equal((await acceptor(sk, { remoteAddress: addr }).step((await apReq({ serviceKey: sk, caddr: [addr] })).token)).done, true);
    await assert.rejects(
      acceptor(sk, { remoteAddress: other }).step((await apReq({ serviceKey: sk, caddr: [addr] })).token),
      isSec(SEC_E.LOGON_DENIED, KDC_ERR.KRB_AP_ERR_BADADDR),
    );
    // Addressless tickets are good anywhere.
    assert.equal((await acceptor(sk, { remoteAddress: other }).step((await apReq({ serviceKey: sk })).token)).done, true);
  });

  test('PAC: a bad server signature fails the logon; no PAC gives a minimal token (or a refusal with requirePac)', async () => {
    const sk = key(18);
    await assert.rejects(
      acceptor(sk).step((await apReq({ serviceKey: sk, pacServerKey: key(18) })).token),
      isSec(SEC_E.LOGON_DENIED, KDC_ERR.KRB_AP_ERR_MODIFIED),
    );
    const a = acceptor(sk);
    assert.equal((await a.step((await apReq({ serviceKey: sk, pac: 'none' })).token)).done, true);
    assert.equal(a.pacStatus, 'absent');
    assert.equal(a.peer!.userSid, '');
    assert.deepEqual(a.peer!.groups, []);
    assert.equal(a.peer!.userName, 'carol');
    assert.equal(a.peer!.domainName, 'EXAMPLE.TEST');
    assert.ok(a.peer!.sessionKey);
    await assert.rejects(
      acceptor(sk, { requirePac: true }).step((await apReq({ serviceKey: sk, pac: 'none' })).token),
      isSec(SEC_E.LOGON_DENIED, KDC_ERR.KRB_AP_ERR_MODIFIED),
    );
  });

  test('PAC: a LOGON_INFO that does not decode does not break a valid logon; a foreign CLIENT_INFO does', async () => {
    const sk = key(18);
    const a = acceptor(sk);
    assert.equal((await a.step((await apReq({ serviceKey: sk, pac: 'garbage-logon-info' })).token)).done, true);
    assert.equal(a.pacStatus, 'undecodable');
    assert.equal(a.peer!.userName, 'carol');
    assert.equal(a.peer!.userSid, '');
    await assert.rejects(
      acceptor(sk).step((await apReq({ serviceKey: sk, pac: 'wrong-client-info' })).token),
      isSec(SEC_E.LOGON_DENIED, KDC_ERR.KRB_AP_ERR_MODIFIED),
    );
  });

  test('PAC KDC signature through the DomainAuthority (MS-APDS 3.2)', async () => {
    const sk = key(18);
    const kdcKey = key(18);
    const calls: number[] = [];
    const authority = (answer: boolean | 'throw'): DomainAuthority => ({
      validateNtlm: () => Promise.reject(new Error('not used')),
      verifyPacKdcSignature: async (serverChecksum, type, sig) => {
        calls.push(type);
        if (answer === 'throw') throw new Error('netlogon down');
        const p = checksumProfile(checksumTypeForEnctype(kdcKey.etype));
        return answer && type === p.cksumtype && p.verify(kdcKey.value, KEY_USAGE.KERB_NON_KERB_CKSUM_SALT, serverChecksum, sig);
      },
    });
    assert.equal((await acceptor(sk, { authority: authority(true) }).step((await apReq({ serviceKey: sk, kdcKey })).token)).done, true);
    assert.deepEqual(calls, [16]);
    // Signed by another krbtgt key: the domain says no.
    await assert.rejects(
      acceptor(sk, { authority: authority(true) }).step((await apReq({ serviceKey: sk, kdcKey: key(18) })).token),
      isSec(SEC_E.LOGON_DENIED, KDC_ERR.KRB_AP_ERR_MODIFIED),
    );
    await assert.rejects(acceptor(sk, { authority: authority('throw') }).step((await apReq({ serviceKey: sk, kdcKey })).token), isSec(SEC_E.NO_AUTHENTICATING_AUTHORITY));
    // verifyKdcSignature: false skips the call.
    calls.length = 0;
    assert.equal((await acceptor(sk, { authority: authority(false), verifyKdcSignature: false }).step((await apReq({ serviceKey: sk })).token)).done, true);
    assert.deepEqual(calls, []);
  });

  test('framing: the Microsoft OID is accepted and answered in kind; a bare AP-REQ too', async () => {
    const sk = key(18);
    const { token, initiator } = await apReq({ serviceKey: sk }, { mech: MS_KRB5_MECH_OID });
    const a = acceptor(sk);
    const s = await a.step(token);
    assert.equal(decodeKrb5Token(s.output!).mech, MS_KRB5_MECH_OID);
    await initiator.step(s.output);
    assert.equal(initiator.done, true);
    const bare = decodeKrb5Token((await apReq({ serviceKey: sk })).token).inner;
    const b = acceptor(sk);
    const s2 = await b.step(bare);
    assert.equal(s2.output![0], 0x6f, 'a bare AP-REQ gets a bare AP-REP');
  });

  test('DCE style (MS-KILE 3.4.5.1), AES and rc4-hmac: three legs, then messages', async () => {
    for (const etype of [18, 23]) {
      const sk = key(etype);
      const { token, initiator } = await apReq({ serviceKey: sk }, { dceStyle: true });
      assert.equal(token[0], 0x6e);
      const a = acceptor(sk);
      const s1 = await a.step(token);
      assert.equal(s1.done, false);
      assert.throws(() => a.sign(Buffer.from('x')), isSec(SEC_E.INVALID_HANDLE));
      const s2 = await initiator.step(s1.output);
      assert.equal(s2.done, true);
      const s3 = await a.step(s2.output);
      assert.equal(s3.done, true);
      assert.equal(a.flags.dceStyle, true);
      assert.deepEqual(a.sessionKey, initiator.sessionKey);
      const m = Buffer.from('rpc stub data');
      assert.deepEqual(a.unwrap(initiator.wrap(m, true)).message, m);
      assert.deepEqual(initiator.unwrap(a.wrap(m, false)).message, m);
    }
    // A third leg that does not echo our sequence number is refused.
    const sk = key(18);
    const { token } = await apReq({ serviceKey: sk }, { dceStyle: true });
    const a = acceptor(sk);
    const other = await apReq({ serviceKey: sk }, { dceStyle: true });
    await a.step(token);
    const b = acceptor(sk);
    const s1 = await b.step(other.token);
    const wrongLeg = (await other.initiator.step(s1.output)).output!;
    await assert.rejects(a.step(wrongLeg), (e: unknown) => e instanceof SecurityError);
  });

  test('misuse: per-message calls before the context is up, a second AP-REQ, an empty token', async () => {
    const sk = key(18);
    const a = acceptor(sk);
    assert.throws(() => a.seal(Buffer.from('x')), isSec(SEC_E.INVALID_HANDLE));
    await assert.rejects(a.step(Buffer.alloc(0)), isSec(SEC_E.INVALID_TOKEN));
    await a.step((await apReq({ serviceKey: sk })).token);
    await assert.rejects(a.step((await apReq({ serviceKey: sk })).token), isSec(SEC_E.INVALID_HANDLE));
    assert.throws(() => new KerberosAcceptor({}), isSec(SEC_E.NO_CREDENTIALS));
  });
});
