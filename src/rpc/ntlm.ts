// NTLM as an RPC security provider (RPC_C_AUTHN_WINNT, MS-RPCE 3.3.1.5.2.2 with MS-NLMP 3.4).
//
// With NTLM the signature of a protected PDU is computed over the whole PDU — header, stub,
// padding and sec_trailer, everything but the auth value — whether or not header signing was
// negotiated (what Windows and impacket do). Under PKT_PRIVACY only the stub and its padding are
// encrypted, with the same RC4 stream as the checksum and in the MS-NLMP 3.4.3 order (encrypt
// the data, then compute the signature over the plaintext PDU).
//
// The NTLM contexts (src/ntlm) expose their session security object (NtlmSessionSecurity),
// whose seal/unseal take the signed range apart from the encrypted one (MS-NLMP 3.4.6
// GSS_WrapEx), which is exactly what PKT_PRIVACY needs.

import { SecurityError, SEC_E, type ContextFlags, type LogonToken, type SecurityContext, type Step } from '../security/types.js';
import type { RpcPduParts, RpcProtection } from './protection.js';

/** NTLMSSP_MESSAGE_SIGNATURE (MS-NLMP 2.2.2.9.1) with extended session security: 16 octets. */
export const NTLM_SIGNATURE_LENGTH = 16;

/** What the RPC runtime needs from an established NTLM session (MS-NLMP 3.4). */
export interface NtlmRpcSessionSecurity {
  /** 3.4.4: signature of `message` with the outgoing sequence number (advanced). */
  sign(message: Buffer): Buffer;
  /** 3.4.4: checks an incoming signature (advancing the incoming sequence number on success). */
  verify(message: Buffer, signature: Buffer): void;
  /**
   * 3.4.3 SEAL with separate ranges: RC4-encrypt `toEncrypt` with the outgoing sealing stream,
   * then sign `toSign` (which contains the plaintext) exactly as sign() does.
   */
  seal(toEncrypt: Buffer, toSign: Buffer): { sealed: Buffer; signature: Buffer };
  /**
   * The inverse: RC4-decrypt `sealed` with the incoming stream, then verify `signature` over
   * toSign(plaintext). Throws SecurityError; returns the plaintext.
   */
  unseal(sealed: Buffer, signature: Buffer, toSign: (plain: Buffer) => Buffer): Buffer;
}

/** An NTLM context (NtlmAcceptor / NtlmInitiator) as seen from here. */
export interface NtlmLikeContext extends SecurityContext {
  readonly sessionSecurityObject?: NtlmRpcSessionSecurity;
  /** SPNEGO hooks (src/spnego/mechanism.ts, MS-SPNG 3.3.5.1): forwarded so the adapter can be
   *  the NTLM mechanism inside Negotiate too. */
  readonly requiresMechListMic?: boolean;
  resetCryptoState?(direction: 'outbound' | 'inbound'): void;
}

/** Wraps an NTLM context so the RPC runtime can protect PDUs with it. */
export class NtlmRpcContext implements SecurityContext, RpcProtection {
  constructor(readonly inner: NtlmLikeContext) {}

  get mechanism(): SecurityContext['mechanism'] {
    return this.inner.mechanism;
  }
  get role(): 'initiator' | 'acceptor' {
    return this.inner.role;
  }
  get done(): boolean {
    return this.inner.done;
  }
  get peer(): LogonToken | undefined {
    return this.inner.peer;
  }
  get peerName(): string | undefined {
    return this.inner.peerName;
  }
  get sessionKey(): Buffer | undefined {
    return this.inner.sessionKey;
  }
  get flags(): ContextFlags {
    return this.inner.flags;
  }
  step(input?: Buffer): Promise<Step> {
    return this.inner.step(input);
  }
  get requiresMechListMic(): boolean {
    return this.inner.requiresMechListMic === true;
  }
  resetCryptoState(direction: 'outbound' | 'inbound'): void {
    this.inner.resetCryptoState?.(direction);
  }
  sign(message: Buffer): Buffer {
    return this.inner.sign(message);
  }
  verify(message: Buffer, signature: Buffer): void {
    this.inner.verify(message, signature);
  }
  seal(message: Buffer): Buffer {
    return this.inner.seal(message);
  }
  unseal(token: Buffer): Buffer {
    return this.inner.unseal(token);
  }

  private session(): NtlmRpcSessionSecurity {
    const s = this.inner.sessionSecurityObject;
    if (!s) throw new SecurityError(SEC_E.INVALID_HANDLE, 'NTLM session security is not available');
    return s;
  }

  rpcSignatureLength(): number {
    return NTLM_SIGNATURE_LENGTH;
  }
  rpcSign(p: RpcPduParts): Buffer {
    return this.session().sign(p.pdu);
  }
  rpcVerify(p: RpcPduParts, signature: Buffer): void {
    this.session().verify(p.pdu, signature);
  }
  rpcSeal(p: RpcPduParts): Buffer {
    const s = this.session();
    const plain = Buffer.from(p.pdu);
    const { sealed, signature } = s.seal(plain.subarray(p.stubStart, p.bodyEnd), plain);
    if (sealed.length !== p.bodyEnd - p.stubStart) throw new SecurityError(SEC_E.INTERNAL_ERROR, 'sealed length changed');
    sealed.copy(p.pdu, p.stubStart);
    return signature;
  }
  rpcUnseal(p: RpcPduParts, signature: Buffer): void {
    const s = this.session();
    const sealed = Buffer.from(p.pdu.subarray(p.stubStart, p.bodyEnd));
    const plain = s.unseal(sealed, signature, (pl) => {
      const whole = Buffer.from(p.pdu);
      pl.copy(whole, p.stubStart);
      return whole;
    });
    if (plain.length !== sealed.length) throw new SecurityError(SEC_E.INTERNAL_ERROR, 'unsealed length changed');
    plain.copy(p.pdu, p.stubStart);
  }
}

export function ntlmRpc(ctx: NtlmLikeContext): NtlmRpcContext {
  return new NtlmRpcContext(ctx);
}
