// Running real peers (MIT krb5 tools, impacket, tshark) from tests.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningDomain } from '../../src/dc/domain.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${e.message} (is the peer installed? run: npm run peers)`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // a peer may exit before reading its input
    child.stdin.end(opts.input ?? '');
  });
}

/** Fails (never skips) when a peer binary is missing: the suite installs its peers. */
export function requirePeer(path: string): string {
  if (!existsSync(path)) throw new Error(`peer ${path} is missing: run 'npm run peers' (scripts/install-peers.sh)`);
  return path;
}

export interface MitEnv {
  env: NodeJS.ProcessEnv;
  dir: string;
  ccache: string;
  krb5conf: string;
}

/** A private MIT client environment (krb5.conf, ccache) for one test against `domain`. */
export async function mitEnv(domain: RunningDomain, extraLibdefaults = ''): Promise<MitEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'authso-mit-'));
  const { writeFile } = await import('node:fs/promises');
  const krb5conf = join(dir, 'krb5.conf');
  await writeFile(krb5conf, domain.krb5Conf.replace('[libdefaults]\n', `[libdefaults]\n${extraLibdefaults}`));
  const ccache = join(dir, 'ccache');
  return {
    dir,
    ccache,
    krb5conf,
    env: { PATH: process.env.PATH, KRB5_CONFIG: krb5conf, KRB5CCNAME: `FILE:${ccache}`, KRB5_KTNAME: join(dir, 'none.keytab'), LANG: 'C' },
  };
}

export const IMPACKET_EXAMPLES = '/usr/share/doc/python3-impacket/examples';
export const SYSTEM_PYTHON = '/usr/bin/python3';
