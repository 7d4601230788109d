// S4U2self (MS-SFU): the PA-FOR-USER / PA-S4U-X509-USER codecs, then our client against our
// KDC in process — by name, by UPN, by certificate, the checksums, unknown and disabled users,
// the FORWARDABLE rules, S4U2proxy refused, hostile padata. Real peers (MIT kvno -U / -F,
// impacket getST) are in test/interop/s4u.test.ts.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checksumProfile, enctypeProfile } from '../../src/crypto/registry.js';
import { CKSUMTYPE, KEY_USAGE, type Key } from '../../src/crypto/types.js';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { STATUS_ACCOUNT_DISABLED, STATUS_ACCOUNT_LOCKED_OUT, STATUS_NO_SUCH_USER } from '../../src/directory/ntstatus.js';
import { UF } from '../../src/directory/types.js';
import { buildAsReq, encTimestamp, getInitialCredentials, sendToKdc } from '../../src/kerberos/client/as-client.js';
import { KrbErrorReply, type Credential } from '../../src/kerberos/client/credential.js';
import { buildS4uSelfReq, readS4uSelfRep, s4u2self } from '../../src/kerberos/client/s4u.js';
import { buildTgsReq } from '../../src/kerberos/client/tgs-client.js';
import { ticketKey } from '../../src/kerberos/kdc/etype-policy.js';
import { extractPac } from '../../src/kerberos/kdc/tickets.js';
import { decodeEncTicketPart, decodeKerbErrorData, decodeKerbExtError, decodeKrbError, encodeKdcReq, KerberosDecodeError } from '../../src/kerberos/messages/index.js';
import {
  decodePaForUser,
  decodePaS4uX509User,
  decodeS4uUserId,
  encodePaForUser,
  encodePaS4uX509User,
  encodeS4uUserId,
  PA_FOR_USER,
  PA_S4U_X509_USER,
  s4uByteArray,
  S4U_OPTION,
} from '../../src/kerberos/messages/s4u.js';
import { FLAG_BIT, flagMask, hasFlag, KDC_ERR, NT, type KdcReq, type Ticket } from '../../src/kerberos/messages/types.js';
import { decodeKerbValidationInfo, decodePacClientInfo, verifyPacKdcSignature, verifyPacServerSignature } from '../../src/pac/index.js';
import { PAC_TYPE } from '../../src/pac/types.js';
import { certificateFor } from '../helpers/certs.js';

const REALM = 'EXAMPLE.TEST';

function decryptTicket(ticket: Ticket, key: Key) {
  return decodeEncTicketPart(enctypeProfile(key.etype).decrypt(key.value, KEY_USAGE.KDC_REP_TICKET, ticket.encPart.cipher));
}

async function expectKrbError(p: Promise<unknown>, code: number, status?: number): Promise<KrbErrorReply> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof KrbErrorReply, String(e));
    assert.equal(e.code, code, e.message);
    if (status !== undefined) {
      const ed = decodeKerbErrorData(e.error.eData!);
      assert.equal(decodeKerbExtError(ed.dataValue!).status >>> 0, status);
    }
    return e;
  }
  assert.fail(`expected KRB-ERROR ${code}`);
}

