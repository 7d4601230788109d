// The initiator side of the Kerberos GSS-API mechanism (RFC 4121 4.1, RFC 4120 3.2.2,
// MS-KILE 3.2.5.2): from a TGT (or a password, via an AS exchange) to a service ticket for the
// target, then an AP-REQ whose authenticator carries
//   - the 0x8003 checksum (RFC 4121 4.1.1) with the requested flags, the channel-binding hash
//     and, when delegating, a KRB-CRED holding a forwarded TGT;
//   - our own subkey (RFC 4121 2: the context key unless the acceptor sends one) of the session
//     key's enctype, and our initial sequence number.
// With mutual authentication the acceptor's AP-REP is checked (ctime/cusec echoed, RFC 4120
// 3.2.5), and its subkey and sequence number taken. DCE style (MS-KILE 3.4.5.1) sends the
// tokens bare and answers the AP-REP with an AP-REP of our own.

import { randomInt } from 'node:crypto';
import { checksumProfile, checksumTypeForEnctype, ENCTYPE_PREFERENCE, enctypeProfile } from '../../crypto/registry.js';
import { ETYPE, KEY_USAGE, KrbCryptoError, type Key } from '../../crypto/types.js';
import { NO_FLAGS, SEC_E, SecurityError, type ContextFlags, type SecurityContext, type Step } from '../../security/types.js';
import { getInitialCredentials, newNonce, sendToKdc } from '../client/as-client.js';
import { KrbErrorReply, type Credential } from '../client/credential.js';
import { getServiceTicket, readTgsRep } from '../client/tgs-client.js';
import { KdcTransportError, type KdcAddress } from '../client/transport.js';
import {
  decodeApRep,
  decodeEncApRepPart,
  decodeKrbError,
  encodeApRep,
  encodeApReq,
  encodeAuthenticator,
  encodeEncApRepPart,
  encodeEncKrbCredPart,
  encodeKdcReq,
  encodeKdcReqBody,
  encodeKrbCred,
} from '../messages/index.js';
import {
  FLAG_BIT,
  flagMask,
  hasFlag,
  KDC_ERR,
  MSG_TYPE,
  NT,
  PA,
  type KdcReqBody,
  type PrincipalName,
} from '../messages/types.js';
import { krbtgtName, parsePrincipal, principalToString } from '../names.js';
import { channelBindingsHash, encodeGssChecksum, GSS_CHECKSUM_TYPE, GSS_FLAG, type ChannelBindings } from './checksum.js';
import { apError, apErrorCode, guard, tokenError } from './errors.js';
import { decodeKrb5Token, encodeKrb5Token, KRB5_MECH_OID, TOK_ID, type KerberosMechOid } from './token.js';
import { MessageProtection, } from './wrap.js';
import type { RpcProtection } from '../../rpc/protection.js';
import { KerberosContextBase } from './context-base.js';

export interface KerberosInitiatorOptions {
  /**
   * The service: a principal ('HTTP/web.example.test', realm optional) or a GSS host-based
   * name ({ service: 'HTTP', host: 'web.example.test' }, RFC 2743 4.1).
   */
  target: string | { service: string; host: string };
  /** The KDC to ask for tickets (not needed when serviceTicket is given). */
  kdc?: KdcAddress;
  /** A TGT; otherwise user + password get one (AS exchange). */
  tgt?: Credential;
  user?: string;
  password?: string;
  /** The realm of the client and of the target (default: the TGT's). */
  realm?: string;
  /** A service ticket already obtained (skips the TGS exchange). */
  serviceTicket?: Credential;
  /** Enctypes to ask the KDC for (session key and, for the AS exchange, reply key). */
  etypes?: readonly number[];
  transport?: 'tcp' | 'udp';
  mutual?: boolean; // default true
  delegate?: boolean; // default false
  integrity?: boolean; // default true
  confidentiality?: boolean; // default true
  replayDetect?: boolean; // default true
  sequenceDetect?: boolean; // default true
  dceStyle?: boolean; // default false
  channelBindings?: ChannelBindings;
  /** The mechanism OID to frame tokens with (default the RFC 1964 one). */
  mech?: KerberosMechOid;
  now?: () => number;
}

/** RFC 4120 5.5.1 APOptions bits. */
const AP_OPT_MUTUAL_REQUIRED = 2;

function randomSeq(): number {
  return randomInt(0, 0x3fffffff);
}

