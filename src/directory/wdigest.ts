// The WDigest precomputed hashes (MS-SAMR 3.1.1.8.11.3.1 "Primary:WDigest" in
// supplementalCredentials): on every password set AD stores 29 MD5(user ":" realm ":" password)
// values, one per user-name / realm spelling a Digest client may use, so that the DC can verify
// a Digest response (MS-APDS 3.3, MS-DPSP) without keeping the cleartext password. The DC picks
// the variant whose (name, realm) strings are exactly the ones the client hashed — MD5 is case
// sensitive, hence the lower/upper-case forms.
//
// Stored as the spec's WDIGEST_CREDENTIALS layout (MS-SAMR 2.2.10.2): Reserved1 = 0x31,
// Reserved2 = 0, Version = 1, NumberOfHashes = 29, 12 reserved bytes, then 29 × 16-byte hashes.

import { createHash } from 'node:crypto';

export const WDIGEST_HASH_COUNT = 29;
const HEADER_BYTES = 16;
export const WDIGEST_BLOB_BYTES = HEADER_BYTES + WDIGEST_HASH_COUNT * 16;

export interface WDigestNames {
  samAccountName: string;
  /** userPrincipalName, or when the account has none sAMAccountName@dnsDomainName (as AD does). */
  userPrincipalName: string;
  netbiosDomainName: string;
  dnsDomainName: string;
}

/** The 29 (user, realm) pairs of MS-SAMR 3.1.1.8.11.3.1, in the table's order (hash i = index i - 1). */
export function wdigestVariants(n: WDigestNames): Array<[user: string, realm: string]> {
  const sam = n.samAccountName;
  const nb = n.netbiosDomainName;
  const dns = n.dnsDomainName;
  const upn = n.userPrincipalName;
  const nbSam = `${nb}\\${sam}`;
  const L = (s: string) => s.toLowerCase();
  const U = (s: string) => s.toUpperCase();
  return [
    // 1–7: sAMAccountName with the NetBIOS domain name.
    [sam, nb], [L(sam), L(nb)], [U(sam), U(nb)], [sam, U(nb)], [sam, L(nb)], [U(sam), L(nb)], [L(sam), U(nb)],
    // 8–14: sAMAccountName with the DNS domain name.
    [sam, dns], [L(sam), L(dns)], [U(sam), U(dns)], [sam, U(dns)], [sam, L(dns)], [U(sam), L(dns)], [L(sam), U(dns)],
    // 15–17: the UPN with an empty realm; 18–20: NETBIOS\sam with an empty realm.
    [upn, ''], [L(upn), ''], [U(upn), ''],
    [nbSam, ''], [L(nbSam), ''], [U(nbSam), ''],
    // 21–29: the fixed realm "Digest" (MS-DPSP: what a client uses when the server names none).
    [sam, 'Digest'], [L(sam), 'Digest'], [U(sam), 'Digest'],
    [upn, 'Digest'], [L(upn), 'Digest'], [U(upn), 'Digest'],
    [nbSam, 'Digest'], [L(nbSam), 'Digest'], [U(nbSam), 'Digest'],
  ];
}

/** RFC 7616 3.4.2 H(A1) for MD5: MD5(user ":" realm ":" password), strings as UTF-8 (RFC 7616 charset=UTF-8). */
export function digestHa1(user: string, realm: string, password: string): Buffer {
  return createHash('md5').update(`${user}:${realm}:${password}`, 'utf8').digest();
}

/** The Primary:WDigest blob for a password (never logged; it is password-equivalent for Digest). */
export function deriveWDigest(password: string, names: WDigestNames): Buffer {
  const out = Buffer.alloc(WDIGEST_BLOB_BYTES);
  out[0] = 0x31;
  out[1] = 0;
  out[2] = 1;
  out[3] = WDIGEST_HASH_COUNT;
  wdigestVariants(names).forEach(([u, r], i) => digestHa1(u, r, password).copy(out, HEADER_BYTES + i * 16));
  return out;
}

/** Hash i (0-based) of a stored blob, or undefined if the blob is not the 29-hash layout. */
export function wdigestHash(blob: Buffer, index: number): Buffer | undefined {
  if (blob.length !== WDIGEST_BLOB_BYTES || blob[3] !== WDIGEST_HASH_COUNT || index < 0 || index >= WDIGEST_HASH_COUNT) return undefined;
  return blob.subarray(HEADER_BYTES + index * 16, HEADER_BYTES + (index + 1) * 16);
}

/** The indexes of the variants whose (user, realm) are exactly what the client hashed. */
export function matchingVariants(names: WDigestNames, user: string, realm: string): number[] {
  const out: number[] = [];
  wdigestVariants(names).forEach(([u, r], i) => {
    if (u === user && r === realm) out.push(i);
  });
  return out;
}
