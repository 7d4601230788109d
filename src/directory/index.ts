// Public API of the account directory.
export * from './types.js';
export * from './errors.js';
export * from './ntstatus.js';
export * from './policy.js';
export type * from './store.js';
export { SqliteStore, SCHEMA_VERSION } from './sqlite-store.js';
export { DERIVED_ETYPES, deriveKeys, saltFor } from './keys.js';
export { Directory, RID, BUILTIN, BUILTIN_SID_PREFIX } from './directory.js';
export type {
  AccountFields,
  CreateComputerOptions,
  CreateUserOptions,
  DirectoryOptions,
  KeyInfo,
  ProvisionOptions,
} from './directory.js';
