// RFC 4121 4.2 and RFC 4757 7.2/7.3 per-message tokens between two MessageProtection ends:
// round trips for every enctype, RRC rotation, EC filler, tampering, replays, reflections.
// (Interop with MIT is in mit-interop.test.ts.)

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { enctypeProfile } from '../../../src/crypto/registry.js';
import type { Key } from '../../../src/crypto/types.js';
import {
  channelBindingsHash,
  decodeGssChecksum,
  decodeGssFraming,
  decodeKrb5Token,
  encodeGssChecksum,
  encodeKrb5Token,
  GSS_FLAG,
  KRB5_MECH_OID,
  MessageProtection,
  MS_KRB5_MECH_OID,
  rotateLeft,
  rotateRight,
  TOK_ID,
} from '../../../src/kerberos/gss/index.js';
import { SEC_E, SecurityError } from '../../../src/security/types.js';

const ETYPES = [17, 18, 19, 20, 23];

function key(etype: number): Key {
  return { etype, value: enctypeProfile(etype).randomKey() };
}

function pair(etype: number, o: { acceptorSubkey?: boolean; checkSequence?: boolean; dceStyle?: boolean } = {}) {
  const ik = key(etype);
  const ak = o.acceptorSubkey === false || etype === 23 ? undefined : key(etype);
  const iSeq = 0x1234n;
  const aSeq = 0x3ffffff0n;
  const checkSequence = o.checkSequence ?? true;
  const initiator = new MessageProtection({ isAcceptor: false, initiatorKey: ik, acceptorKey: ak, sendSeq: iSeq, recvSeq: aSeq, checkSequence, dceStyle: o.dceStyle });
  const acceptor = new MessageProtection({ isAcceptor: true, initiatorKey: ik, acceptorKey: ak, sendSeq: aSeq, recvSeq: iSeq, checkSequence, dceStyle: o.dceStyle });
  return { initiator, acceptor };
}

function isSec(...codes: number[]) {
  return (e: unknown) => {
    assert.ok(e instanceof SecurityError, `expected a SecurityError, got ${String(e)}`);
    if (codes.length) assert.ok(codes.includes(e.code), `code 0x${e.code.toString(16)}: ${e.message}`);
    return true;
  };
}

describe('GSS token framing and the 0x8003 checksum', () => {
  test('RFC 2743 3.1 framing round trip with both Kerberos OIDs, long lengths', () => {
    for (const mech of [KRB5_MECH_OID, MS_KRB5_MECH_OID] as const) {
      for (const len of [0, 1, 100, 200, 5000, 70000]) {
        const inner = Buffer.alloc(len, 7);
        const t = encodeKrb5Token(TOK_ID.AP_REQ, inner, mech);
        assert.equal(t[0], 0x60);
        const d = decodeKrb5Token(t);
        assert.equal(d.mech, mech);
        assert.equal(d.tokId, TOK_ID.AP_REQ);
        assert.deepEqual(d.inner, inner);
      }
    }
    // MIT's bytes for the standard OID.
    assert.deepEqual(encodeKrb5Token(0x0100, Buffer.alloc(0)).subarray(2, 13), Buffer.from('06092a864886f712010202', 'hex'));
  });

  test('framing errors are SEC_E_INVALID_TOKEN', () => {
    const good = encodeKrb5Token(TOK_ID.AP_REQ, Buffer.alloc(300, 1));
    const bad = [
      Buffer.alloc(0),
      Buffer.from([0x60]),
      good.subarray(0, good.length - 1),
      Buffer.concat([good, Buffer.from([0])]),
      Buffer.from('600d06092a864886f712010203', 'hex'), // another OID (1.2.840.113554.1.2.3)
      Buffer.from('6084000000050603010203', 'hex'), // non-minimal length
      Buffer.from('6080', 'hex'), // indefinite length
      Buffer.from('610b06092a864886f712010202', 'hex'),
    ];
    for (const b of bad) assert.throws(() => decodeGssFraming(b), isSec(SEC_E.INVALID_TOKEN));
  });

  test('RFC 4121 4.1.1 checksum layout: Lgth, Bnd, Flags, delegation, extensions', () => {
    const bnd = channelBindingsHash({ applicationData: Buffer.from('tls-server-end-point:abc') });
    assert.equal(bnd.length, 16);
    const plain = encodeGssChecksum({ bnd, flags: GSS_FLAG.MUTUAL | GSS_FLAG.INTEG });
    assert.equal(plain.length, 24);
    assert.equal(plain.readUInt32LE(0), 16);
    assert.equal(plain.readUInt32LE(20), 0x22);
    const deleg = Buffer.from('a KRB-CRED would go here');
    const withDeleg = encodeGssChecksum({ bnd, flags: GSS_FLAG.DELEG | GSS_FLAG.MUTUAL, delegation: deleg, exts: Buffer.from([1, 2, 3]) });
    assert.equal(withDeleg.readUInt16LE(24), 1);
    assert.equal(withDeleg.readUInt16LE(26), deleg.length);
    const d = decodeGssChecksum(withDeleg);
    assert.deepEqual(d.delegation, deleg);
    assert.deepEqual(d.exts, Buffer.from([1, 2, 3]));
    assert.deepEqual(d.bnd, bnd);
    // DELEG flag without the option: no delegation.
    assert.equal(decodeGssChecksum(encodeGssChecksum({ bnd, flags: GSS_FLAG.DELEG })).delegation, undefined);
    // Malformed ones.
    assert.throws(() => decodeGssChecksum(Buffer.alloc(23)), isSec(SEC_E.INVALID_TOKEN));
    const badLgth = Buffer.from(plain);
    badLgth.writeUInt32LE(17, 0);
    assert.throws(() => decodeGssChecksum(badLgth), isSec(SEC_E.INVALID_TOKEN));
    const overrun = Buffer.from(withDeleg.subarray(0, 30));
    assert.throws(() => decodeGssChecksum(overrun), isSec(SEC_E.INVALID_TOKEN));
    // RFC 4121 4.1.1.2 layout: five little-endian 32-bit fields (address types and lengths)
    // around the values; application data last.
    assert.deepEqual(channelBindingsHash({}), createHash('md5').update(Buffer.alloc(20)).digest());
    const app = Buffer.from('tls-server-end-point:abc');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(app.length);
    assert.deepEqual(bnd, createHash('md5').update(Buffer.concat([Buffer.alloc(16), len, app])).digest());
  });

  test('rotation helpers undo each other for any count', () => {
    const b = Buffer.from('0123456789');
    for (const n of [0, 1, 3, 9, 10, 11, 25, 65535]) assert.deepEqual(rotateLeft(rotateRight(b, n), n), b);
    assert.deepEqual(rotateRight(b, 3), Buffer.from('7890123456'));
    assert.deepEqual(rotateRight(Buffer.alloc(0), 5), Buffer.alloc(0));
  });
});

