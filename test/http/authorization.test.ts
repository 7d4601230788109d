// RFC 7235 parsing and formatting, the per-resource rules and the request-target normalisation
// (MS-AUTHSO 5.4.5 steps 1–6, 10), without a network.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_SDDL,
  HttpAuthError,
  MAX_AUTHORIZATION_BYTES,
  accessAllowed,
  compileRules,
  decodeToken68,
  formatChallenge,
  parseAuthParams,
  parseAuthorization,
  parseBasic,
  normaliseBasicUser,
  resourcePath,
  ruleFor,
} from '../../src/http/index.js';
import type { LogonToken } from '../../src/security/types.js';

function status(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof HttpAuthError ? e.status : -1;
  }
}

describe('Authorization header (RFC 7235 2.1)', () => {
  test('token68 forms, any scheme case, extra blanks', () => {
    assert.deepEqual(parseAuthorization('Negotiate YIIB'), { scheme: 'Negotiate', schemeLower: 'negotiate', token68: 'YIIB' });
    assert.equal(parseAuthorization('  nEgOtIaTe    YIIB==  ')?.schemeLower, 'negotiate');
    assert.equal(parseAuthorization('  nEgOtIaTe    YIIB==  ')?.token68, 'YIIB==');
    assert.equal(parseAuthorization('NTLM\tTlRMTVNTUAABAAAA')?.token68, 'TlRMTVNTUAABAAAA');
    assert.deepEqual(parseAuthorization('Negotiate'), { scheme: 'Negotiate', schemeLower: 'negotiate' });
    assert.equal(parseAuthorization(undefined), undefined);
    assert.equal(parseAuthorization('   '), undefined);
  });
  test('auth-param form (Digest)', () => {
    const c = parseAuthorization('Digest username="al\\"ice", realm=example.test, nc=00000001,, qop=auth');
    assert.deepEqual({ ...c?.params }, { username: 'al"ice', realm: 'example.test', nc: '00000001', qop: 'auth' });
    assert.equal(status(() => parseAuthParams('a="unterminated')), 400);
    assert.equal(status(() => parseAuthParams('a=1, a=2')), 400);
    assert.equal(status(() => parseAuthParams('=1')), 400);
  });
  test('refusals: bad scheme, too large, several headers', () => {
    assert.equal(status(() => parseAuthorization('Ne(go abc')), 400);
    assert.equal(status(() => parseAuthorization(`Negotiate ${'A'.repeat(MAX_AUTHORIZATION_BYTES)}`)), 400);
    assert.equal(status(() => parseAuthorization(['Negotiate a', 'NTLM b'])), 400);
    assert.equal(parseAuthorization(['NTLM b'])?.token68, 'b');
  });
  test('token68 as base64', () => {
    assert.deepEqual(decodeToken68('AQID'), Buffer.from([1, 2, 3]));
    assert.deepEqual(decodeToken68('AQI'), Buffer.from([1, 2]));
    assert.equal(status(() => decodeToken68('A')), 400);
    assert.equal(status(() => decodeToken68('a-b_')), 400);
    assert.equal(status(() => decodeToken68(undefined)), 400);
  });
  test('WWW-Authenticate formatting', () => {
    assert.equal(formatChallenge('Negotiate'), 'Negotiate');
    assert.equal(formatChallenge('NTLM', Buffer.from([1, 2, 3])), 'NTLM AQID');
    assert.equal(formatChallenge('Negotiate', Buffer.alloc(0)), 'Negotiate');
    assert.equal(formatChallenge('Basic', { realm: 'a "b"\\c', charset: 'UTF-8' }), 'Basic realm="a \\"b\\"\\\\c", charset="UTF-8"');
  });
});

describe('Basic credentials (RFC 7617)', () => {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  test('user:password, UTF-8, colon in the password', () => {
    assert.deepEqual(parseBasic(b64('alice:pa:ss')), { user: 'alice', password: 'pa:ss' });
    assert.deepEqual(parseBasic(b64('jürgen:päss')), { user: 'jürgen', password: 'päss' });
    assert.equal(status(() => parseBasic(b64('no-colon'))), 400);
    assert.equal(status(() => parseBasic(b64(':x'))), -1); // a SecurityError: 401
    assert.equal(status(() => parseBasic(b64('a\u0001b:x'))), -1);
  });
  test('DOMAIN\\user forms', () => {
    const o = { netbiosDomainName: 'EXAMPLE', dnsDomainName: 'example.test', realm: 'EXAMPLE.TEST' };
    assert.equal(normaliseBasicUser('EXAMPLE\\alice', o), 'alice');
    assert.equal(normaliseBasicUser('example.test\\alice', o), 'alice');
    assert.equal(normaliseBasicUser('alice@example.test', o), 'alice@example.test');
    assert.throws(() => normaliseBasicUser('OTHER\\alice', o));
  });
});

