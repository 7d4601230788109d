// `authso http`: a ready web server on a joined member protecting a directory of files with the
// HTTP Access Authentication server task (MS-AUTHSO 5.4.5). Prints one JSON line
// {"event":"ready",...} once listening, one JSON audit line per authentication (who, mechanism,
// resource, result — never a secret), and stops cleanly on SIGTERM/SIGINT.

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { createHttpAuthenticator, type HttpAuthenticator } from '../http/authenticator.js';
import type { CertificateMapper } from '../http/certificate.js';
import { ALL_MECHANISMS, type HttpMechanism, type HttpRule } from '../http/rules.js';
import { createStaticHandler } from '../http/static-files.js';
import { S4uCertificateMapper } from '../member/certificate-mapper.js';
import { memberHttpAuthenticatorOptions, memberHttpSpns } from '../member/http.js';
import { loadMemberState } from '../member/state.js';
import { fail } from './util.js';

interface HttpCliOptions {
  member: string;
  root: string;
  rules?: string;
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  mechanisms?: string;
  basicOverHttp?: boolean;
  extendedProtection: string;
  quiet?: boolean;
}

const RULE_KEYS = new Set(['path', 'auth', 'mechanisms', 'sddl', 'groups']);

/** The rules file: a JSON array of {path, auth?, mechanisms?, sddl?, groups?}, first match wins. */
export function parseRulesFile(text: string, file: string): HttpRule[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!Array.isArray(v)) throw new Error(`${file}: expected a JSON array of rules`);
  return v.map((r: unknown, i) => {
    const at = `${file}: rule ${i + 1}`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new Error(`${at}: not an object`);
    const o = r as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!RULE_KEYS.has(k)) throw new Error(`${at}: unknown field "${k}"`);
    if (typeof o.path !== 'string') throw new Error(`${at}: "path" must be a string`);
    if (o.auth !== undefined && o.auth !== 'required' && o.auth !== 'anonymous') throw new Error(`${at}: "auth" must be "required" or "anonymous"`);
    if (o.mechanisms !== undefined) {
      if (!Array.isArray(o.mechanisms) || !o.mechanisms.every((m) => ALL_MECHANISMS.includes(m as HttpMechanism))) {
        throw new Error(`${at}: "mechanisms" must be a list of ${ALL_MECHANISMS.join(', ')}`);
      }
    }
    if (o.sddl !== undefined && typeof o.sddl !== 'string') throw new Error(`${at}: "sddl" must be a string`);
    if (o.groups !== undefined && !(Array.isArray(o.groups) && o.groups.every((g) => typeof g === 'string'))) throw new Error(`${at}: "groups" must be a list of strings`);
    return o as unknown as HttpRule;
  });
}

