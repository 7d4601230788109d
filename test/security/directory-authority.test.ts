// DirectoryAuthority: the DC's own answers to MS-APDS — NTLM validation (MS-NLMP 4.2 vectors,
// Windows' order of restriction and password checks, lockout, password history) and KDC
// signature verification of PACs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checksumProfile, checksumTypeForEnctype } from '../../src/crypto/registry.js';
import { KEY_USAGE } from '../../src/crypto/types.js';
import { Directory } from '../../src/directory/directory.js';
import {
  STATUS_ACCOUNT_DISABLED,
  STATUS_ACCOUNT_EXPIRED,
  STATUS_ACCOUNT_LOCKED_OUT,
  STATUS_INVALID_LOGON_HOURS,
  STATUS_LOGON_FAILURE,
  STATUS_PASSWORD_MUST_CHANGE,
  STATUS_WRONG_PASSWORD,
} from '../../src/directory/ntstatus.js';
import { addResourceGroups, buildValidationInfo } from '../../src/kerberos/kdc/pac-builder.js';
import { computeNtlmv2Response, desl, ntowfV1, ntowfV2, ntowfV2AsGiven } from '../../src/ntlm/crypto.js';
import { DirectoryAuthority, STATUS_NOLOGON_WORKSTATION_TRUST_ACCOUNT } from '../../src/security/directory-authority.js';
import { logonTokenFromValidationInfo } from '../../src/security/logon-token.js';
import { SEC_E, SecurityError, type NtlmValidationRequest } from '../../src/security/types.js';
import { hex } from '../crypto/hex.js';
import { provisioned } from '../directory/fixtures/tmp.js';

const CHALLENGE = hex('0123456789abcdef');
const PASSWORD = 'Alice-Passw0rd!';

function denied(ntstatus: number) {
  return (e: unknown) => {
    assert.ok(e instanceof SecurityError, String(e));
    assert.equal(e.code, SEC_E.LOGON_DENIED, e.message);
    assert.equal(e.details.ntstatus, ntstatus, `${e.message}: ntstatus 0x${(e.details.ntstatus ?? 0).toString(16)}`);
    return true;
  };
}

/** An NTLMv2 validation request as a client with this password would produce it. */
function v2Request(user: string, domain: string, password: string, o: { asGiven?: boolean; keyDomain?: string } = {}): NtlmValidationRequest {
  const nt = ntowfV1(password);
  const key = o.asGiven ? ntowfV2AsGiven(nt, user, o.keyDomain ?? domain) : ntowfV2(nt, user, o.keyDomain ?? domain);
  const avPairs = hex('02000e004500580041004d0050004c004500 00000000');
  const r = computeNtlmv2Response(key, CHALLENGE, hex('aaaaaaaaaaaaaaaa'), 133000000000000000n, avPairs);
  return {
    userName: user,
    domainName: domain,
    workstation: 'CLIENT1',
    serverChallenge: CHALLENGE,
    ntResponse: r.ntChallengeResponse,
    lmResponse: Buffer.alloc(24),
    logonType: 'network',
    parameterControl: 0x820,
  };
}

