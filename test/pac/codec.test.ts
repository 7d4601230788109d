import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Key } from '../../src/crypto/types.js';
import { SAMPLE_INFO } from './sample.js';
import {
  FILETIME_NEVER,
  PAC_TYPE,
  PacError,
  type KerbValidationInfo,
  type Pac,
  dateToFileTime,
  decodeKerbValidationInfo,
  decodePac,
  decodePacAttributesInfo,
  decodePacClientInfo,
  decodePacRequestor,
  decodePacSignatureData,
  decodeUpnDnsInfo,
  encodeKerbValidationInfo,
  encodePac,
  encodePacAttributesInfo,
  encodePacClientInfo,
  encodePacRequestor,
  encodePacSignatureData,
  encodeUpnDnsInfo,
  fileTimeToDate,
  getPacSignatures,
  resignPac,
  signPac,
  verifyPacKdcSignature,
  verifyPacServerSignature,
} from '../../src/pac/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('FILETIME helpers', () => {
  const d = new Date('2005-07-04T01:30:09Z');
  assert.equal(dateToFileTime(d), 127649142090000000n);
  assert.equal(fileTimeToDate(127649142090000000n)?.toISOString(), d.toISOString());
  assert.equal(dateToFileTime(new Date(0)), 116444736000000000n);
  assert.equal(dateToFileTime(undefined), FILETIME_NEVER);
  assert.equal(FILETIME_NEVER, 0x7fffffffffffffffn);
  assert.equal(fileTimeToDate(FILETIME_NEVER), undefined);
  assert.equal(fileTimeToDate(0xffffffffffffffffn), undefined);
  assert.equal(fileTimeToDate(0n), undefined);
  assert.equal(fileTimeToDate(116444735999990001n)?.getTime(), -1); // floors before 1970
  assert.equal(fileTimeToDate(1n)?.toISOString(), '1601-01-01T00:00:00.000Z');
  assert.throws(() => dateToFileTime(new Date(NaN)), RangeError);
  assert.throws(() => dateToFileTime(new Date('1600-12-31T23:59:59Z')), RangeError);
});

test('KERB_VALIDATION_INFO round trip and layout', () => {
  const b = encodeKerbValidationInfo(SAMPLE_INFO);
  assert.equal(b.subarray(0, 8).toString('hex'), '01100800cccccccc'); // MS-RPCE 2.2.6.1 header
  assert.equal(b.readUInt32LE(8), b.length - 16); // ObjectBufferLength
  assert.equal(b.length % 8, 0);
  assert.equal(b.readUInt32LE(16), 0x00020000); // top-level unique pointer's referent ID
  assert.deepEqual(decodeKerbValidationInfo(b), SAMPLE_INFO);
  const withRes = { ...SAMPLE_INFO, resourceGroupDomainSid: 'S-1-5-21-9-9-9', resourceGroupIds: [{ relativeId: 7, attributes: 0x20000007 }] };
  assert.deepEqual(decodeKerbValidationInfo(encodeKerbValidationInfo(withRes)), withRes);
});

test('KERB_VALIDATION_INFO rejects bad input values with PacError', () => {
  const bad: Partial<KerbValidationInfo>[] = [
    { userSessionKey: Buffer.alloc(8) },
    { logonDomainId: 'S-1-x' },
    { extraSids: [{ sid: 'bogus', attributes: 7 }] },
    { userId: -1 },
    { logonCount: 70000 },
    { logonTime: -1n },
  ];
  for (const b of bad) assert.throws(() => encodeKerbValidationInfo({ ...SAMPLE_INFO, ...b }), PacError, JSON.stringify(Object.keys(b)));
});

test('KERB_VALIDATION_INFO: NULL pointers the PAC view cannot represent are PacError', () => {
  const good = encodeKerbValidationInfo(SAMPLE_INFO);
  // NULL top-level pointer
  const nullTop = Buffer.concat([good.subarray(0, 8), hex('0800000000000000'), hex('0000000000000000')]);
  assert.throws(() => decodeKerbValidationInfo(nullTop), /NULL KERB_VALIDATION_INFO/);
});

