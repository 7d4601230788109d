// MS-DTYP 2.4.2 security identifiers: the string form 'S-1-5-21-...' (2.4.2.1) and the binary
// form (2.4.2.2: Revision, SubAuthorityCount, 6-byte big-endian IdentifierAuthority, then
// SubAuthorityCount little-endian 32-bit sub-authorities).
//
// Only the canonical string form is accepted (decimal without leading zeros; an authority of
// 2^32 or more as '0x' + 12 upper-case hex digits, as ConvertSidToStringSid writes it), so
// that two SID strings are equal exactly when the SIDs are: callers compare SIDs as strings.

/** Thrown on a malformed SID string or SID bytes. */
export class SidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SidError';
  }
}

/** MS-DTYP 2.4.2: SID_MAX_SUB_AUTHORITIES. */
export const SID_MAX_SUB_AUTHORITIES = 15;
/** MS-DTYP 2.4.2.2: the only defined SID revision. */
export const SID_REVISION = 1;

/** The parts of a SID (MS-DTYP 2.4.2.2), as the NDR RPC_SID marshalling needs them. */
export interface SidParts {
  revision: number;
  /** IdentifierAuthority as a 48-bit number (always a safe integer). */
  identifierAuthority: number;
  subAuthorities: number[];
}

const AUTHORITY_HEX_THRESHOLD = 2 ** 32; // MS-DTYP 2.4.2.1: at or above this, written in hex
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const HEX_AUTHORITY = /^0x[0-9A-F]{12}$/;

/** Parses a canonical SID string into its parts; throws SidError. */
export function parseSid(sid: string): SidParts {
  if (typeof sid !== 'string') throw new SidError('SID must be a string');
  if (sid.length > 200) throw new SidError('SID string too long');
  const parts = sid.split('-');
  if (parts[0] !== 'S') throw new SidError(`not a SID string: ${JSON.stringify(sid.slice(0, 40))}`);
  if (parts.length < 3) throw new SidError('SID string needs a revision and an identifier authority');
  if (parts[1] !== '1') throw new SidError(`unsupported SID revision ${JSON.stringify(parts[1])}`);
  const authText = parts[2];
  let identifierAuthority: number;
  if (DECIMAL.test(authText)) {
    identifierAuthority = Number(authText);
    if (identifierAuthority >= AUTHORITY_HEX_THRESHOLD) {
      throw new SidError('identifier authority of 2^32 or more must be written in hex (MS-DTYP 2.4.2.1)');
    }
  } else if (HEX_AUTHORITY.test(authText)) {
    identifierAuthority = parseInt(authText.slice(2), 16);
    if (identifierAuthority < AUTHORITY_HEX_THRESHOLD) {
      throw new SidError('identifier authority below 2^32 must be written in decimal (MS-DTYP 2.4.2.1)');
    }
  } else {
    throw new SidError(`bad identifier authority ${JSON.stringify(authText)}`);
  }
  const subAuthorities: number[] = [];
  for (let i = 3; i < parts.length; i++) {
    const p = parts[i];
    if (!DECIMAL.test(p) || p.length > 10) throw new SidError(`bad sub-authority ${JSON.stringify(p)}`);
    const n = Number(p);
    if (n > 0xffffffff) throw new SidError(`sub-authority ${p} exceeds 32 bits`);
    subAuthorities.push(n);
  }
  if (subAuthorities.length > SID_MAX_SUB_AUTHORITIES) {
    throw new SidError(`SID has ${subAuthorities.length} sub-authorities (at most ${SID_MAX_SUB_AUTHORITIES})`);
  }
  return { revision: SID_REVISION, identifierAuthority, subAuthorities };
}

/** Formats SID parts as the canonical string (MS-DTYP 2.4.2.1); throws SidError on bad parts. */
export function formatSid(parts: SidParts): string {
  if (parts.revision !== SID_REVISION) throw new SidError(`unsupported SID revision ${parts.revision}`);
  const a = parts.identifierAuthority;
  if (!Number.isSafeInteger(a) || a < 0 || a >= 2 ** 48) throw new SidError('identifier authority must be a 48-bit integer');
  if (parts.subAuthorities.length > SID_MAX_SUB_AUTHORITIES) {
    throw new SidError(`SID has ${parts.subAuthorities.length} sub-authorities (at most ${SID_MAX_SUB_AUTHORITIES})`);
  }
  for (const s of parts.subAuthorities) {
    if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) throw new SidError('sub-authority must be a 32-bit unsigned integer');
  }
  const auth = a >= AUTHORITY_HEX_THRESHOLD ? '0x' + a.toString(16).toUpperCase().padStart(12, '0') : String(a);
  return ['S', '1', auth, ...parts.subAuthorities.map(String)].join('-');
}

export function isValidSid(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  try {
    parseSid(s);
    return true;
  } catch {
    return false;
  }
}

