// The service side of S4U2self (MS-SFU 3.1.5.1): with its own TGT, a service asks the KDC for
// a ticket to itself in the name of a user — named, or identified by a certificate the service
// holds (what Windows' KERB_CERTIFICATE_S4U_LOGON does). PA-S4U-X509-USER is always sent (MS-SFU
// 3.1.1 PhaseOutOldStyleS4U) and, when a name is given, PA-FOR-USER too, as Windows does; the
// reply must echo PA-S4U-X509-USER under the KDC's checksum (3.1.5.1.2), else the answer is
// refused as one from a KDC that ignored the S4U data.

import { checksumProfile, checksumTypeForEnctype, enctypeProfile } from '../../crypto/registry.js';
import { CKSUMTYPE, ETYPE, KEY_USAGE } from '../../crypto/types.js';
import { decodeEncKdcRepPart, decodeKdcRep, decodeKrbError, encodeKdcReq, peekApplicationTag } from '../messages/index.js';
import {
  decodePaS4uX509User,
  encodePaForUser,
  encodePaS4uX509User,
  encodeS4uUserId,
  PA_FOR_USER,
  PA_S4U_X509_USER,
  S4U_KEY_USAGE,
  S4U_OPTION,
  s4uByteArray,
  type S4uUserId,
} from '../messages/s4u.js';
import { MSG_TYPE, NT, type KdcReq, type PAData, type PrincipalName } from '../messages/types.js';
import { sendToKdc } from './as-client.js';
import { KrbErrorReply, type Credential } from './credential.js';
import { buildTgsReq } from './tgs-client.js';
import type { KdcAddress } from './transport.js';

export interface S4uSelfOptions {
  kdc: KdcAddress;
  /** The service's own TGT. */
  tgt: Credential;
  /** The user by name ('alice', or a UPN 'alice@example.test' sent as an enterprise name). */
  forUser?: { name: string; realm?: string };
  /** The user's certificate (DER): the KDC maps it to the account. */
  certificate?: Buffer;
  /** The service name to ask for; default the TGT's client (the service itself). */
  sname?: PrincipalName;
  etypes?: readonly number[];
  forwardable?: boolean;
  transport?: 'tcp' | 'udp';
  now?: number;
}

export class S4uProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'S4uProtocolError';
  }
}

function userName(name: string): PrincipalName {
  return name.includes('@') ? { nameType: NT.ENTERPRISE, nameString: [name] } : { nameType: NT.PRINCIPAL, nameString: name.split('/') };
}

/** The S4U2self TGS-REQ and the user-id whose echo the reply must carry. */
export function buildS4uSelfReq(o: S4uSelfOptions): { req: KdcReq; userId: S4uUserId; requestChecksum: Buffer } {
  if (!o.forUser && !o.certificate) throw new Error('S4U2self needs a user name or a certificate');
  const sessionKey = o.tgt.sessionKey;
  const realm = o.forUser?.realm ?? o.tgt.crealm;
  const req = buildTgsReq({ tgt: o.tgt, sname: o.sname ?? o.tgt.cname, etypes: o.etypes, forwardable: o.forwardable, now: o.now });
  const padata: PAData[] = [...(req.padata ?? [])];
  const cname = o.forUser ? userName(o.forUser.name) : undefined;
  if (cname) {
    // MS-SFU 2.2.1: KERB_CHECKSUM_HMAC_MD5 in the TGT session key, usage 17.
    const cksum = checksumProfile(CKSUMTYPE.HMAC_MD5).make(sessionKey.value, S4U_KEY_USAGE.PA_FOR_USER, s4uByteArray(cname, realm, 'Kerberos'));
    padata.push({
      padataType: PA_FOR_USER,
      padataValue: encodePaForUser({ userName: cname, userRealm: realm, cksum: { cksumtype: CKSUMTYPE.HMAC_MD5, checksum: cksum }, authPackage: 'Kerberos' }),
    });
  }
  const userId: S4uUserId = {
    nonce: req.reqBody.nonce,
    cname,
    crealm: realm,
    subjectCertificate: o.certificate,
    options: S4U_OPTION.USE_REPLY_KEY_USAGE,
  };
  // MS-SFU 2.2.2: the session key's own keyed checksum, usage 26.
  const cksumtype = checksumTypeForEnctype(sessionKey.etype);
  const checksum = checksumProfile(cksumtype).make(sessionKey.value, S4U_KEY_USAGE.PA_S4U_X509_USER_REQUEST, encodeS4uUserId(userId));
  padata.push({ padataType: PA_S4U_X509_USER, padataValue: encodePaS4uX509User({ userId, checksum: { cksumtype, checksum } }) });
  return { req: { ...req, padata }, userId, requestChecksum: checksum };
}

