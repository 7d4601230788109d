// `authso keytab export`: the current keys of a principal as an MIT keytab, for a service
// (or an automated client) to use with kinit -k / gss_accept_sec_context.

import { randomBytes } from 'node:crypto';
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import type { Command } from 'commander';
import type { Directory } from '../directory/directory.js';
import { DirectoryError } from '../directory/errors.js';
import type { PrincipalEntry } from '../directory/types.js';
import { encodeKeytab, type KeytabEntry } from '../kerberos/keytab.js';
import { addDataDirOption, println, withDirectory } from './util.js';

const NT_PRINCIPAL = 1;

/**
 * Resolves a principal as the KDC would ('HTTP/web.example.test@EXAMPLE.TEST', 'alice',
 * 'WEB$', 'web$@EXAMPLE.TEST') and returns its current keys (every enctype, current kvno)
 * as keytab bytes. Single-name principals are written with the account's sAMAccountName
 * (the KDC's canonical name); SPNs as given. The realm is always the domain's.
 */
export async function exportKeytab(directory: Directory, principal: string): Promise<Buffer> {
  const domain = await directory.getDomain();
  let name = principal;
  const at = principal.lastIndexOf('@');
  if (at >= 0) {
    const realm = principal.slice(at + 1);
    if (realm.toUpperCase() !== domain.realm) {
      throw new DirectoryError('INVALID_ARGUMENT', `principal realm '${realm}' is not this domain's realm ${domain.realm}`);
    }
    name = principal.slice(0, at);
  }
  const parts = name.split('/');
  if (name === '' || parts.some((p) => p === '')) throw new DirectoryError('BAD_NAME', `bad principal name '${principal}'`);
  let entry: PrincipalEntry | undefined;
  let components = parts;
  if (parts.length === 1) {
    entry = (await directory.findClient(parts[0])) ?? (await directory.findService(parts));
    if (entry) components = [entry.account.samAccountName];
  } else {
    entry = await directory.findService(parts);
  }
  if (!entry) throw new DirectoryError('NO_SUCH_OBJECT', `no account holds the principal '${principal}'`);
  const current = entry.secrets.current;
  const timestamp = Math.floor(Date.now() / 1000);
  const entries: KeytabEntry[] = current.keys.map((k) => ({
    principal: { realm: domain.realm, components, nameType: NT_PRINCIPAL },
    timestamp,
    kvno: current.kvno,
    key: { etype: k.etype, value: k.value },
  }));
  return encodeKeytab(entries);
}

/** Writes `data` to `path` with mode 0600, atomically (a temp file in the same directory, then rename). */
export function writeSecretFile(path: string, data: Buffer): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function registerKeytab(program: Command): void {
  const keytab = program.command('keytab').description('export keys as MIT keytab files');
  addDataDirOption(
    keytab
      .command('export')
      .description("write a principal's current keys (aes256, aes128, rc4) to a keytab file (mode 0600)")
      .requiredOption('--principal <principal>', "e.g. HTTP/web.example.test@EXAMPLE.TEST, alice or WEB$")
      .requiredOption('--out <file>', 'keytab file to write (replaced if it exists)'),
  ).action(async (o: { dataDir?: string; principal: string; out: string }) => {
    await withDirectory(o.dataDir, async (d) => {
      const data = await exportKeytab(d, o.principal);
      writeSecretFile(o.out, data);
      println(`wrote the keys of ${o.principal} to ${o.out}`);
    });
  });
}