/** MS-DTYP 2.4.2.2 binary form. */
export function sidToBytes(sid: string): Buffer {
  const p = parseSid(sid);
  const out = Buffer.alloc(8 + 4 * p.subAuthorities.length);
  out[0] = p.revision;
  out[1] = p.subAuthorities.length;
  out.writeUIntBE(p.identifierAuthority, 2, 6); // IdentifierAuthority is big-endian (2.4.1.1)
  p.subAuthorities.forEach((s, i) => out.writeUInt32LE(s, 8 + 4 * i));
  return out;
}

/** Reads a binary SID at offset; returns its string and its length in bytes. Throws SidError. */
export function sidFromBytes(buf: Buffer, offset = 0): { sid: string; length: number } {
  if (!Number.isInteger(offset) || offset < 0 || offset > buf.length) throw new SidError('SID offset out of range');
  if (buf.length - offset < 8) throw new SidError('truncated SID header');
  const revision = buf[offset];
  const count = buf[offset + 1];
  if (revision !== SID_REVISION) throw new SidError(`unsupported SID revision ${revision}`);
  if (count > SID_MAX_SUB_AUTHORITIES) throw new SidError(`SID has ${count} sub-authorities (at most ${SID_MAX_SUB_AUTHORITIES})`);
  const length = 8 + 4 * count;
  if (buf.length - offset < length) throw new SidError('truncated SID sub-authorities');
  const subAuthorities: number[] = [];
  for (let i = 0; i < count; i++) subAuthorities.push(buf.readUInt32LE(offset + 8 + 4 * i));
  const sid = formatSid({ revision, identifierAuthority: buf.readUIntBE(offset + 2, 6), subAuthorities });
  return { sid, length };
}

/** Appends a relative identifier to a domain SID. */
export function sidWithRid(domainSid: string, rid: number): string {
  const p = parseSid(domainSid);
  if (!Number.isInteger(rid) || rid < 0 || rid > 0xffffffff) throw new SidError(`bad RID ${rid}`);
  p.subAuthorities.push(rid);
  return formatSid(p);
}

/** Splits off the last sub-authority (the RID). */
export function splitRid(sid: string): { domainSid: string; rid: number } {
  const p = parseSid(sid);
  const rid = p.subAuthorities.pop();
  if (rid === undefined) throw new SidError('SID has no sub-authority to split off');
  return { domainSid: formatSid(p), rid };
}

/** True when sid is domainSid plus exactly one RID. */
export function isSidInDomain(sid: string, domainSid: string): boolean {
  try {
    return splitRid(sid).domainSid === formatSid(parseSid(domainSid));
  } catch {
    return false;
  }
}

