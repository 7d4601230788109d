// Name rules for directory objects.
//
// sAMAccountName (schema attribute SAM-Account-Name; MS-SAMR 3.1.1.6 constraints): at most 20
// characters for users and computers (the pre-Windows 2000 logon name; 256 for groups), none of
// " / \ [ ] : ; | = , + * ? < >, and we also refuse '@' so that a name never looks like a UPN,
// control characters, and names made only of dots and spaces. Computer names are NetBIOS names (at most
// 15 characters, MS-NBTE) that are also DNS host labels (RFC 1123), so we accept letters,
// digits and hyphens only; the account is NAME$ in upper case, as Windows' join creates it.

import { DirectoryError } from './errors.js';

const FORBIDDEN = /["/\\[\]:;|=,+*?<>@]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkCommon(kind: string, name: string, max: number): void {
  if (typeof name !== 'string' || name.length === 0) throw new DirectoryError('BAD_NAME', `${kind} name is empty`);
  if (name.length > max) throw new DirectoryError('BAD_NAME', `${kind} name '${name}' is longer than ${max} characters`);
  if (FORBIDDEN.test(name)) {
    throw new DirectoryError('BAD_NAME', `${kind} name '${name}' contains a character not allowed in sAMAccountName ("/\\[]:;|=,+*?<>@)`);
  }
  if (CONTROL.test(name)) throw new DirectoryError('BAD_NAME', `${kind} name contains a control character`);
  if (/^[. ]+$/.test(name)) throw new DirectoryError('BAD_NAME', `${kind} name '${name}' consists only of dots and spaces`);
  if (name !== name.trim()) throw new DirectoryError('BAD_NAME', `${kind} name '${name}' has leading or trailing spaces`);
}

export function validateUserName(name: string): void {
  checkCommon('user', name, 20);
}

export function validateGroupName(name: string): void {
  checkCommon('group', name, 256);
}

/** Returns the computer's sAMAccountName (upper-case NAME$) for 'web', 'WEB' or 'web$'. */
export function computerSamName(name: string): string {
  const bare = name.endsWith('$') ? name.slice(0, -1) : name;
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,14}$/.test(bare) || /^[0-9]+$/.test(bare)) {
    throw new DirectoryError(
      'BAD_NAME',
      `computer name '${name}' must be 1-15 letters, digits or hyphens (a NetBIOS name that is also a DNS label), not all digits`,
    );
  }
  return `${bare.toUpperCase()}$`;
}

/** A DNS name: dot-separated RFC 1123 labels. */
export function validateDnsName(what: string, name: string): void {
  const labels = name.split('.');
  const ok =
    name.length > 0 &&
    name.length <= 253 &&
    labels.every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
  if (!ok) throw new DirectoryError('BAD_NAME', `${what} '${name}' is not a valid DNS name`);
}

export function validateNetbiosDomainName(name: string): void {
  // A NetBIOS name has at most 15 characters (the 16th byte is the suffix, RFC 1001).
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,14}$/.test(name)) {
    throw new DirectoryError('BAD_NAME', `NetBIOS domain name '${name}' must be 1-15 letters, digits or hyphens`);
  }
}

/** userPrincipalName: 'user@suffix' (uniqueness across the domain is enforced by the store). */
export function validateUpn(upn: string): void {
  const at = upn.lastIndexOf('@');
  if (at <= 0 || at === upn.length - 1 || upn.length > 1024 || CONTROL.test(upn) || /\s/.test(upn)) {
    throw new DirectoryError('BAD_NAME', `userPrincipalName '${upn}' must look like user@suffix`);
  }
}

/**
 * servicePrincipalName: serviceclass/host[:port][/servicename] (the SPN syntax used by setspn and DsMakeSpn).
 * We require a service class and a host part and refuse whitespace and control characters.
 */
export function validateSpn(spn: string): void {
  const parts = spn.split('/');
  const ok =
    parts.length >= 2 &&
    parts.length <= 3 &&
    parts.every((p) => p.length > 0) &&
    spn.length <= 1024 &&
    !CONTROL.test(spn) &&
    !/\s/.test(spn) &&
    !spn.includes('@');
  if (!ok) throw new DirectoryError('BAD_NAME', `SPN '${spn}' must look like service/host[:port][/name]`);
}

/** Case folding used for every case-insensitive key (sAMAccountName, UPN, SPN). */
export function foldName(name: string): string {
  return name.toLowerCase();
}
