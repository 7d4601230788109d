// The enctype and checksum tables (one row per type, like MIT's etypes.c / cksumtypes.c).
// Policy code asks here by number; nothing outside src/crypto switches on enctype numbers.

import {
  AES128_SHA1,
  AES256_SHA1,
  aesSha1ChecksumProfile,
  aesSha1Enctype,
} from './aes-sha1.js';
import { AES128_SHA256, AES256_SHA384, aesSha2ChecksumProfile, aesSha2Enctype } from './aes-sha2.js';
import { hmacMd5ChecksumProfile, rc4HmacEnctype } from './rc4-hmac.js';
import { KrbCryptoError, type ChecksumProfile, type EnctypeProfile } from './types.js';
import { rsaMd5ChecksumProfile, sha1ChecksumProfile } from './unkeyed-checksums.js';

const ENCTYPES: readonly EnctypeProfile[] = [
  aesSha1Enctype(AES128_SHA1),
  aesSha1Enctype(AES256_SHA1),
  aesSha2Enctype(AES128_SHA256),
  aesSha2Enctype(AES256_SHA384),
  rc4HmacEnctype,
];

const CHECKSUMS: readonly ChecksumProfile[] = [
  aesSha1ChecksumProfile(AES128_SHA1),
  aesSha1ChecksumProfile(AES256_SHA1),
  aesSha2ChecksumProfile(AES128_SHA256),
  aesSha2ChecksumProfile(AES256_SHA384),
  hmacMd5ChecksumProfile,
  rsaMd5ChecksumProfile,
  sha1ChecksumProfile,
];

const ENCTYPE_BY_NUMBER = new Map(ENCTYPES.map((p) => [p.etype, p]));
const CHECKSUM_BY_NUMBER = new Map(CHECKSUMS.map((p) => [p.cksumtype, p]));

/** MIT's alternative spellings, for krb5.conf-style enctype lists. */
const ENCTYPE_ALIASES: Record<string, number> = {
  'rc4-hmac': 23,
  'arcfour-hmac-md5': 23,
  aes128: 17,
  aes256: 18,
  'aes128-sha1': 17,
  'aes256-sha1': 18,
  'aes128-sha2': 19,
  'aes256-sha2': 20,
};

/**
 * Enctypes strongest first. The Windows-compatible RFC 3962 AES types lead (AD issues and
 * accepts them everywhere); RFC 8009 follows; RC4 is last and only used where allowed.
 */
export const ENCTYPE_PREFERENCE: readonly number[] = Object.freeze([18, 17, 20, 19, 23]);

export function findEnctype(etype: number): EnctypeProfile | undefined {
  return ENCTYPE_BY_NUMBER.get(etype);
}

/** The profile of a supported enctype; throws KrbCryptoError (KDC_ERR_ETYPE_NOSUPP) otherwise. */
export function enctypeProfile(etype: number): EnctypeProfile {
  const p = ENCTYPE_BY_NUMBER.get(etype);
  if (!p) throw new KrbCryptoError(`unsupported enctype ${etype}`);
  return p;
}

/** An enctype by MIT name or alias (case-insensitive), e.g. 'aes256-cts-hmac-sha1-96', 'rc4-hmac'. */
export function findEnctypeByName(name: string): EnctypeProfile | undefined {
  const n = name.trim().toLowerCase();
  const byAlias = ENCTYPE_ALIASES[n];
  if (byAlias !== undefined) return ENCTYPE_BY_NUMBER.get(byAlias);
  return ENCTYPES.find((p) => p.name === n);
}

/** Every supported enctype number, in preference order. */
export function supportedEnctypes(): readonly number[] {
  return ENCTYPE_PREFERENCE;
}

export function findChecksum(cksumtype: number): ChecksumProfile | undefined {
  return CHECKSUM_BY_NUMBER.get(cksumtype);
}

/** The profile of a supported checksum type; throws KrbCryptoError (KRB_AP_ERR_INAPP_CKSUM) otherwise. */
export function checksumProfile(cksumtype: number): ChecksumProfile {
  const p = CHECKSUM_BY_NUMBER.get(cksumtype);
  if (!p) throw new KrbCryptoError(`unsupported checksum type ${cksumtype}`);
  return p;
}

/** The keyed checksum type RFC 3961 pairs with an enctype (e.g. for PAC signatures, MS-PAC 2.8). */
export function checksumTypeForEnctype(etype: number): number {
  return enctypeProfile(etype).checksumType;
}
