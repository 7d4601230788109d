// The endpoint mapper (C706 appendix L "Protocol Tower Encoding" and the ept interface of
// C706 chapter 2.12 / appendix O; MS-RPCE 2.2.1.2 and 3.3.3.3.1.4 for the ncacn_ip_tcp towers),
// interface e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0, served on its own port (135 in
// production). ept_lookup (opnum 2) lists the registered interfaces with their ncacn_ip_tcp
// endpoints; ept_map (opnum 3) answers a client's partial tower with the full one.

import { randomUUID } from 'node:crypto';
import { isIPv4 } from 'node:net';
import * as ndr from '../encoding/ndr.js';
import { RpcClient } from './client.js';
import { NDR20, NIL_UUID, uuidFromBytes, uuidToBytes, type SyntaxId } from './pdu.js';
import { RpcServer, type RpcInterface, type RpcServerOptions } from './server.js';

export const EPM_UUID = 'e1af8308-5d1f-11c9-91a4-08002b14a0fa';
export const EPM_VERSION = { major: 3, minor: 0 };
export const EPM_SYNTAX: SyntaxId = { uuid: EPM_UUID, ...EPM_VERSION };

/** C706 appendix L protocol identifiers (floor left-hand sides). */
export const FLOOR = { UUID: 0x0d, RPC_CO: 0x0b, TCP: 0x07, IP: 0x09 } as const;
/** C706 / MS-RPCE status codes of the ept interface. */
export const EPT_S_NOT_REGISTERED = 0x16c9a0d6;
export const EPT_S_CANT_PERFORM_OP = 0x16c9a0d7;
export const RPC_C_EP = { ALL_ELTS: 0, MATCH_BY_IF: 1, MATCH_BY_OBJ: 2, MATCH_BY_BOTH: 3 } as const;
export const RPC_C_VERS = { ALL: 1, COMPATIBLE: 2, EXACT: 3, MAJOR_ONLY: 4, UPTO: 5 } as const;

const MAX_FLOORS = 16;
const MAX_ENTRIES = 500;

export interface Floor {
  lhs: Buffer;
  rhs: Buffer;
}

/** twr_t's tower_octet_string: floor count, then each floor's lhs and rhs, lengths u16 LE. */
export function encodeTower(floors: Floor[]): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(2);
  n.writeUInt16LE(floors.length);
  parts.push(n);
  for (const f of floors) {
    const l = Buffer.alloc(2);
    l.writeUInt16LE(f.lhs.length);
    const r = Buffer.alloc(2);
    r.writeUInt16LE(f.rhs.length);
    parts.push(l, f.lhs, r, f.rhs);
  }
  return Buffer.concat(parts);
}

export class TowerError extends Error {}

/** Decodes a tower octet string (bounded: at most 16 floors, lengths checked). */
export function decodeTower(b: Buffer): Floor[] {
  if (b.length < 2) throw new TowerError('tower truncated');
  const n = b.readUInt16LE(0);
  if (n > MAX_FLOORS) throw new TowerError(`${n} floors`);
  let off = 2;
  const take = (): Buffer => {
    if (off + 2 > b.length) throw new TowerError('tower truncated');
    const len = b.readUInt16LE(off);
    off += 2;
    if (off + len > b.length) throw new TowerError('tower floor truncated');
    const v = b.subarray(off, off + len);
    off += len;
    return Buffer.from(v);
  };
  const floors: Floor[] = [];
  for (let i = 0; i < n; i++) floors.push({ lhs: take(), rhs: take() });
  return floors;
}

function uuidFloor(s: SyntaxId): Floor {
  const lhs = Buffer.alloc(19);
  lhs[0] = FLOOR.UUID;
  uuidToBytes(s.uuid).copy(lhs, 1);
  lhs.writeUInt16LE(s.major, 17);
  const rhs = Buffer.alloc(2);
  rhs.writeUInt16LE(s.minor);
  return { lhs, rhs };
}
function parseUuidFloor(f: Floor | undefined): SyntaxId | undefined {
  if (!f || f.lhs.length !== 19 || f.lhs[0] !== FLOOR.UUID || f.rhs.length < 2) return undefined;
  return { uuid: uuidFromBytes(f.lhs.subarray(1, 17)), major: f.lhs.readUInt16LE(17), minor: f.rhs.readUInt16LE(0) };
}

