// RFC 7235 credentials parsing (the Authorization request header) and challenge formatting
// (WWW-Authenticate), for MS-AUTHSO 5.4.5 step 4 (extract ClientAuthMechanism and
// ClientAuthToken) and step 12 (the re-challenge).
//
//   credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]     (RFC 7235 2.1)
//
// Tolerant where real clients differ (scheme case, extra blanks around the parts, base64
// without padding), strict where a hostile peer could hurt: the header's size is capped and
// the scheme must be a token.

/** Larger Authorization headers are refused with 400 (a Kerberos ticket with a big PAC fits well under this). */
export const MAX_AUTHORIZATION_BYTES = 64 * 1024;

export class HttpAuthError extends Error {
  constructor(
    readonly status: 400 | 401,
    message: string,
  ) {
    super(message);
    this.name = 'HttpAuthError';
  }
}

export interface Credentials {
  /** The scheme as sent (compare case-insensitively, RFC 7235 2.1). */
  scheme: string;
  /** The scheme lower-cased. */
  schemeLower: string;
  /** The token68 form (Negotiate, NTLM, Basic), when the credentials are one. */
  token68?: string;
  /** The auth-param form (Digest), names lower-cased. */
  params?: Record<string, string>;
}

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Parses one Authorization header value. Returns undefined when the header is absent (step 5:
 * no authentication information). Throws HttpAuthError(400) for a header that is not
 * credentials at all or is too large.
 */
export function parseAuthorization(value: string | string[] | undefined): Credentials | undefined {
  if (value === undefined) return undefined;
  // Node joins repeated headers for most names but not this one; two Authorization headers
  // are ambiguous (which one did the client mean?), so they are refused.
  if (Array.isArray(value)) {
    if (value.length !== 1) throw new HttpAuthError(400, 'more than one Authorization header');
    value = value[0];
  }
  if (Buffer.byteLength(value, 'latin1') > MAX_AUTHORIZATION_BYTES) throw new HttpAuthError(400, 'Authorization header too large');
  const v = value.trim();
  if (v === '') return undefined;
  const sp = v.search(/[ \t]/);
  const scheme = sp < 0 ? v : v.slice(0, sp);
  if (!TCHAR.test(scheme)) throw new HttpAuthError(400, 'malformed Authorization scheme');
  const rest = sp < 0 ? '' : v.slice(sp).trim();
  const cred: Credentials = { scheme, schemeLower: scheme.toLowerCase() };
  if (rest === '') return cred;
  if (TOKEN68.test(rest)) {
    cred.token68 = rest;
    return cred;
  }
  cred.params = parseAuthParams(rest);
  return cred;
}

/** RFC 7235 2.1 #auth-param: name = token / quoted-string, comma separated (empty elements allowed, RFC 7230 7). */
export function parseAuthParams(s: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = 0;
  const n = s.length;
  const skipWs = () => {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  while (i < n) {
    skipWs();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i])) i++;
    const name = s.slice(start, i).toLowerCase();
    if (name === '') throw new HttpAuthError(400, 'malformed auth-param');
    skipWs();
    if (s[i] !== '=') throw new HttpAuthError(400, 'malformed auth-param');
    i++;
    skipWs();
    let val = '';
    if (s[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = s[i++];
        if (c === '\\' && i < n) val += s[i++];
        else if (c === '"') {
          closed = true;
          break;
        } else val += c;
      }
      if (!closed) throw new HttpAuthError(400, 'unterminated quoted-string in auth-param');
    } else {
      const vs = i;
      while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i])) i++;
      val = s.slice(vs, i);
    }
    if (name in out) throw new HttpAuthError(400, `auth-param ${name} repeated`);
    out[name] = val;
    skipWs();
    if (i < n && s[i] !== ',') throw new HttpAuthError(400, 'malformed auth-param list');
  }
  return out;
}

/**
 * Decodes a token68 as base64 (RFC 4648 4; padding optional as some clients omit it). A token
 * that is not base64 is a client error (400): it could never have been a mechanism token.
 */
export function decodeToken68(token: string | undefined): Buffer {
  if (token === undefined || token === '') throw new HttpAuthError(400, 'missing token');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token)) throw new HttpAuthError(400, 'token is not base64');
  const unpadded = token.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) throw new HttpAuthError(400, 'token is not base64');
  return Buffer.from(unpadded, 'base64');
}

/** RFC 7230 3.2.6 quoted-string: backslash-escape quote and backslash. */
export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A WWW-Authenticate challenge: a bare scheme, scheme + token68, or scheme + auth-params (RFC 7235 4.1). */
export function formatChallenge(scheme: string, data?: Buffer | Record<string, string>): string {
  if (data === undefined) return scheme;
  if (Buffer.isBuffer(data)) return data.length === 0 ? scheme : `${scheme} ${data.toString('base64')}`;
  const params = Object.entries(data).map(([k, v]) => `${k}=${quote(v)}`);
  return params.length === 0 ? scheme : `${scheme} ${params.join(', ')}`;
}
