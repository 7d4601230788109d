// The Negotiate acceptor: SPNEGO (RFC 4178) with Microsoft's extensions (MS-SPNG) around the
// Kerberos and NTLM acceptors, which it knows only as SecurityContexts made by factories.
//
// Token flow (server side):
//   (optional) empty input        -> NegTokenInit2 with our mechanisms and the MS-SPNG hint
//   NegTokenInit (wrapped)        -> NegTokenResp { negState, supportedMech, responseToken?, mechListMIC? }
//   NegTokenResp*                 -> NegTokenResp ... until accept-completed
//   raw NTLMSSP / Kerberos token  -> the mechanism's raw reply ("universal receiver")

import { SEC_E, SecurityError, type SecurityContext, type Step } from '../security/types.js';
import {
  NEG_HINT_NAME,
  NegState,
  OID,
  SpnegoDecodeError,
  decodeNegotiationToken,
  encodeNegTokenInit2,
  encodeNegTokenResp,
  isNtlmsspMessage,
  peekGssMechanism,
  type NegStateValue,
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
  mechRequiresMic,
  mechanismOf,
  micNeeded,
  rejectToken,
  signMechList,
  stepMechanism,
  verifyMechList,
  type MechanismFactories,
  type NegotiableMechanism,
  NegotiatedContext,
} from './mechanism.js';
import type { RpcProtection } from '../rpc/protection.js';

export interface NegotiateAcceptorOptions extends MechanismFactories {
  /**
   * Accept a raw NTLMSSP message or a raw Kerberos GSS token without SPNEGO framing, as Windows'
   * Negotiate package does (HTTP clients sending "Negotiate <NTLM>", old SMB clients). Default true.
   */
  universalReceiver?: boolean;
  /**
   * Exchange mechListMICs whenever the chosen mechanism offers integrity, not only when RFC 4178 5
   * requires it (Windows does so for Kerberos with AES keys). Costs the client one more leg.
   */
  alwaysExchangeMic?: boolean;
}

type State = 'start' | 'sentInit2' | 'negotiating' | 'raw' | 'done' | 'failed';

interface Chosen {
  mechanism: NegotiableMechanism;
  /** The OID exactly as the client listed it: supportedMech echoes it (MS-SPNG 3.3.5.2). */
  oid: string;
  ctx: SecurityContext;
  mechDone: boolean;
}

export class NegotiateAcceptor extends NegotiatedContext implements SecurityContext, RpcProtection {
  readonly mechanism = 'Negotiate' as const;
  readonly role = 'acceptor' as const;

  private state: State = 'start';
  private chosen?: Chosen;
  /** The client's MechTypeList DER, exactly as received: what both mechListMICs cover. */
  private mechTypesDer?: Buffer;
  private firstReplySent = false;
  /** RFC 4178 5: a MIC exchange is mandatory (possible downgrade). */
  private micRequired = false;
  private micSent = false;
  private micReceived = false;
  private rawMode = false;

  protected get chosenContext(): SecurityContext | undefined {
    return this.chosen?.ctx;
  }

  constructor(private readonly options: NegotiateAcceptorOptions) {
    super();
    if (!options.kerberos && !options.ntlm) throw new TypeError('NegotiateAcceptor needs at least one mechanism factory');
  }

