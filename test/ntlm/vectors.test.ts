// MS-NLMP 4.2 test vectors: 4.2.2 (NTLM v1), 4.2.3 (NTLM v1 with extended session security),
// 4.2.4 (NTLMv2), with the common values of 4.2.1: user "User", domain "Domain", password
// "Password", ServerChallenge 0123456789abcdef, ClientChallenge aaaaaaaaaaaaaaaa,
// RandomSessionKey 55..55, Time 0, workstation "COMPUTER", and the message "Plaintext".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '../crypto/hex.js';
import {
  computeNtlmv2Response,
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  desl,
  encodeAuthenticate,
  encodeAvPairs,
  encodeChallenge,
  kxkey,
  lmowfV1,
  ntlmv1EssResponse,
  ntlmv1Response,
  NtlmSessionSecurity,
  NTLMSSP,
  ntowfV1,
  ntowfV2,
  rc4k,
  sealKey,
  sessionBaseKeyV1,
  signKey,
  targetInfoFromPairs,
  verifyNtlmv2,
} from '../../src/ntlm/index.js';

const USER = 'User';
const DOMAIN = 'Domain';
const PASSWORD = 'Password';
const SERVER_CHALLENGE = hex('0123456789abcdef');
const CLIENT_CHALLENGE = hex('aaaaaaaaaaaaaaaa');
const RANDOM_SESSION_KEY = hex('55555555555555555555555555555555');
const PLAINTEXT = Buffer.from('Plaintext', 'utf16le');

/** 4.2.4.1.3 / 4.2.4.3: the AV pairs of the CHALLENGE (NetBIOS domain "Domain", server "Server"). */
const V2_TARGET_INFO = hex('02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000');

/** 4.2.4.3 CHALLENGE_MESSAGE. */
const V2_CHALLENGE = hex(`
  4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef
  00000000000000002400240044000000060070170000000f5300650072007600
  6500720002000c0044006f006d00610069006e0001000c005300650072007600
  6500720000000000`);

/** 4.2.4.3 AUTHENTICATE_MESSAGE (no MIC: the 4.2.4 CHALLENGE has no MsvAvTimestamp). */
const V2_AUTHENTICATE = hex(`
  4e544c4d5353500003000000180018006c00000054005400840000000c000c00
  480000000800080054000000100010005c00000010001000d8000000358288e2
  0501280a0000000f44006f006d00610069006e00550073006500720043004f00
  4d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaa
  aaaaaaaa68cd0ab851e51c96aabc927bebef6a1c010100000000000000000000
  00000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e00
  01000c005300650072007600650072000000000000000000c5dad2544fc97990
  94ce1ce90bc9d03e`);

/** 4.2.3.3 AUTHENTICATE_MESSAGE (NTLMv1 with extended session security). */
const V1_ESS_AUTHENTICATE = hex(`
  4e544c4d5353500003000000180018006c00000018001800840000000c000c00
  480000000800080054000000100010005c000000000000009c00000035820882
  0501280a0000000f44006f006d00610069006e00550073006500720043004f00
  4d0050005500540045005200aaaaaaaaaaaaaaaa000000000000000000000000
  000000007537f803ae367128ca458204bde7caf81e97ed2683267232`);

test('4.2.2 NTLM v1: NTOWFv1, LMOWFv1, responses, session base key, encrypted session key', () => {
  const nt = ntowfV1(PASSWORD);
  const cases: Array<[string, Buffer, string]> = [
    ['4.2.2.1.1 LMOWFv1', lmowfV1(PASSWORD), 'e52cac67419a9a224a3b108f3fa6cb6d'],
    ['4.2.2.1.2 NTOWFv1', nt, 'a4f49c406510bdcab6824ee7c30fd852'],
    ['4.2.2.1.3 SessionBaseKey', sessionBaseKeyV1(nt), 'd87262b0cde4b1cb7499becccdf10784'],
    ['4.2.2.2.1 NTLMv1 response', ntlmv1Response(nt, SERVER_CHALLENGE), '67c43011f30298a2ad35ece64f16331c44bdbed927841f94'],
    ['4.2.2.2.2 LMv1 response', desl(lmowfV1(PASSWORD), SERVER_CHALLENGE), '98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13'],
    [
      '4.2.2.2.3 EncryptedRandomSessionKey',
      rc4k(kxkey(0xe2028233, sessionBaseKeyV1(nt), Buffer.alloc(24), SERVER_CHALLENGE, false), RANDOM_SESSION_KEY),
      '518822b1b3f350c8958682ecbb3e3cb7',
    ],
  ];
  for (const [name, got, want] of cases) assert.equal(got.toString('hex'), want, name);
});

