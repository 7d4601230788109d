// NtlmInitiator ↔ NtlmAcceptor in one process, validated by the DC's DirectoryAuthority over a
// real (SQLite) directory: the token, session security, and every refusal the acceptor owes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { STATUS_LOGON_FAILURE, STATUS_WRONG_PASSWORD } from '../../src/directory/ntstatus.js';
import { dateToFileTime } from '../../src/pac/filetime.js';
import {
  AV_FLAG,
  AV_ID,
  channelBindingsHash,
  decodeAuthenticate,
  decodeChallenge,
  decodeNtlmv2Response,
  desl,
  encodeAuthenticate,
  encodeAvPairs,
  encodeNegotiate,
  encodeNtlmv2ClientChallenge,
  ntlmv1EssResponse,
  NtlmSessionSecurity,
  NTLMSSP,
  ntowfV1,
  rc4k,
  kxkey,
  sessionBaseKeyV1,
} from '../../src/ntlm/index.js';
import { NTLM_AUTHENTICATION } from '../../src/security/logon-token.js';
import { SEC_E, SecurityError } from '../../src/security/types.js';
import { ALICE_PASSWORD, handshake, ntlmDomain, type NtlmDomain } from './fixtures/domain.js';

function isSecErr(code: number, ntstatus?: number) {
  return (e: unknown) => {
    assert.ok(e instanceof SecurityError, `expected SecurityError, got ${String(e)}`);
    assert.equal(e.code, code, `code 0x${e.code.toString(16)} (${e.message})`);
    if (ntstatus !== undefined) assert.equal(e.details.ntstatus, ntstatus, e.message);
    return true;
  };
}

/** The flags DWORD of each message (2.2.1.1-3). */
const FLAGS_AT = { negotiate: 12, challenge: 20, authenticate: 60 };
function withFlags(b: Buffer, at: number, f: (flags: number) => number): Buffer {
  const c = Buffer.from(b);
  c.writeUInt32LE(f(c.readUInt32LE(at)) >>> 0, at);
  return c;
}

let d: NtlmDomain;
before(async () => {
  d = await ntlmDomain();
});
after(async () => {
  await d?.cleanup();
});

