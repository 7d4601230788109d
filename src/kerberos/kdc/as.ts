// The Authentication Service exchange (RFC 4120 3.1.2-3.1.3, MS-KILE 3.3.5.6): client and
// service lookup, account restrictions, PA-ENC-TIMESTAMP pre-authentication with
// bad-password counting and lockout, then a ticket with a signed PAC and the AS-REP.

import { enctypeProfile } from '../../crypto/registry.js';
import { KEY_USAGE, type Key } from '../../crypto/types.js';
import { UF, type PrincipalEntry } from '../../directory/types.js';
import {
  decodeKerbPaPacRequest,
  decodePaEncTsEnc,
  decodeEncryptedData,
  encodeEncKdcRepPart,
  encodeEtypeInfo2,
  encodeKdcRep,
  encodeMethodData,
} from '../messages/index.js';
import {
  FLAG_BIT,
  flagMask,
  hasFlag,
  KDC_ERR,
  MSG_TYPE,
  NT,
  PA,
  type EncKdcRepPart,
  type EncTicketPart,
  type EtypeInfo2Entry,
  type KdcReq,
  type PAData,
  type PrincipalName,
} from '../messages/types.js';
import { isKrbtgt, principalToString } from '../names.js';
import type { KdcContext, KdcEvent } from './context.js';
import { chooseReplyKey, chooseSessionEtype, findKeyByVersion, sharedKeys, ticketKey } from './etype-policy.js';
import { KdcError } from './kdc-error.js';
import { buildSignedPac } from './pac-builder.js';
import { isPrePasswordRestriction, restrictionError } from './restrictions.js';
import { identifyS4uCertificate } from './s4u.js';
import { kdcSigningKey, pacAuthorizationData, requestedTill, sealTicket, wholeSeconds } from './tickets.js';

/**
 * A one-component client name is a sAMAccountName or, for NT-ENTERPRISE, 'user@suffix'; a
 * longer one is an SPN (Windows lets `kinit -k host/fqdn` log a machine on by its SPN).
 */
function findClientEntry(ctx: KdcContext, cname: PrincipalName): Promise<PrincipalEntry | undefined> {
  if (cname.nameString.length === 1) return ctx.directory.findClient(cname.nameString[0]);
  return ctx.directory.findService(cname.nameString);
}

function etypeInfo2(entry: PrincipalEntry, keys: Key[]): PAData {
  const entries: EtypeInfo2Entry[] = keys.map((k) => ({ etype: k.etype, salt: entry.secrets.current.salt }));
  return { padataType: PA.ETYPE_INFO2, padataValue: encodeEtypeInfo2(entries) };
}

function preauthRequired(entry: PrincipalEntry, clientEtypes: number[]): KdcError {
  const keys = sharedKeys(entry, clientEtypes);
  const methods: PAData[] = [etypeInfo2(entry, keys), { padataType: PA.ENC_TIMESTAMP, padataValue: Buffer.alloc(0) }];
  return new KdcError(KDC_ERR.PREAUTH_REQUIRED, 'pre-authentication required', { eData: encodeMethodData(methods) });
}

/**
 * RFC 4120 5.2.7.2: decrypt and check the timestamp. Returns the key that worked.
 * A timestamp that decrypts with a kept previous password is refused without counting it as a
 * bad password (Windows' password-history check, MS-ADTS 3.1.1.3.1.5.1 "badPwdCount").
 */
function verifyEncTimestamp(
  ctx: KdcContext,
  entry: PrincipalEntry,
  pa: PAData,
): { ok: true; key: Key } | { ok: false; previous: boolean } {
  const ed = decodeEncryptedData(pa.padataValue);
  const key = findKeyByVersion(entry, ed.etype, undefined);
  const tryDecrypt = (k: Key | undefined): Buffer | undefined => {
    if (!k) return undefined;
    try {
      return enctypeProfile(k.etype).decrypt(k.value, KEY_USAGE.AS_REQ_PA_ENC_TIMESTAMP, ed.cipher);
    } catch {
      return undefined;
    }
  };
  const plain = tryDecrypt(key);
  if (!plain) {
    const previous = entry.secrets.previous.some((s) => tryDecrypt(s.keys.find((k) => k.etype === ed.etype)) !== undefined);
    return { ok: false, previous };
  }
  const ts = decodePaEncTsEnc(plain);
  const skewMs = ctx.domain.policy.maxClockSkew * 1000;
  if (Math.abs(ts.patimestamp.getTime() + (ts.pausec ?? 0) / 1000 - ctx.now) > skewMs) {
    throw new KdcError(KDC_ERR.KRB_AP_ERR_SKEW, 'clock skew too great');
  }
  return { ok: true, key: key! };
}

