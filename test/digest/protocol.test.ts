// RFC 7616 / RFC 2617 Digest computations, the WDigest hash table (MS-SAMR 3.1.1.8.11.3.1),
// parameter parsing bounds, and the nonce rules (RFC 7616 3.3 stale, 5.4 nc replay).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  DigestFormatError,
  NonceManager,
  authenticationInfo,
  deriveWDigest,
  digestHa1,
  matchingVariants,
  parseDigestParams,
  requestDigest,
  sessionHa1,
  wdigestHash,
  wdigestVariants,
} from '../../src/digest/index.js';

const VECTORS = [
  {
    name: 'RFC 2617 3.5',
    user: 'Mufasa',
    realm: 'testrealm@host.com',
    password: 'Circle Of Life',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    cnonce: '0a4f113b',
    nc: '00000001',
    method: 'GET',
    uri: '/dir/index.html',
    response: '6629fae49393a05397450978507c4ef1',
  },
  {
    name: 'RFC 7616 3.9.1 (MD5)',
    user: 'Mufasa',
    realm: 'http-auth@example.org',
    password: 'Circle of Life',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    nc: '00000001',
    method: 'GET',
    uri: '/dir/index.html',
    response: '8ca523f5e9506fed4657c9700eebdbec',
  },
];

describe('Digest response computation (RFC vectors)', () => {
  for (const v of VECTORS) {
    test(v.name, () => {
      const ha1 = digestHa1(v.user, v.realm, v.password);
      const got = requestDigest(sessionHa1(ha1, 'MD5', v.nonce, v.cnonce), { nonce: v.nonce, nc: v.nc, cnonce: v.cnonce, qop: 'auth' }, v.method, v.uri);
      assert.equal(got, v.response);
    });
  }

  test('MD5-sess: H(A1) = MD5(hex(MD5(user:realm:pw)):nonce:cnonce)', () => {
    const ha1 = digestHa1('u', 'r', 'p');
    const want = createHash('md5').update(`${ha1.toString('hex')}:n:c`).digest();
    assert.deepEqual(sessionHa1(ha1, 'MD5-sess', 'n', 'c'), want);
  });

  test('rspauth is the digest with an empty method (RFC 7616 3.5)', () => {
    const v = VECTORS[0];
    const ha1 = digestHa1(v.user, v.realm, v.password);
    const info = authenticationInfo(ha1, v, v.uri);
    const want = requestDigest(ha1, { ...v, qop: 'auth' }, '', v.uri);
    assert.match(info, new RegExp(`^rspauth="${want}", qop=auth, nc=00000001, cnonce="0a4f113b"$`));
  });
});

describe('WDigest hashes (MS-SAMR 3.1.1.8.11.3.1)', () => {
  const names = { samAccountName: 'Alice', userPrincipalName: 'Alice@example.test', netbiosDomainName: 'EXAMPLE', dnsDomainName: 'example.test' };
  test('29 variants in the table order, the blob header, each hash MD5(user:realm:password)', () => {
    const v = wdigestVariants(names);
    assert.equal(v.length, 29);
    assert.deepEqual(v[0], ['Alice', 'EXAMPLE']);
    assert.deepEqual(v[7], ['Alice', 'example.test']);
    assert.deepEqual(v[9], ['ALICE', 'EXAMPLE.TEST']);
    assert.deepEqual(v[14], ['Alice@example.test', '']);
    assert.deepEqual(v[17], ['EXAMPLE\\Alice', '']);
    assert.deepEqual(v[20], ['Alice', 'Digest']);
    assert.deepEqual(v[28], ['EXAMPLE\\ALICE', 'Digest']);
    const blob = deriveWDigest('pw', names);
    assert.equal(blob.length, 16 + 29 * 16);
    assert.deepEqual([...blob.subarray(0, 4)], [0x31, 0, 1, 29]);
    v.forEach(([u, r], i) => assert.deepEqual(wdigestHash(blob, i), digestHa1(u, r, 'pw')));
  });
  test('the variant is chosen by the exact spelling the client hashed', () => {
    assert.deepEqual(matchingVariants(names, 'Alice', 'example.test'), [7, 11]);
    assert.deepEqual(matchingVariants(names, 'alice', 'example.test'), [8]);
    assert.deepEqual(matchingVariants(names, 'aLiCe', 'example.test'), []);
  });
});

describe('Digest parameters', () => {
  const good = { username: 'alice', realm: 'r', nonce: 'n', uri: '/x', response: 'a'.repeat(32), qop: 'auth', nc: '00000001', cnonce: 'c' };
  test('a complete set parses; algorithm defaults to MD5', () => {
    const p = parseDigestParams(good);
    assert.equal(p.algorithm, 'MD5');
    assert.equal(p.ncValue, 1);
    assert.equal(parseDigestParams({ ...good, algorithm: 'md5-SESS' }).algorithm, 'MD5-sess');
  });
  const bad: Array<[string, Record<string, string>]> = [
    ['no username', { ...good, username: undefined as unknown as string }],
    ['no nonce', Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'nonce'))],
    ['no qop (RFC 2069)', Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'qop'))],
    ['qop auth-int', { ...good, qop: 'auth-int' }],
    ['nc not hex', { ...good, nc: '0000000g' }],
    ['nc short', { ...good, nc: '1' }],
    ['nc zero', { ...good, nc: '00000000' }],
    ['response not hex', { ...good, response: 'z'.repeat(32) }],
    ['SHA-256', { ...good, algorithm: 'SHA-256' }],
    ['userhash', { ...good, userhash: 'true' }],
    ['huge username', { ...good, username: 'a'.repeat(10_000) }],
    ['control character', { ...good, username: 'al\nice' }],
  ];
  for (const [name, p] of bad) {
    test(`refused: ${name}`, () => {
      const clean = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));
      assert.throws(() => parseDigestParams(clean), DigestFormatError);
    });
  }
});

describe('nonces', () => {
  test('issued nonces are ok; forged or altered ones invalid; old ones stale', () => {
    let t = 1_000_000;
    const m = new NonceManager({ lifetimeMs: 1000, now: () => t });
    const n = m.issue();
    assert.equal(m.check(n), 'ok');
    assert.equal(m.check(`${n.slice(0, -2)}AA`), 'invalid');
    assert.equal(m.check('abc'), 'invalid');
    assert.equal(new NonceManager().check(n), 'invalid');
    t += 1001;
    assert.equal(m.check(n), 'stale');
  });
  test('nc must increase per nonce; replays are refused', () => {
    const m = new NonceManager();
    const n = m.issue();
    assert.equal(m.precheck(n, 1), 'ok');
    assert.equal(m.use(n, 1), 'ok');
    assert.equal(m.precheck(n, 1), 'replay');
    assert.equal(m.use(n, 1), 'replay');
    assert.equal(m.use(n, 3), 'ok');
    assert.equal(m.use(n, 2), 'replay');
  });
  test('bounded: an evicted nonce is stale, never accepted again', () => {
    const m = new NonceManager({ maxTracked: 2 });
    const a = m.issue();
    m.issue();
    m.issue();
    assert.equal(m.tracked, 2);
    assert.equal(m.check(a), 'stale');
    assert.equal(m.use(a, 1), 'stale');
  });
});
