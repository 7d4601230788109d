// The HTTP Access Authentication server task (MS-AUTHSO 5.3.8, 5.4.5 steps 1–12) as a library:
// one decision per request, applied by thin adapters for Node's http/https servers, Express
// and Fastify.
//
//   1–3  the resource from the request target; anonymous resources pass
//   4–6  the Authorization header; a scheme not configured for the resource is re-challenged
//   7    Negotiate (RFC 4559, MS-SPNG), NTLM (MS-NLMP over HTTP), Basic (RFC 7617, TLS only),
//        Digest (RFC 7616 / MS-DPSP, validated by the domain: MS-APDS 3.3)
//   8    a mechanism error → step 12
//   9    more legs needed → 401 with the next token
//   10–11 the access check of the LogonToken against the rule's security descriptor → 200 / 403
//   12   401 re-challenging with every mechanism the resource accepts
//
// Anything unexpected is a 500 with no detail (the audit log has it) and the server carries on.

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { KdcAddress } from '../kerberos/client/transport.js';
import { channelBindingsHash, type ChannelBindings } from '../kerberos/gss/checksum.js';
import { KerberosAcceptor, type ServiceKey } from '../kerberos/gss/index.js';
import type { ReplayCache } from '../kerberos/kdc/replay-cache.js';
import { NtlmAcceptor } from '../ntlm/index.js';
import { SEC_E, SecurityError, type DomainAuthority, type LogonToken, type SecurityContext } from '../security/types.js';
import { NegotiateAcceptor } from '../spnego/index.js';
import { DigestFormatError, NonceManager, authenticationInfo, parseDigestParams } from '../digest/index.js';
import { HttpAuthError, decodeToken68, formatChallenge, parseAuthorization, quote, type Credentials } from './authorization.js';
import { parseBasic, validateBasic } from './basic.js';
import type { CertificateMapper } from './certificate.js';
import { ConnectionStates } from './connection-state.js';
import { tlsServerEndPointBindings } from './channel-binding.js';
import { accessAllowed, compileRules, ruleFor, type CompiledRule, type HttpMechanism, type HttpRule } from './rules.js';

export interface ServerNames {
  /** 'WEB' (MsvAvNbComputerName). */
  netbiosComputerName: string;
  /** 'web.example.test' (MsvAvDnsComputerName; also the default SPN host). */
  dnsComputerName: string;
  /** 'EXAMPLE'. */
  netbiosDomainName: string;
  /** 'example.test'. */
  dnsDomainName: string;
}

