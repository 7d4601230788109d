// MS-DTYP 2.3.4 GUID: the binary packet form (2.3.4.2: Data1 as a little-endian 32-bit value,
// Data2 and Data3 little-endian 16-bit, Data4 as 8 bytes in order) and the curly-brace-less
// string form (2.3.4.3) "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". Strings are accepted in either
// case and always produced in lower case (as Windows' UuidToString and SDDL output do), so two
// GUID strings produced here are equal exactly when the GUIDs are.

import { DtypError } from './error.js';

export const GUID_LENGTH = 16;
const GUID_STRING = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isValidGuid(s: unknown): s is string {
  return typeof s === 'string' && GUID_STRING.test(s);
}

/** Canonical (lower-case) form of a GUID string; throws DtypError when it is not one. */
export function normalizeGuid(s: string): string {
  if (!isValidGuid(s)) throw new DtypError(`not a GUID string: ${JSON.stringify(String(s).slice(0, 60))}`);
  return s.toLowerCase();
}

/** MS-DTYP 2.3.4.2: 16 bytes of a GUID string. */
export function guidToBytes(guid: string): Buffer {
  const g = normalizeGuid(guid);
  const hex = g.replace(/-/g, '');
  const out = Buffer.alloc(GUID_LENGTH);
  out.writeUInt32LE(parseInt(hex.slice(0, 8), 16), 0);
  out.writeUInt16LE(parseInt(hex.slice(8, 12), 16), 4);
  out.writeUInt16LE(parseInt(hex.slice(12, 16), 16), 6);
  Buffer.from(hex.slice(16), 'hex').copy(out, 8);
  return out;
}

/** Reads a 16-byte GUID at offset; throws DtypError when truncated. */
export function guidFromBytes(buf: Buffer, offset = 0): string {
  if (!Number.isInteger(offset) || offset < 0 || buf.length - offset < GUID_LENGTH) throw new DtypError('truncated GUID');
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const d4 = buf.subarray(offset + 8, offset + 16).toString('hex');
  return `${h(buf.readUInt32LE(offset), 8)}-${h(buf.readUInt16LE(offset + 4), 4)}-${h(buf.readUInt16LE(offset + 6), 4)}-${d4.slice(0, 4)}-${d4.slice(4)}`;
}