  get done(): boolean {
    return this.state === 'done';
  }
  /** The mechanism chosen, once known. */
  get negotiatedMechanism(): NegotiableMechanism | undefined {
    return this.chosen?.mechanism;
  }
  /** The OID of the chosen mechanism as the client named it (undefined for raw tokens). */
  get negotiatedOid(): string | undefined {
    return this.state === 'raw' || !this.chosen ? undefined : this.chosen.oid;
  }
  /** True when the client spoke the mechanism directly, without SPNEGO ("universal receiver"). */
  get raw(): boolean {
    return this.rawMode;
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
      case 'done':
        if (!input) return { done: true };
        throw new SecurityError(SEC_E.INVALID_TOKEN, 'token received after the context was established');
      case 'raw':
        if (!input) throw new SecurityError(SEC_E.INVALID_TOKEN, 'empty token');
        return this.stepRaw(input);
      case 'start':
      case 'sentInit2':
        if (!input) {
          if (this.state === 'sentInit2') throw new SecurityError(SEC_E.INVALID_TOKEN, 'empty token');
          this.state = 'sentInit2';
          return { done: false, output: this.initialHint() };
        }
        return this.first(input);
      case 'negotiating': {
        if (!input) throw new SecurityError(SEC_E.INVALID_TOKEN, 'empty token');
        const t = decode(input);
        if (t.type !== 'negTokenResp' || t.wrapped) throw new SecurityError(SEC_E.INVALID_TOKEN, 'expected a NegTokenResp');
        return this.continue(t.token);
      }
      default:
        throw new SecurityError(SEC_E.INTERNAL_ERROR, `unexpected state ${this.state}`);
    }
  }

  /** MS-SPNG 3.2.5.2 / 2.2.1: a server that speaks first offers NegTokenInit2 with the hint. */
  private initialHint(): Buffer {
    const mechTypes: string[] = [];
    // Windows lists the Microsoft Kerberos OID before the standard one; clients match either.
    if (this.options.kerberos) mechTypes.push(OID.MS_KERBEROS, OID.KERBEROS);
    if (this.options.ntlm) mechTypes.push(OID.NTLMSSP);
    return encodeNegTokenInit2({ mechTypes, negHints: { hintName: NEG_HINT_NAME } });
  }

  private async first(input: Buffer): Promise<Step> {
    if (this.options.universalReceiver !== false) {
      // Universal receiver: the Windows Negotiate package hands a bare mechanism token to that
      // mechanism, and answers in kind (no SPNEGO framing).
      if (isNtlmsspMessage(input)) {
        if (this.options.ntlm) return this.startRaw('ntlm', OID.NTLMSSP, input);
        throw new NegotiateError(SEC_E_SECPKG_NOT_FOUND, 'NTLM is not accepted here');
      }
      const gssMech = peekGssMechanism(input);
      if (gssMech !== undefined && gssMech !== OID.SPNEGO) {
        const m = mechanismOf(gssMech);
        if (m === 'kerberos' && this.options.kerberos) return this.startRaw('kerberos', gssMech, input);
        throw new NegotiateError(SEC_E_SECPKG_NOT_FOUND, `no acceptor for mechanism ${gssMech}`);
      }
    }
    const t = decode(input);
    if (t.type !== 'negTokenInit') throw new SecurityError(SEC_E.INVALID_TOKEN, `expected a NegTokenInit, got ${t.type}`);
    return this.selectMechanism(t);
  }

  private async startRaw(mechanism: NegotiableMechanism, oid: string, input: Buffer): Promise<Step> {
    this.rawMode = true;
    this.chosen = { mechanism, oid, ctx: this.create(mechanism), mechDone: false };
    this.state = 'raw';
    return this.stepRaw(input);
  }

  private async stepRaw(input: Buffer): Promise<Step> {
    const chosen = this.chosen as Chosen;
    const r = await stepMechanism(chosen.ctx, input, (errorToken) => errorToken);
    chosen.mechDone = r.done;
    if (r.done) this.state = 'done';
    return { done: r.done, output: nonEmpty(r.output) };
  }

  private create(mechanism: NegotiableMechanism): SecurityContext {
    const factory = this.options[mechanism];
    if (!factory) throw new SecurityError(SEC_E.INTERNAL_ERROR, `no ${mechanism} factory`);
    try {
      return factory();
    } catch (e) {
      throw asSecurityError(e, `creating the ${mechanism} acceptor failed`);
    }
  }

  private async selectMechanism(t: Extract<NegotiationToken, { type: 'negTokenInit' }>): Promise<Step> {
    const { mechTypes } = t.token;
    // RFC 4178 3: the acceptor picks from the initiator's list, honouring its order.
    const index = mechTypes.findIndex((oid) => {
      const m = mechanismOf(oid);
      return m !== undefined && this.options[m] !== undefined;
    });
    if (index < 0) {
      throw new NegotiateError(SEC_E_SECPKG_NOT_FOUND, 'no mechanism in common with the client', rejectToken());
    }
    const oid = mechTypes[index];
    const mechanism = mechanismOf(oid) as NegotiableMechanism;
    this.mechTypesDer = t.mechTypesDer;
    // RFC 4178 5: the MIC exchange is optional only when the mechanism is the most preferred of
    // both sides: the client's first entry, and no mechanism we support that we rank higher (had
    // the client listed it; an attacker may have removed it from the list).
    const ours = PREFERENCE.filter((m) => this.options[m] !== undefined);
    this.micRequired = index !== 0 || ours.indexOf(mechanism) !== 0;
    this.chosen = { mechanism, oid, ctx: this.create(mechanism), mechDone: false };
    this.state = 'negotiating';
    // RFC 4178 4.2.1: mechToken is the optimistic token of mechTypes[0]; for any other choice it
    // is not ours to use, and the client restarts with our choice after our first reply.
    const optimistic = index === 0 ? t.token.mechToken : undefined;
    return this.advance(optimistic, effectiveMic(t.token.mechListMIC, t.token.mechToken));
  }

  private async continue(t: NegTokenResp): Promise<Step> {
    const chosen = this.chosen as Chosen;
    if (t.negState === NegState.REJECT) throw new SecurityError(SEC_E.LOGON_DENIED, 'the client rejected the negotiation');
    if (t.supportedMech !== undefined && t.supportedMech !== chosen.oid) {
      throw new SecurityError(SEC_E.INVALID_TOKEN, 'the client named a different mechanism');
    }
    const mechToken = nonEmpty(t.responseToken);
    const mic = effectiveMic(t.mechListMIC, mechToken);
    // Once the mechanism is complete only the MIC is outstanding; advance() decides whether its
    // absence is a downgrade. Before that, a token without a mechanism token makes no progress.
    if (!chosen.mechDone && !mechToken) throw new SecurityError(SEC_E.INVALID_TOKEN, 'NegTokenResp without a mechanism token');
    return this.advance(mechToken, mic);
  }

  /** Feeds the mechanism, runs the RFC 4178 5 MIC rules and builds our NegTokenResp. */
  private async advance(mechToken: Buffer | undefined, micIn: Buffer | undefined): Promise<Step> {
    const chosen = this.chosen as Chosen;
    const first = !this.firstReplySent;
    let mechOut: Buffer | undefined;
    let completedNow = false;
    if (mechToken) {
      if (chosen.mechDone) throw new SecurityError(SEC_E.INVALID_TOKEN, 'mechanism token after the mechanism completed');
      const r = await stepMechanism(chosen.ctx, mechToken, (errorToken) =>
        // RFC 4178 4.2.2: reject, carrying the mechanism's error token for the client to report.
        encodeNegTokenResp({ negState: NegState.REJECT, ...(first ? { supportedMech: chosen.oid } : {}), responseToken: errorToken }),
      );
      mechOut = nonEmpty(r.output);
      chosen.mechDone = r.done;
      completedNow = r.done;
    }
    if (micIn && !chosen.mechDone) throw new SecurityError(SEC_E.INVALID_TOKEN, 'mechListMIC before the mechanism completed');

    let micOut: Buffer | undefined;
    let negState: NegStateValue;
    if (!chosen.mechDone) {
      // RFC 4178 4.2.2: request-mic only ever in the first reply.
      negState = first && this.micRequired ? NegState.REQUEST_MIC : NegState.ACCEPT_INCOMPLETE;
    } else {
      const ctx = chosen.ctx;
      const der = this.mechTypesDer as Buffer;
      // RFC 4178 5: a MIC over a mechanism without integrity cannot be checked; it is not used.
      if (micIn && ctx.flags.integrity) {
        if (this.micReceived) throw new SecurityError(SEC_E.INVALID_TOKEN, 'a second mechListMIC');
        verifyMechList(ctx, der, micIn);
        this.micReceived = true;
      }
      const needMic = micNeeded(ctx, this.micRequired || this.options.alwaysExchangeMic === true, this.micReceived);
      if (needMic && !this.micSent) {
        micOut = signMechList(ctx, der);
        this.micSent = true;
      }
      // Whether the client knew a MIC was due: we said request-mic in an earlier reply, or its
      // mechanism itself calls for one (NTLM's MIC).
      const clientKnew = (!first && this.micRequired) || mechRequiresMic(ctx);
      if (!needMic || this.micReceived) {
        negState = NegState.ACCEPT_COMPLETED;
      } else if (completedNow && !mechOut && clientKnew) {
        // The mechanism finished on the client's token and owes the client nothing, so the
        // client's context was already complete when it sent it: its mechListMIC had to come
        // with it (RFC 4178 5). Without it this is the downgrade the MIC exists to catch.
        throw new NegotiateError(SEC_E.DOWNGRADE_DETECTED, 'the client completed the mechanism without the required mechListMIC', rejectToken());
      } else if (!completedNow) {
        // The client had our final mechanism token and our MIC and answered without its MIC.
        throw new NegotiateError(SEC_E.DOWNGRADE_DETECTED, 'the client did not send the required mechListMIC', rejectToken());
      } else {
        // Our final mechanism token (e.g. Kerberos AP-REP), if any, and our MIC go out; the
        // client's MIC comes back in its next NegTokenResp (RFC 4178 5: a MIC received obliges
        // the receiver to send one).
        negState = first && this.micRequired ? NegState.REQUEST_MIC : NegState.ACCEPT_INCOMPLETE;
      }
    }

    const resp: NegTokenResp = { negState };
    // RFC 4178 4.2.2: supportedMech only in the first reply. MS-SPNG 3.3.5.2: it echoes the OID
    // the client used, so a client that listed the Microsoft Kerberos OID gets that one back.
    if (first) resp.supportedMech = chosen.oid;
    if (mechOut) resp.responseToken = mechOut;
    if (micOut) resp.mechListMIC = micOut;
    this.firstReplySent = true;
    const done = negState === NegState.ACCEPT_COMPLETED;
    if (done) this.state = 'done';
    return { done, output: encodeNegTokenResp(resp) };
  }
}

function nonEmpty(b: Buffer | undefined): Buffer | undefined {
  return b && b.length > 0 ? b : undefined;
}

function decode(input: Buffer): NegotiationToken {
  try {
    return decodeNegotiationToken(input);
  } catch (e) {
    if (e instanceof SpnegoDecodeError) throw new SecurityError(SEC_E.INVALID_TOKEN, e.message);
    throw e;
  }
}
