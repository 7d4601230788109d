// A bounded replay cache (RFC 4120 3.2.3 / 3.3.3: the KDC and every acceptor reject an
// authenticator seen before within the clock-skew window). Entries expire after the skew
// window; the cache is capped so a flood cannot grow memory without bound — when full, the
// oldest entries are evicted first (insertion order of a Map).

export class ReplayCache {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly windowMs: number,
    private readonly maxEntries = 200_000,
  ) {}

  /** Returns true if `key` was seen within the window (a replay); records it otherwise. */
  checkAndRecord(key: string, nowMs: number): boolean {
    const t = this.seen.get(key);
    if (t !== undefined && nowMs - t <= this.windowMs) return true;
    if (t !== undefined) this.seen.delete(key);
    this.seen.set(key, nowMs);
    if (this.seen.size > this.maxEntries) this.evict(nowMs);
    return false;
  }

  private evict(nowMs: number): void {
    for (const [k, t] of this.seen) {
      if (this.seen.size <= this.maxEntries * 0.9 && nowMs - t <= this.windowMs) break;
      this.seen.delete(k);
    }
  }

  get size(): number {
    return this.seen.size;
  }
}
