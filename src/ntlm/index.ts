// Public API of the NTLM mechanism (MS-NLMP): messages, crypto, and the two security contexts.

export * from './messages.js';
export {
  bytesEqual,
  channelBindingsHash,
  computeMic,
  computeNtlmv2Response,
  desl,
  hmacMd5,
  kxkey,
  lmowfV1,
  md5,
  ntlmv1EssChallenge,
  ntlmv1EssResponse,
  ntlmv1Response,
  NtlmSessionSecurity,
  ntowfV1,
  ntowfV2,
  ntowfV2AsGiven,
  rc4k,
  sealKey,
  sessionBaseKeyV1,
  signKey,
  verifyNtlmv2,
  type ChannelBindings,
  type Direction,
  type Ntlmv2Responses,
} from './crypto.js';
export { NtlmAcceptor, anonymousLogonToken, DEFAULT_SERVER_VERSION, MSV1_0, type NtlmAcceptorOptions } from './acceptor.js';
export { NtlmInitiator, type NtlmInitiatorOptions } from './initiator.js';
