// The DC's Netlogon handlers against impacket's MS-NRPC (request stubs built by impacket's nrpc
// NDR, our response stubs decoded by it, secure-channel values computed by it).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../../src/directory/directory.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import {
  computeNetlogonCredentialAes,
  computeSessionKeyAes,
  createNetlogonInterface,
  credentialPlus,
  NETLOGON_NEG,
  OPNUM,
  SecureChannelStore,
  STATUS_ACCESS_DENIED,
  type NetlogonCallContext,
  type NetlogonInterface,
} from '../../src/netlogon/index.js';
import { aesCfb8Decrypt } from '../../src/crypto/cfb8.js';
import { ntHash } from '../../src/crypto/nt-owf.js';
import { checksumProfile, checksumTypeForEnctype } from '../../src/crypto/registry.js';
import { ETYPE, KEY_USAGE } from '../../src/crypto/types.js';
import { ImpacketPeer, type Json } from './peer.js';
import {
  ALG_TYPE,
  CHARSET_TYPE,
  DIGEST_TYPE,
  QOP_TYPE,
  decodeDigestValidationResp,
  digestHa1,
  encodeDigestValidationReq,
  requestDigest,
  sessionHa1,
  type DigestValidationReq,
} from '../../src/digest/index.js';
import { decodePac, findPacBuffer } from '../../src/pac/pac.js';
import { PAC_TYPE } from '../../src/pac/types.js';
import { decodeKerbValidationInfo } from '../../src/pac/validation-info.js';

const STATUS_SUCCESS = 0;
const STATUS_WRONG_PASSWORD = 0xc000006a;
const STATUS_NO_SUCH_USER = 0xc0000064;
const STATUS_ACCOUNT_LOCKED_OUT = 0xc0000234;
const STATUS_INVALID_PARAMETER = 0xc000000d;
const FLAGS = 0x612fffff; // what Windows 10+ members offer
const MACHINE_PASSWORD = 'Machine-Password-0123456789-abcdef';
const ALICE_PASSWORD = 'Alice-Password-1!';
const SEALED: NetlogonCallContext = { authType: 68, authLevel: 6, peerName: 'MEMBER' };

let peer: ImpacketPeer;
let dir: Directory;
const internalErrors: unknown[] = [];
let dataDir: string;
let iface: NetlogonInterface;
let domainSid: string;

const hex = (b: Buffer) => b.toString('hex');
const unhex = (s: unknown) => Buffer.from(String(s), 'hex');
const call = (opnum: number, stub: Buffer, ctx: NetlogonCallContext = {}) => iface.opnums[opnum](stub, ctx);

before(async () => {
  peer = await ImpacketPeer.start();
  dataDir = await mkdtemp(join(tmpdir(), 'authso-netlogon-'));
  dir = await Directory.openSqlite(dataDir);
  const d = await dir.provision({ realm: 'EXAMPLE.TEST', netbiosName: 'EXAMPLE', policy: { lockoutThreshold: 3 } });
  domainSid = d.sid;
  await dir.createUser('alice', { password: ALICE_PASSWORD });
  await dir.createUser('bob', { password: 'Bob-Password-1!' });
  await dir.createGroup('Web Admins', 'global');
  await dir.addMember('Web Admins', 'alice');
  await dir.createComputer('member', { password: MACHINE_PASSWORD });
  await dir.createComputer('other', { password: 'Other-Machine-Password-42' });
  iface = createNetlogonInterface({
    directory: dir,
    authority: new DirectoryAuthority(dir, { dcName: 'DC1' }),
    dcName: 'DC1',
    dnsDomainName: 'example.test',
    channels: new SecureChannelStore(),
    onError: (e) => internalErrors.push(e),
  });
});

