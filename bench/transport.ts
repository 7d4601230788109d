// Client transports for the KDC benchmark (RFC 4120 7.2.1 UDP, 7.2.2 TCP with a 4-byte length
// prefix). Each in-flight slot of the load generator owns one Channel, so a channel never has
// more than one request outstanding.
//
// - 'tcp': a fresh connection per request, closed after the reply — what MIT's libkrb5 does,
//   and the only mode MIT krb5kdc supports (it closes the connection after one reply).
// - 'tcp-persistent': one connection per slot, reused; reconnects when the KDC closes it.
// - 'udp': one socket per slot; a KRB_ERR_RESPONSE_TOO_BIG reply is retried over TCP
//   (RFC 4120 7.2.1), as MIT clients do.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { decodeKrbError, KDC_ERR, MSG_TYPE, peekApplicationTag } from '../src/kerberos/messages/index.js';

export type TransportKind = 'tcp' | 'tcp-persistent' | 'udp';
export const TRANSPORTS: readonly TransportKind[] = ['tcp', 'tcp-persistent', 'udp'];

export interface Endpoint {
  host: string;
  port: number;
}

export class TransportError extends Error {
  constructor(readonly kind: string) {
    super(kind);
    this.name = 'TransportError';
  }
}

export interface Channel {
  /** Sends one request and resolves with the reply (without the TCP length prefix). */
  request(req: Buffer): Promise<Buffer>;
  close(): void;
  /** Replies that came back as KRB_ERR_RESPONSE_TOO_BIG over UDP and were re-asked over TCP. */
  readonly tcpFallbacks: number;
}

const MAX_REPLY = 1024 * 1024;

function frame(req: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + req.length);
  out.writeUInt32BE(req.length, 0);
  req.copy(out, 4);
  return out;
}

/** Accumulates TCP data and yields whole length-prefixed messages. */
class FrameReader {
  private chunks: Buffer[] = [];
  private have = 0;

  push(d: Buffer): Buffer | undefined | Error {
    this.chunks.push(d);
    this.have += d.length;
    if (this.have < 4) return undefined;
    let head = this.chunks[0];
    if (head.length < 4) {
      head = Buffer.concat(this.chunks);
      this.chunks = [head];
    }
    const len = head.readUInt32BE(0);
    if (len > MAX_REPLY) return new TransportError('reply too large');
    if (this.have < 4 + len) return undefined;
    const all = this.chunks.length === 1 ? head : Buffer.concat(this.chunks, this.have);
    const msg = all.subarray(4, 4 + len);
    const rest = all.subarray(4 + len);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.have = rest.length;
    return msg;
  }

  reset(): void {
    this.chunks = [];
    this.have = 0;
  }
}

function errorKind(e: NodeJS.ErrnoException): string {
  return e.code ?? e.message;
}

/** One request over a fresh TCP connection, closed once the reply is in. */
export function tcpOnce(ep: Endpoint, req: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: ep.host, port: ep.port, noDelay: true });
    const reader = new FrameReader();
    let settled = false;
    const finish = (err: Error | undefined, reply?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(reply as Buffer);
    };
    const timer = setTimeout(() => finish(new TransportError('timeout')), timeoutMs);
    sock.on('connect', () => sock.write(frame(req)));
    sock.on('data', (d: Buffer) => {
      const r = reader.push(d);
      if (r instanceof Error) finish(r);
      else if (r) finish(undefined, r);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => finish(new TransportError(errorKind(e))));
    sock.on('close', () => {
      if (!settled) finish(new TransportError('closed before reply'));
    });
  });
}

class TcpOnceChannel implements Channel {
  readonly tcpFallbacks = 0;
  constructor(
    private readonly ep: Endpoint,
    private readonly timeoutMs: number,
  ) {}
  request(req: Buffer): Promise<Buffer> {
    return tcpOnce(this.ep, req, this.timeoutMs);
  }
  close(): void {}
}

