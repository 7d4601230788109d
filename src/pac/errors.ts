// The one error type of the MS-PAC codec: every decoder throws PacError on malformed input, and
// lower-layer failures (NdrError, SidError) are wrapped into it so callers catch one class.

import { NdrError } from '../encoding/ndr.js';
import { SidError } from '../dtyp/sid.js';

export class PacError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PacError';
  }
}

/** Runs fn, turning NdrError/SidError/RangeError into PacError (prefixed with what). */
export function asPacError<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof PacError) throw e;
    if (e instanceof NdrError || e instanceof SidError || e instanceof RangeError) {
      throw new PacError(`${what}: ${e.message}`);
    }
    throw e;
  }
}
