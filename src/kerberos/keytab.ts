// The MIT keytab file format, version 0x0502 (MIT krb5 doc/formats/keytab_file_format.rst;
// Heimdal writes the same): big-endian throughout.
//
//   file    ::= 0x05 0x02 record*
//   record  ::= int32 size, then `size` bytes of entry (size < 0: a hole of -size bytes
//               left by a deleted entry; size = 0: end of the entries)
//   entry   ::= uint16 num_components, data realm, data component[num_components],
//               uint32 name_type, uint32 timestamp, uint8 vno8,
//               uint16 keytype, data key,
//               [uint32 vno]   (present when 4+ bytes remain; non-zero overrides vno8)
//               [uint32 flags] (Heimdal; ignored)
//   data    ::= uint16 length, length bytes
//
// Version 0x0501 (native byte order, realm counted in num_components) is obsolete and refused.

export interface KeytabPrincipal {
  realm: string;
  components: string[];
  /** RFC 4120 name type (1 = NT-PRINCIPAL, 2 = NT-SRV-INST, 3 = NT-SRV-HST). */
  nameType: number;
}

export interface KeytabEntry {
  principal: KeytabPrincipal;
  /** Seconds since the epoch when the key was written. */
  timestamp: number;
  /** The full key version number (written as 8 bits plus the 32-bit extension). */
  kvno: number;
  key: { etype: number; value: Buffer };
}

export class KeytabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeytabError';
  }
}

const VERSION_0502 = 0x0502;
/** Bounds for decoding untrusted files. */
const MAX_FILE = 64 * 1024 * 1024;
const MAX_ENTRY = 64 * 1024;
const MAX_ENTRIES = 100_000;
const MAX_COMPONENTS = 64;

function putData(parts: Buffer[], s: Buffer, what: string): void {
  if (s.length > 0xffff) throw new KeytabError(`${what} is longer than 65535 bytes`);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(s.length);
  parts.push(len, s);
}

function encodeEntry(e: KeytabEntry): Buffer {
  const p = e.principal;
  if (p.components.length === 0 || p.components.length > MAX_COMPONENTS) {
    throw new KeytabError(`a principal needs 1..${MAX_COMPONENTS} components`);
  }
  if (!Number.isInteger(e.kvno) || e.kvno < 0 || e.kvno > 0xffffffff) throw new KeytabError('kvno must be a 32-bit unsigned integer');
  if (!Number.isInteger(e.key.etype) || e.key.etype < -0x8000 || e.key.etype > 0xffff) throw new KeytabError('etype out of range');
  if (!Number.isInteger(e.timestamp) || e.timestamp < 0 || e.timestamp > 0xffffffff) throw new KeytabError('timestamp out of range');
  const parts: Buffer[] = [];
  const head = Buffer.alloc(2);
  head.writeUInt16BE(p.components.length);
  parts.push(head);
  putData(parts, Buffer.from(p.realm, 'utf8'), 'realm');
  for (const c of p.components) putData(parts, Buffer.from(c, 'utf8'), 'principal component');
  const mid = Buffer.alloc(4 + 4 + 1 + 2);
  mid.writeUInt32BE(p.nameType >>> 0, 0);
  mid.writeUInt32BE(e.timestamp, 4);
  mid.writeUInt8(e.kvno & 0xff, 8);
  mid.writeUInt16BE(e.key.etype & 0xffff, 9);
  parts.push(mid);
  putData(parts, e.key.value, 'key');
  const vno = Buffer.alloc(4);
  vno.writeUInt32BE(e.kvno);
  parts.push(vno);
  return Buffer.concat(parts);
}

export function encodeKeytab(entries: KeytabEntry[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x05, 0x02])];
  for (const e of entries) {
    const body = encodeEntry(e);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    parts.push(size, body);
  }
  return Buffer.concat(parts);
}

class Reader {
  pos: number;
  constructor(
    private readonly buf: Buffer,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new KeytabError(`truncated keytab entry (${what})`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf.readUInt8(this.pos++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  data(what: string): Buffer {
    const n = this.u16(what);
    this.need(n, what);
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }
  remaining(): number {
    return this.end - this.pos;
  }
}

function utf8(b: Buffer, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    throw new KeytabError(`${what} is not valid UTF-8`);
  }
}

/** Decodes a version 0x0502 keytab; throws KeytabError on anything malformed or oversized. */
export function decodeKeytab(buf: Buffer): KeytabEntry[] {
  if (buf.length > MAX_FILE) throw new KeytabError(`keytab larger than ${MAX_FILE} bytes`);
  if (buf.length < 2) throw new KeytabError('not a keytab (too short)');
  if (buf[0] !== 0x05) throw new KeytabError('not a keytab (first byte is not 5)');
  const version = buf.readUInt16BE(0);
  if (version !== VERSION_0502) throw new KeytabError(`unsupported keytab version 0x${version.toString(16).padStart(4, '0')}`);
  const entries: KeytabEntry[] = [];
  let pos = 2;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw new KeytabError('truncated keytab (record size)');
    const size = buf.readInt32BE(pos);
    pos += 4;
    if (size === 0) break; // MIT: a zero size ends the entries
    const len = Math.abs(size);
    if (len > MAX_ENTRY) throw new KeytabError(`keytab record of ${len} bytes exceeds the limit`);
    if (pos + len > buf.length) throw new KeytabError('truncated keytab (record body)');
    if (size < 0) {
      pos += len; // a hole
      continue;
    }
    if (entries.length >= MAX_ENTRIES) throw new KeytabError('too many keytab entries');
    const r = new Reader(buf, pos, pos + len);
    const count = r.u16('component count');
    if (count === 0 || count > MAX_COMPONENTS) throw new KeytabError(`bad principal component count ${count}`);
    const realm = utf8(r.data('realm'), 'realm');
    const components: string[] = [];
    for (let i = 0; i < count; i++) components.push(utf8(r.data('component'), 'principal component'));
    const nameType = r.u32('name type');
    const timestamp = r.u32('timestamp');
    let kvno = r.u8('kvno');
    const etypeRaw = r.u16('key type');
    const value = r.data('key');
    if (r.remaining() >= 4) {
      const vno32 = r.u32('kvno');
      if (vno32 !== 0) kvno = vno32;
    }
    // Anything after (Heimdal's flags, future fields) is skipped: the record size bounds it.
    entries.push({
      principal: { realm, components, nameType },
      timestamp,
      kvno,
      key: { etype: etypeRaw >= 0x8000 ? etypeRaw - 0x10000 : etypeRaw, value },
    });
    pos += len;
  }
  return entries;
}
