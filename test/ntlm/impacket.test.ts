// impacket (system python3-impacket) as the real NTLM peer, through fixtures/impacket_ntlm.py:
// - impacket's client (getNTLMSSPType1 / getNTLMSSPType3) against our NtlmAcceptor with the DC's
//   DirectoryAuthority over a startDomain() directory: right and wrong passwords, lockout, NT
//   hash credentials, and sign/seal both ways with impacket's SIGN/SEAL;
// - our NtlmInitiator checked by impacket's primitives: the NtChallengeResponse recomputed with
//   ntlm.computeResponseNTLMv2, the MIC, and sign/seal both ways.
// A missing python3 or impacket fails these tests: they are never skipped.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { STATUS_ACCOUNT_LOCKED_OUT, STATUS_WRONG_PASSWORD } from '../../src/directory/ntstatus.js';
import { NtlmAcceptor, NtlmInitiator, ntowfV1 } from '../../src/ntlm/index.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import { SEC_E, SecurityError } from '../../src/security/types.js';
import { requirePeer, SYSTEM_PYTHON } from '../helpers/peers.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/impacket_ntlm.py', import.meta.url));
const ALICE = 'Alice-Passw0rd!';
const BOB = 'Bob-Passw0rd!';

type Json = Record<string, unknown>;

/** One impacket peer process speaking JSON lines. */
class ImpacketPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor() {
    requirePeer(SYSTEM_PYTHON);
    this.child = spawn(SYSTEM_PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH, LANG: 'C.UTF-8' } });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.on('error', () => {});
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async call(req: Json): Promise<Json> {
    this.child.stdin.write(JSON.stringify(req) + '\n');
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`impacket peer timed out; stderr: ${this.stderr}`)), 20_000).unref());
    const next = await Promise.race([this.lines.next(), timeout]);
    if (next.done) throw new Error(`impacket peer exited (is python3-impacket installed? run: npm run peers); stderr: ${this.stderr}`);
    const resp = JSON.parse(next.value) as Json;
    if (typeof resp.error === 'string') throw new Error(`impacket peer: ${resp.error}`);
    return resp;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

const b64 = (b: Buffer) => b.toString('base64');
const unb64 = (v: unknown) => Buffer.from(String(v), 'base64');

function denied(ntstatus: number) {
  return (e: unknown) => {
    assert.ok(e instanceof SecurityError, String(e));
    assert.equal(e.code, SEC_E.LOGON_DENIED, e.message);
    assert.equal(e.details.ntstatus, ntstatus, e.message);
    return true;
  };
}

let domain: RunningDomain;
let authority: DirectoryAuthority;
before(async () => {
  domain = await startDomain({
    realm: 'EXAMPLE.TEST',
    users: [
      { name: 'alice', password: ALICE, groups: [] },
      { name: 'bob', password: BOB },
    ],
    policy: { lockoutThreshold: 3, lockoutDuration: 1800, lockoutObservationWindow: 1800 },
  });
  authority = new DirectoryAuthority(domain.directory);
});
after(async () => {
  await domain?.stop();
});

function acceptor(o: { allowAnonymous?: boolean } = {}): NtlmAcceptor {
  return new NtlmAcceptor({
    ...o,
    authority,
    netbiosComputerName: 'WEB',
    netbiosDomainName: 'EXAMPLE',
    dnsComputerName: 'web.example.test',
    dnsDomainName: 'example.test',
  });
}

/** impacket client → our acceptor. */
async function impacketLogon(
  peer: ImpacketPeer,
  user: string,
  cred: { password?: string; nthash?: string },
  domainName = 'EXAMPLE',
  acc: NtlmAcceptor = acceptor(),
) {
  const t1 = await peer.call({ op: 'type1', workstation: 'PYCLIENT', sign: true });
  const chal = await acc.step(unb64(t1.type1));
  const t3 = await peer.call({ op: 'type3', type2: b64(chal.output!), user, domain: domainName, password: cred.password ?? '', nthash: cred.nthash });
  const fin = await acc.step(unb64(t3.type3));
  return { acc, fin };
}

describe('impacket client against the authso NTLM acceptor', () => {
  test('the right password logs on; sign and seal interoperate both ways', async () => {
    const peer = new ImpacketPeer();
    try {
      const { acc, fin } = await impacketLogon(peer, 'alice', { password: ALICE });
      assert.equal(fin.done, true);
      assert.equal(acc.peer!.userName, 'alice');
      assert.equal(acc.peer!.authPackage, 'NTLM');
      assert.equal(acc.flags.confidentiality, true);
      assert.equal(acc.requiresMechListMic, false, 'impacket 0.10 sends no MIC');
      for (let i = 0; i < 3; i++) {
        const msg = Buffer.from(`from impacket #${i}`);
        const sealed = await peer.call({ op: 'seal', data: b64(msg) });
        assert.deepEqual(acc.unseal(Buffer.concat([unb64(sealed.signature), unb64(sealed.sealed)])), msg);
        const signed = await peer.call({ op: 'sign', data: b64(msg) });
        acc.verify(msg, unb64(signed.signature));

        const reply = Buffer.from(`from authso #${i}`);
        const tok = acc.seal(reply);
        const opened = await peer.call({ op: 'unseal', signature: b64(tok.subarray(0, 16)), sealed: b64(tok.subarray(16)) });
        assert.equal(opened.ok, true, 'impacket verifies our sealed message');
        assert.deepEqual(unb64(opened.data), reply);
        const v = await peer.call({ op: 'verify', data: b64(reply), signature: b64(acc.sign(reply)) });
        assert.equal(v.ok, true, 'impacket verifies our signature');
      }
    } finally {
      peer.close();
    }
  });

  test('the NT hash as credential, and the DNS domain name, work too', async () => {
    const peer = new ImpacketPeer();
    try {
      const { acc } = await impacketLogon(peer, 'alice', { nthash: ntowfV1(ALICE).toString('hex') }, 'example.test');
      assert.equal(acc.peer!.userName, 'alice');
    } finally {
      peer.close();
    }
  });

  test('a wrong password is refused; repeated ones lock the account, then even the right password fails', async () => {
    for (let i = 0; i < 3; i++) {
      const peer = new ImpacketPeer();
      try {
        await assert.rejects(impacketLogon(peer, 'bob', { password: `Wrong-${i}-Passw0rd` }), denied(STATUS_WRONG_PASSWORD));
      } finally {
        peer.close();
      }
    }
    const bob = await domain.directory.getAccount('bob');
    assert.equal(bob.badPwdCount, 3);
    assert.ok(bob.lockoutTime, 'bob is locked out');
    const peer = new ImpacketPeer();
    try {
      await assert.rejects(impacketLogon(peer, 'bob', { password: BOB }), denied(STATUS_ACCOUNT_LOCKED_OUT));
    } finally {
      peer.close();
    }
    await domain.directory.unlockAccount('bob');
    const again = new ImpacketPeer();
    try {
      const { acc } = await impacketLogon(again, 'bob', { password: BOB });
      assert.equal(acc.peer!.userName, 'bob');
    } finally {
      again.close();
    }
  });
});

