// Errors of the directory layer. Every failure an admin or a protocol can cause is a
// DirectoryError with a stable `code`, so the CLI prints one clear line and protocol code maps
// it to a wire status without parsing messages. Messages never contain secrets.

export type DirectoryErrorCode =
  | 'NO_SUCH_OBJECT'
  | 'ALREADY_EXISTS'
  | 'SPN_IN_USE'
  | 'UPN_IN_USE'
  | 'BAD_NAME'
  | 'PASSWORD_POLICY'
  | 'INVALID_ARGUMENT'
  /** The operation would break a rule of the model (well-known account, group nesting...). */
  | 'CONSTRAINT'
  | 'NOT_PROVISIONED'
  | 'ALREADY_PROVISIONED'
  /** The database was written by a newer authso (schema version unknown here). */
  | 'SCHEMA'
  | 'CLOSED';

export class DirectoryError extends Error {
  readonly code: DirectoryErrorCode;
  constructor(code: DirectoryErrorCode, message: string) {
    super(message);
    this.name = 'DirectoryError';
    this.code = code;
  }
}