describe('S4U codecs (MS-SFU 2.2.1, 2.2.2)', () => {
  test('PA-FOR-USER round trip and the S4UByteArray', () => {
    const v = {
      userName: { nameType: NT.PRINCIPAL, nameString: ['alice'] },
      userRealm: 'EXAMPLE.TEST',
      cksum: { cksumtype: CKSUMTYPE.HMAC_MD5, checksum: Buffer.alloc(16, 7) },
      authPackage: 'Kerberos',
    };
    assert.deepEqual(decodePaForUser(encodePaForUser(v)), v);
    assert.equal(s4uByteArray(v.userName, v.userRealm, v.authPackage).toString('hex'), '01000000' + Buffer.from('aliceEXAMPLE.TESTKerberos').toString('hex'));
    // Negative name types are little-endian two's complement (NT-MS-PRINCIPAL = -128).
    assert.equal(s4uByteArray({ nameType: -128, nameString: ['a', 'b'] }, 'R', 'K').toString('hex'), '80ffffff' + Buffer.from('abRK').toString('hex'));
  });

  test('PA-S4U-X509-USER round trip keeps the received user-id bytes; empty optionals are left out', () => {
    const userId = { nonce: 0xfedcba98, cname: { nameType: NT.ENTERPRISE, nameString: ['alice@example.test'] }, crealm: 'EXAMPLE.TEST', subjectCertificate: Buffer.from('3003020100', 'hex'), options: S4U_OPTION.USE_REPLY_KEY_USAGE };
    const enc = encodePaS4uX509User({ userId, checksum: { cksumtype: 16, checksum: Buffer.alloc(12, 1) } });
    const dec = decodePaS4uX509User(enc);
    assert.deepEqual(dec.userId, userId);
    assert.deepEqual(dec.userIdRaw, encodeS4uUserId(userId));
    assert.deepEqual(dec.checksum, { cksumtype: 16, checksum: Buffer.alloc(12, 1) });
    // No name strings, no certificate, no options: only nonce and crealm are written.
    const bare = encodeS4uUserId({ nonce: 1, cname: { nameType: 0, nameString: [] }, crealm: 'R', subjectCertificate: Buffer.alloc(0), options: 0 });
    assert.deepEqual(decodeS4uUserId(bare), { nonce: 1, crealm: 'R' });
  });

  test('hostile bytes: only KerberosDecodeError escapes', () => {
    const good = encodePaS4uX509User({ userId: { nonce: 5, crealm: 'R', subjectCertificate: randomBytes(40) }, checksum: { cksumtype: 16, checksum: Buffer.alloc(12) } });
    const inputs: Buffer[] = [Buffer.alloc(0), Buffer.from([0x30]), Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), good.subarray(0, good.length - 3), Buffer.concat([good, Buffer.from([0])])];
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(good);
      b[i % b.length] ^= 1 + (i % 255);
      inputs.push(b);
      inputs.push(randomBytes(1 + (i % 64)));
    }
    for (const input of inputs) {
      for (const dec of [decodePaS4uX509User, decodePaForUser, decodeS4uUserId]) {
        try {
          dec(input);
        } catch (e) {
          assert.ok(e instanceof KerberosDecodeError, `${dec.name}: ${String(e)}`);
        }
      }
    }
  });
});

