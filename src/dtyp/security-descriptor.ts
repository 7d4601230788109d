// MS-DTYP 2.4.6 SECURITY_DESCRIPTOR in its self-relative form (the only one that travels: SMB2
// QUERY_INFO/SET_INFO, LDAP nTSecurityDescriptor, RPC SEC_DESC_BUF): a 20-byte header (Revision,
// Sbz1, Control, OffsetOwner, OffsetGroup, OffsetSacl, OffsetDacl) whose offsets, counted from
// the descriptor's first byte, locate the owner and group SIDs and the SACL and DACL; an offset
// of 0 means "absent".
//
// The dacl/sacl fields distinguish the three cases the access check cares about (2.5.3.2):
// undefined = no DACL (SE_DACL_PRESENT clear), null = a NULL DACL (present, offset 0), an Acl =
// a DACL, possibly empty. The encoder derives SE_DACL_PRESENT/SE_SACL_PRESENT/SE_RM_CONTROL_VALID
// from the fields and always sets SE_SELF_RELATIVE; the decoder sets the fields from the control
// bits, so after decoding the two agree.

import { type Acl, decodeAcl, encodeAcl } from './acl.js';
import { DtypError, asDtypError } from './error.js';
import { sidFromBytes, sidToBytes } from './sid.js';

/** MS-DTYP 2.4.6 Control bits (winnt.h SE_* names). */
export const SE_OWNER_DEFAULTED = 0x0001;
export const SE_GROUP_DEFAULTED = 0x0002;
export const SE_DACL_PRESENT = 0x0004;
export const SE_DACL_DEFAULTED = 0x0008;
export const SE_SACL_PRESENT = 0x0010;
export const SE_SACL_DEFAULTED = 0x0020;
export const SE_DACL_TRUSTED = 0x0040;
export const SE_SERVER_SECURITY = 0x0080;
export const SE_DACL_AUTO_INHERIT_REQ = 0x0100;
export const SE_SACL_AUTO_INHERIT_REQ = 0x0200;
export const SE_DACL_AUTO_INHERITED = 0x0400;
export const SE_SACL_AUTO_INHERITED = 0x0800;
export const SE_DACL_PROTECTED = 0x1000;
export const SE_SACL_PROTECTED = 0x2000;
export const SE_RM_CONTROL_VALID = 0x4000;
export const SE_SELF_RELATIVE = 0x8000;

/** MS-DTYP 2.4.6: the only defined Revision. */
export const SECURITY_DESCRIPTOR_REVISION = 1;
export const SECURITY_DESCRIPTOR_HEADER_LENGTH = 20;

export interface SecurityDescriptor {
  /** Control (SE_* bits). */
  control: number;
  /** Owner SID, if any. */
  owner?: string;
  /** Primary group SID, if any. */
  group?: string;
  /** undefined: no DACL; null: NULL DACL (both grant everything); an Acl (an empty one grants nothing). */
  dacl?: Acl | null;
  /** undefined: no SACL; null: NULL SACL. */
  sacl?: Acl | null;
  /** Sbz1, the resource-manager control byte, when SE_RM_CONTROL_VALID is set. */
  resourceManagerControl?: number;
}

