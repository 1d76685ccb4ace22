import type { InboundHmacRule, InboundRules } from "../domain/inbound";
import { ipInCidrs } from "../lib/cidr";
import { fromBase64, toBase64, toHex, utf8 } from "../lib/encoding";
import { Problem } from "../lib/problem";

export interface InboundRequest {
  ip: string | null;
  headers: Headers;
  body: Uint8Array;
  now: number;
}

async function hmac(algorithm: InboundHmacRule["algorithm"], secret: string, message: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    utf8.encode(secret),
    { name: "HMAC", hash: algorithm === "sha1" ? "SHA-1" : "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}

function decodeSignature(text: string, encoding: InboundHmacRule["encoding"]): Uint8Array | null {
  try {
    if (encoding === "base64") return fromBase64(text);
    if (!/^[0-9a-f]*$/i.test(text) || text.length % 2) return null;
    return new Uint8Array(text.match(/../g)?.map((pair) => Number.parseInt(pair, 16)) ?? []);
  } catch {
    return null;
  }
}

/**
 * Checks a source's inbound rules before anything is stored: the caller's IP against the allowlist (403), and the
 * HMAC of the raw body — or of "{timestamp}.{body}" when a timestamp header is configured — in constant time (401).
 */
export async function verifyInbound(config: InboundRules | null, secret: string | undefined, request: InboundRequest) {
  if (!config) return;
  if (config.ip_allowlist?.length && !(request.ip && ipInCidrs(request.ip, config.ip_allowlist))) {
    throw new Problem(403, "Forbidden", "the caller's IP address is not on this source's allowlist");
  }
  const rule = config.hmac;
  if (!rule || !secret) return;
  const header = request.headers.get(rule.header);
  const value =
    header && rule.prefix ? (header.startsWith(rule.prefix) ? header.slice(rule.prefix.length) : null) : header;
  const given = value ? decodeSignature(value.trim(), rule.encoding) : null;
  if (!given) throw new Problem(401, "Unauthorized", `missing or malformed ${rule.header} signature`);
  let message = request.body;
  if (rule.timestamp_header) {
    const timestamp = Number(request.headers.get(rule.timestamp_header));
    const tolerance = rule.tolerance_s ?? 300;
    if (!Number.isFinite(timestamp) || Math.abs(request.now / 1000 - timestamp) > tolerance) {
      throw new Problem(401, "Unauthorized", `${rule.timestamp_header} is missing or outside ${tolerance} s`);
    }
    const prefix = utf8.encode(`${request.headers.get(rule.timestamp_header)}.`);
    message = new Uint8Array(prefix.length + request.body.length);
    message.set(prefix);
    message.set(request.body, prefix.length);
  }
  const expected = await hmac(rule.algorithm, secret, message);
  const same = given.length === expected.length && crypto.subtle.timingSafeEqual(given, expected);
  if (!same) throw new Problem(401, "Unauthorized", `the ${rule.header} signature does not match the body`);
}

/** For tests and docs: the signature an origin would send. */
export async function signInbound(
  rule: Pick<InboundHmacRule, "algorithm" | "encoding">,
  secret: string,
  body: string,
): Promise<string> {
  const mac = await hmac(rule.algorithm, secret, utf8.encode(body));
  return rule.encoding === "hex" ? toHex(mac) : toBase64(mac);
}
