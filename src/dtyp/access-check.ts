// MS-DTYP 2.5.3.2 AccessCheck: may a caller with these SIDs and privileges have this access to
// an object with this security descriptor?
//
// The steps, in the specification's order:
//   1. Generic rights in the request are mapped with the object type's GenericMapping
//      (ACE masks are mapped too, so an ACE holding GENERIC_ALL — as SDDL 'GA' does — counts).
//   2. ACCESS_SYSTEM_SECURITY is granted only with SeSecurityPrivilege; asked for without it the
//      whole request fails (STATUS_PRIVILEGE_NOT_HELD). WRITE_OWNER is granted by
//      SeTakeOwnershipPrivilege.
//   3. The owner is implicitly granted READ_CONTROL and WRITE_DAC, unless the DACL has an
//      (effective) ACE for OWNER RIGHTS (S-1-3-4), which then says what the owner gets.
//   4. No DACL (SE_DACL_PRESENT clear) or a NULL DACL: everything asked for is granted
//      (MAXIMUM_ALLOWED: the mapping's GenericAll). An empty DACL grants nothing (but step 2-3).
//   5. The DACL's ACEs in order, INHERIT_ONLY ones skipped; an ACE applies when its SID is in
//      the token (PRINCIPAL SELF stands for opts.principalSelfSid, OWNER RIGHTS for the owner).
//      Allow ACEs grant their bits not yet denied; deny ACEs deny their bits not yet granted —
//      so the first ACE that mentions a bit decides it, and a request is denied as soon as a
//      deny ACE hits a bit still wanted. MAXIMUM_ALLOWED evaluates the whole DACL and grants
//      whatever was allowed.
// Token groups carry SE_GROUP_* attributes: an enabled group matches allow and deny ACEs, a
// group with SE_GROUP_USE_FOR_DENY_ONLY matches deny ACEs only, a disabled group neither.
//
// Object ACEs (2.4.4.3) are ignored unless opts.objectTypes (the Object Tree, Windows'
// OBJECT_TYPE_LIST) is given; then an object ACE applies to the node with its ObjectType GUID
// and that node's descendants (one without ObjectType to the whole tree), a grant on every child
// of a node grants the node, and a deny on a node of bits it has not been granted also denies
// them to its ancestors. The overall answer is the root's; the per-node answers are in
// result.objectTypes (AccessCheckByTypeResultList).
//
// Not modelled: conditional (callback) ACEs — an allow one never applies and a deny one always
// does, as MS-DTYP 2.4.4.17 treats an UNKNOWN condition —, the mandatory integrity check
// (2.5.3.3), restricted SIDs, central access policies, and backup/restore privileges.

import type { SidAndAttributes } from '../pac/types.js';
import { tokenSids as enabledTokenSids } from '../security/logon-token.js';
import type { LogonToken } from '../security/types.js';
import {
  ACCESS_SYSTEM_SECURITY,
  type GenericMapping,
  MAXIMUM_ALLOWED,
  READ_CONTROL,
  WRITE_DAC,
  WRITE_OWNER,
  isAccessMask,
  mapGenericRights,
} from './access-mask.js';
import { ACE_FLAG, type Ace, isAllowAceType, isDenyAceType, isObjectAceType, hasApplicationData } from './ace.js';
import { DtypError } from './error.js';
import { normalizeGuid } from './guid.js';
import type { SecurityDescriptor } from './security-descriptor.js';
import { SE_GROUP, WELL_KNOWN_SID } from './sid.js';

/** NTSTATUS values (MS-ERREF 2.3.1) a server returns for the outcome. */
export const STATUS_SUCCESS = 0x00000000;
export const STATUS_ACCESS_DENIED = 0xc0000022;
export const STATUS_PRIVILEGE_NOT_HELD = 0xc0000061;

/** Privilege names (MS-LSAD 3.1.1.2.1) the access check consults. */
export const SE_SECURITY_PRIVILEGE = 'SeSecurityPrivilege';
export const SE_TAKE_OWNERSHIP_PRIVILEGE = 'SeTakeOwnershipPrivilege';

/** MS-DTYP 2.5.3.2 Object Tree depth limit (ACCESS_MAX_LEVEL). */
export const ACCESS_MAX_LEVEL = 4;

/**
 * One SID of the caller: a plain string is an enabled SID (the user SID, or a group); a
 * SidAndAttributes is honoured by its SE_GROUP_* attributes (ENABLED, USE_FOR_DENY_ONLY).
 */
export type TokenSid = string | SidAndAttributes;

/** One node of the Object Tree, in pre-order: level 0 is the object, 1 property sets, 2 properties, ... */
export interface ObjectTypeNode {
  level: number;
  guid: string;
}

export interface AccessCheckOptions {
  /** The caller's privileges (SE_* names). */
  privileges?: readonly string[];
  /** The SID that ACEs for PRINCIPAL SELF (S-1-5-10) stand for (the object's own SID). */
  principalSelfSid?: string;
  /** The Object Tree: enables object ACEs and per-node results. */
  objectTypes?: readonly ObjectTypeNode[];
}

