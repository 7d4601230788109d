// Short-lived answers the KDC reuses between requests, as it already does for the domain row
// and the krbtgt keys (kdc.ts): service principals, a TGS ticket's client, and group closures.
// A TGS-REQ otherwise costs three directory reads (the ticket's client, the service, the
// client's groups) and an AS-REQ two (the service, the groups) besides the client itself.
//
// What is NOT cached: the AS client. Its password keys, badPwdCount and lockoutTime decide the
// pre-authentication and lockout (MS-KILE 3.3.5.6.1, MS-SAMR 3.1.5.14.6) and are read fresh on
// every AS-REQ. What is cached shows a change within `ttlMs` (default 2 s): a disabled or
// deleted account still gets service tickets for at most that long with a TGT it already had,
// a new group membership reaches service tickets' resource groups that much later, and a
// service's new keys are used that much later (its previous keys are kept by the directory,
// so the service can still open tickets made with them).

import type { Directory } from '../../directory/directory.js';
import type { Account, MembershipSet, PrincipalEntry } from '../../directory/types.js';

interface Slot<T> {
  at: number;
  value: T;
}

/** A map whose entries expire; emptied whole when it reaches its bound (cheap, and rare). */
class TtlMap<K, V> {
  private readonly map = new Map<K, Slot<V>>();
  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  get(key: K, now: number): V | undefined {
    const s = this.map.get(key);
    if (!s) return undefined;
    if (now - s.at > this.ttlMs || now < s.at) {
      this.map.delete(key);
      return undefined;
    }
    return s.value;
  }

  set(key: K, value: V, now: number): void {
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(key, { at: now, value });
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}

export class KdcLookups {
  private readonly services: TtlMap<string, PrincipalEntry>;
  private readonly ticketClients: TtlMap<string, PrincipalEntry>;
  private readonly memberships: TtlMap<string, MembershipSet>;

  constructor(
    private readonly directory: Directory,
    ttlMs = 2000,
    max = 50_000,
  ) {
    this.services = new TtlMap(ttlMs, max);
    this.ticketClients = new TtlMap(ttlMs, max);
    this.memberships = new TtlMap(ttlMs, max);
  }

  /** Directory.findService, cached. Misses are not cached: a new SPN works at once. */
  async findService(nameParts: string[], now: number): Promise<PrincipalEntry | undefined> {
    const key = nameParts.join('/').toLowerCase();
    const hit = this.services.get(key, now);
    if (hit) return hit;
    const entry = await this.directory.findService(nameParts);
    if (entry) this.services.set(key, entry, now);
    return entry;
  }

  /**
   * The client a TGT names (CVE-2021-42287 requestor check, account restrictions at TGS), by
   * its name parts: findClient for one part, findService for more, as the TGS looks it up.
   */
  async findTicketClient(nameParts: string[], now: number): Promise<PrincipalEntry | undefined> {
    const key = nameParts.join('/').toLowerCase();
    const hit = this.ticketClients.get(key, now);
    if (hit) return hit;
    const entry = nameParts.length === 1 ? await this.directory.findClient(nameParts[0]) : await this.directory.findService(nameParts);
    if (entry) this.ticketClients.set(key, entry, now);
    return entry;
  }

  /** Directory.membership, cached by the account and its primary group. */
  async membership(account: Account, now: number): Promise<MembershipSet> {
    const key = `${account.rid}:${account.primaryGroupId}`;
    const hit = this.memberships.get(key, now);
    if (hit) return hit;
    const m = await this.directory.membership(account);
    this.memberships.set(key, m, now);
    return m;
  }

  /** Forgets everything (an administrative change made through this process). */
  clear(): void {
    this.services.clear();
    this.ticketClients.clear();
    this.memberships.clear();
  }
}
