// The Ticket-Granting Service exchange (RFC 4120 3.3, MS-KILE 3.3.5.7): the TGT and its
// authenticator are checked, the PAC is verified, matched to its requestor (CVE-2021-42287)
// and copied into the service ticket with the resource groups of this domain, then re-signed.

import { checksumProfile, enctypeProfile } from '../../crypto/registry.js';
import { KEY_USAGE, KrbCryptoError, type Key } from '../../crypto/types.js';
import { STATUS_ACCOUNT_DISABLED, STATUS_ACCOUNT_EXPIRED } from '../../directory/ntstatus.js';
import { UF, type PrincipalEntry } from '../../directory/types.js';
import {
  decodeKerbValidationInfo,
  decodePacRequestor,
  encodeKerbValidationInfo,
  signPac,
  verifyPacKdcSignature,
  verifyPacServerSignature,
} from '../../pac/index.js';
import { PAC_TYPE, type PacBuffer } from '../../pac/types.js';
import {
  decodeApReq,
  decodeAuthenticator,
  decodeEncTicketPart,
  encodeEncKdcRepPart,
  encodeKdcRep,
} from '../messages/index.js';
import {
  FLAG_BIT,
  flagMask,
  hasFlag,
  KDC_ERR,
  MSG_TYPE,
  PA,
  type Authenticator,
  type EncKdcRepPart,
  type EncTicketPart,
  type KdcReq,
  type PrincipalName,
} from '../messages/types.js';
import { isKrbtgt, principalToString, samePrincipal } from '../names.js';
import type { KdcContext, KdcEvent } from './context.js';
import { chooseSessionEtype, findKeyByVersion, ticketKey } from './etype-policy.js';
import { KdcError } from './kdc-error.js';
import { addResourceGroups } from './pac-builder.js';
import { restrictionError } from './restrictions.js';
import { processS4u } from './s4u.js';
import { extractPac, kdcSigningKey, pacAuthorizationData, requestedTill, sealTicket, wholeSeconds } from './tickets.js';

/** Signature buffers are recomputed; attributes belong to TGTs only (MS-PAC 2.14). */
const DROPPED_IN_SERVICE_TICKET = new Set<number>([
  PAC_TYPE.SERVER_CHECKSUM,
  PAC_TYPE.PRIVSVR_CHECKSUM,
  PAC_TYPE.TICKET_CHECKSUM,
  PAC_TYPE.FULL_PAC_CHECKSUM,
  PAC_TYPE.ATTRIBUTES_INFO,
]);
const SIGNATURES = new Set<number>([
  PAC_TYPE.SERVER_CHECKSUM,
  PAC_TYPE.PRIVSVR_CHECKSUM,
  PAC_TYPE.TICKET_CHECKSUM,
  PAC_TYPE.FULL_PAC_CHECKSUM,
]);

function decryptWith<T>(key: Key, usage: number, cipher: Buffer, decode: (b: Buffer) => T): T {
  let plain: Buffer;
  try {
    plain = enctypeProfile(key.etype).decrypt(key.value, usage, cipher);
  } catch (e) {
    if (e instanceof KrbCryptoError) throw new KdcError(KDC_ERR.KRB_AP_ERR_BAD_INTEGRITY, 'integrity check failed');
    throw e;
  }
  return decode(plain);
}

interface CheckedTgt {
  tgt: EncTicketPart;
  /** The krbtgt key (of the ticket's kvno) that decrypted the TGT; it also signed the TGT's PAC. */
  krbtgtKey: Key;
  authenticator: Authenticator;
  sessionKey: Key;
}