/** MS-DTYP 2.4.6 self-relative binary form; throws DtypError. */
export function encodeSecurityDescriptor(sd: SecurityDescriptor): Buffer {
  if (!Number.isInteger(sd.control) || sd.control < 0 || sd.control > 0xffff) throw new DtypError(`bad security descriptor control ${String(sd.control)}`);
  const rm = sd.resourceManagerControl;
  if (rm !== undefined && (!Number.isInteger(rm) || rm < 0 || rm > 0xff)) throw new DtypError(`bad resource manager control ${String(rm)}`);
  let control = sd.control & ~(SE_DACL_PRESENT | SE_SACL_PRESENT | SE_RM_CONTROL_VALID);
  control |= SE_SELF_RELATIVE;
  if (sd.dacl !== undefined) control |= SE_DACL_PRESENT;
  if (sd.sacl !== undefined) control |= SE_SACL_PRESENT;
  if (rm !== undefined) control |= SE_RM_CONTROL_VALID;

  // Windows' layout (RtlMakeSelfRelativeSD): SACL, DACL, owner, group after the header.
  const sacl = sd.sacl ? encodeAcl(sd.sacl) : undefined;
  const dacl = sd.dacl ? encodeAcl(sd.dacl) : undefined;
  const owner = sd.owner !== undefined ? asDtypError('owner SID', () => sidToBytes(sd.owner ?? '')) : undefined;
  const group = sd.group !== undefined ? asDtypError('group SID', () => sidToBytes(sd.group ?? '')) : undefined;
  const header = Buffer.alloc(SECURITY_DESCRIPTOR_HEADER_LENGTH);
  header[0] = SECURITY_DESCRIPTOR_REVISION;
  header[1] = rm ?? 0;
  header.writeUInt16LE(control, 2);
  let offset = SECURITY_DESCRIPTOR_HEADER_LENGTH;
  const place = (part: Buffer | undefined, at: number): void => {
    if (!part) return;
    header.writeUInt32LE(offset, at);
    offset += part.length;
  };
  place(sacl, 12);
  place(dacl, 16);
  place(owner, 4);
  place(group, 8);
  return Buffer.concat([header, ...[sacl, dacl, owner, group].filter((b): b is Buffer => b !== undefined)]);
}

function checkOffset(buf: Buffer, offset: number, what: string): void {
  if (offset < SECURITY_DESCRIPTOR_HEADER_LENGTH) throw new DtypError(`${what} offset ${offset} points into the security descriptor header`);
  if (offset >= buf.length) throw new DtypError(`${what} offset ${offset} is past the end of the ${buf.length}-byte security descriptor`);
}

/**
 * Decodes a self-relative security descriptor from untrusted bytes (trailing bytes after the
 * parts are allowed). Every offset, size and count is checked; throws DtypError only.
 */
export function decodeSecurityDescriptor(buf: Buffer): SecurityDescriptor {
  if (!Buffer.isBuffer(buf)) throw new DtypError('security descriptor must be a Buffer');
  if (buf.length < SECURITY_DESCRIPTOR_HEADER_LENGTH) throw new DtypError('truncated security descriptor header');
  const revision = buf[0];
  if (revision !== SECURITY_DESCRIPTOR_REVISION) throw new DtypError(`unsupported security descriptor revision ${revision}`);
  const control = buf.readUInt16LE(2);
  if (!(control & SE_SELF_RELATIVE)) throw new DtypError('security descriptor is not self-relative (SE_SELF_RELATIVE clear)');
  const offOwner = buf.readUInt32LE(4);
  const offGroup = buf.readUInt32LE(8);
  const offSacl = buf.readUInt32LE(12);
  const offDacl = buf.readUInt32LE(16);
  const sd: SecurityDescriptor = { control };
  if (control & SE_RM_CONTROL_VALID) sd.resourceManagerControl = buf[1];
  if (offOwner !== 0) {
    checkOffset(buf, offOwner, 'owner');
    sd.owner = asDtypError('owner SID', () => sidFromBytes(buf, offOwner).sid);
  }
  if (offGroup !== 0) {
    checkOffset(buf, offGroup, 'group');
    sd.group = asDtypError('group SID', () => sidFromBytes(buf, offGroup).sid);
  }
  // A DACL/SACL offset without its PRESENT bit is ignored, as Windows ignores it.
  if (control & SE_SACL_PRESENT) {
    if (offSacl === 0) sd.sacl = null;
    else {
      checkOffset(buf, offSacl, 'SACL');
      sd.sacl = decodeAcl(buf, offSacl).acl;
    }
  }
  if (control & SE_DACL_PRESENT) {
    if (offDacl === 0) sd.dacl = null;
    else {
      checkOffset(buf, offDacl, 'DACL');
      sd.dacl = decodeAcl(buf, offDacl).acl;
    }
  }
  return sd;
}
