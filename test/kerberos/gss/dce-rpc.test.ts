// Kerberos DCE/RPC per-PDU protection (MS-RPCE 3.3.1.5.2.2, MS-KILE 3.4.5.4.1) between two
// MessageProtection ends through the RpcProtection helpers: verifier sizes, the RFC 4121 Wrap
// layout Windows and impacket use in DCE style (EC 16, RRC 28, rotation by RRC + EC), a token
// rotated by RRC alone, header signing (sign-only header and trailer), tampering, replays and
// reflections, and rc4-hmac. (impacket interop is in test/rpc/impacket-kerberos.test.ts.)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { enctypeProfile } from '../../../src/crypto/registry.js';
import type { Key } from '../../../src/crypto/types.js';
import { MessageProtection, rotateLeft, rotateRight } from '../../../src/kerberos/gss/index.js';
import { kerberosRpcSeal, kerberosRpcSign, kerberosRpcSignatureLength, kerberosRpcUnseal, kerberosRpcVerify } from '../../../src/kerberos/gss/rpc.js';
import type { RpcPduParts } from '../../../src/rpc/protection.js';
import { SEC_E, SecurityError } from '../../../src/security/types.js';

const PKT_INTEGRITY = 5;
const PKT_PRIVACY = 6;

function key(etype: number): Key {
  return { etype, value: enctypeProfile(etype).randomKey() };
}

function pair(etype: number) {
  const ik = key(etype);
  const ak = etype === 23 ? undefined : key(etype);
  const o = { initiatorKey: ik, acceptorKey: ak, checkSequence: true, dceStyle: true };
  return {
    ik,
    ak,
    initiator: new MessageProtection({ ...o, isAcceptor: false, sendSeq: 0n, recvSeq: 77n }),
    acceptor: new MessageProtection({ ...o, isAcceptor: true, sendSeq: 77n, recvSeq: 0n }),
  };
}

/** A request-like PDU: 24-octet header, stub + pad (16-aligned), 8-octet sec_trailer. */
function parts(stubLen: number, headerSigning: boolean, fill = 0x5a): RpcPduParts {
  const pdu = Buffer.alloc(24 + stubLen + 8, fill);
  pdu.write('HEADER', 0);
  pdu.write('TRAILER', 24 + stubLen);
  return { pdu, stubStart: 24, bodyEnd: 24 + stubLen, headerSigning };
}

function isSec(...codes: number[]) {
  return (e: unknown) => {
    assert.ok(e instanceof SecurityError, `expected a SecurityError, got ${String(e)}`);
    if (codes.length) assert.ok(codes.includes(e.code), `code 0x${e.code.toString(16)}: ${e.message}`);
    return true;
  };
}