export async function processAsReq(ctx: KdcContext, req: KdcReq, event: KdcEvent): Promise<Buffer> {
  const body = req.reqBody;
  const { domain, directory } = ctx;
  if (!body.cname) throw new KdcError(KDC_ERR.C_PRINCIPAL_UNKNOWN, 'no client name');
  if (!body.sname) throw new KdcError(KDC_ERR.S_PRINCIPAL_UNKNOWN, 'no server name');
  if (body.realm.toUpperCase() !== domain.realm) throw new KdcError(KDC_ERR.WRONG_REALM, 'wrong realm');
  event.client = principalToString(body.cname, domain.realm);
  event.service = principalToString(body.sname, domain.realm);

  // MS-SFU 3.1.5.1.1.2: a service finding the user of a certificate (PA-S4U-X509-USER) before S4U2self.
  const client = (await findClientEntry(ctx, body.cname)) ?? (await identifyS4uCertificate(ctx, req));
  if (!client) throw new KdcError(KDC_ERR.C_PRINCIPAL_UNKNOWN, 'client not found');
  const service = isKrbtgt(body.sname, domain.realm) ? ctx.krbtgt : await ctx.lookups.findService(body.sname.nameString, ctx.now);
  if (!service) throw new KdcError(KDC_ERR.S_PRINCIPAL_UNKNOWN, 'server not found');

  const now = new Date(ctx.now);
  const status = directory.checkAccountRestrictions(client.account, now);
  if (status !== 0 && isPrePasswordRestriction(status)) throw restrictionError(status);

  const replyKey = chooseReplyKey(client, body.etype);
  if (!replyKey) throw new KdcError(KDC_ERR.ETYPE_NOSUPP, 'no usable enctype');
  const sessionEtype = chooseSessionEtype(service, body.etype);
  if (sessionEtype === undefined) throw new KdcError(KDC_ERR.ETYPE_NOSUPP, 'no session enctype shared with the service');
  const tkey = ticketKey(service);
  if (!tkey) throw new KdcError(KDC_ERR.ETYPE_NOSUPP, 'service has no usable key');

  // Pre-authentication (MS-KILE 3.3.5.6.1: required unless DONT_REQ_PREAUTH).
  const paTs = req.padata?.find((p) => p.padataType === PA.ENC_TIMESTAMP);
  let preauthenticated = false;
  let keyForReply = replyKey;
  if (paTs) {
    const r = verifyEncTimestamp(ctx, client, paTs);
    if (!r.ok) {
      if (!r.previous) await directory.recordBadPassword(client.account.rid, now);
      const methods = [etypeInfo2(client, sharedKeys(client, body.etype))];
      throw new KdcError(KDC_ERR.PREAUTH_FAILED, 'pre-authentication failed', { eData: encodeMethodData(methods) });
    }
    preauthenticated = true;
    // The client proved it holds this key; answer in it (RFC 4120 3.1.3).
    keyForReply = r.key;
  } else if ((client.account.userAccountControl & UF.DONT_REQUIRE_PREAUTH) === 0) {
    throw preauthRequired(client, body.etype);
  }
  if (status !== 0) throw restrictionError(status);
  // The account row just read says whether there is a count to reset (no second read).
  if (preauthenticated) await directory.recordSuccessfulLogon(client.account.rid, now, client.account);

  // Ticket flags and times (RFC 4120 3.1.3, MS-KILE 3.3.5.6 with policy ages).
  const policy = domain.policy;
  const forTgt = service === ctx.krbtgt;
  const opts = body.kdcOptions;
  let flags = flagMask(FLAG_BIT.INITIAL);
  if (preauthenticated) flags |= flagMask(FLAG_BIT.PRE_AUTHENT);
  const delegable = (client.account.userAccountControl & UF.NOT_DELEGATED) === 0;
  if (hasFlag(opts, FLAG_BIT.FORWARDABLE) && delegable) flags |= flagMask(FLAG_BIT.FORWARDABLE);
  if (hasFlag(opts, FLAG_BIT.PROXIABLE) && delegable) flags |= flagMask(FLAG_BIT.PROXIABLE);
  if (hasFlag(opts, FLAG_BIT.ALLOW_POSTDATE) || hasFlag(opts, FLAG_BIT.POSTDATED)) {
    throw new KdcError(KDC_ERR.CANNOT_POSTDATE, 'postdated tickets are not issued');
  }
  const nowMs = Math.floor(ctx.now / 1000) * 1000;
  const maxLife = (forTgt ? policy.maxTicketAge : policy.maxServiceAge) * 1000;
  let endMs = requestedTill(body.till, nowMs + maxLife);
  let renewTill: Date | undefined;
  const maxRenew = nowMs + policy.maxRenewAge * 1000;
  if (hasFlag(opts, FLAG_BIT.RENEWABLE) && body.rtime && policy.maxRenewAge > 0) {
    const rt = body.rtime.getTime() === 0 ? maxRenew : Math.min(body.rtime.getTime(), maxRenew);
    if (rt > nowMs) renewTill = wholeSeconds(Math.max(rt, endMs));
  } else if (hasFlag(opts, FLAG_BIT.RENEWABLE_OK) && body.till && body.till.getTime() > endMs && policy.maxRenewAge > 0) {
    renewTill = wholeSeconds(Math.min(body.till.getTime(), maxRenew));
  }
  if (renewTill) {
    flags |= flagMask(FLAG_BIT.RENEWABLE);
    endMs = Math.min(endMs, renewTill.getTime());
  }
  if (endMs <= nowMs) throw new KdcError(KDC_ERR.NEVER_VALID, 'requested end time is in the past');
  flags >>>= 0;

  // Name canonicalization (RFC 6806): echo the client's name unless it asked for the canonical one.
  const canonicalize = hasFlag(opts, FLAG_BIT.NAME_CANONICALIZE);
  const enterprise = body.cname.nameType === NT.ENTERPRISE;
  const cname: PrincipalName =
    (canonicalize || enterprise) && body.cname.nameString.length === 1
      ? { nameType: NT.PRINCIPAL, nameString: [client.account.samAccountName] }
      : body.cname;
  const sname: PrincipalName = forTgt ? { nameType: NT.SRV_INST, nameString: ['krbtgt', domain.realm] } : body.sname;

  const paPacReq = req.padata?.find((p) => p.padataType === PA.PAC_REQUEST);
  const pacRequest = paPacReq ? decodeKerbPaPacRequest(paPacReq.padataValue).includePac : undefined;
  const authtime = wholeSeconds(ctx.now);
  const sessionKey: Key = { etype: sessionEtype, value: enctypeProfile(sessionEtype).randomKey() };

  let authorizationData;
  if (pacRequest !== false) {
    const membership = await ctx.lookups.membership(client.account, ctx.now);
    const pac = buildSignedPac(
      {
        domain,
        account: client.account,
        membership,
        dcName: ctx.dcName,
        authtime,
        clientName: cname.nameString.join('/'),
        pacRequested: pacRequest === true,
        forTgt,
      },
      tkey.key,
      kdcSigningKey(ctx),
    );
    authorizationData = pacAuthorizationData(pac);
  }

  const encTicketPart: EncTicketPart = {
    flags,
    key: { keytype: sessionKey.etype, keyvalue: sessionKey.value },
    crealm: domain.realm,
    cname,
    transited: { trType: 0, contents: Buffer.alloc(0) },
    authtime,
    starttime: authtime,
    endtime: wholeSeconds(endMs),
    renewTill,
    caddr: body.addresses,
    authorizationData,
  };
  const ticket = sealTicket(encTicketPart, tkey.key, tkey.kvno, domain.realm, sname);

  const keyExpiration = passwordExpiry(client, policy.maxPasswordAge);
  const encPart: EncKdcRepPart = {
    key: encTicketPart.key,
    lastReq: [{ lrType: 0, lrValue: authtime }],
    nonce: body.nonce,
    keyExpiration,
    flags,
    authtime,
    starttime: authtime,
    endtime: encTicketPart.endtime,
    renewTill,
    srealm: domain.realm,
    sname,
    caddr: body.addresses,
  };
  const cipher = enctypeProfile(keyForReply.etype).encrypt(
    keyForReply.value,
    KEY_USAGE.AS_REP_ENCPART,
    encodeEncKdcRepPart(encPart, 25),
  );
  event.etype = keyForReply.etype;
  return encodeKdcRep({
    pvno: 5,
    msgType: MSG_TYPE.AS_REP,
    padata: [etypeInfo2(client, [keyForReply])],
    crealm: domain.realm,
    cname,
    ticket,
    encPart: { etype: keyForReply.etype, kvno: client.secrets.current.kvno, cipher },
  });
}

function passwordExpiry(entry: PrincipalEntry, maxPasswordAge: number): Date | undefined {
  const a = entry.account;
  if (a.kind !== 'user' || maxPasswordAge === 0 || (a.userAccountControl & UF.DONT_EXPIRE_PASSWD) !== 0 || !a.pwdLastSet) return undefined;
  return wholeSeconds(a.pwdLastSet.getTime() + maxPasswordAge * 1000);
}

