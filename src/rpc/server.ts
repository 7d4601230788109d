// A connection-oriented DCE/RPC server over ncacn_ip_tcp (C706 chapter 12, MS-RPCE 3.3.3).
//
// One association per TCP connection; PDUs are handled strictly in arrival order (the security
// providers' sequence numbers depend on it). A connection negotiates fragment sizes and presentation
// contexts on bind/alter_context, establishes at most a few security contexts (bind → bind_ack →
// auth3 for NTLM's three legs; bind → bind_ack → alter_context → alter_context_resp ... for the
// multi-leg Kerberos/SPNEGO exchanges, MS-RPCE 3.3.1.5.2.1 / MS-AUTHSO 7.3.7), reassembles
// fragmented requests (bounded), protects each response fragment at the context's level, and
// answers every failure with a fault or bind_nak without leaking internals. Authentication
// failures close the connection after the fault (MS-AUTHSO 7.3.8 step 2); other call failures
// leave it serving.

import { accessCheckToken, DEFAULT_GENERIC_MAPPING, GENERIC_EXECUTE, parseSddl } from '../dtyp/index.js';
import { randomInt } from 'node:crypto';
import net from 'node:net';
import { NdrError } from '../encoding/ndr.js';
import { SecurityError, type LogonToken, type SecurityContext } from '../security/types.js';
import {
  AUTHN,
  AUTHN_LEVEL,
  bindTimeFeatures,
  BIND_TIME_FEATURE,
  CONT_RESULT,
  decodePdu,
  encodePdu,
  NCA,
  NDR20,
  NIL_UUID,
  padFor,
  PduFramer,
  PFC,
  PROVIDER_REASON,
  PTYPE,
  REJECT,
  RESPONSE_HEADER_LENGTH,
  RpcError,
  SEC_TRAILER_LENGTH,
  type AuthVerifier,
  type ContextResult,
  type HeaderInfo,
  type Pdu,
  type PduLayoutInfo,
} from './pdu.js';
import { canProtect, effectiveLevel, needsPerPdu, protectPdu, unprotectPdu, type RpcSecurityContext } from './protection.js';

/** C706 12.6.3.4: every implementation must accept fragments of at least 1432 octets. */
export const MIN_FRAG = 1432;
export const DEFAULT_MAX_FRAG = 5840;
export const DEFAULT_MAX_REQUEST = 4 * 1024 * 1024;
const MAX_CONTEXTS = 64;
const MAX_AUTH_CONTEXTS = 4;
const MAX_AUTH_LEGS = 8;
/** PDUs read ahead of the one being handled before the socket is paused. */
const MAX_QUEUED = 32;

export interface CallContext {
  opnum: number;
  callId: number;
  /** The presentation context id. */
  contextId: number;
  object?: string;
  /** RPC_C_AUTHN_* of the security context the call arrived on, AUTHN.NONE when unauthenticated. */
  authType: number;
  /** RPC_C_AUTHN_LEVEL_* (AUTHN_LEVEL.NONE when unauthenticated). */
  authLevel: number;
  /** The authenticated caller (the acceptor's `peer`). */
  peer?: LogonToken;
  peerName?: string;
  assocGroupId: number;
  remoteAddress: string;
}

export type OpHandler = (stub: Buffer, call: CallContext) => Promise<Buffer>;

export interface InterfaceSecurity {
  /** RPC_C_AUTHN_* accepted for calls to this interface. */
  providers: number[];
  /** Lowest RPC_C_AUTHN_LEVEL_* accepted (NONE = 1 admits unauthenticated callers). */
  minLevel: number;
  /**
   * MS-AUTHSO 7.1.3.4: who may call, as SDDL (e.g. `D:(A;;GX;;;DU)`); each call's LogonToken is
   * access-checked for execute rights and a refusal is an access-denied fault for that call
   * (the connection keeps serving). Domain-relative aliases resolve in the caller's domain.
   */
  sddl?: string;
}

export interface RpcInterface {
  uuid: string;
  version: { major: number; minor: number };
  /** For the endpoint mapper's annotation. */
  name?: string;
  opnums: { [opnum: number]: OpHandler };
  /** Absent: anyone, at any level. */
  security?: InterfaceSecurity;
}

