// Test helper: hex (with any whitespace) to Buffer.
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}
