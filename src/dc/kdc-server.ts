// KDC transports (RFC 4120 7.2.1 UDP, 7.2.2 TCP with a 4-byte length prefix). Both hand
// whole requests to the sans-I/O Kdc. Bounds: request size, connections, idle time.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { Kdc } from '../kerberos/kdc/kdc.js';

export interface KdcServerOptions {
  host: string;
  port: number; // 0 = any free port (the same one for UDP and TCP is not guaranteed then)
  udpPort?: number;
  /** Largest reply sent over UDP (Windows: MaxDatagramReplySize 1465). */
  maxDatagramReply?: number;
  /** Largest TCP request accepted; larger ones get KRB_ERR_FIELD_TOOLONG-style closure. */
  maxRequestBytes?: number;
  maxConnections?: number;
  idleTimeoutMs?: number;
  onError?: (e: unknown) => void;
}

export interface KdcServer {
  udpAddress: { host: string; port: number };
  tcpAddress: { host: string; port: number };
  close(): Promise<void>;
}

export async function startKdcServer(kdc: Kdc, o: KdcServerOptions): Promise<KdcServer> {
  const maxDatagram = o.maxDatagramReply ?? 1465;
  const maxReq = o.maxRequestBytes ?? 256 * 1024;
  const sockets = new Set<Socket>();

  const tcp: Server = createServer({ noDelay: true }, (sock) => {
    if (sockets.size >= (o.maxConnections ?? 2048)) {
      sock.destroy();
      return;
    }
    sockets.add(sock);
    sock.setTimeout(o.idleTimeoutMs ?? 30_000, () => sock.destroy());
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf: Buffer = Buffer.alloc(0);
    let busy = false;
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        while (buf.length >= 4) {
          const len = buf.readUInt32BE(0);
          // RFC 4120 7.2.2: the high bit is reserved; a set bit or an oversized length ends the connection.
          if (len & 0x80000000 || len > maxReq) {
            sock.destroy();
            return;
          }
          if (buf.length < 4 + len) return;
          const req = buf.subarray(4, 4 + len);
          buf = buf.subarray(4 + len);
          const reply = await kdc.handle(Buffer.from(req));
          if (reply && !sock.destroyed) {
            const head = Buffer.alloc(4);
            head.writeUInt32BE(reply.length, 0);
            sock.write(Buffer.concat([head, reply]));
          }
        }
      } catch (e) {
        o.onError?.(e);
        sock.destroy();
      } finally {
        busy = false;
      }
      if (buf.length >= 4 && !sock.destroyed) void pump();
    };
    sock.on('data', (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      if (buf.length > maxReq + 4) {
        sock.destroy();
        return;
      }
      void pump();
    });
  });

  const udp: UdpSocket = createSocket({ type: o.host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
  udp.on('message', (msg, rinfo) => {
    kdc
      .handle(msg, true)
      .then((reply) => {
        if (!reply) return;
        const out = reply.length > maxDatagram ? kdc.responseTooBig() : reply;
        udp.send(out, rinfo.port, rinfo.address);
      })
      .catch((e: unknown) => o.onError?.(e));
  });
  udp.on('error', (e) => o.onError?.(e));

  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(o.port, o.host, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  const tcpPort = (tcp.address() as { port: number }).port;
  try {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(o.udpPort ?? (o.port === 0 ? tcpPort : o.port), o.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await new Promise<void>((r) => tcp.close(() => r()));
    udp.close();
    throw e;
  }
  const udpPort = udp.address().port;

  return {
    udpAddress: { host: o.host, port: udpPort },
    tcpAddress: { host: o.host, port: tcpPort },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
      await new Promise<void>((r) => udp.close(() => r()));
    },
  };
}
