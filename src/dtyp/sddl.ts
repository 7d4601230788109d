// MS-DTYP 2.5.1 Security Descriptor Description Language: the text form of a security
// descriptor, e.g. 'O:BAG:SYD:PAI(A;OICIIO;GA;;;CO)(A;;FA;;;SY)(A;;0x1200a9;;;BU)'.
//
//   sddl      = [O:sid] [G:sid] [D:acl-flags aces] [S:acl-flags aces]       (2.5.1.1)
//   acl-flags = *("P" / "AI" / "AR") / "NO_ACCESS_CONTROL" (a NULL ACL)
//   ace       = "(" type ";" flags ";" rights ";" [object-guid] ";" [inherit-object-guid] ";" sid ")"
//
// Parsing accepts the components in any order (as Windows does), SIDs as canonical 'S-1-...'
// strings or two-letter aliases (2.5.1.1 sid-token; the domain-relative ones, DA, DU, LA, ...,
// need options.domainSid and the forest-root ones, EA, SA, EK, RO, options.rootDomainSid, which
// defaults to domainSid), rights as aliases or a hex/octal/decimal number. As
// ConvertStringSecurityDescriptorToSecurityDescriptor does, an OA ACE with neither GUID becomes a
// plain ACCESS_ALLOWED ACE, and the result has SE_SELF_RELATIVE set (and SE_DACL_PRESENT /
// SE_SACL_PRESENT with a D:/S: component), as the binary decoder would report it.
//
// Formatting follows ConvertSecurityDescriptorToStringSecurityDescriptor's output so that
// strings compare equal with what Windows prints: components in O, G, D, S order; ACL flags as
// P, AR, AI; ACE flags and single-bit rights aliases in ascending bit order (so GENERIC_READ |
// GENERIC_EXECUTE prints as 'GXGR' and a modify-style mask as 'SDGXGWGR'); a mask equal to one
// of FA/FR/FW/FX/KA/KR/KW prints as that alias; any mask with a bit no alias names prints as
// lower-case hex ('0x1200a9'); SIDs with an alias print as the alias (domain ones only when the
// domain SID is given). Control bits SDDL cannot express (SE_DACL_DEFAULTED, ...) are dropped.
//
// Conditional ACEs (XA, XD, ZA, XU) and resource attribute ACEs (RA) are not supported: parsing
// them, or formatting a callback ACE, throws DtypError.

import {
  DS_CONTROL_ACCESS,
  DS_CREATE_CHILD,
  DS_DELETE_CHILD,
  DS_DELETE_TREE,
  DS_LIST_CHILDREN,
  DS_LIST_OBJECT,
  DS_READ_PROPERTY,
  DS_SELF,
  DS_WRITE_PROPERTY,
  DELETE,
  FILE_ALL_ACCESS,
  FILE_GENERIC_EXECUTE,
  FILE_GENERIC_READ,
  FILE_GENERIC_WRITE,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_READ,
  GENERIC_WRITE,
  KEY_ALL_ACCESS,
  KEY_EXECUTE,
  KEY_READ,
  KEY_WRITE,
  READ_CONTROL,
  SYSTEM_MANDATORY_LABEL_NO_EXECUTE_UP,
  SYSTEM_MANDATORY_LABEL_NO_READ_UP,
  SYSTEM_MANDATORY_LABEL_NO_WRITE_UP,
  WRITE_DAC,
  WRITE_OWNER,
  isAccessMask,
} from './access-mask.js';
import { ACE_FLAG, ACE_TYPE, type Ace, isObjectAceType } from './ace.js';
import { type Acl, makeAcl } from './acl.js';
import { DtypError, asDtypError } from './error.js';
import { normalizeGuid } from './guid.js';
import {
  SE_DACL_AUTO_INHERITED,
  SE_DACL_AUTO_INHERIT_REQ,
  SE_DACL_PRESENT,
  SE_DACL_PROTECTED,
  SE_SACL_AUTO_INHERITED,
  SE_SACL_AUTO_INHERIT_REQ,
  SE_SACL_PRESENT,
  SE_SACL_PROTECTED,
  SE_SELF_RELATIVE,
  type SecurityDescriptor,
} from './security-descriptor.js';
import { formatSid, parseSid } from './sid.js';

