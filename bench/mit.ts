// A throw-away MIT krb5kdc realm for comparison: its own kdc.conf, database, stash and log in
// a temp dir (KRB5_CONFIG / KRB5_KDC_PROFILE point there, the system's files are not read),
// the bench users created by one kadmin.local process reading commands on stdin, and
// `krb5kdc -n` (foreground, one process, no worker processes) on a loopback port.

import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, removeDir, stopProcess, track, trackDir } from './procs.js';
import type { Endpoint } from './transport.js';

export const MIT_KRB5KDC = '/usr/sbin/krb5kdc';
const KDB5_UTIL = '/usr/sbin/kdb5_util';
const KADMIN_LOCAL = '/usr/sbin/kadmin.local';

export interface MitOptions {
  realm: string;
  users: readonly string[];
  password: string;
  /** e.g. 'HTTP/web.example.test' (created with a random key). */
  service: string;
  host?: string;
  /**
   * MIT's default (false) records the time of every successful pre-authenticated AS exchange in
   * the principal's entry: one database write and fsync per AS-REQ. true sets
   * disable_last_success and disable_lockout, so the KDC writes nothing on success (as authso).
   */
  noDbWrites?: boolean;
  /** Print progress here. */
  log?: (line: string) => void;
}

export interface MitKdc {
  endpoint: Endpoint;
  pid: number;
  version: string;
  /** Time to create the database and the principals, ms. */
  provisionMs: number;
  dir: string;
  stop(): Promise<void>;
}

export function mitAvailable(): boolean {
  return existsSync(MIT_KRB5KDC) && existsSync(KDB5_UTIL) && existsSync(KADMIN_LOCAL);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] }));
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}: ${out.slice(-2000)}`))));
    child.stdin?.end(input ?? '');
  });
}

export async function mitVersion(): Promise<string> {
  const q = (cmd: string, args: string[]): Promise<string> =>
    new Promise((resolve) => execFile(cmd, args, (err, stdout) => resolve(err ? '' : stdout.trim())));
  const deb = await q('dpkg-query', ['-W', '-f', '${Version}', 'krb5-kdc']);
  if (deb) return `MIT krb5kdc ${deb.split('-')[0]} (Debian krb5-kdc ${deb})`;
  const cfg = await q('krb5-config', ['--version']);
  return cfg || 'MIT krb5kdc (version unknown)';
}

async function waitForTcp(ep: Endpoint, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('krb5kdc exited during start-up');
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: ep.host, port: ep.port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`krb5kdc did not listen on ${ep.host}:${ep.port}`);
}

export async function startMitKdc(o: MitOptions): Promise<MitKdc> {
  const host = o.host ?? '127.0.0.1';
  const log = o.log ?? (() => {});
  const dir = trackDir(await mkdtemp(join(tmpdir(), 'authso-bench-mit-')));
  try {
    const port = await freePort(host);
    const kdcConf = join(dir, 'kdc.conf');
    const krb5Conf = join(dir, 'krb5.conf');
    await writeFile(
      kdcConf,
      `[kdcdefaults]
    kdc_listen = ${host}:${port}
    kdc_tcp_listen = ${host}:${port}

[realms]
    ${o.realm} = {
        database_name = ${dir}/principal
        key_stash_file = ${dir}/stash
        acl_file = ${dir}/kadm5.acl
        master_key_type = aes256-cts-hmac-sha1-96
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
        max_life = 10h
        max_renewable_life = 7d
    }

${
  o.noDbWrites
    ? `[dbmodules]
    ${o.realm} = {
        disable_last_success = true
        disable_lockout = true
    }

`
    : ''
}[logging]
    kdc = FILE:${dir}/kdc.log
    admin_server = FILE:${dir}/kadmin.log
    default = FILE:${dir}/krb5lib.log
`,
    );
    await writeFile(
      krb5Conf,
      `[libdefaults]
    default_realm = ${o.realm}
    dns_lookup_kdc = false
    dns_lookup_realm = false
    udp_preference_limit = 1

[realms]
    ${o.realm} = {
        kdc = ${host}:${port}
    }
`,
    );
    await writeFile(join(dir, 'kadm5.acl'), '');
    const env: NodeJS.ProcessEnv = { ...process.env, KRB5_CONFIG: krb5Conf, KRB5_KDC_PROFILE: kdcConf };

    const t0 = performance.now();
    await run(KDB5_UTIL, ['create', '-s', '-P', 'masterpw', '-r', o.realm], env);
    const commands = o.users.map(
      (u) => `addprinc -pw ${o.password} -e aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal +requires_preauth ${u}\n`,
    );
    commands.push(`addprinc -randkey -e aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal ${o.service}\n`);
    log(`MIT: creating ${o.users.length} principals with kadmin.local`);
    const out = await run(KADMIN_LOCAL, ['-r', o.realm], env, commands.join(''));
    const created = out.match(/Principal "[^"]+" created\./g)?.length ?? 0;
    if (created !== commands.length) throw new Error(`kadmin.local created ${created} of ${commands.length} principals: ${out.slice(-1000)}`);
    const provisionMs = performance.now() - t0;

    const kdc = track(spawn(MIT_KRB5KDC, ['-n', '-r', o.realm], { env, stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    kdc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const endpoint = { host, port };
    try {
      await waitForTcp(endpoint, 10_000, () => kdc.exitCode === null && kdc.signalCode === null);
    } catch (e) {
      await stopProcess(kdc);
      throw new Error(`${e instanceof Error ? e.message : String(e)}: ${stderr}`);
    }
    return {
      endpoint,
      pid: kdc.pid as number,
      version: await mitVersion(),
      provisionMs,
      dir,
      async stop() {
        await stopProcess(kdc);
        removeDir(dir);
      },
    };
  } catch (e) {
    removeDir(dir);
    throw e;
  }
}
