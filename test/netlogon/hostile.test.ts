// Hostile stubs: random, truncated and bit-flipped request stubs into every Netlogon handler
// must end in an NTSTATUS reply or a NetlogonStubError (the runtime's fault), never anything else.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../../src/directory/directory.js';
import { ntHash } from '../../src/crypto/nt-owf.js';
import { aesCfb8Encrypt } from '../../src/crypto/cfb8.js';
import { DirectoryAuthority } from '../../src/security/directory-authority.js';
import {
  computeNetlogonCredentialAes,
  computeSessionKeyAes,
  createNetlogonInterface,
  credentialPlus,
  DsrGetDcNameEx2In,
  encodeParams,
  NetlogonStubError,
  NetrLogonGetCapabilitiesIn,
  NetrLogonGetDomainInfoIn,
  NetrLogonSamLogonExIn,
  NetrLogonSamLogonIn,
  NetrLogonSamLogonWithFlagsIn,
  NetrServerAuthenticate3In,
  NetrServerPasswordSet2In,
  NetrServerReqChallengeIn,
  OPNUM,
  SecureChannelStore,
  type NetlogonCallContext,
  type NetlogonInterface,
} from '../../src/netlogon/index.js';

const MACHINE_PASSWORD = 'Machine-Password-for-fuzzing-1';
const SEALED: NetlogonCallContext = { authType: 68, authLevel: 6, peerName: 'MEMBER' };

let dir: Directory;
const internalErrors: unknown[] = [];
let dataDir: string;
let iface: NetlogonInterface;
let sessionKey: Buffer;
let stored: Buffer;

// A deterministic PRNG (xorshift32) so a failure is reproducible.
let seed = 0x9e3779b9;
function rnd(n: number): number {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed % n;
}
function randomBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rnd(256);
  return b;
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'authso-netlogon-fuzz-'));
  dir = await Directory.openSqlite(dataDir);
  await dir.provision({ realm: 'EXAMPLE.TEST', netbiosName: 'EXAMPLE', policy: { lockoutThreshold: 0 } });
  await dir.createUser('alice', { password: 'Alice-Password-1!' });
  await dir.createComputer('member', { password: MACHINE_PASSWORD });
  iface = createNetlogonInterface({
    directory: dir,
    authority: new DirectoryAuthority(dir),
    dcName: 'DC1',
    dnsDomainName: 'example.test',
    channels: new SecureChannelStore(),
    onError: (e) => internalErrors.push(e),
  });
  // Establish MEMBER's channel so that the logon paths behind SamLogonEx are reached.
  const clientChallenge = Buffer.from('0123456789abcdef', 'hex');
  const rc = await iface.opnums[OPNUM.NetrServerReqChallenge](
    encodeParams(NetrServerReqChallengeIn, { primaryName: null, computerName: 'MEMBER', clientChallenge }),
  );
  const serverChallenge = rc.subarray(0, 8);
  sessionKey = computeSessionKeyAes(ntHash(MACHINE_PASSWORD), clientChallenge, serverChallenge);
  stored = computeNetlogonCredentialAes(clientChallenge, sessionKey);
  const a3 = await iface.opnums[OPNUM.NetrServerAuthenticate3](
    encodeParams(NetrServerAuthenticate3In, {
      primaryName: null,
      accountName: 'MEMBER$',
      secureChannelType: 2,
      computerName: 'MEMBER',
      clientCredential: stored,
      negotiateFlags: 0x612fffff,
    }),
  );
  assert.equal(a3.readUInt32LE(a3.length - 4), 0, 'the fuzzing channel is established');
});

after(async () => {
  assert.deepEqual(internalErrors, [], 'no handler hit an internal error');
  await dir.close();
  await rm(dataDir, { recursive: true, force: true });
});

function authenticator(ts: number) {
  return { credential: computeNetlogonCredentialAes(credentialPlus(stored, ts), sessionKey), timestamp: ts };
}

const identity = { logonDomainName: 'EXAMPLE', parameterControl: 0, reserved: 0n, userName: 'alice', workstation: 'MEMBER' };

