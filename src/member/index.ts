// Public API of the member-server side: joining (offline-join blobs, the state file) and the
// Netlogon-backed DomainAuthority.

export * from './netlogon-authority.js';
export * from './provision.js';
export * from './state.js';
export * from './rpc-server.js';
export * from './certificate-mapper.js';
export * from './http.js';
