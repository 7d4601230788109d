// Principal names as strings and back (RFC 1964 2.1.1 display form: components joined by '/',
// '@REALM' appended, with '\' escaping of '/', '@' and '\' inside components).

import { NT, type PrincipalName } from './messages/types.js';

export function principalToString(p: PrincipalName, realm?: string): string {
  const esc = (s: string) => s.replace(/[\\/@]/g, (c) => '\\' + c);
  const base = p.nameString.map(esc).join('/');
  return realm ? `${base}@${realm}` : base;
}

/** Parses 'a/b@REALM' (escapes honoured). A name without '@' has no realm. */
export function parsePrincipal(text: string, nameType: number = NT.PRINCIPAL): { name: PrincipalName; realm?: string } {
  const parts: string[] = [];
  let cur = '';
  let realm: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
    } else if (c === '/') {
      parts.push(cur);
      cur = '';
    } else if (c === '@') {
      realm = text.slice(i + 1);
      break;
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return { name: { nameType, nameString: parts }, realm };
}

export function krbtgtName(realm: string): PrincipalName {
  return { nameType: NT.SRV_INST, nameString: ['krbtgt', realm] };
}

export function isKrbtgt(p: PrincipalName, realm: string): boolean {
  return (
    p.nameString.length === 2 &&
    p.nameString[0].toLowerCase() === 'krbtgt' &&
    p.nameString[1].toUpperCase() === realm.toUpperCase()
  );
}

export function samePrincipal(a: PrincipalName, b: PrincipalName): boolean {
  return a.nameString.length === b.nameString.length && a.nameString.every((s, i) => s === b.nameString[i]);
}
