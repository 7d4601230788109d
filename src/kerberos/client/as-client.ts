// The client side of the AS exchange (RFC 4120 3.1): a first AS-REQ, the KDC's
// PREAUTH_REQUIRED with ETYPE-INFO2 salts, then PA-ENC-TIMESTAMP with the password's key.
// Building and reading are pure functions; `getInitialCredentials` adds the I/O.

import { randomInt } from 'node:crypto';
import { ENCTYPE_PREFERENCE, enctypeProfile } from '../../crypto/registry.js';
import { KEY_USAGE, type Key } from '../../crypto/types.js';
import {
  decodeEncKdcRepPart,
  decodeEtypeInfo2,
  decodeKdcRep,
  decodeKrbError,
  decodeMethodData,
  encodeEncryptedData,
  encodeKdcReq,
  encodeKerbPaPacRequest,
  encodePaEncTsEnc,
  peekApplicationTag,
} from '../messages/index.js';
import {
  FLAG_BIT,
  flagMask,
  KDC_ERR,
  MSG_TYPE,
  NT,
  PA,
  type EtypeInfo2Entry,
  type KdcReq,
  type PAData,
  type PrincipalName,
} from '../messages/types.js';
import { krbtgtName } from '../names.js';
import { KrbErrorReply, type Credential } from './credential.js';
import { sendTcp, sendUdp, type KdcAddress } from './transport.js';

export interface AsRequestOptions {
  realm: string;
  cname: PrincipalName;
  sname?: PrincipalName;
  etypes?: readonly number[];
  nonce?: number;
  lifetimeSec?: number;
  renewSec?: number;
  forwardable?: boolean;
  canonicalize?: boolean;
  padata?: PAData[];
  now?: number;
}

export function newNonce(): number {
  return randomInt(1, 0x7fffffff);
}

export function buildAsReq(o: AsRequestOptions): KdcReq {
  const now = o.now ?? Date.now();
  let opts = 0;
  if (o.forwardable !== false) opts |= flagMask(FLAG_BIT.FORWARDABLE);
  if (o.renewSec) opts |= flagMask(FLAG_BIT.RENEWABLE);
  if (o.canonicalize) opts |= flagMask(FLAG_BIT.NAME_CANONICALIZE);
  return {
    pvno: 5,
    msgType: MSG_TYPE.AS_REQ,
    padata: o.padata,
    reqBody: {
      kdcOptions: opts >>> 0,
      cname: o.cname,
      realm: o.realm,
      sname: o.sname ?? krbtgtName(o.realm),
      till: new Date(Math.floor(now / 1000 + (o.lifetimeSec ?? 36000)) * 1000),
      rtime: o.renewSec ? new Date(Math.floor(now / 1000 + o.renewSec) * 1000) : undefined,
      nonce: o.nonce ?? newNonce(),
      etype: [...(o.etypes ?? ENCTYPE_PREFERENCE)],
    },
  };
}

/** RFC 4120 5.2.7.2 PA-ENC-TIMESTAMP in `key`. */
export function encTimestamp(key: Key, nowMs = Date.now()): PAData {
  const plain = encodePaEncTsEnc({ patimestamp: new Date(Math.floor(nowMs / 1000) * 1000), pausec: (nowMs % 1000) * 1000 });
  const cipher = enctypeProfile(key.etype).encrypt(key.value, KEY_USAGE.AS_REQ_PA_ENC_TIMESTAMP, plain);
  return { padataType: PA.ENC_TIMESTAMP, padataValue: encodeEncryptedData({ etype: key.etype, cipher }) };
}

export function pacRequest(include: boolean): PAData {
  return { padataType: PA.PAC_REQUEST, padataValue: encodeKerbPaPacRequest({ includePac: include }) };
}

