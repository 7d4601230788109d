// Apache httpd + mod_auth_gssapi protecting the same file with the same keytab, for comparison
// (bench/http.ts). A throw-away server: its own ServerRoot, config, PidFile, ErrorLog, document
// root and replay cache in a temp dir; `apache2 -DFOREGROUND -f <conf>` started here, with
// KRB5_CONFIG pointing at the domain's krb5.conf, so no system file (/etc/apache2, /etc/krb5.conf)
// is read. Stopped with SIGTERM (graceful stop of the parent and its children), SIGKILL after
// a grace period; registered with bench/procs.ts so an error or ^C stops it too.

import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, removeDir, stopProcess, track, trackDir } from './procs.js';

export const APACHE = '/usr/sbin/apache2';
export const APACHE_MODULES = '/usr/lib/apache2/modules';
const REQUIRED_MODULES = ['mod_mpm_event.so', 'mod_authn_core.so', 'mod_authz_core.so', 'mod_authz_user.so', 'mod_auth_gssapi.so'];

/** Why Apache cannot be run here, or undefined when it can. */
export function apacheMissing(): string | undefined {
  if (!existsSync(APACHE)) return `${APACHE} not found`;
  const missing = REQUIRED_MODULES.filter((m) => !existsSync(join(APACHE_MODULES, m)));
  if (missing.length) return `${missing.join(', ')} not found in ${APACHE_MODULES}`;
  return undefined;
}

export async function apacheVersion(): Promise<string> {
  const q = (cmd: string, args: string[]): Promise<string> =>
    new Promise((resolve) => execFile(cmd, args, (err, stdout) => resolve(err ? '' : stdout.trim())));
  const v = /Apache\/[\d.]+/.exec(await q(APACHE, ['-v']))?.[0] ?? 'Apache (version unknown)';
  const m = await q('dpkg-query', ['-W', '-f', '${Version}', 'libapache2-mod-auth-gssapi']);
  const k = await q('dpkg-query', ['-W', '-f', '${Version}', 'libgssapi-krb5-2']);
  return `${v}, mod_auth_gssapi ${m || '?'}, MIT libgssapi-krb5 ${k || '?'}`;
}

/**
 * The replay cache MIT's acceptor uses inside Apache:
 *  - 'file': MIT's default type (file2 since krb5 1.18: a hash table in one file, updated with
 *    pread/pwrite under a lock on every AP-REQ), in a temp dir of its own (KRB5RCACHEDIR);
 *  - 'none': replay detection off (KRB5RCACHETYPE=none).
 * authso's acceptor always checks replays (an in-memory cache shared by the process), so
 * 'file' is the like-for-like configuration; 'none' shows what the replay cache costs Apache.
 */
export type ApacheRcache = 'file' | 'none';

export interface ApacheOptions {
  keytab: Buffer;
  krb5Conf: string;
  /** The file to protect, copied into the document root as `urlPath`. */
  filePath: string;
  urlPath: string;
  rcache: ApacheRcache;
  host?: string;
  log?: (line: string) => void;
}

export interface ApacheServer {
  port: number;
  /** The parent process. */
  pid: number;
  dir: string;
  /** Parent and children now (mpm_event forks StartServers children, each with threads). */
  pids(): number[];
  errorLog(): string;
  stop(): Promise<void>;
}

