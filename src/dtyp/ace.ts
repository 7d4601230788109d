// MS-DTYP 2.4.4 ACEs. Every ACE starts with an ACE_HEADER (2.4.4.1: AceType, AceFlags, AceSize,
// AceSize counting the header and a multiple of 4); the bodies this module reads and writes come
// in four shapes:
//
//   basic            Mask, Sid                                    2.4.4.2, 2.4.4.4, 2.4.4.10, 2.4.4.13, 2.4.4.16
//   callback         Mask, Sid, ApplicationData                   2.4.4.6, 2.4.4.7, 2.4.4.12, 2.4.4.15
//   object           Mask, Flags, [ObjectType], [InheritedObjectType], Sid         2.4.4.3, 2.4.4.5, 2.4.4.11
//   callback object  Mask, Flags, [ObjectType], [InheritedObjectType], Sid, ApplicationData  2.4.4.8, 2.4.4.9, 2.4.4.14
//
// ObjectType/InheritedObjectType are present when the Flags bits ACE_OBJECT_TYPE_PRESENT /
// ACE_INHERITED_OBJECT_TYPE_PRESENT say so; here they are optional GUID strings and the Flags
// field is derived from them. Application data (conditional expressions, claim attributes) is
// kept as opaque bytes: the ACE's remaining bytes, so a callback ACE round-trips exactly. An ACE
// whose AceSize exceeds its body is accepted (2.4.4.1 allows it; Active Directory pads some) and
// re-encoded without the padding.

import { isAccessMask } from './access-mask.js';
import { DtypError, asDtypError } from './error.js';
import { GUID_LENGTH, guidFromBytes, guidToBytes } from './guid.js';
import { sidFromBytes, sidToBytes } from './sid.js';

/** MS-DTYP 2.4.4.1 AceType values. */
export const ACE_TYPE = {
  ACCESS_ALLOWED: 0x00,
  ACCESS_DENIED: 0x01,
  SYSTEM_AUDIT: 0x02,
  /** Reserved for future use (no SDDL or Windows use), same shape as SYSTEM_AUDIT. */
  SYSTEM_ALARM: 0x03,
  /** Reserved; a different layout, not supported. */
  ACCESS_ALLOWED_COMPOUND: 0x04,
  ACCESS_ALLOWED_OBJECT: 0x05,
  ACCESS_DENIED_OBJECT: 0x06,
  SYSTEM_AUDIT_OBJECT: 0x07,
  SYSTEM_ALARM_OBJECT: 0x08,
  ACCESS_ALLOWED_CALLBACK: 0x09,
  ACCESS_DENIED_CALLBACK: 0x0a,
  ACCESS_ALLOWED_CALLBACK_OBJECT: 0x0b,
  ACCESS_DENIED_CALLBACK_OBJECT: 0x0c,
  SYSTEM_AUDIT_CALLBACK: 0x0d,
  SYSTEM_ALARM_CALLBACK: 0x0e,
  SYSTEM_AUDIT_CALLBACK_OBJECT: 0x0f,
  SYSTEM_ALARM_CALLBACK_OBJECT: 0x10,
  SYSTEM_MANDATORY_LABEL: 0x11,
  SYSTEM_RESOURCE_ATTRIBUTE: 0x12,
  SYSTEM_SCOPED_POLICY_ID: 0x13,
} as const;

/** MS-DTYP 2.4.4.1 AceFlags bits. */
export const ACE_FLAG = {
  OBJECT_INHERIT: 0x01,
  CONTAINER_INHERIT: 0x02,
  NO_PROPAGATE_INHERIT: 0x04,
  INHERIT_ONLY: 0x08,
  INHERITED: 0x10,
  /** Only meaningful on access filter ACEs. */
  CRITICAL: 0x20,
  SUCCESSFUL_ACCESS: 0x40,
  FAILED_ACCESS: 0x80,
} as const;

/** MS-DTYP 2.4.4.3 object ACE Flags bits. */
export const ACE_OBJECT_TYPE_PRESENT = 0x1;
export const ACE_INHERITED_OBJECT_TYPE_PRESENT = 0x2;