export interface RpcServerOptions {
  host?: string;
  port?: number;
  interfaces?: RpcInterface[];
  /** Security provider factories by RPC_C_AUTHN_* (one fresh acceptor per security context). */
  acceptors?: { [authType: number]: () => SecurityContext };
  /** Our largest fragment in each direction (clamped to [1432, 65535]). */
  maxFrag?: number;
  /** Bound on a reassembled request's stub. */
  maxRequestSize?: number;
  maxConnections?: number;
  /** Idle connections are closed after this long. */
  idleTimeoutMs?: number;
  /** Called with internal errors (handler exceptions) that are not sent to the peer. */
  onError?: (e: unknown) => void;
}

interface AuthState {
  authType: number;
  level: number;
  ctx: SecurityContext;
  legs: number;
  done: boolean;
  failed: boolean;
}

interface Pending {
  callId: number;
  contextId: number;
  opnum: number;
  object?: string;
  auth?: AuthState;
  parts: Buffer[];
  size: number;
}

/** Closes the connection after the reply (MS-AUTHSO 7.3.8 step 2, protocol errors). */
class CloseAfter extends Error {
  constructor(readonly reply: Buffer | undefined) {
    super('close');
  }
}

export class RpcServer {
  private readonly server: net.Server;
  private readonly interfaces: RpcInterface[] = [];
  private readonly conns = new Set<Connection>();
  /** Association groups (MS-RPCE 3.3.1.5.3 / C706 assoc_group_id) and how many connections use each. */
  private readonly assocGroups = new Map<number, number>();
  readonly opts: Required<Pick<RpcServerOptions, 'host' | 'maxFrag' | 'maxRequestSize' | 'maxConnections' | 'idleTimeoutMs'>> &
    RpcServerOptions;
  private boundPort = 0;

  constructor(opts: RpcServerOptions = {}) {
    this.opts = {
      host: '127.0.0.1',
      maxRequestSize: DEFAULT_MAX_REQUEST,
      maxConnections: 256,
      idleTimeoutMs: 120_000,
      ...opts,
      maxFrag: Math.min(0xffff, Math.max(MIN_FRAG, opts.maxFrag ?? DEFAULT_MAX_FRAG)),
    };
    for (const i of opts.interfaces ?? []) this.register(i);
    this.server = net.createServer({ noDelay: true }, (s) => this.accept(s)); // small PDUs (auth3, then the request) must not wait for delayed ACKs
  }

  register(iface: RpcInterface): void {
    const dup = this.interfaces.find((i) => i.uuid.toLowerCase() === iface.uuid.toLowerCase() && i.version.major === iface.version.major);
    if (dup) throw new Error(`interface ${iface.uuid} v${iface.version.major} is already registered`);
    this.interfaces.push(iface);
  }

  get registered(): readonly RpcInterface[] {
    return this.interfaces;
  }
  get port(): number {
    return this.boundPort;
  }
  get host(): string {
    return this.opts.host;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address();
    this.boundPort = typeof a === 'object' && a ? a.port : 0;
    return this.boundPort;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** C706 12.6.4.3: (abstract syntax uuid, major) must match and the minor be no newer than ours. */
  findInterface(uuid: string, major: number, minor: number): RpcInterface | undefined {
    return this.interfaces.find((i) => i.uuid.toLowerCase() === uuid.toLowerCase() && i.version.major === major && minor <= i.version.minor);
  }

  /** A new association group for a connection (released with releaseAssocGroup). */
  newAssocGroup(): number {
    for (let i = 0; i < 100; i++) {
      const g = randomInt(1, 0x7fffffff);
      if (!this.assocGroups.has(g)) {
        this.assocGroups.set(g, 1);
        return g;
      }
    }
    throw new RpcError(REJECT.local_limit_exceeded, 'no association group id', 'nak');
  }
  /** Joins an existing group (a client's further connection); false if it is unknown. */
  joinAssocGroup(g: number): boolean {
    const n = this.assocGroups.get(g);
    if (n === undefined) return false;
    this.assocGroups.set(g, n + 1);
    return true;
  }
  releaseAssocGroup(g: number): void {
    const n = this.assocGroups.get(g);
    if (n === undefined) return;
    if (n <= 1) this.assocGroups.delete(g);
    else this.assocGroups.set(g, n - 1);
  }

  private accept(s: net.Socket): void {
    if (this.conns.size >= this.opts.maxConnections) {
      s.destroy();
      return;
    }
    const c = new Connection(this, s);
    this.conns.add(c);
    s.on('close', () => this.conns.delete(c));
  }
}

export async function startRpcServer(opts: RpcServerOptions): Promise<RpcServer> {
  const s = new RpcServer(opts);
  await s.listen();
  return s;
}

class Connection {
  private readonly framer: PduFramer;
  private queue: Promise<void> = Promise.resolve();
  private bound = false;
  private maxXmit = MIN_FRAG;
  private maxRecv = MIN_FRAG;
  private assocGroupId = 0;
  private headerSigning = false;
  private readonly contexts = new Map<number, RpcInterface>();
  private readonly auth = new Map<number, AuthState>();
  private pending: Pending | undefined;
  private closed = false;
  private queued = 0;
  private readonly remote: string;

