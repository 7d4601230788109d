// Public API of the DC's Netlogon service (MS-NRPC).

export * from './idl.js';
export * from './secure-channel.js';
export * from './server.js';
export * from './client.js';
export * from './ssp.js';
