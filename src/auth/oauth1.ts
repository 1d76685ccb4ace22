// nodejs_compat provides node:crypto at runtime (its types come with the test servers' @types packages).
import { createHmac as nodeCreateHmac } from "node:crypto";
import OAuth from "oauth-1.0a";
import type { AuthOf } from "../domain/auth";
import { toHex } from "../lib/encoding";
import type { OutboundRequest } from "./outbound";

type OAuth1Auth = AuthOf<"oauth1">;

interface Hmac {
  update(data: string): Hmac;
  digest(encoding: "base64"): string;
}
const createHmac = nodeCreateHmac as (algorithm: string, key: string) => Hmac;

const DIGESTS = { "HMAC-SHA1": "sha1", "HMAC-SHA256": "sha256" } as const;

function isForm(headers: Record<string, string>): boolean {
  const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === "content-type");
  return !!entry && entry[1].split(";")[0].trim().toLowerCase() === "application/x-www-form-urlencoded";
}

/**
 * The request parameters of RFC 5849 §3.4.1.3: the query and, for a form body, the form fields, decoded the
 * form-urlencoded way ("+" is a space) and kept when repeated. oauth-1.0a's own URL parsing gets "+" and repeated
 * names wrong, so it is handed these parameters and a URL without its query.
 */
function requestParameters(url: URL, request: OutboundRequest): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const seen = params[name];
    params[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  };
  for (const [name, value] of url.searchParams) add(name, value);
  if (request.body && isForm(request.headers)) {
    for (const [name, value] of new URLSearchParams(request.body)) add(name, value);
  }
  return params;
}

/** The `Authorization: OAuth …` value for this request (HMAC-SHA1 or HMAC-SHA256; JSON bodies are not signed). */
export function oauth1Header(request: OutboundRequest, auth: OAuth1Auth, nowMs: number): string {
  const digest = DIGESTS[auth.signature_method];
  const oauth = new OAuth({
    consumer: { key: auth.consumer_key, secret: auth.consumer_secret },
    signature_method: auth.signature_method,
    hash_function: (baseString, key) => createHmac(digest, key).update(baseString).digest("base64"),
  });
  oauth.getTimeStamp = () => Math.floor(nowMs / 1000);
  // The package's nonce comes from Math.random; a nonce is meant to be unguessable.
  oauth.getNonce = () => toHex(crypto.getRandomValues(new Uint8Array(16)));

  const url = new URL(request.url);
  // RFC 5849 §3.4.1.2: scheme and host lowercase (URL does that), default port dropped, no query or fragment.
  const baseUri = `${url.protocol}//${url.host}${url.pathname}`;
  const token = auth.token ? { key: auth.token, secret: auth.token_secret ?? "" } : undefined;
  const signed = oauth.authorize(
    { url: baseUri, method: request.method.toUpperCase(), data: requestParameters(url, request) },
    token ?? (auth.token_secret ? ({ secret: auth.token_secret } as OAuth.Token) : undefined),
  );
  return oauth.toHeader(signed).Authorization;
}
