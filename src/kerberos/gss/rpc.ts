// Kerberos as a DCE/RPC security provider (RPC_C_AUTHN_GSS_KERBEROS, and inside
// RPC_C_AUTHN_GSS_NEGOTIATE): the RpcProtection methods of src/rpc/protection.ts in terms of an
// established context's MessageProtection. MS-RPCE 3.3.1.5.2.2 with MS-KILE 3.4.5.4.1 / 3.4.5.4.2:
//  - PKT_INTEGRITY: GSS_GetMIC over the whole PDU but the auth value (header, stub, padding,
//    sec_trailer) when PFC_SUPPORT_HEADER_SIGN was negotiated, else over the stub and its padding
//    only (what impacket, which never offers header signing, computes);
//  - PKT_PRIVACY: GSS_WrapEx in DCE style, the stub encrypted in place and the header / trailer
//    as sign-only buffers when header signing is on; the token (header + the ciphertext's
//    rotated-out part) is the auth value, of a length fixed in advance.
// The RPC level numbers are MS-RPCE 2.2.1.1.8's; only PKT_PRIVACY changes the verifier size.

import type { RpcPduParts } from '../../rpc/protection.js';
import type { DceIovMessage, MessageProtection } from './wrap.js';

/** RPC_C_AUTHN_LEVEL_PKT_PRIVACY (MS-RPCE 2.2.1.1.8). */
const PKT_PRIVACY = 6;

function iov(p: RpcPduParts): DceIovMessage {
  const data = p.pdu.subarray(p.stubStart, p.bodyEnd);
  if (!p.headerSigning) return { before: Buffer.alloc(0), data, after: Buffer.alloc(0) };
  return { before: p.pdu.subarray(0, p.stubStart), data, after: p.pdu.subarray(p.bodyEnd) };
}

/** The MIC covers the whole PDU with header signing, the stub region without. */
function signed(p: RpcPduParts): Buffer {
  return p.headerSigning ? p.pdu : p.pdu.subarray(p.stubStart, p.bodyEnd);
}

export function kerberosRpcSignatureLength(m: MessageProtection, level: number): number {
  return level === PKT_PRIVACY ? m.dceWrapLength() : m.dceMicLength();
}

export function kerberosRpcSign(m: MessageProtection, p: RpcPduParts): Buffer {
  return m.dceMic(signed(p));
}

export function kerberosRpcVerify(m: MessageProtection, p: RpcPduParts, signature: Buffer): void {
  m.dceVerifyMic(signed(p), signature);
}

export function kerberosRpcSeal(m: MessageProtection, p: RpcPduParts): Buffer {
  const { data, token } = m.dceWrap(iov(p));
  data.copy(p.pdu, p.stubStart);
  return token;
}

export function kerberosRpcUnseal(m: MessageProtection, p: RpcPduParts, signature: Buffer): void {
  const plain = m.dceUnwrap(iov(p), signature);
  plain.copy(p.pdu, p.stubStart);
}
