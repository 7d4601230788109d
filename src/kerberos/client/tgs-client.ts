// The client side of the TGS exchange (RFC 4120 3.3): PA-TGS-REQ carrying an AP-REQ with the
// TGT and an authenticator whose checksum covers the request body (RFC 4120 7.5.1 usage 6).

import { checksumProfile, checksumTypeForEnctype, ENCTYPE_PREFERENCE, enctypeProfile } from '../../crypto/registry.js';
import { KEY_USAGE } from '../../crypto/types.js';
import {
  decodeEncKdcRepPart,
  decodeKdcRep,
  decodeKrbError,
  encodeApReq,
  encodeAuthenticator,
  encodeKdcReq,
  encodeKdcReqBody,
  peekApplicationTag,
} from '../messages/index.js';
import { FLAG_BIT, flagMask, MSG_TYPE, PA, type KdcReq, type KdcReqBody, type PrincipalName } from '../messages/types.js';
import { newNonce, sendToKdc } from './as-client.js';
import { KrbErrorReply, type Credential } from './credential.js';
import type { KdcAddress } from './transport.js';

export interface TgsRequestOptions {
  tgt: Credential;
  sname: PrincipalName;
  realm?: string;
  etypes?: readonly number[];
  nonce?: number;
  renew?: boolean;
  forwardable?: boolean;
  /** Stock impacket sends no body checksum; tests use this to behave the same. */
  omitChecksum?: boolean;
  now?: number;
}

export function buildTgsReq(o: TgsRequestOptions): KdcReq {
  const now = o.now ?? Date.now();
  let opts = 0;
  if (o.forwardable !== false) opts |= flagMask(FLAG_BIT.FORWARDABLE);
  if (o.renew) opts |= flagMask(FLAG_BIT.RENEW) | flagMask(FLAG_BIT.RENEWABLE);
  const body: KdcReqBody = {
    kdcOptions: opts >>> 0,
    realm: o.realm ?? o.tgt.crealm,
    sname: o.sname,
    till: new Date(Math.floor(now / 1000 + 36000) * 1000),
    nonce: o.nonce ?? newNonce(),
    etype: [...(o.etypes ?? ENCTYPE_PREFERENCE)],
  };
  const bodyBytes = encodeKdcReqBody(body);
  const key = o.tgt.sessionKey;
  const cksumtype = checksumTypeForEnctype(key.etype);
  const authenticator = encodeAuthenticator({
    authenticatorVno: 5,
    crealm: o.tgt.crealm,
    cname: o.tgt.cname,
    cksum: o.omitChecksum
      ? undefined
      : { cksumtype, checksum: checksumProfile(cksumtype).make(key.value, KEY_USAGE.TGS_REQ_AUTH_CKSUM, bodyBytes) },
    cusec: (now % 1000) * 1000,
    ctime: new Date(Math.floor(now / 1000) * 1000),
  });
  const apReq = encodeApReq({
    pvno: 5,
    msgType: MSG_TYPE.AP_REQ,
    apOptions: 0,
    ticket: o.tgt.ticket,
    authenticator: { etype: key.etype, cipher: enctypeProfile(key.etype).encrypt(key.value, KEY_USAGE.TGS_REQ_AUTH, authenticator) },
  });
  return { pvno: 5, msgType: MSG_TYPE.TGS_REQ, padata: [{ padataType: PA.TGS_REQ, padataValue: apReq }], reqBody: body };
}

export function readTgsRep(reply: Buffer, tgt: Credential, nonce: number): Credential {
  if (peekApplicationTag(reply) === MSG_TYPE.KRB_ERROR) throw new KrbErrorReply(decodeKrbError(reply));
  const rep = decodeKdcRep(reply);
  if (rep.msgType !== MSG_TYPE.TGS_REP) throw new Error('not a TGS-REP');
  const key = tgt.sessionKey;
  const plain = enctypeProfile(key.etype).decrypt(key.value, KEY_USAGE.TGS_REP_ENCPART_SESSKEY, rep.encPart.cipher);
  const { part } = decodeEncKdcRepPart(plain);
  if (part.nonce !== nonce) throw new Error('TGS-REP nonce mismatch');
  return { crealm: rep.crealm, cname: rep.cname, ticket: rep.ticket, sessionKey: { etype: part.key.keytype, value: part.key.keyvalue }, info: part };
}

export async function getServiceTicket(kdc: KdcAddress, o: TgsRequestOptions, transport: 'tcp' | 'udp' = 'tcp'): Promise<Credential> {
  const req = buildTgsReq(o);
  const reply = await sendToKdc(kdc, encodeKdcReq(req), transport);
  return readTgsRep(reply, o.tgt, req.reqBody.nonce);
}
