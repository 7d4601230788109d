// MS-DTYP 2.4.5 ACL: an 8-byte header (AclRevision, Sbz1, AclSize, AceCount, Sbz2) followed by
// AceCount ACEs laid end to end; AclSize counts the header, the ACEs and any unused tail.
// Sbz1/Sbz2 are written as zero and ignored on input.

import { type Ace, decodeAce, encodeAce, isObjectAceType } from './ace.js';
import { DtypError } from './error.js';

/** MS-DTYP 2.4.5: ACLs without object ACEs. */
export const ACL_REVISION = 2;
/** MS-DTYP 2.4.5: ACLs that may hold object ACEs (directory service objects). */
export const ACL_REVISION_DS = 4;
export const ACL_HEADER_LENGTH = 8;
const MIN_ACL_REVISION = 2;
const MAX_ACL_REVISION = 4;

export interface Acl {
  /** AclRevision: ACL_REVISION (2) or ACL_REVISION_DS (4); 3 is accepted as Windows does. */
  revision: number;
  /** In order: the access check evaluates them first to last. */
  aces: Ace[];
}

/** The revision Windows gives an ACL holding these ACEs: 4 when any is an object ACE, else 2. */
export function aclRevisionFor(aces: readonly Ace[]): number {
  return aces.some((a) => isObjectAceType(a.type)) ? ACL_REVISION_DS : ACL_REVISION;
}

/** An ACL of these ACEs with the revision they need. */
export function makeAcl(aces: Ace[]): Acl {
  return { revision: aclRevisionFor(aces), aces };
}

/** MS-DTYP 2.4.5 binary ACL. Throws DtypError. */
export function encodeAcl(acl: Acl): Buffer {
  if (!Number.isInteger(acl.revision) || acl.revision < MIN_ACL_REVISION || acl.revision > MAX_ACL_REVISION) {
    throw new DtypError(`bad ACL revision ${String(acl.revision)}`);
  }
  if (acl.aces.length > 0xffff) throw new DtypError(`${acl.aces.length} ACEs exceed the 16-bit AceCount`);
  const aces = acl.aces.map(encodeAce);
  const size = aces.reduce((n, a) => n + a.length, ACL_HEADER_LENGTH);
  if (size > 0xffff) throw new DtypError(`ACL of ${size} bytes exceeds the 16-bit AclSize`);
  const header = Buffer.alloc(ACL_HEADER_LENGTH);
  header[0] = acl.revision;
  header.writeUInt16LE(size, 2);
  header.writeUInt16LE(aces.length, 4);
  return Buffer.concat([header, ...aces], size);
}

/**
 * Reads an ACL at offset, never past `end` (default: the buffer's end); returns it and its
 * AclSize. Throws DtypError on a bad revision, an AclSize that does not fit, or ACEs that do not
 * fit in AclSize.
 */
export function decodeAcl(buf: Buffer, offset = 0, end = buf.length): { acl: Acl; size: number } {
  if (!Number.isInteger(offset) || !Number.isInteger(end) || offset < 0 || end > buf.length || offset > end) {
    throw new DtypError('ACL offset out of range');
  }
  if (end - offset < ACL_HEADER_LENGTH) throw new DtypError('truncated ACL header');
  const revision = buf[offset];
  if (revision < MIN_ACL_REVISION || revision > MAX_ACL_REVISION) throw new DtypError(`unsupported ACL revision ${revision}`);
  const size = buf.readUInt16LE(offset + 2);
  const count = buf.readUInt16LE(offset + 4);
  if (size < ACL_HEADER_LENGTH) throw new DtypError(`AclSize ${size} is smaller than the ACL header`);
  if (size > end - offset) throw new DtypError(`AclSize ${size} runs past the end of the buffer`);
  const aclEnd = offset + size;
  const aces: Ace[] = [];
  let p = offset + ACL_HEADER_LENGTH;
  for (let i = 0; i < count; i++) {
    if (p >= aclEnd) throw new DtypError(`AceCount ${count} but only ${i} ACEs fit in AclSize ${size}`);
    const { ace, size: aceSize } = decodeAce(buf, p, aclEnd);
    aces.push(ace);
    p += aceSize;
  }
  return { acl: { revision, aces }, size };
}