describe('NTLMv2 logon with sign and seal', () => {
  test('the acceptor gets the DC token; both sides share the session key', async () => {
    const { initiator, acceptor } = await handshake(d.initiator({ sign: true, seal: true, targetName: 'HTTP/web.example.test' }), d.acceptor());
    assert.equal(acceptor.done, true);
    assert.equal(initiator.done, true);
    assert.ok(acceptor.sessionKey && initiator.sessionKey);
    assert.deepEqual(acceptor.sessionKey, initiator.sessionKey);
    const t = acceptor.peer!;
    const alice = await d.dir.getAccount('alice');
    const domain = await d.dir.getDomain();
    assert.equal(t.userSid, alice.sid);
    assert.equal(t.userName, 'alice');
    assert.equal(t.domainName, 'EXAMPLE');
    assert.equal(t.authPackage, 'NTLM');
    assert.equal(t.logonType, 'network');
    assert.equal(t.logonServer, 'DC1');
    assert.equal(t.upn, 'alice@corp.example');
    assert.deepEqual(t.sessionKey, acceptor.sessionKey);
    assert.equal(acceptor.peerName, 'EXAMPLE\\alice');
    const sids = t.groups.map((g) => g.sid);
    const sales = await d.dir.getGroup('Sales');
    const localRes = await d.dir.getGroup('LocalRes');
    for (const sid of [`${domain.sid}-513`, sales.sid, localRes.sid, 'S-1-5-32-545', 'S-1-1-0', 'S-1-5-11', 'S-1-5-2', NTLM_AUTHENTICATION]) {
      assert.ok(sids.includes(sid), `token lacks ${sid}`);
    }
    assert.ok(!sids.includes('S-1-18-1'), 'the Kerberos-only asserted-identity SID is not in an NTLM token');
    assert.deepEqual(
      { i: acceptor.flags.integrity, c: acceptor.flags.confidentiality, s: acceptor.flags.sequenceDetect, a: acceptor.flags.anonymous },
      { i: true, c: true, s: true, a: false },
    );
    assert.deepEqual(initiator.flags, acceptor.flags);
  });

  test('sign/verify and seal/unseal both ways, with sequence numbers enforced', async () => {
    const { initiator: c, acceptor: s } = await handshake(d.initiator({ seal: true }), d.acceptor());
    for (let i = 0; i < 3; i++) {
      const m = Buffer.from(`client message ${i}`);
      s.verify(m, c.sign(m));
      assert.deepEqual(s.unseal(c.seal(m)), m);
      const r = Buffer.from(`server reply ${i}`);
      c.verify(r, s.sign(r));
      assert.deepEqual(c.unseal(s.seal(r)), r);
    }
    const m = Buffer.from('once');
    const sig = c.sign(m);
    s.verify(m, sig);
    assert.throws(() => s.verify(m, sig), isSecErr(SEC_E.OUT_OF_SEQUENCE)); // replay
    const sig2 = c.sign(Buffer.from('twice'));
    assert.throws(() => s.verify(Buffer.from('twicE'), sig2), isSecErr(SEC_E.MESSAGE_ALTERED));
  });

  test('SPNEGO hooks: requiresMechListMic after a MIC; resetCryptoState restarts one RC4 direction, not the sequence', async () => {
    const { initiator: c, acceptor: s } = await handshake(d.initiator({ seal: true }), d.acceptor());
    assert.equal(c.requiresMechListMic, true);
    assert.equal(s.requiresMechListMic, true);
    // MS-SPNG 3.3.5.1: mechListMIC by the acceptor, then by the initiator, each followed by a reset.
    const mechList = Buffer.from('3018060a2b06010401823702020a', 'hex');
    const m1 = s.sign(mechList);
    s.resetCryptoState('outbound');
    c.verify(mechList, m1);
    c.resetCryptoState('inbound');
    const m2 = c.sign(mechList);
    c.resetCryptoState('outbound');
    s.verify(mechList, m2);
    s.resetCryptoState('inbound');
    // The application's first messages use sequence 1 and the restarted streams.
    const tok = c.seal(Buffer.from('first application message'));
    assert.equal(tok.readUInt32LE(12), 1);
    assert.deepEqual(s.unseal(tok), Buffer.from('first application message'));
    assert.deepEqual(c.unseal(s.seal(Buffer.from('reply'))), Buffer.from('reply'));
    // One side forgetting the reset desynchronises the streams.
    const { initiator: c2, acceptor: s2 } = await handshake(d.initiator({ seal: true }), d.acceptor());
    s2.verify(mechList, c2.sign(mechList));
    c2.resetCryptoState('outbound');
    assert.throws(() => s2.unseal(c2.seal(Buffer.from('x'))), isSecErr(SEC_E.MESSAGE_ALTERED));
  });

  test('a sealed message altered in transit is refused and its plaintext not returned', async () => {
    const { initiator: c, acceptor: s } = await handshake(d.initiator({ seal: true }), d.acceptor());
    const tok = c.seal(Buffer.from('pay 10 EUR to bob'));
    tok[tok.length - 1] ^= 1;
    assert.throws(() => s.unseal(tok), isSecErr(SEC_E.MESSAGE_ALTERED));
    assert.throws(() => s.unseal(Buffer.alloc(3)), isSecErr(SEC_E.INVALID_TOKEN));
  });

  test('sign-only contexts refuse seal; unsigned contexts refuse sign; unfinished contexts refuse both', async () => {
    const { initiator: c } = await handshake(d.initiator({ sign: true }), d.acceptor());
    assert.equal(c.flags.confidentiality, false);
    assert.throws(() => c.seal(Buffer.from('x')), isSecErr(SEC_E.UNSUPPORTED_FUNCTION));
    const { acceptor: s2 } = await handshake(d.initiator(), d.acceptor());
    assert.equal(s2.flags.integrity, false);
    assert.throws(() => s2.sign(Buffer.from('x')), isSecErr(SEC_E.UNSUPPORTED_FUNCTION));
    assert.throws(() => d.acceptor().sign(Buffer.from('x')), isSecErr(SEC_E.INVALID_HANDLE));
    await assert.rejects(s2.step(Buffer.from('again')), isSecErr(SEC_E.INVALID_HANDLE));
  });

  test('the domain may be the NetBIOS name, the DNS name or empty with a UPN', async () => {
    for (const o of [{ domain: 'example.test' }, { domain: 'EXAMPLE.TEST' }, { user: 'alice@corp.example', domain: '' }, { user: 'ALICE' }]) {
      const { acceptor } = await handshake(d.initiator(o), d.acceptor());
      assert.equal(acceptor.peer!.userName, 'alice', JSON.stringify(o));
    }
    await assert.rejects(handshake(d.initiator({ domain: 'OTHERDOM' }), d.acceptor()), isSecErr(SEC_E.LOGON_DENIED, STATUS_LOGON_FAILURE));
  });

  test('an NT hash works as the credential', async () => {
    const { acceptor } = await handshake(d.initiator({ password: undefined, ntHash: ntowfV1(ALICE_PASSWORD) }), d.acceptor());
    assert.equal(acceptor.peer!.userName, 'alice');
  });

  test('a computer account logs on (trust accounts allowed by default ParameterControl)', async () => {
    const { WEB_PASSWORD } = await import('./fixtures/domain.js');
    const { acceptor } = await handshake(d.initiator({ user: 'WEB$', password: WEB_PASSWORD }), d.acceptor());
    assert.equal(acceptor.peer!.userName, 'WEB$');
    await assert.rejects(
      handshake(d.initiator({ user: 'WEB$', password: WEB_PASSWORD }), d.acceptor({ parameterControl: 0 })),
      isSecErr(SEC_E.LOGON_DENIED, 0xc0000199),
    );
  });
});

