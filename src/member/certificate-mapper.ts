// Certificate logon on a member server (which has no directory), the way Windows does it
// (KERB_CERTIFICATE_S4U_LOGON): the member's machine account gets a TGT with its own keys,
// asks the DC for an S4U2self ticket to itself with PA-S4U-X509-USER carrying the client's
// certificate (src/kerberos/client/s4u.ts), and the DC maps the certificate to the account with
// the DC's own rules (src/http/certificate.ts accountForCertificate, via src/kerberos/kdc/s4u.ts)
// and applies its restrictions. The ticket comes back encrypted in the machine key; it is read
// by the same KerberosAcceptor every Kerberos logon on this member goes through (ticket
// decryption, times, PAC server signature, PAC_CLIENT_INFO), so the token is built exactly as
// for a Kerberos logon, with authPackage 'Certificate'.
//
// The TGT is kept until shortly before it expires. The certificate has already been verified by
// the TLS layer (chain to a trusted CA, proof of the private key); the DC only maps it.

import { ENCTYPE_PREFERENCE, enctypeProfile } from '../crypto/registry.js';
import { KEY_USAGE, type Key } from '../crypto/types.js';
import { STATUS_LOGON_FAILURE, STATUS_NO_SUCH_USER } from '../directory/ntstatus.js';
import type { CertificateMapper } from '../http/certificate.js';
import { buildAsReq, encTimestamp, pacRequest, readAsRep, sendToKdc } from '../kerberos/client/as-client.js';
import { KrbErrorReply, type Credential } from '../kerberos/client/credential.js';
import { s4u2self } from '../kerberos/client/s4u.js';
import { KdcTransportError, type KdcAddress } from '../kerberos/client/transport.js';
import { KerberosAcceptor, type ServiceKey } from '../kerberos/gss/acceptor.js';
import { ReplayCache } from '../kerberos/kdc/replay-cache.js';
import { decodeKerbErrorData, decodeKerbExtError, encodeApReq, encodeAuthenticator, encodeKdcReq } from '../kerberos/messages/index.js';
import { KDC_ERR, MSG_TYPE, NT, type PrincipalName } from '../kerberos/messages/types.js';
import { SEC_E, SecurityError, type LogonToken } from '../security/types.js';
import type { MemberState } from './state.js';

/** What the mapper needs of a joined member (a LoadedMember fits). */
export interface S4uMember {
  readonly state: MemberState;
  serviceKeys(): ServiceKey[];
}

export interface S4uCertificateMapperOptions {
  /** The KDC; default the member state's DC host and kdcPort (88). */
  kdc?: KdcAddress;
  transport?: 'tcp' | 'udp';
  /** Renew the machine TGT this long before it expires (default 5 minutes). */
  refreshBeforeMs?: number;
  /** Clock in ms (tests move it). */
  now?: () => number;
}

/** MS-KILE 2.2.1 KERB_ERR_TYPE_EXTENDED: the NTSTATUS a KRB-ERROR carries, if any. */
function ntstatusOf(e: KrbErrorReply): number | undefined {
  if (!e.error.eData) return undefined;
  try {
    const ed = decodeKerbErrorData(e.error.eData);
    return ed.dataType === 3 && ed.dataValue ? decodeKerbExtError(ed.dataValue).status >>> 0 : undefined;
  } catch {
    return undefined;
  }
}

/** KDC errors about the machine's own TGT: a fresh TGT may cure them. */
const TGT_PROBLEMS = new Set<number>([KDC_ERR.KRB_AP_ERR_TKT_EXPIRED, KDC_ERR.KRB_AP_ERR_BADKEYVER, KDC_ERR.TGT_REVOKED, KDC_ERR.KRB_AP_ERR_MODIFIED, KDC_ERR.KRB_AP_ERR_BAD_INTEGRITY]);

export class S4uCertificateMapper implements CertificateMapper {
  private tgt?: Credential;
  private pending?: Promise<Credential>;
  private readonly now: () => number;
  private readonly replayCache = new ReplayCache(10 * 60 * 1000);

  constructor(
    private readonly member: S4uMember,
    private readonly o: S4uCertificateMapperOptions = {},
  ) {
    this.now = o.now ?? Date.now;
  }

  private get kdc(): KdcAddress {
    const dc = this.member.state.dc;
    return this.o.kdc ?? { host: dc.host, port: dc.kdcPort ?? 88 };
  }

  private get machineName(): PrincipalName {
    return { nameType: NT.PRINCIPAL, nameString: [this.member.state.accountName] };
  }

  /** The machine account's keys of the current kvno first (strongest first), then older ones. */
  private machineKeys(): Key[] {
    const s = this.member.state;
    const rank = (etype: number) => {
      const i = ENCTYPE_PREFERENCE.indexOf(etype);
      return i < 0 ? ENCTYPE_PREFERENCE.length : i;
    };
    return this.member
      .serviceKeys()
      .slice()
      .sort((a, b) => Number(b.kvno === s.kvno) - Number(a.kvno === s.kvno) || rank(a.key.etype) - rank(b.key.etype))
      .map((k) => k.key);
  }

