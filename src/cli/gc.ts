// V8's young generation, sized for a server whose requests make many short-lived native
// objects (node:crypto Cipher/Hmac objects, socket wraps): each carries a weak global handle
// that every scavenge must visit, so with V8's default semi-space (growing to 16 MiB) a
// scavenge pauses the one JavaScript thread for 3–6 ms, about 5 times a second under load
// (`node --trace-gc-nvp`: heap.external_weak_global_handles was most of each pause). A 4 MiB
// semi-space makes the pauses shorter and more frequent. Measured on the KDC (docs/benchmarks.md,
// "The TGS tail"): half-peak p99 AS 4.9–6.8 ms against 7.1–9.4 ms, TGS 15.6–22.5 ms against
// 19.6–31.9 ms, in alternating runs on a noisy VM — a trend, not a cure.
//
// Applied by `authso dc` and `authso demo` (and the KDC benchmark's DC) only: a library does not
// change its host's V8 flags, and the HTTP server showed no gain. An explicit
// --max-semi-space-size (on the command line or in NODE_OPTIONS) wins.

import { setFlagsFromString } from 'node:v8';

export const SEMI_SPACE_MIB = 4;

export function tuneYoungGeneration(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('semi-space-size') || a.includes('semi_space_size'));
  if (!given) setFlagsFromString(`--max-semi-space-size=${SEMI_SPACE_MIB}`);
}
