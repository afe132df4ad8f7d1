const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END \1-----/g;

export interface PemBlock {
  readonly label: string;
  /** Normalised text: 64-column base64, LF line ends, trailing newline. */
  readonly pem: string;
  readonly der: Uint8Array;
}

export function encodePem(label: string, der: Uint8Array | ArrayBuffer): string {
  const b64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  // Trailing newline so `cat a.pem b.pem` (what istio's Makefile does) stays valid PEM.
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export function splitPem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const label = match[1] ?? '';
    const der = new Uint8Array(Buffer.from((match[2] ?? '').replace(/\s+/g, ''), 'base64'));
    blocks.push({ label, der, pem: encodePem(label, der) });
  }
  return blocks;
}

export function certificateBlocks(text: string): PemBlock[] {
  return splitPem(text).filter((b) => b.label === 'CERTIFICATE');
}

/** Compares certificates by DER so line-ending or wrapping differences do not matter. */
export function sameDer(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** True when two PEM texts hold the same certificates, in order (by DER). */
export function sameCertificates(a: string, b: string): boolean {
  const x = certificateBlocks(a);
  const y = certificateBlocks(b);
  return x.length > 0 && x.length === y.length && x.every((c, i) => sameDer(c.der, y[i]!.der));
}
