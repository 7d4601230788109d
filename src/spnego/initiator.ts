// The Negotiate initiator: SPNEGO (RFC 4178, MS-SPNG) over the Kerberos and NTLM initiators,
// known only as SecurityContexts made by factories, in preference order Kerberos then NTLM.
//
// Token flow (client side):
//   (optional) server's NegTokenInit2 -> only narrows our list (MS-SPNG 3.2.5.2: hints)
//   first step     -> InitialContextToken(SPNEGO, NegTokenInit { mechTypes, mechToken })
//   NegTokenResp*  -> NegTokenResp { responseToken?, mechListMIC? } until done
// A mechanism whose first step fails (no Kerberos ticket obtainable, no KDC) is left out of the
// list, so the next one (NTLM, when configured) is offered and used instead.

import { SEC_E, SecurityError, type SecurityContext, type Step } from '../security/types.js';
import {
  NegState,
  OID,
  SpnegoDecodeError,
  decodeNegotiationToken,
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenResp,
  type NegTokenResp,
  type NegotiationToken,
} from './messages.js';
import {
  MAX_TOKEN_BYTES,
  NegotiateError,
  PREFERENCE,
  SEC_E_SECPKG_NOT_FOUND,
  asSecurityError,
  effectiveMic,
  mechanismOf,
  micNeeded,
  signMechList,
  stepMechanism,
  verifyMechList,
  type MechanismFactories,
  type NegotiableMechanism,
  NegotiatedContext,
} from './mechanism.js';
import type { RpcProtection } from '../rpc/protection.js';

export interface NegotiateInitiatorOptions extends MechanismFactories {
  /**
   * List the Microsoft Kerberos OID (1.2.840.48018.1.2.2) before the standard one, as Windows
   * clients do. Default false: the standard OID only.
   */
  msKerberosOid?: boolean;
}

type State = 'start' | 'negotiating' | 'done' | 'failed';

interface Current {
  mechanism: NegotiableMechanism;
  ctx: SecurityContext;
  mechDone: boolean;
}

export class NegotiateInitiator extends NegotiatedContext implements SecurityContext, RpcProtection {
  readonly mechanism = 'Negotiate' as const;
  readonly role = 'initiator' as const;

  private state: State = 'start';
  private current?: Current;
  private oids: string[] = [];
  private mechTypesDer: Buffer = Buffer.alloc(0);
  private firstReply = true;
  private micRequired = false;
  private micSent = false;
  private micReceived = false;
  /** Why a preferred mechanism was skipped (e.g. Kerberos could not get a ticket). */
  readonly skipped: { mechanism: NegotiableMechanism; error: SecurityError }[] = [];

  protected get chosenContext(): SecurityContext | undefined {
    return this.current?.ctx;
  }

  constructor(private readonly options: NegotiateInitiatorOptions) {
    super();
    if (!options.kerberos && !options.ntlm) throw new TypeError('NegotiateInitiator needs at least one mechanism factory');
  }

  get done(): boolean {
    return this.state === 'done';
  }
  get negotiatedMechanism(): NegotiableMechanism | undefined {
    return this.current?.mechanism;
  }
  /** The mechanism OIDs we offered, in order. */
  get mechTypes(): readonly string[] {
    return this.oids;
  }
  async step(input?: Buffer): Promise<Step> {
    if (this.state === 'failed') throw new SecurityError(SEC_E.INVALID_HANDLE, 'the Negotiate context has failed');
    try {
      return await this.stepInner(input && input.length > 0 ? input : undefined);
    } catch (e) {
      // A stray token after completion is refused without tearing down the established context.
      if (this.state !== 'done') this.state = 'failed';
      throw asSecurityError(e, 'Negotiate');
    }
  }

  private async stepInner(input: Buffer | undefined): Promise<Step> {
    if (input && input.length > MAX_TOKEN_BYTES) throw new SecurityError(SEC_E.INVALID_TOKEN, 'token too large');
    switch (this.state) {
      case 'start':
        return this.start(input);
      case 'negotiating': {
        if (!input) throw new SecurityError(SEC_E.INVALID_TOKEN, 'empty token');
        return this.continue(respOf(input));
      }
      case 'done': {
        // A server may send a last NegTokenResp{accept-completed} after our final MIC (Windows
        // does). It carries nothing to process.
        if (!input) return { done: true };
        const t = respOf(input);
        if (t.negState === NegState.ACCEPT_COMPLETED && !t.responseToken?.length && !t.mechListMIC?.length) return { done: true };
        throw new SecurityError(SEC_E.INVALID_TOKEN, 'token received after the context was established');
      }
      default:
        throw new SecurityError(SEC_E.INTERNAL_ERROR, `unexpected state ${this.state}`);
    }
  }

