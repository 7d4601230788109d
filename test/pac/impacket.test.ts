// Cross-check with a peer implementation: impacket (system python3-impacket). The fixture was
// made by fixtures/impacket_pac.py generate; the decode modes of the same script run here.
// Missing python3/impacket fails the test: it is never skipped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Key } from '../../src/crypto/types.js';
import {
  PAC_TYPE,
  type KerbValidationInfo,
  decodeKerbValidationInfo,
  decodePacClientInfo,
  decodeUpnDnsInfo,
  encodeKerbValidationInfo,
  encodePacClientInfo,
  encodeUpnDnsInfo,
  findPacBuffer,
  signPac,
  verifyPacKdcSignature,
  verifyPacServerSignature,
} from '../../src/pac/index.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./fixtures/impacket_pac.py', import.meta.url));

interface Group {
  relativeId: number;
  attributes: number;
}
/** KerbValidationInfo in JSON form (FILETIMEs as decimal strings, the session key as hex). */
interface InfoJson {
  [k: string]: unknown;
  groupIds: Group[];
  extraSids: { sid: string; attributes: number }[];
  resourceGroupIds: Group[];
  resourceGroupDomainSid?: string | null;
}
interface KeyJson {
  etype: number;
  hex: string;
}
interface Fixture {
  expected: InfoJson;
  logonInfoHex: string;
  pacHex: string;
  serverKey: KeyJson;
  kdcKey: KeyJson;
  clientInfo: { clientId: string; name: string };
  upnDnsInfo: { upn: string; dnsDomainName: string; flags: number };
}
const FX = JSON.parse(readFileSync(new URL('./fixtures/impacket-pac.json', import.meta.url), 'utf8')) as Fixture;
const key = (k: KeyJson): Key => ({ etype: k.etype, value: Buffer.from(k.hex, 'hex') });

const TIME_FIELDS = [
  'logonTime',
  'logoffTime',
  'kickOffTime',
  'passwordLastSet',
  'passwordCanChange',
  'passwordMustChange',
  'lastSuccessfulILogon',
  'lastFailedILogon',
] as const;

function infoFromJson(j: InfoJson): KerbValidationInfo {
  const o: Record<string, unknown> = { ...j };
  for (const f of TIME_FIELDS) o[f] = BigInt(j[f] as string);
  o.userSessionKey = Buffer.from(j.userSessionKey as string, 'hex');
  if (j.resourceGroupDomainSid === null || j.resourceGroupDomainSid === undefined) delete o.resourceGroupDomainSid;
  for (const f of ['groupCount', 'sidCount', 'resourceGroupCount']) delete o[f];
  return o as unknown as KerbValidationInfo;
}

function infoToJson(info: KerbValidationInfo): InfoJson {
  const o: Record<string, unknown> = { ...info };
  for (const f of TIME_FIELDS) o[f] = info[f].toString();
  o.userSessionKey = info.userSessionKey.toString('hex');
  return o as InfoJson;
}