describe('S4U2self: our client against our KDC', () => {
  let d: RunningDomain;
  let kdc: { host: string; port: number };
  let dir: string;
  let webTgt: Credential;
  let webKey: Key;
  const certs: Record<string, Buffer> = {};

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'authso-s4u-'));
    d = await startDomain({
      realm: REALM,
      groups: [{ name: 'Engineering' }, { name: 'WebReaders', scope: 'domainLocal' }],
      users: [
        { name: 'alice', password: 'Alice-Passw0rd!', groups: ['Engineering', 'WebReaders'] },
        { name: 'bob', password: 'Bob-Passw0rd!', upn: 'robert@corp.example' },
        { name: 'dave', password: 'Dave-Passw0rd!', disabled: true },
        { name: 'vip', password: 'Vip-Passw0rd!' },
        { name: 'locked', password: 'Locked-Passw0rd!' },
        { name: 'svc', password: 'Svc-Passw0rd!', supportedEncryptionTypes: 0x1c },
      ],
      services: [
        { computer: 'web', spns: ['HTTP/web.example.test'] },
        { computer: 'app', spns: ['HTTP/app.example.test'] },
      ],
      policy: { lockoutThreshold: 1, lockoutDuration: 1800, lockoutObservationWindow: 1800 },
    });
    kdc = d.kdc;
    await d.directory.setAccountControl('vip', UF.NOT_DELEGATED, 0);
    await d.directory.recordBadPassword((await d.directory.getAccount('locked')).rid, new Date());
    webTgt = await getInitialCredentials({ kdc, realm: REALM, user: 'WEB$', password: d.machinePasswords['WEB$'] });
    webKey = ticketKey((await d.directory.findClient('WEB$'))!)!.key;
    certs.alice = (await certificateFor(dir, 'alice', ['alice@example.test'])).der;
    certs.bob = (await certificateFor(dir, 'bob', ['robert@corp.example'])).der;
    certs.dave = (await certificateFor(dir, 'dave', ['dave@example.test'])).der;
    certs.nobody = (await certificateFor(dir, 'nobody', ['nobody@example.test'])).der;
    certs.two = (await certificateFor(dir, 'two', ['alice@example.test', 'bob@example.test'])).der;
    certs.none = (await certificateFor(dir, 'none', [])).der;
  });
  after(async () => {
    await d?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function checkAlicePac(cred: Credential, cname = 'alice') {
    const part = decryptTicket(cred.ticket, webKey);
    assert.deepEqual(part.cname.nameString, [cname]);
    assert.equal(part.crealm, REALM);
    const pac = verifyPacServerSignature(extractPac(part.authorizationData)!, webKey);
    verifyPacKdcSignature(pac, ticketKey(await d.directory.getKrbtgt())!.key);
    const info = decodeKerbValidationInfo(pac.buffers.find((b) => b.type === PAC_TYPE.LOGON_INFO)!.data);
    const alice = await d.directory.getAccount('alice');
    const domain = await d.directory.getDomain();
    assert.equal(info.logonDomainId, domain.sid);
    assert.equal(info.userId, alice.rid);
    const engineering = (await d.directory.getGroup('Engineering')).rid;
    assert.ok(info.groupIds.some((g) => g.relativeId === engineering));
    assert.deepEqual(info.resourceGroupIds.map((g) => g.relativeId), [(await d.directory.getGroup('WebReaders')).rid]);
    // MS-SFU 3.2.5.1.2: service-asserted, not authentication-authority-asserted.
    assert.ok(info.extraSids.some((s) => s.sid === 'S-1-18-2'));
    assert.ok(!info.extraSids.some((s) => s.sid === 'S-1-18-1'));
    assert.equal(decodePacClientInfo(pac.buffers.find((b) => b.type === PAC_TYPE.CLIENT_INFO)!.data).name, cname);
    return part;
  }

  test('by name: a ticket to WEB$ for alice with alice’s PAC, not forwardable', async () => {
    const cred = await s4u2self({ kdc, tgt: webTgt, forUser: { name: 'alice' } });
    assert.deepEqual(cred.cname.nameString, ['alice']);
    assert.deepEqual(cred.ticket.sname.nameString, ['WEB$']);
    const part = await checkAlicePac(cred);
    assert.ok(!hasFlag(part.flags, FLAG_BIT.FORWARDABLE));
    assert.ok(!hasFlag(cred.info.flags, FLAG_BIT.FORWARDABLE));
  });

  test('by UPN (enterprise name) and to another SPN of the same account', async () => {
    const cred = await s4u2self({ kdc, tgt: webTgt, forUser: { name: 'alice@example.test' }, sname: { nameType: NT.SRV_INST, nameString: ['HTTP', 'web.example.test'] } });
    // MS-SFU 3.2.5.1.2: the ticket names the user as asked; the PAC is the account's.
    assert.deepEqual(cred.cname.nameString, ['alice@example.test']);
    assert.equal(cred.cname.nameType, NT.ENTERPRISE);
    await checkAlicePac(cred, 'alice@example.test');
    const bob = await s4u2self({ kdc, tgt: webTgt, forUser: { name: 'robert@corp.example' } });
    assert.deepEqual(bob.cname.nameString, ['robert@corp.example']);
  });

  test('by certificate alone: the KDC maps the UPN (explicit or implicit) to the account', async () => {
    const cred = await s4u2self({ kdc, tgt: webTgt, certificate: certs.alice });
    assert.deepEqual(cred.cname.nameString, ['alice']);
    await checkAlicePac(cred);
    const bob = await s4u2self({ kdc, tgt: webTgt, certificate: certs.bob });
    assert.deepEqual(bob.cname.nameString, ['bob']);
    // certificate plus a matching name hint
    const both = await s4u2self({ kdc, tgt: webTgt, certificate: certs.alice, forUser: { name: 'alice' } });
    assert.deepEqual(both.cname.nameString, ['alice']);
  });

  test('certificates that map to no one, or to someone else than the name given, are refused', async () => {
    await expectKrbError(s4u2self({ kdc, tgt: webTgt, certificate: certs.nobody }), KDC_ERR.C_PRINCIPAL_UNKNOWN, STATUS_NO_SUCH_USER);
    await expectKrbError(s4u2self({ kdc, tgt: webTgt, certificate: certs.two }), KDC_ERR.C_PRINCIPAL_UNKNOWN, STATUS_NO_SUCH_USER);
    await expectKrbError(s4u2self({ kdc, tgt: webTgt, certificate: certs.none }), KDC_ERR.C_PRINCIPAL_UNKNOWN, STATUS_NO_SUCH_USER);
    await expectKrbError(s4u2self({ kdc, tgt: webTgt, certificate: randomBytes(100) }), KDC_ERR.C_PRINCIPAL_UNKNOWN);
    await expectKrbError(s4u2self({ kdc, tgt: webTgt, certificate: certs.alice, forUser: { name: 'bob' } }), KDC_ERR.POLICY);
  });

  test('unknown, disabled and locked-out users', async () => {
    await expectKrbError(s4u2self({ kdc, tgt: webTgt, forUser: { name: 'mallory' } }), KDC_ERR.C_PRINCIPAL_UNKNOWN, STATUS_NO_SUCH_USER);
    await expectKrbError(s4u2self({ kdc, tgt: webTgt, forUser: { name: 'dave' } }), KDC_ERR.CLIENT_REVOKED, STATUS_ACCOUNT_DISABLED);
    await expectKrbError(s4u2self({ kdc, tgt: webTgt, certificate: certs.dave }), KDC_ERR.CLIENT_REVOKED, STATUS_ACCOUNT_DISABLED);
    await expectKrbError(s4u2self({ kdc, tgt: webTgt, forUser: { name: 'locked' } }), KDC_ERR.CLIENT_REVOKED, STATUS_ACCOUNT_LOCKED_OUT);
    await expectKrbError(s4u2self({ kdc, tgt: webTgt, forUser: { name: 'alice', realm: 'OTHER.TEST' } }), KDC_ERR.WRONG_REALM);
  });

  test('forwardable only for a service trusted to authenticate for delegation, and never for NOT_DELEGATED users', async () => {
    const appTgt = await getInitialCredentials({ kdc, realm: REALM, user: 'APP$', password: d.machinePasswords['APP$'] });
    const appKey = ticketKey((await d.directory.findClient('APP$'))!)!.key;
    const before = await s4u2self({ kdc, tgt: appTgt, forUser: { name: 'alice' } });
    assert.ok(!hasFlag(decryptTicket(before.ticket, appKey).flags, FLAG_BIT.FORWARDABLE));
    await d.directory.setAccountControl('APP$', UF.TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION, 0);
    const trusted = await getInitialCredentials({ kdc, realm: REALM, user: 'APP$', password: d.machinePasswords['APP$'] });
    const fwd = await s4u2self({ kdc, tgt: trusted, forUser: { name: 'alice' } });
    assert.ok(hasFlag(decryptTicket(fwd.ticket, appKey).flags, FLAG_BIT.FORWARDABLE));
    assert.ok(hasFlag(fwd.info.flags, FLAG_BIT.FORWARDABLE));
    const vip = await s4u2self({ kdc, tgt: trusted, forUser: { name: 'vip' } });
    assert.ok(!hasFlag(decryptTicket(vip.ticket, appKey).flags, FLAG_BIT.FORWARDABLE));
  });

  /** Sends a request built by buildS4uSelfReq after `edit` changed its padata. */
  async function sendEdited(edit: (req: KdcReq) => void, o: Parameters<typeof buildS4uSelfReq>[0] = { kdc, tgt: webTgt, forUser: { name: 'alice' } }) {
    const { req, userId, requestChecksum } = buildS4uSelfReq(o);
    edit(req);
    return readS4uSelfRep(await sendToKdc(kdc, encodeKdcReq(req)), webTgt, userId, requestChecksum);
  }

  test('a PA-FOR-USER or PA-S4U-X509-USER changed after its checksum was made is KRB_AP_ERR_MODIFIED', async () => {
    // PA-FOR-USER alone, its name rewritten under the old checksum.
    await expectKrbError(
      sendEdited((req) => {
        req.padata = req.padata!.filter((p) => p.padataType !== PA_S4U_X509_USER);
        const pa = req.padata.find((p) => p.padataType === PA_FOR_USER)!;
        const v = decodePaForUser(pa.padataValue);
        pa.padataValue = encodePaForUser({ ...v, userName: { nameType: NT.PRINCIPAL, nameString: ['bob'] } });
      }),
      KDC_ERR.KRB_AP_ERR_MODIFIED,
    );
    // PA-S4U-X509-USER with another user under the old checksum.
    await expectKrbError(
      sendEdited((req) => {
        const pa = req.padata!.find((p) => p.padataType === PA_S4U_X509_USER)!;
        const v = decodePaS4uX509User(pa.padataValue);
        pa.padataValue = encodePaS4uX509User({ userId: { ...v.userId, cname: { nameType: NT.PRINCIPAL, nameString: ['bob'] } }, checksum: v.checksum });
        req.padata = req.padata!.filter((p) => p.padataType !== PA_FOR_USER);
      }),
      KDC_ERR.KRB_AP_ERR_MODIFIED,
    );
    // A checksum keyed with another key (not the TGT session key).
    await expectKrbError(
      sendEdited((req) => {
        const pa = req.padata!.find((p) => p.padataType === PA_FOR_USER)!;
        const v = decodePaForUser(pa.padataValue);
        const forged = checksumProfile(CKSUMTYPE.HMAC_MD5).make(randomBytes(32), 17, s4uByteArray(v.userName, v.userRealm, v.authPackage));
        pa.padataValue = encodePaForUser({ ...v, cksum: { cksumtype: CKSUMTYPE.HMAC_MD5, checksum: forged } });
      }),
      KDC_ERR.KRB_AP_ERR_MODIFIED,
    );
    // An unkeyed checksum protects nothing.
    await expectKrbError(
      sendEdited((req) => {
        const pa = req.padata!.find((p) => p.padataType === PA_FOR_USER)!;
        const v = decodePaForUser(pa.padataValue);
        pa.padataValue = encodePaForUser({ ...v, cksum: { cksumtype: CKSUMTYPE.RSA_MD5, checksum: Buffer.alloc(16) } });
      }),
      KDC_ERR.KRB_AP_ERR_INAPP_CKSUM,
    );
    // The user-id nonce must be the request's.
    await expectKrbError(
      sendEdited((req) => {
        req.padata = req.padata!.filter((p) => p.padataType !== PA_FOR_USER);
        const pa = req.padata.find((p) => p.padataType === PA_S4U_X509_USER)!;
        const v = decodePaS4uX509User(pa.padataValue);
        const userId = { ...v.userId, nonce: (v.userId.nonce + 1) >>> 0 };
        const ck = checksumProfile(v.checksum.cksumtype).make(webTgt.sessionKey.value, 26, encodeS4uUserId(userId));
        pa.padataValue = encodePaS4uX509User({ userId, checksum: { cksumtype: v.checksum.cksumtype, checksum: ck } });
      }),
      KDC_ERR.KRB_AP_ERR_MODIFIED,
    );
  });

  test('PA-FOR-USER alone (the old style impacket sends) works; the reply then has no echo', async () => {
    const { req } = buildS4uSelfReq({ kdc, tgt: webTgt, forUser: { name: 'alice' } });
    req.padata = req.padata!.filter((p) => p.padataType !== PA_S4U_X509_USER);
    const reply = await sendToKdc(kdc, encodeKdcReq(req));
    const { decodeKdcRep } = await import('../../src/kerberos/messages/index.js');
    const rep = decodeKdcRep(reply);
    assert.deepEqual(rep.cname.nameString, ['alice']);
    assert.equal(rep.padata, undefined);
  });

  test('S4U2self is for the requesting service itself; S4U2proxy is refused', async () => {
    await expectKrbError(
      s4u2self({ kdc, tgt: webTgt, forUser: { name: 'alice' }, sname: { nameType: NT.SRV_INST, nameString: ['HTTP', 'app.example.test'] } }),
      KDC_ERR.BADOPTION,
    );
    // S4U2proxy as impacket asks for it (no body checksum).
    const r2 = buildTgsReq({ tgt: webTgt, sname: { nameType: NT.SRV_INST, nameString: ['HTTP', 'app.example.test'] }, omitChecksum: true });
    r2.reqBody.kdcOptions = (r2.reqBody.kdcOptions | flagMask(FLAG_BIT.CNAME_IN_ADDL_TKT)) >>> 0;
    const err = decodeKrbError(await sendToKdc(kdc, encodeKdcReq(r2)));
    assert.equal(err.errorCode, KDC_ERR.BADOPTION);
  });

  test('AS-REQ with a certificate (how MIT kvno -F finds the realm): PREAUTH_REQUIRED, never a ticket', async () => {
    const as = async (names: string[], cert: Buffer, withTimestamp = false) => {
      const padata = [{ padataType: PA_S4U_X509_USER, padataValue: cert }];
      if (withTimestamp) {
        const key: Key = { etype: 18, value: enctypeProfile(18).stringToKey('Alice-Passw0rd!', 'EXAMPLE.TESTalice') };
        padata.push(encTimestamp(key));
      }
      const req = buildAsReq({ realm: REALM, cname: { nameType: NT.ENTERPRISE, nameString: names }, padata });
      const reply = await sendToKdc(kdc, encodeKdcReq(req));
      return decodeKrbError(reply);
    };
    assert.equal((await as([], certs.alice)).errorCode, KDC_ERR.PREAUTH_REQUIRED);
    // Even with alice's own pre-authentication, a name that is not hers gets no ticket.
    assert.equal((await as(['root'], certs.alice, true)).errorCode, KDC_ERR.PREAUTH_REQUIRED);
    assert.equal((await as([], certs.nobody)).errorCode, KDC_ERR.C_PRINCIPAL_UNKNOWN);
    assert.equal((await as([], randomBytes(64))).errorCode, KDC_ERR.C_PRINCIPAL_UNKNOWN);
    const dave = await as([], certs.dave);
    assert.equal(dave.errorCode, KDC_ERR.CLIENT_REVOKED);
    assert.equal(decodeKerbExtError(decodeKerbErrorData(dave.eData!).dataValue!).status >>> 0, STATUS_ACCOUNT_DISABLED);
  });

  test('an rc4 TGT session key: HMAC-MD5 checksums, and both checksums in the encrypted reply (use-reply-key-usage)', async () => {
    const svcTgt = await getInitialCredentials({ kdc, realm: REALM, user: 'svc', password: 'Svc-Passw0rd!', etypes: [23] });
    assert.equal(svcTgt.sessionKey.etype, 23);
    const { req, userId, requestChecksum } = buildS4uSelfReq({ kdc, tgt: svcTgt, forUser: { name: 'alice' } });
    const reply = await sendToKdc(kdc, encodeKdcReq(req));
    const cred = readS4uSelfRep(reply, svcTgt, userId, requestChecksum);
    assert.deepEqual(cred.cname.nameString, ['alice']);
    const enc = cred.info.encryptedPaData?.find((p) => p.padataType === PA_S4U_X509_USER);
    assert.ok(enc);
    assert.equal(enc.padataValue.length, 32);
    assert.deepEqual(enc.padataValue.subarray(0, 16), requestChecksum);
  });

  test('hostile padata: a KRB-ERROR every time, and the KDC keeps answering', async () => {
    for (let i = 0; i < 60; i++) {
      const type = i % 2 === 0 ? PA_FOR_USER : PA_S4U_X509_USER;
      const { req } = buildS4uSelfReq({ kdc, tgt: webTgt, forUser: { name: 'alice' } });
      const pa = req.padata!.find((p) => p.padataType === type)!;
      if (i % 3 === 0) pa.padataValue = randomBytes(i + 1);
      else {
        const b = Buffer.from(pa.padataValue);
        b[(i * 7) % b.length] ^= 0xff;
        pa.padataValue = i % 5 === 0 ? b.subarray(0, b.length - 2) : b;
      }
      const reply = await sendToKdc(kdc, encodeKdcReq(req));
      const err = decodeKrbError(reply);
      assert.ok(err.errorCode > 0, `round ${i}`);
      assert.notEqual(err.eText, 'internal error', `round ${i}`);
    }
    const cred = await s4u2self({ kdc, tgt: webTgt, forUser: { name: 'alice' } });
    assert.deepEqual(cred.cname.nameString, ['alice']);
  });
});
