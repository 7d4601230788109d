// RFC 4120 5.2 basic types: Int32/UInt32/Microseconds, KerberosTime, KerberosFlags, Realm,
// EncryptedData, EncryptionKey, Checksum and HostAddress(es).
import { int32, integerInRange, kerberosFlags, kerberosString, kerberosTime, octetString, req, opt, seqOf, struct, uint32, type Codec } from '../../encoding/der.js';
import type { Checksum, EncryptedData, EncryptionKey, HostAddress } from './types.js';
import { decodeWith, encodeWith } from './common.js';

export { int32, uint32, kerberosTime, kerberosFlags };

/** Microseconds ::= INTEGER (0..999999) (RFC 4120 5.2.4). */
export const microseconds: Codec<number> = integerInRange(0, 999999, 'Microseconds');

/** Realm ::= KerberosString (RFC 4120 5.2.2). */
export const realmCodec: Codec<string> = kerberosString;

/**
 * EncryptedData (RFC 4120 5.2.9). kvno is UInt32; Windows RODCs put their number in the high 16
 * bits, and some peers send it as a negative Int32, which uint32 maps back.
 */
export const encryptedDataCodec: Codec<EncryptedData> = struct<EncryptedData>(
  {
    etype: req(0, int32),
    kvno: opt(1, uint32),
    cipher: req(2, octetString),
  },
  'EncryptedData',
);

/** EncryptionKey (RFC 4120 5.2.9). */
export const encryptionKeyCodec: Codec<EncryptionKey> = struct<EncryptionKey>(
  {
    keytype: req(0, int32),
    keyvalue: req(1, octetString),
  },
  'EncryptionKey',
);

/** Checksum (RFC 4120 5.2.9). */
export const checksumCodec: Codec<Checksum> = struct<Checksum>(
  {
    cksumtype: req(0, int32),
    checksum: req(1, octetString),
  },
  'Checksum',
);

/** HostAddress (RFC 4120 5.2.5). */
export const hostAddressCodec: Codec<HostAddress> = struct<HostAddress>(
  {
    addrType: req(0, int32),
    address: req(1, octetString),
  },
  'HostAddress',
);

/** HostAddresses ::= SEQUENCE OF HostAddress (RFC 4120 5.2.5). */
export const hostAddressesCodec: Codec<HostAddress[]> = seqOf(hostAddressCodec, 'HostAddresses');

export function encodeEncryptedData(v: EncryptedData): Buffer {
  return encodeWith(encryptedDataCodec, v);
}
export function decodeEncryptedData(buf: Buffer): EncryptedData {
  return decodeWith(encryptedDataCodec, buf, 'EncryptedData');
}
export function encodeEncryptionKey(v: EncryptionKey): Buffer {
  return encodeWith(encryptionKeyCodec, v);
}
export function decodeEncryptionKey(buf: Buffer): EncryptionKey {
  return decodeWith(encryptionKeyCodec, buf, 'EncryptionKey');
}
export function encodeChecksum(v: Checksum): Buffer {
  return encodeWith(checksumCodec, v);
}
export function decodeChecksum(buf: Buffer): Checksum {
  return decodeWith(checksumCodec, buf, 'Checksum');
}
export function encodeHostAddresses(v: HostAddress[]): Buffer {
  return encodeWith(hostAddressesCodec, v);
}
export function decodeHostAddresses(buf: Buffer): HostAddress[] {
  return decodeWith(hostAddressesCodec, buf, 'HostAddresses');
}
