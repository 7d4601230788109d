// S4U2self (MS-SFU 3.2.5.1, MS-KILE 3.3.5.7.1): a service asks, with its own TGT, for a
// ticket to itself in the name of a user it authenticated some other way. The user is named
// by PA-FOR-USER (padata 129: name and realm under an HMAC-MD5 checksum in the TGT session
// key, usage 17) and/or PA-S4U-X509-USER (padata 130: nonce, name, realm and/or the user's
// certificate under the session key's own checksum, usage 26). The KDC checks the checksums,
// finds the user — by name, UPN or enterprise name, or by mapping the certificate exactly as
// the DC's certificate logon does (src/http/certificate.ts) —, applies the user's account
// restrictions, and issues the service a ticket whose client is the user and whose PAC is the
// user's (with SERVICE_ASSERTED_IDENTITY in place of AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY,
// 3.2.5.1.2). FORWARDABLE only for a service trusted to authenticate for delegation and a user
// that may be delegated. The reply echoes PA-S4U-X509-USER under the KDC's checksum.
//
// S4U2proxy (cname-in-addl-tkt) is not supported here: such requests get KDC_ERR_BADOPTION with
// STATUS_NOT_SUPPORTED, what a Windows KDC answers a service with no delegation targets.
//
// tgs.ts calls processS4u() once the TGT is checked; undefined means "not an S4U request".

import { checksumProfile, enctypeProfile } from '../../crypto/registry.js';
import { ETYPE, KEY_USAGE, type Key } from '../../crypto/types.js';
import { hmacMd5ChecksumProfile } from '../../crypto/rc4-hmac.js';
import { STATUS_INVALID_LOGON_HOURS, STATUS_NO_SUCH_USER } from '../../directory/ntstatus.js';
import { UF, type PrincipalEntry } from '../../directory/types.js';
import { accountForCertificate } from '../../http/certificate.js';
import { decodeKerbValidationInfo, encodeKerbValidationInfo, signPac } from '../../pac/index.js';
import { PAC_TYPE } from '../../pac/types.js';
import { SecurityError } from '../../security/types.js';
import { encodeEncKdcRepPart, encodeKdcRep, encodeMethodData } from '../messages/index.js';
import {
  decodePaForUser,
  decodePaS4uX509User,
  encodePaS4uX509User,
  encodeS4uUserId,
  PA_S4U_X509_USER,
  S4U_KEY_USAGE,
  S4U_OPTION,
  s4uByteArray,
  type PaForUser,
  type PaS4uX509User,
  type S4uUserId,
} from '../messages/s4u.js';
import {
  FLAG_BIT,
  flagMask,
  hasFlag,
  KDC_ERR,
  MSG_TYPE,
  NT,
  PA,
  type Authenticator,
  type Checksum,
  type EncKdcRepPart,
  type EncTicketPart,
  type KdcReq,
  type PAData,
  type PrincipalName,
} from '../messages/types.js';
import { isKrbtgt, principalToString } from '../names.js';
import type { KdcContext, KdcEvent } from './context.js';
import { chooseSessionEtype, ticketKey } from './etype-policy.js';
import { KdcError } from './kdc-error.js';
import { AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY, addResourceGroups, buildPacBuffers, SE_GROUP_DEFAULT } from './pac-builder.js';
import { restrictionError } from './restrictions.js';
import { kdcSigningKey, pacAuthorizationData, requestedTill, sealTicket, wholeSeconds } from './tickets.js';

/** MS-DTYP 2.4.2.4: the identity was asserted by a service (S4U), not proved to the KDC. */
export const SERVICE_ASSERTED_IDENTITY = 'S-1-18-2';
/** MS-ERREF: what a Windows KDC puts in the BADOPTION of an S4U2proxy it will not do. */
const STATUS_NOT_SUPPORTED = 0xc00000bb;
const AUTH_PACKAGE = 'Kerberos';

/** What tgs.ts has established about the request when it hands over. */
export interface S4uTgsState {
  tgt: EncTicketPart;
  authenticator: Authenticator;
  sessionKey: Key;
  /** The TGT's client (the service making the request), already checked to exist and be enabled. */
  client: PrincipalEntry;
}

function decodeOr<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch {
    throw new KdcError(KDC_ERR.KRB_ERR_GENERIC, `malformed ${what}`);
  }
}