/** The account the children run as when we are root (Apache will not serve as root). */
function runAs(): { user: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['www-data', 'nobody']) {
    const f = passwd.find((l) => l.startsWith(`${name}:`))?.split(':');
    if (f) return { user: name, uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error('running as root and neither www-data nor nobody exists for Apache to run as');
}

/** Children of `pid` (from /proc/PID/stat's ppid field). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function waitForTcp(host: string, port: number, timeoutMs: number, alive: () => boolean, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`apache2 exited during start-up: ${why()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`apache2 did not listen on ${host}:${port}: ${why()}`);
}

export async function startApache(o: ApacheOptions): Promise<ApacheServer> {
  const host = o.host ?? '127.0.0.1';
  const dir = trackDir(await mkdtemp(join(tmpdir(), 'authso-bench-apache-')));
  try {
    const port = await freePort(host);
    const docroot = join(dir, 'htdocs');
    const rcacheDir = join(dir, 'rcache');
    await mkdir(docroot);
    await mkdir(rcacheDir, { mode: 0o700 });
    await copyFile(o.filePath, join(docroot, o.urlPath.replace(/^\//, '')));
    const keytab = join(dir, 'http.keytab');
    await writeFile(keytab, o.keytab, { mode: 0o600 });
    const krb5Conf = join(dir, 'krb5.conf');
    await writeFile(krb5Conf, o.krb5Conf);
    const user = runAs();
    if (user) {
      // The children (not the root parent) read the keytab and the file and write the replay
      // cache: the temp dir (0700 from mkdtemp) must let them through.
      chmodSync(dir, 0o755);
      for (const p of [keytab, rcacheDir]) chownSync(p, user.uid, user.gid);
    }
    const conf = join(dir, 'httpd.conf');
    await writeFile(
      conf,
      `# Generated by bench/http-apache.ts
ServerRoot "${dir}"
ServerName web.example.test
Listen ${host}:${port}
PidFile "${dir}/httpd.pid"
ErrorLog "${dir}/error.log"
LogLevel warn
${user ? `User ${user.user}\nGroup #${user.gid}\n` : ''}
LoadModule mpm_event_module ${APACHE_MODULES}/mod_mpm_event.so
LoadModule authn_core_module ${APACHE_MODULES}/mod_authn_core.so
LoadModule authz_core_module ${APACHE_MODULES}/mod_authz_core.so
LoadModule authz_user_module ${APACHE_MODULES}/mod_authz_user.so
LoadModule auth_gssapi_module ${APACHE_MODULES}/mod_auth_gssapi.so

# Debian's mpm_event defaults (mods-available/mpm_event.conf), spelled out.
StartServers 2
MinSpareThreads 25
MaxSpareThreads 75
ThreadLimit 64
ThreadsPerChild 25
MaxRequestWorkers 150
MaxConnectionsPerChild 0

# Keep-alive without a per-connection request limit, as Node's http server (the default 100
# would close every 100th connection).
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 5
# No access log (authso's server writes none either).

DocumentRoot "${docroot}"
# No .htaccess look-ups (Debian's apache2.conf has the same for /).
<Directory />
    AllowOverride None
</Directory>
<Directory "${docroot}">
    Options None
    AllowOverride None
</Directory>
<Location />
    AuthType GSSAPI
    AuthName "authso bench"
    GssapiCredStore keytab:${keytab}
    GssapiAllowedMech krb5
    Require valid-user
</Location>
`,
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      LANG: 'C',
      KRB5_CONFIG: krb5Conf,
      KRB5_KTNAME: `FILE:${keytab}`,
      KRB5RCACHEDIR: rcacheDir,
      ...(o.rcache === 'none' ? { KRB5RCACHETYPE: 'none' } : {}),
      // Debian's apache2 reads APACHE_* variables only through apache2ctl's envvars; we give the
      // binary everything in the config instead.
    };
    // Its own process group, so that the children can be killed with it whatever happens: on
    // SIGTERM Apache stops them itself, but the last-resort SIGKILL of bench/procs.ts reaches
    // only the parent, hence the group kill on exit below.
    const child = track(spawn(APACHE, ['-DFOREGROUND', '-d', dir, '-f', conf], { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true }));
    const killGroup = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    process.on('exit', killGroup);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const errorLog = (): string => {
      try {
        return readFileSync(join(dir, 'error.log'), 'utf8');
      } catch {
        return '';
      }
    };
    try {
      await waitForTcp(host, port, 10_000, () => child.exitCode === null && child.signalCode === null, () => `${stderr}${errorLog()}`.slice(-2000));
    } catch (e) {
      await stopProcess(child);
      killGroup();
      process.off('exit', killGroup);
      throw e;
    }
    const pid = child.pid as number;
    return {
      port,
      pid,
      dir,
      pids: () => [pid, ...childPids(pid)],
      errorLog,
      async stop() {
        // SIGTERM: Apache's "stop now" (kills its children, removes the pid file, exits).
        await stopProcess(child, 10_000);
        // Children that outlived their parent (they should not): gone now.
        killGroup();
        process.off('exit', killGroup);
        removeDir(dir);
      },
    };
  } catch (e) {
    removeDir(dir);
    throw e;
  }
}
