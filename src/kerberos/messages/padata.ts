// Pre-authentication data: RFC 4120 5.2.7 PA-DATA / METHOD-DATA, PA-ENC-TS-ENC (5.2.7.2),
// ETYPE-INFO (5.2.7.4), ETYPE-INFO2 (5.2.7.5), and the Microsoft additions from MS-KILE 2.2:
// KERB-ERROR-DATA / KERB_EXT_ERROR (2.2.1), KERB-PA-PAC-REQUEST (2.2.2), PA-PAC-OPTIONS (2.2.10).
import { DerError, boolean, int32, kerberosFlags, kerberosString, kerberosTime, octetString, opt, req, seqOf, struct, type Codec } from '../../encoding/der.js';
import type { EtypeInfo2Entry, EtypeInfoEntry, KerbErrorData, KerbExtError, KerbPaPacRequest, PAData, PaEncTsEnc } from './types.js';
import { KerberosDecodeError, decodeWith, encodeWith } from './common.js';
import { microseconds } from './basic.js';

/** PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING } (tags start at 1). */
export const paDataCodec: Codec<PAData> = struct<PAData>(
  {
    padataType: req(1, int32),
    padataValue: req(2, octetString),
  },
  'PA-DATA',
);

/** METHOD-DATA ::= SEQUENCE OF PA-DATA (RFC 4120 5.9.1; also the padata fields of KDC-REQ/REP). */
export const methodDataCodec: Codec<PAData[]> = seqOf(paDataCodec, 'METHOD-DATA');

/** PA-ENC-TS-ENC (RFC 4120 5.2.7.2): the plaintext of PA-ENC-TIMESTAMP. */
export const paEncTsEncCodec: Codec<PaEncTsEnc> = struct<PaEncTsEnc>(
  {
    patimestamp: req(0, kerberosTime),
    pausec: opt(1, microseconds),
  },
  'PA-ENC-TS-ENC',
);

/** ETYPE-INFO2-ENTRY (RFC 4120 5.2.7.5); salt is a KerberosString here (unlike ETYPE-INFO). */
export const etypeInfo2EntryCodec: Codec<EtypeInfo2Entry> = struct<EtypeInfo2Entry>(
  {
    etype: req(0, int32),
    salt: opt(1, kerberosString),
    s2kparams: opt(2, octetString),
  },
  'ETYPE-INFO2-ENTRY',
);
/** ETYPE-INFO2 ::= SEQUENCE SIZE (1..MAX) OF ETYPE-INFO2-ENTRY; an empty list is tolerated on input. */
export const etypeInfo2Codec: Codec<EtypeInfo2Entry[]> = seqOf(etypeInfo2EntryCodec, 'ETYPE-INFO2');

/** ETYPE-INFO-ENTRY (RFC 4120 5.2.7.4): salt is an OCTET STRING. */
export const etypeInfoEntryCodec: Codec<EtypeInfoEntry> = struct<EtypeInfoEntry>(
  {
    etype: req(0, int32),
    salt: opt(1, octetString),
  },
  'ETYPE-INFO-ENTRY',
);
export const etypeInfoCodec: Codec<EtypeInfoEntry[]> = seqOf(etypeInfoEntryCodec, 'ETYPE-INFO');

/** KERB-ERROR-DATA ::= SEQUENCE { data-type [1] INTEGER, data-value [2] OCTET STRING OPTIONAL } (MS-KILE 2.2.1). */
export const kerbErrorDataCodec: Codec<KerbErrorData> = struct<KerbErrorData>(
  {
    dataType: req(1, int32),
    dataValue: opt(2, octetString),
  },
  'KERB-ERROR-DATA',
);

/** KERB-PA-PAC-REQUEST ::= SEQUENCE { include-pac [0] BOOLEAN } (MS-KILE 2.2.2). */
export const kerbPaPacRequestCodec: Codec<KerbPaPacRequest> = struct<KerbPaPacRequest>({ includePac: req(0, boolean) }, 'KERB-PA-PAC-REQUEST');

/** PA-PAC-OPTIONS ::= SEQUENCE { options [0] PAC-OPTIONS-FLAGS } (MS-KILE 2.2.10), KerberosFlags. */
export const paPacOptionsCodec: Codec<{ options: number }> = struct<{ options: number }>({ options: req(0, kerberosFlags) }, 'PA-PAC-OPTIONS');