/** The five-floor ncacn_ip_tcp tower (MS-RPCE 2.2.1.2 / C706 L.2): interface, NDR, RPC CO
 *  (minor version 0), TCP port (big-endian), IPv4 address. */
export function tcpTower(iface: SyntaxId, port: number, ip: string): Buffer {
  const portB = Buffer.alloc(2);
  portB.writeUInt16BE(port);
  const ipB = Buffer.from(isIPv4(ip) ? ip.split('.').map(Number) : [0, 0, 0, 0]);
  return encodeTower([
    uuidFloor(iface),
    uuidFloor(NDR20),
    { lhs: Buffer.from([FLOOR.RPC_CO]), rhs: Buffer.alloc(2) },
    { lhs: Buffer.from([FLOOR.TCP]), rhs: portB },
    { lhs: Buffer.from([FLOOR.IP]), rhs: ipB },
  ]);
}

export interface ParsedTower {
  iface?: SyntaxId;
  transfer?: SyntaxId;
  protocol?: number;
  port?: number;
  ip?: string;
}
export function parseTower(b: Buffer): ParsedTower {
  const f = decodeTower(b);
  const out: ParsedTower = { iface: parseUuidFloor(f[0]), transfer: parseUuidFloor(f[1]) };
  if (f[2] && f[2].lhs.length >= 1) out.protocol = f[2].lhs[0];
  if (f[3] && f[3].lhs[0] === FLOOR.TCP && f[3].rhs.length === 2) out.port = f[3].rhs.readUInt16BE(0);
  if (f[4] && f[4].lhs[0] === FLOOR.IP && f[4].rhs.length === 4) out.ip = [...f[4].rhs].join('.');
  return out;
}

// --- NDR declarations of the ept interface's parameters (C706 appendix O)

const GUID = ndr.map('GUID', ndr.bytes(16), {
  from: (b: Buffer) => uuidFromBytes(b),
  to: (s: string) => uuidToBytes(s),
});
// uuid_t is a structure of 4-aligned members on the wire (C706 appendix A).
const GUID_STRUCT = ndr.struct('uuid_t', { d1: ndr.u32, d2: ndr.u16, d3: ndr.u16, d4: ndr.bytes(8) });
const UUID_T = ndr.map('uuid_t', GUID_STRUCT, {
  from: (v) => {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(v.d1, 0);
    b.writeUInt16LE(v.d2, 4);
    b.writeUInt16LE(v.d3, 6);
    v.d4.copy(b, 8);
    return GUID.from(b);
  },
  to: (s: string) => {
    const b = uuidToBytes(s);
    return { d1: b.readUInt32LE(0), d2: b.readUInt16LE(4), d3: b.readUInt16LE(6), d4: b.subarray(8) };
  },
});
const RPC_IF_ID = ndr.struct('rpc_if_id_t', { uuid: UUID_T, versMajor: ndr.u16, versMinor: ndr.u16 });
/** ept_lookup_handle_t: an NDR context handle (attributes + uuid, 20 octets). */
const CONTEXT_HANDLE = ndr.struct('ndr_context_handle', { attributes: ndr.u32, uuid: UUID_T });
const TWR_T = ndr.struct('twr_t', { towerLength: ndr.sizeOf('tower'), tower: ndr.carray(ndr.u8) });
const MAP_IN = {
  object: ndr.ptr(UUID_T),
  mapTower: ndr.ptr(TWR_T),
  entryHandle: CONTEXT_HANDLE,
  maxTowers: ndr.u32,
};
/** ept_map's [out, length_is(*num_towers), size_is(max_towers)] twr_p_t ITowers[]. */
const MAP_OUT_TOWERS = ndr.cvarray(ndr.ptr(TWR_T));
/** ept_lookup's [out, length_is(*num_ents), size_is(max_ents)] ept_entry_t entries[] — the
 *  annotation is a varying char[64], which has no NdrType; entries are read by readLookupEntries. */
