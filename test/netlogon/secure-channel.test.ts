// SecureChannelStore bookkeeping: bounded challenges, expiry, one attempt per challenge.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  computeNetlogonCredentialAes,
  computeSessionKeyAes,
  credentialPlus,
  firstFiveBytesRepeat,
  REQUIRED_NEGOTIATE_FLAGS,
  SecureChannelStore,
} from '../../src/netlogon/index.js';

const NT = Buffer.alloc(16, 7);
const CLIENT = Buffer.from('0102030405060708', 'hex');

function clientCredential(store: SecureChannelStore, computer: string): Buffer {
  const server = store.newChallenge(computer, CLIENT);
  return computeNetlogonCredentialAes(CLIENT, computeSessionKeyAes(NT, CLIENT, server));
}

const attempt = (store: SecureChannelStore, computer: string, cred: Buffer, flags = 0x612fffff) =>
  store.authenticate({ computerName: computer, accountName: `${computer}$`, accountRid: 1000, secureChannelType: 2, clientCredential: cred, clientFlags: flags, ntHashes: [NT] });

test('the challenge store is bounded and challenges expire', () => {
  let now = 0;
  const store = new SecureChannelStore({ maxChallenges: 10, challengeTtlMs: 1000, now: () => now });
  for (let i = 0; i < 100; i++) store.newChallenge(`PC${i}`, CLIENT);
  assert.equal(store.pendingChallenges, 10);
  const cred = clientCredential(store, 'LATE');
  now = 2000;
  const r = attempt(store, 'LATE', cred);
  assert.equal(r.ok, false);
  assert.equal(r.ok === false && r.reason, 'no-challenge');
});

test('one attempt per challenge; a wrong credential burns it', () => {
  const store = new SecureChannelStore();
  const cred = clientCredential(store, 'PC');
  const wrong = Buffer.from(cred);
  wrong[7] ^= 1;
  assert.equal(attempt(store, 'PC', wrong).ok, false);
  const again = attempt(store, 'PC', cred);
  assert.equal(again.ok === false && again.reason, 'no-challenge', 'the right credential no longer works on a burnt challenge');
  assert.equal(attempt(store, 'PC', clientCredential(store, 'PC')).ok, true);
});

test('flags without AES / secure RPC / strong keys are refused even with the right credential', () => {
  const store = new SecureChannelStore();
  for (const missing of [0x01000000, 0x40000000, 0x00004000]) {
    const r = attempt(store, 'PC', clientCredential(store, 'PC'), (0x612fffff & ~missing) >>> 0);
    assert.equal(r.ok === false && r.reason, 'flags');
  }
  assert.equal(REQUIRED_NEGOTIATE_FLAGS & 0x01000000, 0x01000000);
});

test('Zerologon shapes: repeated first 5 bytes of challenge or credential', () => {
  assert.equal(firstFiveBytesRepeat(Buffer.alloc(8)), true);
  assert.equal(firstFiveBytesRepeat(Buffer.from('4141414141000000', 'hex')), true);
  assert.equal(firstFiveBytesRepeat(Buffer.from('4141414142000000', 'hex')), false);
  const store = new SecureChannelStore();
  store.newChallenge('PC', Buffer.alloc(8));
  const r = attempt(store, 'PC', Buffer.alloc(8));
  assert.equal(r.ok === false && r.reason, 'weak-challenge');
});

test('authenticators advance the credential; replays and stale ones fail', () => {
  const store = new SecureChannelStore();
  const cred = clientCredential(store, 'PC');
  const r = attempt(store, 'PC', cred);
  assert.ok(r.ok);
  const sk = r.channel.sessionKey;
  let stored = cred;
  for (const ts of [1, 0xfffffffe, 12345]) {
    const auth = { credential: computeNetlogonCredentialAes(credentialPlus(stored, ts), sk), timestamp: ts };
    const ok = store.checkAuthenticator('pc', auth); // computer names are case-insensitive
    assert.ok(ok);
    stored = credentialPlus(stored, ts + 1);
    assert.deepEqual(ok.returnAuthenticator.credential, computeNetlogonCredentialAes(stored, sk));
    assert.equal(store.checkAuthenticator('PC', auth), undefined, 'replay');
  }
  assert.equal(store.checkAuthenticator('NOPE', { credential: Buffer.alloc(8), timestamp: 0 }), undefined);
  // Timestamp 0xFFFFFFFF would not advance the seed (stored + 0xFFFFFFFF + 1 = stored mod 2^32):
  // even a correctly computed one is refused, so it cannot be replayed.
  const frozen = { credential: computeNetlogonCredentialAes(credentialPlus(stored, 0xffffffff), sk), timestamp: 0xffffffff };
  assert.equal(store.checkAuthenticator('PC', frozen), undefined);
});