/** RFC 4120 3.3.3 / 3.2.3: the TGT in PA-TGS-REQ and its authenticator. */
function checkTgt(ctx: KdcContext, req: KdcReq): CheckedTgt {
  const pa = req.padata?.find((p) => p.padataType === PA.TGS_REQ);
  if (!pa) throw new KdcError(KDC_ERR.PADATA_TYPE_NOSUPP, 'no PA-TGS-REQ');
  const ap = decodeApReq(pa.padataValue);
  if (ap.msgType !== MSG_TYPE.AP_REQ) throw new KdcError(KDC_ERR.KRB_AP_ERR_MSG_TYPE, 'PA-TGS-REQ is not an AP-REQ');
  const { domain } = ctx;
  if (ap.ticket.realm.toUpperCase() !== domain.realm || !isKrbtgt(ap.ticket.sname, domain.realm)) {
    throw new KdcError(KDC_ERR.KRB_AP_ERR_NOT_US, 'ticket is not a TGT of this realm');
  }
  const key = findKeyByVersion(ctx.krbtgt, ap.ticket.encPart.etype, ap.ticket.encPart.kvno);
  if (!key) throw new KdcError(KDC_ERR.KRB_AP_ERR_BADKEYVER, 'no krbtgt key of that version');
  const tgt = decryptWith(key, KEY_USAGE.KDC_REP_TICKET, ap.ticket.encPart.cipher, decodeEncTicketPart);
  const sessionKey: Key = { etype: tgt.key.keytype, value: tgt.key.keyvalue };
  const authenticator = decryptWith(sessionKey, KEY_USAGE.TGS_REQ_AUTH, ap.authenticator.cipher, decodeAuthenticator);

  if (authenticator.crealm.toUpperCase() !== tgt.crealm.toUpperCase() || !samePrincipal(authenticator.cname, tgt.cname)) {
    throw new KdcError(KDC_ERR.KRB_AP_ERR_BADMATCH, 'authenticator does not match ticket');
  }
  const skewMs = domain.policy.maxClockSkew * 1000;
  const ctimeMs = authenticator.ctime.getTime() + Math.floor(authenticator.cusec / 1000);
  if (Math.abs(ctimeMs - ctx.now) > skewMs) throw new KdcError(KDC_ERR.KRB_AP_ERR_SKEW, 'clock skew too great');
  if (hasFlag(tgt.flags, FLAG_BIT.INVALID)) throw new KdcError(KDC_ERR.KRB_AP_ERR_TKT_NYV, 'ticket is invalid');
  if (tgt.starttime && tgt.starttime.getTime() - skewMs > ctx.now) {
    throw new KdcError(KDC_ERR.KRB_AP_ERR_TKT_NYV, 'ticket not yet valid');
  }
  const renew = hasFlag(req.reqBody.kdcOptions, FLAG_BIT.RENEW);
  if (!renew && tgt.endtime.getTime() + skewMs < ctx.now) throw new KdcError(KDC_ERR.KRB_AP_ERR_TKT_EXPIRED, 'ticket expired');

  // RFC 4120 7.5.1 usage 6: the body checksum binds the authenticator to this request. Stock
  // impacket sends none and Windows accepts that; policy may require it (docs/decisions.md).
  if (authenticator.cksum) {
    const profile = (() => {
      try {
        return checksumProfile(authenticator.cksum!.cksumtype);
      } catch {
        throw new KdcError(KDC_ERR.SUMTYPE_NOSUPP, 'checksum type not supported');
      }
    })();
    if (profile.etype === undefined) throw new KdcError(KDC_ERR.KRB_AP_ERR_INAPP_CKSUM, 'unkeyed checksum');
    const raw = req.reqBodyRaw;
    if (!raw || !profile.verify(sessionKey.value, KEY_USAGE.TGS_REQ_AUTH_CKSUM, raw, authenticator.cksum.checksum)) {
      throw new KdcError(KDC_ERR.KRB_AP_ERR_MODIFIED, 'request body checksum mismatch');
    }
  } else if (domain.policy.requireTgsBodyChecksum) {
    throw new KdcError(KDC_ERR.KRB_AP_ERR_INAPP_CKSUM, 'authenticator has no request checksum');
  }

  const replayKey = ap.authenticator.cipher.subarray(-16).toString('base64') + authenticator.ctime.getTime();
  if (ctx.replayCache.checkAndRecord(replayKey, ctx.now)) throw new KdcError(KDC_ERR.KRB_AP_ERR_REPEAT, 'request is a replay');
  return { tgt, krbtgtKey: key, authenticator, sessionKey };
}

/** The TGT's PAC, verified (MS-PAC 2.8: both signatures are the krbtgt's), as its buffers. */
function tgtPacBuffers(tgt: EncTicketPart, kdcKey: Key): PacBuffer[] | undefined {
  const raw = extractPac(tgt.authorizationData);
  if (!raw) return undefined;
  try {
    const pac = verifyPacServerSignature(raw, kdcKey);
    verifyPacKdcSignature(pac, kdcKey);
    return pac.buffers;
  } catch {
    throw new KdcError(KDC_ERR.KRB_AP_ERR_MODIFIED, 'PAC signature invalid');
  }
}

