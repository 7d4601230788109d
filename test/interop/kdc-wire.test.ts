// The KDC on the wire: tshark decodes a capture of real kinit/kvno traffic (UDP and TCP)
// with no malformed packet or expert error; then hostile datagrams and TCP streams are thrown
// at both listeners, and a real kinit still works afterwards.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import { buildAsReq } from '../../src/kerberos/client/as-client.js';
import { encodeKdcReq } from '../../src/kerberos/messages/index.js';
import { NT } from '../../src/kerberos/messages/types.js';
import { mitEnv, requirePeer, run } from '../helpers/peers.js';
import { captureLoopback, TSHARK } from '../helpers/tshark.js';

const capture = (port: number, file: string, body: () => Promise<void>) => captureLoopback(`port ${port}`, file, body);

const KINIT = requirePeer('/usr/bin/kinit');
const KVNO = requirePeer('/usr/bin/kvno');

describe('KDC on the wire', () => {
  let d: RunningDomain;
  before(async () => {
    d = await startDomain({
      users: [{ name: 'alice', password: 'Alice-Passw0rd!' }],
      services: [{ computer: 'web', spns: ['HTTP/web.example.test'] }],
    });
  });
  after(async () => {
    await d?.stop();
  });

  test('tshark dissects kinit/kvno traffic (UDP and TCP) without malformed packets or errors', async () => {
    const m = await mitEnv(d);
    const pcap = join(m.dir, 'kdc.pcap');
    await capture(d.kdc.port, pcap, async () => {
      const k = await run(KINIT, ['alice'], { env: m.env, input: 'Alice-Passw0rd!\n' });
      assert.equal(k.code, 0, k.stderr);
      const v = await run(KVNO, ['HTTP/web.example.test'], { env: m.env });
      assert.equal(v.code, 0, v.stderr);
    });
    const decode = ['-r', pcap, '-d', `udp.port==${d.kdc.port},kerberos`, '-d', `tcp.port==${d.kdc.port},kerberos`];
    const all = await run(TSHARK, [...decode, '-Y', 'kerberos'], { env: { PATH: process.env.PATH } });
    assert.equal(all.code, 0, all.stderr);
    for (const msg of ['AS-REQ', 'AS-REP', 'TGS-REQ', 'TGS-REP', 'KRB Error']) assert.match(all.stdout, new RegExp(msg), all.stdout);
    const bad = await run(TSHARK, [...decode, '-Y', '_ws.malformed || _ws.expert.severity == error'], { env: { PATH: process.env.PATH } });
    assert.equal(bad.code, 0, bad.stderr);
    assert.equal(bad.stdout.trim(), '', `malformed or erroneous packets:\n${bad.stdout}`);
  });

  test('random, truncated and oversized input on UDP and TCP, then kinit still works', async () => {
    const { host, port } = d.kdc;
    const valid = encodeKdcReq(buildAsReq({ realm: d.realm, cname: { nameType: NT.PRINCIPAL, nameString: ['alice'] } }));
    const udp = createSocket('udp4');
    for (let i = 0; i < 500; i++) {
      const b = i % 2 ? randomBytes(1 + (i % 1400)) : valid.subarray(0, i % valid.length);
      await new Promise<void>((r) => udp.send(b, port, host, () => r()));
    }
    udp.close();
    const streams: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const body = i % 2 ? randomBytes(1 + i * 37) : valid.subarray(0, 1 + (i % valid.length));
      const head = Buffer.alloc(4);
      head.writeUInt32BE(i % 5 === 0 ? 0xffffffff : i % 5 === 1 ? 0x7fffffff : body.length, 0);
      streams.push(Buffer.concat([head, body]));
    }
    streams.push(randomBytes(3)); // shorter than a length prefix
    await Promise.all(
      streams.map(
        (s) =>
          new Promise<void>((resolve) => {
            const c = connect({ host, port }, () => c.end(s));
            c.on('data', () => {});
            c.on('error', () => resolve());
            c.on('close', () => resolve());
            c.setTimeout(3000, () => c.destroy());
          }),
      ),
    );
    const m = await mitEnv(d);
    const k = await run(KINIT, ['alice'], { env: m.env, input: 'Alice-Passw0rd!\n' });
    assert.equal(k.code, 0, k.stderr);
  });
});
