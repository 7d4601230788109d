// Ticket assembly shared by the AS and TGS exchanges (RFC 4120 3.1.3, 3.3.3).

import { enctypeProfile } from '../../crypto/registry.js';
import { KEY_USAGE, type Key } from '../../crypto/types.js';
import { decodeAuthorizationData, encodeAuthorizationData, encodeEncTicketPart } from '../messages/index.js';
import type { KdcContext } from './context.js';
import { ticketKey } from './etype-policy.js';
import { KdcError } from './kdc-error.js';
import { AD, KDC_ERR, type AuthorizationData, type EncTicketPart, type PrincipalName, type Ticket } from '../messages/types.js';

/** KerberosTime carries whole seconds (RFC 4120 5.2.3). */
export function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

/** RFC 4120 5.4.1: a till of 19700101000000Z means "as long as policy allows". */
export function requestedTill(till: Date | undefined, maxMs: number): number {
  if (!till || till.getTime() === 0) return maxMs;
  return Math.min(till.getTime(), maxMs);
}

/** MS-PAC 2.1 / MS-KILE 3.3.5.6.4: the PAC travels as AD-IF-RELEVANT { AD-WIN2K-PAC }. */
export function pacAuthorizationData(pac: Buffer): AuthorizationData {
  return [{ adType: AD.IF_RELEVANT, adData: encodeAuthorizationData([{ adType: AD.WIN2K_PAC, adData: pac }]) }];
}

/** Finds the PAC inside (nested) AD-IF-RELEVANT elements; undefined when the ticket has none. */
export function extractPac(authz: AuthorizationData | undefined, depth = 0): Buffer | undefined {
  if (!authz || depth > 4) return undefined;
  for (const ad of authz) {
    if (ad.adType === AD.WIN2K_PAC) return ad.adData;
    if (ad.adType === AD.IF_RELEVANT) {
      const inner = extractPac(decodeAuthorizationData(ad.adData), depth + 1);
      if (inner) return inner;
    }
  }
  return undefined;
}

export function sealTicket(part: EncTicketPart, key: Key, kvno: number, realm: string, sname: PrincipalName): Ticket {
  const cipher = enctypeProfile(key.etype).encrypt(key.value, KEY_USAGE.KDC_REP_TICKET, encodeEncTicketPart(part));
  return { tktVno: 5, realm, sname, encPart: { etype: key.etype, kvno, cipher } };
}

/** MS-PAC 2.8.2: the KDC signature is made with the krbtgt account's strongest key. */
export function kdcSigningKey(ctx: KdcContext): Key {
  const k = ticketKey(ctx.krbtgt);
  if (!k) throw new KdcError(KDC_ERR.ETYPE_NOSUPP, 'krbtgt has no usable key');
  return k.key;
}
