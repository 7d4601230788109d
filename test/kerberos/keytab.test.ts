// The MIT keytab format: round trip, malformed input, and interoperability with MIT's own
// tools — klist reads what we write, we read what ktutil writes, and ktutil's key for alice
// equals the key our directory derives (salt + string-to-key agree with MIT).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportKeytab } from '../../src/cli/keytab.js';
import { Directory } from '../../src/directory/directory.js';
import { decodeKeytab, encodeKeytab, KeytabError, type KeytabEntry } from '../../src/kerberos/keytab.js';

function peer(path: string): string {
  if (!existsSync(path)) throw new Error(`peer ${path} is missing: install MIT krb5-user (run 'npm run peers')`);
  return path;
}

const sample: KeytabEntry[] = [
  {
    principal: { realm: 'EXAMPLE.TEST', components: ['HTTP', 'web.example.test'], nameType: 1 },
    timestamp: 1_700_000_000,
    kvno: 3,
    key: { etype: 18, value: Buffer.alloc(32, 0xab) },
  },
  {
    principal: { realm: 'EXAMPLE.TEST', components: ['alice'], nameType: 1 },
    timestamp: 1_700_000_001,
    kvno: 300, // needs the 32-bit extension
    key: { etype: 23, value: Buffer.alloc(16, 0x11) },
  },
];

test('encode/decode round trip, kvno beyond 8 bits', () => {
  const buf = encodeKeytab(sample);
  assert.equal(buf.readUInt16BE(0), 0x0502);
  assert.deepEqual(decodeKeytab(buf), sample);
  assert.deepEqual(decodeKeytab(encodeKeytab([])), []);
});

test('holes are skipped, a zero size ends the entries, vno32 = 0 falls back to vno8', () => {
  const one = encodeKeytab([sample[0]]).subarray(2);
  const hole = Buffer.alloc(4 + 10);
  hole.writeInt32BE(-10);
  const zeroVno = Buffer.from(one);
  zeroVno.writeUInt32BE(0, zeroVno.length - 4);
  const buf = Buffer.concat([Buffer.from([5, 2]), hole, zeroVno, Buffer.alloc(4), Buffer.from('garbage')]);
  const out = decodeKeytab(buf);
  assert.equal(out.length, 1);
  assert.equal(out[0].kvno, 3);
  // No 32-bit extension at all (old writers): vno8 is used.
  const size = one.readInt32BE(0);
  const short = Buffer.from(one.subarray(0, 4 + size - 4));
  short.writeInt32BE(size - 4);
  assert.equal(decodeKeytab(Buffer.concat([Buffer.from([5, 2]), short]))[0].kvno, 3);
});

test('malformed keytabs raise KeytabError', () => {
  const good = encodeKeytab([sample[0]]);
  const bad: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['wrong first byte', Buffer.from([4, 2])],
    ['version 0x0501', Buffer.from([5, 1])],
    ['truncated size', Buffer.from([5, 2, 0, 0])],
    ['truncated body', good.subarray(0, good.length - 5)],
    ['huge record', Buffer.from([5, 2, 0x7f, 0xff, 0xff, 0xff])],
    ['zero components', Buffer.concat([Buffer.from([5, 2, 0, 0, 0, 2, 0, 0])])],
  ];
  const lying = Buffer.from(good);
  lying.writeUInt16BE(0xffff, 2 + 4 + 2 + (2 + 12) + (2 + 4)); // the second component's length, past the record
  bad.push(['component length past the record', lying]);
  for (const [name, buf] of bad) assert.throws(() => decodeKeytab(buf), KeytabError, name);
  assert.throws(() => encodeKeytab([{ ...sample[0], kvno: -1 }]), KeytabError);
  assert.throws(() => encodeKeytab([{ ...sample[0], principal: { ...sample[0].principal, components: [] } }]), KeytabError);
});