export interface SddlOptions {
  /** The domain SID the domain-relative aliases (DA, DU, DG, DC, DD, CA, LA, LG, PA, RS, AP, KA, CN) stand for. */
  domainSid?: string;
  /** The forest root domain SID for EA, SA, EK and RO; defaults to domainSid. */
  rootDomainSid?: string;
}

/** MS-DTYP 2.5.1.1 sid-token aliases of SIDs that do not depend on a domain. */
export const SDDL_SID_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  AA: 'S-1-5-32-579', // Access Control Assistance Operators
  AC: 'S-1-15-2-1', // ALL APPLICATION PACKAGES
  AN: 'S-1-5-7', // Anonymous
  AO: 'S-1-5-32-548', // Account Operators
  AS: 'S-1-18-1', // Authentication authority asserted identity
  AU: 'S-1-5-11', // Authenticated Users
  BA: 'S-1-5-32-544', // BUILTIN\Administrators
  BG: 'S-1-5-32-546', // BUILTIN\Guests
  BO: 'S-1-5-32-551', // Backup Operators
  BU: 'S-1-5-32-545', // BUILTIN\Users
  CD: 'S-1-5-32-574', // Certificate Service DCOM Access
  CG: 'S-1-3-1', // CREATOR GROUP
  CO: 'S-1-3-0', // CREATOR OWNER
  CY: 'S-1-5-32-569', // Cryptographic Operators
  ED: 'S-1-5-9', // Enterprise Domain Controllers
  ER: 'S-1-5-32-573', // Event Log Readers
  ES: 'S-1-5-32-576', // RDS Endpoint Servers
  HA: 'S-1-5-32-578', // Hyper-V Administrators
  HI: 'S-1-16-12288', // High mandatory level
  IS: 'S-1-5-32-568', // IIS_IUSRS
  IU: 'S-1-5-4', // INTERACTIVE
  LS: 'S-1-5-19', // LOCAL SERVICE
  LU: 'S-1-5-32-559', // Performance Log Users
  LW: 'S-1-16-4096', // Low mandatory level
  ME: 'S-1-16-8192', // Medium mandatory level
  MP: 'S-1-16-8448', // Medium Plus mandatory level
  MS: 'S-1-5-32-577', // RDS Management Servers
  MU: 'S-1-5-32-558', // Performance Monitor Users
  NO: 'S-1-5-32-556', // Network Configuration Operators
  NS: 'S-1-5-20', // NETWORK SERVICE
  NU: 'S-1-5-2', // NETWORK
  OW: 'S-1-3-4', // OWNER RIGHTS
  PO: 'S-1-5-32-550', // Print Operators
  PS: 'S-1-5-10', // PRINCIPAL SELF
  PU: 'S-1-5-32-547', // Power Users
  RA: 'S-1-5-32-575', // RDS Remote Access Servers
  RC: 'S-1-5-12', // RESTRICTED
  RD: 'S-1-5-32-555', // Remote Desktop Users
  RE: 'S-1-5-32-552', // Replicator
  RM: 'S-1-5-32-580', // Remote Management Users
  RU: 'S-1-5-32-554', // Pre-Windows 2000 Compatible Access
  SI: 'S-1-16-16384', // System mandatory level
  SO: 'S-1-5-32-549', // Server Operators
  SS: 'S-1-18-2', // Service asserted identity
  SU: 'S-1-5-6', // SERVICE
  SY: 'S-1-5-18', // LOCAL SYSTEM
  UD: 'S-1-5-84-0-0-0-0-0', // USER MODE DRIVERS
  WD: 'S-1-1-0', // Everyone
  WR: 'S-1-5-33', // WRITE RESTRICTED
});

