// The public library API of authso.

export { startDomain, type StartDomainOptions, type RunningDomain, type DomainUser, type DomainService } from './dc/domain.js';
export { startKdcServer, type KdcServer, type KdcServerOptions } from './dc/kdc-server.js';
export { renderKrb5Conf } from './dc/krb5conf.js';
export { Directory } from './directory/directory.js';
export * from './directory/types.js';
export { Kdc, type KdcOptions } from './kerberos/kdc/kdc.js';
export type { KdcEvent } from './kerberos/kdc/context.js';
export { getInitialCredentials, buildAsReq, readAsRep, sendToKdc } from './kerberos/client/as-client.js';
export { getServiceTicket, buildTgsReq, readTgsRep } from './kerberos/client/tgs-client.js';
export { KrbErrorReply, type Credential } from './kerberos/client/credential.js';
export { enctypeProfile, checksumProfile, ENCTYPE_PREFERENCE } from './crypto/registry.js';
export { ntHash } from './crypto/nt-owf.js';
export type { Key } from './crypto/types.js';

// Security contexts (one interface for every mechanism) and the domain's authority.
export * from './security/types.js';
export { logonTokenFromValidationInfo, tokenSids } from './security/logon-token.js';
export { DirectoryAuthority } from './security/directory-authority.js';
export { KerberosAcceptor, KerberosInitiator } from './kerberos/gss/index.js';
export { NtlmAcceptor, NtlmInitiator } from './ntlm/index.js';
export { NegotiateAcceptor, NegotiateInitiator } from './spnego/index.js';
export { parseSddl, formatSddl, accessCheck, accessCheckToken } from './dtyp/index.js';

// HTTP Access Authentication (MS-AUTHSO 5).
export {
  createHttpAuthenticator,
  DirectoryCertificateMapper,
  type AuthenticatedRequest,
  type HttpAuthenticatorOptions,
  type HttpRule,
} from './http/index.js';

// Member servers: joining the domain and validating through the DC over Netlogon (MS-NRPC, MS-APDS).
export {
  NetlogonAuthority,
  S4uCertificateMapper,
  joinDomain,
  loadMemberState,
  memberHttpAuthenticatorOptions,
  type MemberState,
  type ProvisionBlob,
} from './member/index.js';
export { createStaticHandler } from './http/static-files.js';
