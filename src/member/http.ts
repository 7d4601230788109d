// The HTTP authenticator of a joined member server (MS-AUTHSO 5: the web server is a domain
// member; everything about the user is decided by the DC):
//   - Negotiate/Kerberos: tickets for HTTP/<name> and HTTP/<fqdn>, which the KDC encrypts in the
//     machine account's key (both resolve to the computer's HOST/ SPNs through sPNMappings), so
//     the member's own keys from its state file open them; the PAC's KDC signature is checked by
//     the DC (KERB_VERIFY_PAC over Netlogon, MS-APDS 3.2);
//   - NTLM (and NTLM inside Negotiate): pass-through to the DC (MS-APDS 3.1);
//   - Digest: DIGEST_VALIDATION_REQ to the DC (MS-APDS 3.3);
//   - Basic: an AS exchange for the user with the DC's KDC, then a ticket to ourselves;
//   - TLS client certificates: a certificate mapper, e.g. S4U2Self with the certificate.

import type { HttpAuthenticatorOptions } from '../http/authenticator.js';
import type { HttpMechanism } from '../http/rules.js';
import type { LoadedMember } from './state.js';

/** The SPNs an HTTP server on this member answers to: HTTP/<name> and HTTP/<fqdn>. */
export function memberHttpSpns(member: Pick<LoadedMember, 'state'>): string[] {
  const s = member.state;
  return [`HTTP/${s.computerName.toLowerCase()}`, `HTTP/${s.dnsHostName.toLowerCase()}`];
}

/** createHttpAuthenticator options for a member server (the caller adds rules, logger...). */
export function memberHttpAuthenticatorOptions(
  member: Pick<LoadedMember, 'state' | 'authority' | 'serviceKeys'>,
  extra: Partial<HttpAuthenticatorOptions> = {},
): HttpAuthenticatorOptions {
  const s = member.state;
  const mechanisms: HttpMechanism[] = ['Negotiate', 'NTLM', 'Digest', 'Basic'];
  if (extra.certificates) mechanisms.push('Certificate');
  return {
    authority: member.authority,
    serviceKeys: () => member.serviceKeys(),
    servicePrincipal: memberHttpSpns(member),
    names: {
      netbiosComputerName: s.computerName.toUpperCase(),
      dnsComputerName: s.dnsHostName.toLowerCase(),
      netbiosDomainName: s.netbiosDomainName,
      dnsDomainName: s.dnsDomainName,
    },
    realm: s.realm,
    kdc: { host: s.dc.host, port: s.dc.kdcPort ?? 88 },
    domainSid: s.domainSid,
    mechanisms,
    ...extra,
  };
}
