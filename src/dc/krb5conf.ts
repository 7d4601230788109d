// A client krb5.conf for MIT Kerberos pointing at this domain's KDC(s). Used by the
// `authso krb5conf` command, the demo and startDomain(); peers read it via KRB5_CONFIG.

export interface Krb5ConfOptions {
  realm: string; // 'EXAMPLE.TEST'
  dnsName: string; // 'example.test'
  /** 'host:port' entries, e.g. '127.0.0.1:8800'. */
  kdcs: string[];
  /** Prefer TCP (udp_preference_limit = 1): our PAC-bearing replies rarely fit a datagram. */
  tcpOnly?: boolean;
}

export function renderKrb5Conf(o: Krb5ConfOptions): string {
  const kdcLines = o.kdcs.map((k) => `    kdc = ${k}`).join('\n');
  return `[libdefaults]
    default_realm = ${o.realm}
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
    dns_canonicalize_hostname = false
    ignore_acceptor_hostname = true
    forwardable = true
    renew_lifetime = 7d
    ticket_lifetime = 10h
${o.tcpOnly ? '    udp_preference_limit = 1\n' : ''}
[realms]
    ${o.realm} = {
${kdcLines}
        default_domain = ${o.dnsName}
    }

[domain_realm]
    .${o.dnsName} = ${o.realm}
    ${o.dnsName} = ${o.realm}
`;
}
