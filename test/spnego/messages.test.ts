// SPNEGO token codec: round trips, exact bytes for hand-checked encodings, the NegTokenInit /
// NegTokenInit2 disambiguation, the InitialContextToken wrapper and strictness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NEG_HINT_NAME,
  NegState,
  OID,
  ReqFlag,
  SpnegoDecodeError,
  decodeNegTokenResp,
  decodeNegotiationToken,
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenInit2,
  encodeNegTokenResp,
  isNtlmsspMessage,
  peekGssMechanism,
  reqFlagsFromContextFlags,
} from '../../src/spnego/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('NegTokenInit round trip, wrapped and bare', () => {
  const token = {
    mechTypes: [OID.MS_KERBEROS, OID.KERBEROS, OID.NEGOEX, OID.NTLMSSP],
    reqFlags: ReqFlag.mutual | ReqFlag.integ,
    mechToken: Buffer.from('optimistic'),
    mechListMIC: Buffer.from('mic'),
  };
  for (const wrap of [true, false]) {
    const enc = encodeNegTokenInit(token, { wrap });
    assert.equal(enc[0], wrap ? 0x60 : 0xa0);
    const d = decodeNegotiationToken(enc);
    assert.equal(d.type, 'negTokenInit');
    assert.equal(d.wrapped, wrap);
    assert.deepEqual(d.token, token);
    if (d.type === 'negTokenInit') assert.deepEqual(d.mechTypesDer, encodeMechTypeList(token.mechTypes));
  }
});

test('NegTokenInit exact bytes (NTLM only, no token)', () => {
  // [APPLICATION 0] { OID spnego, [0] { SEQUENCE { [0] { SEQUENCE OF { OID ntlmssp } } } } }
  const enc = encodeNegTokenInit({ mechTypes: [OID.NTLMSSP] });
  assert.equal(
    enc.toString('hex'),
    '601c' + '06062b0601050502' + 'a012' + '3010' + 'a00e' + '300c' + '060a2b06010401823702020a',
  );
});

test('NegTokenInit2 with the MS-SPNG hint round trip and exact layout', () => {
  const token = { mechTypes: [OID.MS_KERBEROS, OID.KERBEROS, OID.NTLMSSP], negHints: { hintName: NEG_HINT_NAME } };
  const enc = encodeNegTokenInit2(token);
  const d = decodeNegotiationToken(enc);
  assert.equal(d.type, 'negTokenInit2');
  assert.deepEqual(d.token, token);
  // [3] holds a SEQUENCE { [0] GeneralString } (MS-SPNG 2.2.1).
  const hint = Buffer.from(NEG_HINT_NAME, 'latin1');
  const needle = Buffer.concat([Buffer.from([0xa3, hint.length + 6, 0x30, hint.length + 4, 0xa0, hint.length + 2, 0x1b, hint.length]), hint]);
  assert.ok(enc.includes(needle), enc.toString('hex'));
  // mechListMIC is [4] in NegTokenInit2.
  const withMic = encodeNegTokenInit2({ ...token, mechListMIC: Buffer.from([1, 2, 3]) }, { wrap: false });
  const d2 = decodeNegotiationToken(withMic);
  assert.equal(d2.type, 'negTokenInit2');
  assert.deepEqual(d2.token.mechListMIC, Buffer.from([1, 2, 3]));
  assert.ok(withMic.includes(hex('a405 0403 010203')));
});

test('NegTokenInit2 without mechTypes, and a [4] alone, are NegTokenInit2', () => {
  const d = decodeNegotiationToken(encodeNegTokenInit2({ negHints: { hintName: 'x' } }, { wrap: false }));
  assert.equal(d.type, 'negTokenInit2');
  assert.deepEqual(d.token, { negHints: { hintName: 'x' } });
  const d2 = decodeNegotiationToken(encodeNegTokenInit2({ mechTypes: [OID.KERBEROS], mechListMIC: Buffer.from('m') }));
  assert.equal(d2.type, 'negTokenInit2');
  assert.deepEqual(d2.token, { mechTypes: [OID.KERBEROS], mechListMIC: Buffer.from('m') });
});

test('NegTokenResp round trips for every negState and field combination', () => {
  for (const negState of [undefined, NegState.ACCEPT_COMPLETED, NegState.ACCEPT_INCOMPLETE, NegState.REJECT, NegState.REQUEST_MIC]) {
    for (const supportedMech of [undefined, OID.NTLMSSP]) {
      for (const responseToken of [undefined, Buffer.alloc(300, 7)]) {
        for (const mechListMIC of [undefined, Buffer.alloc(16, 1)]) {
          const t = {
            ...(negState !== undefined ? { negState } : {}),
            ...(supportedMech ? { supportedMech } : {}),
            ...(responseToken ? { responseToken } : {}),
            ...(mechListMIC ? { mechListMIC } : {}),
          };
          const enc = encodeNegTokenResp(t);
          assert.equal(enc[0], 0xa1);
          assert.deepEqual(decodeNegTokenResp(enc), t);
        }
      }
    }
  }
});

