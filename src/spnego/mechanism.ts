// What Negotiate needs from (and adds around) the mechanisms it wraps: the OID ↔ mechanism map,
// the optional hooks a mechanism context may offer for MS-SPNG's NTLM quirks, the mechListMIC
// computation (RFC 4178 5) and the error type. Negotiate only ever talks to mechanisms through
// the SecurityContext interface plus these optional, duck-typed hooks.

import { NO_FLAGS, SEC_E, SecurityError, type ContextFlags, type LogonToken, type SecurityContext, type Step } from '../security/types.js';
import type { RpcPduParts, RpcProtection } from '../rpc/protection.js';
import { OID, encodeNegTokenResp, NegState } from './messages.js';

/** The mechanisms Negotiate can select. */
export type NegotiableMechanism = 'kerberos' | 'ntlm';

/** Which mechanism an OID names (MS-SPNG 3.3.5.2: the Microsoft Kerberos OID is Kerberos). */
export function mechanismOf(oid: string): NegotiableMechanism | undefined {
  if (oid === OID.KERBEROS || oid === OID.MS_KERBEROS) return 'kerberos';
  if (oid === OID.NTLMSSP) return 'ntlm';
  return undefined; // NEGOEX, user-to-user Kerberos and anything else: not negotiable here
}

/** Mechanism factories, in our preference order (RFC 4178 5 "acceptor's most preferred"). */
export interface MechanismFactories {
  kerberos?: () => SecurityContext;
  ntlm?: () => SecurityContext;
}
export const PREFERENCE: readonly NegotiableMechanism[] = ['kerberos', 'ntlm'];

/**
 * Optional hooks a mechanism context may implement (found by duck typing, so mechanisms need not
 * import anything from here).
 */
export interface SpnegoMechanismHooks {
  /**
   * MS-SPNG 3.3.5.1 (NTLM RC4 key state for mechListMIC and first signed message): after signing
   * ('outbound') or verifying ('inbound') the mechListMIC, the NTLM sealing-key RC4 state must be
   * put back to what it was before, so the application's first signed message uses the same key
   * stream as the mechListMIC did. The sequence number is not reset. Kerberos needs nothing.
   */
  resetCryptoState?(direction: 'outbound' | 'inbound'): void;
  /**
   * MS-NLMP 3.1.5.1.2 / 3.2.5.1.2: the NTLM AUTHENTICATE_MESSAGE carried a MIC (MsvAvFlags 0x2),
   * which obliges the SPNEGO layer to exchange mechListMICs even when NTLM was the preferred
   * mechanism.
   */
  readonly requiresMechListMic?: boolean;
}

function hooks(ctx: SecurityContext): SpnegoMechanismHooks {
  return ctx as SecurityContext & SpnegoMechanismHooks;
}

export function mechRequiresMic(ctx: SecurityContext): boolean {
  return hooks(ctx).requiresMechListMic === true;
}

/**
 * SSPI SEC_E_SECPKG_NOT_FOUND (MS-ERREF 2.1): no mechanism in common (GSS_S_BAD_MECH). Not in
 * src/security/types.ts's SEC_E table yet.
 */
export const SEC_E_SECPKG_NOT_FOUND = SEC_E.SECPKG_NOT_FOUND;

