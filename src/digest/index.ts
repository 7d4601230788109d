export * from './protocol.js';
export * from './nonce.js';
export { deriveWDigest, digestHa1, matchingVariants, wdigestHash, wdigestVariants, WDIGEST_HASH_COUNT, type WDigestNames } from '../directory/wdigest.js';
export * from './apds.js';
