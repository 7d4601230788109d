// Public API of the Kerberos crypto layer (RFC 3961 framework; RFC 3962, 8009 and 4757 types).

export * from './types.js';
export {
  ENCTYPE_PREFERENCE,
  checksumProfile,
  checksumTypeForEnctype,
  enctypeProfile,
  findChecksum,
  findEnctype,
  findEnctypeByName,
  supportedEnctypes,
} from './registry.js';
export { ntHash } from './nt-owf.js';
export { md4 } from './md4.js';
export { Rc4, rc4 } from './rc4.js';
export { nfold } from './nfold.js';
export { aesCfb8Decrypt, aesCfb8Encrypt } from './cfb8.js';
export { aesCtsDecrypt, aesCtsEncrypt } from './aes-cts.js';
export { MAX_S2K_ITERATIONS, s2kParams } from './s2k-params.js';
export { clearDerivedKeyCache } from './key-cache.js';