function python(args: string[], input: string): unknown {
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { input, encoding: 'utf8', timeout: 30_000 });
  if (r.error) assert.fail(`cannot run ${PYTHON} (needed for the impacket cross-check): ${r.error.message}`);
  if (r.status !== 0) assert.fail(`impacket peer failed (is python3-impacket installed?):\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('impacket-built PAC_LOGON_INFO decodes to the fields impacket was given', () => {
  const info = decodeKerbValidationInfo(Buffer.from(FX.logonInfoHex, 'hex'));
  assert.deepEqual(info, infoFromJson(FX.expected));
});

test('our PAC_LOGON_INFO decodes in impacket to the same fields', () => {
  const ours = encodeKerbValidationInfo(infoFromJson(FX.expected));
  const back = python(['decode-logon-info'], ours.toString('hex')) as InfoJson;
  assert.equal(back.groupCount, FX.expected.groupIds.length);
  assert.equal(back.sidCount, FX.expected.extraSids.length);
  assert.equal(back.resourceGroupCount, FX.expected.resourceGroupIds.length);
  assert.deepEqual(infoFromJson(back), infoFromJson(FX.expected));
  // and impacket agrees with our own decoder on our bytes
  assert.deepEqual(infoToJson(decodeKerbValidationInfo(ours)), infoToJson(infoFromJson(FX.expected)));
});

test('edge cases survive the round trip through impacket', async (t) => {
  const base = infoFromJson(FX.expected);
  const variants: [string, KerbValidationInfo][] = [
    ['no groups, no extra SIDs, no resource groups', { ...base, groupIds: [], extraSids: [], resourceGroupIds: [], resourceGroupDomainSid: undefined }],
    ['all strings empty', { ...base, effectiveName: '', fullName: '', logonServer: '', logonDomainName: '', profilePath: '' }],
    ['many groups', { ...base, groupIds: Array.from({ length: 300 }, (_, i) => ({ relativeId: 1000 + i, attributes: 7 })) }],
  ];
  for (const [name, info] of variants) {
    if (info.resourceGroupDomainSid === undefined) delete info.resourceGroupDomainSid;
    await t.test(name, () => {
      const back = python(['decode-logon-info'], encodeKerbValidationInfo(info).toString('hex')) as InfoJson;
      assert.deepEqual(infoFromJson(back), info);
    });
  }
});

test('impacket-signed (AES256) PAC: our verifier accepts its signatures and reads its buffers', () => {
  const pacBytes = Buffer.from(FX.pacHex, 'hex');
  const pac = verifyPacServerSignature(pacBytes, key(FX.serverKey));
  verifyPacKdcSignature(pac, key(FX.kdcKey));
  const ci = decodePacClientInfo(findPacBuffer(pac, PAC_TYPE.CLIENT_INFO) as Buffer);
  assert.deepEqual(ci, { clientId: BigInt(FX.clientInfo.clientId), name: FX.clientInfo.name });
  assert.deepEqual(decodeUpnDnsInfo(findPacBuffer(pac, PAC_TYPE.UPN_DNS_INFO) as Buffer), FX.upnDnsInfo);
  assert.deepEqual(decodeKerbValidationInfo(findPacBuffer(pac, PAC_TYPE.LOGON_INFO) as Buffer), infoFromJson(FX.expected));
  const tampered = Buffer.from(pacBytes);
  tampered[200] ^= 4;
  assert.throws(() => verifyPacServerSignature(tampered, key(FX.serverKey)));
});

test('our signed PACs: impacket reads every buffer and its checksum code accepts our signatures', async (t) => {
  const info = infoFromJson(FX.expected);
  const keys: [string, Key, Key][] = [
    ['aes256', { etype: 18, value: Buffer.alloc(32, 0x11) }, { etype: 18, value: Buffer.alloc(32, 0x22) }],
    ['aes128', { etype: 17, value: Buffer.alloc(16, 0x33) }, { etype: 17, value: Buffer.alloc(16, 0x44) }],
    ['rc4', { etype: 23, value: Buffer.alloc(16, 0x55) }, { etype: 23, value: Buffer.alloc(16, 0x66) }],
    ['rc4 service, aes256 krbtgt', { etype: 23, value: Buffer.alloc(16, 0x77) }, { etype: 18, value: Buffer.alloc(32, 0x88) }],
  ];
  for (const [name, serverKey, kdcKey] of keys) {
    await t.test(name, () => {
      const pacBytes = signPac(
        [
          { type: PAC_TYPE.LOGON_INFO, data: encodeKerbValidationInfo(info) },
          { type: PAC_TYPE.CLIENT_INFO, data: encodePacClientInfo({ clientId: info.logonTime, name: 'alice' }) },
          { type: PAC_TYPE.UPN_DNS_INFO, data: encodeUpnDnsInfo(FX.upnDnsInfo) },
        ],
        serverKey,
        kdcKey,
      );
      const keyArg = JSON.stringify({ server: [serverKey.etype, serverKey.value.toString('hex')], kdc: [kdcKey.etype, kdcKey.value.toString('hex')] });
      const back = python(['decode-pac', keyArg], pacBytes.toString('hex')) as {
        version: number;
        buffers: { type: number }[];
        logonInfo: InfoJson;
        clientInfo: { clientId: string; name: string };
        upnDnsInfo: unknown;
        serverSignatureOk: boolean;
        kdcSignatureOk: boolean;
        serverSignatureType: number;
        kdcSignatureType: number;
      };
      assert.equal(back.version, 0);
      assert.deepEqual(
        back.buffers.map((b) => b.type),
        [1, 10, 12, 6, 7],
      );
      assert.deepEqual(infoFromJson(back.logonInfo), info);
      assert.deepEqual(back.clientInfo, { clientId: info.logonTime.toString(), name: 'alice' });
      assert.deepEqual(back.upnDnsInfo, FX.upnDnsInfo);
      assert.equal(back.serverSignatureType, { 18: 16, 17: 15, 23: -138 }[serverKey.etype]);
      assert.equal(back.kdcSignatureType, { 18: 16, 17: 15, 23: -138 }[kdcKey.etype]);
      assert.equal(back.serverSignatureOk, true, 'impacket accepts our server signature');
      assert.equal(back.kdcSignatureOk, true, 'impacket accepts our KDC signature');
    });
  }
});