/** KDC answers and transport failures as SecurityError. */
function kdcFailure(e: unknown, what: string): SecurityError {
  if (e instanceof SecurityError) return e;
  if (e instanceof KrbErrorReply) {
    const code = e.code;
    const sec =
      code === KDC_ERR.S_PRINCIPAL_UNKNOWN
        ? SEC_E.TARGET_UNKNOWN
        : code === KDC_ERR.ETYPE_NOSUPP
          ? SEC_E.KDC_UNKNOWN_ETYPE
          : code === KDC_ERR.KRB_AP_ERR_SKEW
            ? SEC_E.TIME_SKEW
            : SEC_E.LOGON_DENIED;
    return new SecurityError(sec, `${what}: KDC error ${code}${e.error.eText ? ` (${e.error.eText})` : ''}`, { krbError: code });
  }
  if (e instanceof KdcTransportError) return new SecurityError(SEC_E.NO_AUTHENTICATING_AUTHORITY, `${what}: ${e.message}`);
  return new SecurityError(SEC_E.LOGON_DENIED, `${what}: ${e instanceof Error ? e.message : String(e)}`);
}

export class KerberosInitiator extends KerberosContextBase implements SecurityContext, RpcProtection {
  readonly mechanism = 'Kerberos' as const;
  readonly role = 'initiator' as const;

  private state: 'start' | 'wait-rep' | 'done' | 'failed' = 'start';
  private readonly o: KerberosInitiatorOptions;
  private readonly now: () => number;
  private protection?: MessageProtection;
  private _flags: ContextFlags = NO_FLAGS;
  private _sessionKey?: Buffer;
  private _peerName?: string;

  /** The service ticket the context was built on (also useful to cache). */
  serviceTicket?: Credential;
  /** The TGT used (obtained here when a password was given). */
  tgt?: Credential;

  // Between the AP-REQ and the AP-REP.
  private ctime?: Date;
  private cusec?: number;
  private subkey?: Key;
  private ourSeq?: number;

  constructor(options: KerberosInitiatorOptions) {
    super();
    this.o = options;
    this.now = options.now ?? Date.now;
    if (!options.serviceTicket && !options.kdc) throw new SecurityError(SEC_E.NO_AUTHENTICATING_AUTHORITY, 'KerberosInitiator needs a KDC address or a service ticket');
    if (!options.serviceTicket && !options.tgt && !(options.user && options.password !== undefined)) {
      throw new SecurityError(SEC_E.NO_CREDENTIALS, 'KerberosInitiator needs a TGT, a service ticket, or a user and password');
    }
  }

  get done(): boolean {
    return this.state === 'done';
  }
  get flags(): ContextFlags {
    return this._flags;
  }
  get peerName(): string | undefined {
    return this._peerName;
  }
  get sessionKey(): Buffer | undefined {
    return this._sessionKey;
  }
  readonly peer = undefined;