  constructor(
    private readonly server: RpcServer,
    private readonly sock: net.Socket,
  ) {
    this.remote = sock.remoteAddress ?? '';
    // Bind-family PDUs may carry large tokens (a Kerberos AP-REQ with a PAC): they may use the
    // whole 16-bit frag_length. Everything else is held to our own maximum while framing (the
    // bind that negotiates a smaller size may still be queued) and to the negotiated receive
    // size when processed (onRequest).
    this.framer = new PduFramer((h: HeaderInfo) =>
      h.ptype === PTYPE.bind || h.ptype === PTYPE.alter_context || h.ptype === PTYPE.auth3 ? 0xffff : server.opts.maxFrag,
    );
    sock.setTimeout(server.opts.idleTimeoutMs, () => this.destroy());
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('error', () => this.destroy());
    sock.on('close', () => {
      if (this.assocGroupId) server.releaseAssocGroup(this.assocGroupId);
      this.assocGroupId = 0;
    });
  }

  destroy(): void {
    this.closed = true;
    this.sock.destroy();
  }

  private onData(d: Buffer): void {
    if (this.closed) return;
    let pdus: Buffer[];
    try {
      pdus = this.framer.push(d);
    } catch (e) {
      // A header we cannot frame: nothing after it can be trusted (C706 12.5.2.x protocol error).
      // A bind in a version we do not speak gets its bind_nak (C706 12.6.4.5).
      let reply: Buffer;
      if (e instanceof RpcError && e.kind === 'nak' && d.length >= 16 && d[2] === PTYPE.bind) reply = this.bindNak(0, e.status);
      else reply = this.fault(0, 0, e instanceof RpcError && e.kind !== 'nak' ? e.status : NCA.s_proto_error, true);
      this.closed = true;
      this.queue = this.queue.then(() => this.sendAndClose(reply));
      return;
    }
    for (const p of pdus) {
      // Backpressure: PDUs are handled one at a time; stop reading while too many wait.
      if (++this.queued >= MAX_QUEUED) this.sock.pause();
      this.queue = this.queue
        .then(() => (this.closed ? undefined : this.handle(p)))
        .finally(() => {
          if (--this.queued < MAX_QUEUED / 4 && this.sock.isPaused()) this.sock.resume();
        });
    }
  }

  private sendAndClose(buf: Buffer | undefined): void {
    this.closed = true;
    if (buf && !this.sock.destroyed) this.sock.end(buf);
    else this.sock.destroy();
  }

  private send(buf: Buffer): void {
    if (!this.sock.destroyed) this.sock.write(buf);
  }

  private async handle(buf: Buffer): Promise<void> {
    const callId = buf.readUInt32LE(12);
    try {
      const p = decodePdu(buf);
      switch (p.ptype) {
        case PTYPE.bind:
        case PTYPE.alter_context:
          return this.send(await this.onBind(p, buf));
        case PTYPE.auth3:
          return await this.onAuth3(p);
        case PTYPE.request:
          return await this.onRequest(p, buf, p.layout);
        case PTYPE.co_cancel:
          return; // Calls run to completion; a cancel has nothing to interrupt (C706 12.4.1.3).
        case PTYPE.orphaned:
          if (this.pending?.callId === p.callId) this.pending = undefined;
          return;
        default:
          throw new RpcError(NCA.s_proto_error, `unexpected ${p.ptype} from a client`, 'protocol');
      }
    } catch (e) {
      if (e instanceof CloseAfter) return this.sendAndClose(e.reply);
      const ptype = buf[2];
      // bind_nak answers only a bind (C706 12.6.4.5); a refused alter_context gets a fault.
      if (e instanceof RpcError && e.kind === 'nak' && ptype === PTYPE.bind) return this.sendAndClose(this.bindNak(callId, e.status));
      if (e instanceof RpcError && e.kind === 'fault') return this.send(this.fault(callId, 0, e.status, true));
      const status = e instanceof RpcError && e.kind !== 'nak' ? e.status : NCA.s_proto_error;
      if (!(e instanceof RpcError)) this.server.opts.onError?.(e);
      if (ptype === PTYPE.bind) return this.sendAndClose(this.bindNak(callId, REJECT.reason_not_specified));
      return this.sendAndClose(this.fault(callId, 0, status, true));
    }
  }

