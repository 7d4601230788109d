// Hostile input: random bytes, every truncation and bit flips of valid tokens, deep nesting and
// huge lengths, fed to the decoder (only SpnegoDecodeError may come out) and to both contexts in
// each of their states (only SecurityError may come out, quickly).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ETYPE } from '../../src/crypto/types.js';
import { KerberosAcceptor } from '../../src/kerberos/gss/index.js';
import { NtlmAcceptor } from '../../src/ntlm/index.js';
import { SEC_E, SecurityError, type DomainAuthority } from '../../src/security/types.js';
import {
  NEG_HINT_NAME,
  NegState,
  NegotiateAcceptor,
  NegotiateInitiator,
  OID,
  SpnegoDecodeError,
  decodeNegotiationToken,
  encodeNegTokenInit,
  encodeNegTokenInit2,
  encodeNegTokenResp,
  peekGssMechanism,
} from '../../src/spnego/index.js';
import { FakeMech, type FakeOptions } from './helpers.js';

// Per input. Anything algorithmic (quadratic re-parsing, runaway recursion) would be far slower;
// the margin absorbs GC pauses and CPU contention from peer processes in parallel test files.
const SLOW_MS = 1000;
const KRB: FakeOptions = { name: 'Kerberos', legs: 2 };
const NTLM: FakeOptions = { name: 'NTLM', legs: 3 };

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s + Math.imul(s ^ (s >>> 7), 0x297a2d39);
    return ((s ^ (s >>> 14)) >>> 0) / 2 ** 32;
  };
}

const valid: Buffer[] = [
  encodeNegTokenInit({ mechTypes: [OID.MS_KERBEROS, OID.KERBEROS, OID.NEGOEX, OID.NTLMSSP], mechToken: Buffer.from('Kerberos|0'), reqFlags: 0x60000000 }),
  encodeNegTokenInit({ mechTypes: [OID.NTLMSSP], mechToken: Buffer.from('NTLM|0'), mechListMIC: Buffer.alloc(16, 1) }, { wrap: false }),
  encodeNegTokenInit2({ mechTypes: [OID.MS_KERBEROS, OID.KERBEROS, OID.NTLMSSP], negHints: { hintName: NEG_HINT_NAME } }),
  encodeNegTokenResp({ negState: NegState.ACCEPT_INCOMPLETE, supportedMech: OID.NTLMSSP, responseToken: Buffer.from('NTLM|1') }),
  encodeNegTokenResp({ responseToken: Buffer.from('NTLM|2'), mechListMIC: Buffer.alloc(32, 2) }),
  encodeNegTokenResp({ negState: NegState.ACCEPT_COMPLETED }),
];

