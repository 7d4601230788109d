// S4uCertificateMapper: a joined member (no directory of its own) maps TLS client certificates
// through the DC with S4U2self + PA-S4U-X509-USER. The DC decides: alice's certificate gives
// alice's token (the same SIDs the DC's own DirectoryCertificateMapper gives), an unknown UPN
// and a disabled account are refused with their NTSTATUS, an unreachable DC is
// NO_AUTHENTICATING_AUTHORITY, and the machine TGT is reused between logons.

import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { STATUS_ACCOUNT_DISABLED, STATUS_NO_SUCH_USER } from '../../src/directory/ntstatus.js';
import { DirectoryCertificateMapper } from '../../src/http/certificate.js';
import type { KdcEvent } from '../../src/kerberos/kdc/context.js';
import { S4uCertificateMapper, joinDomain, loadMemberState, provisionBlobFor, type LoadedMember } from '../../src/member/index.js';
import { SEC_E, SecurityError } from '../../src/security/types.js';
import { certificateFor } from '../helpers/certs.js';

async function refusal(p: Promise<unknown>): Promise<SecurityError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SecurityError, String(e));
    return e;
  }
  assert.fail('expected a SecurityError');
}

describe('S4uCertificateMapper on a joined member', () => {
  let work: string;
  let domain: RunningDomain;
  let member: LoadedMember;
  const events: KdcEvent[] = [];
  const certs: Record<string, Buffer> = {};

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'authso-member-cert-'));
    domain = await startDomain({
      rpc: true,
      groups: [{ name: 'Engineering' }, { name: 'FileReaders', scope: 'domainLocal' }],
      users: [
        { name: 'alice', password: 'Alice-Passw0rd!', groups: ['Engineering', 'FileReaders'] },
        { name: 'dave', password: 'Dave-Passw0rd!', disabled: true },
      ],
      onEvent: (e) => events.push(e),
    });
    assert.ok(domain.epm);
    const { password } = await domain.directory.createComputer('member');
    const blob = await provisionBlobFor(domain.directory, 'member', password, { host: domain.epm.host, epmPort: domain.epm.port, kdcPort: domain.kdc.port });
    const statePath = join(work, 'member.state');
    await joinDomain({ provision: blob, statePath });
    member = await loadMemberState(statePath);
    certs.alice = (await certificateFor(work, 'alice', ['alice@example.test'])).der;
    certs.nobody = (await certificateFor(work, 'nobody', ['nobody@example.test'])).der;
    certs.dave = (await certificateFor(work, 'dave', ['dave@example.test'])).der;
  });
  after(async () => {
    member?.close();
    await domain?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('alice’s certificate maps to alice’s token, as the DC’s own mapper would', async () => {
    const mapper = new S4uCertificateMapper(member);
    const token = await mapper.mapCertificate(certs.alice);
    const alice = await domain.directory.getAccount('alice');
    assert.equal(token.userSid, alice.sid);
    assert.equal(token.userName, 'alice');
    assert.equal(token.domainName, 'EXAMPLE');
    assert.equal(token.authPackage, 'Certificate');
    assert.equal(token.logonType, 'network');
    assert.equal(token.upn, 'alice@example.test');
    const sids = token.groups.map((g) => g.sid);
    assert.ok(sids.includes(`${(await domain.directory.getDomain()).sid}-${(await domain.directory.getGroup('Engineering')).rid}`));
    assert.ok(sids.includes(`${(await domain.directory.getDomain()).sid}-${(await domain.directory.getGroup('FileReaders')).rid}`));
    assert.ok(sids.includes('S-1-18-2'), 'SERVICE_ASSERTED_IDENTITY (MS-SFU 3.2.5.1.2)');
    // The DC's own certificate logon gives the same user and groups (it asserts S-1-18-1 instead).
    const local = await new DirectoryCertificateMapper(domain.directory).mapCertificate(certs.alice);
    const strip = (l: string[]) => l.filter((s) => !s.startsWith('S-1-18-')).sort();
    assert.deepEqual(strip(sids), strip(local.groups.map((g) => g.sid)));
    assert.equal(token.primaryGroupSid, local.primaryGroupSid);
  });

  test('the machine TGT is fetched once and reused', async () => {
    const mapper = new S4uCertificateMapper(member);
    const before = events.filter((e) => e.event === 'as' && e.client?.startsWith('MEMBER$')).length;
    await Promise.all([mapper.mapCertificate(certs.alice), mapper.mapCertificate(certs.alice)]);
    await mapper.mapCertificate(certs.alice);
    const asks = events.filter((e) => e.event === 'as' && e.client?.startsWith('MEMBER$')).length - before;
    assert.equal(asks, 1);
    const s4u = events.filter((e) => e.event === 'tgs' && e.result === 'ok' && e.client === 'alice@EXAMPLE.TEST');
    assert.ok(s4u.length >= 3, 'one S4U2self per logon');
  });

  test('an unknown UPN and a disabled account are refused by the DC', async () => {
    const mapper = new S4uCertificateMapper(member);
    const unknown = await refusal(mapper.mapCertificate(certs.nobody));
    assert.equal(unknown.code, SEC_E.LOGON_DENIED);
    assert.equal(unknown.details.ntstatus, STATUS_NO_SUCH_USER);
    const disabled = await refusal(mapper.mapCertificate(certs.dave));
    assert.equal(disabled.code, SEC_E.LOGON_DENIED);
    assert.equal(disabled.details.ntstatus, STATUS_ACCOUNT_DISABLED);
    const junk = await refusal(mapper.mapCertificate(Buffer.from('not a certificate')));
    assert.equal(junk.code, SEC_E.LOGON_DENIED);
  });

  test('an unreachable DC is NO_AUTHENTICATING_AUTHORITY', async () => {
    // A port nothing listens on (bound, then closed).
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const mapper = new S4uCertificateMapper(member, { kdc: { host: '127.0.0.1', port } });
    const e = await refusal(mapper.mapCertificate(certs.alice));
    assert.equal(e.code, SEC_E.NO_AUTHENTICATING_AUTHORITY);
  });
});
