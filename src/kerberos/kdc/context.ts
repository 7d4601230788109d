// What one KDC request sees: the directory, the domain as of this request, and the clock.

import type { Directory } from '../../directory/directory.js';
import type { Domain, PrincipalEntry } from '../../directory/types.js';
import type { KdcLookups } from './lookups.js';
import type { ReplayCache } from './replay-cache.js';

export interface KdcEvent {
  event: 'as' | 'tgs';
  client?: string;
  service?: string;
  result: 'ok' | 'error';
  code?: number;
  status?: number;
  etype?: number;
}

export interface KdcContext {
  directory: Directory;
  domain: Domain;
  krbtgt: PrincipalEntry;
  dcName: string;
  /** Milliseconds since the epoch. */
  now: number;
  replayCache: ReplayCache;
  /** Short-lived service, ticket-client and group lookups (lookups.ts). */
  lookups: KdcLookups;
}
