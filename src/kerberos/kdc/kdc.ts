// The KDC core, sans I/O: one request's bytes in, the reply's bytes out (or nothing, for a
// datagram not worth answering). Transports (src/dc/kdc-server.ts) stay thin around it.

import type { Directory } from '../../directory/directory.js';
import type { Domain, PrincipalEntry } from '../../directory/types.js';
import { decodeKdcReq, encodeKerbErrorData, encodeKerbExtError, encodeKrbError, peekApplicationTag } from '../messages/index.js';
import { KDC_ERR, MSG_TYPE, NT, type KdcReq, type PrincipalName } from '../messages/types.js';
import { processAsReq } from './as.js';
import type { KdcContext, KdcEvent } from './context.js';
import { KdcError } from './kdc-error.js';
import { KdcLookups } from './lookups.js';
import { ReplayCache } from './replay-cache.js';
import { processTgsReq } from './tgs.js';
import { wholeSeconds } from './tickets.js';

/** MS-KILE 2.2.1: KERB-ERROR-DATA data-type for KERB-EXT-ERROR. */
const KERB_ERR_TYPE_EXTENDED = 3;

export interface KdcOptions {
  directory: Directory;
  /** NetBIOS name of this DC (LogonServer in the PAC). */
  dcName: string;
  /** Clock in ms (tests move it). */
  now?: () => number;
  /** One call per answered request: what happened, never a secret. */
  onEvent?: (e: KdcEvent) => void;
  /**
   * How long the domain row, the krbtgt keys, services, TGT clients and group closures are
   * cached (changes to them show after this; see lookups.ts). Default 2000 ms.
   */
  cacheMs?: number;
  /** A bug, not a bad request: the transport logs it (the client only sees KRB_ERR_GENERIC). */
  onInternalError?: (e: unknown) => void;
}

export class Kdc {
  private readonly now: () => number;
  private readonly replayCache: ReplayCache;
  private readonly lookups: KdcLookups;
  private cached?: { at: number; domain: Domain; krbtgt: PrincipalEntry };

  constructor(private readonly opts: KdcOptions) {
    this.now = opts.now ?? Date.now;
    this.replayCache = new ReplayCache(10 * 60 * 1000);
    this.lookups = new KdcLookups(opts.directory, opts.cacheMs ?? 2000);
  }

  private async context(): Promise<KdcContext> {
    const now = this.now();
    const c = this.cached;
    if (!c || now - c.at > (this.opts.cacheMs ?? 2000) || now < c.at) {
      const [domain, krbtgt] = await Promise.all([this.opts.directory.getDomain(), this.opts.directory.getKrbtgt()]);
      this.cached = { at: now, domain, krbtgt };
    }
    const { domain, krbtgt } = this.cached!;
    return { directory: this.opts.directory, domain, krbtgt, dcName: this.opts.dcName, now, replayCache: this.replayCache, lookups: this.lookups };
  }

  /**
   * Answers one KDC request. Returns undefined when the bytes are not a Kerberos request at
   * all and `datagram` is set (RFC 4120 7.2.1: nothing is owed to noise on UDP).
   */
  async handle(request: Buffer, datagram = false): Promise<Buffer | undefined> {
    const tag = peekApplicationTag(request);
    const ctx = await this.context();
    if (tag !== MSG_TYPE.AS_REQ && tag !== MSG_TYPE.TGS_REQ) {
      if (datagram) return undefined;
      return this.errorReply(ctx, new KdcError(KDC_ERR.KRB_AP_ERR_MSG_TYPE, 'not a KDC request'));
    }
    const event: KdcEvent = { event: tag === MSG_TYPE.AS_REQ ? 'as' : 'tgs', result: 'ok' };
    let req: KdcReq | undefined;
    try {
      req = decodeKdcReq(request);
      if (req.pvno !== 5) throw new KdcError(KDC_ERR.BAD_PVNO, 'bad protocol version');
      if (req.msgType !== tag) throw new KdcError(KDC_ERR.KRB_AP_ERR_MSG_TYPE, 'message type mismatch');
      const reply = tag === MSG_TYPE.AS_REQ ? await processAsReq(ctx, req, event) : await processTgsReq(ctx, req, event);
      this.opts.onEvent?.(event);
      return reply;
    } catch (e) {
      const err =
        e instanceof KdcError
          ? e
          : isDecodeError(e)
            ? new KdcError(KDC_ERR.KRB_ERR_GENERIC, 'malformed request')
            : new KdcError(KDC_ERR.KRB_ERR_GENERIC, 'internal error');
      event.result = 'error';
      event.code = err.code;
      event.status = err.options.status;
      this.opts.onEvent?.(event);
      if (!(e instanceof KdcError) && !isDecodeError(e)) this.opts.onInternalError?.(e);
      return this.errorReply(ctx, err, req);
    }
  }

  private errorReply(ctx: KdcContext, err: KdcError, req?: KdcReq): Buffer {
    const stime = wholeSeconds(ctx.now);
    const sname: PrincipalName = req?.reqBody.sname ?? { nameType: NT.SRV_INST, nameString: ['krbtgt', ctx.domain.realm] };
    let eData = err.options.eData;
    if (!eData && err.options.status !== undefined) {
      eData = encodeKerbErrorData({
        dataType: KERB_ERR_TYPE_EXTENDED,
        dataValue: encodeKerbExtError({ status: err.options.status, reserved: 0, flags: 1 }),
      });
    }
    return encodeKrbError({
      pvno: 5,
      msgType: MSG_TYPE.KRB_ERROR,
      stime,
      susec: (ctx.now % 1000) * 1000,
      errorCode: err.code,
      crealm: req?.reqBody.cname ? req.reqBody.realm : undefined,
      cname: req?.reqBody.cname,
      realm: ctx.domain.realm,
      sname,
      eText: err.message,
      eData,
    });
  }

  /** KRB_ERR_RESPONSE_TOO_BIG for a UDP reply that does not fit (RFC 4120 7.2.1). */
  responseTooBig(): Buffer {
    const now = this.now();
    const realm = this.cached?.domain.realm ?? '';
    return encodeKrbError({
      pvno: 5,
      msgType: MSG_TYPE.KRB_ERROR,
      stime: wholeSeconds(now),
      susec: (now % 1000) * 1000,
      errorCode: KDC_ERR.KRB_ERR_RESPONSE_TOO_BIG,
      realm,
      sname: { nameType: NT.SRV_INST, nameString: ['krbtgt', realm] },
      eText: 'response too big for UDP, retry with TCP',
    });
  }
}

function isDecodeError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'KerberosDecodeError' || e.name === 'DerError' || e.name === 'PacError');
}
