// Shared helpers for the Negotiate tests: driving two SecurityContexts against each other, and
// small fake mechanisms that follow a scripted token exchange.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { NO_FLAGS, SEC_E, SecurityError, type ContextFlags, type SecurityContext, type Step } from '../../src/security/types.js';
import { decodeNegotiationToken, type NegTokenInit, type NegTokenInit2 } from '../../src/spnego/index.js';

export interface Exchange {
  /** Tokens in order: initiator's first, then alternating. */
  tokens: { from: 'initiator' | 'acceptor'; bytes: Buffer }[];
}

/**
 * Runs the handshake until both sides are done (or throws the first error). Returns the tokens
 * that crossed. `tap` may replace a token in flight (a man in the middle).
 */
export async function handshake(
  initiator: SecurityContext,
  acceptor: SecurityContext,
  tap?: (from: 'initiator' | 'acceptor', bytes: Buffer, n: number) => Buffer,
): Promise<Exchange> {
  const tokens: Exchange['tokens'] = [];
  let r: Step = await initiator.step();
  for (let n = 0; n < 20; n++) {
    if (r.output && r.output.length > 0) {
      const bytes = tap ? tap('initiator', r.output, tokens.length) : r.output;
      tokens.push({ from: 'initiator', bytes });
      const a = await acceptor.step(bytes);
      if (a.output && a.output.length > 0) {
        const back = tap ? tap('acceptor', a.output, tokens.length) : a.output;
        tokens.push({ from: 'acceptor', bytes: back });
        if (initiator.done) {
          // A last token after the initiator finished (e.g. accept-completed): it must be harmless.
          await initiator.step(back);
          break;
        }
        r = await initiator.step(back);
        continue;
      }
    }
    break;
  }
  assert.ok(initiator.done, 'initiator not done');
  assert.ok(acceptor.done, 'acceptor not done');
  return { tokens };
}

/** Both directions of sign/verify and seal/unseal work through the contexts. */
export function checkMessageProtection(initiator: SecurityContext, acceptor: SecurityContext, seal = true): void {
  for (let i = 0; i < 3; i++) {
    const m1 = Buffer.from(`client message ${i}`);
    acceptor.verify(m1, initiator.sign(m1));
    const m2 = Buffer.from(`server message ${i}`);
    initiator.verify(m2, acceptor.sign(m2));
    if (seal) {
      assert.deepEqual(acceptor.unseal(initiator.seal(m1)), m1);
      assert.deepEqual(initiator.unseal(acceptor.seal(m2)), m2);
    }
  }
  const m = Buffer.from('tampered');
  const sig = initiator.sign(m);
  assert.throws(() => acceptor.verify(Buffer.from('Tampered'), sig), SecurityError);
}

/**
 * A scripted mechanism: `legs` tokens alternate initiator → acceptor → ... (Kerberos with mutual
 * authentication is 2, without 1; NTLM is 3). Token i is `${name}|${i}` behind `prefix`, and
 * checked by the receiver. Signatures are HMACs under a shared key, per direction, sequenced.
 */
export interface FakeOptions {
  name: 'Kerberos' | 'NTLM';
  legs: number;
  integrity?: boolean;
  /** Fail the first step (e.g. no Kerberos ticket obtainable). */
  failStart?: SecurityError;
  prefix?: Buffer;
  /** Expose the optional Negotiate hooks. */
  hooks?: boolean;
  requiresMechListMic?: boolean;
  /** Received tokens, for assertions. */
  log?: Buffer[];
}

export class FakeMech implements SecurityContext {
  readonly mechanism: 'Kerberos' | 'NTLM';
  private i = 0;
  private finished = false;
  private sendSeq = 0;
  private recvSeq = 0;
  readonly resets: string[] = [];
  readonly peerName?: string;
  readonly sessionKey?: Buffer;

  constructor(
    readonly role: 'initiator' | 'acceptor',
    private readonly o: FakeOptions,
  ) {
    this.mechanism = o.name;
    if (o.hooks) {
      const self = this as unknown as { resetCryptoState: (d: string) => void; requiresMechListMic: boolean };
      self.resetCryptoState = (d: string) => this.resets.push(d);
      self.requiresMechListMic = o.requiresMechListMic === true;
    }
  }

  get done(): boolean {
    return this.finished;
  }
  get flags(): ContextFlags {
    return this.finished ? { ...NO_FLAGS, integrity: this.o.integrity !== false, confidentiality: this.o.integrity !== false } : NO_FLAGS;
  }
  get peer() {
    return this.finished && this.role === 'acceptor'
      ? {
          userSid: 'S-1-5-21-1-2-3-1104',
          primaryGroupSid: 'S-1-5-21-1-2-3-513',
          groups: [],
          privileges: [],
          logonType: 'network' as const,
          authPackage: this.o.name,
          userName: 'fake',
          domainName: 'FAKE',
          logonServer: 'DC1',
          profile: { fullName: '', homeDirectory: '', homeDrive: '', logonScript: '', profilePath: '' },
          userAccountControl: 0x200,
        }
      : undefined;
  }

  token(i: number): Buffer {
    return Buffer.concat([this.o.prefix ?? Buffer.alloc(0), Buffer.from(`${this.o.name}|${i}`)]);
  }

  async step(input?: Buffer): Promise<Step> {
    const mine = this.role === 'initiator' ? 0 : 1; // parity of the tokens this side sends
    if (this.finished) throw new SecurityError(SEC_E.INVALID_HANDLE, 'fake: already done');
    if (this.i === 0 && this.role === 'initiator') {
      if (input && input.length) throw new SecurityError(SEC_E.INVALID_TOKEN, 'fake: initiator speaks first');
      if (this.o.failStart) throw this.o.failStart;
    } else {
      if (!input || !input.equals(this.token(this.i))) {
        throw new SecurityError(SEC_E.INVALID_TOKEN, `fake ${this.o.name} ${this.role}: unexpected token ${input?.toString('latin1')}`);
      }
      this.o.log?.push(input);
      this.i++;
    }
    if (this.i >= this.o.legs) {
      this.finished = true;
      return { done: true };
    }
    assert.equal(this.i % 2, mine);
    const out = this.token(this.i++);
    if (this.i >= this.o.legs) this.finished = true;
    return { done: this.finished, output: out };
  }

  private mac(dir: string, seq: number, m: Buffer): Buffer {
    return createHmac('sha256', `fake-${this.o.name}`).update(`${dir}|${seq}|`).update(m).digest().subarray(0, 16);
  }
  private need(): void {
    if (!this.finished) throw new SecurityError(SEC_E.INVALID_HANDLE, 'fake: not established');
  }
  sign(m: Buffer): Buffer {
    this.need();
    return this.mac(this.role, this.sendSeq++, m);
  }
  verify(m: Buffer, sig: Buffer): void {
    this.need();
    const other = this.role === 'initiator' ? 'acceptor' : 'initiator';
    if (!this.mac(other, this.recvSeq, m).equals(sig)) throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'fake: bad signature');
    this.recvSeq++;
  }
  seal(m: Buffer): Buffer {
    return Buffer.concat([this.sign(m), m]);
  }
  unseal(t: Buffer): Buffer {
    const m = t.subarray(16);
    this.verify(m, t.subarray(0, 16));
    return Buffer.from(m);
  }
}

/** Decodes a token that must be a NegTokenInit or NegTokenInit2 and returns its fields. */
export function initOf(bytes: Buffer): NegTokenInit | NegTokenInit2 {
  const d = decodeNegotiationToken(bytes);
  if (d.type === 'negTokenResp') assert.fail('expected a NegTokenInit');
  return d.token;
}