/** MS-DTYP 2.4.4.1: the header is 4 bytes. */
export const ACE_HEADER_LENGTH = 4;

export interface Ace {
  /** AceType (ACE_TYPE). */
  type: number;
  /** AceFlags (ACE_FLAG bits). */
  flags: number;
  /** ACCESS_MASK (unsigned). */
  mask: number;
  /** The trustee, as a canonical SID string. */
  sid: string;
  /** Object ACEs only: ObjectType GUID (lower case). */
  objectType?: string;
  /** Object ACEs only: InheritedObjectType GUID (lower case). */
  inheritedObjectType?: string;
  /** Callback and resource-attribute ACEs only: ApplicationData (the ACE's remaining bytes). */
  applicationData?: Buffer;
}

const OBJECT_TYPES: ReadonlySet<number> = new Set([0x05, 0x06, 0x07, 0x08, 0x0b, 0x0c, 0x0f, 0x10]);
const APPDATA_TYPES: ReadonlySet<number> = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x12]);
const ALLOW_TYPES: ReadonlySet<number> = new Set([0x00, 0x05, 0x09, 0x0b]);
const DENY_TYPES: ReadonlySet<number> = new Set([0x01, 0x06, 0x0a, 0x0c]);
const AUDIT_TYPES: ReadonlySet<number> = new Set([0x02, 0x03, 0x07, 0x08, 0x0d, 0x0e, 0x0f, 0x10]);

/** True for the AceType values this module reads and writes (0x00-0x13 except 0x04). */
export function isSupportedAceType(type: number): boolean {
  return Number.isInteger(type) && type >= 0 && type <= 0x13 && type !== ACE_TYPE.ACCESS_ALLOWED_COMPOUND;
}
/** Object ACEs (they carry Flags and optional ObjectType/InheritedObjectType GUIDs). */
export function isObjectAceType(type: number): boolean {
  return OBJECT_TYPES.has(type);
}
/** ACE types with an ApplicationData tail (callback ACEs and SYSTEM_RESOURCE_ATTRIBUTE_ACE). */
export function hasApplicationData(type: number): boolean {
  return APPDATA_TYPES.has(type);
}
/** Access-allowed ACE types (plain, object, callback, callback object). */
export function isAllowAceType(type: number): boolean {
  return ALLOW_TYPES.has(type);
}
/** Access-denied ACE types (plain, object, callback, callback object). */
export function isDenyAceType(type: number): boolean {
  return DENY_TYPES.has(type);
}
/** Audit and alarm ACE types (SACL). */
export function isAuditAceType(type: number): boolean {
  return AUDIT_TYPES.has(type);
}

function checkAce(ace: Ace): void {
  if (!isSupportedAceType(ace.type)) throw new DtypError(`unsupported ACE type ${String(ace.type)}`);
  if (!Number.isInteger(ace.flags) || ace.flags < 0 || ace.flags > 0xff) throw new DtypError(`bad ACE flags ${String(ace.flags)}`);
  if (!isAccessMask(ace.mask)) throw new DtypError(`bad ACE access mask ${String(ace.mask)}`);
  if (!isObjectAceType(ace.type) && (ace.objectType !== undefined || ace.inheritedObjectType !== undefined)) {
    throw new DtypError(`ACE type 0x${ace.type.toString(16)} is not an object ACE and cannot carry object type GUIDs`);
  }
  if (!hasApplicationData(ace.type) && ace.applicationData !== undefined) {
    throw new DtypError(`ACE type 0x${ace.type.toString(16)} carries no application data`);
  }
}

