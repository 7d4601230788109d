// MS-PAC 2.8 PAC signatures and the KDC/acceptor procedures around them (MS-PAC 2.8.1, 2.8.2,
// 3.1.1 / MS-KILE 3.3.5.6.4, 3.4.5.3):
//
// - the server signature (PAC_SERVER_CHECKSUM, type 6) is a keyed checksum, with the key the
//   ticket is encrypted in, over the whole encoded PAC with both signature fields zero-filled;
// - the KDC signature (PAC_PRIVSVR_CHECKSUM, type 7) is a keyed checksum, with the krbtgt key,
//   over the server signature's Signature bytes;
// - both use key usage 17 (KERB_NON_KERB_CKSUM_SALT) and the checksum type that RFC 3961 pairs
//   with the key's enctype (16 for aes256, 15 for aes128, -138 HMAC-MD5 for rc4).
//
// The crypto is src/crypto's (checksumProfile / checksumTypeForEnctype); nothing here hashes.

import { checksumProfile, checksumTypeForEnctype } from '../crypto/registry.js';
import { KEY_USAGE, KrbCryptoError, type ChecksumProfile, type Key } from '../crypto/types.js';
import { decodePacSignatureData, encodePacSignatureData } from './buffers.js';
import { PacError } from './errors.js';
import { decodePacWithLayout, encodePacWithLayout } from './pac.js';
import { PAC_TYPE, type Pac, type PacBuffer, type PacSignatureData } from './types.js';

/** Buffers that carry KDC-computed signatures over the PAC or ticket (MS-PAC 2.8: server, KDC,
 *  ticket and full-PAC signatures). signPac adds 6 and 7; resignPac drops all four, since after
 *  re-signing none of the old values would be valid. */
export const PAC_SIGNATURE_BUFFER_TYPES: readonly number[] = [
  PAC_TYPE.SERVER_CHECKSUM,
  PAC_TYPE.PRIVSVR_CHECKSUM,
  PAC_TYPE.TICKET_CHECKSUM,
  PAC_TYPE.FULL_PAC_CHECKSUM,
];

const USAGE = KEY_USAGE.KERB_NON_KERB_CKSUM_SALT; // 17, MS-PAC 2.8.1

function crypto<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KrbCryptoError) throw new PacError(`${what}: ${e.message}`);
    throw e;
  }
}

/** The keyed checksum profile a PAC signature with this key uses. */
function profileForKey(key: Key, what: string): ChecksumProfile {
  return crypto(what, () => checksumProfile(checksumTypeForEnctype(key.etype)));
}

/**
 * Builds and signs a PAC: buffers (which must not contain signature buffers), then
 * PAC_SERVER_CHECKSUM and PAC_PRIVSVR_CHECKSUM. Returns the encoded PAC.
 */
export function signPac(buffers: PacBuffer[], serverKey: Key, kdcKey: Key): Buffer {
  for (const b of buffers) {
    if (PAC_SIGNATURE_BUFFER_TYPES.includes(b.type)) {
      throw new PacError(`signPac: buffer type ${b.type} is a signature buffer; pass only the data buffers`);
    }
  }
  const sp = profileForKey(serverKey, 'PAC server signature');
  const kp = profileForKey(kdcKey, 'PAC KDC signature');
  const serverSig = encodePacSignatureData({ signatureType: sp.cksumtype, signature: Buffer.alloc(sp.size) });
  const kdcSig = encodePacSignatureData({ signatureType: kp.cksumtype, signature: Buffer.alloc(kp.size) });
  const { bytes, locations } = encodePacWithLayout({
    version: 0,
    buffers: [...buffers, { type: PAC_TYPE.SERVER_CHECKSUM, data: serverSig }, { type: PAC_TYPE.PRIVSVR_CHECKSUM, data: kdcSig }],
  });
  const serverLoc = locations[locations.length - 2];
  const kdcLoc = locations[locations.length - 1];
  // 2.8.1: server checksum over the whole PAC, both Signature fields still zero.
  const serverCksum = crypto('PAC server signature', () => sp.make(serverKey.value, USAGE, bytes));
  serverCksum.copy(bytes, serverLoc.offset + 4);
  // 2.8.2: KDC checksum over the server signature's Signature bytes.
  const kdcCksum = crypto('PAC KDC signature', () => kp.make(kdcKey.value, USAGE, serverCksum));
  kdcCksum.copy(bytes, kdcLoc.offset + 4);
  return bytes;
}