/** MS-DTYP 2.5.1.1 aliases relative to the domain SID (RIDs from 2.4.2.4). */
export const SDDL_DOMAIN_RID_ALIASES: Readonly<Record<string, number>> = Object.freeze({
  AP: 525, // Protected Users
  CA: 517, // Cert Publishers
  CN: 522, // Cloneable Domain Controllers
  DA: 512, // Domain Admins
  DC: 515, // Domain Computers
  DD: 516, // Domain Controllers
  DG: 514, // Domain Guests
  DU: 513, // Domain Users
  KA: 526, // Key Admins
  LA: 500, // Administrator
  LG: 501, // Guest
  PA: 520, // Group Policy Creator Owners
  RS: 553, // RAS and IAS Servers
});

/** MS-DTYP 2.5.1.1 aliases relative to the forest root domain SID. */
export const SDDL_ROOT_DOMAIN_RID_ALIASES: Readonly<Record<string, number>> = Object.freeze({
  EA: 519, // Enterprise Admins
  EK: 527, // Enterprise Key Admins
  RO: 498, // Enterprise Read-only Domain Controllers
  SA: 518, // Schema Admins
});

/** MS-DTYP 2.5.1.1 ace-rights aliases and the masks they stand for. */
export const SDDL_RIGHTS: Readonly<Record<string, number>> = Object.freeze({
  GA: GENERIC_ALL,
  GR: GENERIC_READ,
  GW: GENERIC_WRITE,
  GX: GENERIC_EXECUTE,
  RC: READ_CONTROL,
  SD: DELETE,
  WD: WRITE_DAC,
  WO: WRITE_OWNER,
  RP: DS_READ_PROPERTY,
  WP: DS_WRITE_PROPERTY,
  CC: DS_CREATE_CHILD,
  DC: DS_DELETE_CHILD,
  LC: DS_LIST_CHILDREN,
  SW: DS_SELF,
  LO: DS_LIST_OBJECT,
  DT: DS_DELETE_TREE,
  CR: DS_CONTROL_ACCESS,
  FA: FILE_ALL_ACCESS,
  FR: FILE_GENERIC_READ,
  FW: FILE_GENERIC_WRITE,
  FX: FILE_GENERIC_EXECUTE,
  KA: KEY_ALL_ACCESS,
  KR: KEY_READ,
  KW: KEY_WRITE,
  KX: KEY_EXECUTE,
  NR: SYSTEM_MANDATORY_LABEL_NO_READ_UP,
  NW: SYSTEM_MANDATORY_LABEL_NO_WRITE_UP,
  NX: SYSTEM_MANDATORY_LABEL_NO_EXECUTE_UP,
});

/** MS-DTYP 2.5.1.1 ace-type strings supported here. */
export const SDDL_ACE_TYPES: Readonly<Record<string, number>> = Object.freeze({
  A: ACE_TYPE.ACCESS_ALLOWED,
  D: ACE_TYPE.ACCESS_DENIED,
  AU: ACE_TYPE.SYSTEM_AUDIT,
  AL: ACE_TYPE.SYSTEM_ALARM,
  OA: ACE_TYPE.ACCESS_ALLOWED_OBJECT,
  OD: ACE_TYPE.ACCESS_DENIED_OBJECT,
  OU: ACE_TYPE.SYSTEM_AUDIT_OBJECT,
  OL: ACE_TYPE.SYSTEM_ALARM_OBJECT,
  ML: ACE_TYPE.SYSTEM_MANDATORY_LABEL,
  SP: ACE_TYPE.SYSTEM_SCOPED_POLICY_ID,
});
const UNSUPPORTED_ACE_TYPES: ReadonlySet<string> = new Set(['XA', 'XD', 'ZA', 'XU', 'RA']);

/** MS-DTYP 2.5.1.1 ace-flag strings, in the (ascending bit) order they are printed. */
export const SDDL_ACE_FLAGS: Readonly<Record<string, number>> = Object.freeze({
  OI: ACE_FLAG.OBJECT_INHERIT,
  CI: ACE_FLAG.CONTAINER_INHERIT,
  NP: ACE_FLAG.NO_PROPAGATE_INHERIT,
  IO: ACE_FLAG.INHERIT_ONLY,
  ID: ACE_FLAG.INHERITED,
  SA: ACE_FLAG.SUCCESSFUL_ACCESS,
  FA: ACE_FLAG.FAILED_ACCESS,
});

