// RFC 4120 section 5 message types, as plain data. Codecs live one per message family in this
// folder (der codecs in ./codec.ts and friends); KDC, client and GSS code import these types
// and never the DER layer directly.

/** RFC 4120 5.2.2 */
export interface PrincipalName {
  nameType: number;
  nameString: string[];
}

/** RFC 4120 5.2.9 */
export interface EncryptedData {
  etype: number;
  kvno?: number;
  cipher: Buffer;
}

export interface EncryptionKey {
  keytype: number;
  keyvalue: Buffer;
}

export interface Checksum {
  cksumtype: number;
  checksum: Buffer;
}

/** RFC 4120 5.2.7 */
export interface PAData {
  padataType: number;
  padataValue: Buffer;
}

/** RFC 4120 5.2.6: ad-data is the raw bytes of the element's content (often DER of another type). */
export interface AuthorizationDataEntry {
  adType: number;
  adData: Buffer;
}
export type AuthorizationData = AuthorizationDataEntry[];

/** RFC 4120 5.2.5 */
export interface HostAddress {
  addrType: number;
  address: Buffer;
}

/** RFC 4120 5.2.4 / 5.2.3: KerberosTime has whole seconds; microseconds travel apart. */
export type KerberosTime = Date;

/** RFC 4120 5.3 Ticket ::= [APPLICATION 1] */
export interface Ticket {
  tktVno: number; // 5
  realm: string;
  sname: PrincipalName;
  encPart: EncryptedData;
}

/** RFC 4120 5.3 EncTicketPart ::= [APPLICATION 3] */
export interface EncTicketPart {
  flags: number; // TicketFlags as a 32-bit number, bit 0 = MSB (see FLAG_BIT below)
  key: EncryptionKey;
  crealm: string;
  cname: PrincipalName;
  transited: { trType: number; contents: Buffer };
  authtime: KerberosTime;
  starttime?: KerberosTime;
  endtime: KerberosTime;
  renewTill?: KerberosTime;
  caddr?: HostAddress[];
  authorizationData?: AuthorizationData;
}

/** RFC 4120 5.4.1 KDC-REQ-BODY */
export interface KdcReqBody {
  kdcOptions: number; // KDCOptions as 32-bit number, bit 0 = MSB
  cname?: PrincipalName;
  realm: string;
  sname?: PrincipalName;
  from?: KerberosTime;
  till?: KerberosTime; // optional on the wire only for leniency; RFC says required
  rtime?: KerberosTime;
  nonce: number; // UInt32
  etype: number[];
  addresses?: HostAddress[];
  encAuthorizationData?: EncryptedData;
  additionalTickets?: Ticket[];
}

/** RFC 4120 5.4.1 AS-REQ [APPLICATION 10] / TGS-REQ [APPLICATION 12] */
export interface KdcReq {
  pvno: number;
  msgType: number; // 10 or 12
  padata?: PAData[];
  reqBody: KdcReqBody;
  /** Exact DER bytes of req-body as received (for the TGS authenticator checksum and FAST). */
  reqBodyRaw?: Buffer;
}

/** RFC 4120 5.4.2 AS-REP [APPLICATION 11] / TGS-REP [APPLICATION 13] */
export interface KdcRep {
  pvno: number;
  msgType: number; // 11 or 13
  padata?: PAData[];
  crealm: string;
  cname: PrincipalName;
  ticket: Ticket;
  encPart: EncryptedData;
}

export interface LastReqEntry {
  lrType: number;
  lrValue: KerberosTime;
}

/** RFC 4120 5.4.2 EncASRepPart [APPLICATION 25] / EncTGSRepPart [APPLICATION 26] */
export interface EncKdcRepPart {
  key: EncryptionKey;
  lastReq: LastReqEntry[];
  nonce: number;
  keyExpiration?: KerberosTime;
  flags: number;
  authtime: KerberosTime;
  starttime?: KerberosTime;
  endtime: KerberosTime;
  renewTill?: KerberosTime;
  srealm: string;
  sname: PrincipalName;
  caddr?: HostAddress[];
  /** RFC 6806 5.2 encrypted-pa-data [12] */
  encryptedPaData?: PAData[];
}

/** RFC 4120 5.5.1 AP-REQ [APPLICATION 14] */
export interface ApReq {
  pvno: number;
  msgType: number; // 14
  apOptions: number; // bit 0 = MSB
  ticket: Ticket;
  authenticator: EncryptedData;
}