/** 'ADDR:PORT', '[v6]:PORT' or ':PORT' (loopback). */
export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(v);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) throw new Error(`--listen: expected ADDR:PORT, got ${v}`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export function registerHttp(program: Command): void {
  program
    .command('http')
    .description('serve a directory of files on this member server behind Negotiate, NTLM, Digest, Basic and TLS client certificates')
    .requiredOption('--member <file>', 'member state file written by `authso join`')
    .requiredOption('--root <dir>', 'directory of files to serve')
    .option('--rules <file>', 'JSON rules, first match wins: [{"path":"/private/*","auth":"required","mechanisms":[...],"sddl":"D:(A;;GA;;;AU)"}]')
    .requiredOption('--listen <addr:port>', 'address and port to listen on')
    .option('--tls-cert <file>', 'serve https with this certificate (PEM)')
    .option('--tls-key <file>', 'the certificate key (PEM)')
    .option('--client-ca <file>', 'request TLS client certificates issued by these CAs (PEM) and map them to accounts at the DC')
    .option('--mechanisms <list>', 'comma-separated mechanisms to offer (default: Negotiate,NTLM,Digest,Basic and Certificate with --client-ca)')
    .option('--basic-over-http', 'also offer Basic without TLS (the password travels in the clear)')
    .option('--extended-protection <mode>', 'TLS channel binding: off, when-supported or required', 'when-supported')
    .option('--quiet', 'do not print an audit line per request')
    .action(async (o: HttpCliOptions) => {
      let listen: { host: string; port: number };
      try {
        listen = parseListen(o.listen);
      } catch (e) {
        return fail((e as Error).message);
      }
      if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) fail('--tls-cert and --tls-key go together');
      if (o.clientCa !== undefined && o.tlsCert === undefined) fail('--client-ca needs --tls-cert and --tls-key');
      if (!['off', 'when-supported', 'required'].includes(o.extendedProtection)) fail(`--extended-protection: off, when-supported or required, not ${o.extendedProtection}`);
      const rules = o.rules === undefined ? undefined : await readFile(o.rules, 'utf8').then((t) => parseRulesFile(t, o.rules as string), (e: Error) => fail(`cannot read the rules: ${e.message}`));
      const files = await createStaticHandler(o.root).catch((e: Error) => fail(`--root: ${e.message}`));
      const tls =
        o.tlsCert !== undefined
          ? {
              cert: await readFile(o.tlsCert).catch((e: Error) => fail(`--tls-cert: ${e.message}`)),
              key: await readFile(o.tlsKey as string).catch((e: Error) => fail(`--tls-key: ${e.message}`)),
              ca: o.clientCa === undefined ? undefined : await readFile(o.clientCa).catch((e: Error) => fail(`--client-ca: ${e.message}`)),
            }
          : undefined;
      const member = await loadMemberState(o.member).catch((e: Error) => fail(`cannot load the member state: ${e.message}`));
      const out = (v: object) => process.stdout.write(JSON.stringify(v) + '\n');
      let auth: HttpAuthenticator;
      try {
        // MS-AUTHSO 3.1: the DC maps the certificate (S4U2Self carrying it, as Windows' certificate logon does).
        const certificates: CertificateMapper | undefined = tls?.ca ? new S4uCertificateMapper(member) : undefined;
        const base = memberHttpAuthenticatorOptions(member, { certificates });
        let mechanisms = base.mechanisms;
        if (o.mechanisms !== undefined) {
          const want = o.mechanisms.split(',').map((m) => m.trim());
          const bad = want.filter((m) => !ALL_MECHANISMS.includes(m as HttpMechanism));
          if (bad.length > 0) fail(`--mechanisms: unknown ${bad.join(', ')} (known: ${ALL_MECHANISMS.join(', ')})`);
          mechanisms = want as HttpMechanism[];
        }
        auth = createHttpAuthenticator({
          ...base,
          mechanisms,
          rules,
          basicOverHttp: o.basicOverHttp === true,
          extendedProtection: o.extendedProtection as 'off' | 'when-supported' | 'required',
          logger: o.quiet ? undefined : (line) => process.stdout.write(`${line}\n`),
        });
      } catch (e) {
        member.close();
        return fail(`bad configuration: ${(e as Error).message}`);
      }
      const handle = (req: IncomingMessage, res: ServerResponse) => {
        auth
          .handler(req, res)
          .then((ok) => (ok ? files(req, res) : undefined))
          .catch((e: unknown) => {
            process.stderr.write(`authso http: internal error: ${e instanceof Error ? e.name : 'error'}\n`);
            if (!res.headersSent) {
              res.statusCode = 500;
              res.setHeader('Connection', 'close');
              res.end('500 Internal Server Error\n');
            } else res.destroy();
          });
      };
      // Kerberos tokens with large PACs outgrow Node's 16 KiB default; IIS allows 64 KiB fields.
      const maxHeaderSize = 128 * 1024;
      const server: Server = tls
        ? createHttpsServer({ cert: tls.cert, key: tls.key, maxHeaderSize, requestCert: tls.ca !== undefined, rejectUnauthorized: false, ca: tls.ca }, handle)
        : createServer({ maxHeaderSize }, handle);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listen.port, listen.host, () => resolve());
      }).catch((e: Error) => {
        member.close();
        return fail(`cannot listen on ${o.listen}: ${e.message}`);
      });
      const a = server.address() as AddressInfo;
      out({
        event: 'ready',
        url: `${tls ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/`,
        listen: `${a.address}:${a.port}`,
        tls: tls !== undefined,
        clientCertificates: tls?.ca !== undefined,
        member: member.state.accountName,
        domain: member.state.dnsDomainName,
        spns: memberHttpSpns(member),
        mechanisms: auth.mechanisms,
      });
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      member.close();
      out({ event: 'stopped' });
    });
}