export interface HttpAuthenticatorOptions {
  /** Who validates NTLM responses and PAC KDC signatures: the DC's DirectoryAuthority, or a member's Netlogon one. */
  authority: DomainAuthority;
  /** Service keys for HTTP/<name> (MIT keytab bytes or a path, read once). Needed for Negotiate/Kerberos and Basic. */
  keytab?: Buffer | string;
  /**
   * Service keys given directly, asked for per handshake so a rotation is picked up (a member
   * server's machine keys: LoadedMember.serviceKeys). Instead of, or besides, the keytab.
   */
  serviceKeys?: () => ServiceKey[];
  /**
   * Accept only tickets for this SPN (or one of these); Basic asks for tickets to the first.
   * Default 'HTTP/<dnsComputerName>'.
   */
  servicePrincipal?: string | readonly string[];
  /** This server's and its domain's names (NTLM target info). */
  names: ServerNames;
  /** For Basic: the realm and a KDC of it. */
  realm?: string;
  kdc?: KdcAddress;
  /** The domain SID for domain-relative SDDL aliases (DA, DU...); default: the caller's own domain. */
  domainSid?: string;
  rules?: HttpRule[];
  /** Mechanisms offered; default every one the options make possible (Negotiate, NTLM, Basic). Digest is opt-in, as on IIS. */
  mechanisms?: HttpMechanism[];
  /** RFC 7617 4: Basic sends the password in the clear; default false = only over TLS. */
  basicOverHttp?: boolean;
  /** The Basic realm= parameter (RFC 7617 2); default the DNS domain name. */
  basicRealm?: string;
  /**
   * The Digest realm= parameter (RFC 7616 3.3); default the DNS domain name, one of the realm
   * spellings the domain keeps WDigest hashes for (MS-SAMR 3.1.1.8.11.3.1).
   */
  digestRealm?: string;
  /** How long a Digest nonce is good for before stale=true (default 300 s). */
  digestNonceLifetimeMs?: number;
  /** Most Digest nonces tracked for nc replay detection (default 100 000). */
  digestMaxNonces?: number;
  /**
   * TLS client certificates ('Certificate'): maps a certificate the TLS layer verified
   * (https server with requestCert and ca) to an account, e.g. DirectoryCertificateMapper.
   */
  certificates?: CertificateMapper;
  /** One JSON audit line per success or failure (never a secret). */
  logger?: (line: string) => void;
  /** Bound on connections with a handshake in progress (default 10000). */
  maxPendingHandshakes?: number;
  /** A handshake not finished in this time restarts (default 60 s). */
  handshakeTimeoutMs?: number;
  /** Match rule paths case-sensitively (default false: Express and IIS route case-insensitively). */
  caseSensitivePaths?: boolean;
  /**
   * Extended Protection over https (RFC 5929 tls-server-end-point channel bindings in the
   * Kerberos authenticator and NTLM's MsvAvChannelBindings): 'when-supported' (default) refuses
   * a client whose bindings name another TLS channel and lets through clients that send none;
   * 'required' also refuses those; 'off' ignores them. Plain http has no channel to bind.
   */
  extendedProtection?: 'off' | 'when-supported' | 'required';
  /**
   * NTLM and Negotiate authenticate the keep-alive connection (MS-NTHT 2; IIS's default): later
   * requests on it without an Authorization header carry the same token, access-checked per
   * resource. Default true; false asks every request to authenticate again.
   */
  persistConnectionAuth?: boolean;
  /**
   * Kerberos authenticators seen (RFC 4120 3.2.3 replay detection); default one per process.
   * Several processes serving the same SPN (node:cluster) each have their own: an AP-REQ
   * captured on one would be accepted once by each other within the clock skew. Run one
   * process per SPN, or give each a ReplayCache backed by something they share.
   */
  replayCache?: ReplayCache;
}

/** What a successful request carries on: `req.authso`. */
export interface AuthsoRequestInfo {
  token?: LogonToken;
  mechanism?: HttpMechanism;
  /** The client's name as the mechanism gives it ('alice@EXAMPLE.TEST', 'EXAMPLE\\alice'). */
  user?: string;
  anonymous: boolean;
}

export type AuthenticatedRequest = IncomingMessage & { authso?: AuthsoRequestInfo };

/** The outcome for one request: continue (with headers to add), or answer with this status. */
export interface Decision {
  status: 200 | 400 | 401 | 403 | 500 | 503;
  /** Header name → value(s), e.g. WWW-Authenticate. */
  headers: Record<string, string | string[]>;
  info?: AuthsoRequestInfo;
}

