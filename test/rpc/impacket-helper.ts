// Runs test/rpc/fixtures/impacket_rpc.py (impacket as an RPC client) with one JSON command.

import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requirePeer, run, SYSTEM_PYTHON } from '../helpers/peers.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'impacket_rpc.py');

export interface ImpacketCallResult {
  results?: { stub?: string; error?: string; code?: number }[];
  entries?: { iface: string; string_binding: string; annotation: string }[];
  binding?: string;
  error?: string;
  code?: number;
  exception?: string;
}

export async function impacket(cmd: object): Promise<ImpacketCallResult> {
  requirePeer(SYSTEM_PYTHON);
  const r = await run(SYSTEM_PYTHON, [FIXTURE], { input: JSON.stringify(cmd), env: { PATH: process.env.PATH, LANG: 'C.UTF-8' } });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return JSON.parse(r.stdout) as ImpacketCallResult;
}