const NULL_ACL = 'NO_ACCESS_CONTROL';
const MAX_SDDL_LENGTH = 1 << 20;

const show = (s: string): string => JSON.stringify(s.length > 60 ? s.slice(0, 60) + '...' : s);

// Formatting tables: the masks printed as one alias when the whole mask equals them (in order
// of preference: KX equals KR and is never printed), then the single-bit aliases by bit.
const EXACT_RIGHTS: readonly [string, number][] = [
  ['FA', FILE_ALL_ACCESS],
  ['FR', FILE_GENERIC_READ],
  ['FW', FILE_GENERIC_WRITE],
  ['FX', FILE_GENERIC_EXECUTE],
  ['KA', KEY_ALL_ACCESS],
  ['KR', KEY_READ],
  ['KW', KEY_WRITE],
];
const BIT_RIGHTS: readonly [string, number][] = (['CC', 'DC', 'LC', 'SW', 'RP', 'WP', 'DT', 'LO', 'CR', 'SD', 'RC', 'WD', 'WO', 'GA', 'GX', 'GW', 'GR'] as const).map(
  (a) => [a, SDDL_RIGHTS[a]] as [string, number],
);
const LABEL_BIT_RIGHTS: readonly [string, number][] = (['NW', 'NR', 'NX'] as const).map((a) => [a, SDDL_RIGHTS[a]] as [string, number]);

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function domainAliasSid(alias: string, opts: SddlOptions): string | undefined {
  if (hasOwn(SDDL_DOMAIN_RID_ALIASES, alias)) {
    if (opts.domainSid === undefined) throw new DtypError(`SDDL SID alias ${alias} is domain-relative: pass options.domainSid`);
    return canonicalSid(`${opts.domainSid}-${SDDL_DOMAIN_RID_ALIASES[alias]}`, 'domain SID');
  }
  if (hasOwn(SDDL_ROOT_DOMAIN_RID_ALIASES, alias)) {
    const root = opts.rootDomainSid ?? opts.domainSid;
    if (root === undefined) throw new DtypError(`SDDL SID alias ${alias} is relative to the forest root domain: pass options.rootDomainSid or options.domainSid`);
    return canonicalSid(`${root}-${SDDL_ROOT_DOMAIN_RID_ALIASES[alias]}`, 'root domain SID');
  }
  return undefined;
}

function canonicalSid(s: string, what: string): string {
  return asDtypError(what, () => formatSid(parseSid(s)));
}

/** An SDDL sid-string (alias or 'S-1-...') to a canonical SID string. Throws DtypError. */
export function parseSddlSid(s: string, opts: SddlOptions = {}): string {
  if (s.startsWith('S-')) return canonicalSid(s, `SDDL SID ${show(s)}`);
  if (hasOwn(SDDL_SID_ALIASES, s)) return SDDL_SID_ALIASES[s];
  const d = domainAliasSid(s, opts);
  if (d !== undefined) return d;
  throw new DtypError(`unknown SDDL SID alias ${show(s)}`);
}

let reverseSidAliases: Map<string, string> | undefined;

/** A SID as SDDL: its alias when it has one (domain-relative ones only with opts.domainSid/rootDomainSid), else 'S-1-...'. */
export function formatSddlSid(sid: string, opts: SddlOptions = {}): string {
  const canonical = canonicalSid(sid, 'SID');
  if (!reverseSidAliases) reverseSidAliases = new Map(Object.entries(SDDL_SID_ALIASES).map(([a, s]) => [s, a]));
  const fixed = reverseSidAliases.get(canonical);
  if (fixed !== undefined) return fixed;
  const root = opts.rootDomainSid ?? opts.domainSid;
  if (root === undefined) return canonical; // (root is undefined only when domainSid is too)
  const p = parseSid(canonical);
  const rid = p.subAuthorities.pop();
  if (rid === undefined) return canonical;
  const prefix = formatSid(p);
  if (opts.domainSid !== undefined && canonicalSid(opts.domainSid, 'domain SID') === prefix) {
    for (const [a, r] of Object.entries(SDDL_DOMAIN_RID_ALIASES)) if (r === rid) return a;
  }
  if (canonicalSid(root, 'root domain SID') === prefix) {
    for (const [a, r] of Object.entries(SDDL_ROOT_DOMAIN_RID_ALIASES)) if (r === rid) return a;
  }
  return canonical;
}

