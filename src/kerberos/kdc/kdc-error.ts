// A KDC failure that becomes a KRB-ERROR (RFC 4120 5.9.1). `status` is the NTSTATUS that
// MS-KILE 2.2.1 puts in KERB-EXT-ERROR so Windows-aware clients can tell e.g. a locked
// account from a disabled one; `eData` replaces that when the error carries METHOD-DATA.

export class KdcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly options: { status?: number; eData?: Buffer } = {},
  ) {
    super(message);
    this.name = 'KdcError';
  }
}
