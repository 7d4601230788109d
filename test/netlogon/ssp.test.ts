// The Netlogon security provider (RPC auth type 68, MS-NRPC 3.3): our initiator against our
// acceptor, in memory and over the RPC runtime to the DC's Netlogon (NetrLogonSamLogonEx at
// PKT_INTEGRITY and PKT_PRIVACY), and tshark reading the sealed conversation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDomain } from '../../src/dc/domain.js';
import { ntHash } from '../../src/crypto/index.js';
import { computeNetlogonCredentialAes, computeSessionKeyAes, SecureChannelStore } from '../../src/netlogon/secure-channel.js';
import { decodeNlAuthNegotiate, encodeNlAuthNegotiate, NetlogonSspAcceptor, NetlogonSspInitiator } from '../../src/netlogon/ssp.js';
import { NetlogonAuthority } from '../../src/member/netlogon-authority.js';
import { NtlmAcceptor, NtlmInitiator } from '../../src/ntlm/index.js';
import { AUTHN, AUTHN_LEVEL } from '../../src/rpc/pdu.js';
import { SEC_E, SecurityError } from '../../src/security/types.js';
import { run } from '../helpers/peers.js';
import { captureLoopback } from '../helpers/tshark.js';

const ALICE = 'Alice-Password-1!';
const MACHINE = 'Member-Machine-Password-7';

function storeWithChannel(): { store: SecureChannelStore; sessionKey: Buffer } {
  const store = new SecureChannelStore();
  const cc = Buffer.from('0102030405060708', 'hex');
  const sc = store.newChallenge('MEMBER', cc);
  const nt = ntHash(MACHINE);
  const sessionKey = computeSessionKeyAes(nt, cc, sc);
  const r = store.authenticate({
    computerName: 'MEMBER',
    accountName: 'MEMBER$',
    accountRid: 1000,
    secureChannelType: 2,
    clientCredential: computeNetlogonCredentialAes(cc, sessionKey),
    clientFlags: 0x61004000 | 0x01000000,
    ntHashes: [nt],
  });
  assert.ok(r.ok);
  return { store, sessionKey };
}

async function established(): Promise<{ ini: NetlogonSspInitiator; acc: NetlogonSspAcceptor }> {
  const { store, sessionKey } = storeWithChannel();
  const ini = new NetlogonSspInitiator({ sessionKey, computerName: 'member', domainName: 'EXAMPLE' });
  const acc = new NetlogonSspAcceptor({ channels: store });
  const t1 = await ini.step();
  assert.equal(t1.done, false);
  const a1 = await acc.step(t1.output);
  assert.equal(a1.done, true);
  const t2 = await ini.step(a1.output);
  assert.equal(t2.done, true);
  assert.equal(acc.peerName, 'MEMBER');
  return { ini, acc };
}

test('NL_AUTH_MESSAGE negotiate round trip', () => {
  const m = encodeNlAuthNegotiate('example', 'member');
  assert.equal(m.readUInt32LE(0), 0);
  assert.equal(m.readUInt32LE(4), 3);
  assert.deepEqual(decodeNlAuthNegotiate(m), { domainName: 'EXAMPLE', computerName: 'MEMBER' });
  assert.throws(() => decodeNlAuthNegotiate(Buffer.from('0000000003000000414243', 'hex')), SecurityError);
});

test('acceptor refuses a computer without a secure channel', async () => {
  const acc = new NetlogonSspAcceptor({ channels: new SecureChannelStore() });
  await assert.rejects(acc.step(encodeNlAuthNegotiate('EXAMPLE', 'OTHER')), (e: unknown) => e instanceof SecurityError && e.code === SEC_E.LOGON_DENIED);
});

test('sign/verify and seal/unseal both ways; tampering and replay detected', async () => {
  const { ini, acc } = await established();
  const msg = Buffer.from('a request stub of some length..');
  const sig = ini.sign(msg);
  assert.equal(sig.length, 56);
  assert.equal(sig.readUInt16LE(0), 0x0013);
  assert.equal(sig.readUInt16LE(2), 0xffff);
  acc.verify(msg, sig);
  const back = acc.seal(Buffer.from('the answer'));
  assert.ok(!back.includes(Buffer.from('the answer')));
  assert.equal(back.readUInt16LE(2), 0x001a);
  assert.equal(ini.unseal(back).toString(), 'the answer');
  // Replay: the sequence number has moved on.
  assert.throws(() => acc.verify(msg, sig), (e: unknown) => e instanceof SecurityError);
  const s2 = ini.sign(msg);
  const tampered = Buffer.from(msg);
  tampered[0] ^= 1;
  assert.throws(() => acc.verify(tampered, s2), (e: unknown) => e instanceof SecurityError && e.code === SEC_E.MESSAGE_ALTERED);
});

const capture = (port: number, file: string, body: () => Promise<void>) => captureLoopback(`port ${port}`, file, body);

async function ntlmLogon(authority: NetlogonAuthority) {
  const ini = new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: ALICE });
  const acc = new NtlmAcceptor({ authority, netbiosComputerName: 'MEMBER', netbiosDomainName: 'EXAMPLE', dnsComputerName: 'member.example.test', dnsDomainName: 'example.test' });
  const a1 = await acc.step((await ini.step()).output);
  await acc.step((await ini.step(a1.output)).output);
  assert.ok(acc.peer);
  assert.ok(ini.sessionKey?.equals(acc.sessionKey ?? Buffer.alloc(0)));
  return acc.peer;
}

