// Error helpers for the Kerberos GSS mechanism: every failure leaving this folder is a
// SecurityError (src/security/types.ts), with the RFC 4120 7.5.9 error code in details when a
// Kerberos check caused it, so a transport can map it and a caller can tell "clock skew" from
// "wrong key" without parsing messages. Messages never carry key material.

import { SEC_E, SecurityError } from '../../security/types.js';
import { KDC_ERR } from '../messages/types.js';

export function tokenError(message: string): SecurityError {
  return new SecurityError(SEC_E.INVALID_TOKEN, message);
}

/**
 * The SSPI code a failed AP exchange check maps to. SEC_E_WRONG_PRINCIPAL for "this ticket is
 * not for our key" is what Windows reports for the same condition (a duplicate SPN, a stale
 * keytab), which is the case administrators search for.
 */
export function apErrorCode(krbError: number): number {
  switch (krbError) {
    case KDC_ERR.KRB_AP_ERR_SKEW:
      return SEC_E.TIME_SKEW;
    case KDC_ERR.KRB_AP_ERR_TKT_EXPIRED:
      return SEC_E.CONTEXT_EXPIRED;
    case KDC_ERR.KRB_AP_ERR_BADKEYVER:
    case KDC_ERR.KRB_AP_ERR_NOKEY:
    case KDC_ERR.KRB_AP_ERR_NOT_US:
      return SEC_E.WRONG_PRINCIPAL;
    case KDC_ERR.KRB_AP_ERR_BAD_INTEGRITY:
    case KDC_ERR.KRB_AP_ERR_MODIFIED:
      return SEC_E.WRONG_PRINCIPAL;
    case KDC_ERR.KRB_AP_ERR_BADVERSION:
    case KDC_ERR.KRB_AP_ERR_MSG_TYPE:
      return SEC_E.INVALID_TOKEN;
    default:
      return SEC_E.LOGON_DENIED;
  }
}

/** A failed AP-REQ / AP-REP check, with its Kerberos error code. */
export function apError(krbError: number, message: string, code = apErrorCode(krbError)): SecurityError {
  return new SecurityError(code, message, { krbError });
}

/** Runs fn; anything but a SecurityError becomes one with `code` (decoders throw their own types). */
export function guard<T>(code: number, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SecurityError) throw e;
    throw new SecurityError(code, `${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