  private fault(callId: number, contextId: number, status: number, didNotExecute: boolean): Buffer {
    return encodePdu({
      ptype: 3,
      flags: PFC.FIRST_FRAG | PFC.LAST_FRAG | (didNotExecute ? PFC.DID_NOT_EXECUTE : 0),
      callId,
      allocHint: 0,
      contextId,
      cancelCount: 0,
      status,
      stub: Buffer.alloc(0),
    });
  }

  private bindNak(callId: number, reason: number): Buffer {
    return encodePdu({ ptype: 13, flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, callId, rejectReason: reason, versions: [{ major: 5, minor: 0 }] });
  }

  // --- bind / alter_context (C706 12.6.4.1-12.6.4.4, MS-RPCE 3.3.1.5.3)

  private async onBind(p: Extract<Pdu, { ptype: 11 | 14 }>, _buf: Buffer): Promise<Buffer> {
    const isBind = p.ptype === PTYPE.bind;
    if (isBind && this.bound) throw new RpcError(REJECT.reason_not_specified, 'second bind on an association', 'nak');
    if (!isBind && !this.bound) throw new RpcError(NCA.s_proto_error, 'alter_context before bind', 'protocol');
    if ((p.flags & (PFC.FIRST_FRAG | PFC.LAST_FRAG)) !== (PFC.FIRST_FRAG | PFC.LAST_FRAG)) {
      throw new RpcError(REJECT.reason_not_specified, 'fragmented binds are not supported', 'nak');
    }
    if (isBind) {
      if (p.maxXmitFrag < MIN_FRAG || p.maxRecvFrag < MIN_FRAG) {
        throw new RpcError(REJECT.local_limit_exceeded, 'fragment sizes below 1432', 'nak');
      }
      // The client's transmit size bounds what we receive and its receive size what we send.
      this.maxRecv = Math.min(this.server.opts.maxFrag, p.maxXmitFrag);
      this.maxXmit = Math.min(this.server.opts.maxFrag, p.maxRecvFrag);
      if (p.assocGroupId === 0) this.assocGroupId = this.server.newAssocGroup();
      else if (this.server.joinAssocGroup(p.assocGroupId)) this.assocGroupId = p.assocGroupId;
      else throw new RpcError(REJECT.reason_not_specified, 'unknown association group', 'nak');
      // MS-RPCE 2.2.2.3: header signing is used when both sides set PFC_SUPPORT_HEADER_SIGN.
      this.headerSigning = (p.flags & PFC.SUPPORT_HEADER_SIGN) !== 0;
    }

    // The security context first: an unacceptable provider refuses the whole bind.
    let authOut: AuthVerifier | undefined;
    if (p.auth) authOut = await this.authLeg(p.auth, isBind);

    const results: ContextResult[] = [];
    const nilSyntax = { uuid: NIL_UUID, major: 0, minor: 0 };
    for (const c of p.contexts) {
      const features = c.transferSyntaxes.map(bindTimeFeatures).find((f) => f !== undefined);
      if (features !== undefined) {
        // MS-RPCE 3.3.1.5.3: answer bind time feature negotiation with negotiate_ack and the
        // subset we honour in `reason`. We keep the connection on orphaned PDUs; we do not
        // multiplex security contexts beyond what the auth map already does.
        results.push({ result: CONT_RESULT.negotiate_ack, reason: features & BIND_TIME_FEATURE.KEEP_CONNECTION_ON_ORPHAN, transferSyntax: nilSyntax });
        continue;
      }
      const a = c.abstractSyntax;
      const iface = this.server.findInterface(a.uuid, a.major, a.minor);
      if (!iface) {
        results.push({ result: CONT_RESULT.provider_rejection, reason: PROVIDER_REASON.abstract_syntax_not_supported, transferSyntax: nilSyntax });
        continue;
      }
      // Only NDR20 is marshalled here (NDR64 proposals are declined per context).
      const ndr = c.transferSyntaxes.find((t) => t.uuid.toLowerCase() === NDR20.uuid && t.major === NDR20.major);
      if (!ndr) {
        results.push({
          result: CONT_RESULT.provider_rejection,
          reason: PROVIDER_REASON.proposed_transfer_syntaxes_not_supported,
          transferSyntax: nilSyntax,
        });
        continue;
      }
      const existing = this.contexts.get(c.contextId);
      if ((!existing && this.contexts.size >= MAX_CONTEXTS) || (existing && existing !== iface)) {
        results.push({ result: CONT_RESULT.provider_rejection, reason: PROVIDER_REASON.local_limit_exceeded, transferSyntax: nilSyntax });
        continue;
      }
      this.contexts.set(c.contextId, iface);
      results.push({ result: CONT_RESULT.acceptance, reason: 0, transferSyntax: NDR20 });
    }
    this.bound = true;
    return encodePdu({
      ptype: isBind ? 12 : 15,
      flags: PFC.FIRST_FRAG | PFC.LAST_FRAG | (this.headerSigning ? PFC.SUPPORT_HEADER_SIGN : 0),
      callId: p.callId,
      maxXmitFrag: this.maxXmit,
      maxRecvFrag: this.maxRecv,
      assocGroupId: this.assocGroupId,
      // C706 12.6.4.4: the secondary address is our port; alter_context_resp leaves it empty.
      secAddr: isBind ? String(this.server.port) : '',
      results,
      auth: authOut,
    });
  }

