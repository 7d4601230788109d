// The DC side of offline domain join: the provisioning blob for a computer account just created
// (src/member/state.ts describes the model).

import type { Directory } from '../directory/directory.js';
import { PROVISION_KIND, writeSecretJson, type DcAddress, type ProvisionBlob } from './state.js';

/** The blob for computer `name` whose current password is `machinePassword`. */
export async function provisionBlobFor(directory: Directory, name: string, machinePassword: string, dc?: DcAddress): Promise<ProvisionBlob> {
  const d = await directory.getDomain();
  const entry = await directory.findClient(name.endsWith('$') ? name : `${name}$`);
  if (!entry || entry.account.kind !== 'computer') throw new Error(`no computer account ${name}$`);
  const a = entry.account;
  return {
    kind: PROVISION_KIND,
    version: 1,
    realm: d.realm,
    netbiosDomainName: d.netbiosName,
    dnsDomainName: d.dnsName,
    domainSid: d.sid,
    computerName: a.samAccountName.slice(0, -1).toUpperCase(),
    accountName: a.samAccountName,
    dnsHostName: a.dnsHostName ?? `${a.samAccountName.slice(0, -1).toLowerCase()}.${d.dnsName}`,
    machinePassword,
    kvno: entry.secrets.current.kvno,
    spns: [...a.servicePrincipalNames],
    dc,
  };
}

/** Writes the blob 0600 (it holds the one-time machine password). */
export async function writeProvisionBlob(path: string, blob: ProvisionBlob): Promise<void> {
  await writeSecretJson(path, blob);
}