describe('impacket anonymous logon', () => {
  test('refused by default, ANONYMOUS LOGON when the acceptor allows it', async () => {
    const peer = new ImpacketPeer();
    try {
      await assert.rejects(impacketLogon(peer, '', {}, ''), (e: unknown) => e instanceof SecurityError && e.code === SEC_E.LOGON_DENIED);
    } finally {
      peer.close();
    }
    const again = new ImpacketPeer();
    try {
      const { acc } = await impacketLogon(again, '', {}, '', acceptor({ allowAnonymous: true }));
      assert.equal(acc.peer!.userSid, 'S-1-5-7');
      assert.equal(acc.flags.anonymous, true);
    } finally {
      again.close();
    }
  });
});

describe('authso NTLM initiator checked by impacket', () => {
  test('NTProofStr (computeResponseNTLMv2), MIC, key exchange and sign/seal verify on the impacket side', async () => {
    const peer = new ImpacketPeer();
    try {
      const init = new NtlmInitiator({
        user: 'alice',
        domain: 'EXAMPLE',
        password: ALICE,
        workstation: 'TSCLIENT',
        seal: true,
        // impacket's computeResponseNTLMv2 rewrites MsvAvTargetName to cifs/<NetBIOS name>; with the
        // same value the recomputed response must match ours byte for byte.
        targetName: 'cifs/WEB',
      });
      const neg = await init.step();
      const t2 = await peer.call({
        op: 'challenge',
        type1: b64(neg.output!),
        nbDomain: 'EXAMPLE',
        nbComputer: 'WEB',
        dnsDomain: 'example.test',
        dnsComputer: 'web.example.test',
      });
      const auth = await init.step(unb64(t2.type2));
      assert.equal(auth.done, true);
      const check = await peer.call({ op: 'check3', type3: b64(auth.output!), user: 'alice', password: ALICE, domain: 'EXAMPLE' });
      assert.equal(check.ntResponseOk, true, 'impacket computes the same NTLMv2 response');
      assert.equal(check.micFlag, true, 'MsvAvFlags announces the MIC');
      assert.equal(check.micOk, true, 'impacket computes the same MIC');
      assert.equal(check.user, 'alice');
      assert.equal(check.domain, 'EXAMPLE');
      assert.equal(check.workstation, 'TSCLIENT');
      assert.equal(check.targetName, 'cifs/WEB');

      for (let i = 0; i < 3; i++) {
        const msg = Buffer.from(`from authso initiator #${i}`);
        const tok = init.seal(msg);
        const opened = await peer.call({ op: 'unseal', signature: b64(tok.subarray(0, 16)), sealed: b64(tok.subarray(16)) });
        assert.equal(opened.ok, true);
        assert.deepEqual(unb64(opened.data), msg);
        const v = await peer.call({ op: 'verify', data: b64(msg), signature: b64(init.sign(msg)) });
        assert.equal(v.ok, true);

        const reply = Buffer.from(`from impacket server #${i}`);
        const sealed = await peer.call({ op: 'seal', data: b64(reply) });
        assert.deepEqual(init.unseal(Buffer.concat([unb64(sealed.signature), unb64(sealed.sealed)])), reply);
        const signed = await peer.call({ op: 'sign', data: b64(reply) });
        init.verify(reply, unb64(signed.signature));
      }
    } finally {
      peer.close();
    }
  });

  test('a wrong password on our side is detected by impacket', async () => {
    const peer = new ImpacketPeer();
    try {
      const init = new NtlmInitiator({ user: 'alice', domain: 'EXAMPLE', password: 'Not-Alices-Passw0rd', targetName: 'cifs/WEB' });
      const neg = await init.step();
      const t2 = await peer.call({ op: 'challenge', type1: b64(neg.output!), nbDomain: 'EXAMPLE', nbComputer: 'WEB', dnsDomain: 'example.test', dnsComputer: 'web.example.test' });
      const auth = await init.step(unb64(t2.type2));
      const check = await peer.call({ op: 'check3', type3: b64(auth.output!), user: 'alice', password: ALICE, domain: 'EXAMPLE' });
      assert.equal(check.ntResponseOk, false);
      assert.equal(check.micOk, false);
    } finally {
      peer.close();
    }
  });
});
