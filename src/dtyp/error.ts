// The one error type of the MS-DTYP security-descriptor code (ACEs, ACLs, security descriptors,
// SDDL, GUIDs): every decoder and parser throws DtypError on malformed input, and lower-layer
// failures (SidError from src/dtyp/sid.ts, RangeError from Buffer reads) are wrapped into it so
// callers catch one class.

import { SidError } from './sid.js';

export class DtypError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DtypError';
  }
}

/** Runs fn, turning SidError/RangeError into DtypError (prefixed with what). */
export function asDtypError<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DtypError) throw e;
    if (e instanceof SidError || e instanceof RangeError) throw new DtypError(`${what}: ${e.message}`);
    throw e;
  }
}
