// The KDC in one process: our client against our KDC for the checks a real peer cannot make
// easily (PAC contents and signatures, CVE-2021-42287, enctype policy, replay, tampering).
// Interop with real peers is in test/interop/.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { enctypeProfile } from '../../src/crypto/registry.js';
import { KEY_USAGE, type Key } from '../../src/crypto/types.js';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { buildAsReq, encTimestamp, getInitialCredentials, pacRequest, readAsRep, sendToKdc } from '../../src/kerberos/client/as-client.js';
import { KrbErrorReply, type Credential } from '../../src/kerberos/client/credential.js';
import { buildTgsReq, getServiceTicket, readTgsRep } from '../../src/kerberos/client/tgs-client.js';
import { ticketKey } from '../../src/kerberos/kdc/etype-policy.js';
import { extractPac, pacAuthorizationData, sealTicket } from '../../src/kerberos/kdc/tickets.js';
import {
  decodeEncTicketPart,
  decodeEtypeInfo2,
  decodeKrbError,
  decodeMethodData,
  encodeKdcReq,
} from '../../src/kerberos/messages/index.js';
import { KDC_ERR, NT, PA, type Ticket } from '../../src/kerberos/messages/types.js';
import {
  decodeKerbValidationInfo,
  decodePacClientInfo,
  decodePacRequestor,
  decodeUpnDnsInfo,
  encodePacRequestor,
  signPac,
  verifyPacKdcSignature,
  verifyPacServerSignature,
} from '../../src/pac/index.js';
import { PAC_TYPE } from '../../src/pac/types.js';

const REALM = 'EXAMPLE.TEST';
const HTTP = { nameType: NT.SRV_INST, nameString: ['HTTP', 'web.example.test'] };

function decryptTicket(ticket: Ticket, key: Key) {
  return decodeEncTicketPart(enctypeProfile(key.etype).decrypt(key.value, KEY_USAGE.KDC_REP_TICKET, ticket.encPart.cipher));
}

