// Basic (RFC 7617) validated by a Kerberos AS exchange with the domain's KDC — the spec's route
// for cleartext credentials (MS-AUTHSO 5.4.5 step 7; MS-APDS: the password never reaches a
// DomainAuthority as such). The password gets a TGT (AS-REQ with PA-ENC-TIMESTAMP, so the KDC
// counts bad passwords and honours lockout), the TGT a service ticket for our own SPN, and
// that ticket is accepted with our keytab exactly as a Negotiate AP-REQ would be: the
// LogonToken comes from the PAC the KDC signed, and its KDC signature is checked through the
// DomainAuthority. A forged KDC cannot hand us a ticket our keytab opens.

import { KerberosAcceptor, KerberosInitiator, type ServiceKey } from '../kerberos/gss/index.js';
import type { KdcAddress } from '../kerberos/client/transport.js';
import { SEC_E, SecurityError, type DomainAuthority, type LogonToken } from '../security/types.js';
import { HttpAuthError, decodeToken68 } from './authorization.js';

/** Longest user name and password accepted (anything longer cannot be a real account's). */
const MAX_USER_CHARS = 512;
const MAX_PASSWORD_CHARS = 1024;

export interface BasicCredentials {
  user: string;
  password: string;
}

/** RFC 7617 2: base64(user-id ":" password), UTF-8 (the charset Windows and curl send). */
export function parseBasic(token68: string | undefined): BasicCredentials {
  const raw = decodeToken68(token68).toString('utf8');
  const colon = raw.indexOf(':');
  if (colon < 0) throw new HttpAuthError(400, 'Basic credentials without a colon');
  const user = raw.slice(0, colon);
  const password = raw.slice(colon + 1);
  if (user === '' || user.length > MAX_USER_CHARS || password.length > MAX_PASSWORD_CHARS) {
    throw new SecurityError(SEC_E.LOGON_DENIED, 'Basic credentials out of range');
  }
  // RFC 7617 2: control characters are not allowed in the user-id.
  if ([...user].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) throw new SecurityError(SEC_E.LOGON_DENIED, 'control characters in the Basic user-id');
  return { user, password };
}

export interface BasicValidatorOptions {
  kdc: KdcAddress;
  realm: string;
  /** Our SPN ('HTTP/web.example.test'): the service ticket is asked for it and opened with the keytab. */
  servicePrincipal: string;
  /** Every SPN the ticket may be for (default just servicePrincipal; the KDC may canonicalize). */
  acceptedPrincipals?: readonly string[];
  /** The service's keys: a keytab, keys given directly, or both. */
  keytab?: Buffer;
  keys?: ServiceKey[];
  authority: DomainAuthority;
  /** The domain's NetBIOS name: 'EXAMPLE\alice' is alice of this domain. */
  netbiosDomainName?: string;
  dnsDomainName?: string;
}

/** The user name the KDC understands: 'DOMAIN\user' and 'user@dns-domain' (when it is ours) become 'user'. */
export function normaliseBasicUser(user: string, o: Pick<BasicValidatorOptions, 'netbiosDomainName' | 'dnsDomainName' | 'realm'>): string {
  const bs = user.indexOf('\\');
  if (bs >= 0) {
    const dom = user.slice(0, bs).toLowerCase();
    const ours = [o.netbiosDomainName, o.dnsDomainName, o.realm].filter((x): x is string => !!x).map((x) => x.toLowerCase());
    if (!ours.includes(dom)) throw new SecurityError(SEC_E.LOGON_DENIED, 'Basic user of another domain');
    return user.slice(bs + 1);
  }
  // 'alice@EXAMPLE.TEST' may also be a UPN; the KDC resolves UPNs itself, so it is passed as is.
  return user;
}

export async function validateBasic(c: BasicCredentials, o: BasicValidatorOptions): Promise<LogonToken> {
  const user = normaliseBasicUser(c.user, o);
  if (user === '' || user.includes('/')) throw new SecurityError(SEC_E.LOGON_DENIED, 'bad Basic user name');
  const initiator = new KerberosInitiator({
    target: o.servicePrincipal,
    kdc: o.kdc,
    realm: o.realm,
    user,
    password: c.password,
    mutual: false,
    delegate: false,
  });
  const first = await initiator.step();
  if (!first.output) throw new SecurityError(SEC_E.INTERNAL_ERROR, 'no AP-REQ from the Kerberos initiator');
  const acceptor = new KerberosAcceptor({
    keytab: o.keytab,
    keys: o.keys,
    servicePrincipal: o.acceptedPrincipals ?? o.servicePrincipal,
    authority: o.authority,
    requirePac: true,
  });
  await acceptor.step(first.output);
  const token = acceptor.peer;
  if (!acceptor.done || !token) throw new SecurityError(SEC_E.LOGON_DENIED, 'Basic: the service ticket was not accepted');
  // MS-AUTHSO 3.5: a logon from a cleartext password is a NetworkCleartext logon.
  return { ...token, logonType: 'networkCleartext' };
}