/** Reads the S4U2self TGS-REP: decrypts it, checks the nonce and the PA-S4U-X509-USER echo. */
export function readS4uSelfRep(reply: Buffer, tgt: Credential, userId: S4uUserId, requestChecksum: Buffer): Credential {
  if (peekApplicationTag(reply) === MSG_TYPE.KRB_ERROR) throw new KrbErrorReply(decodeKrbError(reply));
  const rep = decodeKdcRep(reply);
  if (rep.msgType !== MSG_TYPE.TGS_REP) throw new S4uProtocolError('not a TGS-REP');
  const key = tgt.sessionKey;
  const plain = enctypeProfile(key.etype).decrypt(key.value, KEY_USAGE.TGS_REP_ENCPART_SESSKEY, rep.encPart.cipher);
  const { part } = decodeEncKdcRepPart(plain);
  if (part.nonce !== userId.nonce) throw new S4uProtocolError('TGS-REP nonce mismatch');

  const echoPa = rep.padata?.find((p) => p.padataType === PA_S4U_X509_USER);
  if (!echoPa) throw new S4uProtocolError('the KDC did not answer PA-S4U-X509-USER (no S4U2self support?)');
  const echo = decodePaS4uX509User(echoPa.padataValue);
  if (echo.userId.nonce !== userId.nonce) throw new S4uProtocolError('PA-S4U-X509-USER reply nonce mismatch');
  const useReply = ((echo.userId.options ?? 0) & S4U_OPTION.USE_REPLY_KEY_USAGE) !== 0;
  const profile = checksumProfile(echo.checksum.cksumtype);
  if (profile.etype === undefined) throw new S4uProtocolError('PA-S4U-X509-USER reply checksum is not keyed');
  const usage = useReply ? S4U_KEY_USAGE.PA_S4U_X509_USER_REPLY : S4U_KEY_USAGE.PA_S4U_X509_USER_REQUEST;
  if (!profile.verify(key.value, usage, echo.userIdRaw!, echo.checksum.checksum)) throw new S4uProtocolError('PA-S4U-X509-USER reply checksum mismatch');
  if (useReply && key.etype === ETYPE.RC4_HMAC) {
    const enc = part.encryptedPaData?.find((p) => p.padataType === PA_S4U_X509_USER);
    if (!enc || !enc.padataValue.equals(Buffer.concat([requestChecksum, echo.checksum.checksum]))) {
      throw new S4uProtocolError('PA-S4U-X509-USER checksums missing from the encrypted reply');
    }
  }
  return { crealm: rep.crealm, cname: rep.cname, ticket: rep.ticket, sessionKey: { etype: part.key.keytype, value: part.key.keyvalue }, info: part };
}

/** S4U2self: a ticket to the service itself for the user (by name and/or certificate). */
export async function s4u2self(o: S4uSelfOptions): Promise<Credential> {
  const { req, userId, requestChecksum } = buildS4uSelfReq(o);
  const reply = await sendToKdc(o.kdc, encodeKdcReq(req), o.transport);
  return readS4uSelfRep(reply, o.tgt, userId, requestChecksum);
}