/** One well-formed stub per opnum (several logon kinds for the SamLogon family). */
function validStubs(): { opnum: number; stub: Buffer; ctx?: NetlogonCallContext }[] {
  const auth = authenticator(5);
  const network = {
    tag: 2 as const,
    value: {
      identity,
      lmChallenge: Buffer.alloc(8, 1),
      ntChallengeResponse: { length: 40, maximumLength: 40, buffer: randomBytes(40) },
      lmChallengeResponse: { length: 24, maximumLength: 24, buffer: Buffer.alloc(24) },
    },
  };
  const interactive = { tag: 1 as const, value: { identity, lmOwfPassword: Buffer.alloc(16), ntOwfPassword: aesCfb8Encrypt(sessionKey, ntHash('Alice-Password-1!')) } };
  const kerb = Buffer.alloc(40);
  kerb.writeUInt32LE(3, 0);
  kerb.writeUInt32LE(12, 4);
  kerb.writeInt32LE(16, 8);
  kerb.writeUInt32LE(12, 12);
  const generic = { tag: 4 as const, value: { identity, packageName: 'Kerberos', logonData: aesCfb8Encrypt(sessionKey, kerb) } };
  const out: { opnum: number; stub: Buffer; ctx?: NetlogonCallContext }[] = [
    { opnum: OPNUM.NetrServerReqChallenge, stub: encodeParams(NetrServerReqChallengeIn, { primaryName: '\\\\DC1', computerName: 'FUZZ', clientChallenge: randomBytes(8) }) },
    {
      opnum: OPNUM.NetrServerAuthenticate3,
      stub: encodeParams(NetrServerAuthenticate3In, {
        primaryName: '\\\\DC1',
        accountName: 'FUZZ$',
        secureChannelType: 2,
        computerName: 'FUZZ',
        clientCredential: randomBytes(8),
        negotiateFlags: 0x612fffff,
      }),
    },
    {
      opnum: OPNUM.NetrServerPasswordSet2,
      stub: encodeParams(NetrServerPasswordSet2In, {
        primaryName: null,
        accountName: 'MEMBER$',
        secureChannelType: 2,
        computerName: 'MEMBER',
        authenticator: auth,
        clearNewPassword: { buffer: randomBytes(512), length: 0 },
      }),
    },
    {
      opnum: OPNUM.NetrLogonGetCapabilities,
      stub: encodeParams(NetrLogonGetCapabilitiesIn, { serverName: '\\\\DC1', computerName: 'MEMBER', authenticator: auth, returnAuthenticator: auth, queryLevel: 1 }),
    },
    {
      opnum: OPNUM.NetrLogonGetDomainInfo,
      stub: encodeParams(NetrLogonGetDomainInfoIn, {
        serverName: '\\\\DC1',
        computerName: 'MEMBER',
        authenticator: auth,
        returnAuthenticator: auth,
        level: 1,
        wkstaBuffer: {
          tag: 1,
          value: {
            lsaPolicy: { lsaPolicy: null },
            dnsHostName: 'member.example.test',
            siteName: null,
            dummy1: null,
            dummy2: null,
            dummy3: null,
            dummy4: null,
            osVersion: null,
            osName: 'Windows',
            dummyString3: null,
            dummyString4: null,
            workstationFlags: 3,
            kerberosSupportedEncryptionTypes: 0x18,
            dummyLong3: 0,
            dummyLong4: 0,
          },
        },
      }),
    },
    {
      opnum: OPNUM.DsrGetDcNameEx2,
      stub: encodeParams(DsrGetDcNameEx2In, {
        computerName: null,
        accountName: null,
        allowableAccountControlBits: 0,
        domainName: 'EXAMPLE',
        domainGuid: null,
        siteName: null,
        flags: 0x40000000,
      }),
    },
  ];
  for (const [level, info] of [
    [3, network],
    [6, network],
    [2, interactive],
    [5, generic],
  ] as const) {
    const base = { logonServer: null, computerName: 'MEMBER', logonLevel: info.tag, logonInformation: info, validationLevel: level };
    out.push({ opnum: OPNUM.NetrLogonSamLogonEx, stub: encodeParams(NetrLogonSamLogonExIn, { ...base, extraFlags: 0 }), ctx: SEALED });
    out.push({
      opnum: OPNUM.NetrLogonSamLogonWithFlags,
      stub: encodeParams(NetrLogonSamLogonWithFlagsIn, { ...base, authenticator: auth, returnAuthenticator: auth, extraFlags: 0 }),
      ctx: SEALED,
    });
    out.push({ opnum: OPNUM.NetrLogonSamLogon, stub: encodeParams(NetrLogonSamLogonIn, { ...base, authenticator: auth, returnAuthenticator: null }) });
  }
  return out;
}

async function expectNtstatusOrStubError(opnum: number, stub: Buffer, ctx?: NetlogonCallContext): Promise<'status' | 'fault'> {
  try {
    const r = await iface.opnums[opnum](stub, ctx);
    assert.ok(Buffer.isBuffer(r) && r.length >= 4, `opnum ${opnum}: a reply ending in a status`);
    return 'status';
  } catch (e) {
    if (e instanceof NetlogonStubError) return 'fault';
    assert.fail(`opnum ${opnum} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} for stub ${stub.toString('hex').slice(0, 200)}`);
  }
}

test('well-formed stubs from our own encoder are answered with a status', async () => {
  for (const { opnum, stub, ctx } of validStubs()) assert.equal(await expectNtstatusOrStubError(opnum, stub, ctx), 'status', `opnum ${opnum}`);
});

test('random, truncated and mutated stubs: an NTSTATUS or NetlogonStubError, nothing else', async () => {
  const opnums = Object.keys(iface.opnums).map(Number);
  const counts = { status: 0, fault: 0 };
  // Pure noise into every handler.
  for (const opnum of opnums) {
    for (let i = 0; i < 300; i++) counts[await expectNtstatusOrStubError(opnum, randomBytes(rnd(200)), rnd(2) ? SEALED : undefined)]++;
  }
  // Every truncation, and random mutations, of well-formed stubs.
  for (const { opnum, stub, ctx } of validStubs()) {
    for (let n = 0; n < stub.length; n++) counts[await expectNtstatusOrStubError(opnum, stub.subarray(0, n), ctx)]++;
    for (let i = 0; i < 150; i++) {
      const m = Buffer.from(stub);
      const flips = 1 + rnd(4);
      for (let f = 0; f < flips; f++) {
        const at = rnd(m.length);
        m[at] = rnd(3) === 0 ? 0xff : m[at] ^ (1 << rnd(8));
      }
      counts[await expectNtstatusOrStubError(opnum, m, ctx)]++;
    }
  }
  assert.ok(counts.status + counts.fault > 3000, `${counts.status + counts.fault} hostile stubs`);
  assert.ok(counts.fault > 0 && counts.status > 0);
});
