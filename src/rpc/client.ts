// A connection-oriented DCE/RPC client over ncacn_ip_tcp (C706 chapter 12, MS-RPCE 3.3.2).
//
// One association per client: the first bind() sends bind (with the first security token when
// authenticated), later ones alter_context. The security context is completed the way MS-RPCE
// 3.3.1.5.2.1 describes: after each server token the initiator steps; if it is then done and has
// a last token, that goes in an auth3 (no reply — NTLM's third leg); if it still expects an
// answer, the token goes in an alter_context and the alter_context_resp carries the next one
// (Kerberos DCE-style / SPNEGO). Calls are sequential; requests are fragmented to the server's
// receive size and each fragment is protected at the negotiated level.

import net from 'node:net';
import { SecurityError, SEC_E, type SecurityContext } from '../security/types.js';
import {
  AUTHN_LEVEL,
  bindTimeFeatureSyntax,
  decodePdu,
  encodePdu,
  NCA,
  NDR20,
  padFor,
  PduFramer,
  PFC,
  PTYPE,
  REQUEST_HEADER_LENGTH,
  RpcError,
  SEC_TRAILER_LENGTH,
  type AuthVerifier,
  type ContextElem,
  type Pdu,
  type SyntaxId,
} from './pdu.js';
import { effectiveLevel, hasRpcProtection, needsPerPdu, protectPdu, unprotectPdu, type RpcSecurityContext } from './protection.js';

export interface RpcClientAuth {
  /** RPC_C_AUTHN_* (auth_type) of the context. */
  type: number;
  /** RPC_C_AUTHN_LEVEL_* (CONNECT, PKT_INTEGRITY, PKT_PRIVACY). */
  level: number;
  /** A fresh initiator context (for PKT_INTEGRITY/PRIVACY it must implement RpcProtection). */
  context: SecurityContext;
  /** auth_context_id (MS-RPCE 2.2.2.11). */
  contextId?: number;
}

export interface RpcClientOptions {
  host: string;
  port: number;
  auth?: RpcClientAuth;
  maxXmitFrag?: number;
  maxRecvFrag?: number;
  /** Offer PFC_SUPPORT_HEADER_SIGN (MS-RPCE 2.2.2.3). Default true. */
  headerSigning?: boolean;
  /** Ask for bind time feature negotiation (MS-RPCE 2.2.2.14) with these feature bits. */
  bindTimeFeatures?: number;
  /** Bound on a reassembled response. */
  maxResponseSize?: number;
  timeoutMs?: number;
  assocGroupId?: number;
}

export interface BindResult {
  contextId: number;
  /** The feature bits of a negotiate_ack, when bind time features were asked for. */
  features?: number;
}

const MAX_LEGS = 8;

export class RpcClient {
  private readonly framer: PduFramer;
  private readonly inbox: Buffer[] = [];
  private waiter: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private bound = false;
  private nextContextId = 0;
  private nextCallId = 1;
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId = 0;
  headerSigning = false;
  /** The secondary address (server port string) from bind_ack. */
  secAddr = '';
  private authDone = false;

