// Account restrictions as KRB-ERRORs (MS-KILE 3.3.5.6.1 / 3.3.5.7.1 and the NTSTATUS values
// Windows puts in KERB-EXT-ERROR): the directory decides, the KDC only translates.

import {
  STATUS_ACCOUNT_DISABLED,
  STATUS_ACCOUNT_EXPIRED,
  STATUS_ACCOUNT_LOCKED_OUT,
  STATUS_INVALID_LOGON_HOURS,
  STATUS_PASSWORD_EXPIRED,
  STATUS_PASSWORD_MUST_CHANGE,
} from '../../directory/ntstatus.js';
import { KDC_ERR } from '../messages/types.js';
import { KdcError } from './kdc-error.js';

const TEXT: Record<number, string> = {
  [STATUS_ACCOUNT_DISABLED]: 'account disabled',
  [STATUS_ACCOUNT_LOCKED_OUT]: 'account locked out',
  [STATUS_ACCOUNT_EXPIRED]: 'account expired',
  [STATUS_INVALID_LOGON_HOURS]: 'logon not allowed at this time',
  [STATUS_PASSWORD_EXPIRED]: 'password expired',
  [STATUS_PASSWORD_MUST_CHANGE]: 'password must be changed',
};

/** Windows answers password expiry with KDC_ERR_KEY_EXPIRED and every other refusal with CLIENT_REVOKED. */
export function restrictionError(status: number): KdcError {
  const code =
    status === STATUS_PASSWORD_EXPIRED || status === STATUS_PASSWORD_MUST_CHANGE ? KDC_ERR.KEY_EXPIRED : KDC_ERR.CLIENT_REVOKED;
  return new KdcError(code, TEXT[status] ?? 'account restriction', { status });
}

/** Refusals that do not depend on knowing the password: checked before pre-authentication. */
export function isPrePasswordRestriction(status: number): boolean {
  return status !== STATUS_PASSWORD_EXPIRED && status !== STATUS_PASSWORD_MUST_CHANGE;
}
