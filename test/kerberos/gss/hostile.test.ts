// Hostile input: thousands of random, truncated and bit-flipped tokens into the acceptor's
// step() and into unwrap/verify of established contexts. The contract (SecurityContext):
// nothing but SecurityError comes out, and every call returns promptly. A mutation that still
// yields a valid token (an unencrypted field nobody checks) may succeed; that is fine.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KerberosAcceptor, KerberosInitiator, KRB5_MECH_OID, encodeKrb5Token, TOK_ID } from '../../../src/kerberos/gss/index.js';
import { ReplayCache } from '../../../src/kerberos/kdc/replay-cache.js';
import { SecurityError } from '../../../src/security/types.js';
import { key, makeTicket } from './fixtures/tickets.js';

/** mulberry32: a small deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(rnd: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

function mutations(rnd: () => number, good: Buffer, count: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 5;
    if (kind === 0) {
      out.push(good.subarray(0, Math.floor(rnd() * good.length)));
    } else if (kind === 1) {
      const b = Buffer.from(good);
      const flips = 1 + Math.floor(rnd() * 3);
      for (let f = 0; f < flips; f++) b[Math.floor(rnd() * b.length)] ^= 1 << Math.floor(rnd() * 8);
      out.push(b);
    } else if (kind === 2) {
      const b = Buffer.from(good);
      const at = Math.floor(rnd() * b.length);
      randomBytes(rnd, Math.min(16, b.length - at)).copy(b, at);
      out.push(b);
    } else if (kind === 3) {
      out.push(Buffer.concat([good, randomBytes(rnd, 1 + Math.floor(rnd() * 40))]));
    } else {
      const head = good.subarray(0, Math.floor(rnd() * 40));
      out.push(Buffer.concat([head, randomBytes(rnd, Math.floor(rnd() * 300))]));
    }
  }
  return out;
}

const MAX_CALL_MS = 2000;

async function expectOnlySecurityError(what: string, fn: () => Promise<unknown> | unknown): Promise<void> {
  const t0 = performance.now();
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof SecurityError)) {
      assert.fail(`${what}: threw ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
    }
  }
  const ms = performance.now() - t0;
  assert.ok(ms < MAX_CALL_MS, `${what} took ${ms.toFixed(0)} ms`);
}

describe('hostile tokens', () => {
  test('the acceptor: random, framed-random, truncated and mutated AP-REQs', { timeout: 120_000 }, async () => {
    const rnd = prng(0x4121);
    const inputs: Buffer[] = [];
    for (let i = 0; i < 800; i++) inputs.push(randomBytes(rnd, Math.floor(rnd() * 600)));
    for (let i = 0; i < 400; i++) {
      const first = [0x60, 0x6e, 0x6f, 0x7e][i % 4];
      inputs.push(Buffer.concat([Buffer.from([first]), randomBytes(rnd, Math.floor(rnd() * 400))]));
    }
    for (let i = 0; i < 400; i++) inputs.push(encodeKrb5Token(i % 2 ? TOK_ID.AP_REQ : Math.floor(rnd() * 65536), randomBytes(rnd, Math.floor(rnd() * 400)), KRB5_MECH_OID));
    inputs.push(Buffer.alloc(200_000, 0x30), Buffer.concat([Buffer.from('6084000f4240', 'hex'), Buffer.alloc(1_000_000, 0xff)]));
    const keys = [key(18), key(23)];
    for (const sk of keys) {
      const good = (await new KerberosInitiator({ target: 'HTTP/web.example.test', serviceTicket: makeTicket({ serviceKey: sk }).credential, delegate: false }).step()).output!;
      inputs.push(...mutations(rnd, good, 1000));
      const bare = good.subarray(13);
      inputs.push(...mutations(rnd, bare, 300));
    }
    const replayCache = new ReplayCache(600_000);
    let i = 0;
    for (const input of inputs) {
      const a = new KerberosAcceptor({ keys: keys.map((k) => ({ kvno: 3, key: k })), replayCache });
      await expectOnlySecurityError(`acceptor input #${i++} (${input.length} bytes)`, () => a.step(input));
    }
    assert.ok(inputs.length > 3000);
  });

  for (const etype of [18, 20, 23]) {
    test(`unwrap / verify of an established enctype ${etype} context`, { timeout: 120_000 }, async () => {
      const rnd = prng(etype);
      const sk = key(etype);
      const initiator = new KerberosInitiator({ target: 'HTTP/web.example.test', serviceTicket: makeTicket({ serviceKey: sk }).credential });
      const acceptor = new KerberosAcceptor({ keys: [{ key: sk }] });
      const s = await acceptor.step((await initiator.step()).output);
      await initiator.step(s.output);
      const m = Buffer.from('the quick brown fox jumps over the lazy dog');
      const goods = [initiator.wrap(m, true), initiator.wrap(m, false), initiator.sign(m), initiator.wrap(Buffer.alloc(0), true)];
      const inputs: Buffer[] = [];
      for (const g of goods) inputs.push(...mutations(rnd, g, 400));
      for (let i = 0; i < 400; i++) inputs.push(randomBytes(rnd, Math.floor(rnd() * 200)));
      for (let i = 0; i < 200; i++) {
        // Plausible headers with random bodies.
        const head = [Buffer.from('0504', 'hex'), Buffer.from('0404', 'hex'), Buffer.from('0201', 'hex'), Buffer.from('60', 'hex')][i % 4];
        inputs.push(Buffer.concat([head, randomBytes(rnd, Math.floor(rnd() * 120))]));
      }
      let i = 0;
      for (const input of inputs) {
        await expectOnlySecurityError(`unwrap #${i}`, () => acceptor.unwrap(input));
        await expectOnlySecurityError(`verify #${i}`, () => acceptor.verify(m, input));
        await expectOnlySecurityError(`initiator unwrap #${i++}`, () => initiator.unwrap(input));
      }
      // Non-buffers from JavaScript callers are refused the same way.
      for (const v of [undefined, null, 'token', 42, {}]) {
        await expectOnlySecurityError('non-buffer', () => acceptor.unwrap(v as unknown as Buffer));
        await expectOnlySecurityError('non-buffer', () => acceptor.verify(v as unknown as Buffer, v as unknown as Buffer));
        await expectOnlySecurityError('non-buffer', () => new KerberosAcceptor({ keys: [{ key: sk }] }).step(v as unknown as Buffer));
      }
    });
  }
});
