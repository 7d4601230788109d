// S4U2self (MS-SFU) from real peers against our KDC:
//  - MIT kvno -U (by name, PA-FOR-USER + PA-S4U-X509-USER under the TGS subkey), -I (enterprise
//    name) and -F (a certificate: first an AS-REQ carrying it to find the user's realm, then
//    PA-S4U-X509-USER with the certificate and no name), each from a ccache holding the
//    service's own TGT (kinit -k -t keytab); the ticket is read back from the ccache and its PAC
//    checked against the directory;
//  - impacket 0.10 getST.py -impersonate (its S4U2self is PA-FOR-USER alone, HMAC-MD5 over the
//    AES session key). Version 0.10 has no -self, so getST goes on to S4U2proxy, which our KDC
//    refuses with KDC_ERR_BADOPTION; the S4U2self reply is captured by wrapping impacket's
//    sendReceive and decoded here. impacket always talks to port 88: this DC has 127.0.0.94.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { enctypeProfile } from '../../src/crypto/registry.js';
import { KEY_USAGE, type Key } from '../../src/crypto/types.js';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { UF } from '../../src/directory/types.js';
import { exportKeytab } from '../../src/cli/keytab.js';
import { ticketKey } from '../../src/kerberos/kdc/etype-policy.js';
import { extractPac } from '../../src/kerberos/kdc/tickets.js';
import { decodeEncTicketPart, decodeKdcRep, decodeKdcReq, decodeTicket, peekApplicationTag } from '../../src/kerberos/messages/index.js';
import { PA_FOR_USER, PA_S4U_X509_USER } from '../../src/kerberos/messages/s4u.js';
import { FLAG_BIT, hasFlag, MSG_TYPE, type EncTicketPart, type Ticket } from '../../src/kerberos/messages/types.js';
import { decodeKerbValidationInfo, decodePacClientInfo, verifyPacKdcSignature, verifyPacServerSignature } from '../../src/pac/index.js';
import { PAC_TYPE } from '../../src/pac/types.js';
import { certificateFor } from '../helpers/certs.js';
import { IMPACKET_EXAMPLES, mitEnv, requirePeer, run, SYSTEM_PYTHON, type MitEnv } from '../helpers/peers.js';

const KINIT = requirePeer('/usr/bin/kinit');
const KVNO = requirePeer('/usr/bin/kvno');
const KLIST = requirePeer('/usr/bin/klist');
const GET_ST = requirePeer(join(IMPACKET_EXAMPLES, 'getST.py'));
const SPN = 'HTTP/web.example.test@EXAMPLE.TEST';

interface CcacheCred {
  client: string;
  server: string;
  flags: number;
  ticket: Buffer;
}

/** The credentials of an MIT FILE ccache (version 4, the format kinit writes). */
function readCcache(b: Buffer): CcacheCred[] {
  let p = 0;
  const u16 = () => ((p += 2), b.readUInt16BE(p - 2));
  const u32 = () => ((p += 4), b.readUInt32BE(p - 4));
  const data = () => {
    const n = u32();
    p += n;
    return b.subarray(p - n, p);
  };
  const principal = () => {
    u32(); // name type
    const count = u32();
    const realm = data().toString();
    const parts: string[] = [];
    for (let i = 0; i < count; i++) parts.push(data().toString());
    return `${parts.join('/')}@${realm}`;
  };
  assert.equal(u16(), 0x0504, 'ccache version 4');
  const headerLength = u16();
  p += headerLength; // header tags
  principal(); // default principal
  const out: CcacheCred[] = [];
  while (p < b.length) {
    const client = principal();
    const server = principal();
    u16(); // keytype
    data(); // key
    p += 16; // authtime, starttime, endtime, renew-till
    p += 1; // is_skey
    const flags = u32();
    for (const _list of ['addresses', 'authdata']) {
      for (let i = u32(); i > 0; i--) {
        u16(); // type
        data();
      }
    }
    const ticket = data();
    data(); // second ticket
    out.push({ client, server, flags, ticket });
  }
  return out;
}

