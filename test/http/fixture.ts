// A throw-away domain plus our HTTP authenticator served on 127.0.0.1 (http and https), for
// driving real clients (curl, python-requests) against it.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { exportKeytab } from '../../src/cli/keytab.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import { createHttpAuthenticator, type AuthenticatedRequest, type HttpAuthenticator, type HttpAuthenticatorOptions } from '../../src/http/index.js';
import { clientCa, clientCertificate, serverCertificate } from '../helpers/certs.js';
import { mitEnv, requirePeer, run, type MitEnv } from '../helpers/peers.js';

export const HOST = 'web.example.test';
export const PASSWORDS = {
  alice: 'Alice-Passw0rd!',
  bob: 'Bob-Passw0rd!',
  carol: 'Carol-Passw0rd!',
  erin: 'Erin-Passw0rd!',
  frank: 'Frank-Passw0rd!',
} as const;

export interface HttpFixture {
  domain: RunningDomain;
  auth: HttpAuthenticator;
  httpPort: number;
  httpsPort: number;
  dir: string;
  audit: string[];
  /** A fresh MIT client environment (own ccache). */
  mit(): Promise<MitEnv>;
  /** curl with --resolve for both ports and the given args. */
  curl(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; status: number }>;
  url(path: string, tls?: boolean): string;
  /** A client certificate with these UPNs in subjectAltName, signed by the trusted CA (or self-signed). */
  issueClientCert(name: string, upn: string[], trusted?: boolean): Promise<{ cert: string; key: string }>;
  stop(): Promise<void>;
}

export const CURL = requirePeer('/usr/bin/curl');
export { OPENSSL } from '../helpers/certs.js';
export const KINIT = requirePeer('/usr/bin/kinit');

/** The application behind the authenticator: echoes who the caller is. */
function app(req: IncomingMessage, res: ServerResponse): void {
  const info = (req as AuthenticatedRequest).authso;
  res.setHeader('Content-Type', 'application/json');
  res.end(
    JSON.stringify({
      path: req.url,
      anonymous: info?.anonymous ?? true,
      mechanism: info?.mechanism,
      user: info?.token ? `${info.token.domainName}\\${info.token.userName}` : undefined,
      logonType: info?.token?.logonType,
    }),
  );
}

export async function startHttpFixture(extra: Partial<HttpAuthenticatorOptions> = {}): Promise<HttpFixture> {
  const domain = await startDomain({
    realm: 'EXAMPLE.TEST',
    policy: { lockoutThreshold: 3, lockoutDuration: 1800, lockoutObservationWindow: 1800 },
    users: [
      { name: 'alice', password: PASSWORDS.alice },
      { name: 'bob', password: PASSWORDS.bob, groups: ['Domain Admins'] },
      { name: 'carol', password: PASSWORDS.carol },
      { name: 'erin', password: PASSWORDS.erin },
      { name: 'frank', password: PASSWORDS.frank },
    ],
    services: [{ computer: 'web', spns: [`HTTP/${HOST}`] }],
  });
  const dir = await mkdtemp(join(tmpdir(), 'authso-http-'));
  const servers: (Server | HttpsServer)[] = [];
  try {
    const keytab = await exportKeytab(domain.directory, `HTTP/${HOST}`);
    const audit: string[] = [];
    const auth = createHttpAuthenticator({
      authority: new DirectoryAuthority(domain.directory),
      keytab,
      names: { netbiosComputerName: 'WEB', dnsComputerName: HOST, netbiosDomainName: 'EXAMPLE', dnsDomainName: domain.dnsName },
      realm: domain.realm,
      kdc: domain.kdc,
      rules: [
        { path: '/public/*', auth: 'anonymous' },
        { path: '/admins/*', sddl: 'D:(A;;GA;;;DA)' },
        { path: '/ntlm-only/*', mechanisms: ['NTLM'] },
      ],
      logger: (line) => audit.push(line),
      ...extra,
    });
    const handle = (req: IncomingMessage, res: ServerResponse) => {
      auth.handler(req, res).then(
        (ok) => {
          if (ok) app(req, res);
        },
        () => {
          res.statusCode = 500;
          res.end();
        },
      );
    };
    // A CA for TLS client certificates (issueClientCert), trusted by the https server.
    const ca = await clientCa(dir);
    const { key, cert } = await serverCertificate(dir, HOST);
    // Kerberos tickets with large PACs outgrow Node's default 16 KiB header limit; IIS allows
    // 64 KiB fields. Above that, the authenticator itself answers 400.
    const maxHeaderSize = 128 * 1024;
    const http = createServer({ maxHeaderSize }, handle);
    // requestCert without rejectUnauthorized: a client without a (trusted) certificate still
    // gets through TLS and is then asked for Negotiate/NTLM/Basic.
    const https = createHttpsServer(
      { key: await readFile(key), cert: await readFile(cert), maxHeaderSize, requestCert: true, rejectUnauthorized: false, ca: await readFile(ca.cert) },
      handle,
    );
    servers.push(http, https);
    const listen = (s: Server | HttpsServer) =>
      new Promise<number>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
      });
    const httpPort = await listen(http);
    const httpsPort = await listen(https);
    const resolve = ['--resolve', `${HOST}:${httpPort}:127.0.0.1`, '--resolve', `${HOST}:${httpsPort}:127.0.0.1`];
    return {
      domain,
      auth,
      httpPort,
      httpsPort,
      dir,
      audit,
      mit: () => mitEnv(domain),
      issueClientCert: (name, upn, trusted = true) => clientCertificate(dir, trusted ? ca : undefined, name, upn),
      url: (path, tls = false) => `${tls ? 'https' : 'http'}://${HOST}:${tls ? httpsPort : httpPort}${path}`,
      async curl(args, env) {
        const r = await run(CURL, ['-sS', '-o', '/dev/null', '-w', '%{http_code}', ...resolve, ...args], {
          env: env ?? { PATH: process.env.PATH, LANG: 'C', KRB5_CONFIG: join(dir, 'none.conf'), KRB5CCNAME: `FILE:${join(dir, 'none.cc')}` },
        });
        return { ...r, status: Number(r.stdout.trim().slice(-3)) };
      },
      async stop() {
        for (const s of servers) {
          s.closeAllConnections();
          await new Promise<void>((r) => s.close(() => r()));
        }
        await domain.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    for (const s of servers) s.close();
    await domain.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

export async function kinit(env: MitEnv, user: keyof typeof PASSWORDS): Promise<void> {
  const k = await run(KINIT, [`${user}@EXAMPLE.TEST`], { env: env.env, input: `${PASSWORDS[user]}\n` });
  if (k.code !== 0) throw new Error(`kinit ${user} failed: ${k.stderr}`);
}
