// RFC 3961 section 3: an encryption type is a profile of key generation, encryption and
// checksum functions. Policy code picks profiles from the registry (src/crypto/registry.ts);
// nothing outside src/crypto switches on enctype numbers.

/** A Kerberos EncryptionKey (RFC 4120 5.2.9). */
export interface Key {
  etype: number;
  value: Buffer;
}

export interface EnctypeProfile {
  readonly etype: number;
  /** MIT name, e.g. 'aes256-cts-hmac-sha1-96'. */
  readonly name: string;
  readonly keyBytes: number;
  /** The checksum type RFC 3961 pairs with this enctype (used for keyed checksums with its keys). */
  readonly checksumType: number;
  /** true for rc4-hmac: allowed only where an account or policy asks for it. */
  readonly weak: boolean;
  /** Default string-to-key parameters (e.g. PBKDF2 iteration count for AES: 4096). */
  stringToKey(password: string, salt: string, params?: Buffer): Buffer;
  randomKey(): Buffer;
  /** RFC 3961 encrypt with the usage-derived keys; a fresh random confounder each call. */
  encrypt(key: Buffer, usage: number, plaintext: Buffer): Buffer;
  /** Throws KrbCryptoError on integrity failure or a malformed ciphertext. */
  decrypt(key: Buffer, usage: number, ciphertext: Buffer): Buffer;
}

export interface ChecksumProfile {
  readonly cksumtype: number;
  readonly name: string;
  readonly size: number;
  /** The enctype whose keys this keyed checksum takes (undefined for unkeyed). */
  readonly etype?: number;
  make(key: Buffer | undefined, usage: number, data: Buffer): Buffer;
  /** Constant-time comparison. */
  verify(key: Buffer | undefined, usage: number, data: Buffer, cksum: Buffer): boolean;
}

export class KrbCryptoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KrbCryptoError';
  }
}

/** RFC 3961/3962/8009/4757 numbers. */
export const ETYPE = {
  AES128_CTS_HMAC_SHA1_96: 17,
  AES256_CTS_HMAC_SHA1_96: 18,
  AES128_CTS_HMAC_SHA256_128: 19,
  AES256_CTS_HMAC_SHA384_192: 20,
  RC4_HMAC: 23,
} as const;

export const CKSUMTYPE = {
  HMAC_SHA1_96_AES128: 15,
  HMAC_SHA1_96_AES256: 16,
  HMAC_SHA256_128_AES128: 19,
  HMAC_SHA384_192_AES256: 20,
  HMAC_MD5: -138, // RFC 4757 KERB_CHECKSUM_HMAC_MD5 (0xFFFFFF76)
  RSA_MD5: 7,
  SHA1: 14,
} as const;

/** Key usage numbers used by the KDC and the GSS layer (RFC 4120 7.5.1, MS-KILE, MS-PAC). */
export const KEY_USAGE = {
  AS_REQ_PA_ENC_TIMESTAMP: 1,
  KDC_REP_TICKET: 2,
  AS_REP_ENCPART: 3,
  TGS_REQ_AD_SESSKEY: 4,
  TGS_REQ_AD_SUBKEY: 5,
  TGS_REQ_AUTH_CKSUM: 6,
  TGS_REQ_AUTH: 7,
  TGS_REP_ENCPART_SESSKEY: 8,
  TGS_REP_ENCPART_SUBKEY: 9,
  AP_REQ_AUTH_CKSUM: 10,
  AP_REQ_AUTH: 11,
  AP_REP_ENCPART: 12,
  KRB_PRIV_ENCPART: 13,
  KRB_CRED_ENCPART: 14,
  KRB_SAFE_CKSUM: 15,
  PA_FX_COOKIE: 16,
  KERB_NON_KERB_SALT: 16,
  KERB_NON_KERB_CKSUM_SALT: 17, // MS-PAC 2.8: PAC server/KDC signatures
} as const;
