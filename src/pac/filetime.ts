// MS-DTYP 2.3.3 FILETIME: 100-nanosecond intervals since 1601-01-01 UTC, as MS-PAC carries
// times (KERB_VALIDATION_INFO 2.5, PAC_CLIENT_INFO 2.7).

/** MS-PAC 2.5: "never" (dwHighDateTime 0x7FFFFFFF, dwLowDateTime 0xFFFFFFFF). */
export const FILETIME_NEVER = 0x7fffffffffffffffn;

/** 100 ns ticks between 1601-01-01 and 1970-01-01. */
const EPOCH_DELTA = 116444736000000000n;

/** A Date as FILETIME; undefined means "never" (FILETIME_NEVER). Throws RangeError for an
 *  invalid Date or one before 1601. */
export function dateToFileTime(d: Date | undefined): bigint {
  if (d === undefined) return FILETIME_NEVER;
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('invalid Date');
  const ft = BigInt(ms) * 10000n + EPOCH_DELTA;
  if (ft < 0n) throw new RangeError('Date before 1601 has no FILETIME');
  return ft > FILETIME_NEVER ? FILETIME_NEVER : ft;
}

/** A FILETIME as a Date (millisecond precision, truncated). 0 ("not set") and values at or
 *  above FILETIME_NEVER ("never") give undefined. */
export function fileTimeToDate(ft: bigint): Date | undefined {
  if (ft <= 0n || ft >= FILETIME_NEVER) return undefined;
  const ticks = ft - EPOCH_DELTA;
  let ms = ticks / 10000n;
  if (ticks < 0n && ms * 10000n !== ticks) ms -= 1n; // floor, also before 1970
  return new Date(Number(ms));
}