describe('refusals', () => {
  test('wrong password: SEC_E_LOGON_DENIED with STATUS_WRONG_PASSWORD; unknown user: STATUS_LOGON_FAILURE', async () => {
    await assert.rejects(handshake(d.initiator({ password: 'nope-nope' }), d.acceptor()), isSecErr(SEC_E.LOGON_DENIED, STATUS_WRONG_PASSWORD));
    await assert.rejects(handshake(d.initiator({ user: 'mallory' }), d.acceptor()), isSecErr(SEC_E.LOGON_DENIED, STATUS_LOGON_FAILURE));
    await d.dir.unlockAccount('alice');
  });

  test('error messages carry no secret', async () => {
    const secret = 'Sup3r-Secret-Guess';
    try {
      await handshake(d.initiator({ password: secret }), d.acceptor());
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof SecurityError);
      assert.ok(!e.message.includes(secret) && !e.message.includes(ALICE_PASSWORD));
      assert.doesNotMatch(e.message, /[0-9a-f]{32}/i);
    }
    await d.dir.unlockAccount('alice');
  });

  test('anonymous: refused by default, ANONYMOUS LOGON (S-1-5-7) without session security when allowed', async () => {
    await assert.rejects(handshake(d.initiator({ user: '', password: undefined }), d.acceptor()), isSecErr(SEC_E.LOGON_DENIED));
    const { acceptor, initiator } = await handshake(d.initiator({ user: '', password: undefined, sign: true }), d.acceptor({ allowAnonymous: true }));
    assert.equal(acceptor.peer!.userSid, 'S-1-5-7');
    assert.equal(acceptor.peerName, 'NT AUTHORITY\\ANONYMOUS LOGON');
    assert.ok(!acceptor.peer!.groups.some((g) => g.sid === 'S-1-1-0' || g.sid === 'S-1-5-11'), 'not Everyone, not Authenticated Users');
    assert.equal(acceptor.flags.anonymous, true);
    assert.equal(acceptor.flags.integrity, false);
    assert.equal(acceptor.sessionKey, undefined);
    assert.throws(() => acceptor.sign(Buffer.from('x')), isSecErr(SEC_E.UNSUPPORTED_FUNCTION));
    assert.equal(initiator.flags.anonymous, true);
  });

  test('sign/seal without extended session security, or seal without 128-bit, is refused at NEGOTIATE', async () => {
    const base = NTLMSSP.NEGOTIATE_UNICODE | NTLMSSP.NEGOTIATE_NTLM | NTLMSSP.REQUEST_TARGET;
    await assert.rejects(
      d.acceptor().step(encodeNegotiate({ flags: base | NTLMSSP.NEGOTIATE_SIGN, domainName: '', workstation: '' })),
      isSecErr(SEC_E.UNSUPPORTED_FUNCTION),
    );
    await assert.rejects(
      d.acceptor().step(
        encodeNegotiate({ flags: base | NTLMSSP.NEGOTIATE_SEAL | NTLMSSP.NEGOTIATE_EXTENDED_SESSIONSECURITY, domainName: '', workstation: '' }),
      ),
      isSecErr(SEC_E.UNSUPPORTED_FUNCTION),
    );
  });
});

