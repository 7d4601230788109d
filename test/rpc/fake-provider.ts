// A test-only security provider: a toy mechanism with either NTLM's leg structure (three legs,
// the last one in auth3) or Kerberos DCE-style / SPNEGO's (four legs over bind + alter_context),
// implementing SecurityContext + RpcProtection with HMAC-SHA256 signatures and AES-CTR sealing.
// It lets the RPC runtime's levels be tested before the real NTLM/Kerberos contexts are wired.

import { createCipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RpcPduParts, RpcProtection } from '../../src/rpc/protection.js';
import { AUTHN_LEVEL } from '../../src/rpc/pdu.js';
import { NO_FLAGS, SEC_E, SecurityError, type LogonToken, type SecurityContext, type Step } from '../../src/security/types.js';

const SECRET = Buffer.from('fake-provider-shared-secret');

function hmac(key: Buffer, ...parts: (Buffer | string)[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

function token(user: string): LogonToken {
  return {
    userSid: 'S-1-5-21-1-2-3-1104',
    primaryGroupSid: 'S-1-5-21-1-2-3-513',
    groups: [{ sid: 'S-1-5-21-1-2-3-513', attributes: 7 }],
    privileges: [],
    logonType: 'network',
    authPackage: 'NTLM',
    userName: user,
    domainName: 'FAKE',
    logonServer: 'DC',
    profile: { fullName: '', homeDirectory: '', homeDrive: '', logonScript: '', profilePath: '' },
    userAccountControl: 0x200,
  };
}

abstract class FakeBase implements SecurityContext, RpcProtection {
  readonly mechanism = 'NTLM' as const;
  abstract readonly role: 'initiator' | 'acceptor';
  done = false;
  peer?: LogonToken;
  peerName?: string;
  sessionKey?: Buffer;
  readonly flags = { ...NO_FLAGS, integrity: true, confidentiality: true };
  private sendSeq = 0;
  private recvSeq = 0;
  /** Counts per-PDU operations (tests check that every fragment was protected). */
  ops = 0;

  abstract step(input?: Buffer): Promise<Step>;

  private key(dir: 'send' | 'recv', use: string): Buffer {
    if (!this.sessionKey) throw new SecurityError(SEC_E.INVALID_HANDLE, 'no session key');
    const c2s = (this.role === 'initiator') === (dir === 'send');
    return hmac(this.sessionKey, c2s ? 'c2s' : 's2c', use);
  }
  private region(p: RpcPduParts): Buffer {
    // With header signing the whole PDU (minus the auth value) is covered, otherwise the stub,
    // pad and sec_trailer (the Kerberos rule of MS-RPCE 3.3.1.5.2.2).
    return p.headerSigning ? p.pdu : p.pdu.subarray(p.stubStart);
  }
  private seqBuf(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  }
  private crypt(key: Buffer, seq: number, data: Buffer): void {
    const iv = hmac(key, 'iv', this.seqBuf(seq)).subarray(0, 16);
    const c = createCipheriv('aes-256-ctr', key, iv);
    const out = Buffer.concat([c.update(data), c.final()]);
    out.copy(data);
  }

  rpcSignatureLength(level: number): number {
    return level === AUTHN_LEVEL.PKT_PRIVACY ? 32 : 16;
  }
  rpcSign(p: RpcPduParts): Buffer {
    this.ops++;
    return hmac(this.key('send', 'sign'), this.seqBuf(this.sendSeq++), this.region(p)).subarray(0, 16);
  }
  rpcVerify(p: RpcPduParts, sig: Buffer): void {
    this.ops++;
    const want = hmac(this.key('recv', 'sign'), this.seqBuf(this.recvSeq), this.region(p)).subarray(0, 16);
    if (sig.length !== 16 || !timingSafeEqual(want, sig)) throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'bad signature');
    this.recvSeq++;
  }
  rpcSeal(p: RpcPduParts): Buffer {
    this.ops++;
    const seq = this.sendSeq++;
    const mac = hmac(this.key('send', 'sign'), this.seqBuf(seq), this.region(p)).subarray(0, 16);
    this.crypt(this.key('send', 'seal'), seq, p.pdu.subarray(p.stubStart, p.bodyEnd));
    return Buffer.concat([mac, hmac(this.key('send', 'pad'), this.seqBuf(seq)).subarray(0, 16)]);
  }
  rpcUnseal(p: RpcPduParts, sig: Buffer): void {
    this.ops++;
    const seq = this.recvSeq;
    if (sig.length !== 32) throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'bad seal length');
    const body = p.pdu.subarray(p.stubStart, p.bodyEnd);
    const saved = Buffer.from(body);
    this.crypt(this.key('recv', 'seal'), seq, body);
    const want = hmac(this.key('recv', 'sign'), this.seqBuf(seq), this.region(p)).subarray(0, 16);
    if (!timingSafeEqual(want, sig.subarray(0, 16))) {
      saved.copy(body);
      throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'bad sealed signature');
    }
    this.recvSeq++;
  }
  sign(m: Buffer): Buffer {
    return hmac(this.key('send', 'msg'), m).subarray(0, 16);
  }
  verify(m: Buffer, s: Buffer): void {
    if (!timingSafeEqual(hmac(this.key('recv', 'msg'), m).subarray(0, 16), s)) throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'bad');
  }
  seal(m: Buffer): Buffer {
    return Buffer.from(m);
  }
  unseal(t: Buffer): Buffer {
    return Buffer.from(t);
  }
}