class TcpPersistentChannel implements Channel {
  readonly tcpFallbacks = 0;
  private sock: Socket | undefined;
  private readonly reader = new FrameReader();
  private pending: { resolve: (b: Buffer) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> } | undefined;

  constructor(
    private readonly ep: Endpoint,
    private readonly timeoutMs: number,
  ) {}

  private settle(err: Error | undefined, reply?: Buffer): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(reply as Buffer);
  }

  private drop(): void {
    this.sock?.destroy();
    this.sock = undefined;
    this.reader.reset();
  }

  private open(): Socket {
    const sock = connect({ host: this.ep.host, port: this.ep.port, noDelay: true });
    sock.on('data', (d: Buffer) => {
      if (sock !== this.sock) return;
      const r = this.reader.push(d);
      if (r instanceof Error) {
        this.drop();
        this.settle(r);
      } else if (r) this.settle(undefined, r);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (sock !== this.sock) return;
      this.drop();
      this.settle(new TransportError(errorKind(e)));
    });
    sock.on('close', () => {
      if (sock !== this.sock) return;
      this.drop();
      this.settle(new TransportError('closed before reply'));
    });
    return sock;
  }

  request(req: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (!this.sock || this.sock.destroyed || this.sock.writableEnded) {
        this.drop();
        this.sock = this.open();
      }
      const timer = setTimeout(() => {
        this.drop();
        this.settle(new TransportError('timeout'));
      }, this.timeoutMs);
      this.pending = { resolve, reject, timer };
      this.sock.write(frame(req));
    });
  }

  close(): void {
    this.drop();
  }
}

class UdpChannel implements Channel {
  tcpFallbacks = 0;
  private sock: UdpSocket | undefined;
  private pending: { resolve: (b: Buffer) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> } | undefined;

  constructor(
    private readonly ep: Endpoint,
    private readonly timeoutMs: number,
  ) {}

  private settle(err: Error | undefined, reply?: Buffer): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(reply as Buffer);
  }

  private socket(): UdpSocket {
    if (this.sock) return this.sock;
    const s = createSocket(this.ep.host.includes(':') ? 'udp6' : 'udp4');
    s.on('message', (msg: Buffer) => {
      if (s === this.sock) this.settle(undefined, msg);
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (s !== this.sock) return;
      this.reset();
      this.settle(new TransportError(errorKind(e)));
    });
    this.sock = s;
    return s;
  }

  /** A socket that timed out is replaced, so a late reply cannot answer the next request. */
  private reset(): void {
    this.sock?.close();
    this.sock = undefined;
  }

  private udpOnce(req: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const s = this.socket();
      const timer = setTimeout(() => {
        this.reset();
        this.settle(new TransportError('timeout'));
      }, this.timeoutMs);
      this.pending = { resolve, reject, timer };
      s.send(req, this.ep.port, this.ep.host);
    });
  }

  async request(req: Buffer): Promise<Buffer> {
    const reply = await this.udpOnce(req);
    if (isResponseTooBig(reply)) {
      this.tcpFallbacks++;
      return tcpOnce(this.ep, req, this.timeoutMs);
    }
    return reply;
  }

  close(): void {
    this.reset();
  }
}

/** A KRB-ERROR reply with error-code KRB_ERR_RESPONSE_TOO_BIG. */
export function isResponseTooBig(reply: Buffer): boolean {
  if (peekApplicationTag(reply) !== MSG_TYPE.KRB_ERROR) return false;
  return decodeKrbError(reply).errorCode === KDC_ERR.KRB_ERR_RESPONSE_TOO_BIG;
}

export function openChannel(kind: TransportKind, ep: Endpoint, timeoutMs: number): Channel {
  switch (kind) {
    case 'tcp':
      return new TcpOnceChannel(ep, timeoutMs);
    case 'tcp-persistent':
      return new TcpPersistentChannel(ep, timeoutMs);
    case 'udp':
      return new UdpChannel(ep, timeoutMs);
  }
}
