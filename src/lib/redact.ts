/**
 * Values that look like credentials are not shown back through the API: a destination's configured headers (an
 * `X-Api-Key` set as a header rather than as auth) and the first kilobyte of a destination's answer, which CRMs
 * fill with echoes of the request or freshly issued tokens. Redacted at presentation: the stored row keeps the
 * truth for the operator with database access, nothing secret leaves through the API.
 */
const CREDENTIAL_NAME = /authorization|cookie|key|token|secret|passw(or)?d|signature|credential|session/i;
export const REDACTED = "[redacted]";

export function looksSecret(name: string): boolean {
  return CREDENTIAL_NAME.test(name);
}

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, looksSecret(name) ? REDACTED : value]),
  );
}

// "name": "value" in JSON; name=value in forms and queries; "Name: value" in header dumps; Bearer/Basic anywhere.
const JSON_PAIR = /("([^"\\]*(?:\\.[^"\\]*)*)"\s*:\s*)"(?:[^"\\]|\\.)*"/g;
const FORM_PAIR = /(^|[?&\s])([\w.-]+)=([^&\s"]+)/g;
const HEADER_LINE = /(^|\n)([\w-]+):[ \t]*([^\r\n]+)/g;
const SCHEME = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi;

export function redactText(text: string): string {
  return text
    .replace(JSON_PAIR, (whole, head: string, name: string) => (looksSecret(name) ? `${head}"${REDACTED}"` : whole))
    .replace(FORM_PAIR, (whole, lead: string, name: string) =>
      looksSecret(name) ? `${lead}${name}=${REDACTED}` : whole,
    )
    .replace(HEADER_LINE, (whole, lead: string, name: string) =>
      looksSecret(name) ? `${lead}${name}: ${REDACTED}` : whole,
    )
    .replace(SCHEME, (_, scheme: string) => `${scheme} ${REDACTED}`);
}
