// A member server's NTLM acceptor validating through NetlogonAuthority against a real DC
// (startDomain with Netlogon + EPM over TCP), compared with the DC's own DirectoryAuthority.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { startDcRpcServices } from '../../src/dc/rpc-services.js';
import { NetlogonAuthority } from '../../src/member/netlogon-authority.js';
import { NtlmAcceptor, NtlmInitiator } from '../../src/ntlm/index.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import { SEC_E, SecurityError, type DomainAuthority, type LogonToken } from '../../src/security/types.js';
import { checksumProfile, checksumTypeForEnctype } from '../../src/crypto/registry.js';
import { KEY_USAGE } from '../../src/crypto/types.js';
import { STATUS_ACCOUNT_LOCKED_OUT, STATUS_WRONG_PASSWORD } from '../../src/directory/ntstatus.js';

const ALICE = 'Alice-Password-1!';
const BOB = 'Bob-Password-2!';
const MACHINE = 'Member-Machine-Password-7';

async function ntlmLogon(authority: DomainAuthority, user: string, password: string): Promise<LogonToken> {
  const ini = new NtlmInitiator({ user, domain: 'EXAMPLE', password, workstation: 'CLIENT1' });
  const acc = new NtlmAcceptor({ authority, netbiosComputerName: 'MEMBER', netbiosDomainName: 'EXAMPLE', dnsComputerName: 'member.example.test', dnsDomainName: 'example.test' });
  const t1 = await ini.step();
  const a1 = await acc.step(t1.output);
  const t2 = await ini.step(a1.output);
  const a2 = await acc.step(t2.output);
  assert.equal(a2.done, true);
  assert.ok(acc.peer);
  assert.ok(ini.sessionKey && acc.sessionKey && ini.sessionKey.equals(acc.sessionKey), 'both sides derive the same session key');
  return acc.peer;
}

function authorityFor(domain: RunningDomain, password = MACHINE, secureRpc = true): NetlogonAuthority {
  assert.ok(domain.epm);
  return new NetlogonAuthority({
    host: domain.epm.host,
    epmPort: domain.epm.port,
    computerName: 'MEMBER',
    password,
    dcName: 'DC1',
    domainName: 'EXAMPLE',
    dnsDomainName: domain.dnsName,
    secureRpc,
  });
}

function comparable(t: LogonToken) {
  return {
    userSid: t.userSid,
    primaryGroupSid: t.primaryGroupSid,
    groups: t.groups.map((g) => g.sid).sort(),
    userName: t.userName,
    domainName: t.domainName,
    authPackage: t.authPackage,
    logonType: t.logonType,
    upn: t.upn,
    dnsDomainName: t.dnsDomainName,
  };
}

for (const secureRpc of [false, true]) {
test(`NetlogonAuthority (${secureRpc ? 'SamLogonEx, sealed' : 'SamLogonWithFlags'}): tokens like DirectoryAuthority, wrong password, lockout counted at the DC, PAC verification`, async () => {
  const domain = await startDomain({
    rpc: true,
    users: [
      { name: 'alice', password: ALICE, groups: ['Staff'] },
      { name: 'bob', password: BOB },
    ],
    groups: [{ name: 'Staff' }],
    policy: { lockoutThreshold: 3, lockoutDuration: 600, lockoutObservationWindow: 600 },
  });
  const authority = authorityFor(domain, MACHINE, secureRpc);
  try {
    await domain.directory.createComputer('member', { password: MACHINE });
    const viaDc = await ntlmLogon(authority, 'alice', ALICE);
    const local = await ntlmLogon(new DirectoryAuthority(domain.directory), 'alice', ALICE);
    assert.deepEqual(comparable(viaDc), comparable(local));
    assert.ok(viaDc.groups.some((g) => g.sid === 'S-1-5-64-10'), 'NTLM authentication SID');

    await assert.rejects(ntlmLogon(authority, 'bob', 'wrong-password'), (e: unknown) => {
      assert.ok(e instanceof SecurityError);
      assert.equal(e.code, SEC_E.LOGON_DENIED);
      assert.equal(e.details.ntstatus, STATUS_WRONG_PASSWORD);
      assert.ok(!e.message.includes('wrong-password'));
      return true;
    });
    const bob = await domain.directory.findClient('bob');
    assert.equal(bob?.account.badPwdCount, 1, 'the DC counted the bad password');
    await assert.rejects(ntlmLogon(authority, 'bob', 'wrong-password'));
    await assert.rejects(ntlmLogon(authority, 'bob', 'wrong-password'));
    await assert.rejects(ntlmLogon(authority, 'bob', BOB), (e: unknown) => e instanceof SecurityError && e.details.ntstatus === STATUS_ACCOUNT_LOCKED_OUT);

    // The capabilities call exercises the authenticator chain on its own.
    const caps = await authority.client.getCapabilities();
    assert.ok((caps & 0x01000000) !== 0, 'AES negotiated');
    assert.equal(authority.client.establishments, 1);
    assert.equal(authority.client.sealed, secureRpc);

    // KERB_VERIFY_PAC (MS-APDS 3.2) as a generic logon: the krbtgt's signature verifies, others do not.
    const krbtgt = await domain.directory.getKrbtgt();
    const key = krbtgt.secrets.current.keys[0];
    const type = checksumTypeForEnctype(key.etype);
    const serverChecksum = Buffer.alloc(12, 7);
    const kdcSignature = checksumProfile(type).make(key.value, KEY_USAGE.KERB_NON_KERB_CKSUM_SALT, serverChecksum);
    assert.equal(await authority.verifyPacKdcSignature(serverChecksum, type, kdcSignature), true);
    const forged = Buffer.from(kdcSignature);
    forged[0] ^= 1;
    assert.equal(await authority.verifyPacKdcSignature(serverChecksum, type, forged), false);
  } finally {
    authority.close();
    await domain.stop();
  }
});
}

