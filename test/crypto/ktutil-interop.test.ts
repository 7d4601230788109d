// Cross-check string-to-key against a real peer: MIT krb5's ktutil derives keys from the same
// passwords and salts ("EXAMPLE.TEST" + principal name, RFC 4120 section 4 default salt), and
// we read them back from the keytab it writes. krb5-user is a test dependency: a missing
// ktutil is a failure, not a skip.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enctypeProfile, findEnctypeByName } from '../../src/crypto/registry.js';

interface KeytabEntry {
  principal: string;
  kvno: number;
  etype: number;
  key: Buffer;
}

/** Minimal reader of the MIT keytab file format, version 0x0502. */
function parseKeytab(buf: Buffer): KeytabEntry[] {
  assert.equal(buf.readUInt16BE(0), 0x0502, 'keytab version');
  const out: KeytabEntry[] = [];
  let off = 2;
  while (off + 4 <= buf.length) {
    const size = buf.readInt32BE(off);
    off += 4;
    if (size === 0) break;
    if (size < 0) {
      off += -size; // a deleted entry ("hole")
      continue;
    }
    const end = off + size;
    let p = off;
    const str = (): string => {
      const n = buf.readUInt16BE(p);
      const s = buf.subarray(p + 2, p + 2 + n).toString('utf8');
      p += 2 + n;
      return s;
    };
    const components = buf.readUInt16BE(p);
    p += 2;
    const realm = str();
    const names: string[] = [];
    for (let i = 0; i < components; i++) names.push(str());
    p += 4 + 4; // name type, timestamp
    let kvno = buf[p];
    p += 1;
    const etype = buf.readUInt16BE(p);
    const keyLen = buf.readUInt16BE(p + 2);
    const key = Buffer.from(buf.subarray(p + 4, p + 4 + keyLen));
    p += 4 + keyLen;
    if (end - p >= 4) kvno = buf.readUInt32BE(p);
    out.push({ principal: `${names.join('/')}@${realm}`, kvno, etype, key });
    off = end;
  }
  return out;
}

const CASES: { principal: string; salt: string; password: string; enctypes: string[] }[] = [
  {
    principal: 'alice@EXAMPLE.TEST',
    salt: 'EXAMPLE.TESTalice',
    password: 'Passw0rd!',
    enctypes: [
      'aes256-cts-hmac-sha1-96',
      'aes128-cts-hmac-sha1-96',
      'aes256-cts-hmac-sha384-192',
      'aes128-cts-hmac-sha256-128',
      'arcfour-hmac',
    ],
  },
  {
    // Non-ASCII password: UTF-8 for PBKDF2, UTF-16LE for the NT hash, as MIT and Windows do.
    principal: 'bob@EXAMPLE.TEST',
    salt: 'EXAMPLE.TESTbob',
    password: 'pässwörd €',
    enctypes: ['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha256-128', 'arcfour-hmac'],
  },
];

test('string-to-key agrees with MIT ktutil for every enctype', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authso-ktutil-'));
  try {
    const keytab = join(dir, 'test.keytab');
    let script = '';
    for (const c of CASES) {
      for (const e of c.enctypes) script += `addent -password -p ${c.principal} -k 1 -e ${e}\n${c.password}\n`;
    }
    script += `wkt ${keytab}\nquit\n`;
    const r = spawnSync('ktutil', [], {
      input: script,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, KRB5_CONFIG: '/dev/null' },
    });
    if (r.error) {
      assert.fail(`could not run MIT ktutil (${r.error.message}); install the krb5-user package`);
    }
    assert.equal(r.status, 0, `ktutil failed: ${r.stderr}`);
    const entries = parseKeytab(readFileSync(keytab));
    assert.equal(entries.length, CASES.reduce((n, c) => n + c.enctypes.length, 0));
    let i = 0;
    for (const c of CASES) {
      for (const name of c.enctypes) {
        const entry = entries[i++];
        const profile = findEnctypeByName(name);
        assert.ok(profile, name);
        assert.equal(entry.principal, c.principal);
        assert.equal(entry.kvno, 1);
        assert.equal(entry.etype, profile.etype);
        assert.equal(
          enctypeProfile(entry.etype).stringToKey(c.password, c.salt).toString('hex'),
          entry.key.toString('hex'),
          `${c.principal} ${name}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