describe('MIC: drop-the-MIC and tampering (CVE-2019-1040)', () => {
  test('the initiator announces and sends a MIC when the server sends a timestamp', async () => {
    const i = d.initiator();
    const a = d.acceptor();
    const chal = await a.step((await i.step()).output!);
    const auth = decodeAuthenticate((await i.step(chal.output!)).output!);
    const v2 = decodeNtlmv2Response(auth.ntChallengeResponse);
    const flags = v2.clientChallenge.avPairs.find((p) => p.id === AV_ID.MsvAvFlags)!.value.readUInt32LE(0);
    assert.equal(flags & AV_FLAG.MIC_PRESENT, AV_FLAG.MIC_PRESENT);
    assert.ok(auth.mic && auth.mic.some((b) => b !== 0));
    assert.deepEqual(auth.lmChallengeResponse, Buffer.alloc(24), 'Z(24) LM response with a server timestamp');
  });

  const cases: Array<[string, (b: Buffer) => Buffer, number]> = [
    ['MIC zeroed', (b) => Buffer.concat([b.subarray(0, 72), Buffer.alloc(16), b.subarray(88)]), SEC_E.MESSAGE_ALTERED],
    ['MIC altered', (b) => { const c = Buffer.from(b); c[80] ^= 0x40; return c; }, SEC_E.MESSAGE_ALTERED],
    [
      'MIC removed (VERSION and MIC dropped, payload moved up)',
      (b) => {
        const m = decodeAuthenticate(b);
        return encodeAuthenticate({ ...m, flags: m.flags & ~NTLMSSP.NEGOTIATE_VERSION, version: undefined, mic: undefined });
      },
      SEC_E.MESSAGE_ALTERED,
    ],
    ['AUTHENTICATE flags altered (128-bit dropped under sealing)', (b) => withFlags(b, FLAGS_AT.authenticate, (f) => f & ~NTLMSSP.NEGOTIATE_128), SEC_E.UNSUPPORTED_FUNCTION],
    ['AUTHENTICATE flags altered (signing dropped)', (b) => withFlags(b, FLAGS_AT.authenticate, (f) => f & ~(NTLMSSP.NEGOTIATE_SIGN | NTLMSSP.NEGOTIATE_ALWAYS_SIGN)), SEC_E.MESSAGE_ALTERED],
  ];
  for (const [name, tamper, code] of cases) {
    test(`${name}: refused`, async () => {
      await assert.rejects(handshake(d.initiator({ seal: true }), d.acceptor(), { authenticate: tamper }), isSecErr(code));
    });
  }

  test('MsvAvFlags stripped from the NTLMv2 blob (to drop the MIC): the NTProofStr no longer verifies', async () => {
    const strip = (b: Buffer) => {
      const m = decodeAuthenticate(b);
      const v2 = decodeNtlmv2Response(m.ntChallengeResponse);
      const pairs = v2.clientChallenge.avPairs.filter((p) => p.id !== AV_ID.MsvAvFlags);
      const blob = encodeNtlmv2ClientChallenge(v2.clientChallenge.timestamp, v2.clientChallenge.challengeFromClient, encodeAvPairs(pairs));
      return encodeAuthenticate({ ...m, ntChallengeResponse: Buffer.concat([v2.ntProofStr, blob]), mic: undefined });
    };
    await assert.rejects(handshake(d.initiator(), d.acceptor(), { authenticate: strip }), isSecErr(SEC_E.LOGON_DENIED, STATUS_WRONG_PASSWORD));
    await d.dir.unlockAccount('alice');
  });

  test('NEGOTIATE flags downgraded in transit (signing stripped, re-added towards the client): refused', async () => {
    const SIGN = NTLMSSP.NEGOTIATE_SIGN | NTLMSSP.NEGOTIATE_ALWAYS_SIGN;
    await assert.rejects(
      handshake(d.initiator({ sign: true }), d.acceptor(), {
        negotiate: (b) => withFlags(b, FLAGS_AT.negotiate, (f) => f & ~SIGN),
        challenge: (b) => withFlags(b, FLAGS_AT.challenge, (f) => f | SIGN),
        authenticate: (b) => withFlags(b, FLAGS_AT.authenticate, (f) => f & ~SIGN),
      }),
      isSecErr(SEC_E.MESSAGE_ALTERED),
    );
  });

  test('CHALLENGE altered in transit (target info unchanged, flags changed): refused', async () => {
    await assert.rejects(
      handshake(d.initiator(), d.acceptor(), { challenge: (b) => withFlags(b, FLAGS_AT.challenge, (f) => f | NTLMSSP.NEGOTIATE_IDENTIFY) }),
      isSecErr(SEC_E.MESSAGE_ALTERED),
    );
  });
});

