// The security providers of a member server's RPC server (MS-AUTHSO 7: a member server accepting
// a domain user's bind). Each provider decides nothing locally about the user:
//   - NTLM (RPC_C_AUTHN_WINNT, MS-RPCE 2.2.1.1.7): the acceptor's NETLOGON_NETWORK_INFO goes to the
//     DC over the member's secure channel (MS-APDS 3.1, MS-NRPC 3.4.5.3.4), so every bind is
//     decided — and bad passwords counted — at the DC;
//   - Kerberos (RPC_C_AUTHN_GSS_KERBEROS): tickets are decrypted with the member's own machine
//     keys (the state file's, MS-KILE 3.4.5), the PAC's KDC signature checked by the DC
//     (KERB_VERIFY_PAC, MS-APDS 3.2) through the same NetlogonAuthority;
//   - Negotiate (RPC_C_AUTHN_GSS_NEGOTIATE): SPNEGO over both (MS-SPNG), NTLM inside getting the
//     same per-PDU protection through the RPC adapter (MS-RPCE 3.3.1.5.2).

import { KerberosAcceptor } from '../kerberos/gss/acceptor.js';
import { NtlmAcceptor } from '../ntlm/index.js';
import { ntlmRpc } from '../rpc/ntlm.js';
import { AUTHN } from '../rpc/pdu.js';
import type { SecurityContext } from '../security/types.js';
import { NegotiateAcceptor } from '../spnego/index.js';
import type { LoadedMember } from './state.js';

export type MemberProvider = 'ntlm' | 'kerberos' | 'negotiate';

/** The member's NTLM acceptor factory: names from the state file, decisions by the DC. */
export function memberNtlmAcceptor(member: Pick<LoadedMember, 'state' | 'authority'>): () => NtlmAcceptor {
  return () => {
    const s = member.state;
    return new NtlmAcceptor({
      authority: member.authority,
      netbiosComputerName: s.computerName,
      netbiosDomainName: s.netbiosDomainName,
      dnsComputerName: s.dnsHostName,
      dnsDomainName: s.dnsDomainName,
    });
  };
}

/** The member's Kerberos acceptor factory: keys read per context, so a rotation is picked up. */
export function memberKerberosAcceptor(member: Pick<LoadedMember, 'authority' | 'serviceKeys'>): () => KerberosAcceptor {
  return () => new KerberosAcceptor({ keys: member.serviceKeys(), authority: member.authority });
}

/**
 * The `acceptors` map of startRpcServer for a member server, with the providers named (default
 * all three). A provider left out is unregistered: its binds get a bind_nak
 * (authentication_type_not_recognized, MS-RPCE 3.3.1.5.2.2).
 */
export function memberAcceptors(
  member: Pick<LoadedMember, 'state' | 'authority' | 'serviceKeys'>,
  providers: readonly MemberProvider[] = ['ntlm', 'kerberos', 'negotiate'],
): { [authType: number]: () => SecurityContext } {
  const ntlm = memberNtlmAcceptor(member);
  const kerberos = memberKerberosAcceptor(member);
  const out: { [authType: number]: () => SecurityContext } = {};
  if (providers.includes('ntlm')) out[AUTHN.WINNT] = () => ntlmRpc(ntlm());
  if (providers.includes('kerberos')) out[AUTHN.GSS_KERBEROS] = kerberos;
  if (providers.includes('negotiate')) out[AUTHN.GSS_NEGOTIATE] = () => new NegotiateAcceptor({ kerberos, ntlm: () => ntlmRpc(ntlm()) });
  return out;
}