/** CVE-2021-42287: the account named by the TGT must still exist and be the PAC's requestor. */
async function checkRequestor(ctx: KdcContext, tgt: EncTicketPart, buffers: PacBuffer[] | undefined): Promise<PrincipalEntry> {
  const n = tgt.cname.nameString;
  const client = await ctx.lookups.findTicketClient(n, ctx.now);
  if (!client) throw new KdcError(KDC_ERR.TGT_REVOKED, 'ticket client no longer exists');
  if (buffers) {
    const req = buffers.find((b) => b.type === PAC_TYPE.REQUESTOR);
    if (!req || decodePacRequestor(req.data) !== client.account.sid) {
      throw new KdcError(KDC_ERR.TGT_REVOKED, 'PAC requestor does not match the ticket client');
    }
  }
  const status = ctx.directory.checkAccountRestrictions(client.account, new Date(ctx.now));
  if (status === STATUS_ACCOUNT_DISABLED || status === STATUS_ACCOUNT_EXPIRED) throw restrictionError(status);
  return client;
}

export async function processTgsReq(ctx: KdcContext, req: KdcReq, event: KdcEvent): Promise<Buffer> {
  const body = req.reqBody;
  const { domain } = ctx;
  const opts = body.kdcOptions;
  if (hasFlag(opts, FLAG_BIT.ENC_TKT_IN_SKEY) || hasFlag(opts, FLAG_BIT.VALIDATE) || hasFlag(opts, FLAG_BIT.ALLOW_POSTDATE) || hasFlag(opts, FLAG_BIT.POSTDATED)) {
    throw new KdcError(KDC_ERR.BADOPTION, 'option not supported');
  }
  const { tgt, krbtgtKey, authenticator, sessionKey } = checkTgt(ctx, req);
  event.client = principalToString(tgt.cname, tgt.crealm);
  const pacBuffers = tgtPacBuffers(tgt, krbtgtKey);
  const client = await checkRequestor(ctx, tgt, pacBuffers);
  // MS-SFU S4U2self (and the refusal of S4U2proxy): src/kerberos/kdc/s4u.ts.
  const s4u = await processS4u(ctx, req, event, { tgt, authenticator, sessionKey, client });
  if (s4u) return s4u;

  const renew = hasFlag(opts, FLAG_BIT.RENEW);
  if (!body.sname) throw new KdcError(KDC_ERR.S_PRINCIPAL_UNKNOWN, 'no server name');
  event.service = principalToString(body.sname, domain.realm);
  if (body.realm.toUpperCase() !== domain.realm) throw new KdcError(KDC_ERR.WRONG_REALM, 'cross-realm requests are not supported');
  const toKrbtgt = isKrbtgt(body.sname, domain.realm);
  const service = toKrbtgt ? ctx.krbtgt : await ctx.lookups.findService(body.sname.nameString, ctx.now);
  if (!service) throw new KdcError(KDC_ERR.S_PRINCIPAL_UNKNOWN, 'server not found');
  const sname: PrincipalName = toKrbtgt ? { nameType: body.sname.nameType, nameString: ['krbtgt', domain.realm] } : body.sname;

  const sessionEtype = chooseSessionEtype(service, body.etype);
  if (sessionEtype === undefined) throw new KdcError(KDC_ERR.ETYPE_NOSUPP, 'no session enctype shared with the service');
  const tkey = ticketKey(service);
  if (!tkey) throw new KdcError(KDC_ERR.ETYPE_NOSUPP, 'service has no usable key');

  const nowMs = Math.floor(ctx.now / 1000) * 1000;
  const policy = domain.policy;
  let flags = tgt.flags & flagMask(FLAG_BIT.PRE_AUTHENT);
  let endMs: number;
  let renewTill: Date | undefined;
  if (renew) {
    // RFC 4120 3.3.3.1: same lifetime, counted from now, never past renew-till.
    if (!hasFlag(tgt.flags, FLAG_BIT.RENEWABLE) || !tgt.renewTill) throw new KdcError(KDC_ERR.BADOPTION, 'ticket is not renewable');
    if (tgt.renewTill.getTime() < ctx.now) throw new KdcError(KDC_ERR.KRB_AP_ERR_TKT_EXPIRED, 'renewable lifetime over');
    const life = tgt.endtime.getTime() - (tgt.starttime ?? tgt.authtime).getTime();
    endMs = Math.min(tgt.renewTill.getTime(), nowMs + life);
    renewTill = tgt.renewTill;
    flags = tgt.flags & ~flagMask(FLAG_BIT.INVALID);
  } else {
    const maxLife = (toKrbtgt ? policy.maxTicketAge : policy.maxServiceAge) * 1000;
    endMs = Math.min(requestedTill(body.till, nowMs + maxLife), tgt.endtime.getTime());
    const delegable = (client.account.userAccountControl & UF.NOT_DELEGATED) === 0;
    if (hasFlag(opts, FLAG_BIT.FORWARDABLE) && hasFlag(tgt.flags, FLAG_BIT.FORWARDABLE) && delegable) flags |= flagMask(FLAG_BIT.FORWARDABLE);
    if (hasFlag(opts, FLAG_BIT.FORWARDED) && hasFlag(tgt.flags, FLAG_BIT.FORWARDABLE) && delegable) flags |= flagMask(FLAG_BIT.FORWARDED);
    if (hasFlag(tgt.flags, FLAG_BIT.FORWARDED)) flags |= flagMask(FLAG_BIT.FORWARDED);
    if (hasFlag(opts, FLAG_BIT.PROXIABLE) && hasFlag(tgt.flags, FLAG_BIT.PROXIABLE)) flags |= flagMask(FLAG_BIT.PROXIABLE);
    if (hasFlag(opts, FLAG_BIT.RENEWABLE) && hasFlag(tgt.flags, FLAG_BIT.RENEWABLE) && tgt.renewTill) {
      const rt = body.rtime && body.rtime.getTime() !== 0 ? Math.min(body.rtime.getTime(), tgt.renewTill.getTime()) : tgt.renewTill.getTime();
      if (rt > nowMs) {
        renewTill = wholeSeconds(rt);
        flags |= flagMask(FLAG_BIT.RENEWABLE);
        endMs = Math.min(endMs, rt);
      }
    }
    if ((service.account.userAccountControl & UF.TRUSTED_FOR_DELEGATION) !== 0) flags |= flagMask(FLAG_BIT.OK_AS_DELEGATE);
  }
  if (endMs <= nowMs) throw new KdcError(KDC_ERR.NEVER_VALID, 'requested end time is in the past');
  flags >>>= 0;
  const starttime = wholeSeconds(nowMs);

  let authorizationData;
  if (pacBuffers) {
    let buffers = pacBuffers.filter((b) => !(toKrbtgt ? SIGNATURES : DROPPED_IN_SERVICE_TICKET).has(b.type));
    if (!toKrbtgt) {
      const membership = await ctx.lookups.membership(client.account, ctx.now);
      // Without domain-local groups there is nothing to add: the TGT's LOGON_INFO bytes are copied as they are.
      if (membership.domainLocalGroupRids.length > 0) {
        buffers = buffers.map((b) =>
          b.type === PAC_TYPE.LOGON_INFO
            ? { type: b.type, data: encodeKerbValidationInfo(addResourceGroups(decodeKerbValidationInfo(b.data), domain.sid, membership)) }
            : b,
        );
      }
    }
    authorizationData = pacAuthorizationData(signPac(buffers, tkey.key, kdcSigningKey(ctx)));
  }

  const newKey = { keytype: sessionEtype, keyvalue: enctypeProfile(sessionEtype).randomKey() };
  const part: EncTicketPart = {
    flags,
    key: newKey,
    crealm: tgt.crealm,
    cname: tgt.cname,
    transited: tgt.transited,
    authtime: tgt.authtime,
    starttime,
    endtime: wholeSeconds(endMs),
    renewTill,
    caddr: hasFlag(flags, FLAG_BIT.FORWARDED) ? body.addresses : tgt.caddr,
    authorizationData,
  };
  const ticket = sealTicket(part, tkey.key, tkey.kvno, domain.realm, sname);
  const encPart: EncKdcRepPart = {
    key: newKey,
    lastReq: [{ lrType: 0, lrValue: tgt.authtime }],
    nonce: body.nonce,
    flags,
    authtime: tgt.authtime,
    starttime,
    endtime: part.endtime,
    renewTill,
    srealm: domain.realm,
    sname,
    caddr: part.caddr,
  };
  // RFC 4120 3.3.3: encrypted in the authenticator's subkey when one was sent.
  const replyKey: Key = authenticator.subkey ? { etype: authenticator.subkey.keytype, value: authenticator.subkey.keyvalue } : sessionKey;
  const usage = authenticator.subkey ? KEY_USAGE.TGS_REP_ENCPART_SUBKEY : KEY_USAGE.TGS_REP_ENCPART_SESSKEY;
  const cipher = enctypeProfile(replyKey.etype).encrypt(replyKey.value, usage, encodeEncKdcRepPart(encPart, 26));
  event.etype = tkey.key.etype;
  return encodeKdcRep({
    pvno: 5,
    msgType: MSG_TYPE.TGS_REP,
    crealm: tgt.crealm,
    cname: tgt.cname,
    ticket,
    encPart: { etype: replyKey.etype, cipher },
  });
}
