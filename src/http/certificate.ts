// TLS client certificates mapped to domain accounts (MS-AUTHSO 5.4.5 step 7, "Certificate"):
// the TLS layer has already proved that the client holds the key of a certificate issued by a
// CA the server trusts (requestCert + ca, socket.authorized); what is left is which account the
// certificate stands for. As Windows' UPN mapping does, that is the user principal name in the
// certificate's subjectAltName (otherName 1.3.6.1.4.1.311.20.2.3, RFC 5280 4.2.1.6), looked up
// in the directory; the account's restrictions (disabled, locked out, expired) then apply and
// the LogonToken is built from the same validation information a PAC or NTLM logon carries.
//
// Before the UPN, an explicit mapping on the account (altSecurityIdentities) is looked for, in
// the forms Windows calls strong (KB5014754): X509:<I>issuer<SR>serial and X509:<SKI>keyid.
// The weak forms (<I><S>, <S>, <RFC822>) are not honoured, as in Windows' full enforcement.
// Not yet: the SID extension (1.3.6.1.4.1.311.25.2) and X509:<SHA1-PUKEY>.

import { X509Certificate } from 'node:crypto';
import { DecodeContext, contentOf, readChildren, readExplicitInner, readTop, type DerElement } from '../encoding/der.js';
import type { Directory } from '../directory/directory.js';
import type { Account, Domain } from '../directory/types.js';
import { isLockedOut } from '../directory/policy.js';
import { STATUS_ACCOUNT_LOCKED_OUT, STATUS_NO_SUCH_USER } from '../directory/ntstatus.js';
import { directoryLogonToken } from '../security/directory-authority.js';
import { SEC_E, SecurityError, type LogonToken } from '../security/types.js';

/** DER of the OIDs looked for (X.690 8.19). */
const OID_SUBJECT_ALT_NAME = Buffer.from('551d11', 'hex'); // 2.5.29.17
const OID_SUBJECT_KEY_ID = Buffer.from('551d0e', 'hex'); // 2.5.29.14
const OID_MS_UPN = Buffer.from('2b0601040182371402 03'.replace(/ /g, ''), 'hex'); // 1.3.6.1.4.1.311.20.2.3

const UNIVERSAL = 0x00;
const CONTEXT = 0x80;
const TAG_SEQUENCE = 16;
const TAG_OID = 6;
const TAG_OCTET_STRING = 4;
const TAG_UTF8 = 12;
const MAX_UPN_CHARS = 1024;

/**
 * The extnValue contents of the certificate's extension `oid` (RFC 5280 4.1: tbsCertificate
 * extensions [3] EXPLICIT SEQUENCE OF Extension), parsed; undefined when absent.
 */
function extensionValue(der: Buffer, oid: Buffer, ctx: DecodeContext): DerElement | undefined {
  const cert = readTop(der, ctx);
  const tbs = readChildren(cert, ctx)[0];
  if (!tbs || tbs.tag !== TAG_SEQUENCE) return undefined;
  const ext = readChildren(tbs, ctx).find((e) => e.cls === CONTEXT && e.tag === 3);
  if (!ext) return undefined;
  for (const extension of readChildren(readExplicitInner(ext, ctx), ctx)) {
    const parts = readChildren(extension, ctx);
    const id = parts[0];
    if (!id || id.tag !== TAG_OID || !contentOf(id).equals(oid)) continue;
    const value = parts[parts.length - 1];
    if (value.cls !== UNIVERSAL || value.tag !== TAG_OCTET_STRING) return undefined;
    return readTop(contentOf(value), ctx);
  }
  return undefined;
}

/**
 * The UPNs in a certificate's subjectAltName otherNames (RFC 5280 4.2.1.6; the Microsoft UPN
 * type-id), from its DER. A certificate that does not parse has none.
 */
export function upnsFromCertificate(der: Buffer): string[] {
  const ctx = new DecodeContext({ maxDepth: 16, maxElements: 20_000 });
  try {
    const names = extensionValue(der, OID_SUBJECT_ALT_NAME, ctx);
    if (!names) return [];
    const out: string[] = [];
    for (const gn of readChildren(names, ctx)) {
      const upn = otherNameUpn(gn, ctx);
      if (upn !== undefined) out.push(upn);
    }
    return out;
  } catch {
    return [];
  }
}

/**
 * The altSecurityIdentities values that map this certificate strongly (KB5014754):
 * `X509:<I>issuer<SR>serial` — the issuer's RDNs in certificate order joined by commas, the
 * serial number's bytes reversed, as Windows writes it — and `X509:<SKI>keyid` (the subject key
 * identifier, RFC 5280 4.2.1.2), hex upper-case. None for bytes that do not parse.
 */