/** SDDL ace-rights: concatenated two-letter aliases, or a hex ('0x...'), octal ('0...') or decimal number. */
export function parseSddlRights(s: string): number {
  let n: number;
  if (/^0[xX][0-9a-fA-F]{1,8}$/.test(s)) n = parseInt(s.slice(2), 16);
  else if (/^0[0-7]+$/.test(s)) n = parseInt(s.slice(1), 8);
  else if (/^[1-9][0-9]{0,9}$/.test(s) || s === '0') n = Number(s);
  else {
    if (s.length % 2 !== 0) throw new DtypError(`bad SDDL access rights ${show(s)}`);
    n = 0;
    for (let i = 0; i < s.length; i += 2) {
      const alias = s.slice(i, i + 2);
      if (!hasOwn(SDDL_RIGHTS, alias)) throw new DtypError(`unknown SDDL access right ${show(alias)} in ${show(s)}`);
      n |= SDDL_RIGHTS[alias];
    }
  }
  if (n > 0xffffffff) throw new DtypError(`SDDL access rights ${show(s)} exceed 32 bits`);
  return n >>> 0;
}

/** An access mask as SDDL rights, as Windows prints it (see the header comment). */
export function formatSddlRights(mask: number, aceType: number = ACE_TYPE.ACCESS_ALLOWED): string {
  if (!isAccessMask(mask)) throw new DtypError(`bad access mask ${String(mask)}`);
  const label = aceType === ACE_TYPE.SYSTEM_MANDATORY_LABEL;
  if (!label) for (const [a, m] of EXACT_RIGHTS) if (mask === m) return a;
  let out = '';
  let rest = mask;
  for (const [a, m] of label ? LABEL_BIT_RIGHTS : BIT_RIGHTS) {
    if ((mask & m) !== 0) {
      out += a;
      rest = (rest & ~m) >>> 0;
    }
  }
  return rest === 0 ? out : '0x' + mask.toString(16);
}

function parseAceFlags(s: string): number {
  if (s.length % 2 !== 0) throw new DtypError(`bad SDDL ACE flags ${show(s)}`);
  let flags = 0;
  for (let i = 0; i < s.length; i += 2) {
    const f = s.slice(i, i + 2);
    if (!hasOwn(SDDL_ACE_FLAGS, f)) throw new DtypError(`unknown SDDL ACE flag ${show(f)} in ${show(s)}`);
    flags |= SDDL_ACE_FLAGS[f];
  }
  return flags;
}

function formatAceFlags(flags: number): string {
  let out = '';
  let rest = flags;
  for (const [f, bit] of Object.entries(SDDL_ACE_FLAGS)) {
    if (flags & bit) {
      out += f;
      rest &= ~bit;
    }
  }
  if (rest !== 0) throw new DtypError(`ACE flag 0x${rest.toString(16)} has no SDDL form`);
  return out;
}

