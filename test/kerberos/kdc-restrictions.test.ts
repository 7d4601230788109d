// Account restrictions at the AS exchange (MS-KILE 3.3.5.6.1): each refusal has the KRB error
// code Windows uses and the NTSTATUS in KERB-EXT-ERROR (MS-KILE 2.2.1); the password-dependent
// ones (expired, must change) only after pre-authentication; lockout counts and resets.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDomain, type RunningDomain } from '../../src/dc/domain.js';
import {
  STATUS_ACCOUNT_DISABLED,
  STATUS_ACCOUNT_EXPIRED,
  STATUS_ACCOUNT_LOCKED_OUT,
  STATUS_INVALID_LOGON_HOURS,
  STATUS_PASSWORD_EXPIRED,
  STATUS_PASSWORD_MUST_CHANGE,
} from '../../src/directory/ntstatus.js';
import { getInitialCredentials } from '../../src/kerberos/client/as-client.js';
import { KrbErrorReply } from '../../src/kerberos/client/credential.js';
import { decodeKerbErrorData, decodeKerbExtError } from '../../src/kerberos/messages/index.js';
import { KDC_ERR } from '../../src/kerberos/messages/types.js';

describe('KDC account restrictions', () => {
  let d: RunningDomain;
  const users = ['expired', 'hours', 'mustchange', 'pwold', 'locked', 'off', 'counted'];
  before(async () => {
    d = await startDomain({
      policy: { lockoutThreshold: 2, maxPasswordAge: 30 * 86400 },
      users: users.map((name) => ({ name, password: `${name}-Passw0rd!` })),
      cacheMs: 0,
    });
    await d.directory.setAccountFields('expired', { accountExpires: new Date(Date.now() - 60_000) });
    await d.directory.setAccountFields('hours', { logonHours: Buffer.alloc(21, 0) });
    await d.directory.setPassword('mustchange', 'mustchange-Passw0rd!', { mustChange: true });
    await d.directory.setAccountFields('pwold', { pwdLastSet: new Date(Date.now() - 40 * 86400_000) });
    await d.directory.disableAccount('off');
  });
  after(async () => {
    await d?.stop();
  });

  const logon = (user: string, password = `${user}-Passw0rd!`) =>
    getInitialCredentials({ kdc: d.kdc, realm: d.realm, user, password });

  async function refusal(user: string, password?: string): Promise<{ code: number; status?: number }> {
    try {
      await logon(user, password);
    } catch (e) {
      assert.ok(e instanceof KrbErrorReply, String(e));
      const eData = e.error.eData;
      let status: number | undefined;
      if (eData) {
        try {
          const ed = decodeKerbErrorData(eData);
          if (ed.dataType === 3 && ed.dataValue) status = decodeKerbExtError(ed.dataValue).status >>> 0;
        } catch {
          status = undefined; // METHOD-DATA, not KERB-ERROR-DATA
        }
      }
      return { code: e.code, status };
    }
    assert.fail(`${user} was not refused`);
  }

  const cases: [string, number, number][] = [
    ['off', KDC_ERR.CLIENT_REVOKED, STATUS_ACCOUNT_DISABLED],
    ['expired', KDC_ERR.CLIENT_REVOKED, STATUS_ACCOUNT_EXPIRED],
    ['hours', KDC_ERR.CLIENT_REVOKED, STATUS_INVALID_LOGON_HOURS],
    ['mustchange', KDC_ERR.KEY_EXPIRED, STATUS_PASSWORD_MUST_CHANGE],
    ['pwold', KDC_ERR.KEY_EXPIRED, STATUS_PASSWORD_EXPIRED],
  ];
  for (const [user, code, status] of cases) {
    test(`${user}: KRB error ${code} with NTSTATUS 0x${status.toString(16)}`, async () => {
      assert.deepEqual(await refusal(user), { code, status });
    });
  }

  test('password expiry is only revealed to the password owner', async () => {
    const r = await refusal('pwold', 'wrong-password');
    assert.equal(r.code, KDC_ERR.PREAUTH_FAILED);
  });

  test('lockout at the threshold, KERB-EXT-ERROR says locked out, unlock restores', async () => {
    assert.equal((await refusal('locked', 'bad1')).code, KDC_ERR.PREAUTH_FAILED);
    assert.equal((await refusal('locked', 'bad2')).code, KDC_ERR.PREAUTH_FAILED);
    assert.deepEqual(await refusal('locked'), { code: KDC_ERR.CLIENT_REVOKED, status: STATUS_ACCOUNT_LOCKED_OUT });
    await d.directory.unlockAccount('locked');
    await logon('locked');
  });

  test('a success resets the bad-password count', async () => {
    assert.equal((await refusal('counted', 'bad1')).code, KDC_ERR.PREAUTH_FAILED);
    assert.equal((await d.directory.getAccount('counted')).badPwdCount, 1);
    await logon('counted');
    assert.equal((await d.directory.getAccount('counted')).badPwdCount, 0);
    assert.equal((await refusal('counted', 'bad2')).code, KDC_ERR.PREAUTH_FAILED);
    await logon('counted'); // one bad password after a reset does not lock (threshold 2)
  });
});
