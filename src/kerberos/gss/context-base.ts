// What the Kerberos acceptor and initiator share once established: per-message protection
// (RFC 4121 4.2 MIC and Wrap tokens, RFC 4757 for RC4) and DCE/RPC per-PDU protection
// (MS-KILE 3.4.5.4.1, see ./rpc.ts), both through the context's MessageProtection.

import type { RpcPduParts, RpcProtection } from '../../rpc/protection.js';
import {
  kerberosRpcSeal,
  kerberosRpcSign,
  kerberosRpcSignatureLength,
  kerberosRpcUnseal,
  kerberosRpcVerify,
} from './rpc.js';
import type { MessageProtection, Unwrapped, WrapOptions } from './wrap.js';

export abstract class KerberosContextBase implements RpcProtection {
  /** The established context's protection; throws SecurityError before completion or after expiry. */
  protected abstract ready(): MessageProtection;

  sign(message: Buffer): Buffer {
    return this.ready().getMic(message);
  }
  verify(message: Buffer, signature: Buffer): void {
    this.ready().verifyMic(message, signature);
  }
  seal(message: Buffer): Buffer {
    return this.ready().wrap(message, true);
  }
  unseal(token: Buffer): Buffer {
    return this.ready().unwrap(token).message;
  }
  /** GSS_Wrap with a choice of confidentiality (and RFC 4121 RRC/EC for DCE RPC). */
  wrap(message: Buffer, conf: boolean, opts?: WrapOptions): Buffer {
    return this.ready().wrap(message, conf, opts);
  }
  /** GSS_Unwrap: the message and whether it was encrypted. */
  unwrap(token: Buffer): Unwrapped {
    return this.ready().unwrap(token);
  }

  rpcSignatureLength(level: number): number {
    return kerberosRpcSignatureLength(this.ready(), level);
  }
  rpcSign(parts: RpcPduParts): Buffer {
    return kerberosRpcSign(this.ready(), parts);
  }
  rpcVerify(parts: RpcPduParts, signature: Buffer): void {
    kerberosRpcVerify(this.ready(), parts, signature);
  }
  rpcSeal(parts: RpcPduParts): Buffer {
    return kerberosRpcSeal(this.ready(), parts);
  }
  rpcUnseal(parts: RpcPduParts, signature: Buffer): void {
    kerberosRpcUnseal(this.ready(), parts, signature);
  }
}