describe('Kerberos DCE/RPC verifiers (MS-KILE 3.4.5.4.1)', () => {
  test('verifier sizes: AES-SHA1 MIC 28 / Wrap 76, rc4-hmac 37 / 45 (framed)', () => {
    for (const [etype, mic, wrap] of [
      [17, 28, 76],
      [18, 28, 76],
      [23, 37, 45],
    ]) {
      const { initiator } = pair(etype);
      assert.equal(kerberosRpcSignatureLength(initiator, PKT_INTEGRITY), mic);
      assert.equal(kerberosRpcSignatureLength(initiator, PKT_PRIVACY), wrap);
      const p = parts(32, true);
      assert.equal(kerberosRpcSign(initiator, p).length, mic);
      assert.equal(kerberosRpcSeal(initiator, parts(32, true)).length, wrap);
    }
  });

  test('PKT_PRIVACY round trips both ways, stub encrypted in place, with and without header signing', () => {
    for (const etype of [17, 18, 23]) {
      const { initiator, acceptor } = pair(etype);
      for (const headerSigning of [false, true]) {
        for (const len of [0, 16, 32, 1000, 4096]) {
          for (const [from, to] of [
            [initiator, acceptor],
            [acceptor, initiator],
          ]) {
            const p = parts(len, headerSigning);
            const plain = Buffer.from(p.pdu);
            const sig = kerberosRpcSeal(from, p);
            assert.equal(p.pdu.length, plain.length);
            assert.deepEqual(p.pdu.subarray(0, 24), plain.subarray(0, 24), 'header stays in the clear');
            assert.deepEqual(p.pdu.subarray(24 + len), plain.subarray(24 + len), 'trailer stays in the clear');
            if (len >= 16) assert.notDeepEqual(p.pdu.subarray(24, 24 + len), plain.subarray(24, 24 + len));
            kerberosRpcUnseal(to, p, sig);
            assert.deepEqual(p.pdu, plain);
          }
        }
      }
    }
  });

  test('AES Wrap layout: 05 04, Sealed|AcceptorSubkey, EC 16, RRC 28, ciphertext rotated by RRC + EC', () => {
    const { initiator, ak } = pair(18);
    const p = parts(48, false);
    const stub = Buffer.from(p.pdu.subarray(24, 72));
    const token = kerberosRpcSeal(initiator, p);
    assert.equal(token.readUInt16BE(0), 0x0504);
    assert.equal(token[2], 0x06);
    assert.equal(token.readUInt16BE(4), 16);
    assert.equal(token.readUInt16BE(6), 28);
    assert.equal(token.readBigUInt64BE(8), 0n);
    // What impacket's GSS_Unwrap does: token tail | stub, rotated left by RRC + EC, decrypted.
    const cipher = rotateLeft(Buffer.concat([token.subarray(16), p.pdu.subarray(24, 72)]), 28 + 16);
    const plain = enctypeProfile(18).decrypt(ak!.value, 24, cipher);
    const hdr = Buffer.from(token.subarray(0, 16));
    hdr.writeUInt16BE(0, 6);
    assert.deepEqual(plain, Buffer.concat([stub, Buffer.alloc(16), hdr]));
  });

  test('AES Wrap rotated by RRC alone (RFC 4121 to the letter) and by RRC + EC with any EC are accepted', () => {
    for (const [ec, rotation] of [
      [0, 28],
      [12, 28],
      [12, 40],
      [16, 28],
    ]) {
      const { acceptor, ik } = pair(17);
      const stub = Buffer.alloc(64, 0x42);
      const hdr = Buffer.from([0x05, 0x04, 0x02, 0xff, 0, ec, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      const cipher = enctypeProfile(17).encrypt(ik.value, 24, Buffer.concat([stub, Buffer.alloc(ec), hdr]));
      const rotated = rotateRight(cipher, rotation);
      const split = rotated.length - stub.length;
      const token = Buffer.concat([hdr, rotated.subarray(0, split)]);
      token.writeUInt16BE(28, 6);
      const p = parts(64, false);
      rotated.subarray(split).copy(p.pdu, 24);
      kerberosRpcUnseal(acceptor, p, token);
      assert.deepEqual(p.pdu.subarray(24, 88), stub);
    }
  });

  test('header signing: a changed header or trailer fails; without it the MIC covers only the stub', () => {
    for (const etype of [18, 23]) {
      for (const where of [2, 24 + 32 + 3]) {
        const { initiator, acceptor } = pair(etype);
        const p = parts(32, true);
        const sig = kerberosRpcSeal(initiator, p);
        p.pdu[where] ^= 1;
        assert.throws(() => kerberosRpcUnseal(acceptor, p, sig), isSec(SEC_E.MESSAGE_ALTERED));
        const q = parts(32, true);
        const mic = kerberosRpcSign(initiator, q);
        q.pdu[where] ^= 1;
        assert.throws(() => kerberosRpcVerify(acceptor, q, mic), isSec(SEC_E.MESSAGE_ALTERED));
      }
      const { initiator, acceptor } = pair(etype);
      const r = parts(32, false);
      const mic = kerberosRpcSign(initiator, r);
      r.pdu[2] ^= 1; // the header is not covered without PFC_SUPPORT_HEADER_SIGN
      kerberosRpcVerify(acceptor, r, mic);
      r.pdu[30] ^= 1;
      const mic2 = kerberosRpcSign(initiator, parts(32, false));
      assert.throws(() => kerberosRpcVerify(acceptor, r, mic2), isSec(SEC_E.MESSAGE_ALTERED));
    }
  });

  test('tampered stub, a replay, a reflection and a wrong-length stub are refused', () => {
    for (const etype of [17, 23]) {
      const { initiator, acceptor } = pair(etype);
      const p = parts(64, true);
      const saved = Buffer.from(p.pdu);
      const sig = kerberosRpcSeal(initiator, p);
      const sealed = Buffer.from(p.pdu);
      p.pdu[40] ^= 0x80;
      assert.throws(() => kerberosRpcUnseal(acceptor, p, sig), isSec(SEC_E.MESSAGE_ALTERED));
      sealed.copy(p.pdu);
      kerberosRpcUnseal(acceptor, p, sig);
      assert.deepEqual(p.pdu, saved);
      sealed.copy(p.pdu);
      assert.throws(() => kerberosRpcUnseal(acceptor, p, sig), isSec(SEC_E.OUT_OF_SEQUENCE, SEC_E.MESSAGE_ALTERED));
      // The acceptor's own token handed back to it.
      const q = parts(16, true);
      const own = kerberosRpcSeal(acceptor, q);
      assert.throws(() => kerberosRpcUnseal(acceptor, q, own), isSec());
      // The ciphertext cut short.
      const s = parts(64, false);
      const sig2 = kerberosRpcSeal(initiator, s);
      const short: RpcPduParts = { ...s, bodyEnd: s.bodyEnd - 16 };
      assert.throws(() => kerberosRpcUnseal(acceptor, short, sig2), isSec());
    }
  });

  test('RFC 8009 enctypes: PKT_PRIVACY without header signing only', () => {
    for (const etype of [19, 20]) {
      const { initiator, acceptor } = pair(etype);
      const p = parts(32, false);
      const plain = Buffer.from(p.pdu);
      kerberosRpcUnseal(acceptor, p, kerberosRpcSeal(initiator, p));
      assert.deepEqual(p.pdu, plain);
      assert.throws(() => kerberosRpcSeal(initiator, parts(32, true)), isSec(SEC_E.UNSUPPORTED_FUNCTION));
    }
  });
});