test('PAC_CLIENT_INFO', () => {
  const ci = { clientId: 127649142090000000n, name: 'w2003final$' };
  const b = encodePacClientInfo(ci);
  assert.equal(b.toString('hex'), '806628ea3780c501' + '1600' + Buffer.from('w2003final$', 'utf16le').toString('hex'));
  assert.deepEqual(decodePacClientInfo(b), ci);
  assert.throws(() => decodePacClientInfo(b.subarray(0, 9)), PacError);
  assert.throws(() => decodePacClientInfo(b.subarray(0, b.length - 2)), PacError); // NameLength past end
  assert.throws(() => decodePacClientInfo(Buffer.concat([b, Buffer.alloc(2)])), PacError); // extra bytes
  const odd = Buffer.from(b);
  odd.writeUInt16LE(21, 8);
  assert.throws(() => decodePacClientInfo(odd), PacError);
});

test('PAC_SIGNATURE_DATA sizes by type, with and without RODCIdentifier', async (t) => {
  const cases: [number, number][] = [
    [-138, 16],
    [15, 12],
    [16, 12],
  ];
  for (const [type, size] of cases) {
    await t.test(String(type), () => {
      const sd = { signatureType: type, signature: Buffer.alloc(size, 0xab) };
      const b = encodePacSignatureData(sd);
      assert.equal(b.length, 4 + size);
      assert.equal(b.readInt32LE(0), type);
      assert.deepEqual(decodePacSignatureData(b), sd);
      const rodc = { ...sd, rodcIdentifier: 0x1234 };
      assert.deepEqual(decodePacSignatureData(encodePacSignatureData(rodc)), rodc);
      assert.throws(() => decodePacSignatureData(Buffer.concat([b, Buffer.alloc(1)])), PacError);
      assert.throws(() => decodePacSignatureData(b.subarray(0, b.length - 1)), PacError);
      assert.throws(() => encodePacSignatureData({ signatureType: type, signature: Buffer.alloc(size + 1) }), PacError);
    });
  }
  assert.throws(() => decodePacSignatureData(hex('07000000' + '00'.repeat(16))), /unsupported signature type 7/);
  assert.throws(() => decodePacSignatureData(hex('0000')), PacError);
});

test('UPN_DNS_INFO, plain and with the 2.10.1 SAM name / SID extension', () => {
  const plain = { upn: 'bob@corp.example', dnsDomainName: 'CORP.EXAMPLE', flags: 0 };
  const b = encodeUpnDnsInfo(plain);
  assert.equal(b.readUInt16LE(2), 16); // strings 8-byte aligned after the 12-byte header
  assert.equal(b.readUInt16LE(6) % 8, 0);
  assert.deepEqual(decodeUpnDnsInfo(b), plain);

  const ext = { upn: 'bob@corp.example', dnsDomainName: 'CORP.EXAMPLE', flags: 3, samName: 'bob', sid: 'S-1-5-21-1-2-3-1105' };
  const e = encodeUpnDnsInfo(ext);
  assert.equal(e.readUInt16LE(2), 24); // after the 20-byte extended header
  assert.equal(e.readUInt16LE(16), 28); // SidLength: 5 sub-authorities
  assert.deepEqual(decodeUpnDnsInfo(e), ext);

  assert.throws(() => encodeUpnDnsInfo({ ...plain, flags: 2 }), PacError); // S without samName/sid
  assert.throws(() => encodeUpnDnsInfo({ ...plain, samName: 'x' }), PacError); // samName without S
  assert.throws(() => encodeUpnDnsInfo({ ...ext, sid: 'S-1-bad' }), PacError);
  assert.throws(() => decodeUpnDnsInfo(b.subarray(0, 11)), PacError);
  assert.throws(() => decodeUpnDnsInfo(b.subarray(0, b.length - 2)), PacError); // DNS name past end
  assert.throws(() => decodeUpnDnsInfo(e.subarray(0, 19)), PacError);
  const badSid = Buffer.from(e);
  badSid.writeUInt16LE(24, 16); // SidLength shorter than the SID
  assert.throws(() => decodeUpnDnsInfo(badSid), PacError);
  const oddUpn = Buffer.from(b);
  oddUpn.writeUInt16LE(3, 0);
  assert.throws(() => decodeUpnDnsInfo(oddUpn), PacError);
  // empty strings are (0, 0)
  assert.deepEqual(decodeUpnDnsInfo(encodeUpnDnsInfo({ upn: '', dnsDomainName: 'X', flags: 1 })), { upn: '', dnsDomainName: 'X', flags: 1 });
});