describe('MessageProtection (RFC 4121 4.2, RFC 4757 7.2/7.3)', () => {
  for (const etype of ETYPES) {
    test(`enctype ${etype}: MIC and Wrap (conf and not) both ways, many lengths`, () => {
      const { initiator, acceptor } = pair(etype);
      for (const len of [0, 1, 15, 16, 17, 64, 1000, 65536]) {
        const m = Buffer.alloc(len, len & 0xff);
        acceptor.verifyMic(m, initiator.getMic(m));
        initiator.verifyMic(m, acceptor.getMic(m));
        for (const conf of [true, false]) {
          const t = initiator.wrap(m, conf);
          const u = acceptor.unwrap(t);
          assert.deepEqual(u.message, m);
          assert.equal(u.conf, conf);
          if (conf && len > 16) assert.equal(t.includes(m), false, 'encrypted');
          assert.deepEqual(initiator.unwrap(acceptor.wrap(m, conf)).message, m);
        }
      }
    });
  }

  for (const etype of [17, 18, 19, 20]) {
    test(`enctype ${etype}: RFC 4121 header fields, RRC rotation accepted, EC filler`, () => {
      const { initiator, acceptor } = pair(etype);
      const m = Buffer.from('hello, rotated world');
      const mic = acceptor.getMic(m);
      assert.equal(mic.readUInt16BE(0), TOK_ID.CFX_MIC);
      assert.equal(mic[2], 0x01 | 0x04, 'SentByAcceptor | AcceptorSubkey');
      assert.deepEqual(mic.subarray(3, 8), Buffer.alloc(5, 0xff));
      initiator.verifyMic(m, mic);
      for (const rrc of [0, 1, 16, 28, 44, 1000, 65535]) {
        for (const conf of [true, false]) {
          const t = initiator.wrap(m, conf, { rrc, ec: conf ? 16 : undefined });
          assert.equal(t.readUInt16BE(0), TOK_ID.CFX_WRAP);
          assert.equal(t.readUInt16BE(6), rrc);
          assert.equal(t[2] & 0x02, conf ? 0x02 : 0);
          assert.equal(t[2] & 0x01, 0, 'sent by the initiator');
          assert.deepEqual(acceptor.unwrap(t).message, m);
        }
      }
      // Without an acceptor subkey both use the initiator's key and the flag is clear.
      const p = pair(etype, { acceptorSubkey: false });
      const t = p.acceptor.wrap(m, true);
      assert.equal(t[2], 0x01 | 0x02);
      assert.deepEqual(p.initiator.unwrap(t).message, m);
    });
  }

  for (const etype of ETYPES) {
    test(`enctype ${etype}: every single-byte change of a token is refused`, () => {
      const { initiator, acceptor } = pair(etype, { checkSequence: false });
      const m = Buffer.from('integrity matters');
      const tokens: { t: Buffer; open: (t: Buffer) => void }[] = [
        { t: initiator.getMic(m), open: (t) => acceptor.verifyMic(m, t) },
        { t: initiator.wrap(m, true), open: (t) => acceptor.unwrap(t) },
        { t: initiator.wrap(m, false), open: (t) => acceptor.unwrap(t) },
      ];
      for (const { t, open } of tokens) {
        open(t); // the original is fine
        for (let i = 0; i < t.length; i++) {
          // RFC 4757's sequence number is encrypted but not covered by the checksum; only the
          // sequence check notices a change to it (tested below).
          if (etype === 23 && i >= 13 + 8 && i < 13 + 12) continue;
          for (const x of [0x01, 0x80]) {
            const bad = Buffer.from(t);
            bad[i] ^= x;
            assert.throws(() => open(bad), isSec(SEC_E.MESSAGE_ALTERED, SEC_E.INVALID_TOKEN, SEC_E.OUT_OF_SEQUENCE), `byte ${i} ^ ${x}`);
          }
        }
        assert.throws(() => open(t.subarray(0, t.length - 1)), isSec());
      }
      // A MIC over another message.
      assert.throws(() => acceptor.verifyMic(Buffer.from('other'), initiator.getMic(m)), isSec(SEC_E.MESSAGE_ALTERED));
      if (etype === 23) {
        const strict = pair(23);
        const t = strict.initiator.getMic(m);
        t[13 + 8] ^= 0x01;
        assert.throws(() => strict.acceptor.verifyMic(m, t), isSec(SEC_E.OUT_OF_SEQUENCE, SEC_E.MESSAGE_ALTERED));
      }
    });
  }

  for (const etype of ETYPES) {
    test(`enctype ${etype}: replays and gaps are SEC_E_OUT_OF_SEQUENCE, reflections SEC_E_MESSAGE_ALTERED`, () => {
      const { initiator, acceptor } = pair(etype);
      const m = Buffer.from('once');
      const t1 = initiator.wrap(m, true);
      acceptor.unwrap(t1);
      assert.throws(() => acceptor.unwrap(t1), isSec(SEC_E.OUT_OF_SEQUENCE));
      initiator.wrap(m, true); // lost
      assert.throws(() => acceptor.unwrap(initiator.wrap(m, true)), isSec(SEC_E.OUT_OF_SEQUENCE));
      const mic = acceptor.getMic(m);
      // The acceptor's own token sent back to it.
      assert.throws(() => acceptor.verifyMic(m, mic), isSec(SEC_E.MESSAGE_ALTERED));
      assert.throws(() => acceptor.unwrap(acceptor.wrap(m, false)), isSec(SEC_E.MESSAGE_ALTERED));
      // Without sequence checking, order does not matter.
      const loose = pair(etype, { checkSequence: false });
      const a = loose.initiator.wrap(m, true);
      const b = loose.initiator.wrap(m, true);
      loose.acceptor.unwrap(b);
      loose.acceptor.unwrap(a);
      loose.acceptor.unwrap(a);
    });
  }

  test('rc4-hmac tokens: RFC 4757 layout, framed by default, bare in DCE style', () => {
    const { initiator, acceptor } = pair(23);
    const m = Buffer.from('legacy');
    const mic = initiator.getMic(m);
    const body = decodeGssFraming(mic).body;
    assert.deepEqual(body.subarray(0, 8), Buffer.from('01011100ffffffff', 'hex'));
    assert.equal(body.length, 24);
    acceptor.verifyMic(m, mic);
    const w = decodeGssFraming(initiator.wrap(m, true)).body;
    assert.deepEqual(w.subarray(0, 8), Buffer.from('020111001000ffff', 'hex'));
    assert.equal(w.length, 32 + m.length + 1, 'header, seq, cksum, confounder, data, one pad octet');
    const n = decodeGssFraming(initiator.wrap(m, false)).body;
    assert.deepEqual(n.subarray(0, 8), Buffer.from('02011100ffffffff', 'hex'));
    assert.ok(n.includes(m), 'integrity-only data travels in the clear');
    const dce = pair(23, { dceStyle: true });
    const t = dce.initiator.wrap(m, true);
    assert.equal(t.readUInt16BE(0), TOK_ID.RC4_WRAP);
    assert.deepEqual(dce.acceptor.unwrap(t).message, m);
  });
});