describe('MS-NLMP 4.2 vectors validated by the DC', () => {
  let dir: Directory;
  let path: string;
  before(async () => {
    path = await mkdtemp(join(tmpdir(), 'authso-nlmp-'));
    dir = await Directory.openSqlite(path);
    await dir.provision({ realm: 'DOMAIN.TEST', netbiosName: 'DOMAIN' });
    await dir.createUser('User', { password: 'Password' });
  });
  after(async () => {
    await dir?.close();
    await rm(path, { recursive: true, force: true });
  });

  test('4.2.4: the spec NTLMv2 response for User/Domain/Password gives its SessionBaseKey', async () => {
    const nt = hex(
      '68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000' +
        '02000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000',
    );
    const r = await new DirectoryAuthority(dir).validateNtlm({
      userName: 'User',
      domainName: 'Domain',
      workstation: 'COMPUTER',
      serverChallenge: CHALLENGE,
      ntResponse: nt,
      lmResponse: hex('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa'),
      logonType: 'network',
      parameterControl: 0,
    });
    assert.equal(r.userSessionKey.toString('hex'), '8de40ccadbc14a82f15cb0ad0de95ca3');
    assert.equal(r.token.userName, 'User');
    assert.equal(r.token.domainName, 'DOMAIN');
    assert.equal(r.token.authPackage, 'NTLM');
    assert.equal(r.token.logonType, 'network');
    assert.equal(r.lmSessionKey.length, 8);
  });

  test('4.2.2: the spec NTLMv1 response is refused by default and verified when allowed', async () => {
    const req: NtlmValidationRequest = {
      userName: 'User',
      domainName: 'Domain',
      workstation: 'COMPUTER',
      serverChallenge: CHALLENGE,
      ntResponse: hex('67c43011f30298a2ad35ece64f16331c44bdbed927841f94'),
      lmResponse: hex('98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13'),
      logonType: 'network',
      parameterControl: 0,
    };
    await assert.rejects(new DirectoryAuthority(dir).validateNtlm(req), denied(STATUS_LOGON_FAILURE));
    const r = await new DirectoryAuthority(dir, { allowNtlmV1: true }).validateNtlm(req);
    assert.equal(r.userSessionKey.toString('hex'), 'd87262b0cde4b1cb7499becccdf10784');
  });
});

