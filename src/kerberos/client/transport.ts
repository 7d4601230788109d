// Sending one request to a KDC (RFC 4120 7.2.1 UDP, 7.2.2 TCP length-prefixed). Used by the
// initiator, the tests and the benchmark; servers are elsewhere.

import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

export interface KdcAddress {
  host: string;
  port: number;
}

export class KdcTransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KdcTransportError';
  }
}

const MAX_REPLY = 1024 * 1024;

export function sendTcp(addr: KdcAddress, request: Buffer, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: addr.host, port: addr.port, noDelay: true });
    let buf = Buffer.alloc(0);
    const fail = (e: Error) => {
      sock.destroy();
      reject(e);
    };
    sock.setTimeout(timeoutMs, () => fail(new KdcTransportError('KDC did not answer in time (TCP)')));
    sock.on('error', (e) => fail(new KdcTransportError(`KDC connection failed: ${e.message}`)));
    sock.on('connect', () => {
      const head = Buffer.alloc(4);
      head.writeUInt32BE(request.length, 0);
      sock.write(Buffer.concat([head, request]));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4) return;
      const len = buf.readUInt32BE(0);
      if (len > MAX_REPLY) return fail(new KdcTransportError('KDC reply too large'));
      if (buf.length >= 4 + len) {
        sock.end();
        resolve(buf.subarray(4, 4 + len));
      }
    });
    sock.on('end', () => {
      if (buf.length < 4 || buf.length < 4 + buf.readUInt32BE(0)) fail(new KdcTransportError('KDC closed the connection'));
    });
  });
}

export function sendUdp(addr: KdcAddress, request: Buffer, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(addr.host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new KdcTransportError('KDC did not answer in time (UDP)'));
    }, timeoutMs);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg);
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      sock.close();
      reject(new KdcTransportError(`UDP error: ${e.message}`));
    });
    sock.send(request, addr.port, addr.host);
  });
}