describe('rules and request targets (MS-AUTHSO 5.4.5 steps 1–2)', () => {
  const rules = compileRules(
    [
      { path: '/public/*', auth: 'anonymous' },
      { path: '/admins/*', sddl: 'D:(A;;GA;;;DA)' },
      { path: '/exact', mechanisms: ['NTLM'] },
      { path: '/team/*', groups: ['S-1-5-21-1-2-3-1105'] },
    ],
    ['Negotiate', 'NTLM'],
  );
  test('first match wins, defaults otherwise', () => {
    assert.equal(ruleFor(rules, '/public').auth, 'anonymous');
    assert.equal(ruleFor(rules, '/public/a/b').auth, 'anonymous');
    assert.equal(ruleFor(rules, '/publicity').auth, 'required');
    assert.deepEqual(ruleFor(rules, '/exact').mechanisms, ['NTLM']);
    assert.equal(ruleFor(rules, '/exact/more').mechanisms, undefined);
    assert.equal(ruleFor(rules, '/other').rule.sddl, undefined);
    assert.equal(DEFAULT_SDDL, 'D:(A;;GA;;;AU)');
  });
  test('rule patterns follow the path case-sensitivity', () => {
    const ci = compileRules([{ path: '/Admin/*', sddl: 'D:(A;;GA;;;DA)' }], ['NTLM']);
    assert.equal(ruleFor(ci, resourcePath('/ADMIN/x')).rule.path, '/Admin/*');
    assert.equal(ruleFor(ci, resourcePath('/admin')).rule.path, '/Admin/*');
    const cs = compileRules([{ path: '/Admin/*', sddl: 'D:(A;;GA;;;DA)' }], ['NTLM'], true);
    assert.equal(ruleFor(cs, resourcePath('/Admin/x', true)).rule.path, '/Admin/*');
    assert.equal(ruleFor(cs, resourcePath('/admin/x', true)).rule.path, '*');
  });
  test('bad rules are refused at start-up', () => {
    assert.throws(() => compileRules([{ path: 'x' }], ['NTLM']));
    assert.throws(() => compileRules([{ path: '/x', sddl: 'D:(A;;ZZ;;;AU)' }], ['NTLM']));
    assert.throws(() => compileRules([{ path: '/x', mechanisms: ['Basic'] }], ['NTLM']));
  });
  test('the request target is decoded and normalised', () => {
    assert.equal(resourcePath('/Public/../Private/x?q=1'), '/private/x');
    assert.equal(resourcePath('/public/%2e%2e/private'), '/private');
    assert.equal(resourcePath('/public/..%2fprivate'), '/private');
    assert.equal(resourcePath('//private//x/'), '/private/x/');
    assert.equal(resourcePath('/a\\..\\private'), '/private');
    assert.equal(resourcePath('http://web.example.test/private/x'), '/private/x');
    assert.equal(resourcePath('/Private', true), '/Private');
    assert.equal(resourcePath('*'), '*');
    assert.equal(status(() => resourcePath('/%ff')), 400);
    assert.equal(status(() => resourcePath('/a%00b')), 400);
  });
  test('the access check (step 10): SDDL and groups', () => {
    const dom = 'S-1-5-21-1-2-3';
    const token = (rid: number, groups: string[]): LogonToken => ({
      userSid: `${dom}-${rid}`,
      primaryGroupSid: `${dom}-513`,
      groups: [...groups, 'S-1-1-0', 'S-1-5-11'].map((sid) => ({ sid, attributes: 7 })),
      privileges: [],
      logonType: 'network',
      authPackage: 'NTLM',
      userName: 'u',
      domainName: 'EXAMPLE',
      logonServer: 'DC1',
      profile: { fullName: '', homeDirectory: '', homeDrive: '', logonScript: '', profilePath: '' },
      userAccountControl: 0x200,
    });
    const user = token(1104, [`${dom}-513`]);
    const admin = token(500, [`${dom}-513`, `${dom}-512`]);
    assert.equal(accessAllowed(ruleFor(rules, '/x'), user), true);
    assert.equal(accessAllowed(ruleFor(rules, '/admins/x'), user), false);
    assert.equal(accessAllowed(ruleFor(rules, '/admins/x'), admin), true);
    assert.equal(accessAllowed(ruleFor(rules, '/team/x'), user), false);
    assert.equal(accessAllowed(ruleFor(rules, '/team/x'), token(1105, [])), true);
    const denyOnly = { ...admin, groups: admin.groups.map((g) => (g.sid.endsWith('-512') ? { ...g, attributes: 0x10 } : g)) };
    assert.equal(accessAllowed(ruleFor(rules, '/admins/x'), denyOnly), false);
    const teamMember = token(1104, [`${dom}-1105`]);
    assert.equal(accessAllowed(ruleFor(rules, '/team/x'), teamMember), true);
    const teamDenyOnly = { ...teamMember, groups: teamMember.groups.map((g) => (g.sid.endsWith('-1105') ? { ...g, attributes: 0x10 } : g)) };
    assert.equal(accessAllowed(ruleFor(rules, '/team/x'), teamDenyOnly), false);
  });
});
