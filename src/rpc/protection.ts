// Per-PDU protection (MS-RPCE 3.3.1.5.2.2 / 2.2.2.11-2.2.2.12, C706 13.2.6).
//
// SecurityContext.sign/seal (src/security/types.ts) protect one whole message. RPC needs more:
//  - PKT_INTEGRITY: one signature over a PDU *region* — NTLM (MS-NLMP 3.4.3 as MS-RPCE 3.3.1.5.2.2
//    uses it) signs the whole PDU from the header through the sec_trailer; Kerberos (MS-KILE
//    3.4.5.4.1, DCE-style GSS_WrapEx/GetMIC) signs the header and sec_trailer only when
//    PFC_SUPPORT_HEADER_SIGN was negotiated, otherwise just the stub;
//  - PKT_PRIVACY: encryption of only the stub and its padding, with a signature that still covers
//    the (plaintext) header and trailer, and an auth value of a size fixed in advance (it is in
//    auth_length, which is itself signed).
// So a context that serves RPC also implements RpcProtection; the runtime only ever calls these.
// Providers: NTLM through the adapter in ./ntlm.ts; KerberosAcceptor / KerberosInitiator
// themselves (src/kerberos/gss/rpc.ts); Negotiate forwards to the mechanism it chose
// (rpcProtectionOf in src/spnego/mechanism.ts), so NTLM inside SPNEGO needs the adapter too.

import { SecurityError, SEC_E, type SecurityContext } from '../security/types.js';
import { AUTHN_LEVEL, HEADER_LENGTH, NCA, RpcError, SEC_TRAILER_LENGTH } from './pdu.js';

/** One PDU as the protection sees it. */
export interface RpcPduParts {
  /** The PDU from its first header octet through the sec_trailer, i.e. everything but the
   *  auth value (frag_length and auth_length already final). */
  pdu: Buffer;
  /** [stubStart, bodyEnd): the stub and its auth padding — what PKT_PRIVACY encrypts. */
  stubStart: number;
  bodyEnd: number;
  /** PFC_SUPPORT_HEADER_SIGN was negotiated on this connection (MS-RPCE 2.2.2.3). */
  headerSigning: boolean;
}

/**
 * What a security context must add for RPC. Sequence numbers are the context's own state (one
 * per direction, advanced once per protected PDU — that is, per fragment).
 */
export interface RpcProtection {
  /** auth_length for a PDU protected at `level` (NTLM: 16; Kerberos AES-SHA1: 28 at PKT_INTEGRITY,
   *  76 at PKT_PRIVACY; rc4-hmac: 37 / 45 — see src/kerberos/gss/rpc.ts). */
  rpcSignatureLength(level: number): number;
  /** PKT_INTEGRITY: the auth value for parts. */
  rpcSign(parts: RpcPduParts): Buffer;
  /** PKT_INTEGRITY: throws SecurityError(SEC_E_MESSAGE_ALTERED / OUT_OF_SEQUENCE). */
  rpcVerify(parts: RpcPduParts, signature: Buffer): void;
  /** PKT_PRIVACY: encrypts parts.pdu[stubStart, bodyEnd) in place; returns the auth value. */
  rpcSeal(parts: RpcPduParts): Buffer;
  /** PKT_PRIVACY: checks the auth value and decrypts parts.pdu[stubStart, bodyEnd) in place. */
  rpcUnseal(parts: RpcPduParts, signature: Buffer): void;
}

export type RpcSecurityContext = SecurityContext & RpcProtection;

export function hasRpcProtection(ctx: SecurityContext): ctx is RpcSecurityContext {
  const c = ctx as Partial<RpcProtection>;
  return (
    typeof c.rpcSignatureLength === 'function' &&
    typeof c.rpcSign === 'function' &&
    typeof c.rpcVerify === 'function' &&
    typeof c.rpcSeal === 'function' &&
    typeof c.rpcUnseal === 'function'
  );
}

/**
 * Whether an established context can protect PDUs at `level`: it has the methods and answers for
 * the verifier size. A forwarding context (Negotiate, src/spnego) always has the methods; this
 * asks the mechanism it chose, so a bind is refused rather than every later call.
 */
export function canProtect(ctx: SecurityContext, level: number): boolean {
  if (!hasRpcProtection(ctx)) return false;
  try {
    return ctx.rpcSignatureLength(effectiveLevel(level)) > 0;
  } catch (e) {
    if (e instanceof SecurityError) return false;
    throw e;
  }
}

/** MS-RPCE 3.3.1.5.2 (CO): CALL and PKT are raised to PKT_INTEGRITY; others stand. */
export function effectiveLevel(level: number): number {
  return level === AUTHN_LEVEL.CALL || level === AUTHN_LEVEL.PKT ? AUTHN_LEVEL.PKT_INTEGRITY : level;
}

export function needsPerPdu(level: number): boolean {
  return effectiveLevel(level) >= AUTHN_LEVEL.PKT_INTEGRITY;
}

/**
 * Fills in the auth value of an encoded PDU whose auth value is a placeholder of
 * rpcSignatureLength octets; under PKT_PRIVACY the stub (and pad) are encrypted in place.
 */
export function protectPdu(pdu: Buffer, stubStart: number, level: number, p: RpcProtection, headerSigning: boolean): void {
  const authLength = pdu.readUInt16LE(10);
  const bodyEnd = pdu.length - authLength - SEC_TRAILER_LENGTH;
  const parts: RpcPduParts = { pdu: pdu.subarray(0, pdu.length - authLength), stubStart, bodyEnd, headerSigning };
  const sig = effectiveLevel(level) === AUTHN_LEVEL.PKT_PRIVACY ? p.rpcSeal(parts) : p.rpcSign(parts);
  if (sig.length !== authLength) {
    throw new RpcError(NCA.s_fault_unspec, `security provider produced a ${sig.length}-octet verifier, ${authLength} announced`);
  }
  sig.copy(pdu, pdu.length - authLength);
}

/**
 * Checks (and under PKT_PRIVACY decrypts, in place) a received PDU; returns nothing, throws
 * SecurityError on a bad verifier. stubStart/bodyEnd from decodePdu's layout.
 */
export function unprotectPdu(
  pdu: Buffer,
  stubStart: number,
  bodyEnd: number,
  level: number,
  p: RpcProtection,
  headerSigning: boolean,
): void {
  const authLength = pdu.readUInt16LE(10);
  if (stubStart < HEADER_LENGTH || bodyEnd > pdu.length - authLength - SEC_TRAILER_LENGTH) {
    throw new SecurityError(SEC_E.INVALID_TOKEN, 'bad PDU layout');
  }
  const parts: RpcPduParts = { pdu: pdu.subarray(0, pdu.length - authLength), stubStart, bodyEnd, headerSigning };
  const sig = pdu.subarray(pdu.length - authLength);
  if (effectiveLevel(level) === AUTHN_LEVEL.PKT_PRIVACY) p.rpcUnseal(parts, sig);
  else p.rpcVerify(parts, sig);
}