test('4.2.3 NTLM v1 with extended session security: responses, KXKEY, keys, seal and MAC', () => {
  const flags = 0x820a8233; // 4.2.3: ESS and 56-bit, no key exchange
  const nt = ntowfV1(PASSWORD);
  const r = ntlmv1EssResponse(nt, SERVER_CHALLENGE, CLIENT_CHALLENGE);
  assert.equal(r.lm.toString('hex'), 'aaaaaaaaaaaaaaaa00000000000000000000000000000000', '4.2.3.2.2 LMv1 response');
  assert.equal(r.nt.toString('hex'), '7537f803ae367128ca458204bde7caf81e97ed2683267232', '4.2.3.2.1 NTLMv1 response');
  const kx = kxkey(flags, sessionBaseKeyV1(nt), r.lm, SERVER_CHALLENGE, false);
  assert.equal(kx.toString('hex'), 'eb93429a8bd952f8b89c55b87f475edc', '4.2.3.1.2 KeyExchangeKey');
  assert.equal(signKey(kx, 'client').toString('hex'), '60e799be5c72fc92922ae8ebe961fb8d', 'client SignKey');
  assert.equal(sealKey(flags, kx, 'client').toString('hex'), '04dd7f014d8504d265a25cc86a3a7c06', 'client SealKey (56-bit)');
  const sec = new NtlmSessionSecurity(flags, kx, 'client');
  const { sealed, signature } = sec.seal(PLAINTEXT);
  assert.equal(sealed.toString('hex'), 'a02372f6530273f3aa1eb90190ce5200c99d', '4.2.3.4 sealed data');
  assert.equal(signature.toString('hex'), '01000000ff2aeb52f681793a00000000', '4.2.3.4 signature');
  // The receiving side of the same session opens it.
  assert.deepEqual(new NtlmSessionSecurity(flags, kx, 'server').unseal(sealed, signature), PLAINTEXT);

  const m = decodeAuthenticate(V1_ESS_AUTHENTICATE);
  assert.equal(m.flags, 0x82088235);
  assert.equal(m.userName, 'User');
  assert.equal(m.domainName, 'Domain');
  assert.equal(m.workstation, 'COMPUTER');
  assert.deepEqual(m.ntChallengeResponse, r.nt);
  assert.deepEqual(m.lmChallengeResponse, r.lm);
  assert.equal(m.mic, undefined);
});

test('4.2.4 NTLMv2: NTOWFv2, responses, session base key, key exchange', () => {
  const responseKey = ntowfV2(ntowfV1(PASSWORD), USER, DOMAIN);
  assert.equal(responseKey.toString('hex'), '0c868a403bfd7a93a3001ef22ef02e3f', '4.2.4.1.1 NTOWFv2 (= LMOWFv2)');
  const r = computeNtlmv2Response(responseKey, SERVER_CHALLENGE, CLIENT_CHALLENGE, 0n, V2_TARGET_INFO);
  const cases: Array<[string, Buffer, string]> = [
    ['4.2.4.2.1 LMv2 response', r.lmChallengeResponse, '86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa'],
    ['4.2.4.2.2 NTProofStr', r.ntProofStr, '68cd0ab851e51c96aabc927bebef6a1c'],
    ['4.2.4.1.2 SessionBaseKey', r.sessionBaseKey, '8de40ccadbc14a82f15cb0ad0de95ca3'],
    [
      '4.2.4.2.2 NtChallengeResponse',
      r.ntChallengeResponse,
      '68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000' +
        '02000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000',
    ],
    ['4.2.4.2.3 EncryptedRandomSessionKey', rc4k(kxkey(0xe28a8233, r.sessionBaseKey, r.lmChallengeResponse, SERVER_CHALLENGE, true), RANDOM_SESSION_KEY), 'c5dad2544fc9799094ce1ce90bc9d03e'],
  ];
  for (const [name, got, want] of cases) assert.equal(got.toString('hex'), want, name);
  // The acceptor-side check finds the same key, and refuses another password or challenge.
  assert.deepEqual(verifyNtlmv2(responseKey, SERVER_CHALLENGE, r.ntChallengeResponse), r.sessionBaseKey);
  assert.equal(verifyNtlmv2(ntowfV2(ntowfV1('password'), USER, DOMAIN), SERVER_CHALLENGE, r.ntChallengeResponse), undefined);
  assert.equal(verifyNtlmv2(responseKey, hex('0123456789abcdee'), r.ntChallengeResponse), undefined);
});

test('4.2.4.3 CHALLENGE_MESSAGE decodes and re-encodes byte for byte', () => {
  const c = decodeChallenge(V2_CHALLENGE);
  assert.equal(c.flags, 0xe28a8233);
  assert.equal(c.targetName, 'Server');
  assert.deepEqual(c.serverChallenge, SERVER_CHALLENGE);
  assert.deepEqual(c.targetInfo, V2_TARGET_INFO);
  assert.deepEqual(c.version, { major: 6, minor: 0, build: 6000, revision: 15 });
  assert.deepEqual(targetInfoFromPairs(decodeAvPairs(c.targetInfo)), { nbDomainName: 'Domain', nbComputerName: 'Server' });
  assert.deepEqual(encodeChallenge(c), V2_CHALLENGE);
});

