// Our RFC 3961 enctypes and checksums against MIT krb5's own implementation, live: a small C
// driver (test/crypto/peer/krb5_crypto_peer.c) is compiled against libkrb5 at run time and
// asked to encrypt, decrypt, checksum and derive keys. For enctypes 17, 18 (RFC 3962), 19, 20
// (RFC 8009) and 23 (RFC 4757) and their checksums: MIT decrypts what we encrypt, we decrypt
// what MIT encrypts, checksums agree both ways, and a flipped bit is refused by MIT.
// libkrb5-dev and a C compiler are test dependencies (scripts/install-peers.sh): a missing one
// is a failure, not a skip.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { checksumProfile, enctypeProfile } from '../../src/crypto/registry.js';
import { CKSUMTYPE } from '../../src/crypto/types.js';
import { requirePeer } from '../helpers/peers.js';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'peer', 'krb5_crypto_peer.c');
const ENCTYPES = [17, 18, 19, 20, 23];
const CHECKSUM_FOR: Record<number, number> = {
  17: CKSUMTYPE.HMAC_SHA1_96_AES128,
  18: CKSUMTYPE.HMAC_SHA1_96_AES256,
  19: CKSUMTYPE.HMAC_SHA256_128_AES128,
  20: CKSUMTYPE.HMAC_SHA384_192_AES256,
  23: CKSUMTYPE.HMAC_MD5,
};
/** RFC 4120 7.5.1 usages, the GSS ones (22-25), MS-PAC's 17 and a large one. */
const USAGES = [1, 2, 3, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 22, 23, 24, 25, 1026];
const LENGTHS = [0, 1, 5, 15, 16, 17, 31, 32, 33, 64, 100, 1000];

const hex = (b: Buffer): string => (b.length === 0 ? '-' : b.toString('hex'));
const unhex = (s: string): Buffer => (s === '-' ? Buffer.alloc(0) : Buffer.from(s, 'hex'));

describe('RFC 3961 crypto against MIT libkrb5 (krb5_c_encrypt / krb5_c_decrypt / krb5_c_make_checksum)', () => {
  let dir: string;
  let peer: string;

  before(() => {
    const cc = requirePeer('/usr/bin/cc');
    requirePeer('/usr/include/krb5.h');
    dir = mkdtempSync(join(tmpdir(), 'authso-libkrb5-'));
    peer = join(dir, 'krb5_crypto_peer');
    const r = spawnSync(cc, ['-O1', '-Wall', '-o', peer, SOURCE, '-lkrb5', '-lk5crypto'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `compiling the libkrb5 driver failed (install libkrb5-dev: npm run peers)\n${r.stderr}`);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Sends every request line at once; returns one answer per line. */
  function ask(lines: string[]): string[] {
    const r = spawnSync(peer, [], { input: lines.join('\n') + '\n', encoding: 'utf8', env: { KRB5_CONFIG: '/dev/null' }, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.split('\n');
    out.pop();
    assert.equal(out.length, lines.length, 'one answer per request');
    return out;
  }

  for (const etype of ENCTYPES) {
    test(`enctype ${etype} (${enctypeProfile(etype).name}): encrypt/decrypt both ways, checksum ${CHECKSUM_FOR[etype]}`, () => {
      const profile = enctypeProfile(etype);
      const ck = checksumProfile(CHECKSUM_FOR[etype]);
      const key = profile.randomKey();
      const reqs: string[] = [];
      const checks: ((answer: string) => void)[] = [];
      for (const usage of USAGES) {
        for (const len of LENGTHS) {
          const data = Buffer.alloc(len, 0);
          for (let i = 0; i < len; i++) data[i] = (i * 7 + usage + len) & 0xff;
          // MIT decrypts ours
          const ours = profile.encrypt(key, usage, data);
          reqs.push(`D ${etype} ${usage} ${hex(key)} ${hex(ours)}`);
          checks.push((a) => assert.equal(a, hex(data), `MIT decrypts ours (usage ${usage}, ${len} bytes)`));
          // MIT refuses a flipped bit in ours
          const bad = Buffer.from(ours);
          bad[bad.length - 1] ^= 0x01;
          reqs.push(`D ${etype} ${usage} ${hex(key)} ${hex(bad)}`);
          checks.push((a) => assert.match(a, /^ERR /, `MIT refuses a modified ciphertext (usage ${usage}, ${len} bytes)`));
          // we decrypt MIT's
          reqs.push(`E ${etype} ${usage} ${hex(key)} ${hex(data)}`);
          checks.push((a) => {
            assert.doesNotMatch(a, /^ERR/);
            const c = unhex(a);
            assert.equal(c.length, ours.length, 'same ciphertext length as ours');
            assert.deepEqual(profile.decrypt(key, usage, c), data, `we decrypt MIT's (usage ${usage}, ${len} bytes)`);
          });
          // checksums agree, and MIT verifies ours
          reqs.push(`C ${ck.cksumtype} ${etype} ${usage} ${hex(key)} ${hex(data)}`);
          checks.push((a) => assert.equal(a, hex(ck.make(key, usage, data)), `checksum (usage ${usage}, ${len} bytes)`));
          reqs.push(`V ${ck.cksumtype} ${etype} ${usage} ${hex(key)} ${hex(data)} ${hex(ck.make(key, usage, data))}`);
          checks.push((a) => assert.equal(a, 'OK'));
        }
      }
      const answers = ask(reqs);
      answers.forEach((a, i) => checks[i](a));
    });
  }

  test('string-to-key agrees for every enctype (RFC 3962, RFC 8009, RFC 4757)', () => {
    const cases = [
      { password: 'password', salt: 'ATHENA.MIT.EDUraeburn' },
      { password: 'Alice-Passw0rd!', salt: 'EXAMPLE.TESTalice' },
      { password: 'pässwörd ✓', salt: 'EXAMPLE.TESThost/web.example.test' },
      { password: 'x'.repeat(64), salt: '' },
    ];
    const reqs: string[] = [];
    const expect: string[] = [];
    for (const etype of ENCTYPES) {
      for (const c of cases) {
        reqs.push(`K ${etype} ${hex(Buffer.from(c.password, 'utf8'))} ${hex(Buffer.from(c.salt, 'utf8'))}`);
        expect.push(hex(enctypeProfile(etype).stringToKey(c.password, c.salt)));
      }
    }
    assert.deepEqual(ask(reqs), expect);
  });
});