/** MS-DTYP 2.4.2.4 well-known SIDs that do not depend on a domain. */
export const WELL_KNOWN_SID = {
  NULL: 'S-1-0-0',
  EVERYONE: 'S-1-1-0',
  LOCAL: 'S-1-2-0',
  CONSOLE_LOGON: 'S-1-2-1',
  CREATOR_OWNER: 'S-1-3-0',
  CREATOR_GROUP: 'S-1-3-1',
  OWNER_RIGHTS: 'S-1-3-4',
  NT_AUTHORITY: 'S-1-5',
  DIALUP: 'S-1-5-1',
  NETWORK: 'S-1-5-2',
  BATCH: 'S-1-5-3',
  INTERACTIVE: 'S-1-5-4',
  SERVICE: 'S-1-5-6',
  ANONYMOUS: 'S-1-5-7',
  PROXY: 'S-1-5-8',
  ENTERPRISE_DOMAIN_CONTROLLERS: 'S-1-5-9',
  PRINCIPAL_SELF: 'S-1-5-10',
  AUTHENTICATED_USERS: 'S-1-5-11',
  RESTRICTED_CODE: 'S-1-5-12',
  TERMINAL_SERVER_USER: 'S-1-5-13',
  REMOTE_INTERACTIVE_LOGON: 'S-1-5-14',
  THIS_ORGANIZATION: 'S-1-5-15',
  IUSR: 'S-1-5-17',
  LOCAL_SYSTEM: 'S-1-5-18',
  LOCAL_SERVICE: 'S-1-5-19',
  NETWORK_SERVICE: 'S-1-5-20',
  OTHER_ORGANIZATION: 'S-1-5-1000',
  NTLM_AUTHENTICATION: 'S-1-5-64-10',
  SCHANNEL_AUTHENTICATION: 'S-1-5-64-14',
  DIGEST_AUTHENTICATION: 'S-1-5-64-21',
  THIS_ORGANIZATION_CERTIFICATE: 'S-1-5-65-1',
  BUILTIN: 'S-1-5-32',
  BUILTIN_ADMINISTRATORS: 'S-1-5-32-544',
  BUILTIN_USERS: 'S-1-5-32-545',
  BUILTIN_GUESTS: 'S-1-5-32-546',
  POWER_USERS: 'S-1-5-32-547',
  ACCOUNT_OPERATORS: 'S-1-5-32-548',
  SERVER_OPERATORS: 'S-1-5-32-549',
  PRINTER_OPERATORS: 'S-1-5-32-550',
  BACKUP_OPERATORS: 'S-1-5-32-551',
  REPLICATOR: 'S-1-5-32-552',
  ALIAS_PREW2KCOMPACC: 'S-1-5-32-554',
  REMOTE_DESKTOP: 'S-1-5-32-555',
  NETWORK_CONFIGURATION_OPS: 'S-1-5-32-556',
  INCOMING_FOREST_TRUST_BUILDERS: 'S-1-5-32-557',
  PERFMON_USERS: 'S-1-5-32-558',
  PERFLOG_USERS: 'S-1-5-32-559',
  WINDOWS_AUTHORIZATION_ACCESS_GROUP: 'S-1-5-32-560',
  TERMINAL_SERVER_LICENSE_SERVERS: 'S-1-5-32-561',
  DISTRIBUTED_COM_USERS: 'S-1-5-32-562',
  IIS_IUSRS: 'S-1-5-32-568',
  CRYPTOGRAPHIC_OPERATORS: 'S-1-5-32-569',
  EVENT_LOG_READERS: 'S-1-5-32-573',
  CERTIFICATE_SERVICE_DCOM_ACCESS: 'S-1-5-32-574',
  RDS_REMOTE_ACCESS_SERVERS: 'S-1-5-32-575',
  RDS_ENDPOINT_SERVERS: 'S-1-5-32-576',
  RDS_MANAGEMENT_SERVERS: 'S-1-5-32-577',
  HYPER_V_ADMINS: 'S-1-5-32-578',
  ACCESS_CONTROL_ASSISTANCE_OPS: 'S-1-5-32-579',
  REMOTE_MANAGEMENT_USERS: 'S-1-5-32-580',
  /** MS-DTYP 2.4.2.4 / MS-KILE 3.3.5.7.4: added by the KDC for a normal authentication. */
  AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY: 'S-1-18-1',
  /** Added instead of S-1-18-1 for an S4U2Self identity. */
  SERVICE_ASSERTED_IDENTITY: 'S-1-18-2',
  FRESH_PUBLIC_KEY_IDENTITY: 'S-1-18-3',
  KEY_TRUST_IDENTITY: 'S-1-18-4',
  KEY_PROPERTY_MFA: 'S-1-18-5',
  KEY_PROPERTY_ATTESTATION: 'S-1-18-6',
  /** MS-DTYP 2.4.2.4: compound identity and claims-valid markers (same value in every domain). */
  COMPOUNDED_AUTHENTICATION: 'S-1-5-21-0-0-0-496',
  CLAIMS_VALID: 'S-1-5-21-0-0-0-497',
  ML_UNTRUSTED: 'S-1-16-0',
  ML_LOW: 'S-1-16-4096',
  ML_MEDIUM: 'S-1-16-8192',
  ML_MEDIUM_PLUS: 'S-1-16-8448',
  ML_HIGH: 'S-1-16-12288',
  ML_SYSTEM: 'S-1-16-16384',
} as const;

/** MS-DTYP 2.4.2.4 well-known RIDs relative to a domain SID (sidWithRid(domainSid, RID)). */
export const DOMAIN_RID = {
  ADMINISTRATOR: 500,
  GUEST: 501,
  KRBTGT: 502,
  DEFAULT_ACCOUNT: 503,
  WDAG_UTILITY_ACCOUNT: 504,
  DOMAIN_ADMINS: 512,
  DOMAIN_USERS: 513,
  DOMAIN_GUESTS: 514,
  DOMAIN_COMPUTERS: 515,
  DOMAIN_CONTROLLERS: 516,
  CERT_PUBLISHERS: 517,
  SCHEMA_ADMINS: 518,
  ENTERPRISE_ADMINS: 519,
  GROUP_POLICY_CREATOR_OWNERS: 520,
  READONLY_DOMAIN_CONTROLLERS: 521,
  CLONEABLE_CONTROLLERS: 522,
  PROTECTED_USERS: 525,
  KEY_ADMINS: 526,
  ENTERPRISE_KEY_ADMINS: 527,
  RAS_SERVERS: 553,
  ALLOWED_RODC_PASSWORD_REPLICATION_GROUP: 571,
  DENIED_RODC_PASSWORD_REPLICATION_GROUP: 572,
  ENTERPRISE_READONLY_DOMAIN_CONTROLLERS: 498,
} as const;

/** MS-PAC 2.2.1 / MS-DTYP 2.4.2.4 SE_GROUP_* attribute bits used in GROUP_MEMBERSHIP. */
export const SE_GROUP = {
  MANDATORY: 0x00000001,
  ENABLED_BY_DEFAULT: 0x00000002,
  ENABLED: 0x00000004,
  OWNER: 0x00000008,
  USE_FOR_DENY_ONLY: 0x00000010,
  INTEGRITY: 0x00000020,
  INTEGRITY_ENABLED: 0x00000040,
  RESOURCE: 0x20000000,
  LOGON_ID: 0xc0000000,
  /** MANDATORY | ENABLED_BY_DEFAULT | ENABLED, what a KDC puts on ordinary group memberships. */
  DEFAULT: 0x00000007,
} as const;