export interface HttpAuthenticator {
  /** The decision alone (for other frameworks). */
  authenticate(req: IncomingMessage): Promise<Decision>;
  /**
   * Node http/https: resolves true when the request may proceed (req.authso set, `next` called
   * if given), false when the response has been sent.
   */
  handler(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): Promise<boolean>;
  /** Express: app.use(auth.expressMiddleware). */
  expressMiddleware(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
  /** Fastify: app.addHook('onRequest', auth.fastifyHook). */
  fastifyHook(request: FastifyLikeRequest, reply: FastifyLikeReply): Promise<void>;
  /** Connections with a handshake in progress. */
  readonly pendingHandshakes: number;
  /** The mechanisms configured (what resources may offer). */
  readonly mechanisms: readonly HttpMechanism[];
}

export interface FastifyLikeRequest {
  raw: IncomingMessage;
  authso?: AuthsoRequestInfo;
}
export interface FastifyLikeReply {
  code(status: number): FastifyLikeReply;
  header(name: string, value: string | string[]): FastifyLikeReply;
  send(body?: string): unknown;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function isTls(req: IncomingMessage): boolean {
  return (req.socket as Partial<TLSSocket>).encrypted === true;
}

/** Step 1: the resource from the request target (RFC 7230 5.3), decoded and normalised. */
export function resourcePath(target: string | undefined, caseSensitive = false): string {
  const t = target ?? '/';
  if (t === '*') return '*';
  let url: URL;
  try {
    // Origin form is the usual; absolute form (proxies) is accepted too. Prefixing keeps
    // '//x/y' a path rather than a scheme-relative URL.
    url = t.startsWith('/') ? new URL(`http://h${t}`) : new URL(t);
  } catch {
    throw new HttpAuthError(400, 'bad request target');
  }
  let p: string;
  try {
    p = decodeURIComponent(url.pathname);
  } catch {
    throw new HttpAuthError(400, 'bad percent-encoding in the request target');
  }
  if (p.includes('\0')) throw new HttpAuthError(400, 'NUL in the request target');
  // Decoding may expose new dot segments ('%2e%2e' is handled by URL, '%2f..' is not).
  const out: string[] = [];
  for (const seg of p.split(/[/\\]+/)) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const norm = `/${out.join('/')}${p.endsWith('/') && out.length > 0 ? '/' : ''}`;
  return caseSensitive ? norm : norm.toLowerCase();
}

function isNtlmNegotiate(b: Buffer): boolean {
  return b.length >= 12 && b.subarray(0, 8).toString('latin1') === 'NTLMSSP\0' && b.readUInt32LE(8) === 1;
}

interface AuditFields {
  result: 'success' | 'failure' | 'denied' | 'error';
  mechanism?: string;
  user?: string;
  resource: string;
  method?: string;
  /** The request (its peer address goes in the line as `remote`). */
  req?: IncomingMessage;
  status: number;
  reason?: string;
}

export function createHttpAuthenticator(o: HttpAuthenticatorOptions): HttpAuthenticator {
  const keytab = typeof o.keytab === 'string' ? readFileSync(o.keytab) : o.keytab;
  const spns = typeof o.servicePrincipal === 'string' ? [o.servicePrincipal] : [...(o.servicePrincipal ?? [`HTTP/${o.names.dnsComputerName}`])];
  if (spns.length === 0) throw new TypeError('servicePrincipal: at least one SPN');
  const hasKeys = keytab !== undefined || o.serviceKeys !== undefined;
  const keysNow = (): { keytab?: Buffer; keys?: ServiceKey[] } => ({ keytab, keys: o.serviceKeys?.() });
  const possible: HttpMechanism[] = ['Negotiate', 'NTLM'];
  if (hasKeys && o.kdc && o.realm) possible.push('Basic');
  if (o.certificates) possible.push('Certificate');
  const mechanisms = o.mechanisms ?? possible;
  for (const m of mechanisms) {
    if (m === 'Digest' && typeof o.authority.validateDigest !== 'function') throw new TypeError('Digest needs an authority that validates Digest (validateDigest)');
    if (m === 'Certificate' && !o.certificates) throw new TypeError('Certificate needs a certificate mapper (options.certificates)');
    if (m === 'Basic' && !(hasKeys && o.kdc && o.realm)) throw new TypeError('Basic needs service keys (keytab), kdc and realm (it is validated by a Kerberos AS exchange)');
  }
  const rules = compileRules(o.rules, mechanisms, o.caseSensitivePaths === true);
  const states = new ConnectionStates(o.maxPendingHandshakes ?? 10_000, o.handshakeTimeoutMs ?? 60_000);
  const basicRealm = o.basicRealm ?? o.names.dnsDomainName;
  const digestRealm = o.digestRealm ?? o.names.dnsDomainName;
  const nonces = new NonceManager({ lifetimeMs: o.digestNonceLifetimeMs, maxTracked: o.digestMaxNonces });
  const log = o.logger ?? (() => {});

  const ep = o.extendedProtection ?? 'when-supported';
  /** The name a failed handshake claimed (audit only). */
  const claimedBy = new WeakMap<SecurityError, string>();
  const persist = o.persistConnectionAuth !== false;
  const newNtlm = (cb?: ChannelBindings): SecurityContext =>
    new NtlmAcceptor({
      authority: o.authority,
      netbiosComputerName: o.names.netbiosComputerName,
      netbiosDomainName: o.names.netbiosDomainName,
      dnsComputerName: o.names.dnsComputerName,
      dnsDomainName: o.names.dnsDomainName,
      channelBindings: cb ? channelBindingsHash(cb) : undefined,
      channelBindingsLenient: ep !== 'required',
    });
  const newKerberos = hasKeys
    ? (cb?: ChannelBindings): SecurityContext =>
        new KerberosAcceptor({
          ...keysNow(),
          servicePrincipal: spns,
          authority: o.authority,
          channelBindings: cb,
          strictChannelBindings: ep === 'required',
          replayCache: o.replayCache,
        })
    : undefined;
  const newNegotiate = (cb?: ChannelBindings): SecurityContext =>
    new NegotiateAcceptor({
      kerberos: newKerberos ? () => newKerberos(cb) : undefined,
      ntlm: mechanisms.includes('NTLM') || !newKerberos ? () => newNtlm(cb) : undefined,
    });

  /** Per connection: its certificate does not change, and getCertificate() builds a whole object. */
  const socketBindings = new WeakMap<Socket, ChannelBindings | null>();
  /** The channel bindings of a TLS connection (its server certificate), or none. */
  function bindingsOf(socket: Socket): ChannelBindings | undefined {
    if (ep === 'off') return undefined;
    const known = socketBindings.get(socket);
    if (known !== undefined) return known ?? undefined;
    const tls = socket as Partial<TLSSocket>;
    let cb: ChannelBindings | null = null;
    if (tls.encrypted === true && typeof tls.getCertificate === 'function') {
      const cert = tls.getCertificate();
      const raw = cert && 'raw' in cert ? (cert.raw as Buffer | undefined) : undefined;
      if (raw) cb = tlsServerEndPointBindings(raw);
    }
    socketBindings.set(socket, cb);
    return cb ?? undefined;
  }

  function audit(f: AuditFields): void {
    // Nothing is formatted (not even the peer address asked of the socket) when nobody listens.
    if (!o.logger) return;
    try {
      const { req, ...rest } = f;
      log(JSON.stringify({ time: new Date().toISOString(), event: 'http-auth', ...rest, remote: req?.socket.remoteAddress }));
    } catch {
      // A failing logger must not fail the request.
    }
  }

  /** The mechanisms this resource accepts on this connection (Basic only over TLS, RFC 7617 4). */
  function allowed(rule: CompiledRule, req: IncomingMessage): HttpMechanism[] {
    return (rule.mechanisms ?? mechanisms).filter((m) => mechanisms.includes(m) && (m !== 'Basic' || o.basicOverHttp || isTls(req)));
  }

  /** Step 12: one WWW-Authenticate header per mechanism (RFC 7235 4.1 allows either form; separate headers suit every client). */
  function challenge(rule: CompiledRule, req: IncomingMessage, extra: Record<string, string | string[]> = {}, stale = false): Decision {
    const h: string[] = [];
    for (const m of allowed(rule, req)) {
      if (m === 'Negotiate') h.push('Negotiate');
      else if (m === 'NTLM') h.push('NTLM');
      else if (m === 'Basic') h.push(formatChallenge('Basic', { realm: basicRealm, charset: 'UTF-8' }));
      else if (m === 'Digest') h.push(digestChallenge(stale));
    }
    // RFC 7235 3.1: a 401 must carry a challenge. With none to offer (a resource only for
    // client certificates, or Basic-only over plain http) the answer is 403.
    if (h.length === 0) return { status: 403, headers: extra };
    return { status: 401, headers: { ...extra, 'WWW-Authenticate': h } };
  }

  /**
   * RFC 7616 3.3: a fresh nonce each time; algorithm and stale are tokens (unquoted, as the RFC
   * writes them — some clients do not accept them quoted). Only MD5 is announced; MD5-sess is
   * accepted too (MS-DPSP).
   */
  function digestChallenge(stale: boolean): string {
    const parts = [`realm=${quote(digestRealm)}`, 'qop="auth"', 'algorithm=MD5', `nonce="${nonces.issue()}"`, `opaque="${nonces.opaque}"`];
    if (stale) parts.push('stale=true');
    return `Digest ${parts.join(', ')}`;
  }

  /**
   * Step 7 for Digest (RFC 7616 3.4; MS-DPSP 3.1.5): the request's own checks here (realm,
   * opaque, uri = the request target, nonce authenticity / age / nc), the response itself by
   * the domain (MS-APDS 3.3), so bad passwords count and lockout applies there. The nonce is
   * checked before the domain is asked: a stale or replayed request never reaches the DC and
   * never counts as a bad password. The nc is recorded only after the domain accepted it.
   */
  async function byDigest(rule: CompiledRule, req: IncomingMessage, resource: string, cred: Credentials): Promise<Decision> {
    if (!cred.params) throw new HttpAuthError(400, 'Digest credentials without auth-params');
    let p;
    try {
      p = parseDigestParams(cred.params);
    } catch (e) {
      if (e instanceof DigestFormatError) throw new HttpAuthError(400, e.message);
      throw e;
    }
    const base = { mechanism: 'Digest', user: p.username.slice(0, 256), resource, method: req.method, req };
    const fail = (reason: string, stale = false): Decision => {
      audit({ ...base, result: 'failure', status: 401, reason });
      return challenge(rule, req, {}, stale);
    };
    // RFC 7616 3.4.6: the digest covers this uri; it must be the request target itself, or a
    // captured response could be replayed against another resource.
    if (p.uri !== (req.url ?? '')) throw new HttpAuthError(400, 'Digest uri does not match the request target');
    if (p.realm !== digestRealm) return fail('Digest realm not ours');
    if (p.opaque !== undefined && p.opaque !== nonces.opaque) return fail('Digest opaque not ours');
    const pre = nonces.precheck(p.nonce, p.ncValue);
    if (pre === 'stale') return fail('Digest nonce stale', true);
    if (pre !== 'ok') return fail(pre === 'replay' ? 'Digest nc replayed' : 'Digest nonce not ours');
    const validate = o.authority.validateDigest;
    if (!validate) throw new Error('Digest configured without validateDigest');
    let r;
    try {
      r = await validate.call(o.authority, {
        username: p.username,
        realm: p.realm,
        nonce: p.nonce,
        cnonce: p.cnonce,
        nc: p.nc,
        qop: p.qop,
        method: req.method ?? 'GET',
        uri: p.uri,
        response: p.response,
        algorithm: p.algorithm,
      });
    } catch (e) {
      if (e instanceof SecurityError && !isInternal(e)) return fail(reasonOf(e));
      throw e;
    }
    // Recorded only now, and re-checked: of two concurrent requests with the same nc, one wins.
    const used = nonces.use(p.nonce, p.ncValue);
    if (used !== 'ok') return fail(used === 'replay' ? 'Digest nc replayed' : 'Digest nonce not ours', used === 'stale');
    const headers: Record<string, string> = r.sessionKey ? { 'Authentication-Info': authenticationInfo(r.sessionKey, p, p.uri) } : {};
    return finish(rule, req, resource, 'Digest', r.token, `${r.token.domainName}\\${r.token.userName}`, headers);
  }

  /** Steps 10–11 for an authenticated caller. */
  function finish(rule: CompiledRule, req: IncomingMessage, resource: string, mechanism: HttpMechanism, token: LogonToken, user: string, headers: Record<string, string>): Decision {
    const who = user || `${token.domainName}\\${token.userName}`;
    const base = { mechanism, user: who, resource, method: req.method, req };
    if (!accessAllowed(rule, token, o.domainSid)) {
      audit({ ...base, result: 'denied', status: 403, reason: 'access check' });
      return { status: 403, headers };
    }
    audit({ ...base, result: 'success', status: 200 });
    return { status: 200, headers, info: { token, mechanism, user: who, anonymous: false } };
  }

  /** Step 7 and 9 for the connection-bound schemes (Negotiate, NTLM). */
  async function stepConnection(
    scheme: 'negotiate' | 'ntlm',
    cred: Credentials,
    req: IncomingMessage,
  ): Promise<{ done: false; output?: Buffer } | { done: true; ctx: SecurityContext; output?: Buffer } | { busy: true }> {
    const input = decodeToken68(cred.token68);
    const socket: Socket = req.socket;
    const pending = states.get(socket);
    // A first token (GSS InitialContextToken, RFC 2743 3.1; or an NTLM NEGOTIATE_MESSAGE)
    // starts over, whatever was pending: clients restart after a failure or on a new request.
    const fresh = input[0] === 0x60 || isNtlmNegotiate(input) || !pending || pending.scheme !== scheme;
    let ctx: SecurityContext;
    if (fresh) {
      states.delete(socket);
      states.forget(socket);
      const cb = bindingsOf(socket);
      ctx = scheme === 'ntlm' ? newNtlm(cb) : newNegotiate(cb);
    } else {
      ctx = pending.ctx;
    }
    let step;
    try {
      step = await ctx.step(input);
    } catch (e) {
      states.delete(socket);
      if (e instanceof SecurityError && ctx.claimedName !== undefined) claimedBy.set(e, ctx.claimedName);
      throw e;
    }
    if (step.done) {
      states.delete(socket);
      return { done: true, ctx, output: step.output };
    }
    if (!states.set(socket, { scheme, ctx, created: Date.now() })) return { busy: true };
    return { done: false, output: step.output };
  }

  /**
   * Step 7 for a TLS client certificate: only one the TLS layer verified against the server's
   * trusted CAs (socket.authorized). Undefined when the connection has none (then step 12).
   */
  async function byCertificate(rule: CompiledRule, req: IncomingMessage, resource: string): Promise<Decision | undefined> {
    const sock = req.socket as Partial<TLSSocket>;
    if (sock.encrypted !== true || typeof sock.getPeerCertificate !== 'function') return undefined;
    const cert = sock.getPeerCertificate();
    if (!cert || !cert.raw) return undefined;
    const base = { mechanism: 'Certificate', resource, method: req.method, req };
    if (sock.authorized !== true) {
      audit({ ...base, result: 'failure', status: 401, reason: 'certificate not trusted' });
      return undefined;
    }
    try {
      const token = await (o.certificates as CertificateMapper).mapCertificate(cert.raw);
      return finish(rule, req, resource, 'Certificate', token, token.upn ?? '', {});
    } catch (e) {
      if (e instanceof SecurityError && !isInternal(e)) {
        audit({ ...base, result: 'failure', status: 401, reason: reasonOf(e) });
        return undefined;
      }
      throw e;
    }
  }

  async function authenticate(req: IncomingMessage): Promise<Decision> {
    let resource = '';
    let mech: string | undefined;
    try {
      // Steps 1–3.
      resource = resourcePath(req.url, o.caseSensitivePaths === true);
      const rule = ruleFor(rules, resource);
      if (rule.auth === 'anonymous') return { status: 200, headers: {}, info: { anonymous: true } };
      // Steps 4–5.
      const cred = parseAuthorization(req.headers.authorization);
      if (!cred) {
        // A connection NTLM or Negotiate authenticated carries its logon on (persistConnectionAuth).
        const held = persist ? states.authenticated(req.socket) : undefined;
        if (held && allowed(rule, req).includes(held.mechanism)) return finish(rule, req, resource, held.mechanism, held.token, held.user, {});
        if (allowed(rule, req).includes('Certificate')) {
          const d = await byCertificate(rule, req, resource);
          if (d) return d;
        }
        return challenge(rule, req);
      }
      // Step 6: the scheme must be one the resource accepts here.
      const ok = allowed(rule, req);
      const byScheme: Record<string, HttpMechanism> = { negotiate: 'Negotiate', ntlm: 'NTLM', basic: 'Basic', digest: 'Digest' };
      const m = byScheme[cred.schemeLower];
      mech = m ?? cred.scheme.slice(0, 32);
      if (!m || !ok.includes(m)) {
        audit({ result: 'failure', mechanism: mech, resource, method: req.method, req, status: 401, reason: 'mechanism not allowed' });
        return challenge(rule, req);
      }
      // Step 7.
      if (m === 'Digest') return await byDigest(rule, req, resource, cred);
      if (m === 'Basic') {
        const c = parseBasic(cred.token68);
        try {
          const token = await validateBasic(c, {
            kdc: o.kdc as KdcAddress,
            realm: o.realm as string,
            servicePrincipal: spns[0],
            acceptedPrincipals: spns,
            ...keysNow(),
            authority: o.authority,
            netbiosDomainName: o.names.netbiosDomainName,
            dnsDomainName: o.names.dnsDomainName,
          });
          return finish(rule, req, resource, 'Basic', token, `${token.domainName}\\${token.userName}`, {});
        } catch (e) {
          if (e instanceof SecurityError && !isInternal(e)) {
            audit({ result: 'failure', mechanism: 'Basic', user: c.user.slice(0, 256), resource, method: req.method, req, status: 401, reason: reasonOf(e) });
            return challenge(rule, req);
          }
          throw e;
        }
      }
      const scheme = m === 'NTLM' ? 'ntlm' : 'negotiate';
      let r;
      try {
        r = await stepConnection(scheme, cred, req);
      } catch (e) {
        if (e instanceof SecurityError && !isInternal(e)) {
          // Step 8 → 12.
          audit({ result: 'failure', mechanism: m, user: claimedBy.get(e), resource, method: req.method, req, status: 401, reason: reasonOf(e) });
          return challenge(rule, req);
        }
        throw e;
      }
      if ('busy' in r) return { status: 503, headers: { 'Retry-After': '5' } };
      if (!r.done) {
        // Step 9: the next leg (NTLM CHALLENGE_MESSAGE, SPNEGO NegTokenResp).
        return { status: 401, headers: { 'WWW-Authenticate': formatChallenge(m, r.output ?? Buffer.alloc(0)) } };
      }
      const token = r.ctx.peer;
      if (!token) throw new Error('context established without a logon token');
      if (persist) states.remember(req.socket, { mechanism: m, token, user: r.ctx.peerName ?? '' });
      // RFC 4559 5: the final token (AP-REP for mutual authentication) rides on the response.
      const headers: Record<string, string> = r.output && r.output.length > 0 ? { 'WWW-Authenticate': formatChallenge(m, r.output) } : {};
      return finish(rule, req, resource, m, token, r.ctx.peerName ?? '', headers);
    } catch (e) {
      if (e instanceof HttpAuthError) {
        audit({ result: 'failure', mechanism: mech, resource, method: req.method, req, status: e.status, reason: e.message });
        if (e.status === 401) return challenge(ruleFor(rules, resource || '/'), req);
        return { status: 400, headers: {} };
      }
      // Only the SSPI code or the error's class goes to the audit log: a message could quote data.
      const reason = e instanceof SecurityError ? reasonOf(e) : e instanceof Error ? e.name : 'error';
      const unavailable = e instanceof SecurityError && e.code === SEC_E.NO_AUTHENTICATING_AUTHORITY;
      const status = unavailable ? 503 : 500;
      audit({ result: 'error', mechanism: mech, resource, method: req.method, req, status, reason });
      return unavailable ? { status, headers: { 'Retry-After': '10' } } : { status, headers: {} };
    }
  }

  async function handler(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): Promise<boolean> {
    const d = await authenticate(req);
    for (const [k, v] of Object.entries(d.headers)) res.setHeader(k, v);
    if (d.status === 200) {
      (req as AuthenticatedRequest).authso = d.info;
      next?.();
      return true;
    }
    // After a 400 or a 500 the connection's state is not to be trusted: close it.
    if (d.status === 500 || d.status === 400) res.setHeader('Connection', 'close');
    res.statusCode = d.status;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(`${d.status} ${STATUS_TEXT[d.status]}\n`);
    return false;
  }

  return {
    authenticate,
    handler,
    expressMiddleware(req, res, next) {
      handler(req, res, next).catch(next);
    },
    async fastifyHook(request, reply) {
      const d = await authenticate(request.raw);
      for (const [k, v] of Object.entries(d.headers)) reply.header(k, v);
      if (d.status === 200) {
        request.authso = d.info;
        (request.raw as AuthenticatedRequest).authso = d.info;
        return;
      }
      reply.code(d.status).header('Content-Type', 'text/plain; charset=utf-8').send(`${d.status} ${STATUS_TEXT[d.status]}\n`);
    },
    get pendingHandshakes() {
      return states.size;
    },
    mechanisms: [...mechanisms],
  };
}

/**
 * A mechanism's SEC_E_INTERNAL_ERROR (a bug) or SEC_E_NO_AUTHENTICATING_AUTHORITY (the DC or
 * KDC cannot be reached or failed) is not the client's doing: 500 / 503 rather than a 401 that
 * would tell the user their password is wrong.
 */
function isInternal(e: SecurityError): boolean {
  return e.code === SEC_E.INTERNAL_ERROR || e.code === SEC_E.NO_AUTHENTICATING_AUTHORITY;
}

/** The audit reason: the SSPI code and NTSTATUS / Kerberos error, never a token or a password. */
function reasonOf(e: SecurityError): string {
  const parts = [`0x${(e.code >>> 0).toString(16)}`];
  if (e.details.ntstatus !== undefined) parts.push(`ntstatus=0x${(e.details.ntstatus >>> 0).toString(16)}`);
  if (e.details.krbError !== undefined) parts.push(`krb=${e.details.krbError}`);
  return parts.join(' ');
}