export interface AccessDecision {
  /** The access granted (0 when denied); generic bits already mapped. */
  granted: number;
  allowed: boolean;
}

export interface AccessCheckResult extends AccessDecision {
  /** STATUS_SUCCESS, STATUS_ACCESS_DENIED or STATUS_PRIVILEGE_NOT_HELD. */
  status: number;
  /** With opts.objectTypes: the decision for each node, in the order given. */
  objectTypes?: AccessDecision[];
}

interface Matcher {
  allow: Set<string>;
  deny: Set<string>;
}

function buildMatcher(sids: readonly TokenSid[]): Matcher {
  const allow = new Set<string>();
  const deny = new Set<string>();
  for (const t of sids) {
    if (typeof t === 'string') {
      allow.add(t);
      deny.add(t);
    } else if ((t.attributes & SE_GROUP.USE_FOR_DENY_ONLY) !== 0) {
      deny.add(t.sid);
    } else if ((t.attributes & SE_GROUP.ENABLED) !== 0) {
      allow.add(t.sid);
      deny.add(t.sid);
    }
  }
  return { allow, deny };
}

interface Tree {
  guids: (string | undefined)[];
  parent: number[];
  children: number[][];
  /** end[i]: one past the last node of i's subtree (pre-order). */
  end: number[];
}

function buildTree(nodes: readonly ObjectTypeNode[] | undefined): Tree {
  if (nodes === undefined) return { guids: [undefined], parent: [-1], children: [[]], end: [1] };
  if (nodes.length === 0) throw new DtypError('object type list is empty');
  const guids: string[] = [];
  const parent: number[] = [];
  const children: number[][] = [];
  const end: number[] = [];
  const stack: number[] = [];
  nodes.forEach((n, i) => {
    if (!Number.isInteger(n.level) || n.level < 0 || n.level > ACCESS_MAX_LEVEL) throw new DtypError(`object type ${i}: bad level ${String(n.level)}`);
    if (i === 0 && n.level !== 0) throw new DtypError('object type list must start with the level-0 object');
    if (i > 0 && n.level === 0) throw new DtypError('object type list has more than one level-0 object');
    if (i > 0 && n.level > nodes[i - 1].level + 1) throw new DtypError(`object type ${i}: level ${n.level} skips a level`);
    guids.push(normalizeGuid(n.guid));
    children.push([]);
    end.push(nodes.length);
    while (stack.length > n.level) end[stack.pop() ?? 0] = i;
    const p = stack.length > 0 ? stack[stack.length - 1] : -1;
    parent.push(p);
    if (p >= 0) children[p].push(i);
    stack.push(i);
  });
  return { guids, parent, children, end };
}

function hasPrivilege(privileges: readonly string[] | undefined, name: string): boolean {
  return privileges?.some((p) => p.toLowerCase() === name.toLowerCase()) ?? false;
}

function denied(status: number, nodes: number): AccessCheckResult {
  const r: AccessCheckResult = { granted: 0, allowed: false, status };
  return nodes > 0 ? { ...r, objectTypes: Array.from({ length: nodes }, () => ({ granted: 0, allowed: false })) } : r;
}

/** True when the ACE takes part in a DACL evaluation at all (not inherit-only, an allow or deny type). */
function isEffective(ace: Ace): boolean {
  return (ace.flags & ACE_FLAG.INHERIT_ONLY) === 0 && (isAllowAceType(ace.type) || isDenyAceType(ace.type));
}

/**
 * MS-DTYP 2.5.3.2 AccessCheck. `desired` may hold generic bits and MAXIMUM_ALLOWED. Throws
 * DtypError only for a bad request (mask out of range, malformed object type list).
 */