const LOOKUP_IN = {
  inquiryType: ndr.u32,
  object: ndr.ptr(UUID_T),
  ifId: ndr.ptr(RPC_IF_ID),
  versOption: ndr.u32,
  entryHandle: CONTEXT_HANDLE,
  maxEnts: ndr.u32,
};

export interface EpmEntry {
  iface: SyntaxId;
  object: string;
  annotation: string;
  host: string;
  port: number;
}

/** C706 vers_option matching of a registered version against the inquiry's. */
function versionMatches(reg: SyntaxId, want: SyntaxId, option: number): boolean {
  switch (option) {
    case RPC_C_VERS.ALL:
      return true;
    case RPC_C_VERS.COMPATIBLE:
      return reg.major === want.major && reg.minor >= want.minor;
    case RPC_C_VERS.EXACT:
      return reg.major === want.major && reg.minor === want.minor;
    case RPC_C_VERS.MAJOR_ONLY:
      return reg.major === want.major;
    case RPC_C_VERS.UPTO:
      return reg.major < want.major || (reg.major === want.major && reg.minor <= want.minor);
    default:
      return false;
  }
}

export class EndpointMapper {
  private readonly servers: RpcServer[] = [];
  private readonly extra: EpmEntry[] = [];
  /** Continuation handles are stateless: a per-mapper tag plus the next index. */
  private readonly tag = uuidToBytes(randomUUID()).subarray(0, 12);

  /** Lists every interface `server` hosts, at its (current) port. */
  add(server: RpcServer): void {
    this.servers.push(server);
  }
  /** Lists one endpoint explicitly. */
  addEntry(e: EpmEntry): void {
    this.extra.push(e);
  }

  entries(): EpmEntry[] {
    const out: EpmEntry[] = [];
    for (const s of this.servers) {
      for (const i of s.registered) {
        out.push({ iface: { uuid: i.uuid, ...i.version }, object: NIL_UUID, annotation: i.name ?? '', host: s.host, port: s.port });
      }
    }
    return out.concat(this.extra);
  }

  private handleFor(index: number): string {
    const b = Buffer.alloc(16);
    this.tag.copy(b);
    b.writeUInt32LE(index, 12);
    return uuidFromBytes(b);
  }
  private indexOf(handle: string): number | undefined {
    if (handle === NIL_UUID) return 0;
    const b = uuidToBytes(handle);
    if (!b.subarray(0, 12).equals(this.tag)) return undefined;
    return b.readUInt32LE(12);
  }

  /** ept_lookup (opnum 2). */
  lookup(stub: Buffer): Buffer {
    const r = new ndr.NdrReader(stub);
    const inquiryType = ndr.readNdr(r, LOOKUP_IN.inquiryType);
    const object = ndr.readNdr(r, LOOKUP_IN.object);
    const ifId = ndr.readNdr(r, LOOKUP_IN.ifId);
    const versOption = ndr.readNdr(r, LOOKUP_IN.versOption);
    const handle = ndr.readNdr(r, LOOKUP_IN.entryHandle);
    const maxEnts = Math.min(ndr.readNdr(r, LOOKUP_IN.maxEnts), MAX_ENTRIES);
    const byIf = inquiryType === RPC_C_EP.MATCH_BY_IF || inquiryType === RPC_C_EP.MATCH_BY_BOTH;
    const byObj = inquiryType === RPC_C_EP.MATCH_BY_OBJ || inquiryType === RPC_C_EP.MATCH_BY_BOTH;
    const all = this.entries().filter((e) => {
      if (byIf && ifId) {
        const want = { uuid: ifId.uuid, major: ifId.versMajor, minor: ifId.versMinor };
        if (e.iface.uuid.toLowerCase() !== want.uuid.toLowerCase() || !versionMatches(e.iface, want, versOption)) return false;
      }
      if (byObj && object && e.object.toLowerCase() !== object.toLowerCase()) return false;
      return true;
    });
    const start = this.indexOf(handle.uuid);
    const w = new ndr.NdrWriter();
    if (start === undefined || start >= all.length || maxEnts === 0) {
      ndr.writeNdr(w, CONTEXT_HANDLE, { attributes: 0, uuid: NIL_UUID });
      w.u32(0); // num_ents
      w.u32(maxEnts);
      w.u32(0);
      w.u32(0);
      w.u32(EPT_S_NOT_REGISTERED);
      return w.toBuffer();
    }
    const page = all.slice(start, start + maxEnts);
    const next = start + page.length;
    ndr.writeNdr(w, CONTEXT_HANDLE, { attributes: 0, uuid: next < all.length ? this.handleFor(next) : NIL_UUID });
    w.u32(page.length);
    // ept_entry_t entries[*]: a conformant varying array (max_ents, offset 0, num_ents). Each
    // entry's annotation is [string] char[64] — a varying (not conformant) array, inline.
    w.u32(maxEnts);
    w.u32(0);
    w.u32(page.length);
    const towers: Buffer[] = [];
    for (const e of page) {
      ndr.writeNdr(w, UUID_T, e.object);
      w.u32(w.newReferentId());
      towers.push(tcpTower(e.iface, e.port, e.host));
      const ann = Buffer.from(e.annotation.slice(0, 63), 'latin1');
      w.u32(0);
      w.u32(ann.length + 1);
      w.raw(ann);
      w.u8(0);
    }
    for (const t of towers) ndr.writeNdr(w, TWR_T, { tower: t });
    w.align(4);
    w.u32(0);
    return w.toBuffer();
  }