  private kerberosOids(): string[] {
    return this.options.msKerberosOid ? [OID.MS_KERBEROS, OID.KERBEROS] : [OID.KERBEROS];
  }

  private async start(hint: Buffer | undefined): Promise<Step> {
    let wanted = PREFERENCE.filter((m) => this.options[m] !== undefined);
    if (hint) {
      // MS-SPNG 3.2.5.2: the server's NegTokenInit2 is advice. Keep only what it offers, unless
      // that leaves nothing (then try everything and let the server decide).
      const t = decode(hint);
      if (t.type === 'negTokenResp') throw new SecurityError(SEC_E.INVALID_TOKEN, 'expected the server NegTokenInit2');
      const offered = new Set((t.token.mechTypes ?? []).map(mechanismOf).filter((m) => m !== undefined));
      const both = wanted.filter((m) => offered.has(m));
      if (both.length > 0) wanted = both;
    }
    // The first mechanism that starts gives the optimistic token (RFC 4178 4.2.1); the ones
    // before it are dropped from the list, since we could not use them anyway.
    let lastError: SecurityError | undefined;
    for (let i = 0; i < wanted.length; i++) {
      const mechanism = wanted[i];
      try {
        const ctx = this.create(mechanism);
        const r = await stepMechanism(ctx, undefined);
        this.current = { mechanism, ctx, mechDone: r.done };
        this.oids = wanted.slice(i).flatMap((m) => (m === 'kerberos' ? this.kerberosOids() : [OID.NTLMSSP]));
        this.mechTypesDer = encodeMechTypeList(this.oids);
        this.state = 'negotiating';
        const mechToken = r.output && r.output.length > 0 ? r.output : undefined;
        return { done: false, output: encodeNegTokenInit({ mechTypes: this.oids, ...(mechToken ? { mechToken } : {}) }) };
      } catch (e) {
        lastError = asSecurityError(e, `${mechanism} initiator`);
        this.skipped.push({ mechanism, error: lastError });
      }
    }
    throw lastError ?? new NegotiateError(SEC_E_SECPKG_NOT_FOUND, 'no mechanism in common with the server');
  }

  private create(mechanism: NegotiableMechanism): SecurityContext {
    const factory = this.options[mechanism];
    if (!factory) throw new SecurityError(SEC_E.INTERNAL_ERROR, `no ${mechanism} factory`);
    try {
      return factory();
    } catch (e) {
      throw asSecurityError(e, `creating the ${mechanism} initiator failed`);
    }
  }