function decryptTicket(ticket: Ticket, key: Key): EncTicketPart {
  return decodeEncTicketPart(enctypeProfile(key.etype).decrypt(key.value, KEY_USAGE.KDC_REP_TICKET, ticket.encPart.cipher));
}

/** Checks that a ticket to WEB$ names `user` and carries `user`'s PAC, signed by our KDC. */
async function checkUserTicket(domain: RunningDomain, ticket: Ticket, user: string, cname = user): Promise<EncTicketPart> {
  const webKey = ticketKey((await domain.directory.findClient('WEB$'))!)!.key;
  const part = decryptTicket(ticket, webKey);
  assert.deepEqual(part.cname.nameString, [cname]);
  const pac = verifyPacServerSignature(extractPac(part.authorizationData)!, webKey);
  verifyPacKdcSignature(pac, ticketKey(await domain.directory.getKrbtgt())!.key);
  const info = decodeKerbValidationInfo(pac.buffers.find((b) => b.type === PAC_TYPE.LOGON_INFO)!.data);
  const account = await domain.directory.getAccount(user);
  const dom = await domain.directory.getDomain();
  assert.equal(`${info.logonDomainId}-${info.userId}`, account.sid);
  assert.equal(info.logonDomainId, dom.sid);
  assert.equal(info.effectiveName, user);
  const membership = await domain.directory.membership(account);
  assert.deepEqual(
    info.groupIds.map((g) => g.relativeId).sort((a, b) => a - b),
    [...membership.domainGroupRids].sort((a, b) => a - b),
  );
  assert.deepEqual(info.resourceGroupIds.map((g) => g.relativeId), membership.domainLocalGroupRids);
  assert.ok(info.extraSids.some((s) => s.sid === 'S-1-18-2'), 'SERVICE_ASSERTED_IDENTITY');
  assert.ok(!info.extraSids.some((s) => s.sid === 'S-1-18-1'));
  assert.equal(decodePacClientInfo(pac.buffers.find((b) => b.type === PAC_TYPE.CLIENT_INFO)!.data).name, cname);
  return part;
}

