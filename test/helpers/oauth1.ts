// RFC 5849, written out here independently of the oauth-1.0a package.
const pct = (value: string) =>
  Array.from(new TextEncoder().encode(value), (byte) => {
    const char = String.fromCharCode(byte);
    return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");

/** The signature a request with this `Authorization: OAuth …` header should carry, and the header's parameters. */
export async function oauth1Signature(
  method: string,
  url: string,
  header: string,
  consumerSecret: string,
  tokenSecret: string,
) {
  const oauth = Object.fromEntries(
    Array.from(header.slice("OAuth ".length).matchAll(/([a-z_]+)="([^"]*)"/g), ([, n, v]) => [
      n,
      decodeURIComponent(v),
    ]),
  );
  const parsed = new URL(url);
  const pairs = [...new URLSearchParams(parsed.search)].concat(
    Object.entries(oauth).filter(([name]) => name !== "oauth_signature"),
  );
  const normalized = pairs
    .map(([n, v]) => `${pct(n)}=${pct(v)}`)
    .sort()
    .join("&");
  const base = `${method}&${pct(`${parsed.protocol}//${parsed.host}${parsed.pathname}`)}&${pct(normalized)}`;
  const hash = oauth.oauth_signature_method === "HMAC-SHA256" ? "SHA-256" : "SHA-1";
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(`${pct(consumerSecret)}&${pct(tokenSecret)}`),
    { name: "HMAC", hash },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(base)));
  return { oauth, expected: btoa(String.fromCharCode(...mac)) };
}
