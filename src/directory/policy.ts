// Domain policy rules as pure functions: defaults, policy validation, password policy,
// account restrictions and the lockout state machine. Directory applies them; keeping them
// pure lets the KDC, NTLM and Netlogon code (and the tests) evaluate them without a database.

import { DirectoryError } from './errors.js';
import {
  STATUS_ACCOUNT_DISABLED,
  STATUS_ACCOUNT_EXPIRED,
  STATUS_ACCOUNT_LOCKED_OUT,
  STATUS_INVALID_LOGON_HOURS,
  STATUS_PASSWORD_EXPIRED,
  STATUS_PASSWORD_MUST_CHANGE,
  STATUS_SUCCESS,
} from './ntstatus.js';
import { UF, type Account, type DomainPolicy } from './types.js';

const DAY = 24 * 3600;

/**
 * The Default Domain Policy of a new Windows domain (maxPwdAge 42 days, minPwdAge 1 day,
 * minPwdLength 7, history 24; Kerberos policy 10 h / 7 d / 600 min / 5 min), except:
 * - lockout: Windows ships lockoutThreshold 0 (never lock); we are secure by default and lock
 *   after 5 bad passwords for 30 minutes, counted in a 30-minute window;
 * - complexity: Windows turns it on; it is implemented (checkPasswordPolicy) but off by
 *   default here, because test and demo domains routinely use passwords such as
 *   'Alice-Passw0rd!' for alice, which Windows' rule (no account name inside) refuses.
 */
export function defaultPolicy(): DomainPolicy {
  return {
    maxPasswordAge: 42 * DAY,
    minPasswordAge: 1 * DAY,
    minPasswordLength: 7,
    passwordHistoryLength: 24,
    passwordComplexity: false,
    lockoutThreshold: 5,
    lockoutDuration: 30 * 60,
    lockoutObservationWindow: 30 * 60,
    maxTicketAge: 10 * 3600,
    maxRenewAge: 7 * DAY,
    maxServiceAge: 10 * 3600,
    maxClockSkew: 300,
    requireTgsBodyChecksum: false,
  };
}

const NUMERIC_FIELDS = [
  'maxPasswordAge',
  'minPasswordAge',
  'minPasswordLength',
  'passwordHistoryLength',
  'lockoutThreshold',
  'lockoutDuration',
  'lockoutObservationWindow',
  'maxTicketAge',
  'maxRenewAge',
  'maxServiceAge',
  'maxClockSkew',
] as const;

/** MS-SAMR 3.1.1.6 constraints on the policy attributes, in our units (seconds, counts). */
export function validatePolicy(p: DomainPolicy): void {
  for (const f of NUMERIC_FIELDS) {
    const v = p[f];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new DirectoryError('INVALID_ARGUMENT', `policy ${f} must be a non-negative integer`);
    }
  }
  if (p.minPasswordLength > 256) throw new DirectoryError('INVALID_ARGUMENT', 'policy minPasswordLength must be at most 256');
  if (p.maxPasswordAge !== 0 && p.minPasswordAge > p.maxPasswordAge) {
    throw new DirectoryError('INVALID_ARGUMENT', 'policy minPasswordAge must not exceed maxPasswordAge');
  }
  // "lockOutObservationWindow MUST be greater than or equal to lockoutDuration" in AD's negative
  // intervals means: window <= duration (duration 0 = until an admin unlocks, i.e. infinite).
  if (p.lockoutThreshold > 0) {
    if (p.lockoutObservationWindow === 0) {
      throw new DirectoryError('INVALID_ARGUMENT', 'policy lockoutObservationWindow must be positive when lockoutThreshold is set');
    }
    if (p.lockoutDuration !== 0 && p.lockoutObservationWindow > p.lockoutDuration) {
      throw new DirectoryError('INVALID_ARGUMENT', 'policy lockoutObservationWindow must not exceed lockoutDuration');
    }
  }
  if (p.maxTicketAge === 0 || p.maxServiceAge === 0) {
    throw new DirectoryError('INVALID_ARGUMENT', 'policy maxTicketAge and maxServiceAge must be positive');
  }
  if (typeof p.requireTgsBodyChecksum !== 'boolean') {
    throw new DirectoryError('INVALID_ARGUMENT', 'policy requireTgsBodyChecksum must be a boolean');
  }
  if (p.passwordComplexity !== undefined && typeof p.passwordComplexity !== 'boolean') {
    throw new DirectoryError('INVALID_ARGUMENT', 'policy passwordComplexity must be a boolean');
  }
}

