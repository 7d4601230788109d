// Hostile input: thousands of truncated, random, oversized and bit-flipped tokens into both
// NTLM contexts (and the decoders under them). Only SecurityError may come out of a context —
// SEC_E_INVALID_TOKEN for anything that is not a well-formed message — only NtlmError out of a
// decoder, never another exception, never a hang.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  decodeMessageSignature,
  decodeNegotiate,
  decodeNtlmv2Response,
  NtlmAcceptor,
  NtlmError,
  NtlmInitiator,
  ntowfV1,
  ntowfV2,
  verifyNtlmv2,
} from '../../src/ntlm/index.js';
import { anonymousLogonToken } from '../../src/ntlm/acceptor.js';
import { SEC_E, SecurityError, type DomainAuthority, type NtlmValidationRequest } from '../../src/security/types.js';

const PASSWORD = 'Alice-Passw0rd!';

/** A DomainAuthority in memory (no database writes per attempt): one user, NTLMv2 only. */
const memoryAuthority: DomainAuthority = {
  async validateNtlm(req: NtlmValidationRequest) {
    const key = ntowfV2(ntowfV1(PASSWORD), req.userName, req.domainName);
    const sbk = verifyNtlmv2(key, req.serverChallenge, req.ntResponse);
    if (req.userName !== 'alice' || !sbk) throw new SecurityError(SEC_E.LOGON_DENIED, 'logon failure', { ntstatus: 0xc000006d });
    return { token: { ...anonymousLogonToken(), userName: 'alice' }, userSessionKey: sbk, lmSessionKey: Buffer.alloc(8) };
  },
  async verifyPacKdcSignature() {
    return false;
  },
};

/** Fixed challenge and clock: every acceptor then sends the same CHALLENGE bytes, so one genuine AUTHENTICATE fits them all. */
const FIXED = { random: (n: number) => Buffer.alloc(n, 0x5a), now: () => new Date('2025-05-05T05:05:05Z') };

function acceptor(fixed = false): NtlmAcceptor {
  return new NtlmAcceptor({
    ...(fixed ? FIXED : {}),
    authority: memoryAuthority,
    netbiosComputerName: 'WEB',
    netbiosDomainName: 'EXAMPLE',
    dnsComputerName: 'web.example.test',
    dnsDomainName: 'example.test',
    allowAnonymous: true,
  });
}
const initiator = (o: { seal?: boolean } = {}) => new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: PASSWORD, ...o });

/** Deterministic PRNG (xorshift32) so that a failure is reproducible from the printed case number. */
function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

async function expectOnly(what: string, run: () => Promise<unknown>, codes?: number[]): Promise<'ok' | number> {
  try {
    await run();
    return 'ok';
  } catch (e) {
    if (!(e instanceof SecurityError)) assert.fail(`${what}: threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (codes && !codes.includes(e.code)) assert.fail(`${what}: SecurityError 0x${e.code.toString(16)} (${e.message})`);
    return e.code;
  }
}

const NTLMSSP = Buffer.from('NTLMSSP\0', 'latin1');
const header = (type: number) => {
  const b = Buffer.alloc(12);
  NTLMSSP.copy(b);
  b.writeUInt32LE(type, 8);
  return b;
};

test('random, truncated and oversized tokens into the acceptor: only SEC_E_INVALID_TOKEN', { timeout: 120_000 }, async () => {
  const rnd = prng(0x4e544c4d);
  const neg = (await initiator().step()).output!;
  let n = 0;
  // Random bytes, with and without a valid signature/type prefix.
  for (let i = 0; i < 1500; i++) {
    const len = rnd() % 200;
    let tok = randomBytes(len);
    if (i % 3 === 1) tok = Buffer.concat([header(1 + (i % 3)), tok]).subarray(0, Math.max(12, len));
    await expectOnly(`random acceptor token #${i}`, () => acceptor().step(tok), [SEC_E.INVALID_TOKEN, SEC_E.UNSUPPORTED_FUNCTION]);
    n++;
  }
  // Every truncation of a real NEGOTIATE (short ones are malformed; from 32 bytes it is a valid message without VERSION).
  for (let len = 0; len < neg.length; len++) {
    const r = await expectOnly(`truncated NEGOTIATE ${len}`, () => acceptor().step(neg.subarray(0, len)), [SEC_E.INVALID_TOKEN]);
    if (len < 32) assert.equal(r, SEC_E.INVALID_TOKEN);
    n++;
  }
  // Oversized tokens.
  for (const size of [65537, 1 << 20]) {
    const big = Buffer.concat([neg, Buffer.alloc(size)]);
    await expectOnly(`oversized ${size}`, () => acceptor().step(big), [SEC_E.INVALID_TOKEN]);
    n++;
  }
  assert.ok(n > 1500);
});

