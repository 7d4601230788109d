// "whoami": a small interface of our own, for tests and diagnostics. Opnum 0 tells the caller
// who the server thinks it is; opnum 1 echoes its input (exercises fragmentation both ways).
//
//   [uuid(5f0b1e6a-3c2d-4b8e-9a71-0d6c2e4f8a13), version(1.0)]
//   interface whoami {
//     void WhoAmI([out] WHOAMI_INFO *info);
//     void Echo([in] unsigned long n, [in, size_is(n)] byte *data, [out] ECHO_OUT *out);
//   }
// An unauthenticated caller is ANONYMOUS LOGON (S-1-5-7), as Windows reports null sessions.

import * as ndr from '../encoding/ndr.js';
import type { CallContext, InterfaceSecurity, RpcInterface } from './server.js';

export const WHOAMI_UUID = '5f0b1e6a-3c2d-4b8e-9a71-0d6c2e4f8a13';
export const WHOAMI_VERSION = { major: 1, minor: 0 };

export const WHOAMI_INFO = ndr.struct('WHOAMI_INFO', {
  userName: ndr.ustring,
  domainName: ndr.ustring,
  userSid: ndr.ptr(ndr.sid),
  authType: ndr.u32,
  authLevel: ndr.u32,
  groupCount: ndr.sizeOf('groups'),
  groups: ndr.ptr(ndr.carray(ndr.ptr(ndr.sid))),
});
export type WhoAmIInfo = ndr.NdrValue<typeof WHOAMI_INFO>;

export const ECHO_IN = ndr.struct('ECHO_IN', { n: ndr.sizeOf('data'), data: ndr.ptr(ndr.carray(ndr.u8)) });
export const ECHO_OUT = ndr.struct('ECHO_OUT', { n: ndr.sizeOf('data'), data: ndr.ptr(ndr.carray(ndr.u8)) });

export const ANONYMOUS_SID = 'S-1-5-7';

export function whoamiInfo(call: CallContext): WhoAmIInfo {
  const p = call.peer;
  return {
    userName: p ? p.userName : 'ANONYMOUS LOGON',
    domainName: p ? p.domainName : 'NT AUTHORITY',
    userSid: p ? p.userSid : ANONYMOUS_SID,
    authType: call.authType,
    authLevel: call.authLevel,
    groups: p ? p.groups.map((g) => g.sid) : [],
  };
}

/** The whoami interface; `security` defaults to admitting anyone (level NONE). */
export function whoamiInterface(security?: InterfaceSecurity): RpcInterface {
  return {
    uuid: WHOAMI_UUID,
    version: WHOAMI_VERSION,
    name: 'authso whoami',
    security,
    opnums: {
      0: async (_stub, call) => ndr.ndrEncode(WHOAMI_INFO, whoamiInfo(call)),
      1: async (stub) => {
        const r = new ndr.NdrReader(stub);
        const v = ndr.readNdr(r, ECHO_IN);
        return ndr.ndrEncode(ECHO_OUT, { data: v.data });
      },
    },
  };
}
