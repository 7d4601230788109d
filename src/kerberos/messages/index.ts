// RFC 4120 section 5 message codecs. KDC, client and GSS code import from here.
export * from './types.js';
export { KerberosDecodeError, peekApplicationTag } from './common.js';
export * from './basic.js';
export * from './principal.js';
export * from './authz-data.js';
export * from './padata.js';
export * from './ticket.js';
export * from './kdc-req.js';
export * from './kdc-rep.js';
export * from './ap.js';
export * from './krb-error.js';
export * from './cred.js';
export { DerError } from '../../encoding/der.js';