function mutations(seed: number): Buffer[] {
  const rnd = prng(seed);
  const out: Buffer[] = [];
  for (const v of valid) {
    for (let n = 0; n < v.length; n++) out.push(v.subarray(0, n));
    for (let k = 0; k < 150; k++) {
      const b = Buffer.from(v);
      const flips = 1 + Math.floor(rnd() * 3);
      for (let f = 0; f < flips; f++) b[Math.floor(rnd() * b.length)] ^= 1 << Math.floor(rnd() * 8);
      out.push(b);
    }
  }
  for (let k = 0; k < 1500; k++) {
    const n = Math.floor(rnd() * 64);
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
    // Bias towards plausible starts so the parser gets past the first byte.
    if (n > 0 && k % 3 === 0) b[0] = [0x60, 0xa0, 0xa1, 0x30][k % 4];
    out.push(b);
  }
  // Deep nesting, huge lengths, element floods.
  out.push(Buffer.concat([Buffer.alloc(200, 0xa0).map((x, i) => (i % 2 ? 0x80 : x)), Buffer.alloc(2)]));
  const deep: number[] = [];
  for (let i = 0; i < 100; i++) deep.push(0xa0, 0x84, 0x7f, 0xff, 0xff, 0xff);
  out.push(Buffer.from(deep));
  out.push(Buffer.from([0x60, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  out.push(Buffer.concat([Buffer.from([0xa1, 0x83, 0x01, 0x86, 0xa0, 0x30, 0x83, 0x01, 0x86, 0x9c]), Buffer.alloc(100_000, 0)]));
  out.push(Buffer.concat([Buffer.from('NTLMSSP\0'), Buffer.alloc(40, 0xff)]));
  return out;
}

function timed<T>(what: string, b: Buffer, fn: () => T): T {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    const dt = performance.now() - t0;
    assert.ok(dt < SLOW_MS, `${what} took ${dt.toFixed(1)} ms on ${b.subarray(0, 32).toString('hex')}`);
  }
}

test('the decoder throws only SpnegoDecodeError', () => {
  let decoded = 0;
  let refused = 0;
  for (const b of mutations(1)) {
    timed('decode', b, () => {
      try {
        decodeNegotiationToken(b);
        decoded++;
      } catch (e) {
        if (!(e instanceof SpnegoDecodeError)) assert.fail(`threw ${String(e)} on ${b.subarray(0, 48).toString('hex')}`);
        assert.ok(!e.message.includes('internal decoder error'), e.message);
        refused++;
      }
      assert.ok(peekGssMechanism(b) === undefined || typeof peekGssMechanism(b) === 'string');
    });
  }
  assert.ok(decoded > 100 && refused > 1000, `decoded ${decoded}, refused ${refused}`);
});

async function expectOnlySecurityError(what: string, b: Buffer, p: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  try {
    await p();
  } catch (e) {
    if (!(e instanceof SecurityError)) assert.fail(`${what} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} on ${b.subarray(0, 48).toString('hex')}`);
  }
  const dt = performance.now() - t0;
  assert.ok(dt < SLOW_MS, `${what} took ${dt.toFixed(1)} ms`);
}

const acceptor = () =>
  new NegotiateAcceptor({ kerberos: () => new FakeMech('acceptor', KRB), ntlm: () => new FakeMech('acceptor', NTLM) });

test('the acceptor, fresh and mid-negotiation, answers garbage with SecurityError only', async () => {
  const inputs = mutations(2);
  let n = 0;
  for (const b of inputs) {
    await expectOnlySecurityError('fresh acceptor', b, () => acceptor().step(b));
    // After a NegTokenInit picked NTLM and the CHALLENGE-equivalent went out.
    if (n % 2 === 0) {
      const a = acceptor();
      await a.step(encodeNegTokenInit({ mechTypes: [OID.NTLMSSP], mechToken: Buffer.from('NTLM|0') }));
      await expectOnlySecurityError('negotiating acceptor', b, () => a.step(b));
    }
    if (n++ % 5 === 0) {
      const a = acceptor();
      await a.step(); // sent NegTokenInit2
      await expectOnlySecurityError('acceptor after NegTokenInit2', b, () => a.step(b));
    }
  }
});

test('the real Kerberos and NTLM acceptors behind Negotiate: garbage, raw or framed, is a SecurityError', async () => {
  const authority: DomainAuthority = {
    validateNtlm: () => Promise.reject(new SecurityError(SEC_E.LOGON_DENIED, 'no')),
    verifyPacKdcSignature: () => Promise.resolve(false),
  };
  const key = { etype: ETYPE.AES256_CTS_HMAC_SHA1_96, value: Buffer.alloc(32, 7) };
  const real = () =>
    new NegotiateAcceptor({
      kerberos: () => new KerberosAcceptor({ keys: [{ key }] }),
      ntlm: () =>
        new NtlmAcceptor({ authority, netbiosComputerName: 'WEB', netbiosDomainName: 'EXAMPLE', dnsComputerName: 'web.example.test', dnsDomainName: 'example.test' }),
    });
  const rnd = prng(4);
  const krbHeader = Buffer.from('6082000006092a864886f71201020201006e', 'hex');
  const inputs: Buffer[] = [];
  for (let k = 0; k < 1500; k++) {
    const body = Buffer.alloc(Math.floor(rnd() * 200));
    for (let i = 0; i < body.length; i++) body[i] = Math.floor(rnd() * 256);
    const kind = k % 3;
    if (kind === 0) inputs.push(Buffer.concat([Buffer.from('NTLMSSP\0'), Buffer.from([1 + (k % 3), 0, 0, 0]), body]));
    else if (kind === 1) {
      const t = Buffer.concat([krbHeader, body]);
      t.writeUInt16BE(t.length - 4, 2);
      inputs.push(t);
    } else {
      // SPNEGO-framed garbage mechanism tokens.
      inputs.push(encodeNegTokenInit({ mechTypes: [k % 2 ? OID.NTLMSSP : OID.KERBEROS], mechToken: Buffer.concat([k % 2 ? Buffer.from('NTLMSSP\0\x01\0\0\0') : krbHeader, body]) }));
    }
  }
  for (const b of inputs) await expectOnlySecurityError('real acceptors', b, () => real().step(b));
});

test('the initiator, at each stage, answers garbage with SecurityError only', async () => {
  const inputs = mutations(3);
  let n = 0;
  for (const b of inputs) {
    // As a server hint before the first token.
    const i1 = new NegotiateInitiator({ kerberos: () => new FakeMech('initiator', KRB), ntlm: () => new FakeMech('initiator', NTLM) });
    await expectOnlySecurityError('initiator with a hint', b, () => i1.step(b));
    if (n++ % 2 === 0) {
      const i2 = new NegotiateInitiator({ kerberos: () => new FakeMech('initiator', KRB), ntlm: () => new FakeMech('initiator', NTLM) });
      await i2.step();
      await expectOnlySecurityError('initiator awaiting a reply', b, () => i2.step(b));
    }
  }
});
