// Realistic sample values for every RFC 4120 / MS-KILE message codec, shared by the round-trip,
// impacket interop and hostile-input tests. Not a test file itself (no .test.ts suffix).
import {
  AD,
  FLAG_BIT,
  KDC_ERR,
  MSG_TYPE,
  NT,
  PA,
  flagMask,
  decodeApRep,
  decodeApReq,
  decodeAuthenticator,
  decodeAuthorizationData,
  decodeChecksum,
  decodeEncApRepPart,
  decodeEncKdcRepPart,
  decodeEncKrbCredPart,
  decodeEncTicketPart,
  decodeEncryptedData,
  decodeEncryptionKey,
  decodeEtypeInfo,
  decodeEtypeInfo2,
  decodeKdcRep,
  decodeKdcReq,
  decodeKdcReqBody,
  decodeKerbErrorData,
  decodeKerbExtError,
  decodeKerbPaPacRequest,
  decodeKrbCred,
  decodeKrbError,
  decodeMethodData,
  decodePaEncTsEnc,
  decodePaPacOptions,
  decodePrincipalName,
  decodeTicket,
  encodeApRep,
  encodeApReq,
  encodeAuthenticator,
  encodeAuthorizationData,
  encodeChecksum,
  encodeEncApRepPart,
  encodeEncKdcRepPart,
  encodeEncKrbCredPart,
  encodeEncTicketPart,
  encodeEncryptedData,
  encodeEncryptionKey,
  encodeEtypeInfo,
  encodeEtypeInfo2,
  encodeKdcRep,
  encodeKdcReq,
  encodeKdcReqBody,
  encodeKerbErrorData,
  encodeKerbExtError,
  encodeKerbPaPacRequest,
  encodeKrbCred,
  encodeKrbError,
  encodeMethodData,
  encodePaEncTsEnc,
  encodePaPacOptions,
  encodePrincipalName,
  encodeTicket,
  type ApRep,
  type ApReq,
  type Authenticator,
  type AuthorizationData,
  type EncApRepPart,
  type EncKdcRepPart,
  type EncKrbCredPart,
  type EncTicketPart,
  type EtypeInfo2Entry,
  type KdcRep,
  type KdcReq,
  type KdcReqBody,
  type KrbCred,
  type KrbError,
  type PAData,
  type PrincipalName,
  type Ticket,
} from '../../../src/kerberos/messages/index.js';

export const REALM = 'EXAMPLE.COM';
export const t = (iso: string): Date => new Date(iso);
export const AUTHTIME = t('2024-03-15T12:34:56Z');
export const ENDTIME = t('2024-03-15T22:34:56Z');
export const RENEW = t('2024-03-22T12:34:56Z');
export const NEVER = t('2037-09-13T02:48:05Z');

const flags = (...bits: number[]): number => bits.reduce((acc, b) => (acc | flagMask(b)) >>> 0, 0);
const bytes = (b: number, n: number): Buffer => Buffer.alloc(n, b);

export const alice: PrincipalName = { nameType: NT.PRINCIPAL, nameString: ['alice'] };
export const unicodeUser: PrincipalName = { nameType: NT.ENTERPRISE, nameString: ['José.Müller@example.com'] };
export const krbtgt: PrincipalName = { nameType: NT.SRV_INST, nameString: ['krbtgt', REALM] };
export const cifs: PrincipalName = { nameType: NT.SRV_INST, nameString: ['cifs', 'fs01.example.com'] };

export const tgt: Ticket = { tktVno: 5, realm: REALM, sname: krbtgt, encPart: { etype: 18, kvno: 2, cipher: bytes(0xc3, 1100) } };
export const serviceTicket: Ticket = { tktVno: 5, realm: REALM, sname: cifs, encPart: { etype: 23, kvno: 0x80010005, cipher: bytes(0x3c, 900) } };

const pacAd: AuthorizationData = [{ adType: AD.WIN2K_PAC, adData: bytes(0x04, 800) }];
export const encTicketPart: EncTicketPart = {
  flags: flags(FLAG_BIT.FORWARDABLE, FLAG_BIT.RENEWABLE, FLAG_BIT.INITIAL, FLAG_BIT.PRE_AUTHENT, FLAG_BIT.ENC_PA_REP),
  key: { keytype: 18, keyvalue: Buffer.from([...Array(32).keys()]) },
  crealm: REALM,
  cname: alice,
  transited: { trType: 1, contents: Buffer.alloc(0) },
  authtime: AUTHTIME,
  starttime: AUTHTIME,
  endtime: ENDTIME,
  renewTill: RENEW,
  caddr: [{ addrType: 2, address: Buffer.from([192, 0, 2, 1]) }],
  authorizationData: [{ adType: AD.IF_RELEVANT, adData: encodeAuthorizationData(pacAd) }],
};

