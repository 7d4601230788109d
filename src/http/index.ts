// HTTP Access Authentication (MS-AUTHSO 5.3.8, 5.4.5) for Node http/https, Express and Fastify.
export * from './authorization.js';
export * from './rules.js';
export { parseBasic, normaliseBasicUser, validateBasic, type BasicCredentials, type BasicValidatorOptions } from './basic.js';
export { ConnectionStates, type PendingHandshake } from './connection-state.js';
export {
  DirectoryCertificateMapper,
  accountForCertificate,
  strongCertificateIdentities,
  upnsFromCertificate,
  type CertificateMapper,
  type DirectoryCertificateMapperOptions,
} from './certificate.js';
export * from './authenticator.js';
