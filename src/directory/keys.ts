// Kerberos key material for accounts (MS-KILE 3.1.1.2 Cryptographic Material; MS-ADTS
// supplementalCredentials "Primary:Kerberos-Newer-Keys"): on every password set AD derives
// aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96 and rc4-hmac (= the NT hash, unicodePwd)
// from the cleartext password, with the salts below. The string-to-key functions come from
// src/crypto; nothing here implements cryptography.

import { randomBytes, randomInt } from 'node:crypto';
import { aesSha1KeysFromPasswordString } from '../crypto/aes-sha1.js';
import { enctypeProfile, ntHash, ETYPE } from '../crypto/index.js';
import type { Key } from '../crypto/types.js';
import type { NewKeyMaterial } from './store.js';
import type { AccountKind, Domain } from './types.js';
import { deriveWDigest } from './wdigest.js';

/** The enctypes derived on a password set, strongest first (the order KeySet.keys keeps). */
export const DERIVED_ETYPES: readonly number[] = [
  ETYPE.AES256_CTS_HMAC_SHA1_96,
  ETYPE.AES128_CTS_HMAC_SHA1_96,
  ETYPE.RC4_HMAC,
];

/**
 * The AD salt (MS-KILE 3.1.1.2):
 * - users (and krbtgt): upper-case realm + sAMAccountName as stored ('EXAMPLE.TESTalice',
 *   'EXAMPLE.TESTkrbtgt'). Windows uses the UPN's user part when the account has a UPN; MIT,
 *   Samba and impacket assume the sAMAccountName form, and since the KDC announces the salt in
 *   ETYPE-INFO2 from KeySet.salt, clients never need to guess.
 * - computers: upper-case realm + 'host' + lower-case name without '$' + '.' + lower-case
 *   domain DNS name ('EXAMPLE.TESThostweb.example.test').
 */
export function saltFor(kind: AccountKind, realm: string, samAccountName: string, domainDnsName: string): string {
  const upperRealm = realm.toUpperCase();
  if (kind === 'computer') {
    const bare = samAccountName.endsWith('$') ? samAccountName.slice(0, -1) : samAccountName;
    return `${upperRealm}host${bare.toLowerCase()}.${domainDnsName.toLowerCase()}`;
  }
  return `${upperRealm}${samAccountName}`;
}

export interface DerivedKeys {
  keys: Key[];
  ntHash: Buffer;
  salt: string;
}

/**
 * The keys of DERIVED_ETYPES. The two RFC 3962 AES keys come from one PBKDF2 run
 * (aesSha1KeysFromPasswordString: aes128's PBKDF2 output is a prefix of aes256's), which
 * gives the same keys as the two separate string-to-keys for about 2/3 of the CPU.
 */
export function deriveKeys(password: string, salt: string): DerivedKeys {
  const nt = ntHash(password);
  const aes = aesSha1KeysFromPasswordString(password, salt);
  const known = new Map<number, Buffer>([
    [ETYPE.AES256_CTS_HMAC_SHA1_96, aes.aes256],
    [ETYPE.AES128_CTS_HMAC_SHA1_96, aes.aes128],
    [ETYPE.RC4_HMAC, Buffer.from(nt)],
  ]);
  const keys: Key[] = DERIVED_ETYPES.map((etype) => ({ etype, value: known.get(etype) ?? enctypeProfile(etype).stringToKey(password, salt) }));
  return { keys, ntHash: Buffer.from(nt), salt };
}

/** The names the WDigest hashes are made of (the account's, as the password is set). */
export interface KeyMaterialNames {
  sam: string;
  upn?: string;
  domain: Pick<Domain, 'netbiosName' | 'dnsName'>;
}

/**
 * The secrets of one password set: Kerberos keys, the NT hash and (MS-SAMR 3.1.1.8.11.3.1) the
 * WDigest hashes, which need the account's names as the password is set — a later rename or
 * UPN change leaves them for the old names until the next password set, as in AD. Also run by
 * the key-derivation workers (./key-pool.ts) for bulk imports.
 */
export function keyMaterial(password: string, salt: string, names: KeyMaterialNames): NewKeyMaterial {
  const k = deriveKeys(password, salt);
  const wdigest = deriveWDigest(password, {
    samAccountName: names.sam,
    userPrincipalName: names.upn ?? `${names.sam}@${names.domain.dnsName}`,
    netbiosDomainName: names.domain.netbiosName,
    dnsDomainName: names.domain.dnsName,
  });
  return { ntHash: k.ntHash, keys: k.keys, salt: k.salt, wdigest };
}

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
const SYMBOLS = '!#%+-.:=?@^_~';
const ALL = UPPER + LOWER + DIGITS + SYMBOLS;

/**
 * A random printable password (no spaces or quotes, so it survives files, stdin and shells)
 * with every character class present, so it passes the complexity rule. Windows uses 120
 * random UTF-16 characters for machine accounts; ours has about 6 bits per character.
 */
export function randomPassword(length: number): string {
  if (length < 4) throw new RangeError('random password too short');
  const chars = [UPPER, LOWER, DIGITS, SYMBOLS].map((set) => set[randomInt(set.length)]);
  while (chars.length < length) chars.push(ALL[randomInt(ALL.length)]);
  // Fisher-Yates so the guaranteed classes are not at fixed positions.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}

/** A random domain SID S-1-5-21-x-y-z (three random 32-bit sub-authorities, as dcpromo makes). */
export function randomDomainSid(): string {
  const b = randomBytes(12);
  return `S-1-5-21-${b.readUInt32LE(0)}-${b.readUInt32LE(4)}-${b.readUInt32LE(8)}`;
}