describe('channel bindings (Extended Protection)', () => {
  const cb = channelBindingsHash({ applicationData: Buffer.from('tls-server-end-point:0123456789abcdef0123456789abcdef') });
  const other = channelBindingsHash({ applicationData: Buffer.from('tls-server-end-point:ffffffffffffffffffffffffffffffff') });
  test('matching bindings pass; other bindings fail with SEC_E_BAD_BINDINGS', async () => {
    await handshake(d.initiator({ channelBindings: cb }), d.acceptor({ channelBindings: cb }));
    await assert.rejects(handshake(d.initiator({ channelBindings: other }), d.acceptor({ channelBindings: cb })), isSecErr(SEC_E.BAD_BINDINGS));
  });
  test('unbound (all-zero) clients fail unless the acceptor is lenient; wrong bindings fail even then', async () => {
    await assert.rejects(handshake(d.initiator(), d.acceptor({ channelBindings: cb })), isSecErr(SEC_E.BAD_BINDINGS));
    await handshake(d.initiator(), d.acceptor({ channelBindings: cb, channelBindingsLenient: true }));
    await assert.rejects(
      handshake(d.initiator({ channelBindings: other }), d.acceptor({ channelBindings: cb, channelBindingsLenient: true })),
      isSecErr(SEC_E.BAD_BINDINGS),
    );
  });
});