/** A Negotiate failure; `output`, when set, is the RFC 4178 4.2.2 reject token for the peer. */
export class NegotiateError extends SecurityError {
  constructor(
    code: number,
    message: string,
    readonly output?: Buffer,
    options?: { cause?: unknown; details?: { ntstatus?: number; krbError?: number } },
  ) {
    super(code, message, options?.details);
    this.name = 'NegotiateError';
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** RFC 4178 4.2.2: the NegTokenResp an acceptor sends when it gives up. */
export function rejectToken(): Buffer {
  return encodeNegTokenResp({ negState: NegState.REJECT });
}

/** Anything a mechanism throws becomes a SecurityError (the interface promises nothing else). */
export function asSecurityError(e: unknown, what: string): SecurityError {
  if (e instanceof SecurityError) return e;
  const err = new SecurityError(SEC_E.INTERNAL_ERROR, `${what}: ${e instanceof Error ? e.message : String(e)}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}

/**
 * One mechanism step, with anything but a SecurityError turned into one. A mechanism that leaves
 * an error token for the peer after a failure (the Kerberos acceptor's KRB-ERROR, RFC 4121 4.1,
 * found as `errorToken`) has it passed on: `frame` puts it in the reply the peer expects (a
 * NegTokenResp reject, or nothing around it for raw tokens).
 */
export async function stepMechanism(ctx: SecurityContext, input: Buffer | undefined, frame?: (errorToken: Buffer) => Buffer): Promise<Step> {
  try {
    return await ctx.step(input);
  } catch (e) {
    const err = asSecurityError(e, `${ctx.mechanism} step failed`);
    const errorToken = (ctx as { errorToken?: unknown }).errorToken;
    if (frame && Buffer.isBuffer(errorToken) && errorToken.length > 0) {
      throw new NegotiateError(err.code, err.message, frame(errorToken), { cause: err, details: err.details });
    }
    throw err;
  }
}

/**
 * RFC 4178 5: whether mechListMICs are exchanged at all. Only when the mechanism offers per-message
 * integrity; then when the exchange is required (a possible downgrade), when the peer sent one
 * ("if a MIC is received, one MUST be sent") or when the mechanism asks for it (NTLM's MIC).
 */
export function micNeeded(ctx: SecurityContext, required: boolean, received: boolean): boolean {
  return ctx.flags.integrity && (required || received || mechRequiresMic(ctx));
}

/** Our mechListMIC over the initiator's MechTypeList DER (RFC 4178 5 a). */
export function signMechList(ctx: SecurityContext, mechTypesDer: Buffer): Buffer {
  let mic: Buffer;
  try {
    mic = ctx.sign(mechTypesDer);
  } catch (e) {
    throw asSecurityError(e, 'computing the mechListMIC failed');
  }
  hooks(ctx).resetCryptoState?.('outbound');
  return mic;
}

/**
 * Verifies the peer's mechListMIC. A MIC that does not verify means the mechanism list the two
 * sides saw differs — the downgrade RFC 4178 5 protects against — so the error is
 * SEC_E_DOWNGRADE_DETECTED whatever the mechanism said.
 */
export function verifyMechList(ctx: SecurityContext, mechTypesDer: Buffer, mic: Buffer): void {
  try {
    ctx.verify(mechTypesDer, mic);
  } catch (e) {
    throw new NegotiateError(SEC_E.DOWNGRADE_DETECTED, 'the mechListMIC does not verify: the mechanism list was altered', undefined, {
      cause: e,
    });
  }
  hooks(ctx).resetCryptoState?.('inbound');
}

/** MS-SPNG: some old peers repeat responseToken in mechListMIC; such a "MIC" is treated as absent. */
export function effectiveMic(mic: Buffer | undefined, mechToken: Buffer | undefined): Buffer | undefined {
  if (!mic || mic.length === 0) return undefined;
  if (mechToken && mic.equals(mechToken)) return undefined;
  return mic;
}

/** Delegation helpers shared by both sides once a mechanism is chosen. */
export function requireEstablished(ctx: SecurityContext | undefined, done: boolean): SecurityContext {
  if (!ctx || !done) throw new SecurityError(SEC_E.INVALID_HANDLE, 'the Negotiate context is not established');
  return ctx;
}

/**
 * The DCE/RPC per-PDU protection of the chosen mechanism (src/rpc/protection.ts, MS-RPCE
 * 3.3.1.5.2.2): Negotiate adds nothing of its own there — RPC verifiers are the mechanism's
 * tokens (MS-SPNG 3.3.5.1 only governs the mechListMIC) — so it forwards to whichever mechanism
 * was chosen, found by duck typing like the hooks above. A mechanism without it (e.g. a bare
 * NtlmAcceptor rather than src/rpc/ntlm.ts's adapter) refuses.
 */
export function rpcProtectionOf(ctx: SecurityContext | undefined, done: boolean): RpcProtection {
  const c = requireEstablished(ctx, done) as SecurityContext & Partial<RpcProtection>;
  if (
    typeof c.rpcSignatureLength !== 'function' ||
    typeof c.rpcSign !== 'function' ||
    typeof c.rpcVerify !== 'function' ||
    typeof c.rpcSeal !== 'function' ||
    typeof c.rpcUnseal !== 'function'
  ) {
    throw new SecurityError(SEC_E.UNSUPPORTED_FUNCTION, 'the negotiated mechanism cannot protect RPC PDUs');
  }
  return c as RpcProtection;
}

export function flagsOf(ctx: SecurityContext | undefined, done: boolean): ContextFlags {
  return ctx && done ? ctx.flags : NO_FLAGS;
}

/** Upper bound on one token: far above Kerberos' MaxTokenSize (64 KiB) yet bounded. */
export const MAX_TOKEN_BYTES = 1 << 20;

/**
 * What both Negotiate contexts share once a mechanism is chosen: after completion, identity,
 * keys, flags and per-message protection are the chosen mechanism's own (RFC 4178 3.2 step 6),
 * for GSS messages and DCE/RPC PDUs alike. Subclasses say which context was chosen.
 */
export abstract class NegotiatedContext implements RpcProtection {
  abstract get done(): boolean;
  /** The chosen mechanism's context, once one is chosen. */
  protected abstract get chosenContext(): SecurityContext | undefined;

  get peer(): LogonToken | undefined {
    return this.done ? this.chosenContext?.peer : undefined;
  }
  get peerName(): string | undefined {
    return this.done ? this.chosenContext?.peerName : undefined;
  }

  get claimedName(): string | undefined {
    return this.chosenContext?.claimedName;
  }
  get sessionKey(): Buffer | undefined {
    return this.done ? this.chosenContext?.sessionKey : undefined;
  }
  get flags(): ContextFlags {
    return flagsOf(this.chosenContext, this.done);
  }

  sign(message: Buffer): Buffer {
    return requireEstablished(this.chosenContext, this.done).sign(message);
  }
  verify(message: Buffer, signature: Buffer): void {
    requireEstablished(this.chosenContext, this.done).verify(message, signature);
  }
  seal(message: Buffer): Buffer {
    return requireEstablished(this.chosenContext, this.done).seal(message);
  }
  unseal(token: Buffer): Buffer {
    return requireEstablished(this.chosenContext, this.done).unseal(token);
  }

  // DCE/RPC per-PDU protection: the chosen mechanism's own (see rpcProtectionOf).
  rpcSignatureLength(level: number): number {
    return rpcProtectionOf(this.chosenContext, this.done).rpcSignatureLength(level);
  }
  rpcSign(parts: RpcPduParts): Buffer {
    return rpcProtectionOf(this.chosenContext, this.done).rpcSign(parts);
  }
  rpcVerify(parts: RpcPduParts, signature: Buffer): void {
    rpcProtectionOf(this.chosenContext, this.done).rpcVerify(parts, signature);
  }
  rpcSeal(parts: RpcPduParts): Buffer {
    return rpcProtectionOf(this.chosenContext, this.done).rpcSeal(parts);
  }
  rpcUnseal(parts: RpcPduParts, signature: Buffer): void {
    rpcProtectionOf(this.chosenContext, this.done).rpcUnseal(parts, signature);
  }
}
