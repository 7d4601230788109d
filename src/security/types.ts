// The one security-context interface (SSPI / GSS-API shape) every mechanism implements —
// Kerberos, NTLM, Negotiate, and later Digest, Basic and TLS client certificates — so that
// HTTP, SMB, RPC and LDAP carry tokens without knowing which mechanism made them.

import type { SidAndAttributes } from '../pac/types.js';

export type MechanismName = 'Kerberos' | 'NTLM' | 'Negotiate' | 'Digest' | 'Basic' | 'Certificate' | 'Netlogon';

/** What one step of the handshake produced. `output` goes to the peer (possibly empty). */
export interface Step {
  done: boolean;
  output?: Buffer;
}

/** Negotiated context properties (GSS req/ret flags, SSPI ISC_REQ/ASC_RET). */
export interface ContextFlags {
  mutual: boolean;
  delegate: boolean;
  integrity: boolean;
  confidentiality: boolean;
  replayDetect: boolean;
  sequenceDetect: boolean;
  anonymous: boolean;
  /** MS-KILE 3.2.5.2 / MS-RPCE: DCE-style (three-leg) Kerberos. */
  dceStyle: boolean;
}

export const NO_FLAGS: ContextFlags = Object.freeze({
  mutual: false,
  delegate: false,
  integrity: false,
  confidentiality: false,
  replayDetect: false,
  sequenceDetect: false,
  anonymous: false,
  dceStyle: false,
});

export interface SecurityContext {
  readonly mechanism: MechanismName;
  readonly role: 'initiator' | 'acceptor';
  /** Feeds the peer's token (none for an initiator's first step). Never throws anything but SecurityError. */
  step(input?: Buffer): Promise<Step>;
  readonly done: boolean;
  /** Acceptor: who the peer is, once done. */
  readonly peer?: LogonToken;
  /** Initiator: the authenticated target name; acceptor: the client's principal/user name. */
  readonly peerName?: string;
  /**
   * Acceptor: the name the client claimed, before (or despite) validation — for audit lines of
   * failed logons. Never trusted for anything else.
   */
  readonly claimedName?: string;
  readonly sessionKey?: Buffer;
  readonly flags: ContextFlags;
  /** Integrity (GSS MIC / NTLM signature). `verify` throws SecurityError(SEC_E_MESSAGE_ALTERED | SEC_E_OUT_OF_SEQUENCE). */
  sign(message: Buffer): Buffer;
  verify(message: Buffer, signature: Buffer): void;
  /** Confidentiality (GSS Wrap / NTLM seal). */
  seal(message: Buffer): Buffer;
  unseal(token: Buffer): Buffer;
}

/** SSPI status codes (MS-ERREF 2.1) the transports map to their own replies. */
export const SEC_E = {
  OK: 0,
  CONTINUE_NEEDED: 0x00090312,
  INSUFFICIENT_MEMORY: 0x80090300,
  INVALID_HANDLE: 0x80090301,
  UNSUPPORTED_FUNCTION: 0x80090302,
  TARGET_UNKNOWN: 0x80090303,
  SECPKG_NOT_FOUND: 0x80090305,
  INTERNAL_ERROR: 0x80090304,
  NO_CREDENTIALS: 0x8009030e,
  INVALID_TOKEN: 0x80090308,
  LOGON_DENIED: 0x8009030c,
  MESSAGE_ALTERED: 0x8009030f,
  OUT_OF_SEQUENCE: 0x80090310,
  QOP_NOT_SUPPORTED: 0x8009030a,
  WRONG_PRINCIPAL: 0x80090322,
  TIME_SKEW: 0x80090324,
  BAD_BINDINGS: 0x80090346,
  DOWNGRADE_DETECTED: 0x80090350,
  INCOMPLETE_MESSAGE: 0x80090318,
  CONTEXT_EXPIRED: 0x80090317,
  KDC_UNKNOWN_ETYPE: 0x80090342,
  NO_AUTHENTICATING_AUTHORITY: 0x80090311,
} as const;

/**
 * A typed failure: the SSPI code, plus the NTSTATUS (account restrictions, wrong password)
 * and/or Kerberos error code when one caused it. Messages never contain secrets.
 */
