// The acceptor side of the Kerberos GSS-API mechanism (RFC 4121, RFC 4120 3.2.3, MS-KILE 3.4):
// reads the initiator's AP-REQ with a service key, checks it, answers with an AP-REP when
// mutual authentication is asked for, and turns the ticket's PAC into a LogonToken.
//
// The checks, in the order RFC 4120 3.2.3 gives them:
//   - framing (RFC 4121 4.1; a bare AP-REQ is accepted for DCE style, MS-KILE 3.4.5.1);
//   - the ticket's key: the service key of the ticket's enctype and kvno
//     (KRB_AP_ERR_NOKEY / KRB_AP_ERR_BADKEYVER), decrypting it (KRB_AP_ERR_BAD_INTEGRITY);
//   - the authenticator under the ticket session key (usage 11), its cname/crealm against the
//     ticket's (KRB_AP_ERR_BADMATCH), its time within the skew (KRB_AP_ERR_SKEW);
//   - the ticket's start and end times (KRB_AP_ERR_TKT_NYV / KRB_AP_ERR_TKT_EXPIRED);
//   - the ticket's addresses when it has some and the caller told us the peer's address
//     (KRB_AP_ERR_BADADDR);
//   - the replay cache (KRB_AP_ERR_REPEAT);
//   - the 0x8003 checksum (RFC 4121 4.1.1): flags, channel bindings, delegation.
// Then the PAC (MS-KILE 3.4.5.3, MS-PAC 2.8.1, MS-APDS 3.2): the server signature must verify
// with the key that decrypted the ticket; the KDC signature is checked through the
// DomainAuthority when one is given. A bad signature fails the logon. A PAC whose signatures are
// good but whose LOGON_INFO does not decode does not (gokrb5's lesson: a login the KDC vouched
// for must not fail on a buffer we cannot parse) — the token is then the minimal one below.
//
// Tickets without a PAC (an MIT or Heimdal KDC, or a realm trust that strips it) give a minimal
// LogonToken: the client's name and realm, no SIDs at all (userSid and primaryGroupSid are
// empty strings, groups is empty), so a SID-based access check grants such a caller nothing
// beyond what it grants everyone. `requirePac` refuses them instead.