test('NetlogonAuthority: DC unreachable → NO_AUTHENTICATING_AUTHORITY; wrong machine password refused', async () => {
  const domain = await startDomain({ rpc: true, users: [{ name: 'alice', password: ALICE }] });
  try {
    await domain.directory.createComputer('member', { password: MACHINE });
    const wrong = authorityFor(domain, 'not-the-machine-password');
    await assert.rejects(ntlmLogon(wrong, 'alice', ALICE), (e: unknown) => e instanceof SecurityError && e.code === SEC_E.NO_AUTHENTICATING_AUTHORITY);
    wrong.close();
    const nowhere = new NetlogonAuthority({ host: '127.0.0.1', port: 1, computerName: 'MEMBER', password: MACHINE, domainName: 'EXAMPLE', dnsDomainName: 'example.test' });
    await assert.rejects(ntlmLogon(nowhere, 'alice', ALICE), (e: unknown) => e instanceof SecurityError && e.code === SEC_E.NO_AUTHENTICATING_AUTHORITY);
    nowhere.close();
  } finally {
    await domain.stop();
  }
});

test('NetlogonAuthority: 200 concurrent validations share one channel', async () => {
  const domain = await startDomain({ rpc: true, users: [{ name: 'alice', password: ALICE }] });
  const authority = authorityFor(domain);
  try {
    await domain.directory.createComputer('member', { password: MACHINE });
    const tokens = await Promise.all(Array.from({ length: 200 }, () => ntlmLogon(authority, 'alice', ALICE)));
    assert.equal(tokens.length, 200);
    assert.ok(tokens.every((t) => t.userName === 'alice'));
    assert.ok(authority.client.establishments <= 2, `${authority.client.establishments} establishments`);
  } finally {
    authority.close();
    await domain.stop();
  }
});

test('NetlogonAuthority: re-establishes its channel after the DC restarts its RPC services', async () => {
  const domain = await startDomain({ users: [{ name: 'alice', password: ALICE }] });
  let rpc = await startDcRpcServices({ directory: domain.directory, host: '127.0.0.1', rpcPort: 0, epmPort: 0, dcName: 'DC1' });
  const ports = { rpcPort: rpc.rpc.port, epmPort: rpc.epm.port };
  const authority = new NetlogonAuthority({
    host: '127.0.0.1',
    epmPort: ports.epmPort,
    computerName: 'MEMBER',
    password: MACHINE,
    dcName: 'DC1',
    domainName: 'EXAMPLE',
    dnsDomainName: domain.dnsName,
    failureHoldMs: 0,
  });
  try {
    await domain.directory.createComputer('member', { password: MACHINE });
    await ntlmLogon(authority, 'alice', ALICE);
    assert.equal(authority.client.establishments, 1);
    await rpc.close();
    // While the DC is down: no authority.
    await assert.rejects(ntlmLogon(authority, 'alice', ALICE), (e: unknown) => e instanceof SecurityError && e.code === SEC_E.NO_AUTHENTICATING_AUTHORITY);
    rpc = await startDcRpcServices({ directory: domain.directory, host: '127.0.0.1', ...ports, dcName: 'DC1' });
    // The new DC process has no secure channel for us: the authority re-establishes and retries.
    const t = await ntlmLogon(authority, 'alice', ALICE);
    assert.equal(t.userName, 'alice');
    assert.equal(authority.client.establishments, 2);
    // Same after a restart while the member's connection stays idle (the old connection is dead).
    await rpc.close();
    rpc = await startDcRpcServices({ directory: domain.directory, host: '127.0.0.1', ...ports, dcName: 'DC1' });
    const many = await Promise.all(Array.from({ length: 20 }, () => ntlmLogon(authority, 'alice', ALICE)));
    assert.equal(many.length, 20);
    assert.equal(authority.client.establishments, 3, 'waiters shared one re-establishment');
  } finally {
    authority.close();
    await rpc.close();
    await domain.stop();
  }
});
