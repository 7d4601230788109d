// Offline join end to end: `authso computer create --provision-out` and `authso join` as child
// processes against a running DC (startDomain with Netlogon + EPM), then a member server using
// loadMemberState's NetlogonAuthority and service keys.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startDomain } from '../../src/dc/domain.js';
import { deriveKeys } from '../../src/directory/keys.js';
import { provisionBlobFor } from '../../src/member/provision.js';
import { joinDomain, loadMemberState, readProvisionBlob, writeSecretJson, type MemberState } from '../../src/member/state.js';
import { NetlogonChannelError, NetlogonClient } from '../../src/netlogon/client.js';
import { NtlmAcceptor, NtlmInitiator } from '../../src/ntlm/index.js';
import { getInitialCredentials } from '../../src/kerberos/client/as-client.js';
import { KerberosAcceptor } from '../../src/kerberos/gss/acceptor.js';
import { KerberosInitiator } from '../../src/kerberos/gss/initiator.js';
import type { DomainAuthority, LogonToken } from '../../src/security/types.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/authso.mjs', import.meta.url));
const ALICE = 'Alice-Password-1!';

async function authso(...args: string[]): Promise<string> {
  const r = await run(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return r.stdout;
}

async function ntlmLogon(authority: DomainAuthority, user: string, password: string): Promise<LogonToken> {
  const ini = new NtlmInitiator({ user, domain: 'EXAMPLE', password });
  const acc = new NtlmAcceptor({ authority, netbiosComputerName: 'MEMBER', netbiosDomainName: 'EXAMPLE', dnsComputerName: 'member.example.test', dnsDomainName: 'example.test' });
  const a1 = await acc.step((await ini.step()).output);
  await acc.step((await ini.step(a1.output)).output);
  assert.ok(acc.peer);
  return acc.peer;
}

async function refused(host: string, port: number, password: string): Promise<boolean> {
  const c = new NetlogonClient({ host, epmPort: port, computerName: 'MEMBER', password });
  try {
    await c.connect();
    return false;
  } catch (e) {
    assert.ok(e instanceof NetlogonChannelError);
    assert.equal(e.status, 0xc0000022);
    return true;
  } finally {
    c.close();
  }
}

test('authso computer create --provision-out + authso join: state file, rotation, member authority', async () => {
  const work = await mkdtemp(join(tmpdir(), 'authso-join-'));
  const dataDir = join(work, 'dc');
  const domain = await startDomain({ rpc: true, dataDir, users: [{ name: 'alice', password: ALICE }] });
  try {
    assert.ok(domain.epm && domain.rpc);
    const blobPath = join(work, 'member.blob');
    const statePath = join(work, 'member.state');
    const out = await authso('computer', 'create', 'member', '--data-dir', dataDir, '--provision-out', blobPath, '--dc', '127.0.0.1', '--epm-port', String(domain.epm.port), '--kdc-port', String(domain.kdc.port));
    assert.match(out, /created computer MEMBER\$/);
    assert.equal((await stat(blobPath)).mode & 0o777, 0o600);
    const blob = await readProvisionBlob(blobPath);
    assert.equal(blob.accountName, 'MEMBER$');
    assert.equal(blob.netbiosDomainName, 'EXAMPLE');
    assert.equal(blob.dnsDomainName, 'example.test');
    assert.equal(blob.realm, 'EXAMPLE.TEST');
    assert.match(blob.domainSid, /^S-1-5-21-/);
    assert.deepEqual(blob.dc, { host: '127.0.0.1', name: 'DC1', epmPort: domain.epm.port, kdcPort: domain.kdc.port });
    assert.ok(blob.spns.includes('HOST/member.example.test'));
    assert.ok(!out.includes(blob.machinePassword), 'the password is not printed');

    const joined = await authso('join', '--provision', blobPath, '--state', statePath);
    assert.match(joined, /joined MEMBER\$/);
    assert.ok(!joined.includes(blob.machinePassword));
    assert.equal((await stat(statePath)).mode & 0o777, 0o600);
    const state = JSON.parse(await readFile(statePath, 'utf8')) as MemberState;
    assert.notEqual(state.machinePassword, blob.machinePassword, 'rotated');

    // The DC holds the state's password: same keys, and the one-time password is dead.
    const entry = await domain.directory.findClient('MEMBER$');
    assert.ok(entry);
    const dcKeys = entry.secrets.current.keys.map((k) => ({ etype: k.etype, value: k.value.toString('base64') }));
    assert.deepEqual(state.keys, dcKeys);
    assert.equal(state.kvno, entry.secrets.current.kvno);
    assert.equal(state.salt, entry.secrets.current.salt);
    assert.ok(await refused('127.0.0.1', domain.epm.port, blob.machinePassword), 'the blob password no longer opens a channel');

    // A member server from the state file.
    const member = await loadMemberState(statePath);
    try {
      const t = await ntlmLogon(member.authority, 'alice', ALICE);
      assert.equal(t.userName, 'alice');
      const keys = member.serviceKeys();
      assert.equal(keys[0].kvno, entry.secrets.current.kvno);
      assert.ok(keys[0].key.value.equals(deriveKeys(state.machinePassword, state.salt).keys[0].value));

      // Kerberos: a ticket from the DC's KDC for HOST/member, accepted with the state's keys; the
      // PAC's KDC signature is checked by the DC over the secure channel (KERB_VERIFY_PAC).
      const tgt = await getInitialCredentials({ kdc: domain.kdc, realm: domain.realm, user: 'alice', password: ALICE });
      const ini = new KerberosInitiator({ target: 'HOST/member.example.test', kdc: domain.kdc, tgt });
      const acc = new KerberosAcceptor({ keys, authority: member.authority });
      const k1 = await ini.step();
      const r1 = await acc.step(k1.output);
      assert.equal(r1.done, true);
      assert.equal(acc.peer?.userName, 'alice');
      assert.equal(acc.peer?.userSid, t.userSid);

      // Rotation from a running member: the state and the DC follow, the channel keeps working.
      const before = member.state.machinePassword;
      await member.rotatePassword();
      const after = JSON.parse(await readFile(statePath, 'utf8')) as MemberState;
      assert.notEqual(after.machinePassword, before);
      assert.equal(after.kvno, state.kvno + 1);
      const e2 = await domain.directory.findClient('MEMBER$');
      assert.deepEqual(after.keys, e2?.secrets.current.keys.map((k) => ({ etype: k.etype, value: k.value.toString('base64') })));
      assert.equal((await ntlmLogon(member.authority, 'alice', ALICE)).userName, 'alice');
    } finally {
      member.close();
    }
  } finally {
    await domain.stop();
    await rm(work, { recursive: true, force: true });
  }
});

test('a rotation interrupted after the DC took the new password is recovered from the pending password', async () => {
  const work = await mkdtemp(join(tmpdir(), 'authso-join-'));
  const domain = await startDomain({ rpc: true, users: [{ name: 'alice', password: ALICE }] });
  try {
    assert.ok(domain.epm);
    const { password } = await domain.directory.createComputer('member');
    const blob = await provisionBlobFor(domain.directory, 'member', password, { host: '127.0.0.1', epmPort: domain.epm.port });
    const statePath = join(work, 'state.json');
    const { state } = await joinDomain({ provision: blob, statePath });
    // The crash: the state says "pending X", the DC already has X.
    const pending = 'Pending-Machine-Password-9x!';
    await writeSecretJson(statePath, { ...state, pendingPassword: pending });
    await domain.directory.setPassword('MEMBER$', pending);
    const member = await loadMemberState(statePath);
    try {
      assert.equal((await ntlmLogon(member.authority, 'alice', ALICE)).userName, 'alice');
      assert.equal(member.state.machinePassword, pending);
      assert.equal(member.state.pendingPassword, undefined);
      await new Promise((r) => setTimeout(r, 100)); // the promotion is saved in the background
      const saved = JSON.parse(await readFile(statePath, 'utf8')) as MemberState;
      assert.equal(saved.machinePassword, pending);
      assert.equal(saved.kvno, (await domain.directory.findClient('MEMBER$'))?.secrets.current.kvno);
    } finally {
      member.close();
    }
  } finally {
    await domain.stop();
    await rm(work, { recursive: true, force: true });
  }
});
