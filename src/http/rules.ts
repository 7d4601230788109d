// Per-resource rules: MS-AUTHSO 5.4.5 step 2 ("determines if authenticated access is required
// for the requested resource" — an implementation detail) and the security descriptor step 10
// checks the caller's token against. First matching rule wins; a request no rule matches gets
// the defaults (authentication required, every configured mechanism, Authenticated Users).

import { FILE_GENERIC_MAPPING, GENERIC_READ, accessCheckToken, parseSddl, parseSddlSid, type SecurityDescriptor } from '../dtyp/index.js';
import type { LogonToken } from '../security/types.js';

export type HttpMechanism = 'Negotiate' | 'NTLM' | 'Basic' | 'Digest' | 'Certificate';
export const ALL_MECHANISMS: readonly HttpMechanism[] = ['Negotiate', 'NTLM', 'Basic', 'Digest', 'Certificate'];

export interface HttpRule {
  /** '/private/*' (prefix), '/exact', '*' (everything). Matched against the decoded path, without the query. */
  path: string;
  auth?: 'required' | 'anonymous';
  /** Mechanisms this resource accepts (a subset of the authenticator's); default all configured. */
  mechanisms?: HttpMechanism[];
  /** Who may access (step 10); default D:(A;;GA;;;AU), any authenticated user. */
  sddl?: string;
  /** In addition to the SDDL: the caller must hold at least one of these group SIDs (or SDDL aliases such as 'DA'). */
  groups?: string[];
}

const SE_GROUP_USE_FOR_DENY_ONLY = 0x10;

export const DEFAULT_SDDL = 'D:(A;;GA;;;AU)';

export interface CompiledRule {
  rule: HttpRule;
  /** The path pattern as matched (lower-cased unless paths are case-sensitive). */
  pattern: string;
  auth: 'required' | 'anonymous';
  mechanisms?: readonly HttpMechanism[];
  /** Parsed lazily: domain-relative aliases (DA, DU...) need the domain SID. */
  sd(domainSid: string | undefined): SecurityDescriptor;
  groupSids(domainSid: string | undefined): string[] | undefined;
}

function matches(pattern: string, path: string): boolean {
  if (pattern === '*' || pattern === '/*') return true;
  if (pattern.endsWith('/*')) {
    const base = pattern.slice(0, -2);
    return path === base || path.startsWith(`${base}/`);
  }
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  return path === pattern;
}

/**
 * Validates the rules once (a bad SDDL is a configuration error, reported at start-up). With
 * case-insensitive paths (the default) the patterns are lower-cased like the request paths, so
 * that '/Admin/*' still protects '/admin/x'.
 */
export function compileRules(rules: readonly HttpRule[] | undefined, configured: readonly HttpMechanism[], caseSensitive = false): CompiledRule[] {
  return (rules ?? []).map((rule) => {
    if (typeof rule.path !== 'string' || !(rule.path.startsWith('/') || rule.path === '*')) {
      throw new TypeError(`rule path must start with '/' (or be '*'): ${String(rule.path)}`);
    }
    for (const m of rule.mechanisms ?? []) {
      if (!configured.includes(m)) throw new TypeError(`rule ${rule.path} names mechanism ${m}, which is not configured`);
    }
    return compileOne(rule, caseSensitive);
  });
}

function compileOne(rule: HttpRule, caseSensitive: boolean): CompiledRule {
  const sddl = rule.sddl ?? DEFAULT_SDDL;
  // Check the syntax now with a placeholder domain SID, so typos fail at start-up.
  parseSddl(sddl, { domainSid: 'S-1-5-21-1-2-3' });
  const sdCache = new Map<string, SecurityDescriptor>();
  const groupCache = new Map<string, string[]>();
  return {
    rule,
    pattern: caseSensitive ? rule.path : rule.path.toLowerCase(),
    auth: rule.auth ?? 'required',
    mechanisms: rule.mechanisms,
    sd(domainSid) {
      const k = domainSid ?? '';
      let sd = sdCache.get(k);
      if (!sd) {
        sd = parseSddl(sddl, domainSid ? { domainSid } : {});
        sdCache.set(k, sd);
      }
      return sd;
    },
    groupSids(domainSid) {
      if (!rule.groups) return undefined;
      const k = domainSid ?? '';
      let g = groupCache.get(k);
      if (!g) {
        g = rule.groups.map((s) => parseSddlSid(s, domainSid ? { domainSid } : {}));
        groupCache.set(k, g);
      }
      return g;
    },
  };
}

const DEFAULT_RULE = compileOne({ path: '*' }, true);

/** Step 1–2: the rule for a request path (first match wins, else the default). */
export function ruleFor(rules: readonly CompiledRule[], path: string): CompiledRule {
  return rules.find((r) => matches(r.pattern, path)) ?? DEFAULT_RULE;
}

/** The domain SID of a token: its user SID without the RID (undefined for tokens without SIDs). */
export function domainSidOf(token: LogonToken): string | undefined {
  const m = /^(S-1-5-21-\d+-\d+-\d+)-\d+$/.exec(token.userSid);
  return m ? m[1] : undefined;
}

/**
 * Step 10: the access check. GENERIC_READ mapped through the file mapping is what "may read this
 * resource" means here (IIS checks file ACLs the same way); GA in the SDDL grants it.
 */
export function accessAllowed(rule: CompiledRule, token: LogonToken, domainSid?: string): boolean {
  const dom = domainSid ?? domainSidOf(token);
  const groups = rule.groupSids(dom);
  if (groups) {
    // MS-DTYP 2.5.3.2: a deny-only group (SE_GROUP_USE_FOR_DENY_ONLY) never grants anything.
    const held = new Set([token.userSid, ...token.groups.filter((g) => (g.attributes & SE_GROUP_USE_FOR_DENY_ONLY) === 0).map((g) => g.sid)]);
    if (!groups.some((g) => held.has(g))) return false;
  }
  return accessCheckToken(rule.sd(dom), token, GENERIC_READ, FILE_GENERIC_MAPPING).allowed;
}