describe('validateNtlm: lookup, password and restrictions in Windows order', () => {
  let p: Awaited<ReturnType<typeof provisioned>>;
  let auth: DirectoryAuthority;
  let now = new Date();
  before(async () => {
    p = await provisioned({ lockoutThreshold: 3, lockoutDuration: 1800, lockoutObservationWindow: 1800 });
    auth = new DirectoryAuthority(p.dir, { dcName: 'DC7', now: () => now });
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina']) await p.dir.createUser(u, { password: PASSWORD });
    await p.dir.createComputer('ws1', { password: 'Ws1-Machine-Passw0rd' });
  });
  after(async () => {
    await p?.cleanup();
  });

  test('the right password: token for the account, logon recorded, bad count reset', async () => {
    now = new Date();
    await assert.rejects(auth.validateNtlm(v2Request('alice', 'EXAMPLE', 'wrong-password')), denied(STATUS_WRONG_PASSWORD));
    assert.equal((await p.dir.getAccount('alice')).badPwdCount, 1);
    const r = await auth.validateNtlm(v2Request('alice', 'EXAMPLE', PASSWORD));
    const alice = await p.dir.getAccount('alice');
    assert.equal(r.token.userSid, alice.sid);
    assert.equal(r.token.logonServer, 'DC7');
    assert.equal(r.token.dnsDomainName, 'example.test');
    assert.equal(r.token.upn, 'alice@example.test');
    assert.equal(alice.badPwdCount, 0);
    await p.dir.flushLogonStats();
    assert.ok((await p.dir.getAccount('alice')).logonCount >= 1);
  });

  test('names: DNS domain, realm, empty domain, UPN; user name not upper-cased by the client; NIL-domain retry', async () => {
    for (const req of [
      v2Request('alice', 'example.test', PASSWORD),
      v2Request('alice', 'EXAMPLE.TEST', PASSWORD),
      v2Request('alice', '', PASSWORD),
      v2Request('alice@example.test', '', PASSWORD),
      v2Request('Alice', 'EXAMPLE', PASSWORD, { asGiven: true }),
      v2Request('alice', 'EXAMPLE', PASSWORD, { keyDomain: '' }),
    ]) {
      const r = await auth.validateNtlm(req);
      assert.equal(r.token.userName, 'alice', `${req.userName} / ${req.domainName}`);
    }
  });

  test('unknown user or foreign domain: STATUS_LOGON_FAILURE', async () => {
    await assert.rejects(auth.validateNtlm(v2Request('nobody', 'EXAMPLE', PASSWORD)), denied(STATUS_LOGON_FAILURE));
    await assert.rejects(auth.validateNtlm(v2Request('alice', 'OTHER', PASSWORD)), denied(STATUS_LOGON_FAILURE));
    await assert.rejects(auth.validateNtlm(v2Request('x'.repeat(5000), 'EXAMPLE', PASSWORD)), denied(STATUS_LOGON_FAILURE));
  });

  test('lockout: the threshold locks; a locked account answers LOCKED_OUT even to the right password, uncounted', async () => {
    now = new Date();
    for (let i = 0; i < 3; i++) await assert.rejects(auth.validateNtlm(v2Request('bob', 'EXAMPLE', `bad-${i}-passw0rd`)), denied(STATUS_WRONG_PASSWORD));
    await assert.rejects(auth.validateNtlm(v2Request('bob', 'EXAMPLE', PASSWORD)), denied(STATUS_ACCOUNT_LOCKED_OUT));
    await assert.rejects(auth.validateNtlm(v2Request('bob', 'EXAMPLE', 'bad-again-passw0rd')), denied(STATUS_ACCOUNT_LOCKED_OUT));
    assert.equal((await p.dir.getAccount('bob')).badPwdCount, 3);
    // After lockoutDuration the account opens again.
    now = new Date(Date.now() + 1801_000);
    await auth.validateNtlm(v2Request('bob', 'EXAMPLE', PASSWORD));
    now = new Date();
  });

  test('restrictions are revealed only with the right password', async () => {
    await p.dir.disableAccount('carol');
    await assert.rejects(auth.validateNtlm(v2Request('carol', 'EXAMPLE', 'bad-passw0rd')), denied(STATUS_WRONG_PASSWORD));
    await assert.rejects(auth.validateNtlm(v2Request('carol', 'EXAMPLE', PASSWORD)), denied(STATUS_ACCOUNT_DISABLED));

    await p.dir.setAccountFields('dave', { pwdLastSet: null });
    await assert.rejects(auth.validateNtlm(v2Request('dave', 'EXAMPLE', 'bad-passw0rd')), denied(STATUS_WRONG_PASSWORD));
    await assert.rejects(auth.validateNtlm(v2Request('dave', 'EXAMPLE', PASSWORD)), denied(STATUS_PASSWORD_MUST_CHANGE));

    await p.dir.setAccountFields('erin', { accountExpires: new Date(Date.now() - 60_000) });
    await assert.rejects(auth.validateNtlm(v2Request('erin', 'EXAMPLE', PASSWORD)), denied(STATUS_ACCOUNT_EXPIRED));

    await p.dir.setAccountFields('frank', { logonHours: Buffer.alloc(21) });
    await assert.rejects(auth.validateNtlm(v2Request('frank', 'EXAMPLE', PASSWORD)), denied(STATUS_INVALID_LOGON_HOURS));
  });

  test('the previous password fails without counting (N-2 history rule)', async () => {
    await p.dir.setPassword('gina', 'Gina-New-Passw0rd!');
    await assert.rejects(auth.validateNtlm(v2Request('gina', 'EXAMPLE', PASSWORD)), denied(STATUS_WRONG_PASSWORD));
    assert.equal((await p.dir.getAccount('gina')).badPwdCount, 0);
    await assert.rejects(auth.validateNtlm(v2Request('gina', 'EXAMPLE', 'never-was-it')), denied(STATUS_WRONG_PASSWORD));
    assert.equal((await p.dir.getAccount('gina')).badPwdCount, 1);
    await auth.validateNtlm(v2Request('gina', 'EXAMPLE', 'Gina-New-Passw0rd!'));
  });

  test('NTLMv1 refused by default before the account is touched', async () => {
    const nt = ntowfV1(PASSWORD);
    const req = { ...v2Request('alice', 'EXAMPLE', PASSWORD), ntResponse: desl(nt, CHALLENGE), lmResponse: Buffer.alloc(24) };
    await assert.rejects(auth.validateNtlm(req), denied(STATUS_LOGON_FAILURE));
    assert.equal((await p.dir.getAccount('alice')).badPwdCount, 0);
    await assert.rejects(auth.validateNtlm({ ...req, ntResponse: Buffer.alloc(5) }), denied(STATUS_LOGON_FAILURE));
  });

  test('malformed requests are invalid tokens', async () => {
    await assert.rejects(auth.validateNtlm({ ...v2Request('alice', 'EXAMPLE', PASSWORD), serverChallenge: Buffer.alloc(7) }), (e: unknown) => {
      assert.ok(e instanceof SecurityError && e.code === SEC_E.INVALID_TOKEN);
      return true;
    });
  });

  test('machine accounts need MSV1_0_ALLOW_WORKSTATION_TRUST_ACCOUNT', async () => {
    const req = v2Request('WS1$', 'EXAMPLE', 'Ws1-Machine-Passw0rd');
    await auth.validateNtlm(req);
    await assert.rejects(auth.validateNtlm({ ...req, parameterControl: 0 }), denied(STATUS_NOLOGON_WORKSTATION_TRUST_ACCOUNT));
  });

  test('the groups are those of a Kerberos service ticket of this domain (same builder), with NTLM well-known SIDs', async () => {
    await p.dir.createGroup('Eng', 'global');
    await p.dir.createGroup('Printers', 'domainLocal');
    await p.dir.createGroup('AllStaff', 'universal');
    await p.dir.addMember('Eng', 'alice');
    await p.dir.addMember('AllStaff', 'Eng');
    await p.dir.addMember('Printers', 'AllStaff');
    await p.dir.addMember('Administrators', 'Eng');
    const r = await auth.validateNtlm(v2Request('alice', 'EXAMPLE', PASSWORD));
    const account = await p.dir.getAccount('alice');
    const domain = await p.dir.getDomain();
    const membership = await p.dir.membership(account);
    const krbInfo = addResourceGroups(
      buildValidationInfo({ domain, account, membership, dcName: 'DC7', authtime: new Date(), clientName: 'alice', pacRequested: true, forTgt: false }),
      domain.sid,
      membership,
    );
    const krb = logonTokenFromValidationInfo(krbInfo, { logonType: 'network', authPackage: 'Kerberos' });
    const strip = (sids: string[], drop: string) => sids.filter((s) => s !== drop).sort();
    assert.deepEqual(
      strip(r.token.groups.map((g) => g.sid), 'S-1-5-64-10'),
      strip(krb.groups.map((g) => g.sid), 'S-1-18-1'),
    );
    const names = r.token.groups.map((g) => g.sid);
    for (const g of ['Eng', 'Printers', 'AllStaff']) assert.ok(names.includes((await p.dir.getGroup(g)).sid), g);
    assert.ok(names.includes('S-1-5-32-544'));
    assert.ok(r.token.privileges.length >= 1);
  });
});