/** The decoded server and KDC signatures of a PAC (e.g. to pick the key whose checksum type
 *  matches before verifying). Throws PacError if either is missing or malformed. */
export function getPacSignatures(pac: Pac): { server: PacSignatureData; kdc: PacSignatureData } {
  const s = pac.buffers.find((b) => b.type === PAC_TYPE.SERVER_CHECKSUM);
  const k = pac.buffers.find((b) => b.type === PAC_TYPE.PRIVSVR_CHECKSUM);
  if (!s) throw new PacError('PAC has no server signature (PAC_SERVER_CHECKSUM)');
  if (!k) throw new PacError('PAC has no KDC signature (PAC_PRIVSVR_CHECKSUM)');
  return { server: decodePacSignatureData(s.data), kdc: decodePacSignatureData(k.data) };
}

function checkType(sig: PacSignatureData, key: Key, what: string): ChecksumProfile {
  const p = profileForKey(key, what);
  // The type must be the one the key's enctype dictates: never let the PAC choose a weaker or
  // unkeyed checksum for a key.
  if (sig.signatureType !== p.cksumtype) {
    throw new PacError(`${what}: signature type ${sig.signatureType} does not match the key (enctype ${key.etype} signs with ${p.cksumtype})`);
  }
  return p;
}

/**
 * Acceptor check (MS-PAC 2.8.1): decodes pacBytes and verifies the server signature with the
 * key the ticket was encrypted in. Returns the decoded PAC; throws PacError if the signature is
 * missing, of the wrong type for the key, or wrong.
 */
export function verifyPacServerSignature(pacBytes: Buffer, serverKey: Key): Pac {
  const { pac, locations } = decodePacWithLayout(pacBytes);
  const { server, kdc } = getPacSignatures(pac);
  const p = checkType(server, serverKey, 'PAC server signature');
  const serverLoc = locations.find((l) => l.type === PAC_TYPE.SERVER_CHECKSUM);
  const kdcLoc = locations.find((l) => l.type === PAC_TYPE.PRIVSVR_CHECKSUM);
  if (!serverLoc || !kdcLoc) throw new PacError('PAC signature buffers missing');
  const zeroed = Buffer.from(pacBytes);
  zeroed.fill(0, serverLoc.offset + 4, serverLoc.offset + 4 + server.signature.length);
  zeroed.fill(0, kdcLoc.offset + 4, kdcLoc.offset + 4 + kdc.signature.length);
  const ok = crypto('PAC server signature', () => p.verify(serverKey.value, USAGE, zeroed, server.signature));
  if (!ok) throw new PacError('PAC server signature is wrong');
  return pac;
}

/** KDC check (MS-PAC 2.8.2): verifies the KDC signature over the server signature with the
 *  krbtgt key. Throws PacError on a missing or wrong signature. */
export function verifyPacKdcSignature(pac: Pac, kdcKey: Key): void {
  const { server, kdc } = getPacSignatures(pac);
  const p = checkType(kdc, kdcKey, 'PAC KDC signature');
  const ok = crypto('PAC KDC signature', () => p.verify(kdcKey.value, USAGE, server.signature, kdc.signature));
  if (!ok) throw new PacError('PAC KDC signature is wrong');
}

/**
 * TGS path: keeps every buffer of pacBytes except the signature buffers (in their order) and
 * signs again for the new service key. The caller verifies the old signatures first.
 */
export function resignPac(pacBytes: Buffer, serverKey: Key, kdcKey: Key): Buffer {
  const { pac } = decodePacWithLayout(pacBytes);
  return signPac(
    pac.buffers.filter((b) => !PAC_SIGNATURE_BUFFER_TYPES.includes(b.type)),
    serverKey,
    kdcKey,
  );
}
