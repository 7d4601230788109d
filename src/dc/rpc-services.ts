// The DC's RPC services (MS-AUTHSO 7, MS-NRPC): Netlogon on an ncacn_ip_tcp port of its own,
// with NTLM (and SPNEGO-wrapped NTLM) as RPC security providers validated against the
// directory and the Netlogon secure channel provider (auth type 68, src/netlogon/ssp.ts), and
// the endpoint mapper (MS-RPCE 2.2.1.2) on its own port announcing it.

import type { Directory } from '../directory/directory.js';
import { createNetlogonInterface, SecureChannelStore } from '../netlogon/index.js';
import type { NetlogonLogonEvent } from '../netlogon/server.js';
import { NetlogonSspAcceptor } from '../netlogon/ssp.js';
import { NtlmAcceptor } from '../ntlm/index.js';
import { AUTHN } from '../rpc/pdu.js';
import { ntlmRpc } from '../rpc/ntlm.js';
import { startRpcServer, type RpcServer } from '../rpc/server.js';
import { startEndpointMapper } from '../rpc/epm.js';
import { DirectoryAuthority } from '../security/directory-authority.js';

export interface DcRpcOptions {
  directory: Directory;
  host: string;
  /** Netlogon's port (0 = any free port, announced through the endpoint mapper). */
  rpcPort: number;
  /** The endpoint mapper's port (135 in production). */
  epmPort: number;
  dcName: string;
  onError?: (e: unknown) => void;
  /** The DC's audit line for each validation it makes for a member (never a secret). */
  onEvent?: (e: NetlogonLogonEvent) => void;
}

export interface DcRpcServices {
  rpc: { host: string; port: number };
  epm: { host: string; port: number };
  close(): Promise<void>;
}

export async function startDcRpcServices(o: DcRpcOptions): Promise<DcRpcServices> {
  const domain = await o.directory.getDomain();
  const authority = new DirectoryAuthority(o.directory, { dcName: o.dcName });
  // One store for the Netlogon interface and the secure-channel (type 68) acceptor: a member's
  // sealed bind uses the session key its NetrServerAuthenticate3 established (MS-NRPC 3.3).
  const channels = new SecureChannelStore();
  const netlogon = createNetlogonInterface({
    channels,
    directory: o.directory,
    authority,
    dcName: o.dcName,
    dnsDomainName: domain.dnsName,
    dcAddress: o.host,
    onError: o.onError,
    onEvent: o.onEvent,
  });
  const ntlm = () =>
    ntlmRpc(
      new NtlmAcceptor({
        authority,
        netbiosComputerName: o.dcName,
        netbiosDomainName: domain.netbiosName,
        dnsComputerName: `${o.dcName.toLowerCase()}.${domain.dnsName}`,
        dnsDomainName: domain.dnsName,
      }),
    );
  const rpc: RpcServer = await startRpcServer({
    host: o.host,
    port: o.rpcPort,
    interfaces: [netlogon],
    acceptors: { [AUTHN.WINNT]: ntlm, [AUTHN.NETLOGON]: () => new NetlogonSspAcceptor({ channels }) },
    onError: o.onError,
  });
  let epm;
  try {
    epm = await startEndpointMapper({ host: o.host, port: o.epmPort, servers: [rpc] });
  } catch (e) {
    await rpc.close();
    throw e;
  }
  const epmServer = epm.server;
  return {
    rpc: { host: o.host, port: rpc.port },
    epm: { host: o.host, port: epmServer.port },
    async close() {
      await epmServer.close();
      await rpc.close();
    },
  };
}