/** Verifies a keyed checksum with the first key that makes it match; undefined when none does. */
function verifyWithAny(keys: Key[], usage: number, data: Buffer, cksum: Checksum, hmacMd5AnyKey: boolean): Key | undefined {
  let profile;
  try {
    profile = checksumProfile(cksum.cksumtype);
  } catch {
    throw new KdcError(KDC_ERR.SUMTYPE_NOSUPP, `checksum type ${cksum.cksumtype} not supported`);
  }
  // An unkeyed checksum (MS-SFU's rsa-md4 for rc4 keys) protects nothing against a rewrite.
  if (profile.etype === undefined) throw new KdcError(KDC_ERR.KRB_AP_ERR_INAPP_CKSUM, 'S4U checksum is not keyed');
  for (const key of keys) {
    // KERB_CHECKSUM_HMAC_MD5 takes any key (MS-SFU 2.2.1); the others only their own enctype's.
    if (profile.etype !== key.etype && !(hmacMd5AnyKey && profile === hmacMd5ChecksumProfile)) continue;
    try {
      if (profile.verify(key.value, usage, data, cksum.checksum)) return key;
    } catch {
      // a malformed checksum value: try the next key, then fail as modified
    }
  }
  return undefined;
}

interface S4uUser {
  entry: PrincipalEntry;
  /** The ticket's cname (and PAC_CLIENT_INFO name). */
  cname: PrincipalName;
}

function sameRealm(ctx: KdcContext, realm: string): boolean {
  const r = realm.toLowerCase();
  const d = ctx.domain;
  return r === d.realm.toLowerCase() || r === d.dnsName.toLowerCase() || r === d.netbiosName.toLowerCase();
}

async function findUserByName(ctx: KdcContext, name: PrincipalName, realm: string): Promise<S4uUser> {
  if (!sameRealm(ctx, realm)) throw new KdcError(KDC_ERR.WRONG_REALM, 'S4U2self for a user of another realm is not supported');
  const n = name.nameString;
  if (n.length === 0 || n.some((s) => s.length === 0)) throw new KdcError(KDC_ERR.C_PRINCIPAL_UNKNOWN, 'no user name', { status: STATUS_NO_SUCH_USER });
  const entry = n.length === 1 ? await ctx.directory.findClient(n[0]) : await ctx.directory.findService(n);
  if (!entry || entry.account.kind === 'krbtgt') throw new KdcError(KDC_ERR.C_PRINCIPAL_UNKNOWN, 'user not found', { status: STATUS_NO_SUCH_USER });
  // MS-SFU 3.2.5.1.2: the ticket's cname is the name asked for (an enterprise name stays one).
  return { entry, cname: name };
}

async function findUserByCertificate(ctx: KdcContext, cert: Buffer): Promise<S4uUser> {
  try {
    const { account } = await accountForCertificate(ctx.directory, cert, new Date(ctx.now));
    const entry = await ctx.directory.findClient(account.samAccountName);
    if (!entry) throw new KdcError(KDC_ERR.C_PRINCIPAL_UNKNOWN, 'user not found', { status: STATUS_NO_SUCH_USER });
    return { entry, cname: { nameType: NT.PRINCIPAL, nameString: [account.samAccountName] } };
  } catch (e) {
    if (!(e instanceof SecurityError)) throw e;
    const status = e.details.ntstatus;
    if (status === undefined || status === STATUS_NO_SUCH_USER) {
      throw new KdcError(KDC_ERR.C_PRINCIPAL_UNKNOWN, `certificate does not map to an account: ${e.message}`, { status: STATUS_NO_SUCH_USER });
    }
    throw restrictionError(status);
  }
}

/**
 * AS-REQ with PA-S4U-X509-USER (MS-SFU 2.2.2: there, the bare certificate): how MIT (kvno -F) and
 * Windows find the realm of a certificate's user before S4U2self. Called by AS only for a
 * client name the directory does not know. A certificate that maps to an account is answered
 * PREAUTH_REQUIRED (or the account's restriction), whatever else the request carries: it only
 * tells the caller "this realm holds that user", and never leads to a ticket, so no ticket can
 * be issued under a client name that is not the account's. Resolves to undefined (the caller
 * goes on to C_PRINCIPAL_UNKNOWN) when there is no certificate or it maps to no account.
 */