test('the accept-completed reply Windows SMB servers send is exactly a1 07 30 05 a0 03 0a 01 00', () => {
  assert.equal(encodeNegTokenResp({ negState: NegState.ACCEPT_COMPLETED }).toString('hex'), 'a1073005a0030a0100');
  assert.deepEqual(decodeNegTokenResp(hex('a1073005a0030a0100')), { negState: 0 });
});

test('mechTypesDer is the received bytes, even when not minimal DER', () => {
  // A MechTypeList with a long-form length (81 0c): legal BER, not DER. The MIC covers what was sent.
  const list = hex('3081 0c 060a2b06010401823702020a');
  const inner = Buffer.concat([hex('a0 0f'), list]);
  const seq = Buffer.concat([hex('30 11'), inner]);
  const tok = Buffer.concat([hex('a0 13'), seq]);
  const d = decodeNegotiationToken(tok);
  assert.equal(d.type, 'negTokenInit');
  if (d.type === 'negTokenInit') {
    assert.deepEqual(d.mechTypesDer, list);
    assert.notDeepEqual(d.mechTypesDer, encodeMechTypeList([OID.NTLMSSP]));
  }
});

test('strict decoding: trailing bytes, unknown negState, wrong choice, wrong mechanism', () => {
  const good = encodeNegTokenResp({ negState: NegState.ACCEPT_INCOMPLETE });
  const bad: [string, Buffer][] = [
    ['trailing byte', Buffer.concat([good, Buffer.from([0])])],
    ['negState 4', hex('a1073005a0030a0104')],
    ['negState as INTEGER', hex('a1073005a003020100')],
    ['[2] choice', hex('a2073005a0030a0100')],
    ['primitive [1]', hex('8103010203')],
    ['empty', Buffer.alloc(0)],
    ['Kerberos InitialContextToken', hex('600b06092a864886f712010202')],
    ['SPNEGO wrapper holding nothing', hex('600806062b0601050502')],
    ['SPNEGO wrapper with trailing junk', Buffer.concat([hex('601e06062b0601050502'), encodeNegTokenInit({ mechTypes: [OID.NTLMSSP] }, { wrap: false }), hex('0000')])],
    ['NegTokenInit without mechTypes but with [3] OCTET STRING', hex('a0073005a3030401ff')],
    ['mechTypes holding a non-OID', hex('a00a3008a0063004020101ff')],
    ['untagged field', hex('a1053003020100')],
  ];
  for (const [what, b] of bad) {
    assert.throws(() => decodeNegotiationToken(b), SpnegoDecodeError, what);
  }
  assert.throws(() => decodeNegTokenResp(encodeNegTokenInit({ mechTypes: [OID.NTLMSSP] })), SpnegoDecodeError);
  assert.throws(() => decodeNegotiationToken('nope' as unknown as Buffer), SpnegoDecodeError);
});

test('unknown extension fields in NegTokenResp are skipped (RFC 4178 "...")', () => {
  const t = decodeNegTokenResp(hex('a10c 300a a0030a0101 a5030401ff'));
  assert.deepEqual(t, { negState: 1 });
});

test('peekGssMechanism and isNtlmsspMessage', () => {
  assert.equal(peekGssMechanism(encodeNegTokenInit({ mechTypes: [OID.NTLMSSP] })), OID.SPNEGO);
  const krb = Buffer.concat([hex('6010 06092a864886f712010202 0100'), hex('6e030201ff')]);
  krb[1] = krb.length - 2;
  assert.equal(peekGssMechanism(krb), OID.KERBEROS);
  assert.equal(peekGssMechanism(hex('60')), undefined);
  assert.equal(peekGssMechanism(hex('6005 0403010203')), undefined);
  assert.equal(peekGssMechanism(Buffer.from('NTLMSSP\0\x01\0\0\0', 'latin1')), undefined);
  assert.ok(isNtlmsspMessage(Buffer.from('NTLMSSP\0\x01\0\0\0', 'latin1')));
  assert.ok(!isNtlmsspMessage(Buffer.from('NTLMSSP', 'latin1')));
});

test('reqFlags from context flags (RFC 4178 4.2.1 bit order)', () => {
  assert.equal(reqFlagsFromContextFlags({ mutual: true, integrity: true }), (ReqFlag.mutual | ReqFlag.integ) >>> 0);
  const enc = encodeNegTokenInit({ mechTypes: [OID.KERBEROS], reqFlags: reqFlagsFromContextFlags({ delegate: true, confidentiality: true }) }, { wrap: false });
  // BIT STRING, 0 unused bits, 32 bits: delegFlag is bit 0 (0x80), confFlag bit 5 (0x04).
  assert.ok(enc.includes(hex('a107 0305 00 84000000')), enc.toString('hex'));
});
