// Kerberos-protected DCE/RPC on the wire: tshark's DCE/RPC and Kerberos dissectors, given the
// service's keytab, read a capture of our RpcClient (raw Kerberos and SPNEGO) and impacket (SPNEGO)
// at PKT_INTEGRITY and PKT_PRIVACY against our server: no malformed packet, no expert error, and
// Wireshark's own GSS-API code decrypts the sealed stubs (DCE-style RFC 4121 Wrap tokens,
// MS-KILE 3.4.5.4.1) — an independent reading of the token layout.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportKeytab } from '../../src/cli/keytab.js';
import * as ndr from '../../src/encoding/ndr.js';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { KerberosAcceptor, KerberosInitiator } from '../../src/kerberos/gss/index.js';
import { RpcClient } from '../../src/rpc/client.js';
import { AUTHN, AUTHN_LEVEL } from '../../src/rpc/pdu.js';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.js';
import { ECHO_IN, WHOAMI_UUID, WHOAMI_VERSION, whoamiInterface } from '../../src/rpc/whoami.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import { NegotiateAcceptor, NegotiateInitiator } from '../../src/spnego/index.js';
import { run } from '../helpers/peers.js';
import { captureLoopback as capture, TSHARK } from '../helpers/tshark.js';
import { impacket } from './impacket-helper.js';

const KDC = '127.0.0.90';
const PASSWORD = 'Alice-Passw0rd!';

describe('Kerberos-protected DCE/RPC on the wire', () => {
  let domain: RunningDomain;
  let server: RpcServer;
  let keytab: Buffer;
  before(async () => {
    domain = await startDomain({ realm: 'EXAMPLE.TEST', host: KDC, kdcPort: 88, users: [{ name: 'alice', password: PASSWORD }], services: [{ computer: 'rpcsrv' }] });
    keytab = await exportKeytab(domain.directory, 'host/rpcsrv.example.test');
    const authority = new DirectoryAuthority(domain.directory);
    const kerberos = () => new KerberosAcceptor({ keytab, authority });
    server = await startRpcServer({
      interfaces: [whoamiInterface()],
      acceptors: { [AUTHN.GSS_NEGOTIATE]: () => new NegotiateAcceptor({ kerberos }), [AUTHN.GSS_KERBEROS]: kerberos },
    });
  });
  after(async () => {
    await server?.close();
    await domain?.stop();
  });

  test('tshark dissects and decrypts Kerberos PKT_INTEGRITY / PKT_PRIVACY PDUs without errors', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'authso-rpc-krb-wire-'));
    t.after(() => rm(dir, { recursive: true, force: true })); // the keytab holds the service's keys
    const pcap = join(dir, 'rpc.pcap');
    const kt = join(dir, 'rpcsrv.keytab');
    await writeFile(kt, keytab);
    const marker = Buffer.from('authso-sealed-marker-'.repeat(40));
    const big = ndr.ndrEncode(ECHO_IN, { data: marker });
    await capture(`port ${server.port}`, pcap, async () => {
      for (const level of [AUTHN_LEVEL.PKT_INTEGRITY, AUTHN_LEVEL.PKT_PRIVACY]) {
        const mk = () =>
          new KerberosInitiator({ target: 'host/rpcsrv.example.test', kdc: { host: KDC, port: 88 }, user: 'alice', password: PASSWORD, realm: 'EXAMPLE.TEST', dceStyle: true });
        for (const [type, context] of [
          [AUTHN.GSS_KERBEROS, mk()],
          [AUTHN.GSS_NEGOTIATE, new NegotiateInitiator({ kerberos: mk })],
        ] as const) {
          const c = await RpcClient.connect({ host: '127.0.0.1', port: server.port, auth: { type, level, context } });
          const { contextId } = await c.bind({ uuid: WHOAMI_UUID, ...WHOAMI_VERSION });
          await c.call(contextId, 0, Buffer.alloc(0));
          await c.call(contextId, 1, big);
          c.close();
        }
        const r = await impacket({
          op: 'call',
          host: '127.0.0.1',
          remote_name: 'rpcsrv.example.test',
          port: server.port,
          uuid: WHOAMI_UUID,
          version: '1.0',
          auth: { user: 'alice', password: PASSWORD, domain: 'EXAMPLE.TEST', level, type: AUTHN.GSS_NEGOTIATE, kdc: KDC },
          calls: [
            [0, ''],
            [1, big.toString('hex')],
          ],
        });
        assert.equal(r.exception, undefined, r.exception);
      }
    });
    const decode = ['-r', pcap, '-d', `tcp.port==${server.port},dcerpc`, '-o', 'kerberos.decrypt:TRUE', '-o', `kerberos.file:${kt}`];
    const all = await run(TSHARK, [...decode, '-V', '-Y', 'dcerpc'], { env: { PATH: process.env.PATH } });
    assert.equal(all.code, 0, all.stderr);
    // MICs (16 + 12) at PKT_INTEGRITY, 76-octet Wrap tokens from our side at PKT_PRIVACY.
    assert.match(all.stdout, /Auth Length: 28\n/);
    assert.match(all.stdout, /Auth Length: 76\n/);
    // Every sealed PDU with a stub that our code sent — 2 clients x (request + 2 responses) and
    // the 2 responses to impacket — is decrypted by Wireshark; the echo shows the marker.
    const decrypted = all.stdout.match(/Decrypted stub data: [0-9a-f]+/g) ?? [];
    assert.ok(decrypted.length >= 8, `only ${decrypted.length} stubs decrypted`);
    const markerHex = marker.subarray(0, 8).toString('hex');
    assert.ok(decrypted.filter((d) => d.includes(markerHex)).length >= 5, decrypted.join('\n'));
    const bad = await run(TSHARK, [...decode, '-Y', '_ws.malformed || _ws.expert.severity == error'], { env: { PATH: process.env.PATH } });
    assert.equal(bad.code, 0, bad.stderr);
    assert.equal(bad.stdout.trim(), '', `malformed or erroneous packets:\n${bad.stdout}`);
  });
});