test('hostile AUTHENTICATE messages (random, truncated, bit-flipped, bad offsets): only SecurityError', { timeout: 120_000 }, async () => {
  const rnd = prng(0x41555448);
  // A genuine exchange to mutate.
  const i0 = initiator({ seal: true });
  const a0 = acceptor(true);
  const negBytes = (await i0.step()).output!;
  const chal = (await a0.step(negBytes)).output!;
  const auth = (await i0.step(chal)).output!;

  const fresh = async () => {
    const a = acceptor(true);
    await a.step(negBytes);
    return a;
  };
  let accepted = 0;
  for (let i = 0; i < 2500; i++) {
    let tok: Buffer;
    let codes: number[] | undefined = [SEC_E.INVALID_TOKEN];
    switch (i % 5) {
      case 0:
        tok = auth.subarray(0, rnd() % auth.length); // truncated: the payload runs past the end
        break;
      case 1:
        tok = Buffer.concat([header(3), randomBytes(rnd() % 300)]);
        codes = undefined; // may even parse; any SecurityError is fine
        break;
      case 2: {
        tok = Buffer.from(auth);
        for (let k = 1 + (rnd() % 4); k > 0; k--) tok[rnd() % tok.length] ^= 1 << (rnd() % 8);
        codes = undefined;
        break;
      }
      case 3: {
        // A payload descriptor pointing anywhere (offsets, lengths up to 0xffff).
        tok = Buffer.from(auth);
        const field = 12 + 8 * (rnd() % 6);
        tok.writeUInt16LE(rnd() & 0xffff, field);
        tok.writeUInt32LE(rnd() % 2 === 0 ? rnd() : rnd() % 400, field + 4);
        codes = undefined;
        break;
      }
      default:
        tok = randomBytes(rnd() % 120);
        break;
    }
    if (tok.equals(auth)) continue; // two flips of the same bit cancel out
    const a = await fresh();
    const r = await expectOnly(`AUTHENTICATE case #${i}`, () => a.step(tok), codes);
    if (r === 'ok') accepted++;
  }
  // Mutations must never produce a logon (a flipped bit in a signed byte, the MIC, or the proof).
  assert.equal(accepted, 0, 'no mutated AUTHENTICATE may log on');
  // The genuine one still does.
  const ok = await fresh();
  await ok.step(auth).catch((e: unknown) => assert.fail(`the genuine AUTHENTICATE was refused: ${String(e)}`));
  assert.equal(ok.peer?.userName, 'alice');
});

test('hostile CHALLENGE messages into the initiator: only SecurityError', { timeout: 120_000 }, async () => {
  const rnd = prng(0x4348414c);
  const genuine = (await acceptor().step((await initiator().step()).output!)).output!;
  for (let i = 0; i < 2000; i++) {
    let tok: Buffer;
    let codes: number[] | undefined = [SEC_E.INVALID_TOKEN];
    if (i % 4 === 0) tok = genuine.subarray(0, rnd() % genuine.length);
    else if (i % 4 === 1) tok = randomBytes(rnd() % 200);
    else {
      tok = Buffer.from(genuine);
      for (let k = 1 + (rnd() % 3); k > 0; k--) tok[rnd() % tok.length] ^= 1 << (rnd() % 8);
      codes = undefined;
    }
    const init = initiator({ seal: i % 2 === 0 });
    await init.step();
    await expectOnly(`CHALLENGE case #${i}`, () => init.step(tok), codes);
  }
});

test('garbage into sign/verify/seal/unseal of established contexts: only SecurityError', async () => {
  const i = initiator({ seal: true });
  const a = acceptor();
  await i.step(Buffer.alloc(0)).then(async (n) => {
    const c = await a.step(n.output!);
    await a.step((await i.step(c.output!)).output!);
  });
  for (let k = 0; k < 500; k++) {
    const junk = randomBytes(k % 40);
    for (const ctx of [a, i]) {
      await expectOnly(`unseal #${k}`, async () => ctx.unseal(junk), [SEC_E.INVALID_TOKEN, SEC_E.MESSAGE_ALTERED, SEC_E.OUT_OF_SEQUENCE]);
      await expectOnly(`verify #${k}`, async () => ctx.verify(junk, randomBytes(k % 20)), [SEC_E.MESSAGE_ALTERED, SEC_E.OUT_OF_SEQUENCE]);
    }
  }
});

test('the decoders throw only NtlmError on random input', () => {
  const decoders: Array<(b: Buffer) => unknown> = [decodeNegotiate, decodeChallenge, decodeAuthenticate, decodeAvPairs, decodeNtlmv2Response, decodeMessageSignature];
  const rnd = prng(7);
  for (let i = 0; i < 3000; i++) {
    const len = rnd() % 160;
    let b = randomBytes(len);
    if (i % 2 === 0 && len >= 12) b = Buffer.concat([header(1 + (i % 3)), b.subarray(12)]);
    for (const d of decoders) {
      try {
        d(b);
      } catch (e) {
        if (!(e instanceof NtlmError)) assert.fail(`decoder threw ${String(e)} on ${b.toString('hex')}`);
      }
    }
  }
});