export const asReqBody: KdcReqBody = {
  kdcOptions: flags(FLAG_BIT.FORWARDABLE, FLAG_BIT.RENEWABLE, FLAG_BIT.NAME_CANONICALIZE, FLAG_BIT.RENEWABLE_OK),
  cname: alice,
  realm: REALM,
  sname: krbtgt,
  till: NEVER,
  rtime: NEVER,
  nonce: 0xfedcba98,
  etype: [18, 17, 23, 24, -135],
  addresses: [{ addrType: 20, address: Buffer.from('WS01            ', 'latin1') }],
};

export const asReq: KdcReq = {
  pvno: 5,
  msgType: MSG_TYPE.AS_REQ,
  padata: [
    { padataType: PA.ENC_TIMESTAMP, padataValue: encodeEncryptedData({ etype: 18, cipher: bytes(0x17, 56) }) },
    { padataType: PA.PAC_REQUEST, padataValue: encodeKerbPaPacRequest({ includePac: true }) },
  ],
  reqBody: asReqBody,
};

export const authenticator: Authenticator = {
  authenticatorVno: 5,
  crealm: REALM,
  cname: alice,
  cksum: { cksumtype: 16, checksum: bytes(0xab, 12) },
  cusec: 999999,
  ctime: AUTHTIME,
  subkey: { keytype: 18, keyvalue: bytes(0x11, 32) },
  seqNumber: 0xffffffff,
  authorizationData: [{ adType: AD.IF_RELEVANT, adData: encodeAuthorizationData([{ adType: AD.AUTH_DATA_AP_OPTIONS, adData: Buffer.from([0, 0x40, 0, 0]) }]) }],
};

export const apReq: ApReq = {
  pvno: 5,
  msgType: MSG_TYPE.AP_REQ,
  apOptions: flags(2), // mutual-required
  ticket: tgt,
  authenticator: { etype: 18, cipher: bytes(0x5a, 140) },
};

export const tgsReqBody: KdcReqBody = {
  kdcOptions: flags(FLAG_BIT.FORWARDABLE, FLAG_BIT.RENEWABLE, FLAG_BIT.NAME_CANONICALIZE, FLAG_BIT.CNAME_IN_ADDL_TKT),
  realm: REALM,
  sname: cifs,
  from: AUTHTIME,
  till: NEVER,
  nonce: 1,
  etype: [18],
  encAuthorizationData: { etype: 18, cipher: bytes(0x42, 40) },
  additionalTickets: [serviceTicket],
};

export const tgsReq: KdcReq = {
  pvno: 5,
  msgType: MSG_TYPE.TGS_REQ,
  padata: [
    { padataType: PA.TGS_REQ, padataValue: encodeApReq(apReq) },
    { padataType: PA.PAC_OPTIONS, padataValue: encodePaPacOptions(flags(0, 3)) },
  ],
  reqBody: tgsReqBody,
};

export const etypeInfo2: EtypeInfo2Entry[] = [
  { etype: 18, salt: 'EXAMPLE.COMalice' },
  { etype: 17, salt: 'EXAMPLE.COMalice', s2kparams: Buffer.from([0, 0, 0x10, 0]) },
  { etype: 23 },
];

export const asRep: KdcRep = {
  pvno: 5,
  msgType: MSG_TYPE.AS_REP,
  padata: [{ padataType: PA.ETYPE_INFO2, padataValue: encodeEtypeInfo2(etypeInfo2) }],
  crealm: REALM,
  cname: alice,
  ticket: tgt,
  encPart: { etype: 18, kvno: 3, cipher: bytes(0x77, 300) },
};

export const tgsRep: KdcRep = {
  pvno: 5,
  msgType: MSG_TYPE.TGS_REP,
  crealm: REALM,
  cname: alice,
  ticket: serviceTicket,
  encPart: { etype: 18, cipher: bytes(0x78, 260) },
};