/** RFC 4120 5.5.1 Authenticator [APPLICATION 2] */
export interface Authenticator {
  authenticatorVno: number;
  crealm: string;
  cname: PrincipalName;
  cksum?: Checksum;
  cusec: number;
  ctime: KerberosTime;
  subkey?: EncryptionKey;
  seqNumber?: number;
  authorizationData?: AuthorizationData;
}

/** RFC 4120 5.5.2 AP-REP [APPLICATION 15] */
export interface ApRep {
  pvno: number;
  msgType: number; // 15
  encPart: EncryptedData;
}

/** RFC 4120 5.5.2 EncAPRepPart [APPLICATION 27] */
export interface EncApRepPart {
  ctime: KerberosTime;
  cusec: number;
  subkey?: EncryptionKey;
  seqNumber?: number;
}

/** RFC 4120 5.9.1 KRB-ERROR [APPLICATION 30] */
export interface KrbError {
  pvno: number;
  msgType: number; // 30
  ctime?: KerberosTime;
  cusec?: number;
  stime: KerberosTime;
  susec: number;
  errorCode: number;
  crealm?: string;
  cname?: PrincipalName;
  realm: string;
  sname: PrincipalName;
  eText?: string;
  eData?: Buffer;
}

/** RFC 4120 5.2.7.2 PA-ENC-TS-ENC */
export interface PaEncTsEnc {
  patimestamp: KerberosTime;
  pausec?: number;
}

/** RFC 4120 5.2.7.5 ETYPE-INFO2-ENTRY */
export interface EtypeInfo2Entry {
  etype: number;
  salt?: string;
  s2kparams?: Buffer;
}

/** RFC 4120 5.2.7.4 ETYPE-INFO-ENTRY (PA-ETYPE-INFO, for clients without ETYPE-INFO2); salt is raw octets. */
export interface EtypeInfoEntry {
  etype: number;
  salt?: Buffer;
}

/** RFC 4120 5.9.1 / MS-KILE 2.2.1 KERB-ERROR-DATA (in e-data for extended errors) */
export interface KerbErrorData {
  dataType: number;
  dataValue?: Buffer;
}

/** MS-KILE 2.2.1 KERB-EXT-ERROR inside KERB-ERROR-DATA data-value (type 3, KERB_ERR_TYPE_EXTENDED) */
export interface KerbExtError {
  status: number; // NTSTATUS, little-endian on the wire
  reserved: number;
  flags: number;
}

/** MS-KILE 2.2.2 KERB-PA-PAC-REQUEST */
export interface KerbPaPacRequest {
  includePac: boolean;
}

/** RFC 4120 5.8.1 KRB-CRED [APPLICATION 22] and EncKrbCredPart [APPLICATION 29] */
export interface KrbCred {
  pvno: number;
  msgType: number; // 22
  tickets: Ticket[];
  encPart: EncryptedData;
}
export interface KrbCredInfo {
  key: EncryptionKey;
  prealm?: string;
  pname?: PrincipalName;
  flags?: number;
  authtime?: KerberosTime;
  starttime?: KerberosTime;
  endtime?: KerberosTime;
  renewTill?: KerberosTime;
  srealm?: string;
  sname?: PrincipalName;
  caddr?: HostAddress[];
}
export interface EncKrbCredPart {
  ticketInfo: KrbCredInfo[];
  nonce?: number;
  timestamp?: KerberosTime;
  usec?: number;
  sAddress?: HostAddress;
  rAddress?: HostAddress;
}

export const MSG_TYPE = {
  AS_REQ: 10,
  AS_REP: 11,
  TGS_REQ: 12,
  TGS_REP: 13,
  AP_REQ: 14,
  AP_REP: 15,
  KRB_SAFE: 20,
  KRB_PRIV: 21,
  KRB_CRED: 22,
  KRB_ERROR: 30,
} as const;

export const NT = {
  UNKNOWN: 0,
  PRINCIPAL: 1,
  SRV_INST: 2,
  SRV_HST: 3,
  SRV_XHST: 4,
  UID: 5,
  X500_PRINCIPAL: 6,
  SMTP_NAME: 7,
  ENTERPRISE: 10,
  MS_PRINCIPAL: -128,
} as const;

export const PA = {
  TGS_REQ: 1,
  ENC_TIMESTAMP: 2,
  PW_SALT: 3,
  ETYPE_INFO: 11,
  PK_AS_REQ: 16,
  PK_AS_REP: 17,
  ETYPE_INFO2: 19,
  PAC_REQUEST: 128,
  FOR_USER: 129,
  FX_COOKIE: 133,
  FX_FAST: 136,
  FX_ERROR: 137,
  ENCRYPTED_CHALLENGE: 138,
  REQ_ENC_PA_REP: 149,
  PAC_OPTIONS: 167,
  SUPPORTED_ENCTYPES: 165,
} as const;