test('PAC_ATTRIBUTES_INFO and PAC_REQUESTOR', () => {
  const a = { flagsLength: 2, flags: 1 };
  assert.equal(encodePacAttributesInfo(a).toString('hex'), '0200000001000000');
  assert.deepEqual(decodePacAttributesInfo(hex('0200000001000000')), a);
  assert.deepEqual(decodePacAttributesInfo(hex('00000000')), { flagsLength: 0, flags: 0 });
  assert.throws(() => decodePacAttributesInfo(hex('02000000')), PacError);
  assert.throws(() => decodePacAttributesInfo(hex('0200000001000000ff')), PacError);
  assert.throws(() => decodePacAttributesInfo(hex('2100000001000000 00000000')), PacError);
  assert.throws(() => encodePacAttributesInfo({ flagsLength: 33, flags: 0 }), PacError);

  const sid = 'S-1-5-21-1-2-3-1105';
  const r = encodePacRequestor(sid);
  assert.equal(r.length, 28);
  assert.equal(decodePacRequestor(r), sid);
  assert.throws(() => decodePacRequestor(Buffer.concat([r, Buffer.alloc(4)])), PacError);
  assert.throws(() => decodePacRequestor(r.subarray(0, 20)), PacError);
  assert.throws(() => encodePacRequestor('nope'), PacError);
});

test('PACTYPE framing: layout, alignment, and validation', () => {
  const pac: Pac = {
    version: 0,
    buffers: [
      { type: 1, data: hex('0102030405') },
      { type: 10, data: hex('aa') },
      { type: 99, data: Buffer.alloc(0) },
    ],
  };
  const b = encodePac(pac);
  // 8-byte header, 3 x 16-byte PAC_INFO_BUFFERs, data at 56, 64, 72, zero padding to 8
  assert.equal(b.length, 72);
  assert.deepEqual(
    [0, 1, 2].map((i) => [b.readUInt32LE(8 + 16 * i), b.readUInt32LE(12 + 16 * i), Number(b.readBigUInt64LE(16 + 16 * i))]),
    [
      [1, 5, 56],
      [10, 1, 64],
      [99, 0, 72],
    ],
  );
  assert.deepEqual(decodePac(b), pac);

  const patch = (f: (x: Buffer) => void): Buffer => {
    const x = Buffer.from(b);
    f(x);
    return x;
  };
  const bad: [string, Buffer][] = [
    ['truncated header', b.subarray(0, 7)],
    ['version 1', patch((x) => x.writeUInt32LE(1, 4))],
    ['cBuffers too large', patch((x) => x.writeUInt32LE(1000, 0))],
    ['cBuffers 0xFFFFFFFF', patch((x) => x.writeUInt32LE(0xffffffff, 0))],
    ['misaligned offset', patch((x) => x.writeBigUInt64LE(57n, 16))],
    ['offset inside the header', patch((x) => x.writeBigUInt64LE(48n, 16))],
    ['buffer past the end', patch((x) => x.writeUInt32LE(17, 28))],
    ['huge offset', patch((x) => x.writeBigUInt64LE(0xfffffffffffffff8n, 16))],
    ['overlapping buffers', patch((x) => x.writeUInt32LE(9, 12))],
    ['duplicate type', patch((x) => x.writeUInt32LE(1, 24))],
  ];
  for (const [name, x] of bad) assert.throws(() => decodePac(x), PacError, name);
  assert.deepEqual(decodePac(encodePac({ version: 0, buffers: [] })), { version: 0, buffers: [] });
  assert.throws(() => encodePac({ version: -1, buffers: [] }), PacError);
  assert.throws(() => encodePac({ version: 0, buffers: [{ type: 2 ** 32, data: Buffer.alloc(0) }] }), PacError);
});

const KEYS: [string, Key, number, number][] = [
  ['aes256', { etype: 18, value: Buffer.alloc(32, 1) }, 16, 12],
  ['aes128', { etype: 17, value: Buffer.alloc(16, 2) }, 15, 12],
  ['rc4', { etype: 23, value: Buffer.alloc(16, 3) }, -138, 16],
];