export const encAsRepPart: EncKdcRepPart = {
  key: { keytype: 18, keyvalue: bytes(0x01, 32) },
  lastReq: [{ lrType: 0, lrValue: AUTHTIME }],
  nonce: 0xfedcba98,
  keyExpiration: NEVER,
  flags: encTicketPart.flags,
  authtime: AUTHTIME,
  starttime: AUTHTIME,
  endtime: ENDTIME,
  renewTill: RENEW,
  srealm: REALM,
  sname: krbtgt,
  caddr: [{ addrType: 2, address: Buffer.from([10, 0, 0, 1]) }],
  encryptedPaData: [{ padataType: PA.SUPPORTED_ENCTYPES, padataValue: Buffer.from([0x1f, 0, 0, 0]) }],
};

export const encTgsRepPart: EncKdcRepPart = {
  key: { keytype: 23, keyvalue: bytes(0x02, 16) },
  lastReq: [],
  nonce: 1,
  flags: flags(FLAG_BIT.FORWARDABLE, FLAG_BIT.PRE_AUTHENT, FLAG_BIT.OK_AS_DELEGATE),
  authtime: AUTHTIME,
  endtime: ENDTIME,
  srealm: REALM,
  sname: cifs,
};

export const apRep: ApRep = { pvno: 5, msgType: MSG_TYPE.AP_REP, encPart: { etype: 18, cipher: bytes(0x99, 48) } };
export const encApRepPart: EncApRepPart = { ctime: AUTHTIME, cusec: 0, subkey: { keytype: 18, keyvalue: bytes(0x22, 32) }, seqNumber: 0x7fffffff };

export const methodData: PAData[] = [
  { padataType: PA.ETYPE_INFO2, padataValue: encodeEtypeInfo2(etypeInfo2) },
  { padataType: PA.ENC_TIMESTAMP, padataValue: Buffer.alloc(0) },
  { padataType: PA.PK_AS_REQ, padataValue: Buffer.alloc(0) },
  { padataType: PA.FX_COOKIE, padataValue: Buffer.from('MIT') },
];

export const krbErrorPreauth: KrbError = {
  pvno: 5,
  msgType: MSG_TYPE.KRB_ERROR,
  stime: AUTHTIME,
  susec: 123456,
  errorCode: KDC_ERR.PREAUTH_REQUIRED,
  realm: REALM,
  sname: krbtgt,
  cname: alice,
  crealm: REALM,
  eData: encodeMethodData(methodData),
};

export const krbErrorExt: KrbError = {
  pvno: 5,
  msgType: MSG_TYPE.KRB_ERROR,
  ctime: AUTHTIME,
  cusec: 17,
  stime: AUTHTIME,
  susec: 0,
  errorCode: KDC_ERR.CLIENT_REVOKED,
  realm: REALM,
  sname: krbtgt,
  eText: 'Client’s credentials have been revoked',
  eData: encodeKerbErrorData({ dataType: 3, dataValue: encodeKerbExtError({ status: 0xc0000072, reserved: 0, flags: 1 }) }),
};

export const krbCred: KrbCred = { pvno: 5, msgType: MSG_TYPE.KRB_CRED, tickets: [tgt, serviceTicket], encPart: { etype: 0, cipher: bytes(0x30, 10) } };
export const encKrbCredPart: EncKrbCredPart = {
  ticketInfo: [
    {
      key: { keytype: 18, keyvalue: bytes(0x33, 32) },
      prealm: REALM,
      pname: alice,
      flags: flags(FLAG_BIT.FORWARDABLE, FLAG_BIT.FORWARDED),
      authtime: AUTHTIME,
      starttime: AUTHTIME,
      endtime: ENDTIME,
      renewTill: RENEW,
      srealm: REALM,
      sname: krbtgt,
      caddr: [{ addrType: 2, address: Buffer.from([10, 0, 0, 9]) }],
    },
    { key: { keytype: 23, keyvalue: bytes(0x44, 16) } },
  ],
  nonce: 0x80000000,
  timestamp: AUTHTIME,
  usec: 5,
  sAddress: { addrType: 2, address: Buffer.from([10, 0, 0, 2]) },
  rAddress: { addrType: 24, address: Buffer.from('fe800000000000000000000000000001', 'hex') },
};

// till 19700101000000Z: "no particular end time" in MIT/Heimdal clients.
const minimalAsReq: KdcReq = { pvno: 5, msgType: 10, reqBody: { kdcOptions: 0, realm: REALM, till: new Date(0), nonce: 0, etype: [] } };