/** One SDDL ACE string, with or without its parentheses: 'A;OICI;FA;;;SY' or '(A;OICI;FA;;;SY)'. */
export function parseSddlAce(s: string, opts: SddlOptions = {}): Ace {
  if (s.startsWith('(') !== s.endsWith(')')) throw new DtypError(`unbalanced parentheses in SDDL ACE ${show(s)}`);
  const inner = s.startsWith('(') ? s.slice(1, -1) : s;
  if (inner.includes('(') || inner.includes(')')) throw new DtypError(`conditional and resource attribute ACEs are not supported: ${show(s)}`);
  const fields = inner.split(';');
  if (fields.length !== 6) throw new DtypError(`SDDL ACE ${show(s)} has ${fields.length} fields, expected 6 (type;flags;rights;object_guid;inherit_object_guid;sid)`);
  const [typeStr, flagStr, rightsStr, objStr, inhStr, sidStr] = fields;
  if (UNSUPPORTED_ACE_TYPES.has(typeStr)) throw new DtypError(`SDDL ACE type ${typeStr} (conditional/resource attribute ACE) is not supported`);
  if (!hasOwn(SDDL_ACE_TYPES, typeStr)) throw new DtypError(`unknown SDDL ACE type ${show(typeStr)}`);
  let type = SDDL_ACE_TYPES[typeStr];
  const ace: Ace = { type, flags: parseAceFlags(flagStr), mask: parseSddlRights(rightsStr), sid: '' };
  if (objStr !== '' || inhStr !== '') {
    if (!isObjectAceType(type)) throw new DtypError(`SDDL ACE type ${typeStr} cannot carry object GUIDs: ${show(s)}`);
    if (objStr !== '') ace.objectType = normalizeGuid(objStr);
    if (inhStr !== '') ace.inheritedObjectType = normalizeGuid(inhStr);
  } else if (type === ACE_TYPE.ACCESS_ALLOWED_OBJECT) {
    // As ConvertStringSecurityDescriptorToSecurityDescriptor does.
    type = ACE_TYPE.ACCESS_ALLOWED;
    ace.type = type;
  }
  if (sidStr === '') throw new DtypError(`SDDL ACE ${show(s)} has no SID`);
  ace.sid = parseSddlSid(sidStr, opts);
  return ace;
}

/** One ACE as SDDL, with its parentheses. Throws DtypError for ACEs SDDL (here) cannot express. */
export function formatSddlAce(ace: Ace, opts: SddlOptions = {}): string {
  const typeStr = Object.entries(SDDL_ACE_TYPES).find(([, t]) => t === ace.type)?.[0];
  if (typeStr === undefined) throw new DtypError(`ACE type 0x${Number(ace.type).toString(16)} has no SDDL form here (conditional/callback ACEs are not supported)`);
  if (!isObjectAceType(ace.type) && (ace.objectType !== undefined || ace.inheritedObjectType !== undefined)) {
    throw new DtypError(`ACE type ${typeStr} cannot carry object GUIDs`);
  }
  const obj = ace.objectType !== undefined ? normalizeGuid(ace.objectType) : '';
  const inh = ace.inheritedObjectType !== undefined ? normalizeGuid(ace.inheritedObjectType) : '';
  return `(${typeStr};${formatAceFlags(ace.flags)};${formatSddlRights(ace.mask, ace.type)};${obj};${inh};${formatSddlSid(ace.sid, opts)})`;
}

const TAGS = 'OGDS';
const isTagAt = (s: string, i: number): boolean => i + 1 < s.length && TAGS.includes(s[i]) && s[i + 1] === ':';

interface AclParse {
  acl: Acl | null;
  control: number;
  end: number;
}

function parseAclComponent(s: string, pos: number, isDacl: boolean, opts: SddlOptions): AclParse {
  const bits = isDacl
    ? { P: SE_DACL_PROTECTED, AI: SE_DACL_AUTO_INHERITED, AR: SE_DACL_AUTO_INHERIT_REQ }
    : { P: SE_SACL_PROTECTED, AI: SE_SACL_AUTO_INHERITED, AR: SE_SACL_AUTO_INHERIT_REQ };
  let control = 0;
  let isNull = false;
  let p = pos;
  while (p < s.length && s[p] !== '(' && !isTagAt(s, p)) {
    if (s.startsWith(NULL_ACL, p)) {
      isNull = true;
      p += NULL_ACL.length;
    } else if (s.startsWith('AI', p)) {
      control |= bits.AI;
      p += 2;
    } else if (s.startsWith('AR', p)) {
      control |= bits.AR;
      p += 2;
    } else if (s[p] === 'P') {
      control |= bits.P;
      p += 1;
    } else {
      throw new DtypError(`unexpected ${show(s.slice(p, p + 20))} in the ${isDacl ? 'DACL' : 'SACL'} flags of SDDL at position ${p}`);
    }
  }
  const aces: Ace[] = [];
  while (p < s.length && s[p] === '(') {
    const close = s.indexOf(')', p);
    if (close < 0) throw new DtypError(`unterminated SDDL ACE at position ${p}`);
    const next = s.indexOf('(', p + 1);
    if (next >= 0 && next < close) throw new DtypError(`conditional and resource attribute ACEs are not supported (position ${p})`);
    aces.push(parseSddlAce(s.slice(p, close + 1), opts));
    p = close + 1;
  }
  if (p < s.length && !isTagAt(s, p)) throw new DtypError(`unexpected ${show(s.slice(p, p + 20))} after the ${isDacl ? 'DACL' : 'SACL'} in SDDL at position ${p}`);
  if (isNull && aces.length > 0) throw new DtypError(`${NULL_ACL} ${isDacl ? 'DACL' : 'SACL'} cannot have ACEs`);
  if (aces.length > 0xffff) throw new DtypError('too many ACEs');
  return { acl: isNull ? null : makeAcl(aces), control, end: p };
}

