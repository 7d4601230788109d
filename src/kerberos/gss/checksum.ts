// RFC 4121 4.1.1: the authenticator checksum of a GSS-API Kerberos AP-REQ. It is not a
// cryptographic checksum at all: cksumtype 0x8003 carries, in the clear inside the encrypted
// authenticator,
//
//   Lgth (4, LE) = 16 | Bnd (16) | Flags (4, LE) | [DlgOpt (2, LE) = 1 | Dlgth (2, LE) | Deleg] | [Exts]
//
// where Bnd is the MD5 of the channel bindings (4.1.1.2) or zeros, Flags the GSS request flags
// (4.1.1.1, plus the MS-KILE / RFC 4757 7.1 DCE-style bits) and Deleg a KRB-CRED with the
// forwarded TGT when GSS_C_DELEG_FLAG is set.

import { createHash } from 'node:crypto';
import { tokenError } from './errors.js';

export const GSS_CHECKSUM_TYPE = 0x8003;

/** RFC 4121 4.1.1.1 flag bits; DCE_STYLE, IDENTIFY and EXTENDED_ERROR from RFC 4757 7.1 / MS-KILE 3.2.5.2. */
export const GSS_FLAG = {
  DELEG: 0x1,
  MUTUAL: 0x2,
  REPLAY: 0x4,
  SEQUENCE: 0x8,
  CONF: 0x10,
  INTEG: 0x20,
  ANON: 0x40,
  DCE_STYLE: 0x1000,
  IDENTIFY: 0x2000,
  EXTENDED_ERROR: 0x4000,
} as const;

/**
 * gss_channel_bindings_struct (RFC 2744 3.11). TLS channel bindings (RFC 5929, and what
 * Windows puts in for Extended Protection) use only applicationData, e.g.
 * 'tls-server-end-point:' + certificate hash.
 */
export interface ChannelBindings {
  initiatorAddrType?: number;
  initiatorAddress?: Buffer;
  acceptorAddrType?: number;
  acceptorAddress?: Buffer;
  applicationData?: Buffer;
}

function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/**
 * RFC 4121 4.1.1.2: Bnd = MD5 over the bindings, integers little-endian, each address and the
 * application data preceded by its 4-octet length (the layout MIT and Windows hash).
 */
export function channelBindingsHash(cb: ChannelBindings): Buffer {
  const h = createHash('md5');
  const field = (b: Buffer | undefined) => {
    const v = b ?? Buffer.alloc(0);
    h.update(le32(v.length));
    h.update(v);
  };
  h.update(le32(cb.initiatorAddrType ?? 0));
  field(cb.initiatorAddress);
  h.update(le32(cb.acceptorAddrType ?? 0));
  field(cb.acceptorAddress);
  field(cb.applicationData);
  return h.digest();
}

export interface GssChecksum {
  /** 16 octets: the bindings hash, or zeros when the initiator had none. */
  bnd: Buffer;
  flags: number;
  /** The KRB-CRED carrying the delegated TGT (DlgOpt 1), when present. */
  delegation?: Buffer;
  /** Extension bytes after the delegation option, kept opaque. */
  exts?: Buffer;
}

const LGTH = 16;
const DLGOPT_KRB_CRED = 1;

export function encodeGssChecksum(c: GssChecksum): Buffer {
  if (c.bnd.length !== LGTH) throw tokenError('channel-binding hash must be 16 octets');
  const parts: Buffer[] = [le32(LGTH), c.bnd, le32(c.flags)];
  if (c.delegation) {
    if ((c.flags & GSS_FLAG.DELEG) === 0) throw tokenError('delegation data without GSS_C_DELEG_FLAG');
    if (c.delegation.length > 0xffff) throw tokenError('delegation token too large');
    const head = Buffer.alloc(4);
    head.writeUInt16LE(DLGOPT_KRB_CRED, 0);
    head.writeUInt16LE(c.delegation.length, 2);
    parts.push(head, c.delegation);
  }
  if (c.exts) parts.push(c.exts);
  return Buffer.concat(parts);
}

/**
 * Parses a 0x8003 checksum. Lgth must be 16 (RFC 4121 4.1.1). A DELEG flag with no delegation
 * option after it is reported with delegation undefined (MIT clears the flag in that case);
 * a delegation option that does not fit is an error.
 */
export function decodeGssChecksum(b: Buffer): GssChecksum {
  if (b.length < 24) throw tokenError('authenticator checksum shorter than 24 octets');
  if (b.readUInt32LE(0) !== LGTH) throw tokenError('authenticator checksum Lgth is not 16');
  const bnd = Buffer.from(b.subarray(4, 20));
  const flags = b.readUInt32LE(20);
  let pos = 24;
  let delegation: Buffer | undefined;
  if ((flags & GSS_FLAG.DELEG) !== 0 && b.length >= 28) {
    const opt = b.readUInt16LE(24);
    const len = b.readUInt16LE(26);
    if (opt !== DLGOPT_KRB_CRED) throw tokenError(`unknown delegation option ${opt}`);
    if (28 + len > b.length) throw tokenError('delegation token overruns the checksum');
    delegation = Buffer.from(b.subarray(28, 28 + len));
    pos = 28 + len;
  }
  const exts = pos < b.length ? Buffer.from(b.subarray(pos)) : undefined;
  return { bnd, flags, delegation, exts };
}