test('4.2.4.3 AUTHENTICATE_MESSAGE decodes and re-encodes byte for byte', () => {
  const a = decodeAuthenticate(V2_AUTHENTICATE);
  assert.equal(a.flags, 0xe2888235);
  assert.equal(a.userName, 'User');
  assert.equal(a.domainName, 'Domain');
  assert.equal(a.workstation, 'COMPUTER');
  assert.equal(a.lmChallengeResponse.toString('hex'), '86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
  assert.equal(a.ntChallengeResponse.subarray(0, 16).toString('hex'), '68cd0ab851e51c96aabc927bebef6a1c');
  assert.equal(a.encryptedRandomSessionKey.toString('hex'), 'c5dad2544fc9799094ce1ce90bc9d03e');
  assert.deepEqual(a.version, { major: 5, minor: 1, build: 2600, revision: 15 });
  assert.equal(a.mic, undefined, 'payload starts at 72: no room for a MIC');
  assert.deepEqual(encodeAuthenticate(a), V2_AUTHENTICATE);
});

test('4.2.4.4 NTLMv2 sign and seal of "Plaintext" with sequence 0 (key exchange, 128-bit)', () => {
  const flags = 0xe28a8233;
  assert.equal(flags & NTLMSSP.NEGOTIATE_KEY_EXCH, NTLMSSP.NEGOTIATE_KEY_EXCH);
  assert.equal(signKey(RANDOM_SESSION_KEY, 'client').toString('hex'), '4788dc861b4782f35d43fd98fe1a2d39', 'client SignKey');
  assert.equal(sealKey(flags, RANDOM_SESSION_KEY, 'client').toString('hex'), '59f600973cc4960a25480a7c196e4c58', 'client SealKey');
  const client = new NtlmSessionSecurity(flags, RANDOM_SESSION_KEY, 'client');
  const { sealed, signature } = client.seal(PLAINTEXT);
  assert.equal(sealed.toString('hex'), '54e50165bf1936dc996020c1811b0f06fb5f', 'sealed data');
  assert.equal(signature.toString('hex'), '010000007fb38ec5c55d497600000000', 'signature (RC4-encrypted checksum, SeqNum 0)');
  const server = new NtlmSessionSecurity(flags, RANDOM_SESSION_KEY, 'server');
  assert.deepEqual(server.unseal(sealed, signature), PLAINTEXT);
  // The next message has SeqNum 1 and continues both RC4 streams.
  const second = client.seal(PLAINTEXT);
  assert.equal(second.signature.readUInt32LE(12), 1);
  assert.deepEqual(server.unseal(second.sealed, second.signature), PLAINTEXT);
});

test('GSS_WrapEx style: the signature may cover more than what is encrypted (DCE/RPC)', () => {
  const flags = 0xe28a8233;
  const client = new NtlmSessionSecurity(flags, RANDOM_SESSION_KEY, 'client');
  const server = new NtlmSessionSecurity(flags, RANDOM_SESSION_KEY, 'server');
  const head = Buffer.from('pdu-header|');
  const stub = Buffer.from('secret stub data');
  const { sealed, signature } = client.seal(stub, Buffer.concat([head, stub]));
  assert.deepEqual(server.unseal(sealed, signature, (p) => Buffer.concat([head, p])), stub);
  const again = client.seal(stub, Buffer.concat([head, stub]));
  assert.throws(() => server.unseal(again.sealed, again.signature, (p) => Buffer.concat([Buffer.from('other-header'), p])));
});

test('AV pairs: encode/decode round trip, EOL required, duplicates refused', () => {
  const pairs = decodeAvPairs(V2_TARGET_INFO);
  assert.deepEqual(encodeAvPairs(pairs), V2_TARGET_INFO);
  assert.throws(() => decodeAvPairs(V2_TARGET_INFO.subarray(0, V2_TARGET_INFO.length - 4)), /MsvAvEOL/);
  const dup = Buffer.concat([V2_TARGET_INFO.subarray(0, 16), V2_TARGET_INFO]);
  assert.throws(() => decodeAvPairs(dup), /twice/);
});

test('OEM (non-Unicode) strings are written and read as single bytes', () => {
  const m = {
    flags: NTLMSSP.NEGOTIATE_OEM | NTLMSSP.NEGOTIATE_NTLM,
    lmChallengeResponse: Buffer.alloc(24, 1),
    ntChallengeResponse: Buffer.alloc(24, 2),
    domainName: 'DOMAIN',
    userName: 'user',
    workstation: 'WS',
    encryptedRandomSessionKey: Buffer.alloc(0),
  };
  const b = encodeAuthenticate(m);
  assert.equal(b.length, 64 + 6 + 4 + 2 + 48);
  const d = decodeAuthenticate(b);
  assert.equal(d.userName, 'user');
  assert.equal(d.domainName, 'DOMAIN');
  assert.equal(d.workstation, 'WS');
});
