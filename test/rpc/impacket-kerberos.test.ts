// impacket authenticating with Kerberos inside SPNEGO (RPC_C_AUTHN_GSS_NEGOTIATE) to our RPC
// server: the multi-leg flow of MS-AUTHSO 7.3.7 figure 40 — bind (AP-REQ, DCE style) → bind_ack
// (AP-REP) → alter_context (the client's DCE-style AP-REP) → alter_context_resp — with tickets from
// our KDC and the PAC becoming the caller's token. impacket always asks port 88 of the KDC host, so
// the domain gets its own loopback address.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as ndr from '../../src/encoding/ndr.js';
import { exportKeytab } from '../../src/cli/keytab.js';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { KerberosAcceptor } from '../../src/kerberos/gss/index.js';
import { AUTHN, AUTHN_LEVEL } from '../../src/rpc/pdu.js';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.js';
import { WHOAMI_INFO, WHOAMI_UUID, whoamiInterface } from '../../src/rpc/whoami.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import { NegotiateAcceptor } from '../../src/spnego/index.js';
import { impacket } from './impacket-helper.js';

const KDC = '127.0.0.89';
const SECURE_UUID = '3e8b5d71-9c2a-4f06-b1d8-6a4c0e2f9b57';

describe('impacket Kerberos (SPNEGO) binds against the authso RPC server', () => {
  let domain: RunningDomain;
  let server: RpcServer;
  before(async () => {
    domain = await startDomain({ realm: 'EXAMPLE.TEST', host: KDC, kdcPort: 88, users: [{ name: 'alice', password: 'Alice-Passw0rd!' }], services: [{ computer: 'rpcsrv' }] });
    const keytab = await exportKeytab(domain.directory, 'host/rpcsrv.example.test');
    const authority = new DirectoryAuthority(domain.directory);
    server = await startRpcServer({
      interfaces: [whoamiInterface(), { ...whoamiInterface({ providers: [AUTHN.GSS_NEGOTIATE], minLevel: AUTHN_LEVEL.PKT_INTEGRITY }), uuid: SECURE_UUID }],
      acceptors: { [AUTHN.GSS_NEGOTIATE]: () => new NegotiateAcceptor({ kerberos: () => new KerberosAcceptor({ keytab, authority }) }) },
    });
  });
  after(async () => {
    await server?.close();
    await domain?.stop();
  });

  function call(uuid: string, level: number) {
    return impacket({
      op: 'call',
      host: '127.0.0.1',
      remote_name: 'rpcsrv.example.test',
      port: server.port,
      uuid,
      version: '1.0',
      auth: { user: 'alice', password: 'Alice-Passw0rd!', domain: 'EXAMPLE.TEST', level, type: AUTHN.GSS_NEGOTIATE, kdc: KDC },
      calls: [[0, '']],
    });
  }

  test('CONNECT: alter_context completes the context; whoami is alice with her PAC groups', async () => {
    const res = await call(WHOAMI_UUID, AUTHN_LEVEL.CONNECT);
    assert.equal(res.exception, undefined, res.exception);
    const info = ndr.ndrDecode(WHOAMI_INFO, Buffer.from(res.results?.[0].stub ?? '', 'hex'));
    assert.equal(info.userName, 'alice');
    assert.equal(info.domainName, 'EXAMPLE');
    assert.equal(info.authType, AUTHN.GSS_NEGOTIATE);
    assert.equal(info.authLevel, AUTHN_LEVEL.CONNECT);
    assert.ok(info.groups?.includes(`${info.userSid?.replace(/-\d+$/, '')}-513`), JSON.stringify(info.groups));
  });

  test('PKT_INTEGRITY is refused while the Negotiate/Kerberos contexts lack RpcProtection', async () => {
    // The context is established, but no per-PDU protection is available: the server refuses
    // rather than run unprotected calls (see src/rpc/protection.ts for what the contexts must add).
    const res = await call(SECURE_UUID, AUTHN_LEVEL.PKT_INTEGRITY);
    assert.equal(res.results?.[0]?.stub, undefined, JSON.stringify(res));
    assert.match(res.exception ?? '', /rpc_s_access_denied/, JSON.stringify(res));
  });
});