export function accessCheck(
  sd: SecurityDescriptor,
  tokenSids: readonly TokenSid[],
  desired: number,
  mapping: GenericMapping,
  opts: AccessCheckOptions = {},
): AccessCheckResult {
  if (!isAccessMask(desired)) throw new DtypError(`bad desired access ${String(desired)}`);
  const tree = buildTree(opts.objectTypes);
  const nodeCount = opts.objectTypes ? tree.guids.length : 0;
  const token = buildMatcher(tokenSids);

  let want = mapGenericRights(desired, mapping);
  const maxMode = (want & MAXIMUM_ALLOWED) !== 0;
  want = (want & ~MAXIMUM_ALLOWED) >>> 0;

  // Step 2: privileges.
  let pre = 0;
  if (want & ACCESS_SYSTEM_SECURITY) {
    if (!hasPrivilege(opts.privileges, SE_SECURITY_PRIVILEGE)) return denied(STATUS_PRIVILEGE_NOT_HELD, nodeCount);
    pre |= ACCESS_SYSTEM_SECURITY;
  }
  if ((want & WRITE_OWNER || maxMode) && hasPrivilege(opts.privileges, SE_TAKE_OWNERSHIP_PRIVILEGE)) pre |= WRITE_OWNER;

  // Step 3: the owner's implied rights.
  const dacl = sd.dacl;
  const ownerInToken = sd.owner !== undefined && token.allow.has(sd.owner);
  const ownerRightsAce = dacl?.aces.some((a) => isEffective(a) && a.sid === WELL_KNOWN_SID.OWNER_RIGHTS) ?? false;
  if (ownerInToken && !ownerRightsAce) pre |= READ_CONTROL | WRITE_DAC;
  pre >>>= 0;

  const finish = (grantedAll: number[]): AccessCheckResult => {
    const decisions = grantedAll.map((g): AccessDecision => {
      const all = (g | pre) >>> 0;
      const granted = maxMode ? all : (want & all) >>> 0;
      const ok = (want & ~all) >>> 0 === 0 && (!maxMode || granted !== 0);
      return ok ? { granted, allowed: true } : { granted: 0, allowed: false };
    });
    const root = decisions[0];
    const r: AccessCheckResult = { ...root, status: root.allowed ? STATUS_SUCCESS : STATUS_ACCESS_DENIED };
    if (opts.objectTypes) r.objectTypes = decisions;
    return r;
  };

  // Step 4: no DACL or a NULL DACL.
  if (dacl === undefined || dacl === null) {
    const everything = maxMode ? (mapping.genericAll | want) >>> 0 : want;
    return finish(tree.guids.map(() => (everything & ~ACCESS_SYSTEM_SECURITY) >>> 0));
  }

  // Step 5: the ACEs, in order.
  const n = tree.guids.length;
  const allowed = new Array<number>(n).fill(0);
  const deniedBits = new Array<number>(n).fill(0);
  const matches = (sid: string, forDeny: boolean): boolean => {
    let s = sid;
    if (s === WELL_KNOWN_SID.PRINCIPAL_SELF && opts.principalSelfSid !== undefined) s = opts.principalSelfSid;
    else if (s === WELL_KNOWN_SID.OWNER_RIGHTS) {
      if (sd.owner === undefined) return false;
      s = sd.owner;
    }
    return (forDeny ? token.deny : token.allow).has(s);
  };
  const grant = (k: number, m: number): void => {
    for (let d = k; d < tree.end[k]; d++) allowed[d] = (allowed[d] | (m & ~deniedBits[d])) >>> 0;
    for (let a = tree.parent[k]; a >= 0; a = tree.parent[a]) {
      const common = tree.children[a].reduce((acc, c) => acc & allowed[c], 0xffffffff);
      allowed[a] = (allowed[a] | (common & ~deniedBits[a])) >>> 0;
    }
  };
  const deny = (k: number, m: number): void => {
    for (let d = k; d < tree.end[k]; d++) deniedBits[d] = (deniedBits[d] | (m & ~allowed[d])) >>> 0;
    // Bits still wanted at k are wanted by every ancestor (a node is granted a bit only when all
    // its descendants are), so they are denied there too; bits k already had are not.
    const effective = m & ~allowed[k];
    for (let a = tree.parent[k]; a >= 0; a = tree.parent[a]) deniedBits[a] = (deniedBits[a] | (effective & ~allowed[a])) >>> 0;
  };
  for (const ace of dacl.aces) {
    if (!isEffective(ace)) continue;
    const isDeny = isDenyAceType(ace.type);
    // A callback (conditional) ACE's condition is not evaluated: UNKNOWN applies a deny, never an allow.
    if (!isDeny && hasApplicationData(ace.type)) continue;
    let target = 0;
    if (isObjectAceType(ace.type)) {
      if (!opts.objectTypes) continue;
      if (ace.objectType !== undefined) {
        const g = ace.objectType.toLowerCase();
        target = tree.guids.indexOf(g);
        if (target < 0) continue;
      }
    }
    if (!matches(ace.sid, isDeny)) continue;
    const m = (mapGenericRights(ace.mask, mapping) & ~(MAXIMUM_ALLOWED | ACCESS_SYSTEM_SECURITY)) >>> 0;
    if (isDeny) deny(target, m);
    else grant(target, m);
  }
  return finish(allowed);
}

/**
 * AccessCheck for a LogonToken: its user SID and enabled groups (tokenSids), its deny-only
 * groups (SE_GROUP_USE_FOR_DENY_ONLY, for deny ACEs only) and its privileges.
 */
export function accessCheckToken(
  sd: SecurityDescriptor,
  token: LogonToken,
  desired: number,
  mapping: GenericMapping,
  opts: Omit<AccessCheckOptions, 'privileges'> = {},
): AccessCheckResult {
  return accessCheck(sd, logonTokenSids(token), desired, mapping, { ...opts, privileges: token.privileges });
}

/** The TokenSid list of a LogonToken: enabled SIDs as strings, deny-only groups with their attributes. */
export function logonTokenSids(token: LogonToken): TokenSid[] {
  const denyOnly = token.groups.filter((g) => (g.attributes & SE_GROUP.USE_FOR_DENY_ONLY) !== 0);
  const denyOnlySids = new Set(denyOnly.map((g) => g.sid));
  const enabled = enabledTokenSids(token).filter((s, i) => i === 0 || !denyOnlySids.has(s));
  return [...enabled, ...denyOnly];
}