export class SecurityError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details: { ntstatus?: number; krbError?: number } = {},
  ) {
    super(message);
    this.name = 'SecurityError';
  }
}

export type LogonType = 'interactive' | 'network' | 'networkCleartext' | 'batch' | 'service';

/**
 * The spec's UserLogonToken (MS-AUTHSO 3.5): who the caller is, in Windows terms. Built from a
 * PAC (Kerberos) or from NETLOGON_VALIDATION_SAM_INFO4 (NTLM, Digest) — the same type either way
 * (src/security/logon-token.ts).
 */
export interface LogonToken {
  userSid: string;
  primaryGroupSid: string;
  /** Every group SID with its SE_GROUP_* attributes, including the well-known ones. */
  groups: SidAndAttributes[];
  /** SE_* privilege names. */
  privileges: string[];
  logonType: LogonType;
  authPackage: MechanismName;
  userName: string; // sAMAccountName
  domainName: string; // NetBIOS domain name
  dnsDomainName?: string;
  upn?: string;
  logonServer: string;
  profile: { fullName: string; homeDirectory: string; homeDrive: string; logonScript: string; profilePath: string };
  userAccountControl: number; // MS-SAMR USER_* codes
  logonTime?: Date;
  /** The context's session key (never logged). */
  sessionKey?: Buffer;
}

/** MS-NLMP 3.3.2 / MS-APDS 3.1: what an NTLM acceptor hands to the domain for validation. */
export interface NtlmValidationRequest {
  userName: string;
  domainName: string;
  workstation: string;
  serverChallenge: Buffer; // 8 bytes
  ntResponse: Buffer; // NTLMv2: NTProofStr || temp; NTLMv1: 24 bytes
  lmResponse: Buffer;
  logonType: 'network';
  /** MS-NRPC 2.2.1.4.5 ParameterControl (e.g. MSV1_0_ALLOW_WORKSTATION_TRUST_ACCOUNT). */
  parameterControl: number;
}

/** The answer: SAM_INFO4-equivalent logon data and the session keys MS-NLMP derives from. */
export interface NtlmValidationResult {
  token: LogonToken;
  /** MS-NLMP 3.3.2 SessionBaseKey (the validation info's UserSessionKey). */
  userSessionKey: Buffer;
  lmSessionKey: Buffer;
}

/**
 * MS-APDS 3.3 / MS-DPSP: what a Digest server hands to the domain (the DIGEST_VALIDATION_REQ
 * fields). The domain picks the stored WDigest H(A1) for exactly this username and realm
 * (MS-SAMR 3.1.1.8.11.3.1) and recomputes the response (RFC 7616 3.4.1, qop=auth).
 */
export interface DigestValidationRequest {
  /** As the client sent it: 'alice', 'EXAMPLE\\alice' or a UPN. */
  username: string;
  realm: string;
  nonce: string;
  cnonce: string;
  /** 8 hex digits as sent. */
  nc: string;
  qop: 'auth';
  method: string;
  uri: string;
  /** 32 hex digits. */
  response: string;
  algorithm: 'MD5' | 'MD5-sess';
}

export interface DigestValidationResult {
  token: LogonToken;
  /** The session H(A1) (MS-DPSP session key; the server needs it for rspauth). Never logged. */
  sessionKey?: Buffer;
}

/**
 * What only the domain can decide (MS-APDS). On the DC it is answered from the directory
 * (src/security/directory-authority.ts); on a member over Netlogon (RPC issue). Acceptors do
 * not know which one they hold. Failures are SecurityError with the NTSTATUS in details.
 */
export interface DomainAuthority {
  /** MS-APDS 3.1: NTLM network logon (pass-through). Applies restrictions, bad-password counting and lockout. */
  validateNtlm(req: NtlmValidationRequest): Promise<NtlmValidationResult>;
  /** MS-APDS 3.2: KERB_VERIFY_PAC — is this KDC signature over this server checksum ours? */
  verifyPacKdcSignature(serverChecksum: Buffer, kdcSignatureType: number, kdcSignature: Buffer): Promise<boolean>;
  /** MS-APDS 3.3: Digest validation. Optional: an authority without it cannot serve Digest. */
  validateDigest?(req: DigestValidationRequest): Promise<DigestValidationResult>;
}
