// MS-PAC: the Privilege Attribute Certificate codec and signatures.

export * from './types.js';
export { PacError } from './errors.js';
export { FILETIME_NEVER, dateToFileTime, fileTimeToDate } from './filetime.js';
export { encodePac, decodePac, encodePacWithLayout, decodePacWithLayout, findPacBuffer, type PacBufferLocation } from './pac.js';
export {
  encodeKerbValidationInfo,
  decodeKerbValidationInfo,
  KERB_VALIDATION_INFO,
  PKERB_VALIDATION_INFO,
  GROUP_MEMBERSHIP,
  KERB_SID_AND_ATTRIBUTES,
} from './validation-info.js';
export {
  encodePacClientInfo,
  decodePacClientInfo,
  encodeUpnDnsInfo,
  decodeUpnDnsInfo,
  encodePacSignatureData,
  decodePacSignatureData,
  encodePacRequestor,
  decodePacRequestor,
  encodePacAttributesInfo,
  decodePacAttributesInfo,
  PAC_SIGNATURE_SIZE,
  UPN_DNS_FLAG,
  PAC_ATTRIBUTE,
} from './buffers.js';
export {
  signPac,
  verifyPacServerSignature,
  verifyPacKdcSignature,
  resignPac,
  getPacSignatures,
  PAC_SIGNATURE_BUFFER_TYPES,
} from './signature.js';