async function expectKrbError(p: Promise<unknown>, code: number): Promise<KrbErrorReply> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof KrbErrorReply, String(e));
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected KRB-ERROR ${code}`);
}

describe('KDC (in process)', () => {
  let d: RunningDomain;
  let kdc: { host: string; port: number };
  before(async () => {
    d = await startDomain({
      realm: REALM,
      groups: [{ name: 'Engineering' }, { name: 'WebReaders', scope: 'domainLocal' }],
      users: [
        { name: 'alice', password: 'Alice-Passw0rd!', groups: ['Engineering', 'WebReaders'], upn: 'alice@example.test' },
        { name: 'bob', password: 'Bob-Passw0rd!' },
        { name: 'rc4user', password: 'Rc4-Passw0rd!', supportedEncryptionTypes: 0x1c },
        { name: 'gone', password: 'Gone-Passw0rd!' },
      ],
      services: [{ computer: 'web', spns: ['HTTP/web.example.test'] }],
    });
    kdc = d.kdc;
  });
  after(async () => {
    await d?.stop();
  });

  const tgtOf = (user: string, password: string, etypes?: number[]) =>
    getInitialCredentials({ kdc, realm: REALM, user, password, etypes });

  test('PREAUTH_REQUIRED carries ETYPE-INFO2 with the AD salt, AES first', async () => {
    const req = buildAsReq({ realm: REALM, cname: { nameType: NT.PRINCIPAL, nameString: ['alice'] } });
    const err = decodeKrbError(await sendToKdc(kdc, encodeKdcReq(req)));
    assert.equal(err.errorCode, KDC_ERR.PREAUTH_REQUIRED);
    const info = decodeEtypeInfo2(decodeMethodData(err.eData!).find((p) => p.padataType === PA.ETYPE_INFO2)!.padataValue);
    assert.deepEqual(
      info.map((e) => [e.etype, e.salt]),
      [
        [18, 'EXAMPLE.TESTalice'],
        [17, 'EXAMPLE.TESTalice'],
      ],
    );
  });

  test('the service ticket PAC: signatures verify, SIDs match the directory, resource groups added', async () => {
    const tgt = await tgtOf('alice', 'Alice-Passw0rd!');
    const st = await getServiceTicket(kdc, { tgt, sname: HTTP });
    const svc = (await d.directory.findService(['HTTP', 'web.example.test']))!;
    const krbtgt = await d.directory.getKrbtgt();
    const part = decryptTicket(st.ticket, ticketKey(svc)!.key);
    const raw = extractPac(part.authorizationData)!;
    const pac = verifyPacServerSignature(raw, ticketKey(svc)!.key);
    verifyPacKdcSignature(pac, ticketKey(krbtgt)!.key);
    const buf = (t: number) => pac.buffers.find((b) => b.type === t)!.data;
    const info = decodeKerbValidationInfo(buf(PAC_TYPE.LOGON_INFO));
    const domain = await d.directory.getDomain();
    const alice = (await d.directory.getAccount('alice'))!;
    const eng = (await d.directory.getGroup('Engineering'))!;
    const readers = (await d.directory.getGroup('WebReaders'))!;
    assert.equal(info.logonDomainId, domain.sid);
    assert.equal(info.userId, alice.rid);
    assert.equal(info.effectiveName, 'alice');
    assert.equal(info.primaryGroupId, 513);
    const rids = info.groupIds.map((g) => g.relativeId).sort((a, b) => a - b);
    assert.deepEqual(rids, [513, eng.rid].sort((a, b) => a - b));
    assert.equal(info.resourceGroupDomainSid, domain.sid);
    assert.deepEqual(info.resourceGroupIds.map((g) => g.relativeId), [readers.rid]);
    assert.ok(info.extraSids.some((s) => s.sid === 'S-1-18-1'));
    assert.equal(decodePacClientInfo(buf(PAC_TYPE.CLIENT_INFO)).name, 'alice');
    const upn = decodeUpnDnsInfo(buf(PAC_TYPE.UPN_DNS_INFO));
    assert.equal(upn.upn, 'alice@example.test');
    assert.equal(upn.sid, alice.sid);
    assert.equal(decodePacRequestor(buf(PAC_TYPE.REQUESTOR)), alice.sid);
    assert.ok(!pac.buffers.some((b) => b.type === PAC_TYPE.ATTRIBUTES_INFO));
  });

  test('the TGT PAC has attributes and requestor; include-pac=false gives a ticket without PAC', async () => {
    const tgt = await tgtOf('alice', 'Alice-Passw0rd!');
    const krbtgt = await d.directory.getKrbtgt();
    const part = decryptTicket(tgt.ticket, ticketKey(krbtgt)!.key);
    const pac = verifyPacServerSignature(extractPac(part.authorizationData)!, ticketKey(krbtgt)!.key);
    assert.ok(pac.buffers.some((b) => b.type === PAC_TYPE.ATTRIBUTES_INFO));
    assert.ok(pac.buffers.some((b) => b.type === PAC_TYPE.REQUESTOR));

    const key: Key = { etype: 18, value: enctypeProfile(18).stringToKey('Alice-Passw0rd!', 'EXAMPLE.TESTalice') };
    const req = buildAsReq({ realm: REALM, cname: { nameType: NT.PRINCIPAL, nameString: ['alice'] }, padata: [encTimestamp(key), pacRequest(false)] });
    const cred = readAsRep(await sendToKdc(kdc, encodeKdcReq(req)), key, req.reqBody.nonce);
    assert.equal(extractPac(decryptTicket(cred.ticket, ticketKey(krbtgt)!.key).authorizationData), undefined);
  });

  test('RC4 only where the account allows it', async () => {
    await expectKrbError(tgtOf('alice', 'Alice-Passw0rd!', [23]), KDC_ERR.ETYPE_NOSUPP);
    const c = await tgtOf('rc4user', 'Rc4-Passw0rd!', [23]);
    assert.equal(c.info.key.keytype !== undefined, true);
  });

  test('a tampered request body fails the authenticator checksum', async () => {
    const tgt = await tgtOf('bob', 'Bob-Passw0rd!');
    const req = buildTgsReq({ tgt, sname: HTTP });
    req.reqBody.nonce ^= 1; // changes the body after the checksum was made
    const reply = await sendToKdc(kdc, encodeKdcReq(req));
    assert.equal(decodeKrbError(reply).errorCode, KDC_ERR.KRB_AP_ERR_MODIFIED);
  });

  test('a replayed TGS-REQ is refused', async () => {
    const tgt = await tgtOf('bob', 'Bob-Passw0rd!');
    const req = encodeKdcReq(buildTgsReq({ tgt, sname: HTTP }));
    await sendToKdc(kdc, req);
    assert.equal(decodeKrbError(await sendToKdc(kdc, req)).errorCode, KDC_ERR.KRB_AP_ERR_REPEAT);
  });

  test('no body checksum: accepted by default (impacket), refused when policy requires it', async () => {
    const tgt = await tgtOf('bob', 'Bob-Passw0rd!');
    const req = buildTgsReq({ tgt, sname: HTTP, omitChecksum: true });
    readTgsRep(await sendToKdc(kdc, encodeKdcReq(req)), tgt, req.reqBody.nonce);
    await d.directory.setPolicy({ requireTgsBodyChecksum: true });
    try {
      await new Promise((r) => setTimeout(r, 2100)); // the KDC caches policy for 2 s
      const req2 = buildTgsReq({ tgt, sname: HTTP, omitChecksum: true });
      assert.equal(decodeKrbError(await sendToKdc(kdc, encodeKdcReq(req2))).errorCode, KDC_ERR.KRB_AP_ERR_INAPP_CKSUM);
    } finally {
      await d.directory.setPolicy({ requireTgsBodyChecksum: false });
    }
  });

  test('CVE-2021-42287: a TGT whose PAC requestor is another account is refused', async () => {
    const tgt = await tgtOf('bob', 'Bob-Passw0rd!');
    const krbtgt = await d.directory.getKrbtgt();
    const kk = ticketKey(krbtgt)!;
    const part = decryptTicket(tgt.ticket, kk.key);
    const pac = verifyPacServerSignature(extractPac(part.authorizationData)!, kk.key);
    const alice = (await d.directory.getAccount('alice'))!;
    const forged = pac.buffers
      .filter((b) => b.type !== PAC_TYPE.SERVER_CHECKSUM && b.type !== PAC_TYPE.PRIVSVR_CHECKSUM)
      .map((b) => (b.type === PAC_TYPE.REQUESTOR ? { type: b.type, data: encodePacRequestor(alice.sid) } : b));
    part.authorizationData = pacAuthorizationData(signPac(forged, kk.key, kk.key));
    const forgedTgt: Credential = { ...tgt, ticket: sealTicket(part, kk.key, kk.kvno, REALM, tgt.ticket.sname) };
    await expectKrbError(getServiceTicket(kdc, { tgt: forgedTgt, sname: HTTP }), KDC_ERR.TGT_REVOKED);
  });

  test('CVE-2021-42287: a TGT for an account that no longer exists is refused', async () => {
    const tgt = await tgtOf('gone', 'Gone-Passw0rd!');
    await d.directory.deleteAccount('gone');
    await expectKrbError(getServiceTicket(kdc, { tgt, sname: HTTP }), KDC_ERR.TGT_REVOKED);
  });

  test('tickets survive one krbtgt and one service key rotation', async () => {
    const tgt = await tgtOf('bob', 'Bob-Passw0rd!');
    const before = await d.directory.getKrbtgt();
    await d.directory.setPassword('krbtgt', randomBytes(32).toString('base64'));
    await new Promise((r) => setTimeout(r, 2100)); // the KDC caches krbtgt keys for 2 s
    const after = await d.directory.getKrbtgt();
    assert.equal(after.secrets.current.kvno, before.secrets.current.kvno + 1);
    const st = await getServiceTicket(kdc, { tgt, sname: HTTP }); // old TGT, previous krbtgt key
    const svc = (await d.directory.findService(['HTTP', 'web.example.test']))!;
    const pac = verifyPacServerSignature(extractPac(decryptTicket(st.ticket, ticketKey(svc)!.key).authorizationData)!, ticketKey(svc)!.key);
    verifyPacKdcSignature(pac, ticketKey(after)!.key); // re-signed with the new krbtgt key
  });

  test('unknown service and wrong realm', async () => {
    const tgt = await tgtOf('bob', 'Bob-Passw0rd!');
    await expectKrbError(getServiceTicket(kdc, { tgt, sname: { nameType: NT.SRV_INST, nameString: ['HTTP', 'nope.example.test'] } }), KDC_ERR.S_PRINCIPAL_UNKNOWN);
  });

  test('hostile bytes: the KDC answers with a KRB-ERROR or drops, never throws', async () => {
    const { Kdc } = await import('../../src/kerberos/kdc/kdc.js');
    const k = new Kdc({ directory: d.directory, dcName: 'DC1' });
    const valid = encodeKdcReq(buildAsReq({ realm: REALM, cname: { nameType: NT.PRINCIPAL, nameString: ['alice'] } }));
    for (let i = 0; i < 2000; i++) {
      let b: Buffer;
      if (i % 3 === 0) b = randomBytes(i % 300);
      else if (i % 3 === 1) b = valid.subarray(0, i % valid.length);
      else {
        b = Buffer.from(valid);
        b[i % b.length] ^= 1 << i % 8;
      }
      const r = await k.handle(b, i % 2 === 0);
      if (r) assert.equal(r[0], 0x7e, 'reply is a KRB-ERROR or AS-REP-like application tag');
    }
  });
});