  /** ept_map (opnum 3). */
  map(stub: Buffer): Buffer {
    const r = new ndr.NdrReader(stub);
    ndr.readNdr(r, MAP_IN.object);
    const tower = ndr.readNdr(r, MAP_IN.mapTower);
    ndr.readNdr(r, MAP_IN.entryHandle);
    const maxTowers = Math.min(ndr.readNdr(r, MAP_IN.maxTowers), MAX_ENTRIES);
    let found: Buffer[] = [];
    if (tower) {
      let want: ParsedTower | undefined;
      try {
        want = parseTower(tower.tower);
      } catch {
        want = undefined;
      }
      const iface = want?.iface;
      const okTransfer = want?.transfer && want.transfer.uuid.toLowerCase() === NDR20.uuid && want.transfer.major === NDR20.major;
      if (iface && okTransfer && want?.protocol === FLOOR.RPC_CO) {
        found = this.entries()
          .filter((e) => e.iface.uuid.toLowerCase() === iface.uuid.toLowerCase() && e.iface.major === iface.major && e.iface.minor >= iface.minor)
          .map((e) => tcpTower(e.iface, e.port, e.host));
      }
    }
    found = found.slice(0, maxTowers);
    const w = new ndr.NdrWriter();
    ndr.writeNdr(w, CONTEXT_HANDLE, { attributes: 0, uuid: NIL_UUID });
    w.u32(found.length);
    // twr_p_t ITowers[max_towers] (length_is num_towers): conformant varying array of pointers.
    w.u32(maxTowers);
    w.u32(0);
    w.u32(found.length);
    for (let i = 0; i < found.length; i++) w.u32(w.newReferentId());
    for (const t of found) ndr.writeNdr(w, TWR_T, { tower: t });
    w.align(4);
    w.u32(found.length ? 0 : EPT_S_NOT_REGISTERED);
    return w.toBuffer();
  }

  interface(): RpcInterface {
    return {
      uuid: EPM_UUID,
      version: EPM_VERSION,
      name: 'Endpoint Mapper',
      opnums: {
        2: async (stub) => this.lookup(stub),
        3: async (stub) => this.map(stub),
      },
    };
  }
}

/** Starts the endpoint mapper's own RPC server; it lists itself and every server in `servers`. */
export async function startEndpointMapper(
  opts: { servers?: RpcServer[] } & Pick<RpcServerOptions, 'host' | 'port'> = {},
): Promise<{ server: RpcServer; mapper: EndpointMapper }> {
  const mapper = new EndpointMapper();
  const server = new RpcServer({ host: opts.host, port: opts.port });
  server.register(mapper.interface());
  await server.listen();
  mapper.add(server);
  for (const s of opts.servers ?? []) mapper.add(s);
  return { server, mapper };
}

