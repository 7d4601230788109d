// Hostile input: thousands of random, truncated, bit-flipped and field-smashed buffers into every
// PAC decoder. The only acceptable failure is PacError, and it must be fast.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Key } from '../../src/crypto/types.js';
import {
  PAC_TYPE,
  PacError,
  decodeKerbValidationInfo,
  decodePac,
  decodePacAttributesInfo,
  decodePacClientInfo,
  decodePacRequestor,
  decodePacSignatureData,
  decodeUpnDnsInfo,
  encodeKerbValidationInfo,
  encodePacAttributesInfo,
  encodePacClientInfo,
  encodePacRequestor,
  encodePacSignatureData,
  encodeUpnDnsInfo,
  findPacBuffer,
  resignPac,
  signPac,
  verifyPacKdcSignature,
  verifyPacServerSignature,
} from '../../src/pac/index.js';
import { SAMPLE_INFO } from './sample.js';

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

const SMASH = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x00020000];

/** Mutations of a valid input: truncation, bit flips, smashed 16/32-bit fields, noise, splices. */
function* mutations(good: Buffer, rnd: () => number, n: number): Generator<Buffer> {
  for (let i = 0; i < n; i++) {
    const kind = i % 6;
    const b = Buffer.from(good);
    if (kind === 0) {
      yield b.subarray(0, rnd() % (b.length + 1));
    } else if (kind === 1) {
      for (let k = 1 + (rnd() % 4); k > 0 && b.length; k--) b[rnd() % b.length] ^= 1 << rnd() % 8;
      yield b;
    } else if (kind === 2 && b.length >= 4) {
      const at = (rnd() % (b.length - 3)) & ~3;
      b.writeUInt32LE(SMASH[rnd() % SMASH.length], at);
      yield b;
    } else if (kind === 3 && b.length >= 2) {
      const at = (rnd() % (b.length - 1)) & ~1;
      b.writeUInt16LE(SMASH[rnd() % SMASH.length] & 0xffff, at);
      yield b;
    } else if (kind === 4) {
      const noise = Buffer.alloc(rnd() % (good.length + 16));
      for (let j = 0; j < noise.length; j++) noise[j] = rnd() & 0xff;
      yield noise;
    } else {
      const at = rnd() % (b.length + 1);
      const ins = Buffer.alloc(rnd() % 9, rnd() & 0xff);
      yield Buffer.concat([b.subarray(0, at), ins, b.subarray(Math.min(b.length, at + (rnd() % 9)))]);
    }
  }
}

const fx = (name: string): Buffer =>
  Buffer.from((JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as { pacHex: string }).pacHex, 'hex');
const IMPACKET = fx('impacket-pac.json');
const KEY: Key = { etype: 18, value: Buffer.alloc(32, 7) };
const RC4: Key = { etype: 23, value: Buffer.alloc(16, 9) };
const OURS = signPac(
  [
    { type: PAC_TYPE.LOGON_INFO, data: encodeKerbValidationInfo({ ...SAMPLE_INFO, resourceGroupDomainSid: 'S-1-5-21-4-5-6', resourceGroupIds: [{ relativeId: 9, attributes: 7 }] }) },
    { type: PAC_TYPE.CLIENT_INFO, data: encodePacClientInfo({ clientId: 5n, name: 'bob' }) },
    { type: PAC_TYPE.UPN_DNS_INFO, data: encodeUpnDnsInfo({ upn: 'bob@x', dnsDomainName: 'X', flags: 2, samName: 'bob', sid: 'S-1-5-21-1-2-3-1105' }) },
    { type: PAC_TYPE.REQUESTOR, data: encodePacRequestor('S-1-5-21-1-2-3-1105') },
    { type: PAC_TYPE.ATTRIBUTES_INFO, data: encodePacAttributesInfo({ flagsLength: 2, flags: 1 }) },
  ],
  KEY,
  KEY,
);
/** The same PAC signed with an RC4 (HMAC-MD5) key, for the rc4 verification path. */
const OURS_RC4 = resignPac(OURS, RC4, RC4);

function logonInfos(): Buffer[] {
  return [OURS_RC4, IMPACKET, OURS].map((p) => findPacBuffer(decodePac(p), PAC_TYPE.LOGON_INFO) as Buffer);
}

const DECODERS: [string, (b: Buffer) => unknown, Buffer[]][] = [
  ['decodePac', decodePac, [OURS_RC4, IMPACKET, OURS]],
  ['decodeKerbValidationInfo', decodeKerbValidationInfo, logonInfos()],
  ['decodePacClientInfo', decodePacClientInfo, [encodePacClientInfo({ clientId: 1n, name: 'someone@EXAMPLE' })]],
  [
    'decodeUpnDnsInfo',
    decodeUpnDnsInfo,
    [
            findPacBuffer(decodePac(OURS), PAC_TYPE.UPN_DNS_INFO) as Buffer,
    ],
  ],
  [
    'decodePacSignatureData',
    decodePacSignatureData,
    [
      encodePacSignatureData({ signatureType: -138, signature: Buffer.alloc(16, 1) }),
      encodePacSignatureData({ signatureType: 16, signature: Buffer.alloc(12, 1), rodcIdentifier: 7 }),
    ],
  ],
  ['decodePacRequestor', decodePacRequestor, [encodePacRequestor('S-1-5-21-1-2-3-1105')]],
  ['decodePacAttributesInfo', decodePacAttributesInfo, [encodePacAttributesInfo({ flagsLength: 2, flags: 3 })]],
  ['verifyPacServerSignature', (b) => verifyPacServerSignature(b, KEY), [OURS]],
  ['verifyPacServerSignature (rc4)', (b) => verifyPacServerSignature(b, RC4), [OURS_RC4]],
  ['verifyPacKdcSignature', (b) => verifyPacKdcSignature(decodePac(b), KEY), [OURS]],
  ['resignPac', (b) => resignPac(b, KEY, KEY), [OURS, OURS_RC4]],
];

test('hostile input: every PAC decoder throws only PacError, quickly', async (t) => {
  for (const [name, decode, seeds] of DECODERS) {
    await t.test(name, () => {
      const rnd = xorshift(name.length * 7919 + 17);
      const start = Date.now();
      let rejected = 0;
      let total = 0;
      for (const seed of seeds) {
        decode(seed); // the seed itself is valid
        for (const input of mutations(seed, rnd, 3000)) {
          total++;
          try {
            decode(input);
          } catch (e) {
            if (!(e instanceof PacError)) assert.fail(`${name}: ${(e as Error).name}: ${(e as Error).message}\ninput ${input.toString('hex')}`);
            rejected++;
          }
        }
      }
      assert.ok(rejected > 0);
      const ms = Date.now() - start;
      assert.ok(ms < 10_000, `${name}: ${total} inputs took ${ms} ms`);
    });
  }
});

test('hostile input: decoders reject non-Buffer-shaped extremes with PacError', () => {
  const huge = Buffer.alloc(1 << 20, 0xff);
  for (const [name, decode] of DECODERS) {
    for (const input of [Buffer.alloc(0), Buffer.alloc(1), huge]) {
      try {
        decode(input);
      } catch (e) {
        assert.ok(e instanceof PacError, `${name}: ${String(e)}`);
      }
    }
  }
});
