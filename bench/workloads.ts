// The two measured exchanges, built with authso's own client code:
// - AS: PA-ENC-TIMESTAMP in the user's aes256-cts-hmac-sha1-96 key + PA-PAC-REQUEST, a fresh
//   nonce and timestamp per request, rotating over the bench users;
// - TGS: one TGT, a fresh authenticator (and nonce) per request, for one service principal.

import { enctypeProfile } from '../src/crypto/registry.js';
import type { Key } from '../src/crypto/types.js';
import { buildAsReq, encTimestamp, pacRequest, readAsRep } from '../src/kerberos/client/as-client.js';
import type { Credential } from '../src/kerberos/client/credential.js';
import { buildTgsReq, readTgsRep } from '../src/kerberos/client/tgs-client.js';
import { encodeKdcReq, MSG_TYPE, NT, type PrincipalName } from '../src/kerberos/messages/index.js';
import type { Workload } from './load.js';
import { tcpOnce, type Endpoint } from './transport.js';

export const AES256 = 18;
export const AES128 = 17;
/** The enctypes the bench client asks for, strongest first (as a default MIT or Windows client would). */
export const REQUEST_ETYPES: readonly number[] = [AES256, AES128];

export interface BenchUser {
  name: string;
  key: Key;
}

/** Derives each user's aes256 key once (salt = REALM + user name, as authso and MIT both use). */
export function deriveUsers(realm: string, names: readonly string[], password: string): BenchUser[] {
  const p = enctypeProfile(AES256);
  return names.map((name) => ({ name, key: { etype: AES256, value: p.stringToKey(password, realm + name) } }));
}

function userName(name: string): PrincipalName {
  return { nameType: NT.PRINCIPAL, nameString: [name] };
}

export function servicePrincipal(spn: string): PrincipalName {
  return { nameType: NT.SRV_INST, nameString: spn.split('/') };
}

function samePrincipal(a: PrincipalName, b: PrincipalName): boolean {
  return a.nameString.length === b.nameString.length && a.nameString.every((s, i) => s.toLowerCase() === b.nameString[i].toLowerCase());
}

export function asWorkload(realm: string, users: readonly BenchUser[]): Workload {
  if (users.length === 0) throw new Error('no bench users');
  let i = 0;
  return {
    name: 'AS-REQ',
    replyType: MSG_TYPE.AS_REP,
    next() {
      const u = users[i++ % users.length];
      const now = Date.now();
      const cname = userName(u.name);
      const req = buildAsReq({ realm, cname, etypes: REQUEST_ETYPES, padata: [encTimestamp(u.key, now), pacRequest(true)], now });
      const nonce = req.reqBody.nonce;
      return {
        bytes: encodeKdcReq(req),
        verify(reply: Buffer): void {
          const cred = readAsRep(reply, u.key, nonce);
          if (!samePrincipal(cred.cname, cname)) throw new Error(`AS-REP for ${cred.cname.nameString.join('/')}, asked for ${u.name}`);
          if (cred.ticket.sname.nameString[0]?.toLowerCase() !== 'krbtgt') throw new Error('AS-REP ticket is not a TGT');
        },
      };
    },
  };
}

export function tgsWorkload(realm: string, tgt: Credential, service: PrincipalName): Workload {
  return {
    name: 'TGS-REQ',
    replyType: MSG_TYPE.TGS_REP,
    next() {
      const req = buildTgsReq({ tgt, sname: service, realm, etypes: REQUEST_ETYPES });
      const nonce = req.reqBody.nonce;
      return {
        bytes: encodeKdcReq(req),
        verify(reply: Buffer): void {
          const cred = readTgsRep(reply, tgt, nonce);
          if (!samePrincipal(cred.ticket.sname, service)) throw new Error(`TGS-REP ticket for ${cred.ticket.sname.nameString.join('/')}`);
        },
      };
    },
  };
}

/** One AS exchange for the TGS workload's TGT (and a first check that the KDC answers correctly). */
export async function getTgt(ep: Endpoint, realm: string, user: BenchUser, timeoutMs: number): Promise<Credential> {
  const now = Date.now();
  const req = buildAsReq({ realm, cname: userName(user.name), etypes: REQUEST_ETYPES, padata: [encTimestamp(user.key, now), pacRequest(true)], now });
  const reply = await tcpOnce(ep, encodeKdcReq(req), timeoutMs);
  return readAsRep(reply, user.key, req.reqBody.nonce);
}
