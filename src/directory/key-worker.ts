// The worker side of KeyDerivationPool (./key-pool.ts): derives the key material of password
// sets with the same keyMaterial() a single createUser uses, for the chunks the pool posts.

import { parentPort } from 'node:worker_threads';
import { keyMaterial, type KeyMaterialNames } from './keys.js';
import type { NewKeyMaterial } from './store.js';

export interface KeyJob {
  password: string;
  salt: string;
  names: KeyMaterialNames;
}

export type KeyWorkerRequest = { id: number; jobs: KeyJob[] };
export type KeyWorkerReply = { id: number; results: NewKeyMaterial[] } | { id: number; error: string };

/** A copy with its own ArrayBuffer: a Buffer from Node's 8 KiB pool would be cloned with the whole pool. */
function own(b: Buffer): Buffer {
  const copy = Buffer.alloc(b.length);
  b.copy(copy);
  return copy;
}

function derive(jobs: KeyJob[]): NewKeyMaterial[] {
  return jobs.map((j) => {
    const m = keyMaterial(j.password, j.salt, j.names);
    return {
      ntHash: own(m.ntHash),
      keys: m.keys.map((k) => ({ etype: k.etype, value: own(k.value) })),
      salt: m.salt,
      wdigest: m.wdigest === undefined ? undefined : own(m.wdigest),
    };
  });
}

const port = parentPort;
if (port) {
  port.on('message', (req: KeyWorkerRequest) => {
    let reply: KeyWorkerReply;
    try {
      reply = { id: req.id, results: derive(req.jobs) };
    } catch (e) {
      // Never the password: key derivation errors name the operation only.
      reply = { id: req.id, error: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(reply);
  });
}
