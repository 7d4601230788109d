// The small fixed-layout PAC buffers (not NDR): MS-PAC 2.7 PAC_CLIENT_INFO, 2.8
// PAC_SIGNATURE_DATA, 2.10 UPN_DNS_INFO, 2.14 PAC_ATTRIBUTES_INFO, 2.15 PAC_REQUESTOR.
// All little-endian. Decoders check every length and offset against the buffer and throw PacError.

import { sidFromBytes, sidToBytes } from '../dtyp/sid.js';
import { asPacError, PacError } from './errors.js';
import type { PacAttributesInfo, PacClientInfo, PacSignatureData, SidString, UpnDnsInfo } from './types.js';

function utf16(s: string, what: string): Buffer {
  if (typeof s !== 'string') throw new PacError(`${what} must be a string`);
  const b = Buffer.from(s, 'utf16le');
  if (b.length > 0xffff) throw new PacError(`${what} is too long`);
  return b;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

// --- 2.7 PAC_CLIENT_INFO: ClientId (FILETIME), NameLength (bytes), Name (UTF-16LE, no NUL)

export function encodePacClientInfo(ci: PacClientInfo): Buffer {
  const name = utf16(ci.name, 'PAC_CLIENT_INFO.Name');
  if (typeof ci.clientId !== 'bigint' || ci.clientId < 0n || ci.clientId > 0xffffffffffffffffn) {
    throw new PacError('PAC_CLIENT_INFO.ClientId must be a 64-bit FILETIME');
  }
  const out = Buffer.alloc(10 + name.length);
  out.writeBigUInt64LE(ci.clientId, 0); // FILETIME low half then high half == 64-bit LE
  out.writeUInt16LE(name.length, 8);
  name.copy(out, 10);
  return out;
}

export function decodePacClientInfo(buf: Buffer): PacClientInfo {
  if (buf.length < 10) throw new PacError('PAC_CLIENT_INFO truncated');
  const nameLength = buf.readUInt16LE(8);
  if (nameLength % 2 !== 0) throw new PacError(`PAC_CLIENT_INFO: odd NameLength ${nameLength}`);
  if (10 + nameLength !== buf.length) {
    throw new PacError(`PAC_CLIENT_INFO: NameLength ${nameLength} does not match the buffer size ${buf.length}`);
  }
  return { clientId: buf.readBigUInt64LE(0), name: buf.toString('utf16le', 10, 10 + nameLength) };
}

// --- 2.8 PAC_SIGNATURE_DATA: SignatureType (signed 32-bit), Signature, optional RODCIdentifier

/** Signature sizes by checksum type: MS-PAC 2.8 (-138 HMAC_MD5, 15/16 HMAC_SHA1_96_AES*) and
 *  the RFC 8009 types (19, 20) a KDC signs with for aes-sha2 keys. */
export const PAC_SIGNATURE_SIZE: ReadonlyMap<number, number> = new Map([
  [-138, 16],
  [15, 12],
  [16, 12],
  [19, 16],
  [20, 24],
]);

export function encodePacSignatureData(sd: PacSignatureData): Buffer {
  const size = PAC_SIGNATURE_SIZE.get(sd.signatureType);
  if (size === undefined) throw new PacError(`PAC_SIGNATURE_DATA: unsupported signature type ${sd.signatureType}`);
  if (!Buffer.isBuffer(sd.signature) || sd.signature.length !== size) {
    throw new PacError(`PAC_SIGNATURE_DATA: signature type ${sd.signatureType} needs ${size} bytes`);
  }
  const hasRodc = sd.rodcIdentifier !== undefined;
  const out = Buffer.alloc(4 + size + (hasRodc ? 2 : 0));
  out.writeInt32LE(sd.signatureType, 0);
  sd.signature.copy(out, 4);
  if (hasRodc) {
    const id = sd.rodcIdentifier as number;
    if (!Number.isInteger(id) || id < 0 || id > 0xffff) throw new PacError('PAC_SIGNATURE_DATA: RODCIdentifier must be 16-bit');
    out.writeUInt16LE(id, 4 + size);
  }
  return out;
}

export function decodePacSignatureData(buf: Buffer): PacSignatureData {
  if (buf.length < 4) throw new PacError('PAC_SIGNATURE_DATA truncated');
  const signatureType = buf.readInt32LE(0);
  const size = PAC_SIGNATURE_SIZE.get(signatureType);
  if (size === undefined) throw new PacError(`PAC_SIGNATURE_DATA: unsupported signature type ${signatureType}`);
  const rest = buf.length - 4 - size;
  if (rest !== 0 && rest !== 2) {
    throw new PacError(`PAC_SIGNATURE_DATA: ${buf.length} bytes does not fit signature type ${signatureType}`);
  }
  const sd: PacSignatureData = { signatureType, signature: Buffer.from(buf.subarray(4, 4 + size)) };
  if (rest === 2) sd.rodcIdentifier = buf.readUInt16LE(4 + size); // 2.8: present for RODC-issued TGTs
  return sd;
}

// --- 2.10 UPN_DNS_INFO: UpnLength, UpnOffset, DnsDomainNameLength, DnsDomainNameOffset (u16),
// Flags (u32); with flags S (0x2) the 2.10.1 extension: SamNameLength, SamNameOffset, SidLength,
// SidOffset (u16). Offsets are from the start of the buffer; the strings follow the header, each
// 8-byte aligned (as Windows lays them out).

export const UPN_DNS_FLAG = {
  /** U: the account has no userPrincipalName; the UPN is the implicit name@dnsdomain. */
  UPN_CONSTRUCTED: 0x1,
  /** S: the 2.10.1 SAM name and SID extension is present. */
  EXTENDED: 0x2,
} as const;

export function encodeUpnDnsInfo(u: UpnDnsInfo): Buffer {
  const extended = (u.flags & UPN_DNS_FLAG.EXTENDED) !== 0;
  if (!Number.isInteger(u.flags) || u.flags < 0 || u.flags > 0xffffffff) throw new PacError('UPN_DNS_INFO.Flags must be 32-bit');
  const parts: Buffer[] = [utf16(u.upn, 'UPN_DNS_INFO.Upn'), utf16(u.dnsDomainName, 'UPN_DNS_INFO.DnsDomainName')];
  if (extended) {
    if (u.samName === undefined || u.sid === undefined) {
      throw new PacError('UPN_DNS_INFO: flags S (0x2) needs samName and sid');
    }
    parts.push(utf16(u.samName, 'UPN_DNS_INFO.SamName'));
    parts.push(asPacError('UPN_DNS_INFO.Sid', () => sidToBytes(u.sid as string)));
  } else if (u.samName !== undefined || u.sid !== undefined) {
    throw new PacError('UPN_DNS_INFO: samName and sid need flags S (0x2)');
  }
  const headerSize = extended ? 20 : 12;
  const placed: { offset: number; length: number }[] = [];
  let end = headerSize;
  for (const p of parts) {
    if (p.length === 0) {
      placed.push({ offset: 0, length: 0 });
      continue;
    }
    const offset = align8(end);
    placed.push({ offset, length: p.length });
    end = offset + p.length;
  }
  if (end > 0xffff) throw new PacError('UPN_DNS_INFO too large for 16-bit offsets');
  const out = Buffer.alloc(end);
  out.writeUInt16LE(placed[0].length, 0);
  out.writeUInt16LE(placed[0].offset, 2);
  out.writeUInt16LE(placed[1].length, 4);
  out.writeUInt16LE(placed[1].offset, 6);
  out.writeUInt32LE(u.flags, 8);
  if (extended) {
    out.writeUInt16LE(placed[2].length, 12);
    out.writeUInt16LE(placed[2].offset, 14);
    out.writeUInt16LE(placed[3].length, 16);
    out.writeUInt16LE(placed[3].offset, 18);
  }
  parts.forEach((p, i) => p.copy(out, placed[i].offset));
  return out;
}

function field(buf: Buffer, lengthAt: number, what: string): Buffer {
  const length = buf.readUInt16LE(lengthAt);
  const offset = buf.readUInt16LE(lengthAt + 2);
  if (offset + length > buf.length) {
    throw new PacError(`UPN_DNS_INFO: ${what} (offset ${offset}, length ${length}) exceeds the ${buf.length}-byte buffer`);
  }
  return buf.subarray(offset, offset + length);
}

function utf16Field(buf: Buffer, lengthAt: number, what: string): string {
  const b = field(buf, lengthAt, what);
  if (b.length % 2 !== 0) throw new PacError(`UPN_DNS_INFO: odd ${what} length ${b.length}`);
  return b.toString('utf16le');
}

export function decodeUpnDnsInfo(buf: Buffer): UpnDnsInfo {
  if (buf.length < 12) throw new PacError('UPN_DNS_INFO truncated');
  const flags = buf.readUInt32LE(8);
  const u: UpnDnsInfo = {
    upn: utf16Field(buf, 0, 'Upn'),
    dnsDomainName: utf16Field(buf, 4, 'DnsDomainName'),
    flags,
  };
  if (flags & UPN_DNS_FLAG.EXTENDED) {
    if (buf.length < 20) throw new PacError('UPN_DNS_INFO: extension (2.10.1) truncated');
    u.samName = utf16Field(buf, 12, 'SamName');
    const sidBytes = field(buf, 16, 'Sid');
    u.sid = asPacError('UPN_DNS_INFO.Sid', () => {
      const { sid, length } = sidFromBytes(sidBytes);
      if (length !== sidBytes.length) throw new PacError(`UPN_DNS_INFO: SidLength ${sidBytes.length} but the SID has ${length} bytes`);
      return sid;
    });
  }
  return u;
}

// --- 2.14 PAC_ATTRIBUTES_INFO: FlagsLength (in bits), Flags (ceil(FlagsLength/32) u32s)

export const PAC_ATTRIBUTE = {
  PAC_WAS_REQUESTED: 0x1,
  PAC_WAS_GIVEN_IMPLICITLY: 0x2,
} as const;

export function encodePacAttributesInfo(a: PacAttributesInfo): Buffer {
  if (!Number.isInteger(a.flagsLength) || a.flagsLength < 0 || a.flagsLength > 32) {
    throw new PacError('PAC_ATTRIBUTES_INFO: FlagsLength must be 0..32 bits');
  }
  if (!Number.isInteger(a.flags) || a.flags < 0 || a.flags > 0xffffffff) throw new PacError('PAC_ATTRIBUTES_INFO: Flags must be 32-bit');
  const words = Math.ceil(a.flagsLength / 32);
  const out = Buffer.alloc(4 + 4 * words);
  out.writeUInt32LE(a.flagsLength, 0);
  if (words === 1) out.writeUInt32LE(a.flags, 4);
  return out;
}

export function decodePacAttributesInfo(buf: Buffer): PacAttributesInfo {
  if (buf.length < 4) throw new PacError('PAC_ATTRIBUTES_INFO truncated');
  const flagsLength = buf.readUInt32LE(0);
  // Windows sends 2 bits; PacAttributesInfo holds one 32-bit word, so more bits are refused.
  if (flagsLength > 32) throw new PacError(`PAC_ATTRIBUTES_INFO: FlagsLength ${flagsLength} bits is not supported`);
  const words = Math.ceil(flagsLength / 32);
  if (buf.length !== 4 + 4 * words) throw new PacError(`PAC_ATTRIBUTES_INFO: ${buf.length} bytes for ${flagsLength} flag bits`);
  return { flagsLength, flags: words === 1 ? buf.readUInt32LE(4) : 0 };
}

// --- 2.15 PAC_REQUESTOR: the requestor's SID, MS-DTYP 2.4.2.2 binary form

export function encodePacRequestor(sid: SidString): Buffer {
  return asPacError('PAC_REQUESTOR', () => sidToBytes(sid));
}

export function decodePacRequestor(buf: Buffer): SidString {
  return asPacError('PAC_REQUESTOR', () => {
    const { sid, length } = sidFromBytes(buf);
    if (length !== buf.length) throw new PacError(`PAC_REQUESTOR: ${buf.length} bytes but the SID has ${length}`);
    return sid;
  });
}
