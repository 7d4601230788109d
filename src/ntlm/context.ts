// What the NTLM initiator and acceptor share: the SecurityContext surface after the handshake
// (MS-NLMP 3.4 session security behind sign/verify/seal/unseal) and the error mapping that
// keeps every failure a SecurityError.

import { NO_FLAGS, SEC_E, SecurityError, type ContextFlags, type MechanismName } from '../security/types.js';
import { NtlmSessionSecurity } from './crypto.js';
import { MESSAGE_SIGNATURE_BYTES, NtlmError, NTLMSSP } from './messages.js';

/** Any failure inside a step as the SecurityError the interface promises. */
export function toSecurityError(e: unknown, fallbackCode: number = SEC_E.INTERNAL_ERROR): SecurityError {
  if (e instanceof SecurityError) return e;
  if (e instanceof NtlmError) return new SecurityError(SEC_E.INVALID_TOKEN, `malformed NTLM message: ${e.message}`);
  // Internal failures are reported without their text: it could carry data we do not control.
  return new SecurityError(fallbackCode, 'internal error in the NTLM security context');
}

export function contextFlagsFor(negotiated: number, anonymous: boolean): ContextFlags {
  const integrity = !anonymous && (negotiated & (NTLMSSP.NEGOTIATE_SIGN | NTLMSSP.NEGOTIATE_SEAL)) !== 0;
  return Object.freeze({
    ...NO_FLAGS,
    integrity,
    confidentiality: !anonymous && (negotiated & NTLMSSP.NEGOTIATE_SEAL) !== 0,
    // 3.4.4: connection-oriented signatures carry sequence numbers the receiver enforces.
    replayDetect: integrity,
    sequenceDetect: integrity,
    anonymous,
  });
}

export abstract class NtlmContextBase {
  readonly mechanism: MechanismName = 'NTLM';
  protected ctxFlags: ContextFlags = NO_FLAGS;
  protected exportedSessionKey?: Buffer;
  protected security?: NtlmSessionSecurity;
  protected negFlags = 0;
  /** The AUTHENTICATE_MESSAGE carried a MIC (sent by us, or verified from the client). */
  protected micExchanged = false;
  protected state: 'initial' | 'waiting' | 'done' | 'failed' = 'initial';

  get done(): boolean {
    return this.state === 'done';
  }

  get flags(): ContextFlags {
    return this.ctxFlags;
  }

  /** The NTLMSSP_* flags in force once established (what both sides announced). */
  get negotiatedFlags(): number {
    return this.negFlags;
  }

  /** The ExportedSessionKey (MS-NLMP 3.1.5.1.2 / 3.2.5.1.2), once established. */
  get sessionKey(): Buffer | undefined {
    return this.exportedSessionKey;
  }

  private sessionSecurity(what: 'integrity' | 'confidentiality'): NtlmSessionSecurity {
    if (this.state !== 'done') throw new SecurityError(SEC_E.INVALID_HANDLE, 'the NTLM context is not established');
    if (!this.security || (what === 'confidentiality' && !this.flags.confidentiality)) {
      throw new SecurityError(SEC_E.UNSUPPORTED_FUNCTION, `NTLM ${what} was not negotiated`);
    }
    return this.security;
  }

  sign(message: Buffer): Buffer {
    return this.sessionSecurity('integrity').sign(message);
  }

  verify(message: Buffer, signature: Buffer): void {
    this.sessionSecurity('integrity').verify(message, signature);
  }

  /** GSS_Wrap token: the 16-byte NTLMSSP_MESSAGE_SIGNATURE followed by the sealed message. */
  seal(message: Buffer): Buffer {
    const { sealed, signature } = this.sessionSecurity('confidentiality').seal(message);
    return Buffer.concat([signature, sealed]);
  }

  unseal(token: Buffer): Buffer {
    const sec = this.sessionSecurity('confidentiality');
    if (!Buffer.isBuffer(token) || token.length < MESSAGE_SIGNATURE_BYTES) {
      throw new SecurityError(SEC_E.INVALID_TOKEN, 'NTLM sealed message is shorter than its signature');
    }
    return sec.unseal(token.subarray(MESSAGE_SIGNATURE_BYTES), token.subarray(0, MESSAGE_SIGNATURE_BYTES));
  }

  /**
   * SPNEGO hook (MS-NLMP 3.1.5.1.2 / 3.2.5.1.2 with MS-SPNG 3.3.5.1): a MIC in the AUTHENTICATE
   * message obliges the Negotiate layer to exchange mechListMICs.
   */
  get requiresMechListMic(): boolean {
    return this.micExchanged;
  }

  /**
   * SPNEGO hook (MS-SPNG 3.3.5.1): after the mechListMIC is signed ('outbound') or verified
   * ('inbound'), that direction's RC4 state starts over; sequence numbers continue.
   */
  resetCryptoState(direction: 'outbound' | 'inbound'): void {
    if (this.state === 'done' && this.security) this.security.resetRc4(direction === 'outbound' ? 'out' : 'in');
  }

  /** The session security primitives, for transports that sign and seal different byte ranges (DCE/RPC). */
  get sessionSecurityObject(): NtlmSessionSecurity | undefined {
    return this.state === 'done' ? this.security : undefined;
  }
}
