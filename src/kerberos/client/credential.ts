// A credential as a client holds it: the ticket (opaque) and what the KDC told us about it.

import type { Key } from '../../crypto/types.js';
import type { EncKdcRepPart, KrbError, PrincipalName, Ticket } from '../messages/types.js';

export interface Credential {
  crealm: string;
  cname: PrincipalName;
  ticket: Ticket;
  sessionKey: Key;
  info: EncKdcRepPart;
}

/** The KDC answered with a KRB-ERROR. */
export class KrbErrorReply extends Error {
  constructor(readonly error: KrbError) {
    super(`KDC error ${error.errorCode}${error.eText ? `: ${error.eText}` : ''}`);
    this.name = 'KrbErrorReply';
  }
  get code(): number {
    return this.error.errorCode;
  }
}
