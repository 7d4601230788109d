// Handshakes in progress, per connection. NTLM over HTTP (and Negotiate falling back to NTLM)
// authenticates the keep-alive connection, not a request: the CHALLENGE_MESSAGE is only
// meaningful to the socket it was sent on (MS-NLMP 3.1.1 over HTTP: the three legs share one
// connection). So a pending context is keyed by the socket, forgotten when the socket closes,
// expires after a while, and the number of pending ones is bounded so that clients opening
// handshakes they never finish cannot grow memory without limit.

import type { Socket } from 'node:net';
import type { LogonToken, SecurityContext } from '../security/types.js';
import type { HttpMechanism } from './rules.js';

export interface PendingHandshake {
  scheme: 'negotiate' | 'ntlm';
  ctx: SecurityContext;
  created: number;
}

/** A connection NTLM or Negotiate authenticated: who is on it. */
export interface AuthenticatedConnection {
  mechanism: HttpMechanism;
  token: LogonToken;
  user: string;
}

export class ConnectionStates {
  private readonly map = new WeakMap<Socket, PendingHandshake>();
  /** Held by the socket only: gone with it (no count to bound). */
  private readonly done = new WeakMap<Socket, AuthenticatedConnection>();
  /** Sockets we already listen on for 'close' (one listener per socket, however many handshakes). */
  private readonly watched = new WeakSet<Socket>();
  private pending = 0;

  constructor(
    readonly maxPending: number,
    readonly timeoutMs: number,
  ) {}

  get size(): number {
    return this.pending;
  }

  /** The socket's pending handshake, if any and not expired. */
  get(socket: Socket, now = Date.now()): PendingHandshake | undefined {
    const p = this.map.get(socket);
    if (p && now - p.created > this.timeoutMs) {
      this.delete(socket);
      return undefined;
    }
    return p;
  }

  /** Stores a handshake for the socket; false when the bound is reached (the caller refuses). */
  set(socket: Socket, p: PendingHandshake): boolean {
    if (this.map.has(socket)) {
      this.map.set(socket, p);
      return true;
    }
    if (this.pending >= this.maxPending) return false;
    this.map.set(socket, p);
    this.pending++;
    if (!this.watched.has(socket)) {
      this.watched.add(socket);
      socket.once('close', () => this.delete(socket));
    }
    return true;
  }

  /** The logon a finished handshake left on the connection. */
  authenticated(socket: Socket): AuthenticatedConnection | undefined {
    return this.done.get(socket);
  }

  remember(socket: Socket, a: AuthenticatedConnection): void {
    this.done.set(socket, a);
  }

  /** A new handshake on the connection: whoever was on it is no longer. */
  forget(socket: Socket): void {
    this.done.delete(socket);
  }

  delete(socket: Socket): void {
    if (this.map.delete(socket)) this.pending--;
  }
}