  /** One leg of a security context's establishment carried by bind / alter_context. */
  private async authLeg(a: AuthVerifier, isBind: boolean): Promise<AuthVerifier | undefined> {
    const refuse = (reason: number, msg: string): never => {
      if (isBind) throw new RpcError(reason, msg, 'nak');
      throw new CloseAfter(this.fault(0, 0, NCA.s_fault_access_denied, true));
    };
    const factory = this.server.opts.acceptors?.[a.authType];
    if (!factory || a.authType === AUTHN.NONE) return refuse(REJECT.authentication_type_not_recognized, 'unknown provider');
    const level = effectiveLevel(a.authLevel);
    if (level < AUTHN_LEVEL.CONNECT || level > AUTHN_LEVEL.PKT_PRIVACY) return refuse(REJECT.reason_not_specified, 'bad level');
    let st = this.auth.get(a.contextId);
    // An alter_context naming an established context without a token only adds presentation
    // contexts to it.
    if (!isBind && st && st.done && !st.failed && a.value.length === 0 && st.authType === a.authType && st.level === level) return undefined;
    if (st && (st.done || st.authType !== a.authType || st.level !== level)) return refuse(REJECT.reason_not_specified, 'context in use');
    if (!st) {
      if (this.auth.size >= MAX_AUTH_CONTEXTS) return refuse(REJECT.local_limit_exceeded, 'too many security contexts');
      st = { authType: a.authType, level, ctx: factory(), legs: 0, done: false, failed: false };
      this.auth.set(a.contextId, st);
    }
    if (++st.legs > MAX_AUTH_LEGS) return refuse(REJECT.reason_not_specified, 'too many legs');
    let out: Buffer | undefined;
    try {
      const r = await st.ctx.step(a.value);
      out = r.output;
      st.done = r.done;
    } catch (e) {
      st.failed = true;
      if (!(e instanceof SecurityError)) this.server.opts.onError?.(e);
      return refuse(REJECT.reason_not_specified, 'authentication failed');
    }
    if (st.done && needsPerPdu(level) && !canProtect(st.ctx, level)) {
      st.failed = true;
      return refuse(REJECT.reason_not_specified, 'provider cannot protect PDUs');
    }
    if (!out || out.length === 0) return undefined;
    return { authType: a.authType, authLevel: a.authLevel, contextId: a.contextId, padLength: 0, value: out };
  }

  // --- auth3 (MS-RPCE 2.2.2.10): the last leg, no reply