test('NetrLogonSamLogonEx over a type-68 bind at PKT_INTEGRITY and PKT_PRIVACY (tshark reads it)', async () => {
  const domain = await startDomain({ rpc: true, users: [{ name: 'alice', password: ALICE }] });
  const work = await mkdtemp(join(tmpdir(), 'authso-ssp-'));
  try {
    assert.ok(domain.rpc && domain.epm);
    await domain.directory.createComputer('member', { password: MACHINE });
    const body = async () => {
      for (const level of [AUTHN_LEVEL.PKT_INTEGRITY, AUTHN_LEVEL.PKT_PRIVACY]) {
        const authority = new NetlogonAuthority({
          host: '127.0.0.1',
          epmPort: domain.epm?.port,
          computerName: 'MEMBER',
          password: MACHINE,
          domainName: 'EXAMPLE',
          dnsDomainName: 'example.test',
          secureRpc: ({ sessionKey, computerName }) => ({
            type: AUTHN.NETLOGON,
            level,
            context: new NetlogonSspInitiator({ sessionKey, computerName, domainName: 'EXAMPLE' }),
          }),
        });
        try {
          const t = await ntlmLogon(authority);
          assert.equal(t.userName, 'alice');
          assert.equal(authority.client.sealed, true, 'logons went over the type-68 bind');
          if (level === AUTHN_LEVEL.PKT_PRIVACY) assert.equal(t.upn, 'alice@example.test');
        } finally {
          authority.close();
        }
      }
      // The default provider (secureRpc: true) seals.
      const sealed = new NetlogonAuthority({
        host: '127.0.0.1',
        epmPort: domain.epm?.port,
        computerName: 'MEMBER',
        password: MACHINE,
        domainName: 'EXAMPLE',
        dnsDomainName: 'example.test',
        secureRpc: true,
      });
      try {
        await Promise.all(Array.from({ length: 10 }, () => ntlmLogon(sealed)));
        assert.equal(sealed.client.sealed, true);
        assert.equal(sealed.client.establishments, 1);
      } finally {
        sealed.close();
      }
    };
    const pcap = join(work, 'ssp.pcap');
    if (!existsSync('/usr/bin/tshark')) {
      await body();
      return;
    }
    await capture(domain.rpc.port, pcap, body);
    const decode = ['-r', pcap, '-d', `tcp.port==${domain.rpc.port},dcerpc`];
    const all = await run('/usr/bin/tshark', [...decode, '-Y', 'dcerpc'], { env: { PATH: process.env.PATH } });
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /Bind_ack/);
    assert.match(all.stdout, /NetrLogonSamLogonEx response/);
    const bad = await run('/usr/bin/tshark', [...decode, '-Y', '_ws.malformed || _ws.expert.severity == error'], { env: { PATH: process.env.PATH } });
    assert.equal(bad.code, 0, bad.stderr);
    assert.equal(bad.stdout.trim(), '', `malformed or erroneous packets:\n${bad.stdout}`);
  } finally {
    await domain.stop();
    await rm(work, { recursive: true, force: true });
  }
});

test('a NetlogonClient without the provider on the DC falls back to SamLogonWithFlags', async () => {
  // A DC built without the type-68 acceptor is emulated by a client whose bind is refused: an
  // unknown auth type.
  const domain = await startDomain({ rpc: true, users: [{ name: 'alice', password: ALICE }] });
  try {
    await domain.directory.createComputer('member', { password: MACHINE });
    const authority = new NetlogonAuthority({
      host: '127.0.0.1',
      epmPort: domain.epm?.port,
      computerName: 'MEMBER',
      password: MACHINE,
      domainName: 'EXAMPLE',
      dnsDomainName: 'example.test',
      secureRpc: ({ sessionKey, computerName }) => ({
        type: 0x55,
        level: AUTHN_LEVEL.PKT_PRIVACY,
        context: new NetlogonSspInitiator({ sessionKey, computerName, domainName: 'EXAMPLE' }),
      }),
    });
    try {
      assert.equal((await ntlmLogon(authority)).userName, 'alice');
      assert.equal(authority.client.sealed, false);
    } finally {
      authority.close();
    }
  } finally {
    await domain.stop();
  }
});

test('hostile verifiers: short, wrong algorithms, bit flips in the sealed stub', async () => {
  const { ini, acc } = await established();
  const msg = Buffer.from('payload');
  const sig = ini.sign(msg);
  assert.throws(() => acc.verify(msg, sig.subarray(0, 20)), SecurityError);
  const wrongAlg = Buffer.from(sig);
  wrongAlg.writeUInt16LE(0x0077, 0); // HMAC-MD5: the RC4 variant is not accepted
  assert.throws(() => acc.verify(msg, wrongAlg), SecurityError);
  const fresh = await established();
  const sealed2 = fresh.ini.seal(Buffer.from('secret stub'));
  sealed2[sealed2.length - 1] ^= 0x40;
  assert.throws(() => fresh.acc.unseal(sealed2), (e: unknown) => e instanceof SecurityError && e.code === SEC_E.MESSAGE_ALTERED);
  assert.throws(() => fresh.acc.unseal(Buffer.alloc(10)), SecurityError);
  // A second negotiate on an established acceptor is refused.
  await assert.rejects(acc.step(encodeNlAuthNegotiate('EXAMPLE', 'MEMBER')), SecurityError);
  // UTF-8 (RFC 1035 compressed) computer name form.
  const utf8 = Buffer.concat([Buffer.from([0, 0, 0, 0, 0x10, 0, 0, 0]), Buffer.from([6]), Buffer.from('MEMBER'), Buffer.from([0])]);
  assert.deepEqual(decodeNlAuthNegotiate(utf8), { computerName: 'MEMBER' });
});
