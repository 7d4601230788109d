// Connection-oriented DCE/RPC (C706 chapter 12 + MS-RPCE) over ncacn_ip_tcp: PDUs, server,
// client, per-PDU protection, the endpoint mapper, NTLM's RPC binding and a test interface.

export * from './pdu.js';
export { canProtect, hasRpcProtection, effectiveLevel, needsPerPdu, protectPdu, unprotectPdu, type RpcPduParts, type RpcProtection, type RpcSecurityContext } from './protection.js';
export {
  RpcServer,
  startRpcServer,
  MIN_FRAG,
  DEFAULT_MAX_FRAG,
  DEFAULT_MAX_REQUEST,
  type CallContext,
  type InterfaceSecurity,
  type OpHandler,
  type RpcInterface,
  type RpcServerOptions,
} from './server.js';
export { RpcClient, type BindResult, type RpcClientAuth, type RpcClientOptions } from './client.js';
export {
  EndpointMapper,
  startEndpointMapper,
  EPM_UUID,
  EPM_VERSION,
  EPM_SYNTAX,
  EPT_S_NOT_REGISTERED,
  FLOOR,
  RPC_C_EP,
  RPC_C_VERS,
  encodeTower,
  decodeTower,
  parseTower,
  tcpTower,
  TowerError,
  type EpmEntry,
  type Floor,
  type ParsedTower,
} from './epm.js';
export { NtlmRpcContext, ntlmRpc, NTLM_SIGNATURE_LENGTH, type NtlmLikeContext, type NtlmRpcSessionSecurity } from './ntlm.js';
export { whoamiInterface, whoamiInfo, WHOAMI_UUID, WHOAMI_VERSION, WHOAMI_INFO, ECHO_IN, ECHO_OUT, ANONYMOUS_SID, type WhoAmIInfo } from './whoami.js';