export type Legs = 3 | 4;

export class FakeInitiator extends FakeBase {
  readonly role = 'initiator' as const;
  private leg = 0;
  constructor(
    private readonly user: string,
    private readonly legs: Legs = 3,
    private readonly secret: Buffer = SECRET,
  ) {
    super();
  }
  async step(input?: Buffer): Promise<Step> {
    this.leg++;
    if (this.leg === 1) return { done: false, output: Buffer.from(`HELLO:${this.legs}:${this.user}`) };
    if (this.leg === 2) {
      const m = /^CHAL:([0-9a-f]{32})$/.exec(input?.toString() ?? '');
      if (!m) throw new SecurityError(SEC_E.INVALID_TOKEN, 'bad challenge');
      this.sessionKey = hmac(this.secret, m[1]);
      const proof = Buffer.concat([Buffer.from('AUTH:'), hmac(this.sessionKey, 'proof')]);
      if (this.legs === 3) this.done = true;
      return { done: this.done, output: proof };
    }
    if (this.leg === 3 && this.legs === 4) {
      if (input?.toString() !== 'FIN') throw new SecurityError(SEC_E.INVALID_TOKEN, 'bad final token');
      this.done = true;
      return { done: true };
    }
    throw new SecurityError(SEC_E.INVALID_TOKEN, 'unexpected leg');
  }
}

export class FakeAcceptor extends FakeBase {
  readonly role = 'acceptor' as const;
  private leg = 0;
  private legs: Legs = 3;
  private user = '';
  private nonce = '';
  constructor(private readonly secret: Buffer = SECRET) {
    super();
  }
  async step(input?: Buffer): Promise<Step> {
    this.leg++;
    const s = input?.toString('latin1') ?? '';
    if (this.leg === 1) {
      const m = /^HELLO:([34]):(\w+)$/.exec(s);
      if (!m) throw new SecurityError(SEC_E.INVALID_TOKEN, 'bad hello');
      this.legs = Number(m[1]) as Legs;
      this.user = m[2];
      this.nonce = randomBytes(16).toString('hex');
      return { done: false, output: Buffer.from(`CHAL:${this.nonce}`) };
    }
    if (this.leg === 2) {
      this.sessionKey = hmac(this.secret, this.nonce);
      const want = Buffer.concat([Buffer.from('AUTH:'), hmac(this.sessionKey, 'proof')]);
      if (!input || input.length !== want.length || !timingSafeEqual(input, want)) {
        throw new SecurityError(SEC_E.LOGON_DENIED, 'wrong secret', { ntstatus: 0xc000006d });
      }
      this.done = true;
      this.peer = token(this.user);
      this.peerName = this.user;
      return this.legs === 4 ? { done: true, output: Buffer.from('FIN') } : { done: true };
    }
    throw new SecurityError(SEC_E.INVALID_TOKEN, 'unexpected leg');
  }
}

/** A context without RpcProtection (for the "provider cannot protect PDUs" path). */
export class PlainAcceptor implements SecurityContext {
  readonly mechanism = 'NTLM' as const;
  readonly role = 'acceptor' as const;
  done = false;
  readonly flags = NO_FLAGS;
  private inner = new FakeAcceptor();
  peer?: LogonToken;
  async step(input?: Buffer): Promise<Step> {
    const r = await this.inner.step(input);
    this.done = r.done;
    this.peer = this.inner.peer;
    return r;
  }
  sign(): Buffer {
    return Buffer.alloc(16);
  }
  verify(): void {}
  seal(m: Buffer): Buffer {
    return m;
  }
  unseal(m: Buffer): Buffer {
    return m;
  }
}