export async function identifyS4uCertificate(ctx: KdcContext, req: KdcReq): Promise<undefined> {
  const pa = req.padata?.find((p) => p.padataType === PA_S4U_X509_USER);
  if (!pa || pa.padataValue.length === 0) return undefined;
  try {
    await accountForCertificate(ctx.directory, pa.padataValue, new Date(ctx.now));
  } catch (e) {
    if (!(e instanceof SecurityError)) throw e;
    // Mapped, but restricted: say so, as the TGS exchange would.
    const status = e.details.ntstatus;
    if (status !== undefined && status !== STATUS_NO_SUCH_USER) throw restrictionError(status);
    return undefined;
  }
  throw new KdcError(KDC_ERR.PREAUTH_REQUIRED, 'pre-authentication required', {
    eData: encodeMethodData([{ padataType: PA.ENC_TIMESTAMP, padataValue: Buffer.alloc(0) }]),
  });
}

/** The S4U2self answer, or undefined when the request carries no S4U data. */
export async function processS4u(ctx: KdcContext, req: KdcReq, event: KdcEvent, s: S4uTgsState): Promise<Buffer | undefined> {
  const body = req.reqBody;
  if (hasFlag(body.kdcOptions, FLAG_BIT.CNAME_IN_ADDL_TKT)) {
    throw new KdcError(KDC_ERR.BADOPTION, 'S4U2proxy (constrained delegation) is not supported', { status: STATUS_NOT_SUPPORTED });
  }
  const padata = req.padata ?? [];
  const forUserPa = padata.find((p) => p.padataType === PA.FOR_USER);
  const x509Pa = padata.find((p) => p.padataType === PA_S4U_X509_USER);
  if (!forUserPa && !x509Pa) return undefined;
  const { domain, directory } = ctx;
  const subkey: Key | undefined = s.authenticator.subkey ? { etype: s.authenticator.subkey.keytype, value: s.authenticator.subkey.keyvalue } : undefined;

  // The padata and its checksum (MS-SFU 2.2.1 / 2.2.2). MIT puts PA-S4U-X509-USER under the
  // authenticator subkey, Windows under the TGT session key: either proves the TGT's holder.
  let forUser: PaForUser | undefined;
  if (forUserPa) {
    forUser = decodeOr('PA-FOR-USER', () => decodePaForUser(forUserPa.padataValue));
    if (forUser.authPackage.toLowerCase() !== AUTH_PACKAGE.toLowerCase()) throw new KdcError(KDC_ERR.BADOPTION, 'PA-FOR-USER auth-package is not Kerberos');
    const data = s4uByteArray(forUser.userName, forUser.userRealm, forUser.authPackage);
    const keys = subkey ? [s.sessionKey, subkey] : [s.sessionKey];
    if (!verifyWithAny(keys, S4U_KEY_USAGE.PA_FOR_USER, data, forUser.cksum, true)) {
      throw new KdcError(KDC_ERR.KRB_AP_ERR_MODIFIED, 'PA-FOR-USER checksum mismatch');
    }
  }
  let x509: PaS4uX509User | undefined;
  let x509Key: Key | undefined;
  if (x509Pa) {
    x509 = decodeOr('PA-S4U-X509-USER', () => decodePaS4uX509User(x509Pa.padataValue));
    if (x509.userId.nonce !== body.nonce) throw new KdcError(KDC_ERR.KRB_AP_ERR_MODIFIED, 'PA-S4U-X509-USER nonce is not the request nonce');
    const keys = subkey ? [subkey, s.sessionKey] : [s.sessionKey];
    x509Key = verifyWithAny(keys, S4U_KEY_USAGE.PA_S4U_X509_USER_REQUEST, x509.userIdRaw!, x509.checksum, false);
    if (!x509Key) throw new KdcError(KDC_ERR.KRB_AP_ERR_MODIFIED, 'PA-S4U-X509-USER checksum mismatch');
  }

  // The service: S4U2self is a ticket to the requesting account itself (any of its names).
  if (!body.sname) throw new KdcError(KDC_ERR.S_PRINCIPAL_UNKNOWN, 'no server name');
  event.service = principalToString(body.sname, domain.realm);
  if (body.realm.toUpperCase() !== domain.realm) throw new KdcError(KDC_ERR.WRONG_REALM, 'cross-realm requests are not supported');
  if (isKrbtgt(body.sname, domain.realm)) throw new KdcError(KDC_ERR.BADOPTION, 'S4U2self referral tickets are not supported');
  const service = await directory.findService(body.sname.nameString);
  if (!service) throw new KdcError(KDC_ERR.S_PRINCIPAL_UNKNOWN, 'server not found');
  if (service.account.rid !== s.client.account.rid) throw new KdcError(KDC_ERR.BADOPTION, 'S4U2self is for a ticket to the requesting service itself');

  // The user (MS-SFU 3.2.5.1): PA-S4U-X509-USER wins when present; a name in both must agree.
  const userId: S4uUserId | undefined = x509?.userId;
  let user: S4uUser;
  const x509Name = userId?.cname && userId.cname.nameString.length > 0 ? userId.cname : undefined;
  if (userId?.subjectCertificate && userId.subjectCertificate.length > 0) {
    user = await findUserByCertificate(ctx, userId.subjectCertificate);
    // A name sent along is a hint; it must not name someone else than the certificate does.
    const hint = x509Name ?? forUser?.userName;
    if (hint) {
      const named = await findUserByName(ctx, hint, x509Name ? userId.crealm : forUser!.userRealm).catch(() => undefined);
      if (!named || named.entry.account.rid !== user.entry.account.rid) throw new KdcError(KDC_ERR.POLICY, 'the user name does not match the certificate');
      user = { entry: user.entry, cname: named.cname };
    }
  } else if (x509Name && userId) {
    user = await findUserByName(ctx, x509Name, userId.crealm);
    if (forUser) {
      const other = await findUserByName(ctx, forUser.userName, forUser.userRealm).catch(() => undefined);
      if (!other || other.entry.account.rid !== user.entry.account.rid) throw new KdcError(KDC_ERR.POLICY, 'PA-FOR-USER and PA-S4U-X509-USER name different users');
    }
  } else if (forUser) {
    user = await findUserByName(ctx, forUser.userName, forUser.userRealm);
  } else {
    throw new KdcError(KDC_ERR.C_PRINCIPAL_UNKNOWN, 'PA-S4U-X509-USER names no user and carries no certificate', { status: STATUS_NO_SUCH_USER });
  }
  const account = user.entry.account;
  event.client = principalToString(user.cname, domain.realm);

  // The user's restrictions (MS-KILE 3.3.5.7.1); the password is not used, so its age is not
  // checked; logon hours only when the service asks (KERB_S4U_OPTIONS_check_logonhours).
  const status = directory.checkAccountRestrictions(account, new Date(ctx.now), { ignorePasswordExpiry: true });
  const checkHours = ((userId?.options ?? 0) & S4U_OPTION.CHECK_LOGON_HOURS) !== 0;
  if (status !== 0 && (status !== STATUS_INVALID_LOGON_HOURS || checkHours)) throw restrictionError(status);

  const sessionEtype = chooseSessionEtype(service, body.etype);
  if (sessionEtype === undefined) throw new KdcError(KDC_ERR.ETYPE_NOSUPP, 'no session enctype shared with the service');
  const tkey = ticketKey(service);
  if (!tkey) throw new KdcError(KDC_ERR.ETYPE_NOSUPP, 'service has no usable key');

  // Flags and times (MS-SFU 3.2.5.1.2): FORWARDABLE iff the service is TrustedToAuthForDelegation
  // and the user is not "sensitive and cannot be delegated".
  const nowMs = Math.floor(ctx.now / 1000) * 1000;
  const endMs = Math.min(requestedTill(body.till, nowMs + domain.policy.maxServiceAge * 1000), s.tgt.endtime.getTime());
  if (endMs <= nowMs) throw new KdcError(KDC_ERR.NEVER_VALID, 'requested end time is in the past');
  let flags = 0;
  const trusted = (service.account.userAccountControl & UF.TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION) !== 0;
  const delegable = (account.userAccountControl & UF.NOT_DELEGATED) === 0;
  if (trusted && delegable) flags |= flagMask(FLAG_BIT.FORWARDABLE);
  if ((service.account.userAccountControl & UF.TRUSTED_FOR_DELEGATION) !== 0) flags |= flagMask(FLAG_BIT.OK_AS_DELEGATE);
  flags >>>= 0;
  const authtime = wholeSeconds(ctx.now);

  // The user's PAC, as AS builds it, plus this domain's domain-local groups as TGS adds them.
  const membership = await directory.membership(account);
  const buffers = buildPacBuffers({
    domain,
    account,
    membership,
    dcName: ctx.dcName,
    authtime,
    clientName: user.cname.nameString.join('/'),
    pacRequested: false,
    forTgt: false,
  }).map((b) => {
    if (b.type !== PAC_TYPE.LOGON_INFO) return b;
    const info = decodeKerbValidationInfo(b.data);
    const extraSids = info.extraSids.filter((x) => x.sid !== AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY);
    extraSids.unshift({ sid: SERVICE_ASSERTED_IDENTITY, attributes: SE_GROUP_DEFAULT });
    return { type: b.type, data: encodeKerbValidationInfo(addResourceGroups({ ...info, extraSids }, domain.sid, membership)) };
  });
  const authorizationData = pacAuthorizationData(signPac(buffers, tkey.key, kdcSigningKey(ctx)));

  const newKey = { keytype: sessionEtype, keyvalue: enctypeProfile(sessionEtype).randomKey() };
  const part: EncTicketPart = {
    flags,
    key: newKey,
    crealm: domain.realm,
    cname: user.cname,
    transited: { trType: 0, contents: Buffer.alloc(0) },
    authtime,
    starttime: authtime,
    endtime: wholeSeconds(endMs),
    caddr: s.tgt.caddr,
    authorizationData,
  };
  const ticket = sealTicket(part, tkey.key, tkey.kvno, domain.realm, body.sname);

  // The PA-S4U-X509-USER echo (MS-SFU 2.2.2, 3.2.5.1.2): the request's user-id (with the name
  // found when only a certificate was sent), under a checksum of the request's type in the key
  // that verified it, usage 27 when the client asked for it, else 26. For keys that are not
  // "newer" (rc4) both checksums also travel in the encrypted part.
  const replyKey: Key = subkey ?? s.sessionKey;
  const replyPadata: PAData[] = [];
  const encryptedPaData: PAData[] = [];
  if (x509 && userId && x509Key) {
    const useReply = ((userId.options ?? 0) & S4U_OPTION.USE_REPLY_KEY_USAGE) !== 0;
    const repUserId: S4uUserId = {
      nonce: userId.nonce,
      cname: x509Name ?? user.cname,
      crealm: userId.crealm,
      subjectCertificate: userId.subjectCertificate,
      options: useReply ? S4U_OPTION.USE_REPLY_KEY_USAGE : undefined,
    };
    const usage = useReply ? S4U_KEY_USAGE.PA_S4U_X509_USER_REPLY : S4U_KEY_USAGE.PA_S4U_X509_USER_REQUEST;
    const cksum = { cksumtype: x509.checksum.cksumtype, checksum: checksumProfile(x509.checksum.cksumtype).make(x509Key.value, usage, encodeS4uUserId(repUserId)) };
    replyPadata.push({ padataType: PA_S4U_X509_USER, padataValue: encodePaS4uX509User({ userId: repUserId, checksum: cksum }) });
    if (useReply && x509Key.etype === ETYPE.RC4_HMAC) {
      encryptedPaData.push({ padataType: PA_S4U_X509_USER, padataValue: Buffer.concat([x509.checksum.checksum, cksum.checksum]) });
    }
  }

  const encPart: EncKdcRepPart = {
    key: newKey,
    lastReq: [{ lrType: 0, lrValue: authtime }],
    nonce: body.nonce,
    flags,
    authtime,
    starttime: authtime,
    endtime: part.endtime,
    srealm: domain.realm,
    sname: body.sname,
    caddr: part.caddr,
    encryptedPaData: encryptedPaData.length > 0 ? encryptedPaData : undefined,
  };
  const usage = subkey ? KEY_USAGE.TGS_REP_ENCPART_SUBKEY : KEY_USAGE.TGS_REP_ENCPART_SESSKEY;
  const cipher = enctypeProfile(replyKey.etype).encrypt(replyKey.value, usage, encodeEncKdcRepPart(encPart, 26));
  event.etype = tkey.key.etype;
  return encodeKdcRep({
    pvno: 5,
    msgType: MSG_TYPE.TGS_REP,
    padata: replyPadata.length > 0 ? replyPadata : undefined,
    crealm: domain.realm,
    cname: user.cname,
    ticket,
    encPart: { etype: replyKey.etype, cipher },
  });
}