  async step(input?: Buffer): Promise<Step> {
    try {
      switch (this.state) {
        case 'start':
          if (input && input.length > 0) throw tokenError('the initiator speaks first');
          return await this.start();
        case 'wait-rep':
          if (!Buffer.isBuffer(input) || input.length === 0) throw tokenError('expected the AP-REP token');
          return this.readApRep(input);
        default:
          throw new SecurityError(SEC_E.INVALID_HANDLE, 'the context is already established or has failed');
      }
    } catch (e) {
      if (this.state !== 'done') this.state = 'failed';
      if (e instanceof SecurityError) throw e;
      throw new SecurityError(SEC_E.INTERNAL_ERROR, `Kerberos initiator: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private targetName(realm: string): { name: PrincipalName; realm: string } {
    const t = this.o.target;
    if (typeof t !== 'string') {
      // RFC 4120 6.2.1: a host-based service is NT-SRV-HST service/host.
      return { name: { nameType: NT.SRV_HST, nameString: [t.service, t.host.toLowerCase()] }, realm };
    }
    const p = parsePrincipal(t, t.includes('/') ? NT.SRV_INST : NT.PRINCIPAL);
    return { name: p.name, realm: p.realm ?? realm };
  }

  private async credentials(): Promise<{ tgt?: Credential; ticket: Credential }> {
    const o = this.o;
    if (o.serviceTicket) return { tgt: o.tgt, ticket: o.serviceTicket };
    const kdc = o.kdc!;
    let tgt = o.tgt;
    if (!tgt) {
      if (!o.realm) throw new SecurityError(SEC_E.NO_CREDENTIALS, 'a realm is needed to log on with a password');
      try {
        tgt = await getInitialCredentials({ kdc, realm: o.realm, user: o.user!, password: o.password!, etypes: o.etypes, transport: o.transport });
      } catch (e) {
        throw kdcFailure(e, 'AS exchange');
      }
    }
    const target = this.targetName(o.realm ?? tgt.crealm);
    try {
      const ticket = await getServiceTicket(kdc, { tgt, sname: target.name, realm: target.realm, etypes: o.etypes }, o.transport);
      return { tgt, ticket };
    } catch (e) {
      throw kdcFailure(e, `TGS exchange for ${principalToString(target.name, target.realm)}`);
    }
  }

  private async start(): Promise<Step> {
    const o = this.o;
    const { tgt, ticket } = await this.credentials();
    this.tgt = tgt;
    this.serviceTicket = ticket;
    this._peerName = principalToString(ticket.ticket.sname, ticket.ticket.realm);
    const sessionKey = ticket.sessionKey;
    const session = guard(SEC_E.KDC_UNKNOWN_ETYPE, 'session key', () => enctypeProfile(sessionKey.etype));

    const mutual = o.mutual !== false || o.dceStyle === true;
    let flags = 0;
    if (mutual) flags |= GSS_FLAG.MUTUAL;
    if (o.integrity !== false) flags |= GSS_FLAG.INTEG;
    if (o.confidentiality !== false) flags |= GSS_FLAG.CONF;
    if (o.replayDetect !== false) flags |= GSS_FLAG.REPLAY;
    if (o.sequenceDetect !== false) flags |= GSS_FLAG.SEQUENCE;
    if (o.dceStyle) flags |= GSS_FLAG.DCE_STYLE;

    // RFC 4121 4.1.1: delegation forwards a TGT; none when ours is not forwardable (as MIT).
    let delegation: Buffer | undefined;
    if (o.delegate && tgt && hasFlag(tgt.info.flags, FLAG_BIT.FORWARDABLE) && o.kdc) {
      const fwd = await this.forwardedTgt(o.kdc, tgt);
      delegation = this.krbCred(fwd, sessionKey);
      flags |= GSS_FLAG.DELEG;
    }

    const bnd = o.channelBindings ? channelBindingsHash(o.channelBindings) : Buffer.alloc(16);
    const cksum = encodeGssChecksum({ bnd, flags, delegation });
    const now = this.now();
    this.ctime = new Date(Math.floor(now / 1000) * 1000);
    this.cusec = (now % 1000) * 1000 + randomInt(0, 1000);
    this.subkey = { etype: sessionKey.etype, value: session.randomKey() };
    this.ourSeq = randomSeq();
    const authenticator = encodeAuthenticator({
      authenticatorVno: 5,
      crealm: ticket.crealm,
      cname: ticket.cname,
      cksum: { cksumtype: GSS_CHECKSUM_TYPE, checksum: cksum },
      cusec: this.cusec,
      ctime: this.ctime,
      subkey: { keytype: this.subkey.etype, keyvalue: this.subkey.value },
      seqNumber: this.ourSeq,
    });
    const apReq = encodeApReq({
      pvno: 5,
      msgType: MSG_TYPE.AP_REQ,
      apOptions: mutual ? flagMask(AP_OPT_MUTUAL_REQUIRED) : 0,
      ticket: ticket.ticket,
      authenticator: { etype: sessionKey.etype, cipher: session.encrypt(sessionKey.value, KEY_USAGE.AP_REQ_AUTH, authenticator) },
    });
    // MS-KILE 3.4.5.1: DCE style sends the AP-REQ without the RFC 2743 framing.
    const output = o.dceStyle ? apReq : encodeKrb5Token(TOK_ID.AP_REQ, apReq, o.mech ?? KRB5_MECH_OID);
    this._flags = {
      ...NO_FLAGS,
      mutual,
      delegate: delegation !== undefined,
      integrity: (flags & GSS_FLAG.INTEG) !== 0,
      confidentiality: (flags & GSS_FLAG.CONF) !== 0,
      replayDetect: (flags & GSS_FLAG.REPLAY) !== 0,
      sequenceDetect: (flags & GSS_FLAG.SEQUENCE) !== 0,
      dceStyle: o.dceStyle === true,
    };
    if (!mutual) {
      // No AP-REP: both directions count from our number (MIT does the same on both sides).
      this.establish(undefined, BigInt(this.ourSeq));
      return { done: true, output };
    }
    this.state = 'wait-rep';
    return { done: false, output };
  }

  /** RFC 4120 3.3 with the FORWARDED option: a TGT the service may use for us. */
  private async forwardedTgt(kdc: KdcAddress, tgt: Credential): Promise<Credential> {
    const now = this.now();
    const body: KdcReqBody = {
      kdcOptions: (flagMask(FLAG_BIT.FORWARDABLE) | flagMask(FLAG_BIT.FORWARDED)) >>> 0,
      realm: tgt.crealm,
      sname: krbtgtName(tgt.crealm),
      till: tgt.info.endtime,
      nonce: newNonce(),
      etype: [...(this.o.etypes ?? ENCTYPE_PREFERENCE)],
    };
    const key = tgt.sessionKey;
    const cksumtype = checksumTypeForEnctype(key.etype);
    const authenticator = encodeAuthenticator({
      authenticatorVno: 5,
      crealm: tgt.crealm,
      cname: tgt.cname,
      cksum: { cksumtype, checksum: checksumProfile(cksumtype).make(key.value, KEY_USAGE.TGS_REQ_AUTH_CKSUM, encodeKdcReqBody(body)) },
      cusec: (now % 1000) * 1000,
      ctime: new Date(Math.floor(now / 1000) * 1000),
    });
    const apReq = encodeApReq({
      pvno: 5,
      msgType: MSG_TYPE.AP_REQ,
      apOptions: 0,
      ticket: tgt.ticket,
      authenticator: { etype: key.etype, cipher: enctypeProfile(key.etype).encrypt(key.value, KEY_USAGE.TGS_REQ_AUTH, authenticator) },
    });
    const req = encodeKdcReq({ pvno: 5, msgType: MSG_TYPE.TGS_REQ, padata: [{ padataType: PA.TGS_REQ, padataValue: apReq }], reqBody: body });
    try {
      const reply = await sendToKdc(kdc, req, this.o.transport);
      return readTgsRep(reply, tgt, body.nonce);
    } catch (e) {
      throw kdcFailure(e, 'forwarded TGT request');
    }
  }

  /**
   * RFC 4120 5.8 KRB-CRED for the Deleg field, encrypted in the ticket session key
   * (usage 14) — what Windows sends and MIT and Windows acceptors read.
   */
  private krbCred(fwd: Credential, sessionKey: Key): Buffer {
    const now = this.now();
    const part = encodeEncKrbCredPart({
      ticketInfo: [
        {
          key: { keytype: fwd.sessionKey.etype, keyvalue: fwd.sessionKey.value },
          prealm: fwd.crealm,
          pname: fwd.cname,
          flags: fwd.info.flags,
          authtime: fwd.info.authtime,
          starttime: fwd.info.starttime,
          endtime: fwd.info.endtime,
          renewTill: fwd.info.renewTill,
          srealm: fwd.info.srealm,
          sname: fwd.info.sname,
          caddr: fwd.info.caddr,
        },
      ],
      timestamp: new Date(Math.floor(now / 1000) * 1000),
      usec: (now % 1000) * 1000,
    });
    const cipher = enctypeProfile(sessionKey.etype).encrypt(sessionKey.value, KEY_USAGE.KRB_CRED_ENCPART, part);
    return encodeKrbCred({ pvno: 5, msgType: MSG_TYPE.KRB_CRED, tickets: [fwd.ticket], encPart: { etype: sessionKey.etype, cipher } });
  }

  /** RFC 4120 3.2.5 / RFC 4121 4.1: the acceptor's AP-REP (or its KRB-ERROR). */
  private readApRep(input: Buffer): Step {
    let raw: Buffer;
    if (input[0] === 0x60) {
      const t = decodeKrb5Token(input);
      if (t.tokId === TOK_ID.KRB_ERROR) throw this.peerError(t.inner);
      if (t.tokId !== TOK_ID.AP_REP) throw tokenError(`expected an AP-REP token, got TOK_ID ${t.tokId.toString(16).padStart(4, '0')}`);
      raw = t.inner;
    } else if (input[0] === 0x7e) {
      throw this.peerError(input);
    } else {
      raw = input; // bare AP-REP (DCE style)
    }
    const rep = guard(SEC_E.INVALID_TOKEN, 'AP-REP', () => decodeApRep(raw));
    if (rep.pvno !== 5) throw apError(KDC_ERR.KRB_AP_ERR_BADVERSION, 'AP-REP is not Kerberos 5');
    const key = this.serviceTicket!.sessionKey;
    if (rep.encPart.etype !== key.etype) throw apError(KDC_ERR.KRB_AP_ERR_MUT_FAIL, 'AP-REP is not in the session key enctype');
    let plain: Buffer;
    try {
      plain = enctypeProfile(key.etype).decrypt(key.value, KEY_USAGE.AP_REP_ENCPART, rep.encPart.cipher);
    } catch (e) {
      if (e instanceof KrbCryptoError) throw apError(KDC_ERR.KRB_AP_ERR_MUT_FAIL, 'mutual authentication failed: the AP-REP does not decrypt');
      throw e;
    }
    const part = guard(SEC_E.INVALID_TOKEN, 'EncAPRepPart', () => decodeEncApRepPart(plain));
    if (part.ctime.getTime() !== this.ctime!.getTime() || part.cusec !== this.cusec) {
      throw apError(KDC_ERR.KRB_AP_ERR_MUT_FAIL, 'mutual authentication failed: the AP-REP does not echo our authenticator time');
    }
    // The acceptor's subkey becomes the context key for RFC 4121 contexts; for rc4-hmac
    // (RFC 4757) only in DCE style or when it changes the enctype — MIT's rule, which matches
    // Windows echoing our own subkey back.
    let acceptorKey: Key | undefined;
    if (part.subkey) {
      const sk: Key = { etype: part.subkey.keytype, value: part.subkey.keyvalue };
      guard(SEC_E.INVALID_TOKEN, 'acceptor subkey', () => enctypeProfile(sk.etype));
      const rc4 = this.subkey!.etype === ETYPE.RC4_HMAC && sk.etype === ETYPE.RC4_HMAC;
      if (!rc4 || this.o.dceStyle) acceptorKey = sk;
    }
    const peerSeq = BigInt(part.seqNumber ?? 0);
    this.establish(acceptorKey, peerSeq);
    if (this.o.dceStyle) {
      // MS-KILE 3.4.5.1: answer with an AP-REP "exactly as the server would", echoing the
      // acceptor's sequence number, in the session key, bare.
      const enc = encodeEncApRepPart({ ctime: part.ctime, cusec: part.cusec, seqNumber: part.seqNumber });
      const cipher = enctypeProfile(key.etype).encrypt(key.value, KEY_USAGE.AP_REP_ENCPART, enc);
      return { done: true, output: encodeApRep({ pvno: 5, msgType: MSG_TYPE.AP_REP, encPart: { etype: key.etype, cipher } }) };
    }
    return { done: true };
  }

  private peerError(raw: Buffer): SecurityError {
    const err = guard(SEC_E.INVALID_TOKEN, 'KRB-ERROR', () => decodeKrbError(raw));
    return apError(err.errorCode, `the acceptor refused the AP-REQ: Kerberos error ${err.errorCode}${err.eText ? ` (${err.eText})` : ''}`, apErrorCode(err.errorCode));
  }

  private establish(acceptorKey: Key | undefined, peerSeq: bigint): void {
    const initiatorKey = this.subkey!;
    this.protection = new MessageProtection({
      isAcceptor: false,
      initiatorKey,
      acceptorKey,
      sendSeq: BigInt(this.ourSeq!),
      recvSeq: peerSeq,
      checkSequence: this._flags.replayDetect || this._flags.sequenceDetect,
      mech: this.o.mech ?? KRB5_MECH_OID,
      dceStyle: this.o.dceStyle,
    });
    this._sessionKey = Buffer.from((acceptorKey ?? initiatorKey).value);
    this.state = 'done';
  }

  // ---- per-message --------------------------------------------------------------------

  protected ready(): MessageProtection {
    if (this.state !== 'done' || !this.protection) throw new SecurityError(SEC_E.INVALID_HANDLE, 'the security context is not established');
    // RFC 2743 1.2.3 / RFC 4121: the context lives as long as the ticket.
    const end = this.serviceTicket?.info.endtime;
    if (end && this.now() > end.getTime()) throw new SecurityError(SEC_E.CONTEXT_EXPIRED, 'the security context has expired (ticket end time)');
    return this.protection;
  }
}