/** Reads an AS-REP (or throws KrbErrorReply) and decrypts its enc-part with `key`. */
export function readAsRep(reply: Buffer, key: Key, nonce: number): Credential {
  const tag = peekApplicationTag(reply);
  if (tag === MSG_TYPE.KRB_ERROR) throw new KrbErrorReply(decodeKrbError(reply));
  const rep = decodeKdcRep(reply);
  if (rep.msgType !== MSG_TYPE.AS_REP) throw new Error('not an AS-REP');
  if (rep.encPart.etype !== key.etype) throw new Error(`AS-REP encrypted in enctype ${rep.encPart.etype}, key is ${key.etype}`);
  const plain = enctypeProfile(key.etype).decrypt(key.value, KEY_USAGE.AS_REP_ENCPART, rep.encPart.cipher);
  const { part } = decodeEncKdcRepPart(plain);
  if (part.nonce !== nonce) throw new Error('AS-REP nonce mismatch');
  return { crealm: rep.crealm, cname: rep.cname, ticket: rep.ticket, sessionKey: { etype: part.key.keytype, value: part.key.keyvalue }, info: part };
}

/** The ETYPE-INFO2 entries of a PREAUTH_REQUIRED / PREAUTH_FAILED error or an AS-REP's padata. */
export function etypeInfo2From(padata: PAData[] | undefined): EtypeInfo2Entry[] {
  const pa = padata?.find((p) => p.padataType === PA.ETYPE_INFO2);
  return pa ? decodeEtypeInfo2(pa.padataValue) : [];
}

export interface PasswordLogon {
  kdc: KdcAddress;
  realm: string;
  user: string;
  password: string;
  etypes?: readonly number[];
  transport?: 'tcp' | 'udp';
  renewSec?: number;
  lifetimeSec?: number;
}

export async function sendToKdc(kdc: KdcAddress, bytes: Buffer, transport: 'tcp' | 'udp' = 'tcp'): Promise<Buffer> {
  if (transport === 'udp') {
    const r = await sendUdp(kdc, bytes);
    // RFC 4120 7.2.1: a reply that did not fit a datagram is asked for again over TCP.
    if (peekApplicationTag(r) === MSG_TYPE.KRB_ERROR && decodeKrbError(r).errorCode === KDC_ERR.KRB_ERR_RESPONSE_TOO_BIG) {
      return sendTcp(kdc, bytes);
    }
    return r;
  }
  return sendTcp(kdc, bytes);
}

/** kinit with a password: ask, learn the salt, pre-authenticate, get the TGT. */
export async function getInitialCredentials(o: PasswordLogon): Promise<Credential> {
  const cname: PrincipalName = { nameType: NT.PRINCIPAL, nameString: [o.user] };
  const first = buildAsReq({ realm: o.realm, cname, etypes: o.etypes, padata: [pacRequest(true)], renewSec: o.renewSec, lifetimeSec: o.lifetimeSec });
  const r1 = await sendToKdc(o.kdc, encodeKdcReq(first), o.transport);
  if (peekApplicationTag(r1) !== MSG_TYPE.KRB_ERROR) throw new Error('KDC issued a ticket without pre-authentication');
  const err = decodeKrbError(r1);
  if (err.errorCode !== KDC_ERR.PREAUTH_REQUIRED || !err.eData) throw new KrbErrorReply(err);
  const info = etypeInfo2From(decodeMethodData(err.eData));
  const chosen = info[0];
  if (!chosen) throw new Error('KDC offered no usable enctype');
  const key: Key = { etype: chosen.etype, value: enctypeProfile(chosen.etype).stringToKey(o.password, chosen.salt ?? o.realm + o.user, chosen.s2kparams) };
  const second = buildAsReq({
    realm: o.realm,
    cname,
    etypes: o.etypes,
    padata: [encTimestamp(key), pacRequest(true)],
    renewSec: o.renewSec,
    lifetimeSec: o.lifetimeSec,
  });
  const r2 = await sendToKdc(o.kdc, encodeKdcReq(second), o.transport);
  return readAsRep(r2, key, second.reqBody.nonce);
}
