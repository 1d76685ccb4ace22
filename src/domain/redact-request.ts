import { looksSecret, REDACTED } from "../lib/redact";
import type { Auth } from "./auth";

/**
 * The request an attempt sent, as it is kept and shown: what an operator following an event needs (where it went,
 * how, with which headers) and nothing that would let them, or anyone reading the API, send it again as us. The body
 * is never kept here: the delivery already holds its payload.
 */
export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** The kept headers as JSON stay under this, so one huge configured header cannot bloat the attempts table. */
export const HEADERS_BUDGET_BYTES = 4096;
/** A single value keeps at most this much, so one header cannot push the others out of the budget. */
const VALUE_BYTES = 1024;
const NAME_BYTES = 256;
const URL_BYTES = 4096;
/** Where the budget ran out: not a valid header name (brackets are not token characters), so it names no real one. */
export const TRUNCATED_MARKER = "[truncated]";
/** Credential values shorter than this are matched by name only: "abc" would redact every header that contains it. */
const MIN_VALUE_MATCH = 4;

const utf8 = new TextEncoder();
const byteLength = (text: string) => utf8.encode(text).length;

/** The name rule (Authorization, Proxy-Authorization, Cookie, *secret*, *token*, *signature*, *key*, *password*…). */
function secretName(name: string): boolean {
  // NFKC folds look-alikes (fullwidth "ｔｏｋｅｎ") into the letters the rule knows.
  return looksSecret(name) || looksSecret(name.normalize("NFKC"));
}

interface Credentials {
  /** Lower-cased names an api_key auth puts its value under. */
  headers: Set<string>;
  queries: Set<string>;
  /** The secrets themselves: a value that carries one is redacted whatever its name. */
  values: string[];
}

function credentialsOf(auth: Auth): Credentials {
  const headers = new Set<string>();
  const queries = new Set<string>();
  let values: Array<string | undefined> = [];
  switch (auth.type) {
    case "api_key":
      if ("header" in auth) headers.add(auth.header.toLowerCase());
      else queries.add(auth.query.toLowerCase());
      values = [auth.value];
      break;
    case "basic":
      values = [auth.password];
      break;
    case "bearer":
      values = [auth.token];
      break;
    case "oauth2":
      values = [auth.client_secret];
      break;
    case "oauth1":
      values = [auth.consumer_secret, auth.token, auth.token_secret];
      break;
    case "jwt":
      values = [auth.key];
      break;
  }
  return {
    headers,
    queries,
    values: values.filter((value): value is string => !!value && value.length >= MIN_VALUE_MATCH),
  };
}

/** Prefix of `text` within `limit` UTF-8 bytes, never splitting a code point, marked when cut. */
function truncate(text: string, limit: number): string {
  if (byteLength(text) <= limit) return text;
  let kept = "";
  let used = byteLength("…");
  for (const point of text) {
    used += byteLength(point);
    if (used > limit) break;
    kept += point;
  }
  return `${kept}…`;
}

function decoded(component: string): string {
  try {
    return decodeURIComponent(component.replace(/\+/g, " "));
  } catch {
    return component;
  }
}

function carriesSecret(value: string, credentials: Credentials): boolean {
  return credentials.values.some((secret) => value.includes(secret));
}

/**
 * The URL as sent with its userinfo and secret query values replaced; the raw query is kept otherwise (repeated
 * parameters, their order and encoding), since that is what the destination saw. The fragment is never sent.
 */
function redactUrl(raw: string, credentials: Credentials | null): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return REDACTED;
  }
  const userinfo = url.username || url.password ? `${REDACTED}@` : "";
  const pairs = url.search
    .slice(1)
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const at = pair.indexOf("=");
      const rawName = at < 0 ? pair : pair.slice(0, at);
      const name = decoded(rawName);
      const secret =
        // Without the auth at hand the parameter an api_key uses is unknown: no query value is shown.
        credentials === null ||
        secretName(name) ||
        secretName(rawName) ||
        credentials.queries.has(name.toLowerCase()) ||
        carriesSecret(decoded(at < 0 ? "" : pair.slice(at + 1)), credentials);
      return secret ? `${rawName}=${REDACTED}` : pair;
    });
  const query = pairs.length ? `?${pairs.join("&")}` : "";
  const origin = url.host ? `${url.protocol}//${userinfo}${url.host}` : url.protocol;
  return truncate(`${origin}${url.pathname}${query}`, URL_BYTES);
}

const droppedNote = (count: number) => `${count} more headers not kept`;

function redactHeaders(headers: Record<string, string>, credentials: Credentials | null): Record<string, string> {
  const kept: Array<[string, string]> = [];
  let used = byteLength("{}");
  let dropped = 0;
  // Room for the marker, so the JSON of the whole map stays within the budget.
  const budget =
    HEADERS_BUDGET_BYTES - byteLength(`,${JSON.stringify([TRUNCATED_MARKER, droppedNote(Number.MAX_SAFE_INTEGER)])}`);
  for (const [name, value] of Object.entries(headers)) {
    const secret =
      secretName(name) ||
      (credentials !== null &&
        (credentials.headers.has(name.toLowerCase()) || carriesSecret(String(value), credentials)));
    const entry: [string, string] = [
      truncate(name, NAME_BYTES),
      secret ? REDACTED : truncate(String(value), VALUE_BYTES),
    ];
    const cost = byteLength(JSON.stringify(entry[0])) + byteLength(JSON.stringify(entry[1])) + 2;
    if (dropped || used + cost > budget) {
      dropped += 1;
      continue;
    }
    kept.push(entry);
    used += cost;
  }
  if (dropped) kept.push([TRUNCATED_MARKER, droppedNote(dropped)]);
  // fromEntries defines own properties, so a header named "__proto__" is kept as a header, not a prototype.
  return Object.fromEntries(kept);
}

/**
 * The one redaction of a sent request, for attempts and test pushes alike. `auth` is the destination's auth config:
 * it names the header or query parameter an api_key travels in, and every credential value, so a secret is
 * redacted wherever it went. With `auth` null (not at hand) every query value is redacted.
 */
export function redactRequest(request: SentRequest, auth: Auth | null): SentRequest {
  const credentials = auth ? credentialsOf(auth) : null;
  return {
    method: truncate(request.method, NAME_BYTES),
    url: redactUrl(request.url, credentials),
    headers: redactHeaders(request.headers, credentials),
  };
}
