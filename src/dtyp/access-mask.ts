// MS-DTYP 2.4.3 ACCESS_MASK: a 32-bit set of rights. Bits 0-15 are object-specific, 16-20 the
// standard rights, 24 ACCESS_SYSTEM_SECURITY, 25 MAXIMUM_ALLOWED and 28-31 the generic rights,
// which each object type maps onto its standard and specific rights with a GENERIC_MAPPING
// (MS-DTYP 2.5.3.2 applies it to the request before the access check).
//
// Masks are plain numbers kept unsigned (0 .. 2^32-1): JavaScript's bitwise operators yield
// signed 32-bit results, so every combination here ends with `>>> 0`.

/** MS-DTYP 2.4.3: generic rights. */
export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const GENERIC_EXECUTE = 0x20000000;
export const GENERIC_ALL = 0x10000000;
/** All four generic bits. */
export const GENERIC_RIGHTS_ALL = 0xf0000000;

/** MS-DTYP 2.4.3: MAXIMUM_ALLOWED (request only: "grant whatever the DACL allows"). */
export const MAXIMUM_ALLOWED = 0x02000000;
/** MS-DTYP 2.4.3: access to the SACL; granted only with SeSecurityPrivilege. */
export const ACCESS_SYSTEM_SECURITY = 0x01000000;

/** MS-DTYP 2.4.3: standard rights. */
export const SYNCHRONIZE = 0x00100000;
export const WRITE_OWNER = 0x00080000;
export const WRITE_DAC = 0x00040000;
export const READ_CONTROL = 0x00020000;
export const DELETE = 0x00010000;
/** winnt.h standard-right combinations. */
export const STANDARD_RIGHTS_REQUIRED = 0x000f0000; // DELETE | READ_CONTROL | WRITE_DAC | WRITE_OWNER
export const STANDARD_RIGHTS_READ = READ_CONTROL;
export const STANDARD_RIGHTS_WRITE = READ_CONTROL;
export const STANDARD_RIGHTS_EXECUTE = READ_CONTROL;
export const STANDARD_RIGHTS_ALL = 0x001f0000;
export const SPECIFIC_RIGHTS_ALL = 0x0000ffff;

/** MS-SMB2 2.2.13.1.1 / MS-FSCC: file and pipe specific rights. */
export const FILE_READ_DATA = 0x00000001;
export const FILE_WRITE_DATA = 0x00000002;
export const FILE_APPEND_DATA = 0x00000004;
export const FILE_READ_EA = 0x00000008;
export const FILE_WRITE_EA = 0x00000010;
export const FILE_EXECUTE = 0x00000020;
export const FILE_DELETE_CHILD = 0x00000040;
export const FILE_READ_ATTRIBUTES = 0x00000080;
export const FILE_WRITE_ATTRIBUTES = 0x00000100;
/** MS-SMB2 2.2.13.1.2: the same bits, named for directories. */
export const FILE_LIST_DIRECTORY = FILE_READ_DATA;
export const FILE_ADD_FILE = FILE_WRITE_DATA;
export const FILE_ADD_SUBDIRECTORY = FILE_APPEND_DATA;
export const FILE_TRAVERSE = FILE_EXECUTE;

/** winnt.h: what the generic rights mean for files (the SDDL FR/FW/FX/FA aliases). */
export const FILE_GENERIC_READ = 0x00120089; // READ_CONTROL | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | SYNCHRONIZE
export const FILE_GENERIC_WRITE = 0x00120116; // READ_CONTROL | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA | FILE_APPEND_DATA | SYNCHRONIZE
export const FILE_GENERIC_EXECUTE = 0x001200a0; // READ_CONTROL | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE
export const FILE_ALL_ACCESS = 0x001f01ff; // STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1FF

/** winnt.h registry key rights (the SDDL KA/KR/KW/KX aliases). */
export const KEY_QUERY_VALUE = 0x0001;
export const KEY_SET_VALUE = 0x0002;
export const KEY_CREATE_SUB_KEY = 0x0004;
export const KEY_ENUMERATE_SUB_KEYS = 0x0008;
export const KEY_NOTIFY = 0x0010;
export const KEY_CREATE_LINK = 0x0020;
export const KEY_READ = 0x00020019; // READ_CONTROL | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY
export const KEY_WRITE = 0x00020006; // READ_CONTROL | KEY_SET_VALUE | KEY_CREATE_SUB_KEY
export const KEY_EXECUTE = KEY_READ;
export const KEY_ALL_ACCESS = 0x000f003f;

