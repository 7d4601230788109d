// Test certificates made with the openssl command: a server certificate for https, a client
// CA the server trusts, and client certificates carrying UPNs in subjectAltName (the Microsoft
// UPN otherName, 1.3.6.1.4.1.311.20.2.3) as smart-card and TLS-client logons use.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requirePeer, run } from './peers.js';

export const OPENSSL = requirePeer('/usr/bin/openssl');

export interface TestCa {
  cert: string;
  key: string;
}

async function openssl(args: string[], what: string): Promise<void> {
  const r = await run(OPENSSL, args);
  if (r.code !== 0) throw new Error(`openssl ${what} failed: ${r.stderr}`);
}

/** A self-signed certificate for `host` (an https server's), as PEM files in `dir`. */
export async function serverCertificate(dir: string, host: string): Promise<{ cert: string; key: string }> {
  const key = join(dir, 'server-key.pem');
  const cert = join(dir, 'server-cert.pem');
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`, '-keyout', key, '-out', cert, '-days', '1'], 'req (server)');
  return { cert, key };
}

/** A CA for TLS client certificates. */
export async function clientCa(dir: string): Promise<TestCa> {
  const key = join(dir, 'ca.key');
  const cert = join(dir, 'ca.pem');
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=authso test client CA', '-keyout', key, '-out', cert, '-days', '1'], 'req (CA)');
  return { cert, key };
}

/** A client certificate with these UPNs, signed by `ca` (or self-signed when ca is undefined). */
export async function clientCertificate(dir: string, ca: TestCa | undefined, name: string, upns: string[]): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  const san = upns.map((u) => `otherName:1.3.6.1.4.1.311.20.2.3;UTF8:${u}`).concat(['email:someone@example.test']).join(',');
  await writeFile(ext, `subjectAltName=${san}\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\n`);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', key, '-out', csr], 'req (client)');
  const signer = ca ? ['-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial'] : ['-signkey', key];
  await openssl(['x509', '-req', '-in', csr, ...signer, '-out', cert, '-days', '1', '-extfile', ext], 'x509 (client)');
  return { cert, key };
}

/** A self-signed EC certificate with these UPNs (no CA: for the KDC's mapping, not TLS), as DER and as a PEM file. */
export async function certificateFor(dir: string, name: string, upns: string[]): Promise<{ der: Buffer; pem: string }> {
  const pem = join(dir, `${name}.pem`);
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', join(dir, `${name}.key`), '-out', pem, '-days', '1'];
  if (upns.length > 0) args.push('-addext', `subjectAltName=${upns.map((u) => `otherName:1.3.6.1.4.1.311.20.2.3;UTF8:${u}`).join(',')}`);
  await openssl(args, 'req (self-signed)');
  const der = join(dir, `${name}.der`);
  await openssl(['x509', '-in', pem, '-outform', 'DER', '-out', der], 'x509 (DER)');
  return { der: await readFile(der), pem };
}