describe('NTLMv1', () => {
  /** An AUTHENTICATE with an NTLMv1 response to the acceptor's challenge (3.3.1). */
  async function v1Exchange(acceptorOpts: { allowNtlmV1?: boolean }, ess: boolean, password = ALICE_PASSWORD) {
    const acc = d.acceptor(acceptorOpts);
    let flags = NTLMSSP.NEGOTIATE_UNICODE | NTLMSSP.NEGOTIATE_NTLM | NTLMSSP.REQUEST_TARGET | NTLMSSP.NEGOTIATE_KEY_EXCH | NTLMSSP.NEGOTIATE_128;
    if (ess) flags |= NTLMSSP.NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLMSSP.NEGOTIATE_SIGN;
    const chal = decodeChallenge((await acc.step(encodeNegotiate({ flags, domainName: '', workstation: '' }))).output!);
    const nt = ntowfV1(password);
    const clientChallenge = Buffer.from('ccccdddd');
    const r = ess ? ntlmv1EssResponse(nt, chal.serverChallenge, clientChallenge) : { nt: desl(nt, chal.serverChallenge), lm: Buffer.alloc(24) };
    const negotiated = flags & chal.flags;
    const exported = Buffer.alloc(16, 0x42);
    const kx = kxkey(negotiated, sessionBaseKeyV1(nt), r.lm, chal.serverChallenge, false);
    const auth = encodeAuthenticate({
      flags: negotiated,
      lmChallengeResponse: r.lm,
      ntChallengeResponse: r.nt,
      domainName: 'EXAMPLE',
      userName: 'alice',
      workstation: 'OLDBOX',
      encryptedRandomSessionKey: rc4k(kx, exported),
    });
    await acc.step(auth);
    return { acc, negotiated, exported };
  }

  test('refused by default without counting a bad password', async () => {
    const before = (await d.dir.getAccount('alice')).badPwdCount;
    await assert.rejects(v1Exchange({}, true), isSecErr(SEC_E.LOGON_DENIED, STATUS_LOGON_FAILURE));
    await assert.rejects(v1Exchange({}, false), isSecErr(SEC_E.LOGON_DENIED, STATUS_LOGON_FAILURE));
    assert.equal((await d.dir.getAccount('alice')).badPwdCount, before);
  });

  test('an acceptor that allows it still needs a DC that allows it', async () => {
    await assert.rejects(v1Exchange({ allowNtlmV1: true }, true), isSecErr(SEC_E.LOGON_DENIED, STATUS_LOGON_FAILURE));
  });

  test('accepted when both allow it, with and without extended session security', async () => {
    const v1 = await ntlmDomain(undefined, { allowNtlmV1: true });
    try {
      const saved = d;
      d = v1;
      try {
        const { acc, negotiated, exported } = await v1Exchange({ allowNtlmV1: true }, true);
        assert.equal(acc.peer!.userName, 'alice');
        assert.deepEqual(acc.sessionKey, exported);
        const client = new NtlmSessionSecurity(negotiated, exported, 'client');
        const m = Buffer.from('signed with NTLM2 session security');
        acc.verify(m, client.sign(m));
        const plain = await v1Exchange({ allowNtlmV1: true }, false);
        assert.equal(plain.acc.peer!.userName, 'alice');
        await assert.rejects(v1Exchange({ allowNtlmV1: true }, false, 'Wrong-Passw0rd'), isSecErr(SEC_E.LOGON_DENIED, STATUS_WRONG_PASSWORD));
      } finally {
        d = saved;
      }
    } finally {
      await v1.cleanup();
    }
  });
});

describe('context state machine', () => {
  test('AUTHENTICATE before NEGOTIATE, empty tokens and an initiator fed first are refused as invalid tokens', async () => {
    const i = d.initiator();
    const a = d.acceptor();
    const chal = await a.step((await i.step()).output!);
    const auth = (await i.step(chal.output!)).output!;
    await assert.rejects(d.acceptor().step(auth), isSecErr(SEC_E.INVALID_TOKEN));
    await assert.rejects(d.acceptor().step(Buffer.alloc(0)), isSecErr(SEC_E.INVALID_TOKEN));
    await assert.rejects(d.acceptor().step(), isSecErr(SEC_E.INVALID_TOKEN));
    await assert.rejects(d.initiator().step(chal.output!), isSecErr(SEC_E.INVALID_TOKEN));
    // A failed context stays failed.
    const failed = d.acceptor();
    await assert.rejects(failed.step(Buffer.from('junk')), isSecErr(SEC_E.INVALID_TOKEN));
    await assert.rejects(failed.step(Buffer.from('junk')), isSecErr(SEC_E.INVALID_HANDLE));
  });

  test('the CHALLENGE carries the configured names, a fresh challenge and the current time', async () => {
    const now = new Date('2030-01-02T03:04:05Z');
    const a = d.acceptor({ now: () => now });
    const c1 = decodeChallenge((await a.step((await d.initiator().step()).output!)).output!);
    const c2 = decodeChallenge((await d.acceptor().step((await d.initiator().step()).output!)).output!);
    assert.notDeepEqual(c1.serverChallenge, c2.serverChallenge);
    assert.equal(c1.targetName, 'EXAMPLE');
    assert.equal(c1.flags & NTLMSSP.TARGET_TYPE_DOMAIN, NTLMSSP.TARGET_TYPE_DOMAIN);
    const { decodeAvPairs, targetInfoFromPairs } = await import('../../src/ntlm/messages.js');
    assert.deepEqual(targetInfoFromPairs(decodeAvPairs(c1.targetInfo)), {
      nbDomainName: 'EXAMPLE',
      nbComputerName: 'WEB',
      dnsDomainName: 'example.test',
      dnsComputerName: 'web.example.test',
      dnsTreeName: 'example.test',
      timestamp: dateToFileTime(now),
    });
  });
});