/** One codec under test: how to encode/decode a sample and what decoding must return. */
export interface Case {
  name: string;
  encode(): Buffer;
  decode(buf: Buffer): unknown;
  expected: unknown;
  /** impacket.krb5.asn1 class that must decode encode()'s output, if impacket has one. */
  impacket?: string;
}

function mk<T>(name: string, value: T, enc: (v: T) => Buffer, dec: (b: Buffer) => unknown, impacket?: string, expected: unknown = value): Case {
  return { name, encode: () => enc(value), decode: dec, expected, impacket };
}

export const cases: Case[] = [
  mk('PrincipalName', alice, encodePrincipalName, decodePrincipalName, 'PrincipalName'),
  mk('PrincipalName (UTF-8, NT-ENTERPRISE)', unicodeUser, encodePrincipalName, decodePrincipalName, 'PrincipalName'),
  mk('PrincipalName (NT-MS-PRINCIPAL, negative)', { nameType: NT.MS_PRINCIPAL, nameString: ['EXAMPLE\\alice'] }, encodePrincipalName, decodePrincipalName, 'PrincipalName'),
  mk('EncryptedData', { etype: 18, kvno: 4294967295, cipher: bytes(1, 70) }, encodeEncryptedData, decodeEncryptedData, 'EncryptedData'),
  mk('EncryptedData (no kvno)', { etype: -128, cipher: Buffer.alloc(0) }, encodeEncryptedData, decodeEncryptedData, 'EncryptedData'),
  mk('EncryptionKey', { keytype: 17, keyvalue: bytes(9, 16) }, encodeEncryptionKey, decodeEncryptionKey, 'EncryptionKey'),
  mk('Checksum', { cksumtype: -138, checksum: bytes(8, 16) }, encodeChecksum, decodeChecksum, 'Checksum'),
  mk('Ticket', tgt, encodeTicket, decodeTicket, 'Ticket'),
  mk('Ticket (RODC kvno)', serviceTicket, encodeTicket, decodeTicket, 'Ticket'),
  mk('EncTicketPart', encTicketPart, encodeEncTicketPart, decodeEncTicketPart, 'EncTicketPart'),
  mk('AuthorizationData', pacAd, encodeAuthorizationData, decodeAuthorizationData, 'AuthorizationData'),
  mk('AS-REQ', asReq, encodeKdcReq, decodeKdcReq, 'AS_REQ', { ...asReq, reqBodyRaw: encodeKdcReqBody(asReqBody) }),
  mk('TGS-REQ', tgsReq, encodeKdcReq, decodeKdcReq, 'TGS_REQ', { ...tgsReq, reqBodyRaw: encodeKdcReqBody(tgsReqBody) }),
  mk('AS-REQ (minimal, no padata)', minimalAsReq, encodeKdcReq, decodeKdcReq, 'AS_REQ', { ...minimalAsReq, reqBodyRaw: encodeKdcReqBody(minimalAsReq.reqBody) }),
  mk('KDC-REQ-BODY', tgsReqBody, encodeKdcReqBody, decodeKdcReqBody, 'KDC_REQ_BODY'),
  mk('AS-REP', asRep, encodeKdcRep, decodeKdcRep, 'AS_REP'),
  mk('TGS-REP', tgsRep, encodeKdcRep, decodeKdcRep, 'TGS_REP'),
  mk('EncASRepPart', encAsRepPart, (v) => encodeEncKdcRepPart(v, 25), (b) => decodeEncKdcRepPart(b).part, 'EncASRepPart'),
  mk('EncTGSRepPart', encTgsRepPart, (v) => encodeEncKdcRepPart(v, 26), (b) => decodeEncKdcRepPart(b).part, 'EncTGSRepPart'),
  mk('AP-REQ', apReq, encodeApReq, decodeApReq, 'AP_REQ'),
  mk('Authenticator', authenticator, encodeAuthenticator, decodeAuthenticator, 'Authenticator'),
  mk('Authenticator (minimal)', { authenticatorVno: 5, crealm: REALM, cname: alice, cusec: 1, ctime: AUTHTIME }, encodeAuthenticator, decodeAuthenticator, 'Authenticator'),
  mk('AP-REP', apRep, encodeApRep, decodeApRep, 'AP_REP'),
  mk('EncAPRepPart', encApRepPart, encodeEncApRepPart, decodeEncApRepPart, 'EncAPRepPart'),
  mk('KRB-ERROR (PREAUTH_REQUIRED)', krbErrorPreauth, encodeKrbError, decodeKrbError, 'KRB_ERROR'),
  mk('KRB-ERROR (extended error)', krbErrorExt, encodeKrbError, decodeKrbError, 'KRB_ERROR'),
  mk('METHOD-DATA', methodData, encodeMethodData, decodeMethodData, 'METHOD_DATA'),
  mk('PA-ENC-TS-ENC', { patimestamp: AUTHTIME, pausec: 31337 }, encodePaEncTsEnc, decodePaEncTsEnc, 'PA_ENC_TS_ENC'),
  mk('PA-ENC-TS-ENC (no usec)', { patimestamp: NEVER }, encodePaEncTsEnc, decodePaEncTsEnc, 'PA_ENC_TS_ENC'),
  mk('ETYPE-INFO2', etypeInfo2, encodeEtypeInfo2, decodeEtypeInfo2, 'ETYPE_INFO2'),
  mk('ETYPE-INFO', [{ etype: 23 }, { etype: 3, salt: Buffer.from('EXAMPLE.COMalice') }], encodeEtypeInfo, decodeEtypeInfo, 'ETYPE_INFO'),
  mk('KERB-ERROR-DATA', { dataType: 3, dataValue: encodeKerbExtError({ status: 0xc000006e, reserved: 0, flags: 1 }) }, encodeKerbErrorData, decodeKerbErrorData, 'KERB_ERROR_DATA'),
  mk('KERB-ERROR-DATA (no value)', { dataType: 2 }, encodeKerbErrorData, decodeKerbErrorData),
  mk('KERB_EXT_ERROR', { status: 0xc0000234, reserved: 0, flags: 1 }, encodeKerbExtError, decodeKerbExtError),
  mk('KERB-PA-PAC-REQUEST true', { includePac: true }, encodeKerbPaPacRequest, decodeKerbPaPacRequest, 'KERB_PA_PAC_REQUEST'),
  mk('KERB-PA-PAC-REQUEST false', { includePac: false }, encodeKerbPaPacRequest, decodeKerbPaPacRequest, 'KERB_PA_PAC_REQUEST'),
  mk('PA-PAC-OPTIONS', flags(0, 1, 3), encodePaPacOptions, decodePaPacOptions, 'PA_PAC_OPTIONS'),
  mk('KRB-CRED', krbCred, encodeKrbCred, decodeKrbCred, 'KRB_CRED'),
  mk('EncKrbCredPart', encKrbCredPart, encodeEncKrbCredPart, decodeEncKrbCredPart, 'EncKrbCredPart'),
];

