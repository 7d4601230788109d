// Shared plumbing for the RFC 4120 section 5 codecs: the decode error type, the decode wrapper
// that guarantees only KerberosDecodeError escapes a decoder, and application-tag helpers.
import {
  DecodeContext,
  DerError,
  TagClass,
  applicationTag,
  asBuffer,
  constructed,
  expectTag,
  readExplicitInner,
  readTop,
  toBuffer,
  type Codec,
} from '../../encoding/der.js';

/**
 * Thrown by every Kerberos message decoder on malformed input. Extends DerError so callers that
 * catch DerError also catch this; `cause` holds the underlying DerError when there is one.
 */
export class KerberosDecodeError extends DerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, undefined, options);
    this.name = 'KerberosDecodeError';
  }
}

/** Runs a decoder and converts anything it throws into a KerberosDecodeError naming `what`. */
export function guardDecode<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof KerberosDecodeError) throw err;
    // A non-DerError here would be a decoder bug; callers still only ever see one error class.
    const detail = err instanceof DerError ? err.message : `internal decoder error: ${String(err)}`;
    throw new KerberosDecodeError(`malformed ${what}: ${detail}`, { cause: err });
  }
}

/** Decodes a whole buffer with a codec (element must span the input exactly). */
export function decodeWith<T>(codec: Codec<T>, input: Buffer, what: string): T {
  return guardDecode(what, () => {
    const ctx = new DecodeContext();
    return codec.read(readTop(input, ctx), ctx);
  });
}

/** Encodes with a codec. Invalid values (out-of-range integers, missing fields) throw DerError. */
export function encodeWith<T>(codec: Codec<T>, value: T): Buffer {
  return toBuffer(codec.node(value));
}

/**
 * Encodes `inner` wrapped in [APPLICATION tag] EXPLICIT, for the message types whose application
 * tag depends on the value (AS/TGS, EncASRepPart/EncTGSRepPart).
 */
export function encodeWithAppTag<T>(tag: number, codec: Codec<T>, value: T): Buffer {
  return toBuffer(constructed(applicationTag(tag), [codec.node(value)]));
}

/** Decodes [APPLICATION n] EXPLICIT inner where n must be one of `tags`. */
export function decodeWithAppTag<T>(input: Buffer, tags: readonly number[], codec: Codec<T>, what: string): { appTag: number; value: T } {
  return guardDecode(what, () => {
    const ctx = new DecodeContext();
    const el = readTop(input, ctx);
    if (el.cls !== TagClass.APPLICATION || !tags.includes(el.tag)) {
      expectTag(el, TagClass.APPLICATION, tags[0], true, `${what} [APPLICATION ${tags.join('|')}]`);
    }
    const value = codec.read(readExplicitInner(el, ctx), ctx);
    return { appTag: el.tag, value };
  });
}

/**
 * Application tag number of the outermost element (e.g. 10 for AS-REQ, 30 for KRB-ERROR), read
 * from the identifier octets only, so it also works on a partially received message. Returns
 * undefined for empty input, non-application or primitive elements, and malformed identifiers.
 */
export function peekApplicationTag(buf: Buffer): number | undefined {
  let b: Buffer;
  try {
    b = asBuffer(buf);
  } catch {
    return undefined;
  }
  if (b.length < 1) return undefined;
  const first = b[0];
  if ((first & 0xe0) !== (TagClass.APPLICATION | 0x20)) return undefined;
  const low = first & 0x1f;
  if (low !== 0x1f) return low;
  // High tag number form (X.690 8.1.2.4); Kerberos never uses it, but decode it correctly.
  let tag = 0;
  for (let i = 1; i <= 4 && i < b.length; i++) {
    const c = b[i];
    if (i === 1 && c === 0x80) return undefined;
    tag = tag * 128 + (c & 0x7f);
    if ((c & 0x80) === 0) return tag >= 31 ? tag : undefined;
  }
  return undefined;
}