  /** AS exchange for NAME$ with PA-ENC-TIMESTAMP in the machine key. */
  private async requestTgt(): Promise<Credential> {
    const s = this.member.state;
    let last: unknown;
    for (const key of this.machineKeys().slice(0, 4)) {
      const now = this.now();
      const req = buildAsReq({ realm: s.realm, cname: this.machineName, etypes: [key.etype], padata: [encTimestamp(key, now), pacRequest(true)], now, forwardable: false });
      try {
        return readAsRep(await sendToKdc(this.kdc, encodeKdcReq(req), this.o.transport), key, req.reqBody.nonce);
      } catch (e) {
        last = e;
        // Another key may be the one the DC has (an interrupted rotation); other errors are final.
        if (!(e instanceof KrbErrorReply) || (e.code !== KDC_ERR.PREAUTH_FAILED && e.code !== KDC_ERR.ETYPE_NOSUPP)) break;
      }
    }
    throw last;
  }

  private async machineTgt(fresh = false): Promise<Credential> {
    const margin = this.o.refreshBeforeMs ?? 5 * 60 * 1000;
    if (!fresh && this.tgt && this.tgt.info.endtime.getTime() - margin > this.now()) return this.tgt;
    this.pending ??= this.requestTgt().then(
      (c) => {
        this.tgt = c;
        this.pending = undefined;
        return c;
      },
      (e: unknown) => {
        this.pending = undefined;
        throw e;
      },
    );
    return this.pending;
  }

  async mapCertificate(der: Buffer): Promise<LogonToken> {
    if (!Buffer.isBuffer(der) || der.length === 0) throw new SecurityError(SEC_E.LOGON_DENIED, 'no certificate');
    let cred: Credential;
    try {
      let tgt = await this.machineTgt().catch((e: unknown) => {
        throw this.machineError(e);
      });
      try {
        cred = await s4u2self({ kdc: this.kdc, tgt, certificate: der, transport: this.o.transport, forwardable: false, now: this.now() });
      } catch (e) {
        if (!(e instanceof KrbErrorReply) || !TGT_PROBLEMS.has(e.code)) throw e;
        tgt = await this.machineTgt(true).catch((e2: unknown) => {
          throw this.machineError(e2);
        });
        cred = await s4u2self({ kdc: this.kdc, tgt, certificate: der, transport: this.o.transport, forwardable: false, now: this.now() });
      }
    } catch (e) {
      throw this.userError(e);
    }
    return this.tokenFrom(cred);
  }

  /** The machine account could not get its TGT: the domain cannot answer for anyone. */
  private machineError(e: unknown): SecurityError {
    if (e instanceof SecurityError) return e;
    if (e instanceof KdcTransportError) return new SecurityError(SEC_E.NO_AUTHENTICATING_AUTHORITY, `the DC is unreachable: ${e.message}`);
    if (e instanceof KrbErrorReply) {
      return new SecurityError(SEC_E.NO_AUTHENTICATING_AUTHORITY, `the DC refused the machine account ${this.member.state.accountName}: ${e.message}`, {
        krbError: e.code,
        ntstatus: ntstatusOf(e),
      });
    }
    return new SecurityError(SEC_E.NO_AUTHENTICATING_AUTHORITY, `no machine TGT: ${e instanceof Error ? e.message : String(e)}`);
  }

  /** The S4U2self failed: the DC refused the user (or could not be asked). */
  private userError(e: unknown): SecurityError {
    if (e instanceof SecurityError) return e;
    if (e instanceof KdcTransportError) return new SecurityError(SEC_E.NO_AUTHENTICATING_AUTHORITY, `the DC is unreachable: ${e.message}`);
    if (e instanceof KrbErrorReply) {
      const status = ntstatusOf(e) ?? (e.code === KDC_ERR.C_PRINCIPAL_UNKNOWN ? STATUS_NO_SUCH_USER : STATUS_LOGON_FAILURE);
      return new SecurityError(SEC_E.LOGON_DENIED, `the DC refused the certificate logon: ${e.message}`, { ntstatus: status, krbError: e.code });
    }
    return new SecurityError(SEC_E.LOGON_DENIED, `certificate logon failed: ${e instanceof Error ? e.message : String(e)}`);
  }

  /**
   * The S4U2self ticket through the member's Kerberos acceptor, as an AP-REQ the member makes to
   * itself with the ticket's session key: every check of a Kerberos logon applies, and the
   * token comes from the PAC (whose server signature is the machine key's).
   */
  private async tokenFrom(cred: Credential): Promise<LogonToken> {
    const now = this.now();
    const authenticator = encodeAuthenticator({
      authenticatorVno: 5,
      crealm: cred.crealm,
      cname: cred.cname,
      cusec: (now % 1000) * 1000,
      ctime: new Date(Math.floor(now / 1000) * 1000),
    });
    const key = cred.sessionKey;
    const apReq = encodeApReq({
      pvno: 5,
      msgType: MSG_TYPE.AP_REQ,
      apOptions: 0,
      ticket: cred.ticket,
      authenticator: { etype: key.etype, cipher: enctypeProfile(key.etype).encrypt(key.value, KEY_USAGE.AP_REQ_AUTH, authenticator) },
    });
    const acceptor = new KerberosAcceptor({ keys: this.member.serviceKeys(), requirePac: true, replayCache: this.replayCache, now: this.now });
    try {
      await acceptor.step(apReq);
    } catch (e) {
      throw new SecurityError(SEC_E.LOGON_DENIED, `the S4U2self ticket is not valid here: ${e instanceof Error ? e.message : String(e)}`);
    }
    const token = acceptor.peer;
    if (!token || acceptor.pacStatus !== 'verified') throw new SecurityError(SEC_E.LOGON_DENIED, 'the S4U2self ticket carries no usable PAC');
    return { ...token, authPackage: 'Certificate', sessionKey: undefined };
  }
}
