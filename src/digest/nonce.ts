// Server nonces for HTTP Digest (RFC 7616 3.3 / 5.4): stateless to verify, bounded state for
// replay detection.
//
//   nonce = base64url( issued-at (8 bytes, ms) || random (8) || HMAC-SHA256(secret, first 16)[0..16) )
//
// The HMAC makes nonces unforgeable (a client cannot pick its own or extend a timestamp); an
// authentic nonce older than the lifetime is answered with stale=true (RFC 7616 3.3), so the
// client retries with a fresh one without asking the user again. Replay: every issued nonce has
// an entry holding the highest nc accepted with it; a request must carry a strictly greater nc
// (RFC 7616 3.4 / 5.4). The store is bounded: when it is full the oldest entries go, and an
// authentic nonce with no entry (evicted, or issued before a restart) is treated as stale —
// never accepted — so eviction can cost a round trip but never permit a replay.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface NonceOptions {
  /** How long a nonce is accepted (default 300 s). */
  lifetimeMs?: number;
  /** Most nonces tracked at once (default 100 000). */
  maxTracked?: number;
  /** HMAC key (default random per process). */
  secret?: Buffer;
  now?: () => number;
}

export type NonceCheck = 'ok' | 'stale' | 'invalid' | 'replay';

const RAW_BYTES = 32;

export class NonceManager {
  private readonly secret: Buffer;
  private readonly lifetime: number;
  private readonly max: number;
  private readonly now: () => number;
  /** nonce → highest nc accepted (0 = none yet); Map keeps insertion order for eviction. */
  private readonly seen = new Map<string, number>();
  /** RFC 7616 3.3 opaque: constant for this server, echoed by clients. */
  readonly opaque: string;

  constructor(o: NonceOptions = {}) {
    this.secret = o.secret ?? randomBytes(32);
    this.lifetime = o.lifetimeMs ?? 300_000;
    this.max = Math.max(1, o.maxTracked ?? 100_000);
    this.now = o.now ?? Date.now;
    this.opaque = createHmac('sha256', this.secret).update('authso-digest-opaque').digest('hex').slice(0, 32);
  }

  get tracked(): number {
    return this.seen.size;
  }

  issue(): string {
    const raw = Buffer.alloc(RAW_BYTES);
    raw.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.now()))), 0);
    randomBytes(8).copy(raw, 8);
    this.mac(raw.subarray(0, 16)).copy(raw, 16);
    const nonce = raw.toString('base64url');
    while (this.seen.size >= this.max) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
    this.seen.set(nonce, 0);
    return nonce;
  }

  private mac(b: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(b).digest().subarray(0, 16);
  }

  /** Is this nonce ours, and still fresh? Does not consume anything. */
  check(nonce: string): 'ok' | 'stale' | 'invalid' {
    if (nonce.length !== 43 || !/^[A-Za-z0-9_-]+$/.test(nonce)) return 'invalid';
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== RAW_BYTES || !timingSafeEqual(this.mac(raw.subarray(0, 16)), raw.subarray(16))) return 'invalid';
    const issued = Number(raw.readBigUInt64BE(0));
    const age = this.now() - issued;
    if (age > this.lifetime || age < -60_000) return 'stale';
    if (!this.seen.has(nonce)) return 'stale';
    return 'ok';
  }

  /** Before asking the domain: is nc already used up for this nonce? (Re-checked by use.) */
  precheck(nonce: string, nc: number): NonceCheck {
    const c = this.check(nonce);
    if (c !== 'ok') return c;
    return nc <= (this.seen.get(nonce) ?? 0) ? 'replay' : 'ok';
  }

  /**
   * Records nc for this nonce after the response was verified; 'replay' when nc is not
   * greater than the highest accepted before (RFC 7616 5.4).
   */
  use(nonce: string, nc: number): NonceCheck {
    const c = this.check(nonce);
    if (c !== 'ok') return c;
    const highest = this.seen.get(nonce) ?? 0;
    if (nc <= highest) return 'replay';
    this.seen.set(nonce, nc);
    return 'ok';
  }
}