describe('verifyPacKdcSignature', () => {
  let p: Awaited<ReturnType<typeof provisioned>>;
  before(async () => {
    p = await provisioned();
  });
  after(async () => {
    await p?.cleanup();
  });

  async function kdcSign(serverChecksum: Buffer) {
    const krbtgt = await p.dir.getKrbtgt();
    const key = krbtgt.secrets.current.keys[0];
    const type = checksumTypeForEnctype(key.etype);
    return { type, sig: checksumProfile(type).make(key.value, KEY_USAGE.KERB_NON_KERB_CKSUM_SALT, serverChecksum) };
  }

  test('a signature by the krbtgt key verifies; altered data, signature or type does not', async () => {
    const auth = new DirectoryAuthority(p.dir);
    const server = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
    const { type, sig } = await kdcSign(server);
    assert.equal(await auth.verifyPacKdcSignature(server, type, sig), true);
    const badSig = Buffer.from(sig);
    badSig[0] ^= 1;
    assert.equal(await auth.verifyPacKdcSignature(server, type, badSig), false);
    assert.equal(await auth.verifyPacKdcSignature(Buffer.concat([server, Buffer.alloc(1)]), type, sig), false);
    assert.equal(await auth.verifyPacKdcSignature(server, 9999, sig), false);
    assert.equal(await auth.verifyPacKdcSignature(server, -138, sig.subarray(0, 16)), false);
    assert.equal(await auth.verifyPacKdcSignature(server, type, Buffer.alloc(0)), false);
  });

  test('a signature by the previous krbtgt key still verifies after a krbtgt password change', async () => {
    const auth = new DirectoryAuthority(p.dir);
    const server = Buffer.from('server checksum bytes');
    const { type, sig } = await kdcSign(server);
    await p.dir.setPassword('krbtgt', 'K'.repeat(10) + '-new-krbtgt-passw0rd-0123456789');
    assert.equal(await auth.verifyPacKdcSignature(server, type, sig), true);
    const fresh = await kdcSign(server);
    assert.equal(await auth.verifyPacKdcSignature(server, fresh.type, fresh.sig), true);
  });
});