/** MS-ADTS 5.1.3.2 directory-service object rights (the SDDL CC/DC/LC/SW/RP/WP/DT/LO/CR aliases). */
export const DS_CREATE_CHILD = 0x00000001;
export const DS_DELETE_CHILD = 0x00000002;
export const DS_LIST_CHILDREN = 0x00000004;
export const DS_SELF = 0x00000008;
export const DS_READ_PROPERTY = 0x00000010;
export const DS_WRITE_PROPERTY = 0x00000020;
export const DS_DELETE_TREE = 0x00000040;
export const DS_LIST_OBJECT = 0x00000080;
export const DS_CONTROL_ACCESS = 0x00000100;
export const DS_GENERIC_READ = 0x00020094; // READ_CONTROL | LIST_CHILDREN | READ_PROPERTY | LIST_OBJECT
export const DS_GENERIC_WRITE = 0x00020028; // READ_CONTROL | SELF | WRITE_PROPERTY
export const DS_GENERIC_EXECUTE = 0x00020004; // READ_CONTROL | LIST_CHILDREN
export const DS_GENERIC_ALL = 0x000f01ff; // STANDARD_RIGHTS_REQUIRED | all nine DS rights

/** MS-DTYP 2.4.4.13 SYSTEM_MANDATORY_LABEL_ACE mask bits (the SDDL NW/NR/NX aliases). */
export const SYSTEM_MANDATORY_LABEL_NO_WRITE_UP = 0x1;
export const SYSTEM_MANDATORY_LABEL_NO_READ_UP = 0x2;
export const SYSTEM_MANDATORY_LABEL_NO_EXECUTE_UP = 0x4;

/** The GENERIC_MAPPING structure: what each generic right stands for on one object type. */
export interface GenericMapping {
  readonly genericRead: number;
  readonly genericWrite: number;
  readonly genericExecute: number;
  readonly genericAll: number;
}

/** Files, directories and named pipes (MS-SMB2 / MS-FSA; IoFileObjectType's mapping). */
export const FILE_GENERIC_MAPPING: GenericMapping = Object.freeze({
  genericRead: FILE_GENERIC_READ,
  genericWrite: FILE_GENERIC_WRITE,
  genericExecute: FILE_GENERIC_EXECUTE,
  genericAll: FILE_ALL_ACCESS,
});

/** Active Directory objects (MS-ADTS 5.1.3.3). */
export const DS_GENERIC_MAPPING: GenericMapping = Object.freeze({
  genericRead: DS_GENERIC_READ,
  genericWrite: DS_GENERIC_WRITE,
  genericExecute: DS_GENERIC_EXECUTE,
  genericAll: DS_GENERIC_ALL,
});

/** Registry keys. */
export const KEY_GENERIC_MAPPING: GenericMapping = Object.freeze({
  genericRead: KEY_READ,
  genericWrite: KEY_WRITE,
  genericExecute: KEY_EXECUTE,
  genericAll: KEY_ALL_ACCESS,
});

/**
 * For objects with no mapping of their own: read/write/execute give the standard rights a
 * reader needs (READ_CONTROL), GENERIC_ALL gives every standard and specific right.
 */
export const DEFAULT_GENERIC_MAPPING: GenericMapping = Object.freeze({
  genericRead: STANDARD_RIGHTS_READ,
  genericWrite: STANDARD_RIGHTS_WRITE,
  genericExecute: STANDARD_RIGHTS_EXECUTE,
  genericAll: (STANDARD_RIGHTS_ALL | SPECIFIC_RIGHTS_ALL) >>> 0,
});

/**
 * MS-DTYP 2.5.3.2 / MapGenericMask: replaces each generic bit of mask by what mapping gives for
 * it; every other bit (including MAXIMUM_ALLOWED and ACCESS_SYSTEM_SECURITY) is kept.
 */
export function mapGenericRights(mask: number, mapping: GenericMapping): number {
  let out = (mask & ~GENERIC_RIGHTS_ALL) >>> 0;
  if (mask & GENERIC_READ) out |= mapping.genericRead;
  if (mask & GENERIC_WRITE) out |= mapping.genericWrite;
  if (mask & GENERIC_EXECUTE) out |= mapping.genericExecute;
  if (mask & GENERIC_ALL) out |= mapping.genericAll;
  return out >>> 0;
}

/** True when mask is an integer in 0 .. 2^32-1. */
export function isAccessMask(mask: unknown): mask is number {
  return typeof mask === 'number' && Number.isInteger(mask) && mask >= 0 && mask <= 0xffffffff;
}
