// Which enctype the KDC uses for what (MS-KILE 3.3.5.4, RFC 4120 3.1.3): the reply key is the
// strongest key the client asked for and the account holds; the session key the strongest the
// client asked for and the service supports; the ticket is encrypted in the service's strongest
// key. RC4 is used only where msDS-SupportedEncryptionTypes of the account allows it.

import { ENCTYPE_PREFERENCE } from '../../crypto/registry.js';
import { ETYPE, type Key } from '../../crypto/types.js';
import { SUPPORTED_ETYPE, type KeySet, type PrincipalEntry } from '../../directory/types.js';

/** Secure default when an account has no msDS-SupportedEncryptionTypes: AES only. */
export const DEFAULT_SUPPORTED_ETYPES = SUPPORTED_ETYPE.AES128 | SUPPORTED_ETYPE.AES256;

const BIT_FOR_ETYPE: Record<number, number> = {
  [ETYPE.AES256_CTS_HMAC_SHA1_96]: SUPPORTED_ETYPE.AES256,
  [ETYPE.AES128_CTS_HMAC_SHA1_96]: SUPPORTED_ETYPE.AES128,
  // RFC 8009 enctypes have no msDS-SupportedEncryptionTypes bit; they follow the AES bits.
  [ETYPE.AES256_CTS_HMAC_SHA384_192]: SUPPORTED_ETYPE.AES256,
  [ETYPE.AES128_CTS_HMAC_SHA256_128]: SUPPORTED_ETYPE.AES128,
  [ETYPE.RC4_HMAC]: SUPPORTED_ETYPE.RC4_HMAC,
};

/**
 * The krbtgt's own default also admits RC4 *session* keys: a TGT is still encrypted in its AES
 * key, and only a client whose account allows RC4 can get that far with an RC4-only request.
 */
const KRBTGT_DEFAULT_SUPPORTED_ETYPES = DEFAULT_SUPPORTED_ETYPES | SUPPORTED_ETYPE.RC4_HMAC;

export function etypeAllowed(entry: PrincipalEntry, etype: number): boolean {
  const fallback = entry.account.kind === 'krbtgt' ? KRBTGT_DEFAULT_SUPPORTED_ETYPES : DEFAULT_SUPPORTED_ETYPES;
  const mask = entry.account.supportedEncryptionTypes || fallback;
  const bit = BIT_FOR_ETYPE[etype];
  return bit !== undefined && (mask & bit) !== 0;
}

/** The account's usable current keys, strongest first. */
export function usableKeys(entry: PrincipalEntry): Key[] {
  const out: Key[] = [];
  for (const etype of ENCTYPE_PREFERENCE) {
    if (!etypeAllowed(entry, etype)) continue;
    const k = entry.secrets.current.keys.find((x) => x.etype === etype);
    if (k) out.push(k);
  }
  return out;
}

/** Strongest usable key whose enctype the client listed (the AS reply key). */
export function chooseReplyKey(entry: PrincipalEntry, clientEtypes: readonly number[]): Key | undefined {
  return usableKeys(entry).find((k) => clientEtypes.includes(k.etype));
}

/** Usable keys the client listed, strongest first (for ETYPE-INFO2). */
export function sharedKeys(entry: PrincipalEntry, clientEtypes: readonly number[]): Key[] {
  return usableKeys(entry).filter((k) => clientEtypes.includes(k.etype));
}

/** Session key enctype: strongest the client listed and the service supports. */
export function chooseSessionEtype(service: PrincipalEntry, clientEtypes: readonly number[]): number | undefined {
  for (const etype of ENCTYPE_PREFERENCE) {
    if (clientEtypes.includes(etype) && etypeAllowed(service, etype)) return etype;
  }
  return undefined;
}

/** The service key a ticket is encrypted in (strongest usable). */
export function ticketKey(service: PrincipalEntry): { key: Key; kvno: number } | undefined {
  const key = usableKeys(service)[0];
  return key ? { key, kvno: service.secrets.current.kvno } : undefined;
}

/** The key that decrypts a ticket we issued earlier: current or a kept previous version. */
export function findKeyByVersion(entry: PrincipalEntry, etype: number, kvno: number | undefined): Key | undefined {
  const sets: KeySet[] = [entry.secrets.current, ...entry.secrets.previous];
  const set = kvno === undefined ? entry.secrets.current : sets.find((s) => s.kvno === kvno);
  return set?.keys.find((k) => k.etype === etype);
}