/** MS-DTYP 2.4.4: the binary ACE (AceSize rounded up to a multiple of 4 with zero bytes). Throws DtypError. */
export function encodeAce(ace: Ace): Buffer {
  checkAce(ace);
  const sid = asDtypError('ACE SID', () => sidToBytes(ace.sid));
  const parts: Buffer[] = [];
  const fixed = Buffer.alloc(isObjectAceType(ace.type) ? 8 : 4);
  fixed.writeUInt32LE(ace.mask, 0);
  parts.push(fixed);
  if (isObjectAceType(ace.type)) {
    let objFlags = 0;
    if (ace.objectType !== undefined) {
      objFlags |= ACE_OBJECT_TYPE_PRESENT;
      parts.push(guidToBytes(ace.objectType));
    }
    if (ace.inheritedObjectType !== undefined) {
      objFlags |= ACE_INHERITED_OBJECT_TYPE_PRESENT;
      parts.push(guidToBytes(ace.inheritedObjectType));
    }
    fixed.writeUInt32LE(objFlags, 4);
  }
  parts.push(sid);
  if (ace.applicationData !== undefined) {
    if (!Buffer.isBuffer(ace.applicationData)) throw new DtypError('ACE application data must be a Buffer');
    parts.push(ace.applicationData);
  }
  const bodyLength = parts.reduce((n, p) => n + p.length, 0);
  const size = (ACE_HEADER_LENGTH + bodyLength + 3) & ~3;
  if (size > 0xffff) throw new DtypError(`ACE of ${size} bytes exceeds the 16-bit AceSize`);
  const out = Buffer.alloc(size);
  out[0] = ace.type;
  out[1] = ace.flags;
  out.writeUInt16LE(size, 2);
  let o = ACE_HEADER_LENGTH;
  for (const p of parts) o += p.copy(out, o);
  return out;
}

/**
 * Reads one ACE at offset, never past `end` (default: the buffer's end). Returns it and its
 * AceSize. Throws DtypError on anything malformed: bad sizes, unknown types, truncated SIDs or GUIDs.
 */
export function decodeAce(buf: Buffer, offset = 0, end = buf.length): { ace: Ace; size: number } {
  if (!Number.isInteger(offset) || !Number.isInteger(end) || offset < 0 || end > buf.length || offset > end) {
    throw new DtypError('ACE offset out of range');
  }
  if (end - offset < ACE_HEADER_LENGTH) throw new DtypError('truncated ACE header');
  const type = buf[offset];
  const flags = buf[offset + 1];
  const size = buf.readUInt16LE(offset + 2);
  if (!isSupportedAceType(type)) throw new DtypError(`unsupported ACE type 0x${type.toString(16)}`);
  if (size % 4 !== 0) throw new DtypError(`AceSize ${size} is not a multiple of 4 (MS-DTYP 2.4.4.1)`);
  const minimum = ACE_HEADER_LENGTH + (isObjectAceType(type) ? 8 : 4) + 8;
  if (size < minimum) throw new DtypError(`AceSize ${size} is too small for ACE type 0x${type.toString(16)}`);
  if (size > end - offset) throw new DtypError(`AceSize ${size} runs past the end of the ACL`);
  const aceEnd = offset + size;
  // Everything below reads from the ACE's own bytes, so nothing can run into the next ACE.
  const body = buf.subarray(offset, aceEnd);
  let p = ACE_HEADER_LENGTH;
  const mask = body.readUInt32LE(p);
  p += 4;
  const ace: Ace = { type, flags, mask, sid: '' };
  if (isObjectAceType(type)) {
    const objFlags = body.readUInt32LE(p);
    p += 4;
    if (objFlags & ACE_OBJECT_TYPE_PRESENT) {
      if (body.length - p < GUID_LENGTH) throw new DtypError('object ACE too short for its ObjectType GUID');
      ace.objectType = guidFromBytes(body, p);
      p += GUID_LENGTH;
    }
    if (objFlags & ACE_INHERITED_OBJECT_TYPE_PRESENT) {
      if (body.length - p < GUID_LENGTH) throw new DtypError('object ACE too short for its InheritedObjectType GUID');
      ace.inheritedObjectType = guidFromBytes(body, p);
      p += GUID_LENGTH;
    }
  }
  const { sid, length } = asDtypError('ACE SID', () => sidFromBytes(body, p));
  ace.sid = sid;
  p += length;
  if (hasApplicationData(type)) ace.applicationData = Buffer.from(body.subarray(p));
  return { ace, size };
}