/** Every decoder, for hostile-input tests. */
export const decoders: Array<[string, (b: Buffer) => unknown]> = [
  ['decodeKdcReq', decodeKdcReq],
  ['decodeKdcReqBody', decodeKdcReqBody],
  ['decodeKdcRep', decodeKdcRep],
  ['decodeEncKdcRepPart', decodeEncKdcRepPart],
  ['decodeTicket', decodeTicket],
  ['decodeEncTicketPart', decodeEncTicketPart],
  ['decodeApReq', decodeApReq],
  ['decodeAuthenticator', decodeAuthenticator],
  ['decodeApRep', decodeApRep],
  ['decodeEncApRepPart', decodeEncApRepPart],
  ['decodeKrbError', decodeKrbError],
  ['decodePaEncTsEnc', decodePaEncTsEnc],
  ['decodeEtypeInfo2', decodeEtypeInfo2],
  ['decodeEtypeInfo', decodeEtypeInfo],
  ['decodeMethodData', decodeMethodData],
  ['decodeKerbErrorData', decodeKerbErrorData],
  ['decodeKerbExtError', decodeKerbExtError],
  ['decodeKerbPaPacRequest', decodeKerbPaPacRequest],
  ['decodePaPacOptions', decodePaPacOptions],
  ['decodeAuthorizationData', decodeAuthorizationData],
  ['decodeKrbCred', decodeKrbCred],
  ['decodeEncKrbCredPart', decodeEncKrbCredPart],
  ['decodeEncryptedData', decodeEncryptedData],
  ['decodePrincipalName', decodePrincipalName],
  ['decodeChecksum', decodeChecksum],
  ['decodeEncryptionKey', decodeEncryptionKey],
];