describe('MIT kvno -U / -I / -F (S4U2self) against the authso KDC', () => {
  let domain: RunningDomain;
  let dir: string;
  let keytab: string;
  before(async () => {
    domain = await startDomain({
      realm: 'EXAMPLE.TEST',
      groups: [{ name: 'Engineering' }, { name: 'WebReaders', scope: 'domainLocal' }],
      users: [
        { name: 'alice', password: 'Alice-Passw0rd!', groups: ['Engineering', 'WebReaders'] },
        { name: 'dave', password: 'Dave-Passw0rd!', disabled: true },
        { name: 'vip', password: 'Vip-Passw0rd!' },
      ],
      services: [{ computer: 'web', spns: ['HTTP/web.example.test'] }],
    });
    await domain.directory.setAccountControl('vip', UF.NOT_DELEGATED, 0);
    dir = await mkdtemp(join(tmpdir(), 'authso-s4u-mit-'));
    keytab = join(dir, 'web.keytab');
    await writeFile(keytab, await exportKeytab(domain.directory, 'HTTP/web.example.test'), { mode: 0o600 });
  });
  after(async () => {
    await domain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A ccache holding the service's own TGT, as kvno -U needs. */
  async function serviceEnv(): Promise<MitEnv> {
    const m = await mitEnv(domain);
    const k = await run(KINIT, ['-k', '-t', keytab, SPN], { env: m.env });
    assert.equal(k.code, 0, k.stderr);
    return m;
  }

  async function ticketFor(m: MitEnv, user: string): Promise<CcacheCred> {
    const creds = readCcache(await readFile(m.ccache));
    const c = creds.find((x) => x.client === `${user}@EXAMPLE.TEST` && x.server === SPN);
    assert.ok(c, `no ${user} -> ${SPN} in the ccache: ${creds.map((x) => `${x.client} -> ${x.server}`).join(', ')}`);
    return c;
  }

  test('kvno -U alice: a ticket to the service for alice, with alice’s PAC', async () => {
    const m = await serviceEnv();
    const v = await run(KVNO, ['-U', 'alice', '-k', keytab, SPN], { env: m.env });
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /HTTP\/web\.example\.test@EXAMPLE\.TEST: kvno = 1, keytab entry valid/);
    const c = await ticketFor(m, 'alice');
    const part = await checkUserTicket(domain, decodeTicket(c.ticket), 'alice');
    assert.ok(!hasFlag(part.flags, FLAG_BIT.FORWARDABLE), 'WEB$ is not trusted to authenticate for delegation');
  });

  test('kvno -I alice@example.test (enterprise name)', async () => {
    const m = await serviceEnv();
    const v = await run(KVNO, ['-I', 'alice\\@example.test', '-k', keytab, SPN], { env: m.env });
    assert.equal(v.code, 0, v.stderr);
    const creds = readCcache(await readFile(m.ccache)).filter((x) => x.server === SPN && x.client !== SPN);
    assert.equal(creds.length, 1, creds.map((x) => x.client).join(','));
    // MS-SFU 3.2.5.1.2: the ticket names the user as asked (here the enterprise name).
    await checkUserTicket(domain, decodeTicket(creds[0].ticket), 'alice', 'alice@example.test');
  });

  test('kvno -F with a certificate carrying alice’s UPN', async () => {
    const m = await serviceEnv();
    const cert = await certificateFor(m.dir, 'alice', ['alice@example.test']);
    const v = await run(KVNO, ['-F', cert.pem, '-k', keytab, SPN], { env: m.env });
    assert.equal(v.code, 0, v.stderr);
    const c = await ticketFor(m, 'alice');
    await checkUserTicket(domain, decodeTicket(c.ticket), 'alice');
  });

  test('unknown users, unmapped certificates and disabled accounts are refused', async () => {
    const m = await serviceEnv();
    const u = await run(KVNO, ['-U', 'mallory', SPN], { env: m.env });
    assert.notEqual(u.code, 0);
    assert.match(u.stderr, /not found in Kerberos database/);
    const dave = await run(KVNO, ['-U', 'dave', SPN], { env: m.env });
    assert.notEqual(dave.code, 0);
    assert.match(dave.stderr, /revoked/);
    const nobody = await certificateFor(m.dir, 'nobody', ['nobody@example.test']);
    const f = await run(KVNO, ['-F', nobody.pem, SPN], { env: m.env });
    assert.notEqual(f.code, 0);
    const daveCert = await certificateFor(m.dir, 'dave', ['dave@example.test']);
    const fd = await run(KVNO, ['-F', daveCert.pem, SPN], { env: m.env });
    assert.notEqual(fd.code, 0);
    assert.match(fd.stderr, /revoked/);
  });

  test('forwardable once the service is trusted to authenticate for delegation (not for NOT_DELEGATED users)', async () => {
    await domain.directory.setAccountControl('WEB$', UF.TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION, 0);
    try {
      const m = await serviceEnv();
      assert.equal((await run(KVNO, ['-U', 'alice', SPN], { env: m.env })).code, 0);
      assert.equal((await run(KVNO, ['-U', 'vip', SPN], { env: m.env })).code, 0);
      const alice = await ticketFor(m, 'alice');
      const vip = await ticketFor(m, 'vip');
      assert.ok(hasFlag(alice.flags, FLAG_BIT.FORWARDABLE), 'the ccache flags (from the TGS-REP)');
      assert.ok(hasFlag((await checkUserTicket(domain, decodeTicket(alice.ticket), 'alice')).flags, FLAG_BIT.FORWARDABLE));
      assert.ok(!hasFlag(vip.flags, FLAG_BIT.FORWARDABLE));
      const l = await run(KLIST, ['-f'], { env: m.env });
      assert.equal(l.code, 0, l.stderr);
    } finally {
      await domain.directory.setAccountControl('WEB$', 0, UF.TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION);
    }
  });
});

/** Runs an impacket example with sendReceive wrapped to keep every request and reply. */
const CAPTURE_PY = `import os, runpy, sys
import impacket.krb5.kerberosv5 as k5
out = os.environ['CAPTURE_DIR']
orig = k5.sendReceive
n = [0]
def capture(data, host, kdcHost, *a, **kw):
    n[0] += 1
    with open(os.path.join(out, 'req%03d.der' % n[0]), 'wb') as f:
        f.write(data)
    r = orig(data, host, kdcHost, *a, **kw)
    with open(os.path.join(out, 'rep%03d.der' % n[0]), 'wb') as f:
        f.write(r)
    return r
k5.sendReceive = capture
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name='__main__')
`;

describe('impacket getST -impersonate (S4U2self part) against the authso KDC', () => {
  const HOST = '127.0.0.94';
  let domain: RunningDomain;
  before(async () => {
    domain = await startDomain({
      realm: 'EXAMPLE.TEST',
      host: HOST,
      kdcPort: 88,
      groups: [{ name: 'Engineering' }],
      users: [
        { name: 'alice', password: 'Alice-Passw0rd!', groups: ['Engineering'] },
        { name: 'dave', password: 'Dave-Passw0rd!', disabled: true },
      ],
      services: [{ computer: 'web', spns: ['HTTP/web.example.test'], password: 'Web-Passw0rd!' }],
    });
  });
  after(async () => {
    await domain?.stop();
  });

  async function getSt(user: string): Promise<{ out: string; files: Map<string, Buffer> }> {
    const dir = await mkdtemp(join(tmpdir(), 'authso-s4u-impacket-'));
    try {
      await writeFile(join(dir, 'capture.py'), CAPTURE_PY);
      const env = { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', CAPTURE_DIR: dir };
      const r = await run(SYSTEM_PYTHON, [join(dir, 'capture.py'), GET_ST, '-dc-ip', HOST, '-impersonate', user, '-spn', 'HTTP/web.example.test', 'EXAMPLE.TEST/web$'], {
        env,
        cwd: dir,
        input: 'Web-Passw0rd!\n',
      });
      const files = new Map<string, Buffer>();
      for (const f of await readdir(dir)) if (f.endsWith('.der')) files.set(f, await readFile(join(dir, f)));
      return { out: r.stdout + r.stderr, files };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  test('S4U2self for alice: a ticket to WEB$ with alice’s PAC; S4U2proxy refused', async () => {
    const { out, files } = await getSt('alice');
    assert.match(out, /Requesting S4U2self/);
    assert.match(out, /KDC_ERR_BADOPTION/, 'S4U2proxy is not implemented');
    // The S4U2self request: PA-FOR-USER only (impacket's old style), and our reply to it.
    const names = [...files.keys()].sort();
    const s4uReq = names.find((n) => n.startsWith('req') && decodeKdcReq(files.get(n)!).padata?.some((p) => p.padataType === PA_FOR_USER));
    assert.ok(s4uReq, names.join(','));
    const req = decodeKdcReq(files.get(s4uReq)!);
    assert.ok(!req.padata!.some((p) => p.padataType === PA_S4U_X509_USER));
    const rep = files.get(s4uReq.replace('req', 'rep'));
    assert.ok(rep, 'the S4U2self request was answered with a TGS-REP');
    assert.equal(peekApplicationTag(rep), MSG_TYPE.TGS_REP);
    const tgsRep = decodeKdcRep(rep);
    assert.deepEqual(tgsRep.cname.nameString, ['alice']);
    await checkUserTicket(domain, tgsRep.ticket, 'alice');
  });

  test('S4U2self for a disabled user is refused before any ticket', async () => {
    const { out, files } = await getSt('dave');
    assert.match(out, /KDC_ERR_CLIENT_REVOKED/);
    assert.ok(![...files.keys()].some((n) => n.startsWith('rep') && peekApplicationTag(files.get(n)!) === MSG_TYPE.TGS_REP && decodeKdcRep(files.get(n)!).cname.nameString[0] === 'dave'));
  });
});
