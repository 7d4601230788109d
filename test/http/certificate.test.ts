// TLS client certificates (MS-AUTHSO 5.4.5 step 7, "Certificate") with curl --cert: the UPN in
// subjectAltName (otherName 1.3.6.1.4.1.311.20.2.3) mapped to a directory account.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { DirectoryCertificateMapper, strongCertificateIdentities, upnsFromCertificate } from '../../src/http/index.js';
import { OPENSSL } from '../helpers/certs.js';
import { run } from '../helpers/peers.js';
import { startHttpFixture, type HttpFixture } from './fixture.js';

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

describe('TLS client certificates mapped by UPN', () => {
  let f: HttpFixture;
  before(async () => {
    f = await startHttpFixtureWithCertificates();
  });
  after(async () => {
    await f?.stop();
  });

  async function startHttpFixtureWithCertificates(): Promise<HttpFixture> {
    // The mapper reads the fixture's directory, which exists only once the fixture has started.
    const holder: { mapper?: DirectoryCertificateMapper } = {};
    const fx = await startHttpFixture({
      certificates: {
        mapCertificate: (der) => {
          if (!holder.mapper) throw new Error('not ready');
          return holder.mapper.mapCertificate(der);
        },
      },
      rules: [
        { path: '/certs-only/*', mechanisms: ['Certificate'] },
        { path: '/admins/*', sddl: 'D:(A;;GA;;;DA)' },
      ],
    });
    holder.mapper = new DirectoryCertificateMapper(fx.domain.directory);
    return fx;
  }

  test('the UPN is read from the certificate DER', async () => {
    const c = await f.issueClientCert('parse', ['alice@example.test']);
    assert.deepEqual(upnsFromCertificate(pemToDer(await readFile(c.cert, 'utf8'))), ['alice@example.test']);
    assert.deepEqual(upnsFromCertificate(Buffer.from('3003020101', 'hex')), []);
    assert.deepEqual(upnsFromCertificate(Buffer.alloc(0)), []);
  });

  test('a trusted certificate naming alice: 200 as alice', async () => {
    const c = await f.issueClientCert('alice', ['alice@example.test']);
    const r = await f.curl(['-k', '--cert', c.cert, '--key', c.key, f.url('/certs-only/x', true)]);
    assert.equal(r.status, 200, r.stderr);
    const line = f.audit.map((l) => JSON.parse(l) as { mechanism: string; result: string; user: string }).filter((a) => a.mechanism === 'Certificate').pop();
    assert.equal(line?.result, 'success');
    assert.equal(line?.user, 'alice@example.test');
  });

  test('the access check applies: alice is not a Domain Admin, bob is', async () => {
    const a = await f.issueClientCert('alice2', ['alice@example.test']);
    assert.equal((await f.curl(['-k', '--cert', a.cert, '--key', a.key, f.url('/admins/x', true)])).status, 403);
    const b = await f.issueClientCert('bob', ['bob@example.test']);
    assert.equal((await f.curl(['-k', '--cert', b.cert, '--key', b.key, f.url('/admins/x', true)])).status, 200);
  });

  test('refused: self-signed, unknown UPN, two UPNs, no certificate, disabled account', async () => {
    const self = await f.issueClientCert('self', ['alice@example.test'], false);
    assert.equal((await f.curl(['-k', '--cert', self.cert, '--key', self.key, f.url('/certs-only/x', true)])).status, 403);
    const nobody = await f.issueClientCert('nobody', ['nobody@example.test']);
    assert.equal((await f.curl(['-k', '--cert', nobody.cert, '--key', nobody.key, f.url('/certs-only/x', true)])).status, 403);
    const other = await f.issueClientCert('other', ['alice@other.test']);
    assert.equal((await f.curl(['-k', '--cert', other.cert, '--key', other.key, f.url('/certs-only/x', true)])).status, 403);
    const two = await f.issueClientCert('two', ['alice@example.test', 'bob@example.test']);
    assert.equal((await f.curl(['-k', '--cert', two.cert, '--key', two.key, f.url('/certs-only/x', true)])).status, 403);
    assert.equal((await f.curl(['-k', f.url('/certs-only/x', true)])).status, 403);
    await f.domain.directory.disableAccount('frank');
    const frank = await f.issueClientCert('frank', ['frank@example.test']);
    assert.equal((await f.curl(['-k', '--cert', frank.cert, '--key', frank.key, f.url('/certs-only/x', true)])).status, 403);
  });

  test('explicit strong mappings (altSecurityIdentities) come before the UPN; weak ones are not honoured', async () => {
    // A certificate naming nobody (or someone else) logs on as the account it is mapped to.
    const c = await f.issueClientCert('mapped', ['nobody@example.test']);
    const der = pemToDer(await readFile(c.cert, 'utf8'));
    const ids = strongCertificateIdentities(der);
    // Windows' form: the issuer's RDNs in certificate order, the serial's bytes reversed.
    const serial = (await run(OPENSSL, ['x509', '-in', c.cert, '-noout', '-serial'])).stdout.trim().split('=')[1];
    const reversed = (serial.length % 2 ? `0${serial}` : serial).match(/../g)?.reverse().join('');
    assert.equal(ids[0], `X509:<I>CN=authso test client CA<SR>${reversed}`);
    const ski = (await run(OPENSSL, ['x509', '-in', c.cert, '-noout', '-ext', 'subjectKeyIdentifier'])).stdout.split('\n')[1].trim().replace(/:/g, '');
    assert.equal(ids[1], `X509:<SKI>${ski}`);
    const get = async () => {
      const r = await f.curl(['-k', '--cert', c.cert, '--key', c.key, f.url('/certs-only/x', true)]);
      const line = f.audit.map((l) => JSON.parse(l) as { mechanism: string; result: string; user: string }).filter((a) => a.mechanism === 'Certificate').pop();
      return { status: r.status, user: line?.result === 'success' ? line.user : undefined };
    };
    assert.equal((await get()).status, 403);
    // Weak forms (issuer + subject) are not honoured.
    await f.domain.directory.setAccountFields('carol', { altSecurityIdentities: ['X509:<I>CN=authso test client CA<S>CN=mapped'] });
    assert.equal((await get()).status, 403);
    await f.domain.directory.setAccountFields('carol', { altSecurityIdentities: [ids[0].toLowerCase()] });
    assert.deepEqual(await get(), { status: 200, user: 'carol@example.test' });
    await f.domain.directory.setAccountFields('carol', { altSecurityIdentities: [ids[1]] });
    assert.deepEqual(await get(), { status: 200, user: 'carol@example.test' });
    // Mapped to two accounts: neither.
    await f.domain.directory.setAccountFields('erin', { altSecurityIdentities: [ids[0]] });
    assert.equal((await get()).status, 403);
    await f.domain.directory.setAccountFields('erin', { altSecurityIdentities: [] });
    await f.domain.directory.setAccountFields('carol', { altSecurityIdentities: [] });
    assert.deepEqual(strongCertificateIdentities(Buffer.from('not a certificate')), []);
  });

  test('a resource open to every mechanism: a certificate passes, and without one the client is challenged', async () => {
    const c = await f.issueClientCert('alice3', ['alice@example.test']);
    assert.equal((await f.curl(['-k', '--cert', c.cert, '--key', c.key, f.url('/private/x', true)])).status, 200);
    const r = await f.curl(['-k', '-D', '-', f.url('/private/x', true)]);
    assert.equal(r.status, 401);
    assert.match(r.stdout, /WWW-Authenticate: Basic/i);
  });
});