export const AD = {
  IF_RELEVANT: 1,
  WIN2K_PAC: 128,
  AUTH_DATA_AP_OPTIONS: 143,
  TOKEN_RESTRICTIONS: 141,
  LOCAL: 142,
} as const;

/** RFC 4120 7.5.9 error codes used here. */
export const KDC_ERR = {
  NONE: 0,
  NAME_EXP: 1,
  SERVICE_EXP: 2,
  BAD_PVNO: 3,
  C_OLD_MAST_KVNO: 4,
  S_OLD_MAST_KVNO: 5,
  C_PRINCIPAL_UNKNOWN: 6,
  S_PRINCIPAL_UNKNOWN: 7,
  PRINCIPAL_NOT_UNIQUE: 8,
  NULL_KEY: 9,
  CANNOT_POSTDATE: 10,
  NEVER_VALID: 11,
  POLICY: 12,
  BADOPTION: 13,
  ETYPE_NOSUPP: 14,
  SUMTYPE_NOSUPP: 15,
  PADATA_TYPE_NOSUPP: 16,
  TRTYPE_NOSUPP: 17,
  CLIENT_REVOKED: 18,
  SERVICE_REVOKED: 19,
  TGT_REVOKED: 20,
  CLIENT_NOTYET: 21,
  SERVICE_NOTYET: 22,
  KEY_EXPIRED: 23,
  PREAUTH_FAILED: 24,
  PREAUTH_REQUIRED: 25,
  SERVER_NOMATCH: 26,
  MUST_USE_USER2USER: 27,
  PATH_NOT_ACCEPTED: 28,
  SVC_UNAVAILABLE: 29,
  KRB_AP_ERR_BAD_INTEGRITY: 31,
  KRB_AP_ERR_TKT_EXPIRED: 32,
  KRB_AP_ERR_TKT_NYV: 33,
  KRB_AP_ERR_REPEAT: 34,
  KRB_AP_ERR_NOT_US: 35,
  KRB_AP_ERR_BADMATCH: 36,
  KRB_AP_ERR_SKEW: 37,
  KRB_AP_ERR_BADADDR: 38,
  KRB_AP_ERR_BADVERSION: 39,
  KRB_AP_ERR_MSG_TYPE: 40,
  KRB_AP_ERR_MODIFIED: 41,
  KRB_AP_ERR_BADORDER: 42,
  KRB_AP_ERR_BADKEYVER: 44,
  KRB_AP_ERR_NOKEY: 45,
  KRB_AP_ERR_MUT_FAIL: 46,
  KRB_AP_ERR_BADDIRECTION: 47,
  KRB_AP_ERR_METHOD: 48,
  KRB_AP_ERR_BADSEQ: 49,
  KRB_AP_ERR_INAPP_CKSUM: 50,
  KRB_ERR_RESPONSE_TOO_BIG: 52,
  KRB_ERR_GENERIC: 60,
  KRB_ERR_FIELD_TOOLONG: 61,
  WRONG_REALM: 68,
} as const;

/** KDCOptions / TicketFlags bit numbers (RFC 4120 5.4.1 / 5.3); bit 0 is the MSB of the 32-bit value. */
export const FLAG_BIT = {
  RESERVED: 0,
  FORWARDABLE: 1,
  FORWARDED: 2,
  PROXIABLE: 3,
  PROXY: 4,
  ALLOW_POSTDATE: 5, // ticket: MAY_POSTDATE
  POSTDATED: 6,
  INVALID: 7,
  RENEWABLE: 8,
  INITIAL: 9, // ticket flag
  PRE_AUTHENT: 10, // ticket flag
  HW_AUTHENT: 11, // ticket flag
  TRANSITED_POLICY_CHECKED: 12,
  OK_AS_DELEGATE: 13,
  NAME_CANONICALIZE: 15, // KDC option (RFC 6806)
  ENC_PA_REP: 15, // ticket flag
  CNAME_IN_ADDL_TKT: 14,
  DISABLE_TRANSITED_CHECK: 26,
  RENEWABLE_OK: 27,
  ENC_TKT_IN_SKEY: 28,
  RENEW: 30,
  VALIDATE: 31,
} as const;

export function flagMask(bit: number): number {
  return (0x80000000 >>> bit) >>> 0;
}
export function hasFlag(flags: number, bit: number): boolean {
  return ((flags >>> 0) & flagMask(bit)) !== 0;
}
