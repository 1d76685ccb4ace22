/** Scheme, host and port: what a stored credential is tied to. A URL template's `{id}` never reaches the host. */
export function originOf(url: string): string | null {
  try {
    return new URL(url.replaceAll(/\{[a-z_]+\}/g, "x")).origin;
  } catch {
    return null;
  }
}

/** True when `to` points at another origin than `from`: stored credentials must then be given again. */
export function movesOrigin(from: string | undefined, to: string | undefined): boolean {
  if (!from || !to) return false;
  return originOf(from) !== originOf(to);
}