  private async onAuth3(p: Pdu): Promise<void> {
    const a = p.auth;
    const st = a ? this.auth.get(a.contextId) : undefined;
    if (!a || !st || st.done || st.failed || st.authType !== a.authType) {
      if (st) st.failed = true;
      return;
    }
    try {
      const r = await st.ctx.step(a.value);
      st.done = r.done;
      // auth3 cannot carry an answer: a provider that needs one failed.
      if (!r.done || (r.output && r.output.length > 0)) st.failed = true;
      if (st.done && needsPerPdu(st.level) && !canProtect(st.ctx, st.level)) st.failed = true;
    } catch (e) {
      // Windows reports this on the next call as access denied (MS-RPCE 3.3.1.5.2.1).
      st.failed = true;
      if (!(e instanceof SecurityError)) this.server.opts.onError?.(e);
    }
  }

  // --- requests

  private denied(callId: number): CloseAfter {
    return new CloseAfter(this.fault(callId, 0, NCA.s_fault_access_denied, true));
  }

  /** The security context a request arrived on, after its verifier checked out. */
  private authenticate(p: Extract<Pdu, { ptype: 0 }>, buf: Buffer, layout: PduLayoutInfo): AuthState | undefined {
    if (!p.auth) {
      // Impacket and Windows send CONNECT-level calls without a verifier; a connection whose
      // only context is CONNECT-level runs them on it. Per-PDU levels demand one on every PDU.
      // A connection that began authenticating never falls back to anonymous calls.
      for (const st of this.auth.values()) {
        if (st.done && !st.failed && st.level === AUTHN_LEVEL.CONNECT) return st;
        throw this.denied(p.callId);
      }
      return undefined;
    }
    const st = this.auth.get(p.auth.contextId);
    if (!st || !st.done || st.failed || st.authType !== p.auth.authType || effectiveLevel(p.auth.authLevel) !== st.level) {
      throw this.denied(p.callId);
    }
    if (needsPerPdu(st.level)) {
      const ctx = st.ctx as RpcSecurityContext;
      try {
        unprotectPdu(buf, layout.stubStart, layout.bodyEnd, st.level, ctx, this.headerSigning);
      } catch (e) {
        if (!(e instanceof SecurityError)) this.server.opts.onError?.(e);
        throw this.denied(p.callId);
      }
      p.stub = Buffer.from(buf.subarray(layout.stubStart, layout.stubEnd));
    }
    return st;
  }

  private async onRequest(p: Extract<Pdu, { ptype: 0 }>, buf: Buffer, layout: PduLayoutInfo): Promise<void> {
    if (!this.bound) throw new RpcError(NCA.s_proto_error, 'request before bind', 'protocol');
    // C706 12.6.3.4: no fragment may exceed the negotiated receive size.
    if (buf.length > this.maxRecv) throw new RpcError(NCA.s_proto_error, 'fragment larger than negotiated', 'protocol');
    const st = this.authenticate(p, buf, layout);
    const first = (p.flags & PFC.FIRST_FRAG) !== 0;
    const last = (p.flags & PFC.LAST_FRAG) !== 0;
    if (first) {
      if (this.pending) throw new RpcError(NCA.s_proto_error, 'new call while another is being reassembled', 'protocol');
      this.pending = { callId: p.callId, contextId: p.contextId, opnum: p.opnum, object: p.object, auth: st, parts: [], size: 0 };
    } else if (!this.pending || this.pending.callId !== p.callId || this.pending.auth !== st) {
      throw new RpcError(NCA.s_proto_error, 'fragment of an unknown call', 'protocol');
    }
    const call = this.pending;
    if (!call) throw new RpcError(NCA.s_proto_error, 'no call', 'protocol');
    call.size += p.stub.length;
    if (call.size > this.server.opts.maxRequestSize) {
      this.pending = undefined;
      throw new CloseAfter(this.fault(p.callId, p.contextId, NCA.s_proto_error, true));
    }
    call.parts.push(p.stub);
    if (!last) return;
    this.pending = undefined;
    await this.dispatch(call, Buffer.concat(call.parts));
  }

