// Negotiate (SPNEGO, RFC 4178 + MS-SPNG): the tokens and the two SecurityContext sides.
export * from './messages.js';
export {
  NegotiateError,
  SEC_E_SECPKG_NOT_FOUND,
  mechanismOf,
  rejectToken,
  type MechanismFactories,
  type NegotiableMechanism,
  type SpnegoMechanismHooks,
} from './mechanism.js';
export { NegotiateAcceptor, type NegotiateAcceptorOptions } from './acceptor.js';
export { NegotiateInitiator, type NegotiateInitiatorOptions } from './initiator.js';