/**
 * Client side of ept_map (C706 appendix O, MS-RPCE 2.2.1.2): asks the endpoint mapper at
 * host:epmPort (135 in production) for the ncacn_ip_tcp port of `iface`; undefined when it is
 * not registered. This is how a member finds e.g. the DC's Netlogon endpoint.
 */
export async function resolveTcpEndpoint(host: string, iface: SyntaxId, epmPort = 135, timeoutMs = 10_000): Promise<number | undefined> {
  const c = await RpcClient.connect({ host, port: epmPort, timeoutMs });
  try {
    const { contextId } = await c.bind(EPM_SYNTAX);
    const w = new ndr.NdrWriter();
    ndr.writeNdr(w, MAP_IN.object, null);
    ndr.writeNdr(w, MAP_IN.mapTower, { tower: tcpTower(iface, 0, '0.0.0.0') });
    ndr.writeNdr(w, MAP_IN.entryHandle, { attributes: 0, uuid: NIL_UUID });
    ndr.writeNdr(w, MAP_IN.maxTowers, 4);
    const out = await c.call(contextId, 3, w.toBuffer());
    const r = new ndr.NdrReader(out);
    ndr.readNdr(r, CONTEXT_HANDLE);
    const num = r.u32();
    const towers = ndr.readNdr(r, MAP_OUT_TOWERS);
    const status = r.u32();
    if (status !== 0 || num === 0) return undefined;
    for (const t of towers) {
      if (!t) continue;
      const p = parseTower(t.tower);
      if (p.port !== undefined && p.port !== 0 && p.iface && p.iface.uuid.toLowerCase() === iface.uuid.toLowerCase()) return p.port;
    }
    return undefined;
  } finally {
    c.close();
  }
}

export interface LookupPage {
  entries: { object: string; tower: ParsedTower; annotation: string }[];
  /** The continuation handle (NIL_UUID when done). */
  handle: string;
  status: number;
}

/** One ept_lookup call (RPC_C_EP_ALL_ELTS) on a bound endpoint-mapper context. */
export async function eptLookup(c: RpcClient, contextId: number, handle: string = NIL_UUID, maxEnts = 100): Promise<LookupPage> {
  const w = new ndr.NdrWriter();
  ndr.writeNdr(w, LOOKUP_IN.inquiryType, RPC_C_EP.ALL_ELTS);
  ndr.writeNdr(w, LOOKUP_IN.object, null);
  ndr.writeNdr(w, LOOKUP_IN.ifId, null);
  ndr.writeNdr(w, LOOKUP_IN.versOption, RPC_C_VERS.ALL);
  ndr.writeNdr(w, LOOKUP_IN.entryHandle, { attributes: 0, uuid: handle });
  ndr.writeNdr(w, LOOKUP_IN.maxEnts, maxEnts);
  const out = await c.call(contextId, 2, w.toBuffer());
  const r = new ndr.NdrReader(out);
  const next = ndr.readNdr(r, CONTEXT_HANDLE).uuid;
  const num = r.u32();
  const max = r.u32();
  const offset = r.u32();
  const actual = r.u32();
  if (offset !== 0 || actual !== num || actual > max) throw new ndr.NdrError('bad ept_entry_t array header');
  r.checkCount(actual, 28, 'entries');
  const inline: { object: string; towerRef: number; annotation: string }[] = [];
  for (let i = 0; i < actual; i++) {
    const object = ndr.readNdr(r, UUID_T);
    const towerRef = r.u32();
    const annOffset = r.u32();
    const annCount = r.u32();
    if (annOffset !== 0 || annCount > 64) throw new ndr.NdrError('bad annotation');
    const ann = r.raw(annCount);
    const nul = ann.indexOf(0);
    inline.push({ object, towerRef, annotation: ann.subarray(0, nul < 0 ? ann.length : nul).toString('latin1') });
  }
  const entries: LookupPage['entries'] = [];
  for (const e of inline) {
    const tower = e.towerRef ? parseTower(ndr.readNdr(r, TWR_T).tower) : {};
    entries.push({ object: e.object, tower, annotation: e.annotation });
  }
  r.align(4);
  const status = r.u32();
  return { entries, handle: next, status };
}
