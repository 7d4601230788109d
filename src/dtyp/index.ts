// MS-DTYP data types: SIDs (2.4.2), access masks (2.4.3), ACEs (2.4.4), ACLs (2.4.5), security
// descriptors (2.4.6), GUIDs (2.3.4), SDDL (2.5.1) and the access check (2.5.3.2).

export * from './error.js';
export * from './sid.js';
export * from './guid.js';
export * from './access-mask.js';
export * from './ace.js';
export * from './acl.js';
export * from './security-descriptor.js';
export * from './sddl.js';
export * from './access-check.js';
