// MS-PAC 2.3 PACTYPE and 2.4 PAC_INFO_BUFFER: the PAC framing.
//
//   PACTYPE { ULONG cBuffers; ULONG Version (0); PAC_INFO_BUFFER Buffers[cBuffers]; }
//   PAC_INFO_BUFFER { ULONG ulType; ULONG cbBufferSize; ULONG64 Offset; }
//
// Offsets are from the start of PACTYPE; 2.4: "Offset ... MUST be a multiple of eight", so every
// buffer's data starts 8-byte aligned and is zero-padded to the next multiple of 8 (the last one
// too, as Windows does).

import { PacError } from './errors.js';
import type { Pac, PacBuffer } from './types.js';

/** PACTYPE header size and PAC_INFO_BUFFER size. */
const PACTYPE_HEADER = 8;
const INFO_BUFFER_SIZE = 16;

/** Where one buffer's data sits in an encoded PAC. */
export interface PacBufferLocation {
  type: number;
  offset: number;
  size: number;
}

function align8(n: number): number {
  return n + ((8 - (n % 8)) % 8);
}

/** Encodes a PAC; also returns where each buffer landed (signing patches signatures in place). */
export function encodePacWithLayout(pac: Pac): { bytes: Buffer; locations: PacBufferLocation[] } {
  if (!Number.isInteger(pac.version) || pac.version < 0 || pac.version > 0xffffffff) {
    throw new PacError('PACTYPE.Version must be a 32-bit unsigned integer');
  }
  const n = pac.buffers.length;
  let offset = PACTYPE_HEADER + INFO_BUFFER_SIZE * n; // already a multiple of 8
  const locations: PacBufferLocation[] = [];
  for (const b of pac.buffers) {
    if (!Number.isInteger(b.type) || b.type < 0 || b.type > 0xffffffff) throw new PacError(`bad PAC buffer type ${b.type}`);
    if (!Buffer.isBuffer(b.data)) throw new PacError(`PAC buffer ${b.type} data must be a Buffer`);
    locations.push({ type: b.type, offset, size: b.data.length });
    offset = align8(offset + b.data.length);
  }
  if (offset > 0xffffffff) throw new PacError('PAC too large');
  const out = Buffer.alloc(offset);
  out.writeUInt32LE(n, 0);
  out.writeUInt32LE(pac.version, 4);
  locations.forEach((loc, i) => {
    const at = PACTYPE_HEADER + INFO_BUFFER_SIZE * i;
    out.writeUInt32LE(loc.type, at);
    out.writeUInt32LE(loc.size, at + 4);
    out.writeBigUInt64LE(BigInt(loc.offset), at + 8);
    pac.buffers[i].data.copy(out, loc.offset);
  });
  return { bytes: out, locations };
}

export function encodePac(pac: Pac): Buffer {
  return encodePacWithLayout(pac).bytes;
}

/**
 * Decodes PAC framing, checking: Version 0; cBuffers fits the input; every Offset a multiple of 8,
 * past the PAC_INFO_BUFFER array, and Offset + cbBufferSize inside the input; no two buffers
 * overlapping; no buffer type appearing twice (a duplicate signature or logon-info buffer would
 * make "which one counts" ambiguous between signer and verifier).
 */
export function decodePacWithLayout(buf: Buffer): { pac: Pac; locations: PacBufferLocation[] } {
  if (!Buffer.isBuffer(buf)) throw new PacError('PAC must be a Buffer');
  if (buf.length < PACTYPE_HEADER) throw new PacError('PACTYPE truncated');
  const count = buf.readUInt32LE(0);
  const version = buf.readUInt32LE(4);
  if (version !== 0) throw new PacError(`unsupported PACTYPE.Version ${version}`);
  const headerEnd = PACTYPE_HEADER + INFO_BUFFER_SIZE * count;
  if (headerEnd > buf.length) throw new PacError(`PACTYPE.cBuffers ${count} does not fit in ${buf.length} bytes`);
  const locations: PacBufferLocation[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const at = PACTYPE_HEADER + INFO_BUFFER_SIZE * i;
    const type = buf.readUInt32LE(at);
    const size = buf.readUInt32LE(at + 4);
    const off = buf.readBigUInt64LE(at + 8);
    if (off % 8n !== 0n) throw new PacError(`PAC buffer ${type}: Offset ${off} is not a multiple of 8`);
    if (off < BigInt(headerEnd) || off + BigInt(size) > BigInt(buf.length)) {
      throw new PacError(`PAC buffer ${type}: Offset ${off} + cbBufferSize ${size} outside the ${buf.length}-byte PAC`);
    }
    if (seen.has(type)) throw new PacError(`PAC buffer type ${type} appears more than once`);
    seen.add(type);
    locations.push({ type, offset: Number(off), size });
  }
  const sorted = [...locations].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (prev.offset + prev.size > sorted[i].offset) {
      throw new PacError(`PAC buffers ${prev.type} and ${sorted[i].type} overlap`);
    }
  }
  const buffers: PacBuffer[] = locations.map((l) => ({
    type: l.type,
    data: Buffer.from(buf.subarray(l.offset, l.offset + l.size)),
  }));
  return { pac: { version, buffers }, locations };
}

export function decodePac(buf: Buffer): Pac {
  return decodePacWithLayout(buf).pac;
}

/** The data of the one buffer of this type, or undefined. */
export function findPacBuffer(pac: Pac, type: number): Buffer | undefined {
  return pac.buffers.find((b) => b.type === type)?.data;
}