  private async continue(t: NegTokenResp): Promise<Step> {
    let current = this.current as Current;
    const mechToken = t.responseToken && t.responseToken.length > 0 ? t.responseToken : undefined;
    if (t.negState === NegState.REJECT) {
      // The reject may carry the mechanism's own error (e.g. a KRB-ERROR); let it explain.
      if (mechToken && !current.mechDone) await stepMechanism(current.ctx, mechToken);
      throw new SecurityError(SEC_E.LOGON_DENIED, 'the server rejected the negotiation');
    }
    let mechOut: Buffer | undefined;
    let reselected = false;
    if (this.firstReply) {
      this.firstReply = false;
      // RFC 4178 4.2.2: negState is required in the first reply; supportedMech names the
      // server's choice. Without supportedMech we assume our optimistic mechanism was taken.
      if (t.negState === undefined) throw new SecurityError(SEC_E.INVALID_TOKEN, 'first NegTokenResp without negState');
      if (t.supportedMech !== undefined) {
        if (!this.oids.includes(t.supportedMech)) throw new SecurityError(SEC_E.INVALID_TOKEN, `the server chose ${t.supportedMech}, which we did not offer`);
        const mechanism = mechanismOf(t.supportedMech) as NegotiableMechanism;
        if (mechanism !== current.mechanism) {
          // RFC 4178 5: the server did not take our first choice, so the MIC exchange is
          // mandatory. Our optimistic token was discarded; the chosen mechanism starts afresh.
          if (mechToken) throw new SecurityError(SEC_E.INVALID_TOKEN, 'a mechanism token for a mechanism we have not started');
          const ctx = this.create(mechanism);
          const r = await stepMechanism(ctx, undefined);
          current = { mechanism, ctx, mechDone: r.done };
          this.current = current;
          mechOut = r.output && r.output.length > 0 ? r.output : undefined;
          this.micRequired = true;
          reselected = true;
        }
      }
      if (t.negState === NegState.REQUEST_MIC) this.micRequired = true;
    } else if (t.supportedMech !== undefined && mechanismOf(t.supportedMech) !== current.mechanism) {
      throw new SecurityError(SEC_E.INVALID_TOKEN, 'the server changed mechanism mid-negotiation');
    }

    if (mechToken && !reselected) {
      if (current.mechDone) throw new SecurityError(SEC_E.INVALID_TOKEN, 'mechanism token after the mechanism completed');
      const r = await stepMechanism(current.ctx, mechToken);
      current.mechDone = r.done;
      mechOut = r.output && r.output.length > 0 ? r.output : undefined;
    }
    const micIn = effectiveMic(t.mechListMIC, t.responseToken);
    if (micIn && !current.mechDone) throw new SecurityError(SEC_E.INVALID_TOKEN, 'mechListMIC before the mechanism completed');

    const serverDone = t.negState === NegState.ACCEPT_COMPLETED;
    let micOut: Buffer | undefined;
    let done = false;
    if (current.mechDone) {
      const ctx = current.ctx;
      if (micIn && ctx.flags.integrity) {
        if (this.micReceived) throw new SecurityError(SEC_E.INVALID_TOKEN, 'a second mechListMIC');
        verifyMechList(ctx, this.mechTypesDer, micIn);
        this.micReceived = true;
      }
      const needMic = micNeeded(ctx, this.micRequired, this.micReceived);
      if (needMic && !this.micSent) {
        micOut = signMechList(ctx, this.mechTypesDer);
        this.micSent = true;
      }
      if (needMic) {
        if (this.micReceived) done = true;
        else if (serverDone) {
          throw new NegotiateError(SEC_E.DOWNGRADE_DETECTED, 'the server completed without the required mechListMIC');
        }
      } else if (!mechOut) {
        // Nothing left for either side to send: the server must have said so.
        if (!serverDone) throw new SecurityError(SEC_E.INVALID_TOKEN, 'the server expects more, but the mechanism is complete');
        done = true;
      }
      // else: our final mechanism token still has to reach the server; MIT and Windows both
      // expect the exchange to end with the server's answer to it (RFC 4178 5, MS-SPNG 3.3.5).
    } else {
      if (serverDone) throw new SecurityError(SEC_E.INVALID_TOKEN, 'the server completed, but the mechanism is not');
      if (!mechOut) throw new SecurityError(SEC_E.INVALID_TOKEN, 'the mechanism produced no token to continue with');
    }

    if (done) this.state = 'done';
    if (!mechOut && !micOut) {
      if (!done) throw new SecurityError(SEC_E.INVALID_TOKEN, 'the server sent nothing to continue with');
      return { done };
    }
    // RFC 4178 4.2.2: negState is for the acceptor; Windows clients omit it in their replies.
    const resp: NegTokenResp = {};
    if (mechOut) resp.responseToken = mechOut;
    if (micOut) resp.mechListMIC = micOut;
    return { done, output: encodeNegTokenResp(resp) };
  }
}

function decode(input: Buffer): NegotiationToken {
  try {
    return decodeNegotiationToken(input);
  } catch (e) {
    if (e instanceof SpnegoDecodeError) throw new SecurityError(SEC_E.INVALID_TOKEN, e.message);
    throw e;
  }
}

function respOf(input: Buffer): NegTokenResp {
  const t = decode(input);
  if (t.type !== 'negTokenResp' || t.wrapped) throw new SecurityError(SEC_E.INVALID_TOKEN, 'expected a NegTokenResp');
  return t.token;
}