test('signPac / verify round trips for every supported key type', async (t) => {
  const data = [
    { type: PAC_TYPE.LOGON_INFO, data: encodeKerbValidationInfo(SAMPLE_INFO) },
    { type: PAC_TYPE.CLIENT_INFO, data: encodePacClientInfo({ clientId: SAMPLE_INFO.logonTime, name: 'bob' }) },
    { type: PAC_TYPE.REQUESTOR, data: encodePacRequestor('S-1-5-21-1-2-3-1105') },
    { type: PAC_TYPE.ATTRIBUTES_INFO, data: encodePacAttributesInfo({ flagsLength: 2, flags: 1 }) },
  ];
  for (const [sname, serverKey, stype, ssize] of KEYS) {
    for (const [kname, kdcKey, ktype, ksize] of KEYS) {
      await t.test(`server ${sname}, kdc ${kname}`, () => {
        const bytes = signPac(data, serverKey, kdcKey);
        const pac = verifyPacServerSignature(bytes, serverKey);
        verifyPacKdcSignature(pac, kdcKey);
        assert.deepEqual(pac.buffers.slice(0, data.length), data);
        const sigs = getPacSignatures(pac);
        assert.equal(sigs.server.signatureType, stype);
        assert.equal(sigs.server.signature.length, ssize);
        assert.equal(sigs.kdc.signatureType, ktype);
        assert.equal(sigs.kdc.signature.length, ksize);
        // resigning for another service keeps the data buffers and verifies with the new key
        const other: Key = { etype: 18, value: Buffer.alloc(32, 9) };
        const re = resignPac(bytes, other, kdcKey);
        const rp = verifyPacServerSignature(re, other);
        verifyPacKdcSignature(rp, kdcKey);
        assert.deepEqual(rp.buffers.slice(0, data.length), data);
        assert.throws(() => verifyPacServerSignature(re, serverKey), PacError);
      });
    }
  }
});

test('signature checks: flipping any bit of a signed PAC is detected', () => {
  for (const [name, key] of [KEYS[0], KEYS[2]]) {
    const bytes = signPac([{ type: PAC_TYPE.CLIENT_INFO, data: encodePacClientInfo({ clientId: 1n, name: 'x' }) }], key, key);
    // the server checksum covers the whole PAC, alignment padding included; the KDC checksum
    // covers the server signature; so no byte is unprotected
    for (let i = 0; i < bytes.length; i++) {
      const t = Buffer.from(bytes);
      t[i] ^= 1 << i % 8;
      assert.throws(() => verifyPacKdcSignature(verifyPacServerSignature(t, key), key), PacError, `${name} byte ${i}`);
    }
  }
});

test('signature policy errors', () => {
  const aes = KEYS[0][1];
  const rc4 = KEYS[2][1];
  const info = [{ type: PAC_TYPE.CLIENT_INFO, data: encodePacClientInfo({ clientId: 1n, name: 'x' }) }];
  assert.throws(() => signPac([...info, { type: PAC_TYPE.SERVER_CHECKSUM, data: Buffer.alloc(16) }], aes, aes), /signature buffer/);
  assert.throws(() => signPac([...info, { type: PAC_TYPE.TICKET_CHECKSUM, data: Buffer.alloc(16) }], aes, aes), /signature buffer/);
  assert.throws(() => signPac(info, { etype: 3, value: Buffer.alloc(8) }, aes), PacError); // DES: not supported
  assert.throws(() => signPac(info, { etype: 18, value: Buffer.alloc(5) }, aes), PacError); // wrong key size
  const signed = signPac(info, aes, rc4);
  assert.throws(() => verifyPacServerSignature(signed, rc4), /does not match the key/);
  assert.throws(() => verifyPacKdcSignature(decodePac(signed), aes), /does not match the key/);
  // no signatures at all
  const unsigned = encodePac({ version: 0, buffers: info });
  assert.throws(() => verifyPacServerSignature(unsigned, aes), /no server signature/);
  assert.throws(() => verifyPacKdcSignature(decodePac(unsigned), aes), /no server signature/);
  // server signature but no KDC signature
  const pac = decodePac(signed);
  const noKdc = encodePac({ version: 0, buffers: pac.buffers.filter((b) => b.type !== PAC_TYPE.PRIVSVR_CHECKSUM) });
  assert.throws(() => verifyPacServerSignature(noKdc, aes), /no KDC signature/);
  // resignPac drops stale ticket / full-PAC checksums
  const withStale = encodePac({
    version: 0,
    buffers: [...pac.buffers, { type: PAC_TYPE.TICKET_CHECKSUM, data: encodePacSignatureData({ signatureType: 16, signature: Buffer.alloc(12) }) }],
  });
  const re = decodePac(resignPac(withStale, aes, aes));
  assert.deepEqual(
    re.buffers.map((b) => b.type),
    [PAC_TYPE.CLIENT_INFO, PAC_TYPE.SERVER_CHECKSUM, PAC_TYPE.PRIVSVR_CHECKSUM],
  );
});
