// startDomain(): a throw-away domain controller in this process — temp storage, loopback,
// free ports — for tests and for users' own test suites (what MiniKdc / k5test give Java and
// C users). The `authso demo` command is this plus a printout.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../directory/directory.js';
import type { DomainPolicy, GroupScope } from '../directory/types.js';
import { Kdc } from '../kerberos/kdc/kdc.js';
import type { KdcEvent } from '../kerberos/kdc/context.js';
import { renderKrb5Conf } from './krb5conf.js';
import { startKdcServer, type KdcServer } from './kdc-server.js';
import type { NetlogonLogonEvent } from '../netlogon/server.js';
import { startDcRpcServices, type DcRpcServices } from './rpc-services.js';

export interface DomainUser {
  name: string;
  password: string;
  upn?: string;
  groups?: string[];
  disabled?: boolean;
  /** msDS-SupportedEncryptionTypes, e.g. 0x1c to allow RC4 as well as AES. */
  supportedEncryptionTypes?: number;
}

export interface DomainService {
  /** Account name: 'web' creates the computer account WEB$ (host web.<dns name>). */
  computer: string;
  /** Extra SPNs beyond HOST/..., e.g. ['HTTP/web.example.test']. */
  spns?: string[];
  password?: string;
}

export interface StartDomainOptions {
  realm?: string; // default 'EXAMPLE.TEST'
  netbiosName?: string; // default: first label of the realm
  users?: DomainUser[];
  groups?: { name: string; scope?: GroupScope }[];
  services?: DomainService[];
  policy?: Partial<DomainPolicy>;
  host?: string; // default 127.0.0.1
  kdcPort?: number; // default: a free port (same number for UDP and TCP)
  /** Keep the data here instead of a temp dir removed on stop(). */
  dataDir?: string;
  dcName?: string;
  onEvent?: (e: KdcEvent) => void;
  /** The DC's audit events for each Netlogon validation (with `rpc`). */
  onNetlogonEvent?: (e: NetlogonLogonEvent) => void;
  /** How long the KDC caches the domain row and krbtgt keys (ms, default 2000). */
  cacheMs?: number;
  /** Also run Netlogon and the endpoint mapper (free ports unless given). */
  rpc?: boolean | { rpcPort?: number; epmPort?: number };
}

export interface RunningDomain {
  realm: string;
  dnsName: string;
  dataDir: string;
  directory: Directory;
  kdc: { host: string; port: number };
  /** Netlogon's RPC endpoint and the endpoint mapper, when started with `rpc`. */
  rpc?: { host: string; port: number };
  epm?: { host: string; port: number };
  /** A client krb5.conf pointing at this KDC. */
  krb5Conf: string;
  /** Writes krb5.conf into `dir` (default: the data dir) and returns its path. */
  writeKrb5Conf(dir?: string): Promise<string>;
  /** Passwords of computer accounts created with a random one, by account name. */
  machinePasswords: Record<string, string>;
  stop(): Promise<void>;
}

export async function startDomain(o: StartDomainOptions = {}): Promise<RunningDomain> {
  const realm = (o.realm ?? 'EXAMPLE.TEST').toUpperCase();
  const netbiosName = (o.netbiosName ?? realm.split('.')[0]).toUpperCase().slice(0, 15);
  const ownDir = !o.dataDir;
  const dataDir = o.dataDir ?? (await mkdtemp(join(tmpdir(), 'authso-domain-')));
  const host = o.host ?? '127.0.0.1';
  const directory = await Directory.openSqlite(dataDir);
  let server: KdcServer | undefined;
  let rpc: DcRpcServices | undefined;
  try {
    await directory.provision({ realm, netbiosName, policy: o.policy });
    for (const g of o.groups ?? []) await directory.createGroup(g.name, g.scope ?? 'global');
    for (const u of o.users ?? []) {
      await directory.createUser(u.name, { password: u.password, upn: u.upn, supportedEncryptionTypes: u.supportedEncryptionTypes });
      for (const g of u.groups ?? []) await directory.addMember(g, u.name);
      if (u.disabled) await directory.disableAccount(u.name);
    }
    const machinePasswords: Record<string, string> = {};
    for (const s of o.services ?? []) {
      const r = await directory.createComputer(s.computer, { password: s.password });
      machinePasswords[r.account.samAccountName] = r.password;
      for (const spn of s.spns ?? []) await directory.addSpn(r.account.samAccountName, spn);
    }
    const kdc = new Kdc({ directory, dcName: o.dcName ?? 'DC1', onEvent: o.onEvent, cacheMs: o.cacheMs });
    server = await listenWithRetry(kdc, host, o.kdcPort ?? 0);
    if (o.rpc) {
      const ports = typeof o.rpc === 'object' ? o.rpc : {};
      rpc = await startDcRpcServices({ directory, host, rpcPort: ports.rpcPort ?? 0, epmPort: ports.epmPort ?? 0, dcName: o.dcName ?? 'DC1', onEvent: o.onNetlogonEvent });
    }
    const port = server.tcpAddress.port;
    const dnsName = realm.toLowerCase();
    const krb5Conf = renderKrb5Conf({ realm, dnsName, kdcs: [`${host}:${port}`] });
    const srv = server;
    const rpcServices = rpc;
    return {
      realm,
      dnsName,
      dataDir,
      directory,
      kdc: { host, port },
      rpc: rpcServices?.rpc,
      epm: rpcServices?.epm,
      krb5Conf,
      machinePasswords,
      async writeKrb5Conf(dir = dataDir) {
        const p = join(dir, 'krb5.conf');
        await writeFile(p, krb5Conf);
        return p;
      },
      async stop() {
        await rpcServices?.close();
        await srv.close();
        await directory.close();
        if (ownDir) await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await rpc?.close();
    await server?.close();
    await directory.close();
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}

/** With port 0 the TCP port is free but the same UDP port may not be: try a few. */
async function listenWithRetry(kdc: Kdc, host: string, port: number): Promise<KdcServer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startKdcServer(kdc, { host, port });
    } catch (e) {
      if (port !== 0 || attempt >= 9) throw e;
    }
  }
}