  private constructor(
    private readonly sock: net.Socket,
    private readonly opts: RpcClientOptions,
  ) {
    this.maxXmitFrag = opts.maxXmitFrag ?? 5840;
    this.maxRecvFrag = opts.maxRecvFrag ?? 5840;
    this.framer = new PduFramer(() => 0xffff);
    sock.on('data', (d: Buffer) => {
      try {
        for (const p of this.framer.push(d)) this.deliver(p);
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
      }
    });
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new RpcError(NCA.s_comm_failure, 'connection closed', 'protocol')));
  }

  static async connect(opts: RpcClientOptions): Promise<RpcClient> {
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: opts.host, port: opts.port, noDelay: true }, () => { // auth3 gets no reply: without noDelay the next PDU waits for the peer's delayed ACK (~40 ms)
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    return new RpcClient(sock, opts);
  }

  get auth(): RpcClientAuth | undefined {
    return this.opts.auth;
  }

  close(): void {
    this.sock.destroy();
  }

  private deliver(p: Buffer): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(p);
    } else this.inbox.push(p);
  }
  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }
  private next(): Promise<Buffer> {
    const b = this.inbox.shift();
    if (b) return Promise.resolve(b);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiter = undefined;
        reject(new RpcError(NCA.s_comm_failure, 'timed out waiting for the server', 'protocol'));
      }, this.opts.timeoutMs ?? 30_000);
      this.waiter = {
        resolve: (x) => {
          clearTimeout(t);
          resolve(x);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      };
    });
  }
  private write(b: Buffer): void {
    this.sock.write(b);
  }

  private verifier(value: Buffer, padLength = 0): AuthVerifier | undefined {
    const a = this.opts.auth;
    if (!a) return undefined;
    return { authType: a.type, authLevel: a.level, contextId: a.contextId ?? 0, padLength, value };
  }

  /**
   * Binds (first call) or alters context (later calls) to an interface; returns the presentation
   * context id. Throws RpcError kind 'nak' (bind_nak reason) or 'fault', or SecurityError.
   */
  async bind(iface: SyntaxId, transferSyntaxes: SyntaxId[] = [NDR20]): Promise<BindResult> {
    const contextId = this.nextContextId++;
    const contexts: ContextElem[] = [{ contextId, abstractSyntax: iface, transferSyntaxes }];
    if (this.opts.bindTimeFeatures !== undefined && !this.bound) {
      contexts.push({ contextId: this.nextContextId++, abstractSyntax: iface, transferSyntaxes: [bindTimeFeatureSyntax(this.opts.bindTimeFeatures)] });
    }
    const a = this.opts.auth;
    let token: Buffer | undefined;
    if (a && !this.authDone) {
      if (effectiveLevel(a.level) < AUTHN_LEVEL.CONNECT) throw new RpcError(NCA.s_unsupported_authn_level, 'level below CONNECT', 'protocol');
      if (needsPerPdu(a.level) && !hasRpcProtection(a.context)) {
        throw new SecurityError(SEC_E.UNSUPPORTED_FUNCTION, 'the security context cannot protect RPC PDUs');
      }
      token = (await a.context.step()).output ?? Buffer.alloc(0);
    }
    const isBind = !this.bound;
    let resp = await this.bindExchange(isBind, contexts, token);
    // MS-RPCE 3.3.1.5.2.1: continue the security context.
    for (let legs = 0; a && !this.authDone; legs++) {
      if (legs > MAX_LEGS) throw new SecurityError(SEC_E.INVALID_TOKEN, 'too many authentication legs');
      const serverToken = resp.auth?.value;
      if (a.context.done) {
        this.authDone = true;
        break;
      }
      if (!serverToken || serverToken.length === 0) throw new SecurityError(SEC_E.INVALID_TOKEN, 'server sent no token');
      const step = await a.context.step(serverToken);
      const out = step.output;
      if (step.done) {
        this.authDone = true;
        if (out && out.length > 0) {
          // MS-RPCE 2.2.2.10 rpc_auth_3: the final leg, same call id as the bind, no reply.
          this.write(encodePdu({ ptype: 16, flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, callId: resp.callId, auth: this.verifier(out, 0) }));
        }
        break;
      }
      if (!out || out.length === 0) throw new SecurityError(SEC_E.INVALID_TOKEN, 'context not done and no token to send');
      resp = await this.bindExchange(false, contexts, out);
    }
    const r = resp.results[0];
    if (!r) throw new RpcError(NCA.s_proto_error, 'bind_ack without results', 'protocol');
    if (r.result !== 0) throw new RpcError(r.reason, `presentation context rejected (result ${r.result}, reason ${r.reason})`, 'nak');
    const fr = resp.results[1];
    return { contextId, features: fr && fr.result === 3 ? fr.reason : undefined };
  }

  private async bindExchange(isBind: boolean, contexts: ContextElem[], token: Buffer | undefined): Promise<Extract<Pdu, { ptype: 12 | 15 }>> {
    const callId = this.nextCallId++;
    const headerSign = isBind && this.opts.headerSigning !== false && this.opts.auth !== undefined;
    const pdu = encodePdu({
      ptype: isBind ? 11 : 14,
      flags: PFC.FIRST_FRAG | PFC.LAST_FRAG | (headerSign ? PFC.SUPPORT_HEADER_SIGN : 0),
      callId,
      maxXmitFrag: this.maxXmitFrag,
      maxRecvFrag: this.maxRecvFrag,
      assocGroupId: this.assocGroupId || this.opts.assocGroupId || 0,
      contexts,
      auth: token !== undefined ? this.verifier(token, 0) : undefined,
    });
    this.write(pdu);
    const resp = decodePdu(await this.next());
    if (resp.ptype === PTYPE.bind_nak) throw new RpcError(resp.rejectReason, `bind_nak reason ${resp.rejectReason}`, 'nak');
    if (resp.ptype === PTYPE.fault) throw new RpcError(resp.status, `fault 0x${resp.status.toString(16)}`, 'fault');
    if (resp.ptype !== (isBind ? PTYPE.bind_ack : PTYPE.alter_context_resp)) {
      throw new RpcError(NCA.s_proto_error, `unexpected ptype ${resp.ptype}`, 'protocol');
    }
    if (resp.callId !== callId) throw new RpcError(NCA.s_proto_error, 'bind_ack for another call', 'protocol');
    if (isBind) {
      this.bound = true;
      this.maxXmitFrag = resp.maxRecvFrag;
      this.maxRecvFrag = resp.maxXmitFrag;
      this.assocGroupId = resp.assocGroupId;
      this.secAddr = resp.secAddr;
      this.headerSigning = headerSign && (resp.flags & PFC.SUPPORT_HEADER_SIGN) !== 0;
    }
    return resp;
  }

  /** Calls opnum on a bound presentation context; returns the response stub. A fault throws
   *  RpcError(status, kind 'fault'). */
  async call(contextId: number, opnum: number, stub: Buffer, opts: { object?: string } = {}): Promise<Buffer> {
    if (!this.bound) throw new RpcError(NCA.s_proto_error, 'not bound', 'protocol');
    const a = this.opts.auth;
    const perPdu = a !== undefined && needsPerPdu(a.level);
    const ctx = perPdu ? (a.context as RpcSecurityContext) : undefined;
    const sigLen = ctx && a ? ctx.rpcSignatureLength(effectiveLevel(a.level)) : 0;
    const headerLen = REQUEST_HEADER_LENGTH + (opts.object ? 16 : 0);
    let chunk = this.maxXmitFrag - headerLen - (perPdu ? SEC_TRAILER_LENGTH + sigLen : 0);
    if (perPdu) chunk -= chunk % 16;
    if (chunk <= 0) throw new RpcError(NCA.s_proto_error, 'fragment too small for the verifier', 'protocol');
    const callId = this.nextCallId++;
    let off = 0;
    for (let i = 0; off < stub.length || i === 0; i++) {
      const part = stub.subarray(off, off + chunk);
      const flags = (off === 0 ? PFC.FIRST_FRAG : 0) | (off + part.length >= stub.length ? PFC.LAST_FRAG : 0);
      const pdu = encodePdu({
        ptype: 0,
        flags,
        callId,
        allocHint: stub.length - off,
        contextId,
        opnum,
        object: opts.object,
        stub: part,
        auth: perPdu ? this.verifier(Buffer.alloc(sigLen), padFor(part.length)) : undefined,
      });
      if (ctx && a) protectPdu(pdu, headerLen, a.level, ctx, this.headerSigning);
      this.write(pdu);
      off += part.length;
    }
    // Reassemble the response (C706 12.6.4.10), verifying each fragment.
    const parts: Buffer[] = [];
    let size = 0;
    const max = this.opts.maxResponseSize ?? 16 * 1024 * 1024;
    for (let guard = 0; guard < 1_000_000; guard++) {
      const buf = await this.next();
      const p = decodePdu(buf);
      if (p.callId !== callId) throw new RpcError(NCA.s_proto_error, `response for call ${p.callId}, expected ${callId}`, 'protocol');
      if (p.ptype === PTYPE.fault) throw new RpcError(p.status, `fault 0x${p.status.toString(16).padStart(8, '0')}`, 'fault');
      if (p.ptype !== PTYPE.response) throw new RpcError(NCA.s_proto_error, `unexpected ptype ${p.ptype}`, 'protocol');
      let body = p.stub;
      if (ctx && a) {
        if (!p.auth || p.auth.authType !== a.type || p.auth.contextId !== (a.contextId ?? 0)) {
          throw new SecurityError(SEC_E.MESSAGE_ALTERED, 'response without our verifier');
        }
        unprotectPdu(buf, p.layout.stubStart, p.layout.bodyEnd, a.level, ctx, this.headerSigning);
        body = Buffer.from(buf.subarray(p.layout.stubStart, p.layout.stubEnd));
      }
      size += body.length;
      if (size > max) throw new RpcError(NCA.s_out_args_too_big, 'response too large', 'protocol');
      parts.push(body);
      if (p.flags & PFC.LAST_FRAG) return Buffer.concat(parts);
    }
    throw new RpcError(NCA.s_proto_error, 'too many fragments', 'protocol');
  }
}