/** The longest password Windows accepts (unicodePwd holds at most 256 UTF-16 code units). */
export const MAX_PASSWORD_LENGTH = 256;

/**
 * Password policy for a password set on an account (minPwdLength, and the Windows
 * "must meet complexity requirements" rule, DOMAIN_PASSWORD_COMPLEX in MS-SAMR pwdProperties):
 * the password must not contain the sAMAccountName (when it has 3+ characters) nor any 3+
 * character token of the display name, and must use 3 of: upper case, lower case, digits,
 * non-alphanumeric characters, other letters (e.g. CJK). Machine and krbtgt passwords are
 * random; only the length rule applies to them.
 */
export function checkPasswordPolicy(
  password: string,
  policy: DomainPolicy,
  account: { samAccountName: string; displayName?: string; kind: 'user' | 'computer' | 'krbtgt' },
): void {
  if (typeof password !== 'string') throw new DirectoryError('PASSWORD_POLICY', 'password must be a string');
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new DirectoryError('PASSWORD_POLICY', `password is longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
  const length = [...password].length;
  if (length < policy.minPasswordLength) {
    throw new DirectoryError('PASSWORD_POLICY', `password is shorter than the domain minimum of ${policy.minPasswordLength} characters`);
  }
  if (account.kind !== 'user' || policy.passwordComplexity !== true) return;
  const lower = password.toLowerCase();
  const sam = account.samAccountName.toLowerCase();
  if (sam.length >= 3 && lower.includes(sam)) {
    throw new DirectoryError('PASSWORD_POLICY', 'password contains the account name');
  }
  for (const token of (account.displayName ?? '').split(/[,.\-_#\t ]+/)) {
    if (token.length >= 3 && lower.includes(token.toLowerCase())) {
      throw new DirectoryError('PASSWORD_POLICY', 'password contains part of the display name');
    }
  }
  let classes = 0;
  if (/\p{Lu}/u.test(password)) classes++;
  if (/\p{Ll}/u.test(password)) classes++;
  if (/[0-9]/.test(password)) classes++;
  if (/[^\p{L}\p{Nd}]/u.test(password)) classes++;
  if (/(?![\p{Lu}\p{Ll}])\p{L}/u.test(password)) classes++;
  if (classes < 3) {
    throw new DirectoryError(
      'PASSWORD_POLICY',
      'password does not meet complexity requirements (3 of: upper case, lower case, digit, symbol, other letter)',
    );
  }
}

function isMachineOrKrbtgt(a: Account): boolean {
  return (
    a.kind !== 'user' ||
    (a.userAccountControl & (UF.WORKSTATION_TRUST_ACCOUNT | UF.SERVER_TRUST_ACCOUNT | UF.INTERDOMAIN_TRUST_ACCOUNT)) !== 0
  );
}

/**
 * Locked out: lockoutTime is set and either the duration is 0 (until an administrator unlocks)
 * or now < lockoutTime + lockoutDuration. An expired lock counts as unlocked even though
 * lockoutTime stays set until the next logon event clears it (as AD does: the LOCKOUT bit of
 * msDS-User-Account-Control-Computed is derived the same way).
 */
export function isLockedOut(a: Account, policy: DomainPolicy, now: Date): boolean {
  if (a.lockoutTime === undefined) return false;
  if (policy.lockoutDuration === 0) return true;
  return now.getTime() < a.lockoutTime.getTime() + policy.lockoutDuration * 1000;
}

/**
 * Must change at next logon: pwdLastSet = 0 (our undefined), set only explicitly (an admin's
 * "must change", or UF_PASSWORD_EXPIRED written). As in MS-SAMR's PasswordMustChange,
 * DONT_EXPIRE_PASSWD and machine accounts are never forced.
 */
export function passwordMustChange(a: Account): boolean {
  if (isMachineOrKrbtgt(a) || (a.userAccountControl & UF.DONT_EXPIRE_PASSWD) !== 0) return false;
  return a.pwdLastSet === undefined;
}

/** pwdLastSet + maxPwdAge has passed (maxPwdAge 0 = never), except DONT_EXPIRE_PASSWD / machines. */
export function passwordExpired(a: Account, policy: DomainPolicy, now: Date): boolean {
  if (isMachineOrKrbtgt(a) || (a.userAccountControl & UF.DONT_EXPIRE_PASSWD) !== 0) return false;
  if (policy.maxPasswordAge === 0 || a.pwdLastSet === undefined) return false;
  return a.pwdLastSet.getTime() + policy.maxPasswordAge * 1000 <= now.getTime();
}

/** When the password must be changed (PasswordMustChange of MS-SAMR / KERB_VALIDATION_INFO); undefined = never. */
export function passwordMustChangeTime(a: Account, policy: DomainPolicy): Date | undefined {
  if (isMachineOrKrbtgt(a) || (a.userAccountControl & UF.DONT_EXPIRE_PASSWD) !== 0) return undefined;
  if (a.pwdLastSet === undefined) return new Date(0);
  if (policy.maxPasswordAge === 0) return undefined;
  return new Date(a.pwdLastSet.getTime() + policy.maxPasswordAge * 1000);
}

/**
 * logonHours: 21 bytes, one bit per hour of the week starting Sunday 00:00 UTC, least
 * significant bit first (MS-SAMR 2.2.6.5 SAMPR_LOGON_HOURS with UnitsPerWeek = 168).
 */
export function logonHoursAllow(logonHours: Buffer | undefined, now: Date): boolean {
  if (logonHours === undefined) return true;
  if (logonHours.length !== 21) return false; // malformed: fail closed
  const hour = now.getUTCDay() * 24 + now.getUTCHours();
  return ((logonHours[hour >> 3] >> (hour & 7)) & 1) === 1;
}

export interface RestrictionOptions {
  /** Skip the password-age checks (e.g. a ticket for kadmin/changepw to change an expired password). */
  ignorePasswordExpiry?: boolean;
}

/**
 * The account restrictions every logon applies (MS-KILE 3.3.5.7.1 for the KDC: disabled,
 * expired, locked, logon hours; MS-APDS / MS-SAMR for NTLM and the password-age states).
 * Returns an NTSTATUS; STATUS_SUCCESS (0) when the account may log on now.
 */
export function accountRestrictions(a: Account, policy: DomainPolicy, now: Date, opts: RestrictionOptions = {}): number {
  if ((a.userAccountControl & UF.ACCOUNTDISABLE) !== 0) return STATUS_ACCOUNT_DISABLED;
  if (isLockedOut(a, policy, now)) return STATUS_ACCOUNT_LOCKED_OUT;
  if (a.accountExpires !== undefined && a.accountExpires.getTime() <= now.getTime()) return STATUS_ACCOUNT_EXPIRED;
  if (!logonHoursAllow(a.logonHours, now)) return STATUS_INVALID_LOGON_HOURS;
  if (!opts.ignorePasswordExpiry) {
    if (passwordMustChange(a)) return STATUS_PASSWORD_MUST_CHANGE;
    if (passwordExpired(a, policy, now)) return STATUS_PASSWORD_EXPIRED;
  }
  return STATUS_SUCCESS;
}

/** The fields a bad password changes, or undefined when nothing changes. */
export interface BadPasswordUpdate {
  badPwdCount: number;
  badPasswordTime: Date;
  lockoutTime: Date | null;
}

/**
 * One failed password (MS-SAMR 3.1.5.14.6 Account Lockout State Maintenance): while the
 * account is locked nothing changes; a lock that has expired is cleared first and the count
 * restarts. Otherwise the count restarts at 1 when the previous bad password is older than
 * the observation window, else it increments; badPasswordTime becomes now, and reaching the
 * threshold (when > 0) sets lockoutTime. (We count even when the threshold is 0, so that
 * badPwdCount is meaningful to admins.)
 */
export function badPasswordTransition(a: Account, policy: DomainPolicy, now: Date): BadPasswordUpdate | undefined {
  if (isLockedOut(a, policy, now)) return undefined;
  const lockExpired = a.lockoutTime !== undefined;
  const windowMs = policy.lockoutObservationWindow * 1000;
  const fresh =
    lockExpired || a.badPasswordTime === undefined || now.getTime() - a.badPasswordTime.getTime() > windowMs;
  const badPwdCount = fresh ? 1 : a.badPwdCount + 1;
  const lock = policy.lockoutThreshold > 0 && badPwdCount >= policy.lockoutThreshold;
  return { badPwdCount, badPasswordTime: now, lockoutTime: lock ? now : null };
}
