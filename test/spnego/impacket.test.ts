// Cross-check with an independent SPNEGO implementation: impacket (system python3-impacket).
//  1. fixtures/impacket-spnego.json holds tokens impacket encoded (regenerate with
//     fixtures/gen_impacket_spnego.py): we decode them to the recorded values and re-encode
//     them to the same bytes.
//  2. our encodings are decoded by impacket (fixtures/impacket_spnego_decode.py), which must find
//     the same fields and re-encode them to our bytes.
// A missing python3/impacket fails the test: it is never skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  NEG_HINT_NAME,
  NegState,
  OID,
  decodeNegotiationToken,
  encodeNegTokenInit,
  encodeNegTokenInit2,
  encodeNegTokenResp,
  type NegStateValue,
} from '../../src/spnego/index.js';
import { SYSTEM_PYTHON } from '../helpers/peers.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/impacket-spnego.json', import.meta.url));
const DECODER = fileURLToPath(new URL('./fixtures/impacket_spnego_decode.py', import.meta.url));

interface Fixture {
  name: string;
  kind: 'negTokenInit' | 'negTokenResp';
  hex: string;
  mechTypes?: string[];
  mechToken?: string;
  negState?: number;
  supportedMech?: string;
  responseToken?: string;
}

const fixtures = JSON.parse(readFileSync(FIXTURES, 'utf8')) as Fixture[];
const b = (h: string | undefined) => (h === undefined ? undefined : Buffer.from(h, 'hex'));

test('tokens encoded by impacket decode to the recorded values and re-encode to the same bytes', () => {
  assert.ok(fixtures.length >= 8);
  for (const f of fixtures) {
    const bytes = Buffer.from(f.hex, 'hex');
    const d = decodeNegotiationToken(bytes);
    assert.equal(d.type, f.kind, f.name);
    if (d.type === 'negTokenInit') {
      assert.equal(d.wrapped, true, f.name);
      assert.deepEqual(d.token.mechTypes, f.mechTypes, f.name);
      assert.deepEqual(d.token.mechToken, b(f.mechToken), f.name);
      assert.equal(encodeNegTokenInit(d.token).toString('hex'), f.hex, f.name);
    } else if (d.type === 'negTokenResp') {
      assert.equal(d.token.negState, f.negState, f.name);
      assert.equal(d.token.supportedMech, f.supportedMech, f.name);
      assert.deepEqual(d.token.responseToken, b(f.responseToken), f.name);
      assert.equal(encodeNegTokenResp(d.token).toString('hex'), f.hex, f.name);
    } else {
      assert.fail(`${f.name}: unexpected NegTokenInit2`);
    }
  }
});

interface Decoded {
  error?: string;
  reencoded?: string;
  mechTypes?: string[];
  mechToken?: string;
  negState?: number;
  supportedMech?: string;
  responseToken?: string;
}

function impacketDecode(items: { kind: string; hex: string }[]): Decoded[] {
  const r = spawnSync(SYSTEM_PYTHON, [DECODER], { input: JSON.stringify(items), encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new Error(`${SYSTEM_PYTHON}: ${r.error.message} (install python3-impacket: npm run peers)`);
  assert.equal(r.status, 0, `impacket decoder failed (is python3-impacket installed? npm run peers): ${r.stderr}`);
  return JSON.parse(r.stdout) as Decoded[];
}

test('impacket decodes our tokens to the same fields and bytes', () => {
  const ntlmNegotiate = Buffer.concat([Buffer.from('NTLMSSP\0\x01\0\0\0', 'latin1'), Buffer.alloc(24, 0x11)]);
  const big = Buffer.alloc(70_000, 0x5a); // exercises 3-byte lengths
  const cases: { kind: 'negTokenInit' | 'negTokenResp'; hex: string; expect: Omit<Decoded, 'reencoded'>; sameBytes?: boolean }[] = [
    {
      kind: 'negTokenInit',
      hex: encodeNegTokenInit({ mechTypes: [OID.MS_KERBEROS, OID.KERBEROS, OID.NTLMSSP], mechToken: big }).toString('hex'),
      expect: { mechTypes: [OID.MS_KERBEROS, OID.KERBEROS, OID.NTLMSSP], mechToken: big.toString('hex') },
    },
    {
      kind: 'negTokenInit',
      hex: encodeNegTokenInit({ mechTypes: [OID.NTLMSSP], mechToken: ntlmNegotiate }).toString('hex'),
      expect: { mechTypes: [OID.NTLMSSP], mechToken: ntlmNegotiate.toString('hex') },
    },
    {
      // impacket reads the mechTypes of our NegTokenInit2 and ignores the hints it does not model.
      kind: 'negTokenInit',
      hex: encodeNegTokenInit2({ mechTypes: [OID.MS_KERBEROS, OID.KERBEROS, OID.NTLMSSP], negHints: { hintName: NEG_HINT_NAME } }).toString('hex'),
      expect: { mechTypes: [OID.MS_KERBEROS, OID.KERBEROS, OID.NTLMSSP] },
      sameBytes: false,
    },
    ...([0, 1, 2, 3] as NegStateValue[]).map((negState) => ({
      kind: 'negTokenResp' as const,
      hex: encodeNegTokenResp({ negState }).toString('hex'),
      expect: { negState },
    })),
    {
      kind: 'negTokenResp',
      hex: encodeNegTokenResp({ negState: NegState.ACCEPT_INCOMPLETE, supportedMech: OID.NTLMSSP, responseToken: Buffer.alloc(200, 2) }).toString('hex'),
      expect: { negState: 1, supportedMech: OID.NTLMSSP, responseToken: Buffer.alloc(200, 2).toString('hex') },
    },
    {
      kind: 'negTokenResp',
      hex: encodeNegTokenResp({ negState: NegState.ACCEPT_COMPLETED, supportedMech: OID.MS_KERBEROS, responseToken: Buffer.alloc(5, 3) }).toString('hex'),
      expect: { negState: 0, supportedMech: OID.MS_KERBEROS, responseToken: '0303030303' },
    },
    {
      kind: 'negTokenResp',
      hex: encodeNegTokenResp({ responseToken: ntlmNegotiate }).toString('hex'),
      expect: { responseToken: ntlmNegotiate.toString('hex') },
    },
  ];
  const out = impacketDecode(cases.map(({ kind, hex }) => ({ kind, hex })));
  assert.equal(out.length, cases.length);
  cases.forEach((c, i) => {
    const { reencoded, error, ...fields } = out[i];
    assert.equal(error, undefined, `case ${i}: ${error}`);
    assert.deepEqual(fields, c.expect, `case ${i}`);
    if (c.sameBytes !== false) assert.equal(reencoded, c.hex, `case ${i}: impacket re-encodes differently`);
  });
});