export function encodeMethodData(pa: PAData[]): Buffer {
  return encodeWith(methodDataCodec, pa);
}
export function decodeMethodData(buf: Buffer): PAData[] {
  return decodeWith(methodDataCodec, buf, 'METHOD-DATA');
}
export function encodePaData(pa: PAData): Buffer {
  return encodeWith(paDataCodec, pa);
}
export function decodePaData(buf: Buffer): PAData {
  return decodeWith(paDataCodec, buf, 'PA-DATA');
}
export function encodePaEncTsEnc(v: PaEncTsEnc): Buffer {
  return encodeWith(paEncTsEncCodec, v);
}
export function decodePaEncTsEnc(buf: Buffer): PaEncTsEnc {
  return decodeWith(paEncTsEncCodec, buf, 'PA-ENC-TS-ENC');
}
export function encodeEtypeInfo2(entries: EtypeInfo2Entry[]): Buffer {
  return encodeWith(etypeInfo2Codec, entries);
}
export function decodeEtypeInfo2(buf: Buffer): EtypeInfo2Entry[] {
  return decodeWith(etypeInfo2Codec, buf, 'ETYPE-INFO2');
}
export function encodeEtypeInfo(entries: EtypeInfoEntry[]): Buffer {
  return encodeWith(etypeInfoCodec, entries);
}
export function decodeEtypeInfo(buf: Buffer): EtypeInfoEntry[] {
  return decodeWith(etypeInfoCodec, buf, 'ETYPE-INFO');
}
export function encodeKerbErrorData(v: KerbErrorData): Buffer {
  return encodeWith(kerbErrorDataCodec, v);
}
export function decodeKerbErrorData(buf: Buffer): KerbErrorData {
  return decodeWith(kerbErrorDataCodec, buf, 'KERB-ERROR-DATA');
}
export function encodeKerbPaPacRequest(v: KerbPaPacRequest): Buffer {
  return encodeWith(kerbPaPacRequestCodec, v);
}
export function decodeKerbPaPacRequest(buf: Buffer): KerbPaPacRequest {
  return decodeWith(kerbPaPacRequestCodec, buf, 'KERB-PA-PAC-REQUEST');
}
/** PA-PAC-OPTIONS with the flags as a 32-bit number, bit 0 = MSB (MS-KILE 2.2.10: bit 0 claims, 1 branch-aware, 2 forward-to-full-DC, 3 resource-based constrained delegation). */
export function encodePaPacOptions(flags: number): Buffer {
  return encodeWith(paPacOptionsCodec, { options: flags });
}
export function decodePaPacOptions(buf: Buffer): number {
  return decodeWith(paPacOptionsCodec, buf, 'PA-PAC-OPTIONS').options;
}

/** KERB_ERR_TYPE_EXTENDED: KERB-ERROR-DATA data-type whose data-value is a KERB_EXT_ERROR (MS-KILE 2.2.1). */
export const KERB_ERR_TYPE_EXTENDED = 3;
/** KERB_AP_ERR_TYPE_SKEW_RECOVERY (MS-KILE 2.2.1). */
export const KERB_AP_ERR_TYPE_SKEW_RECOVERY = 2;

function checkU32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new DerError(`KERB_EXT_ERROR ${name} ${v} is not 32-bit`);
  return v >>> 0;
}

/**
 * KERB_EXT_ERROR (MS-KILE 2.2.1): not DER but a fixed 12-byte little-endian structure
 * { NTSTATUS status; ULONG reserved; ULONG flags }. NTSTATUS values are kept unsigned
 * (e.g. 0xC000006E STATUS_ACCOUNT_RESTRICTION).
 */
export function encodeKerbExtError(v: KerbExtError): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt32LE(checkU32('status', v.status), 0);
  out.writeUInt32LE(checkU32('reserved', v.reserved), 4);
  out.writeUInt32LE(checkU32('flags', v.flags), 8);
  return out;
}
export function decodeKerbExtError(buf: Buffer): KerbExtError {
  if (!(buf instanceof Uint8Array) || buf.length !== 12) {
    throw new KerberosDecodeError(`malformed KERB_EXT_ERROR: expected 12 bytes, got ${buf instanceof Uint8Array ? buf.length : typeof buf}`);
  }
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf);
  return { status: b.readUInt32LE(0), reserved: b.readUInt32LE(4), flags: b.readUInt32LE(8) };
}