/** Parses an SDDL string into a security descriptor. Throws DtypError with the position of the fault. */
export function parseSddl(sddl: string, opts: SddlOptions = {}): SecurityDescriptor {
  if (typeof sddl !== 'string') throw new DtypError('SDDL must be a string');
  if (sddl.length > MAX_SDDL_LENGTH) throw new DtypError('SDDL string too long');
  const sd: SecurityDescriptor = { control: SE_SELF_RELATIVE };
  const seen = new Set<string>();
  let p = 0;
  while (p < sddl.length) {
    if (!isTagAt(sddl, p)) throw new DtypError(`expected O:, G:, D: or S: at position ${p} of SDDL, found ${show(sddl.slice(p, p + 20))}`);
    const tag = sddl[p];
    if (seen.has(tag)) throw new DtypError(`SDDL has two ${tag}: components`);
    seen.add(tag);
    p += 2;
    if (tag === 'O' || tag === 'G') {
      let end = p;
      while (end < sddl.length && !isTagAt(sddl, end)) end++;
      const value = sddl.slice(p, end);
      if (value === '') throw new DtypError(`SDDL ${tag}: component has no SID`);
      const sid = parseSddlSid(value, opts);
      if (tag === 'O') sd.owner = sid;
      else sd.group = sid;
      p = end;
    } else {
      const r = parseAclComponent(sddl, p, tag === 'D', opts);
      sd.control |= r.control | (tag === 'D' ? SE_DACL_PRESENT : SE_SACL_PRESENT);
      if (tag === 'D') sd.dacl = r.acl;
      else sd.sacl = r.acl;
      p = r.end;
    }
  }
  return sd;
}

function formatAclComponent(acl: Acl | null, control: number, isDacl: boolean, opts: SddlOptions): string {
  let out = '';
  if (control & (isDacl ? SE_DACL_PROTECTED : SE_SACL_PROTECTED)) out += 'P';
  if (control & (isDacl ? SE_DACL_AUTO_INHERIT_REQ : SE_SACL_AUTO_INHERIT_REQ)) out += 'AR';
  if (control & (isDacl ? SE_DACL_AUTO_INHERITED : SE_SACL_AUTO_INHERITED)) out += 'AI';
  if (acl === null) return out + NULL_ACL;
  for (const ace of acl.aces) out += formatSddlAce(ace, opts);
  return out;
}

/** Formats a security descriptor as SDDL, as Windows prints it. Throws DtypError for what SDDL cannot express. */
export function formatSddl(sd: SecurityDescriptor, opts: SddlOptions = {}): string {
  let out = '';
  if (sd.owner !== undefined) out += 'O:' + formatSddlSid(sd.owner, opts);
  if (sd.group !== undefined) out += 'G:' + formatSddlSid(sd.group, opts);
  if (sd.dacl !== undefined) out += 'D:' + formatAclComponent(sd.dacl, sd.control, true, opts);
  if (sd.sacl !== undefined) out += 'S:' + formatAclComponent(sd.sacl, sd.control, false, opts);
  return out;
}