after(async () => {
  assert.deepEqual(internalErrors, [], 'no handler hit an internal error');
  peer.close();
  await dir.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** A secure channel established through the handlers; `stored` tracks the client's credential. */
interface Channel {
  sessionKey: Buffer;
  stored: Buffer;
  ts: number;
}

async function establish(computer = 'MEMBER', password = MACHINE_PASSWORD, flags = FLAGS): Promise<Channel & { rid: number; flags: number }> {
  const clientChallenge = Buffer.from('0123456789abcdef', 'hex');
  const rc = await peer.call('reqChallenge', { computer, clientChallenge: hex(clientChallenge) });
  const rcOut = await peer.call('decodeReqChallenge', { stub: hex(await call(OPNUM.NetrServerReqChallenge, unhex(rc.stub))) });
  assert.equal(rcOut.status, STATUS_SUCCESS);
  const v = await peer.call('vectors', { password, clientChallenge: hex(clientChallenge), serverChallenge: rcOut.serverChallenge, timestamp: 0 });
  const a3 = await peer.call('authenticate3', { account: `${computer}$`, computer, credential: v.clientCredential, flags });
  const a3Out = await peer.call('decodeAuthenticate3', { stub: hex(await call(OPNUM.NetrServerAuthenticate3, unhex(a3.stub))) });
  assert.equal(a3Out.status, STATUS_SUCCESS, `Authenticate3 status 0x${Number(a3Out.status).toString(16)}`);
  assert.equal(a3Out.serverCredential, v.serverCredential, "our server credential is impacket's");
  return { sessionKey: unhex(v.sessionKey), stored: unhex(v.clientCredential), ts: 1_700_000_000, rid: Number(a3Out.rid), flags: Number(a3Out.flags) };
}

/** One SamLogon call through impacket's NDR, advancing the channel when the server accepted it. */
async function samLogon(ch: Channel, logon: Json, opts: { call?: 'flags' | 'plain' | 'ex'; level?: number; ctx?: NetlogonCallContext; replay?: boolean } = {}) {
  const kind = opts.call ?? 'flags';
  const ts = opts.replay ? ch.ts : ++ch.ts;
  const req = await peer.call('samLogon', {
    call: kind,
    computer: 'MEMBER',
    sessionKey: hex(ch.sessionKey),
    stored: hex(ch.stored),
    timestamp: ts,
    validationLevel: opts.level ?? 3,
    logon,
  });
  const opnum = { flags: OPNUM.NetrLogonSamLogonWithFlags, plain: OPNUM.NetrLogonSamLogon, ex: OPNUM.NetrLogonSamLogonEx }[kind];
  const resp = await call(opnum, unhex(req.stub), opts.ctx);
  const out = await peer.call('decodeSamLogon', { call: kind, stub: hex(resp) });
  if (kind !== 'ex' && out.returnCredential === req.expectedReturn) ch.stored = unhex(req.nextStored);
  return { out, req };
}

test('secure-channel values equal impacket (session key, credentials, authenticators)', async () => {
  const cases = [
    { password: MACHINE_PASSWORD, clientChallenge: '0102030405060708', serverChallenge: 'a1b2c3d4e5f60718', timestamp: 1700000000 },
    { password: 'x', clientChallenge: 'ffffffffffffff00', serverChallenge: '0000000000000001', timestamp: 0xffffffff },
    { password: 'pässwörd-ünicode-€', clientChallenge: '1122334455667788', serverChallenge: '8877665544332211', timestamp: 7 },
  ];
  for (const c of cases) {
    const v = await peer.call('vectors', c);
    const nt = ntHash(c.password);
    assert.equal(hex(nt), v.ntHash);
    const sk = computeSessionKeyAes(nt, unhex(c.clientChallenge), unhex(c.serverChallenge));
    assert.equal(hex(sk), v.sessionKey);
    assert.equal(hex(sk), v.sessionKeyFromHash);
    const client = computeNetlogonCredentialAes(unhex(c.clientChallenge), sk);
    assert.equal(hex(client), v.clientCredential);
    assert.equal(hex(computeNetlogonCredentialAes(unhex(c.serverChallenge), sk)), v.serverCredential);
    assert.equal(hex(computeNetlogonCredentialAes(credentialPlus(client, c.timestamp), sk)), v.authenticatorCredential);
    assert.equal(hex(computeNetlogonCredentialAes(credentialPlus(client, c.timestamp + 1), sk)), v.returnCredential);
  }
});

test('ReqChallenge + Authenticate3 establish a channel (impacket stubs, impacket-decoded replies)', async () => {
  const ch = await establish();
  const member = await dir.getAccount('MEMBER$');
  assert.equal(ch.rid, member.rid);
  assert.equal(ch.flags & NETLOGON_NEG.SUPPORTS_AES, NETLOGON_NEG.SUPPORTS_AES);
  assert.equal(ch.flags & NETLOGON_NEG.AUTHENTICATED_RPC, NETLOGON_NEG.AUTHENTICATED_RPC);
  assert.equal(ch.flags & NETLOGON_NEG.ARCFOUR, 0, 'no RC4 channel is offered');
});

test('Authenticate3 refuses Zerologon (all-zero credential, no AES), a wrong password, and an unknown account', async () => {
  const zero = '0000000000000000';
  // CVE-2020-1472: zero client challenge, zero credential, flags without AES.
  const rc = await peer.call('reqChallenge', { computer: 'MEMBER', clientChallenge: zero });
  await call(OPNUM.NetrServerReqChallenge, unhex(rc.stub));
  const z = await peer.call('authenticate3', { account: 'MEMBER$', computer: 'MEMBER', credential: zero, flags: 0x212fffff });
  const zOut = await peer.call('decodeAuthenticate3', { stub: hex(await call(OPNUM.NetrServerAuthenticate3, unhex(z.stub))) });
  assert.equal(zOut.status, STATUS_ACCESS_DENIED);
  assert.equal(zOut.serverCredential, zero);
  // Even with AES offered, an all-zero credential (1 key in 256 for a zero challenge) is refused.
  for (let i = 0; i < 3; i++) {
    const rc2 = await peer.call('reqChallenge', { computer: 'MEMBER', clientChallenge: zero });
    await call(OPNUM.NetrServerReqChallenge, unhex(rc2.stub));
    const z2 = await peer.call('authenticate3', { account: 'MEMBER$', computer: 'MEMBER', credential: zero, flags: FLAGS });
    const z2Out = await peer.call('decodeAuthenticate3', { stub: hex(await call(OPNUM.NetrServerAuthenticate3, unhex(z2.stub))) });
    assert.equal(z2Out.status, STATUS_ACCESS_DENIED);
  }
  // Without a challenge first: refused.
  const noCh = await peer.call('authenticate3', { account: 'MEMBER$', computer: 'MEMBER', credential: '0102030405060708', flags: FLAGS });
  const noChOut = await peer.call('decodeAuthenticate3', { stub: hex(await call(OPNUM.NetrServerAuthenticate3, unhex(noCh.stub))) });
  assert.equal(noChOut.status, STATUS_ACCESS_DENIED);
  // A wrong machine password.
  await assert.rejects(establish('MEMBER', 'not-the-password'), /Authenticate3 status 0xc0000022/);
  // Unknown account: STATUS_NO_TRUST_SAM_ACCOUNT.
  await assert.rejects(establish('NOSUCH', MACHINE_PASSWORD), /Authenticate3 status 0xc000018b/);
  // The right password still works afterwards.
  await establish();
});

test('NetrLogonSamLogonWithFlags network logon: SIDs, encrypted session key, authenticator chain', async () => {
  const ch = await establish();
  const alice = await dir.getAccount('alice');
  const webAdmins = await dir.getGroup('Web Admins');
  const { out, req } = await samLogon(ch, { kind: 'network', user: 'alice', domain: 'EXAMPLE', password: ALICE_PASSWORD, serverChallenge: '0011223344556677' });
  assert.equal(out.status, STATUS_SUCCESS);
  assert.equal(out.returnCredential, req.expectedReturn, 'the return authenticator is the one 3.1.4.5 defines');
  assert.equal(out.tag, 3);
  assert.equal(out.userId, alice.rid);
  assert.equal(out.primaryGroupId, 513);
  assert.deepEqual([...(out.groupIds as number[])].sort(), [513, webAdmins.rid].sort());
  assert.equal(out.effectiveName, 'alice');
  assert.equal(out.logonDomainName, 'EXAMPLE');
  assert.equal(out.logonDomainId, domainSid);
  const extra = (out.extraSids as { sid: string }[]).map((s) => s.sid);
  assert.ok(extra.includes('S-1-5-32-545'), 'BUILTIN\\Users as an extra SID');
  assert.ok(!extra.includes('S-1-18-1'), 'no Kerberos asserted-identity SID on an NTLM logon');
  // UserSessionKey: the NTLMv2 session base key, AES-CFB8 encrypted under the session key.
  assert.equal(hex(aesCfb8Decrypt(ch.sessionKey, unhex(out.userSessionKey))), req.sessionBaseKey);

  // The chain continues: a second call with the advanced credential succeeds.
  const second = await samLogon(ch, { kind: 'network', user: 'alice', domain: 'EXAMPLE', password: ALICE_PASSWORD, serverChallenge: '0011223344556677' }, { call: 'plain' });
  assert.equal(second.out.status, STATUS_SUCCESS);
  assert.equal(second.out.returnCredential, second.req.expectedReturn);
});

test('a replayed authenticator is refused with STATUS_ACCESS_DENIED', async () => {
  const ch = await establish();
  const logon = { kind: 'network', user: 'alice', domain: 'EXAMPLE', password: ALICE_PASSWORD, serverChallenge: '0011223344556677' };
  const first = await samLogon(ch, logon);
  assert.equal(first.out.status, STATUS_SUCCESS);
  // The very same request stub again.
  const again = await peer.call('decodeSamLogon', { call: 'flags', stub: hex(await call(OPNUM.NetrLogonSamLogonWithFlags, unhex(first.req.stub))) });
  assert.equal(again.status, STATUS_ACCESS_DENIED);
  assert.equal(again.tag, 3);
  // The channel is not disturbed: the next genuine call works.
  const next = await samLogon(ch, logon);
  assert.equal(next.out.status, STATUS_SUCCESS);
});

test('wrong password → STATUS_WRONG_PASSWORD, counted toward lockout; unknown user → STATUS_NO_SUCH_USER', async () => {
  const ch = await establish();
  const bad = { kind: 'network', user: 'bob', domain: 'EXAMPLE', password: 'wrong-password', serverChallenge: '0011223344556677' };
  for (let i = 1; i <= 3; i++) {
    const { out } = await samLogon(ch, bad);
    assert.equal(out.status, i <= 3 ? STATUS_WRONG_PASSWORD : STATUS_ACCOUNT_LOCKED_OUT);
    assert.equal((await dir.getAccount('bob')).badPwdCount, i);
  }
  const { out: locked } = await samLogon(ch, { ...bad, password: 'Bob-Password-1!' });
  assert.equal(locked.status, STATUS_ACCOUNT_LOCKED_OUT, 'the lockout threshold (3) was reached');
  const { out: nobody } = await samLogon(ch, { ...bad, user: 'nobody' });
  assert.equal(nobody.status, STATUS_NO_SUCH_USER);
  await dir.unlockAccount('bob');
});

test('SAM_INFO4 only over a sealed call; then the session keys travel as they are', async () => {
  const ch = await establish();
  const logon = { kind: 'network', user: 'alice', domain: 'EXAMPLE', password: ALICE_PASSWORD, serverChallenge: '8899aabbccddeeff' };
  const plain = await samLogon(ch, logon, { level: 6 });
  assert.equal(plain.out.status, STATUS_INVALID_PARAMETER);
  assert.equal(plain.out.tag, 6);
  const sealed = await samLogon(ch, logon, { level: 6, ctx: SEALED });
  assert.equal(sealed.out.status, STATUS_SUCCESS);
  assert.equal(sealed.out.userSessionKey, sealed.req.sessionBaseKey);
  assert.equal(sealed.out.upn, 'alice@example.test');
  assert.equal(sealed.out.dnsLogonDomainName, 'example.test');
  // SamLogonEx: only over the member's Netlogon secure-channel bind.
  const ex = await samLogon(ch, logon, { call: 'ex', level: 6, ctx: SEALED });
  assert.equal(ex.out.status, STATUS_SUCCESS);
  const exOpen = await samLogon(ch, logon, { call: 'ex', level: 3, ctx: {} });
  assert.equal(exOpen.out.status, STATUS_ACCESS_DENIED);
});

test('interactive logon: AES-encrypted NT OWF checked against the directory', async () => {
  const ch = await establish();
  const ok = await samLogon(ch, { kind: 'interactive', user: 'alice', domain: 'EXAMPLE', password: ALICE_PASSWORD });
  assert.equal(ok.out.status, STATUS_SUCCESS);
  assert.equal(ok.out.userId, (await dir.getAccount('alice')).rid);
  const before = (await dir.getAccount('alice')).badPwdCount;
  const bad = await samLogon(ch, { kind: 'interactive', user: 'alice', domain: 'EXAMPLE', password: 'nope-nope' });
  assert.equal(bad.out.status, STATUS_WRONG_PASSWORD);
  assert.equal((await dir.getAccount('alice')).badPwdCount, before + 1);
  const good = await samLogon(ch, { kind: 'interactive', user: 'alice', domain: 'EXAMPLE', password: ALICE_PASSWORD });
  assert.equal(good.out.status, STATUS_SUCCESS);
  assert.equal((await dir.getAccount('alice')).badPwdCount, 0, 'a success resets the count');
});

test('generic logon: KERB_VERIFY_PAC with the krbtgt signature succeeds, a wrong one fails; a malformed WDigest request is refused', async () => {
  const ch = await establish();
  // MS-PAC 2.8.2: the KDC signature is the krbtgt's keyed checksum over the server checksum.
  const krbtgt = await dir.getKrbtgt();
  const key = krbtgt.secrets.current.keys.find((k) => k.etype === ETYPE.AES256_CTS_HMAC_SHA1_96);
  assert.ok(key);
  const type = checksumTypeForEnctype(key.etype);
  const serverChecksum = Buffer.alloc(12, 0x42);
  const signature = checksumProfile(type).make(key.value, KEY_USAGE.KERB_NON_KERB_CKSUM_SALT, serverChecksum);
  const good = Buffer.alloc(16);
  good.writeUInt32LE(3, 0);
  good.writeUInt32LE(serverChecksum.length, 4);
  good.writeInt32LE(type, 8);
  good.writeUInt32LE(signature.length, 12);
  const verify = await samLogon(
    ch,
    { kind: 'generic', user: 'alice', domain: 'EXAMPLE', package: 'Kerberos', data: hex(Buffer.concat([good, serverChecksum, signature])) },
    { level: 5 },
  );
  assert.equal(verify.out.status, STATUS_SUCCESS);
  assert.equal(verify.out.tag, 5);

  const req = Buffer.alloc(16 + 12 + 12);
  req.writeUInt32LE(3, 0);
  req.writeUInt32LE(12, 4);
  req.writeInt32LE(16, 8); // hmac-sha1-96-aes256
  req.writeUInt32LE(12, 12);
  const r = await samLogon(ch, { kind: 'generic', user: 'alice', domain: 'EXAMPLE', package: 'Kerberos', data: hex(req) }, { level: 5 });
  assert.equal(r.out.status, 0xc000006d); // STATUS_LOGON_FAILURE
  const d = await samLogon(ch, { kind: 'generic', user: 'alice', domain: 'EXAMPLE', package: 'WDigest', data: '00' }, { level: 5 });
  assert.equal(d.out.status, STATUS_INVALID_PARAMETER); // not a DIGEST_VALIDATION_REQ
});

test('generic logon: WDigest DIGEST_VALIDATION_REQ → DIGEST_VALIDATION_RESP with the session key and PAC (MS-APDS 3.3)', async () => {
  const ch = await establish();
  const nonce = 'bm9uY2UtZnJvbS10aGUtc2VydmVy';
  const cnonce = 'Y2xpZW50';
  const uri = '/private/x';
  const make = (over: Partial<DigestValidationReq> = {}, password = ALICE_PASSWORD, algType: number = ALG_TYPE.MD5_SESS) => {
    const r = { username: 'alice', realm: 'example.test', nonce, cnonce, nonceCount: '00000001', qop: 'auth', method: 'GET', uri, ...over };
    const ha1 = sessionHa1(digestHa1(r.username, r.realm, password), algType === ALG_TYPE.MD5_SESS ? 'MD5-sess' : 'MD5', nonce, cnonce);
    const response = requestDigest(ha1, { nonce, nc: r.nonceCount, cnonce, qop: 'auth' }, r.method, r.uri);
    const req: DigestValidationReq = {
      digestType: DIGEST_TYPE.HTTP,
      qopType: QOP_TYPE.AUTH,
      algType,
      charsetType: CHARSET_TYPE.UTF_8,
      nameFormat: 1,
      flags: 0,
      algorithm: algType === ALG_TYPE.MD5_SESS ? 'MD5-sess' : 'MD5',
      response,
      hentity: '',
      authzid: '',
      accountName: 'alice',
      domain: 'EXAMPLE',
      serverName: 'MEMBER',
      ...r,
      ...over,
    };
    return { data: hex(encodeDigestValidationReq(req)), ha1 };
  };
  const logon = (data: string) => samLogon(ch, { kind: 'generic', user: 'alice', domain: 'EXAMPLE', package: 'WDigest', data }, { level: 5 });

  const ok = make();
  const r = await logon(ok.data);
  assert.equal(r.out.status, STATUS_SUCCESS);
  assert.equal(r.out.tag, 5);
  const resp = decodeDigestValidationResp(unhex(r.out.validationData));
  assert.equal(resp.status, STATUS_SUCCESS);
  assert.equal(resp.sessionKey, hex(ok.ha1));
  assert.equal(resp.accountName, 'alice');
  const logonInfo = findPacBuffer(decodePac(resp.authData), PAC_TYPE.LOGON_INFO);
  assert.ok(logonInfo);
  const info = decodeKerbValidationInfo(logonInfo);
  assert.equal(info.userId, (await dir.getAccount('alice')).rid);
  assert.equal(info.effectiveName, 'alice');

  // Plain MD5 too.
  assert.equal((await logon(make({}, ALICE_PASSWORD, ALG_TYPE.MD5).data)).out.status, STATUS_SUCCESS);

  // A wrong password: STATUS_WRONG_PASSWORD, no RESP, and it counts.
  const before = (await dir.getAccount('alice')).badPwdCount;
  const bad = await logon(make({}, 'not-the-password').data);
  assert.equal(bad.out.status, STATUS_WRONG_PASSWORD);
  assert.equal((await dir.getAccount('alice')).badPwdCount, before + 1);
  assert.equal((await logon(make().data)).out.status, STATUS_SUCCESS);
  assert.equal((await dir.getAccount('alice')).badPwdCount, 0);

  // Unknown account: STATUS_NO_SUCH_USER (Flags bit A clear), STATUS_LOGON_FAILURE with it set.
  assert.equal((await logon(make({ username: 'nobody' }).data)).out.status, STATUS_NO_SUCH_USER);
  assert.equal((await logon(make({ username: 'nobody', flags: 1 }).data)).out.status, 0xc000006d);
  // auth-int is not validated.
  assert.equal((await logon(make({ qopType: QOP_TYPE.AUTH_INT, qop: 'auth-int' }).data)).out.status, 0xc00000bb);
});

test('NetrLogonGetCapabilities returns the negotiated flags under the authenticator', async () => {
  const ch = await establish();
  const q = await peer.call('getCapabilities', { computer: 'MEMBER', sessionKey: hex(ch.sessionKey), stored: hex(ch.stored), timestamp: ++ch.ts, level: 1 });
  const out = await peer.call('decodeGetCapabilities', { stub: hex(await call(OPNUM.NetrLogonGetCapabilities, unhex(q.stub))) });
  assert.equal(out.status, STATUS_SUCCESS);
  assert.equal(out.returnCredential, q.expectedReturn);
  assert.equal(out.capabilities, ch.flags);
});

test('NetrLogonGetDomainInfo level 1 describes the domain (minimal)', async () => {
  const ch = await establish();
  const q = await peer.call('getDomainInfo', { computer: 'MEMBER', sessionKey: hex(ch.sessionKey), stored: hex(ch.stored), timestamp: ++ch.ts });
  const out = await peer.call('decodeGetDomainInfo', { stub: hex(await call(OPNUM.NetrLogonGetDomainInfo, unhex(q.stub))) });
  assert.equal(out.status, STATUS_SUCCESS);
  assert.equal(out.returnCredential, q.expectedReturn);
  assert.equal(out.domainName, 'EXAMPLE');
  assert.equal(out.dnsDomainName, 'example.test');
  assert.equal(out.domainSid, domainSid);
  assert.equal(out.dnsHostNameInDs, 'member.example.test');
  // Replayed: refused.
  const replay = await peer.call('decodeGetDomainInfo', { stub: hex(await call(OPNUM.NetrLogonGetDomainInfo, unhex(q.stub))) });
  assert.equal(replay.status, STATUS_ACCESS_DENIED);
});

test('NetrServerPasswordSet2 sets the machine password (AES-CFB8 NL_TRUST_PASSWORD)', async () => {
  const ch = await establish('OTHER', 'Other-Machine-Password-42');
  const before = await dir.getKeyInfo('OTHER$');
  const q = await peer.call('passwordSet2', {
    account: 'OTHER$',
    computer: 'OTHER',
    sessionKey: hex(ch.sessionKey),
    stored: hex(ch.stored),
    timestamp: ++ch.ts,
    password: 'New-Machine-Password-Ω-99',
  });
  const out = await peer.call('decodePasswordSet2', { stub: hex(await call(OPNUM.NetrServerPasswordSet2, unhex(q.stub))) });
  assert.equal(out.status, STATUS_SUCCESS);
  assert.equal(out.returnCredential, q.expectedReturn);
  assert.equal((await dir.getKeyInfo('OTHER$')).kvno, before.kvno + 1);
  // The new password authenticates a new channel; the replayed set is refused.
  await establish('OTHER', 'New-Machine-Password-Ω-99');
  const replay = await peer.call('decodePasswordSet2', { stub: hex(await call(OPNUM.NetrServerPasswordSet2, unhex(q.stub))) });
  assert.equal(replay.status, STATUS_ACCESS_DENIED);
});

test('DsrGetDcNameEx2 names this DC; another domain is ERROR_NO_SUCH_DOMAIN', async () => {
  const q = await peer.call('dcName', { domain: 'example.test', flags: 0x40000000 });
  const out = await peer.call('decodeDcName', { stub: hex(await call(OPNUM.DsrGetDcNameEx2, unhex(q.stub))) });
  assert.equal(out.status, 0);
  assert.equal(out.dcName, '\\\\dc1.example.test');
  assert.equal(out.domainName, 'example.test');
  assert.equal(out.site, 'Default-First-Site-Name');
  const nb = await peer.call('decodeDcName', { stub: hex(await call(OPNUM.DsrGetDcNameEx2, unhex((await peer.call('dcName', { domain: 'EXAMPLE', flags: 0 })).stub))) });
  assert.equal(nb.dcName, '\\\\DC1');
  assert.equal(nb.domainName, 'EXAMPLE');
  const other = await peer.call('decodeDcName', { stub: hex(await call(OPNUM.DsrGetDcNameEx2, unhex((await peer.call('dcName', { domain: 'other.test', flags: 0 })).stub))) });
  assert.equal(other.status, 1355);
});