  private async dispatch(call: Pending, stub: Buffer): Promise<void> {
    const iface = this.contexts.get(call.contextId);
    if (!iface) return this.send(this.fault(call.callId, call.contextId, NCA.s_unk_if, true));
    const st = call.auth;
    const level = st ? st.level : AUTHN_LEVEL.NONE;
    const sec = iface.security;
    if (sec && (level < sec.minLevel || (st !== undefined && !sec.providers.includes(st.authType)))) {
      // MS-AUTHSO 7.3.8 step 2: unacceptable authentication parameters → fault, close.
      throw this.denied(call.callId);
    }
    const handler = Object.prototype.hasOwnProperty.call(iface.opnums, call.opnum) ? iface.opnums[call.opnum] : undefined;
    if (!handler) return this.send(this.fault(call.callId, call.contextId, NCA.s_op_rng_error, true));
    if (sec?.sddl !== undefined && !callAuthorized(sec.sddl, st?.ctx.peer)) {
      return this.send(this.fault(call.callId, call.contextId, NCA.s_fault_access_denied, false));
    }
    const ctx: CallContext = {
      opnum: call.opnum,
      callId: call.callId,
      contextId: call.contextId,
      object: call.object,
      authType: st ? st.authType : AUTHN.NONE,
      authLevel: level,
      peer: st?.ctx.peer,
      peerName: st?.ctx.peerName,
      assocGroupId: this.assocGroupId,
      remoteAddress: this.remote,
    };
    let out: Buffer;
    try {
      out = await handler(stub, ctx);
    } catch (e) {
      // No internals leak: only a status goes back (C706 12.6.4.7).
      let status: number = NCA.s_fault_unspec;
      if (e instanceof RpcError && e.kind === 'fault') status = e.status;
      else if (e instanceof NdrError) status = NCA.s_fault_ndr;
      else this.server.opts.onError?.(e);
      return this.send(this.fault(call.callId, call.contextId, status, false));
    }
    this.sendResponse(call, out, st);
  }

  /** C706 12.6.4.10: the response, fragmented to the negotiated transmit size, each fragment
   *  protected on its own (MS-RPCE 3.3.1.5.2.2). */
  private sendResponse(call: Pending, stub: Buffer, st: AuthState | undefined): void {
    const perPdu = st !== undefined && needsPerPdu(st.level);
    const ctx = perPdu ? (st.ctx as RpcSecurityContext) : undefined;
    const sigLen = ctx && st ? ctx.rpcSignatureLength(st.level) : 0;
    const overhead = RESPONSE_HEADER_LENGTH + (perPdu ? SEC_TRAILER_LENGTH + sigLen : 0);
    let chunk = this.maxXmit - overhead;
    if (perPdu) chunk -= chunk % 16; // keep non-final fragments' stubs on the 16-octet pad boundary
    if (chunk <= 0) throw new RpcError(NCA.s_fault_unspec, 'verifier larger than a fragment', 'fault');
    let off = 0;
    for (let i = 0; off < stub.length || i === 0; i++) {
      const part = stub.subarray(off, off + chunk);
      const flags = (off === 0 ? PFC.FIRST_FRAG : 0) | (off + part.length >= stub.length ? PFC.LAST_FRAG : 0);
      const auth: AuthVerifier | undefined =
        st && ctx
          ? { authType: st.authType, authLevel: st.level, contextId: this.authIdOf(st), padLength: padFor(part.length), value: Buffer.alloc(sigLen) }
          : undefined;
      const pdu = encodePdu({ ptype: 2, flags, callId: call.callId, allocHint: stub.length - off, contextId: call.contextId, cancelCount: 0, stub: part, auth });
      if (st && ctx) protectPdu(pdu, RESPONSE_HEADER_LENGTH, st.level, ctx, this.headerSigning);
      this.send(pdu);
      off += part.length;
    }
  }

  private authIdOf(st: AuthState): number {
    for (const [id, s] of this.auth) if (s === st) return id;
    return 0;
  }
}


/** MS-AUTHSO 7.1.3.4 / MS-DTYP 2.5.3.2: may this caller execute methods of the interface? */
function callAuthorized(sddl: string, peer: LogonToken | undefined): boolean {
  if (!peer) return false;
  try {
    const domainSid = peer.userSid.slice(0, peer.userSid.lastIndexOf('-'));
    const sd = parseSddl(sddl, { domainSid });
    return accessCheckToken(sd, peer, GENERIC_EXECUTE, DEFAULT_GENERIC_MAPPING).allowed;
  } catch {
    return false; // an SDDL we cannot read admits nobody
  }
}