import { createHash, randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { enctypeProfile, findEnctype } from '../../crypto/registry.js';
import { ETYPE, KEY_USAGE, KrbCryptoError, type Key } from '../../crypto/types.js';
import {
  decodeKerbValidationInfo,
  decodePacClientInfo,
  decodeUpnDnsInfo,
  findPacBuffer,
  getPacSignatures,
  verifyPacServerSignature,
} from '../../pac/index.js';
import { dateToFileTime } from '../../pac/filetime.js';
import { PAC_TYPE, type Pac } from '../../pac/types.js';
import { logonTokenFromValidationInfo } from '../../security/logon-token.js';
import {
  NO_FLAGS,
  SEC_E,
  SecurityError,
  type ContextFlags,
  type DomainAuthority,
  type LogonToken,
  type SecurityContext,
  type Step,
} from '../../security/types.js';
import type { Credential } from '../client/credential.js';
import { ReplayCache } from '../kdc/replay-cache.js';
import { extractPac } from '../kdc/tickets.js';
import { decodeKeytab } from '../keytab.js';
import {
  decodeApRep,
  decodeApReq,
  decodeAuthenticator,
  decodeEncApRepPart,
  decodeEncKrbCredPart,
  decodeEncTicketPart,
  decodeKrbCred,
  encodeApRep,
  encodeEncApRepPart,
  encodeKrbError,
} from '../messages/index.js';
import {
  FLAG_BIT,
  hasFlag,
  KDC_ERR,
  MSG_TYPE,
  type Authenticator,
  type EncTicketPart,
  type HostAddress,
  type PrincipalName,
  type Ticket,
} from '../messages/types.js';
import { parsePrincipal, principalToString, samePrincipal } from '../names.js';
import { channelBindingsHash, decodeGssChecksum, GSS_CHECKSUM_TYPE, GSS_FLAG, type ChannelBindings } from './checksum.js';
import { apError, guard, tokenError } from './errors.js';
import { decodeKrb5Token, encodeKrb5Token, KRB5_MECH_OID, TOK_ID, type KerberosMechOid } from './token.js';
import { MessageProtection, } from './wrap.js';
import type { RpcProtection } from '../../rpc/protection.js';
import { KerberosContextBase } from './context-base.js';

/** One service key: what a keytab entry holds. */
export interface ServiceKey {
  /** 'HTTP/web.example.test@EXAMPLE.TEST'; keys without one serve any service name. */
  principal?: string;
  /** Undefined matches any kvno. */
  kvno?: number;
  key: Key;
}

export interface KerberosAcceptorOptions {
  /** An MIT keytab (bytes, or a path read on the first step). */
  keytab?: Buffer | string;
  /** Service keys given directly (together with the keytab's, if both are set). */
  keys?: ServiceKey[];
  /**
   * Accept only tickets for this principal ('HTTP/web.example.test[@REALM]'), or for one of
   * these (a member's HTTP/<name> and HTTP/<fqdn>); default any we hold a key for.
   */
  servicePrincipal?: string | readonly string[];
  /** MS-APDS 3.2: verifies the PAC's KDC signature (KERB_VERIFY_PAC) when given. */
  authority?: DomainAuthority;
  /** Default: true when an authority is given. */
  verifyKdcSignature?: boolean;
  /** Refuse tickets without a PAC (default false: a minimal token, see the file comment). */
  requirePac?: boolean;
  /** RFC 4120 1.6 clock skew allowance in seconds (default 300). */
  clockSkewSec?: number;
  /** Default: a cache shared by every acceptor in the process (a replay is any acceptor's problem). */
  replayCache?: ReplayCache;
  /** RFC 4121 4.1.1.2: when set, the initiator's Bnd must be the hash of these (or zeros unless strict). */
  channelBindings?: ChannelBindings;
  /** Refuse an all-zero Bnd (or a missing checksum) when channelBindings are set (Extended Protection "required"). */
  strictChannelBindings?: boolean;
  /** The peer's address, to check against the ticket's caddr when it lists any (RFC 4120 3.2.3). */
  remoteAddress?: HostAddress;
  /** Send an acceptor subkey in the AP-REP of RFC 4121 contexts (default true, as MIT and Windows do). */
  acceptorSubkey?: boolean;
  now?: () => number;
}

/** What became of the ticket's PAC. */
export type PacStatus = 'verified' | 'absent' | 'undecodable';

const DEFAULT_SKEW_SEC = 300;
const MAX_KEY_TRIES = 16;

/** Shared replay caches, one per window length. */
const sharedCaches = new Map<number, ReplayCache>();
function sharedReplayCache(windowMs: number): ReplayCache {
  let c = sharedCaches.get(windowMs);
  if (!c) {
    c = new ReplayCache(windowMs);
    sharedCaches.set(windowMs, c);
  }
  return c;
}

function keysFromKeytab(bytes: Buffer): ServiceKey[] {
  return decodeKeytab(bytes).map((e) => ({
    principal: `${e.principal.components.join('/')}@${e.principal.realm}`,
    kvno: e.kvno,
    key: { etype: e.key.etype, value: e.key.value },
  }));
}

function samePrincipalCi(a: PrincipalName, aRealm: string, b: PrincipalName, bRealm: string | undefined): boolean {
  if (bRealm !== undefined && aRealm.toUpperCase() !== bRealm.toUpperCase()) return false;
  return a.nameString.length === b.nameString.length && a.nameString.every((s, i) => s.toLowerCase() === b.nameString[i].toLowerCase());
}

/** RFC 4120 5.5.1 / 3.2.3: the time of an authenticator in ms. */
function authTimeMs(a: { ctime: Date; cusec: number }): number {
  return a.ctime.getTime() + Math.floor(a.cusec / 1000);
}

function randomSeq(): number {
  // 30 bits, as MIT does: some old peers treat the UInt32 as signed.
  return randomInt(0, 0x3fffffff);
}

function tokenFlags(gssFlags: number, mutual: boolean, delegated: boolean): ContextFlags {
  return {
    ...NO_FLAGS,
    mutual,
    delegate: delegated,
    integrity: (gssFlags & GSS_FLAG.INTEG) !== 0,
    confidentiality: (gssFlags & GSS_FLAG.CONF) !== 0,
    replayDetect: (gssFlags & GSS_FLAG.REPLAY) !== 0,
    sequenceDetect: (gssFlags & GSS_FLAG.SEQUENCE) !== 0,
    dceStyle: (gssFlags & GSS_FLAG.DCE_STYLE) !== 0,
  };
}

export class KerberosAcceptor extends KerberosContextBase implements SecurityContext, RpcProtection {
  readonly mechanism = 'Kerberos' as const;
  readonly role = 'acceptor' as const;

  private state: 'start' | 'dce' | 'done' | 'failed' = 'start';
  private keys?: ServiceKey[];
  private protection?: MessageProtection;
  private readonly o: KerberosAcceptorOptions;
  private readonly skewMs: number;
  private readonly now: () => number;

  private _flags: ContextFlags = NO_FLAGS;
  private _peer?: LogonToken;
  private _peerName?: string;
  private _sessionKey?: Buffer;

  /** The mechanism OID the initiator used (replies name the same one). */
  mech: KerberosMechOid = KRB5_MECH_OID;
  /** The client principal as the ticket names it. */
  clientPrincipal?: { name: PrincipalName; realm: string };
  /** The service principal the ticket names (in the clear: informational, not authenticated). */
  servicePrincipal?: { name: PrincipalName; realm: string };
  /** The delegated TGT (GSS_C_DELEG_FLAG with a KRB-CRED, RFC 4121 4.1.1). */
  delegatedCredential?: Credential;
  /** Why a delegation that was offered could not be used (the logon itself stands). */
  delegationError?: string;
  pacStatus?: PacStatus;
  /** The decoded PAC when there was one and its server signature verified. */
  pac?: Pac;
  /** The ticket's end time: the context expires with it. */
  expiresAt?: Date;
  /**
   * After a failed step: a KRB-ERROR token (RFC 4121 4.1, TOK_ID 03 00) the transport may send
   * to the initiator, as MIT and Windows do for clock skew or a key mismatch.
   */
  errorToken?: Buffer;

  // DCE style (MS-KILE 3.4.5.1): what the third leg must echo.
  private dceSessionKey?: Key;
  private dceOurSeq?: number;

  constructor(options: KerberosAcceptorOptions) {
    super();
    this.o = options;
    this.skewMs = (options.clockSkewSec ?? DEFAULT_SKEW_SEC) * 1000;
    this.now = options.now ?? Date.now;
    if (!options.keytab && !options.keys?.length) throw new SecurityError(SEC_E.NO_CREDENTIALS, 'KerberosAcceptor needs a keytab or service keys');
  }

  get done(): boolean {
    return this.state === 'done';
  }
  get flags(): ContextFlags {
    return this._flags;
  }
  get peer(): LogonToken | undefined {
    return this._peer;
  }
  get peerName(): string | undefined {
    return this._peerName;
  }
  get sessionKey(): Buffer | undefined {
    return this._sessionKey;
  }

  async step(input?: Buffer): Promise<Step> {
    if (!Buffer.isBuffer(input) || input.length === 0) throw tokenError('the acceptor needs the initiator token');
    try {
      switch (this.state) {
        case 'start':
          return await this.acceptApReq(input);
        case 'dce':
          return this.acceptDceReply(input);
        default:
          throw new SecurityError(SEC_E.INVALID_HANDLE, 'the context is already established or has failed');
      }
    } catch (e) {
      this.state = this.state === 'done' ? 'done' : 'failed';
      if (e instanceof SecurityError) throw e;
      // Anything else escaping the checks is a bug; the contract is SecurityError only.
      throw new SecurityError(SEC_E.INTERNAL_ERROR, `Kerberos acceptor: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // ---- keys ---------------------------------------------------------------------------

  private async loadKeys(): Promise<ServiceKey[]> {
    if (this.keys) return this.keys;
    const keys = [...(this.o.keys ?? [])];
    if (this.o.keytab !== undefined) {
      let bytes: Buffer;
      if (typeof this.o.keytab === 'string') {
        try {
          bytes = await readFile(this.o.keytab);
        } catch (e) {
          throw new SecurityError(SEC_E.NO_CREDENTIALS, `cannot read the keytab: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
        }
      } else {
        bytes = this.o.keytab;
      }
      keys.push(...guard(SEC_E.NO_CREDENTIALS, 'keytab', () => keysFromKeytab(bytes)));
    }
    this.keys = keys;
    return keys;
  }

  /** RFC 4120 3.2.3: the key the ticket is encrypted in, then the decrypted EncTicketPart. */
  private async openTicket(ticket: Ticket): Promise<{ part: EncTicketPart; key: Key }> {
    const keys = await this.loadKeys();
    const { etype, kvno } = ticket.encPart;
    const sp = this.o.servicePrincipal;
    const wanted = typeof sp === 'string' ? [sp] : (sp ?? []);
    if (wanted.length > 0) {
      const ours = wanted.some((w) => {
        const want = parsePrincipal(w);
        return samePrincipalCi(ticket.sname, ticket.realm, want.name, want.realm);
      });
      if (!ours) throw apError(KDC_ERR.KRB_AP_ERR_NOT_US, `the ticket is for ${principalToString(ticket.sname, ticket.realm)}, not for ${wanted.join(' or ')}`);
    }
    let candidates = keys.filter((k) => k.key.etype === etype);
    if (candidates.length === 0 || !findEnctype(etype)) throw apError(KDC_ERR.KRB_AP_ERR_NOKEY, `no service key of enctype ${etype}`);
    if (kvno !== undefined) {
      candidates = candidates.filter((k) => k.kvno === undefined || k.kvno === kvno || k.kvno % 256 === kvno);
      if (candidates.length === 0) throw apError(KDC_ERR.KRB_AP_ERR_BADKEYVER, `no service key of enctype ${etype} and kvno ${kvno}`);
    }
    // Keys named for the ticket's own principal first; one account's key serves all its SPNs.
    const named = candidates.filter((k) => {
      if (!k.principal) return false;
      const p = parsePrincipal(k.principal);
      return samePrincipalCi(ticket.sname, ticket.realm, p.name, p.realm);
    });
    const ordered = [...named, ...candidates.filter((k) => !named.includes(k))].slice(0, MAX_KEY_TRIES);
    const profile = enctypeProfile(etype);
    for (const k of ordered) {
      let plain: Buffer;
      try {
        plain = profile.decrypt(k.key.value, KEY_USAGE.KDC_REP_TICKET, ticket.encPart.cipher);
      } catch (e) {
        if (e instanceof KrbCryptoError) continue;
        throw e;
      }
      const part = guard(SEC_E.INVALID_TOKEN, 'EncTicketPart', () => decodeEncTicketPart(plain));
      return { part, key: k.key };
    }
    throw apError(KDC_ERR.KRB_AP_ERR_BAD_INTEGRITY, 'the ticket does not decrypt with the service key (wrong key or modified)');
  }

  // ---- leg 1: AP-REQ ------------------------------------------------------------------

  private async acceptApReq(input: Buffer): Promise<Step> {
    let raw: Buffer;
    if (input[0] === 0x60) {
      const t = decodeKrb5Token(input);
      if (t.tokId !== TOK_ID.AP_REQ) throw tokenError(`expected an AP-REQ token, got TOK_ID ${t.tokId.toString(16).padStart(4, '0')}`);
      this.mech = t.mech;
      raw = t.inner;
    } else if (input[0] === 0x6e) {
      raw = input; // MS-KILE 3.4.5.1: DCE style sends the AP-REQ without framing
    } else {
      throw tokenError('not a Kerberos AP-REQ token');
    }
    const ap = guard(SEC_E.INVALID_TOKEN, 'AP-REQ', () => decodeApReq(raw));
    this.servicePrincipal = { name: ap.ticket.sname, realm: ap.ticket.realm };
    try {
      return await this.checkApReq(ap.apOptions, ap.ticket, ap.authenticator.cipher, ap.pvno, input[0] !== 0x60);
    } catch (e) {
      const k = e instanceof SecurityError ? e.details.krbError : undefined;
      if (k !== undefined) this.errorToken = this.krbErrorToken(k, ap.ticket, input[0] !== 0x60);
      throw e;
    }
  }

  private async checkApReq(apOptions: number, ticket: Ticket, authCipher: Buffer, pvno: number, bare: boolean): Promise<Step> {
    if (pvno !== 5 || ticket.tktVno !== 5) throw apError(KDC_ERR.KRB_AP_ERR_BADVERSION, 'not Kerberos 5');
    // AP options (RFC 4120 5.5.1): bit 1 use-session-key (user-to-user) is not offered here.
    if (hasFlag(apOptions, 1)) throw apError(KDC_ERR.KRB_AP_ERR_METHOD, 'user-to-user authentication is not supported');
    const mutualRequired = hasFlag(apOptions, 2);

    const { part, key: serviceKey } = await this.openTicket(ticket);
    const sessionKey: Key = { etype: part.key.keytype, value: part.key.keyvalue };
    let authPlain: Buffer;
    try {
      authPlain = enctypeProfile(sessionKey.etype).decrypt(sessionKey.value, KEY_USAGE.AP_REQ_AUTH, authCipher);
    } catch (e) {
      if (e instanceof KrbCryptoError) throw apError(KDC_ERR.KRB_AP_ERR_BAD_INTEGRITY, 'the authenticator does not decrypt with the ticket session key');
      throw e;
    }
    const auth = guard(SEC_E.INVALID_TOKEN, 'Authenticator', () => decodeAuthenticator(authPlain));
    if (auth.authenticatorVno !== 5) throw apError(KDC_ERR.KRB_AP_ERR_BADVERSION, 'authenticator is not version 5');
    if (auth.crealm.toUpperCase() !== part.crealm.toUpperCase() || !samePrincipal(auth.cname, part.cname)) {
      throw apError(KDC_ERR.KRB_AP_ERR_BADMATCH, 'the authenticator names another client than the ticket');
    }
    const now = this.now();
    if (Math.abs(authTimeMs(auth) - now) > this.skewMs) throw apError(KDC_ERR.KRB_AP_ERR_SKEW, 'clock skew too great');
    if (hasFlag(part.flags, FLAG_BIT.INVALID)) throw apError(KDC_ERR.KRB_AP_ERR_TKT_NYV, 'the ticket is marked invalid');
    if ((part.starttime ?? part.authtime).getTime() - this.skewMs > now) throw apError(KDC_ERR.KRB_AP_ERR_TKT_NYV, 'the ticket is not yet valid');
    if (part.endtime.getTime() + this.skewMs < now) throw apError(KDC_ERR.KRB_AP_ERR_TKT_EXPIRED, 'the ticket has expired');
    this.checkAddress(part);

    // RFC 4120 3.2.3: the same authenticator twice is a replay, whoever sends it. The key is
    // made of authenticated data only: the ticket's sname travels in the clear, so an attacker
    // could vary it to dodge a cache keyed on it; the authenticator ciphertext cannot change
    // without failing its integrity check.
    const cache = this.o.replayCache ?? sharedReplayCache(2 * this.skewMs);
    const replayKey =
      principalToString(part.cname, part.crealm) +
      '|' +
      authTimeMs(auth) +
      '|' +
      auth.cusec +
      '|' +
      createHash('sha256').update(authCipher).digest('base64');
    if (cache.checkAndRecord(replayKey, now)) throw apError(KDC_ERR.KRB_AP_ERR_REPEAT, 'the authenticator is a replay');

    const { gssFlags, delegation } = this.checkChecksum(auth, mutualRequired);
    const dce = (gssFlags & GSS_FLAG.DCE_STYLE) !== 0;
    const mutual = mutualRequired || (gssFlags & GSS_FLAG.MUTUAL) !== 0 || dce;
    const initiatorKey: Key = auth.subkey ? { etype: auth.subkey.keytype, value: auth.subkey.keyvalue } : sessionKey;
    if (auth.subkey && !findEnctype(initiatorKey.etype)) throw apError(KDC_ERR.KRB_AP_ERR_BADVERSION, `unsupported subkey enctype ${initiatorKey.etype}`);

    let delegated: Credential | undefined;
    if (delegation) delegated = this.openDelegation(delegation, initiatorKey, sessionKey, part.crealm);

    const pacResult = await this.readPac(part, serviceKey);

    // The AP-REP (RFC 4120 3.2.4) and the context keys (RFC 4121 2).
    const peerSeq = BigInt(auth.seqNumber ?? 0);
    let acceptorKey: Key | undefined;
    let output: Buffer | undefined;
    let ourSeq: bigint;
    if (mutual) {
      const seq = randomSeq();
      ourSeq = BigInt(seq);
      const rc4Context = initiatorKey.etype === ETYPE.RC4_HMAC;
      // An rc4-hmac DCE-style (MS-KILE 3.4.5.1) initiator that sent no subkey of its own still
      // gets a fresh one: impacket, for one, takes its context key from the AP-REP's subkey and
      // cannot proceed without it. With a subkey, Windows' echo below applies as before.
      if ((!rc4Context || (dce && !auth.subkey)) && this.o.acceptorSubkey !== false) {
        acceptorKey = { etype: initiatorKey.etype, value: enctypeProfile(initiatorKey.etype).randomKey() };
      }
      // RFC 4757 contexts: Windows echoes the initiator's subkey (so both sides use one key);
      // MIT ignores an acceptor subkey of the same rc4 enctype, so either way they agree.
      const replySubkey: Key | undefined = acceptorKey ?? (rc4Context && auth.subkey ? initiatorKey : undefined);
      const encPart = encodeEncApRepPart({
        ctime: auth.ctime,
        cusec: auth.cusec,
        subkey: replySubkey ? { keytype: replySubkey.etype, keyvalue: replySubkey.value } : undefined,
        seqNumber: seq,
      });
      if (replySubkey && rc4Context && dce) acceptorKey = { etype: replySubkey.etype, value: replySubkey.value };
      const cipher = enctypeProfile(sessionKey.etype).encrypt(sessionKey.value, KEY_USAGE.AP_REP_ENCPART, encPart);
      const apRep = encodeApRep({ pvno: 5, msgType: MSG_TYPE.AP_REP, encPart: { etype: sessionKey.etype, cipher } });
      output = dce || bare ? apRep : encodeKrb5Token(TOK_ID.AP_REP, apRep, this.mech);
      if (dce) {
        this.dceSessionKey = sessionKey;
        this.dceOurSeq = seq;
      }
    } else {
      // Without an AP-REP the acceptor has no number of its own to announce; MIT starts from
      // the initiator's and so does this (RFC 4121 leaves it to the implementation).
      ourSeq = peerSeq;
    }

    const contextKey = acceptorKey ?? initiatorKey;
    const flags = tokenFlags(gssFlags, mutual, delegated !== undefined);
    this.protection = new MessageProtection({
      isAcceptor: true,
      initiatorKey,
      acceptorKey,
      sendSeq: ourSeq,
      recvSeq: peerSeq,
      checkSequence: flags.replayDetect || flags.sequenceDetect,
      mech: this.mech,
      dceStyle: dce,
    });
    this._flags = flags;
    this._sessionKey = Buffer.from(contextKey.value);
    this.clientPrincipal = { name: part.cname, realm: part.crealm };
    this._peerName = principalToString(part.cname, part.crealm);
    this.delegatedCredential = delegated;
    this.expiresAt = part.endtime;
    this.pacStatus = pacResult.status;
    this.pac = pacResult.pac;
    this._peer = pacResult.token
      ? { ...pacResult.token, sessionKey: this._sessionKey }
      : this.minimalToken(part, this._sessionKey);
    this.state = dce ? 'dce' : 'done';
    return { done: !dce, output };
  }

  private checkAddress(part: EncTicketPart): void {
    const ra = this.o.remoteAddress;
    if (!ra || !part.caddr || part.caddr.length === 0) return;
    if (!part.caddr.some((a) => a.addrType === ra.addrType && a.address.equals(ra.address))) {
      throw apError(KDC_ERR.KRB_AP_ERR_BADADDR, 'the ticket is not valid from this address');
    }
  }

  /** RFC 4121 4.1.1 and MS-KILE 3.4.5.2: the 0x8003 checksum's flags, bindings and delegation. */
  private checkChecksum(auth: Authenticator, mutualRequired: boolean): { gssFlags: number; delegation?: Buffer } {
    const cb = this.o.channelBindings;
    if (!auth.cksum) {
      // MS-KILE 3.4.5.2: an authenticator without a checksum is accepted with no flags and no
      // binding check (hand-built SMB clients do this) — unless bindings are required.
      if (cb && this.o.strictChannelBindings) throw new SecurityError(SEC_E.BAD_BINDINGS, 'channel bindings required but the authenticator has no checksum');
      return { gssFlags: mutualRequired ? GSS_FLAG.MUTUAL : 0 };
    }
    if (auth.cksum.cksumtype !== GSS_CHECKSUM_TYPE) {
      throw apError(KDC_ERR.KRB_AP_ERR_INAPP_CKSUM, `authenticator checksum type ${auth.cksum.cksumtype} is not the GSS-API 0x8003`);
    }
    const c = decodeGssChecksum(auth.cksum.checksum);
    if (cb) {
      const zero = c.bnd.every((b) => b === 0);
      if (zero) {
        if (this.o.strictChannelBindings) throw new SecurityError(SEC_E.BAD_BINDINGS, 'the initiator sent no channel bindings');
      } else if (!c.bnd.equals(channelBindingsHash(cb))) {
        throw new SecurityError(SEC_E.BAD_BINDINGS, 'channel bindings do not match');
      }
    }
    let flags = c.flags;
    if (!c.delegation) flags &= ~GSS_FLAG.DELEG;
    return { gssFlags: flags, delegation: c.delegation };
  }

  /**
   * The forwarded TGT (RFC 4121 4.1.1 Deleg, RFC 4120 5.8): a KRB-CRED whose enc-part MIT
   * encrypts in the initiator subkey and Windows in the ticket session key; both are tried, and
   * etype 0 (unencrypted, RFC 4120 5.8.1 allows it inside an encrypted authenticator) is read
   * as is. A delegation that cannot be read is dropped, not fatal.
   */
  private openDelegation(bytes: Buffer, subkey: Key, sessionKey: Key, crealm: string): Credential | undefined {
    try {
      const cred = decodeKrbCred(bytes);
      let plain: Buffer | undefined;
      if (cred.encPart.etype === 0) {
        plain = cred.encPart.cipher;
      } else {
        for (const k of [subkey, sessionKey]) {
          if (k.etype !== cred.encPart.etype) continue;
          try {
            plain = enctypeProfile(k.etype).decrypt(k.value, KEY_USAGE.KRB_CRED_ENCPART, cred.encPart.cipher);
            break;
          } catch (e) {
            if (!(e instanceof KrbCryptoError)) throw e;
          }
        }
      }
      if (!plain) throw new Error('KRB-CRED does not decrypt with the subkey or the session key');
      const enc = decodeEncKrbCredPart(plain);
      const info = enc.ticketInfo[0];
      const ticket = cred.tickets[0];
      if (!info || !ticket) throw new Error('KRB-CRED carries no ticket');
      const clientRealm = info.prealm ?? crealm;
      const now = new Date(this.now());
      return {
        crealm: clientRealm,
        cname: info.pname ?? { nameType: 1, nameString: [] },
        ticket,
        sessionKey: { etype: info.key.keytype, value: info.key.keyvalue },
        info: {
          key: info.key,
          lastReq: [],
          nonce: 0,
          flags: info.flags ?? 0,
          authtime: info.authtime ?? info.starttime ?? now,
          starttime: info.starttime,
          endtime: info.endtime ?? now,
          renewTill: info.renewTill,
          srealm: info.srealm ?? ticket.realm,
          sname: info.sname ?? ticket.sname,
          caddr: info.caddr,
        },
      };
    } catch (e) {
      this.delegationError = e instanceof Error ? e.message : String(e);
      return undefined;
    }
  }

  // ---- the PAC ------------------------------------------------------------------------

  private async readPac(part: EncTicketPart, serviceKey: Key): Promise<{ status: PacStatus; pac?: Pac; token?: LogonToken }> {
    let raw: Buffer | undefined;
    try {
      raw = extractPac(part.authorizationData);
    } catch {
      // AD-IF-RELEVANT that does not decode: the KDC's data is broken; treat it as a PAC we
      // cannot check, which (like a bad signature) must not authorize anything.
      throw apError(KDC_ERR.KRB_AP_ERR_MODIFIED, 'the ticket authorization data does not decode', SEC_E.LOGON_DENIED);
    }
    if (!raw) {
      if (this.o.requirePac) throw apError(KDC_ERR.KRB_AP_ERR_MODIFIED, 'the ticket carries no PAC', SEC_E.LOGON_DENIED);
      return { status: 'absent' };
    }
    // MS-PAC 2.8.1: the server signature, with the key that decrypted the ticket.
    let pac: Pac;
    try {
      pac = verifyPacServerSignature(raw, serviceKey);
    } catch (e) {
      throw apError(KDC_ERR.KRB_AP_ERR_MODIFIED, `PAC server signature check failed: ${e instanceof Error ? e.message : String(e)}`, SEC_E.LOGON_DENIED);
    }
    // MS-APDS 3.2: the KDC signature only the domain can check.
    const authority = this.o.authority;
    if (authority && this.o.verifyKdcSignature !== false) {
      const { server, kdc } = getPacSignatures(pac);
      let ok = false;
      try {
        ok = await authority.verifyPacKdcSignature(server.signature, kdc.signatureType, kdc.signature);
      } catch (e) {
        if (e instanceof SecurityError) throw e;
        throw new SecurityError(SEC_E.NO_AUTHENTICATING_AUTHORITY, 'the domain could not verify the PAC KDC signature');
      }
      if (!ok) throw apError(KDC_ERR.KRB_AP_ERR_MODIFIED, 'the PAC KDC signature is not the domain’s', SEC_E.LOGON_DENIED);
    }
    // MS-PAC 2.7: PAC_CLIENT_INFO must name this ticket's client and authtime (a PAC moved
    // from another ticket fails here). One that does not decode is treated as absent.
    const ciBytes = findPacBuffer(pac, PAC_TYPE.CLIENT_INFO);
    if (ciBytes) {
      let ci: { clientId: bigint; name: string } | undefined;
      try {
        ci = decodePacClientInfo(ciBytes);
      } catch {
        ci = undefined;
      }
      if (ci) {
        const names = [part.cname.nameString.join('/'), principalToString(part.cname)].map((s) => s.toLowerCase());
        if (ci.clientId !== dateToFileTime(part.authtime) || !names.includes(ci.name.toLowerCase())) {
          throw apError(KDC_ERR.KRB_AP_ERR_MODIFIED, 'PAC_CLIENT_INFO does not match the ticket', SEC_E.LOGON_DENIED);
        }
      }
    }
    const logonInfo = findPacBuffer(pac, PAC_TYPE.LOGON_INFO);
    if (!logonInfo) return { status: 'undecodable', pac };
    let info;
    try {
      info = decodeKerbValidationInfo(logonInfo);
    } catch {
      return { status: 'undecodable', pac };
    }
    let upn: string | undefined;
    let dnsDomainName: string | undefined;
    const upnBytes = findPacBuffer(pac, PAC_TYPE.UPN_DNS_INFO);
    if (upnBytes) {
      try {
        const u = decodeUpnDnsInfo(upnBytes);
        upn = u.upn || undefined;
        dnsDomainName = u.dnsDomainName || undefined;
      } catch {
        // optional buffer: ignored when unreadable
      }
    }
    const token = logonTokenFromValidationInfo(info, { logonType: 'network', authPackage: 'Kerberos', upn, dnsDomainName });
    return { status: 'verified', pac, token };
  }

  private minimalToken(part: EncTicketPart, sessionKey: Buffer): LogonToken {
    return {
      userSid: '',
      primaryGroupSid: '',
      groups: [],
      privileges: [],
      logonType: 'network',
      authPackage: 'Kerberos',
      userName: part.cname.nameString.join('/'),
      domainName: part.crealm,
      dnsDomainName: part.crealm.toLowerCase(),
      logonServer: '',
      profile: { fullName: '', homeDirectory: '', homeDrive: '', logonScript: '', profilePath: '' },
      userAccountControl: 0,
      logonTime: part.authtime,
      sessionKey,
    };
  }

  // ---- leg 3 (DCE style) --------------------------------------------------------------

  /**
   * MS-KILE 3.4.5.1: the initiator answers our AP-REP with an AP-REP of its own, bare, in the
   * ticket session key, echoing our sequence number. Its timestamp is not checked (Heimdal and
   * Windows do not either); the sequence numbers for messages stay those of the AP exchange.
   */
  private acceptDceReply(input: Buffer): Step {
    let raw = input;
    if (input[0] === 0x60) {
      const t = decodeKrb5Token(input);
      if (t.tokId !== TOK_ID.AP_REP) throw tokenError('expected the DCE-style AP-REP');
      raw = t.inner;
    }
    const rep = guard(SEC_E.INVALID_TOKEN, 'AP-REP', () => decodeApRep(raw));
    const key = this.dceSessionKey!;
    let plain: Buffer;
    try {
      plain = enctypeProfile(key.etype).decrypt(key.value, KEY_USAGE.AP_REP_ENCPART, rep.encPart.cipher);
    } catch (e) {
      if (e instanceof KrbCryptoError) throw apError(KDC_ERR.KRB_AP_ERR_BAD_INTEGRITY, 'the DCE-style AP-REP does not decrypt');
      throw e;
    }
    const part = guard(SEC_E.INVALID_TOKEN, 'EncAPRepPart', () => decodeEncApRepPart(plain));
    if (part.seqNumber !== this.dceOurSeq) throw new SecurityError(SEC_E.OUT_OF_SEQUENCE, 'the DCE-style AP-REP does not echo our sequence number');
    this.dceSessionKey = undefined;
    this.state = 'done';
    return { done: true };
  }

  private krbErrorToken(code: number, ticket: Ticket, bare: boolean): Buffer | undefined {
    try {
      const now = this.now();
      const err = encodeKrbError({
        pvno: 5,
        msgType: MSG_TYPE.KRB_ERROR,
        stime: new Date(Math.floor(now / 1000) * 1000),
        susec: (now % 1000) * 1000,
        errorCode: code,
        realm: ticket.realm,
        sname: ticket.sname,
      });
      return bare ? err : encodeKrb5Token(TOK_ID.KRB_ERROR, err, this.mech);
    } catch {
      return undefined;
    }
  }

  // ---- per-message --------------------------------------------------------------------

  protected ready(): MessageProtection {
    if (this.state !== 'done' || !this.protection) throw new SecurityError(SEC_E.INVALID_HANDLE, 'the security context is not established');
    // RFC 2743 1.2.3 / RFC 4121: the context lives as long as the ticket.
    if (this.expiresAt && this.now() > this.expiresAt.getTime()) throw new SecurityError(SEC_E.CONTEXT_EXPIRED, 'the security context has expired (ticket end time)');
    return this.protection;
  }
}