test('klist -k -e lists an exported keytab: principal, kvno, enctypes', async () => {
  const KLIST = peer('/usr/bin/klist');
  const dirPath = await mkdtemp(join(tmpdir(), 'authso-kt-'));
  const dir = await Directory.openSqlite(dirPath);
  try {
    await dir.provision({ realm: 'EXAMPLE.TEST', netbiosName: 'EXAMPLE' });
    await dir.createComputer('web');
    await dir.addSpn('web', 'HTTP/web.example.test');
    await dir.setPassword('web', 'Machine-Password-2');
    const kt = join(dirPath, 'web.keytab');
    await writeFile(kt, await exportKeytab(dir, 'HTTP/web.example.test@EXAMPLE.TEST'));
    const r = spawnSync(KLIST, ['-k', '-e', kt], { encoding: 'utf8', env: { PATH: process.env.PATH, LANG: 'C' } });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => /@EXAMPLE\.TEST/.test(l)).map((l) => l.trim().replace(/\s+/g, ' '));
    assert.deepEqual(lines, [
      '2 HTTP/web.example.test@EXAMPLE.TEST (aes256-cts-hmac-sha1-96)',
      '2 HTTP/web.example.test@EXAMPLE.TEST (aes128-cts-hmac-sha1-96)',
      '2 HTTP/web.example.test@EXAMPLE.TEST (DEPRECATED:arcfour-hmac)',
    ]);
    // By account name: the canonical sAMAccountName is written.
    const kt2 = join(dirPath, 'acct.keytab');
    await writeFile(kt2, await exportKeytab(dir, 'web'));
    const r2 = spawnSync(KLIST, ['-k', kt2], { encoding: 'utf8' });
    assert.equal(r2.status, 0, r2.stderr);
    assert.match(r2.stdout, /2 WEB\$@EXAMPLE\.TEST/);
    await assert.rejects(exportKeytab(dir, 'HTTP/nowhere.example.test'), { code: 'NO_SUCH_OBJECT' });
    await assert.rejects(exportKeytab(dir, 'alice@OTHER.REALM'), { code: 'INVALID_ARGUMENT' });
  } finally {
    await dir.close();
    await rm(dirPath, { recursive: true, force: true });
  }
});

test("a keytab written by MIT ktutil decodes, and its keys equal our directory's keys for alice", async () => {
  const KTUTIL = peer('/usr/bin/ktutil');
  const dirPath = await mkdtemp(join(tmpdir(), 'authso-kt-'));
  const dir = await Directory.openSqlite(dirPath);
  try {
    const kt = join(dirPath, 'mit.keytab');
    const script =
      'addent -password -p alice@EXAMPLE.TEST -k 1 -e aes256-cts-hmac-sha1-96\nSecret123\n' +
      'addent -password -p alice@EXAMPLE.TEST -k 1 -e aes128-cts-hmac-sha1-96\nSecret123\n' +
      'addent -password -p alice@EXAMPLE.TEST -k 1 -e arcfour-hmac\nSecret123\n' +
      `wkt ${kt}\n`;
    const r = spawnSync(KTUTIL, [], { input: script, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const entries = decodeKeytab(await readFile(kt));
    assert.equal(entries.length, 3);
    for (const e of entries) {
      assert.deepEqual(e.principal, { realm: 'EXAMPLE.TEST', components: ['alice'], nameType: 1 });
      assert.equal(e.kvno, 1);
    }
    await dir.provision({ realm: 'EXAMPLE.TEST', netbiosName: 'EXAMPLE' });
    await dir.createUser('alice', { password: 'Secret123' });
    const ours = (await dir.findClient('alice'))!.secrets.current;
    assert.equal(ours.kvno, 1);
    assert.deepEqual(
      entries.map((e) => [e.key.etype, e.key.value.toString('hex')]),
      ours.keys.map((k) => [k.etype, k.value.toString('hex')]),
    );
    // And ours round-trips through ktutil (rkt/wkt keeps the keys).
    const mine = join(dirPath, 'ours.keytab');
    await writeFile(mine, await exportKeytab(dir, 'alice'));
    const copy = join(dirPath, 'copy.keytab');
    const r2 = spawnSync(KTUTIL, [], { input: `rkt ${mine}\nwkt ${copy}\n`, encoding: 'utf8' });
    assert.equal(r2.status, 0, r2.stderr);
    assert.deepEqual(
      decodeKeytab(await readFile(copy)).map((e) => [e.principal.components, e.kvno, e.key.etype, e.key.value.toString('hex')]),
      ours.keys.map((k) => [['alice'], 1, k.etype, k.value.toString('hex')]),
    );
  } finally {
    await dir.close();
    await rm(dirPath, { recursive: true, force: true });
  }
});
