// The authso HTTP server under test, in its own process (forked by bench/http.ts with an IPC
// channel): the directory opened from the data dir the bench's domain lives in, a
// DirectoryAuthority over it, createHttpAuthenticator() with the exported keytab, and a plain
// node:http server serving one small file (read from disk on each request, as Apache does) to
// whoever authenticates. With `workers` > 0 this process is a node:cluster primary that forks
// that many workers, each with its own directory handle and authenticator, sharing one port
// (the primary accepts and hands connections out round-robin, Node's default on Linux).
// Reports { type: 'ready', port, pids } and stops on 'stop', on SIGTERM or when the parent goes.

import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Directory } from '../src/directory/directory.js';
import { createHttpAuthenticator } from '../src/http/index.js';
import { DirectoryAuthority } from '../src/security/directory-authority.js';

export interface HttpServerConfig {
  /** The domain's data dir (its SQLite directory), opened here as a second handle. */
  dataDir: string;
  keytabPath: string;
  realm: string;
  dnsName: string;
  kdc: { host: string; port: number };
  /** The file served at `urlPath` to authenticated callers. */
  filePath: string;
  urlPath: string;
  host: string;
  /** 0: one process. N: a cluster primary with N workers. */
  workers: number;
}

export type HttpServerMessage = { type: 'ready'; port: number; pids: number[] } | { type: 'error'; message: string };

type WorkerMessage = { type: 'listening'; port: number } | { type: 'error'; message: string };

function send(m: HttpServerMessage): void {
  process.send?.(m);
}

/** One authenticating server (the single process, or one cluster worker). */
async function serve(cfg: HttpServerConfig): Promise<{ server: Server; directory: Directory; port: number }> {
  const directory = await Directory.openSqlite(cfg.dataDir);
  const auth = createHttpAuthenticator({
    authority: new DirectoryAuthority(directory, { dcName: 'DC1' }),
    keytab: cfg.keytabPath,
    names: { netbiosComputerName: 'WEB', dnsComputerName: `web.${cfg.dnsName}`, netbiosDomainName: cfg.realm.split('.')[0], dnsDomainName: cfg.dnsName },
    realm: cfg.realm,
    kdc: cfg.kdc,
    // Negotiate (Kerberos or SPNEGO) and NTLM: what the bench drives. Basic is left out (plain
    // http, and it is an AS exchange per request, not what is measured here).
    mechanisms: ['Negotiate', 'NTLM'],
  });
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    auth.handler(req, res).then(
      (ok) => {
        if (!ok) return;
        if (req.url !== cfg.urlPath) {
          res.statusCode = 404;
          res.end();
          return;
        }
        // The file from disk on every request, as Apache's default handler does (open, fstat,
        // read, close: a few microseconds). Synchronously: fs.promises.readFile takes four
        // thread-pool round trips and roughly halved a bare node:http server's throughput on the
        // 2-core machine of docs/benchmarks-http.md, which is not what is measured here.
        let body: Buffer;
        try {
          body = readFileSync(cfg.filePath);
        } catch {
          res.statusCode = 500;
          res.end();
          return;
        }
        res.setHeader('Content-Type', 'text/plain');
        res.setHeader('Content-Length', body.length);
        res.end(body);
      },
      () => {
        res.statusCode = 500;
        res.end();
      },
    );
  };
  // Kerberos tickets with PACs can outgrow Node's default 16 KiB header limit (as in the tests).
  const server = createServer({ maxHeaderSize: 64 * 1024 }, handle);
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, cfg.host, () => resolve((server.address() as AddressInfo).port));
  });
  return { server, directory, port };
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.AUTHSO_BENCH_HTTP ?? process.argv[2] ?? '') as HttpServerConfig;
  let stopping = false;
  const running: { server?: Server; directory?: Directory } = {};
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      if (cluster.isPrimary) for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      running.server?.closeAllConnections();
      await new Promise<void>((r) => (running.server ? running.server.close(() => r()) : r()));
      await running.directory?.close();
    } finally {
      // process.exit (not a signal death) so that --cpu-prof writes its profile.
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());

  if (cluster.isWorker) {
    process.on('disconnect', () => void stop());
    try {
      const s = await serve(cfg);
      Object.assign(running, s);
      process.send?.({ type: 'listening', port: s.port } satisfies WorkerMessage);
    } catch (e) {
      process.send?.({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies WorkerMessage);
      process.exit(1);
    }
    return;
  }

  process.on('disconnect', () => void stop());
  process.on('message', (m: unknown) => {
    if (m === 'stop') void stop();
  });
  if (cfg.workers <= 0) {
    const s = await serve(cfg);
    Object.assign(running, s);
    send({ type: 'ready', port: s.port, pids: [process.pid] });
    return;
  }
  // Cluster primary: the workers get the config through the environment (cluster.fork keeps
  // process.execArgv, so they run under tsx too, and with --cpu-prof when the primary has it).
  const ports: number[] = [];
  const pids: number[] = [process.pid];
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < cfg.workers; i++) {
      const w = cluster.fork({ AUTHSO_BENCH_HTTP: JSON.stringify(cfg) });
      pids.push(w.process.pid as number);
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'error') reject(new Error(`cluster worker: ${m.message}`));
        else {
          ports.push(m.port);
          if (ports.length === cfg.workers) resolve();
        }
      });
      w.on('exit', (code, signal) => {
        if (!stopping) reject(new Error(`cluster worker exited (${code ?? signal})`));
      });
    }
  });
  // listen(0) in cluster workers: every worker gets the same port (the primary holds it).
  if (new Set(ports).size !== 1) throw new Error(`cluster workers listen on different ports: ${ports.join(', ')}`);
  send({ type: 'ready', port: ports[0], pids });
}

main().catch((e: unknown) => {
  const m: HttpServerMessage = { type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  if (process.send) process.send(m, () => process.exit(1));
  else {
    process.stderr.write(`${m.message}\n`);
    process.exit(1);
  }
});
