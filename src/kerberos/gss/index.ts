// The Kerberos GSS-API mechanism (RFC 4121, MS-KILE) behind the SecurityContext interface.
export { KerberosAcceptor, type KerberosAcceptorOptions, type ServiceKey, type PacStatus } from './acceptor.js';
export { KerberosInitiator, type KerberosInitiatorOptions } from './initiator.js';
export {
  MessageProtection,
  KG_USAGE,
  CFX_FLAG,
  rotateLeft,
  rotateRight,
  DCE_EC,
  type DceIovMessage,
  type ProtectionOptions,
  type WrapOptions,
  type Unwrapped,
} from './wrap.js';
export { kerberosRpcSeal, kerberosRpcSign, kerberosRpcSignatureLength, kerberosRpcUnseal, kerberosRpcVerify } from './rpc.js';
export {
  GSS_CHECKSUM_TYPE,
  GSS_FLAG,
  channelBindingsHash,
  encodeGssChecksum,
  decodeGssChecksum,
  type ChannelBindings,
  type GssChecksum,
} from './checksum.js';
export {
  KRB5_MECH_OID,
  MS_KRB5_MECH_OID,
  TOK_ID,
  MAX_TOKEN,
  isKerberosOid,
  isFramed,
  encodeGssFraming,
  decodeGssFraming,
  encodeKrb5Token,
  decodeKrb5Token,
  type KerberosMechOid,
  type Krb5Token,
} from './token.js';