export function strongCertificateIdentities(der: Buffer): string[] {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return [];
  }
  const out: string[] = [];
  const serial = cert.serialNumber.length % 2 === 1 ? `0${cert.serialNumber}` : cert.serialNumber;
  const reversed = (serial.match(/../g) ?? []).reverse().join('').toUpperCase();
  out.push(`X509:<I>${cert.issuer.split('\n').join(',')}<SR>${reversed}`);
  try {
    const ski = extensionValue(der, OID_SUBJECT_KEY_ID, new DecodeContext({ maxDepth: 16, maxElements: 20_000 }));
    if (ski && ski.cls === UNIVERSAL && ski.tag === TAG_OCTET_STRING) out.push(`X509:<SKI>${contentOf(ski).toString('hex').toUpperCase()}`);
  } catch {
    // No usable SKI: the issuer/serial form remains.
  }
  return out;
}

/** GeneralName otherName [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT UTF8String }. */
function otherNameUpn(gn: DerElement, ctx: DecodeContext): string | undefined {
  if (gn.cls !== CONTEXT || gn.tag !== 0 || !gn.constructed) return undefined;
  const [typeId, value] = readChildren(gn, ctx);
  if (!typeId || !value || typeId.tag !== TAG_OID || !contentOf(typeId).equals(OID_MS_UPN)) return undefined;
  if (value.cls !== CONTEXT || value.tag !== 0) return undefined;
  const s = readExplicitInner(value, ctx);
  if (s.cls !== UNIVERSAL || s.tag !== TAG_UTF8) return undefined;
  const upn = contentOf(s).toString('utf8');
  return upn.length > 0 && upn.length <= MAX_UPN_CHARS && upn.includes('@') ? upn : undefined;
}

/** Maps a verified client certificate (its DER) to a logon token, or throws SecurityError. */
export interface CertificateMapper {
  mapCertificate(der: Buffer): Promise<LogonToken>;
}

export interface DirectoryCertificateMapperOptions {
  dcName?: string;
  now?: () => Date;
}

/**
 * The account a certificate maps to under the rules above (exactly one UPN, this domain's
 * explicit or implicit UPN, the account's restrictions except password age), or a
 * SecurityError(LOGON_DENIED) with the NTSTATUS. Shared by DirectoryCertificateMapper and the
 * KDC's S4U2self with PA-S4U-X509-USER (src/kerberos/kdc/s4u.ts), so both map alike.
 */
/** The account of the certificate's one UPN (this domain's explicit or implicit UPN). */
async function accountForUpn(directory: Directory, domain: Domain, der: Buffer): Promise<Account> {
  const upns = upnsFromCertificate(der);
  // One UPN, unambiguous: a certificate naming two accounts maps to neither.
  if (upns.length !== 1) throw new SecurityError(SEC_E.LOGON_DENIED, `the certificate is not mapped and names ${upns.length} UPNs, not one`, { ntstatus: STATUS_NO_SUCH_USER });
  const upn = upns[0];
  const at = upn.lastIndexOf('@');
  const suffix = upn.slice(at + 1).toLowerCase();
  // Only this domain's UPN suffix (or an explicit userPrincipalName the lookup finds).
  const entry = await directory.findClient(upn);
  const account = entry?.account;
  const explicit = account?.userPrincipalName?.toLowerCase() === upn.toLowerCase();
  const implicit = account !== undefined && suffix === domain.dnsName.toLowerCase() && account.samAccountName.toLowerCase() === upn.slice(0, at).toLowerCase();
  if (!account || !(explicit || implicit)) {
    throw new SecurityError(SEC_E.LOGON_DENIED, 'no account holds the certificate UPN', { ntstatus: STATUS_NO_SUCH_USER });
  }
  return account;
}

export async function accountForCertificate(directory: Directory, der: Buffer, now: Date): Promise<{ account: Account; domain: Domain }> {
  const domain = await directory.getDomain();
  // An administrator's explicit, strong mapping first; it must name one account.
  const mapped = await directory.findAccountsByAltSecurityIdentity(strongCertificateIdentities(der));
  if (mapped.length > 1) throw new SecurityError(SEC_E.LOGON_DENIED, 'the certificate is mapped to more than one account', { ntstatus: STATUS_NO_SUCH_USER });
  const account = mapped[0] ?? (await accountForUpn(directory, domain, der));
  if (isLockedOut(account, domain.policy, now)) {
    throw new SecurityError(SEC_E.LOGON_DENIED, 'certificate logon to a locked-out account', { ntstatus: STATUS_ACCOUNT_LOCKED_OUT });
  }
  // A certificate logon does not use the password, so its age does not matter (as for smart cards).
  const status = directory.checkAccountRestrictions(account, now, { ignorePasswordExpiry: true });
  if (status !== 0) throw new SecurityError(SEC_E.LOGON_DENIED, 'certificate logon refused by an account restriction', { ntstatus: status });
  return { account, domain };
}

/** UPN mapping against the DC's own directory. */
export class DirectoryCertificateMapper implements CertificateMapper {
  constructor(
    private readonly directory: Directory,
    private readonly o: DirectoryCertificateMapperOptions = {},
  ) {}

  async mapCertificate(der: Buffer): Promise<LogonToken> {
    const now = this.o.now ? this.o.now() : new Date();
    const { account, domain } = await accountForCertificate(this.directory, der, now);
    await this.directory.recordSuccessfulLogon(account.rid, now, account);
    return directoryLogonToken(this.directory, { domain, account, now, dcName: this.o.dcName, authPackage: 'Certificate' });
  }
}
