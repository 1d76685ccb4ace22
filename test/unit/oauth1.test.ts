import { describe, expect, it } from "vitest";
import { oauth1Header } from "../../src/auth/oauth1";
import { applyAuth, type OutboundRequest } from "../../src/auth/outbound";

// An independent RFC 5849 implementation (not the oauth-1.0a package) to check the headers against.

/** §3.6: everything but ALPHA / DIGIT / "-" / "." / "_" / "~" is percent-encoded, uppercase hex. */
function pct(value: string): string {
  return Array.from(new TextEncoder().encode(value), (byte) => {
    const char = String.fromCharCode(byte);
    return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}

/** §3.5.1: `OAuth name="value", …`, values percent-encoded. */
function parseHeader(header: string): Record<string, string> {
  expect(header.startsWith("OAuth ")).toBe(true);
  const params: Record<string, string> = {};
  for (const [, name, value] of header.slice(6).matchAll(/([A-Za-z0-9_%.~-]+)="([^"]*)"/g)) {
    params[decodeURIComponent(name)] = decodeURIComponent(value);
  }
  return params;
}

/** §3.4.1: method, base string URI and normalized parameters (query, form body, oauth_* but the signature). */
function baseString(method: string, url: string, oauth: Record<string, string>, formBody?: string): string {
  const parsed = new URL(url);
  // §3.4.1.2: lowercase scheme and host, no default port, no query: what WHATWG URL's host already gives.
  const baseUri = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  const pairs: Array<[string, string]> = [];
  // §3.4.1.3.1: query and form body are decoded as application/x-www-form-urlencoded.
  for (const [name, value] of new URLSearchParams(parsed.search)) pairs.push([name, value]);
  if (formBody !== undefined) for (const [name, value] of new URLSearchParams(formBody)) pairs.push([name, value]);
  for (const [name, value] of Object.entries(oauth))
    if (name !== "oauth_signature" && name !== "realm") pairs.push([name, value]);
  const normalized = pairs
    .map(([name, value]) => [pct(name), pct(value)])
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
  return `${method.toUpperCase()}&${pct(baseUri)}&${pct(normalized)}`;
}

async function hmacBase64(hash: "SHA-1" | "SHA-256", key: string, text: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...mac));
}

/** Recomputes the signature of a request from its header, as a service provider would. */
async function verify(
  request: OutboundRequest,
  secrets: { consumer: string; token?: string },
  formBody?: string,
): Promise<Record<string, string>> {
  const oauth = parseHeader(request.headers.authorization);
  const hash = oauth.oauth_signature_method === "HMAC-SHA256" ? "SHA-256" : "SHA-1";
  const key = `${pct(secrets.consumer)}&${pct(secrets.token ?? "")}`;
  const expected = await hmacBase64(hash, key, baseString(request.method, request.url, oauth, formBody));
  expect(oauth.oauth_signature).toBe(expected);
  return oauth;
}

const credentials = {
  type: "oauth1" as const,
  consumer_key: "9djdj82h48djs9d2",
  consumer_secret: "j49sk3j29djd",
  token: "kkk9d7dh3k39sjv7",
  token_secret: "dh893hdasih9",
};

const context = { tokens: { get: async () => null, put: async () => {}, drop: async () => {} } };

describe("OAuth 1.0a request signing", () => {
  it("the test's own base string matches RFC 5849 §3.4.1.1's worked example", () => {
    const base = baseString(
      "POST",
      "http://EXAMPLE.COM:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
      {
        oauth_consumer_key: "9djdj82h48djs9d2",
        oauth_token: "kkk9d7dh3k39sjv7",
        oauth_signature_method: "HMAC-SHA1",
        oauth_timestamp: "137131201",
        oauth_nonce: "7d8f3e4a",
        oauth_signature: "bYT5CMsGcbgUdFHObYMEfcx6bsw=",
        realm: "Example",
      },
      "c2&a3=2+q",
    );
    expect(base).toBe(
      "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7",
    );
  });

  for (const method of ["HMAC-SHA1", "HMAC-SHA256"] as const) {
    it(`signs a JSON push to a URL with query parameters (${method}); the JSON body is not signed`, async () => {
      const now = Date.UTC(2026, 10, 21, 12, 0, 0);
      const request: OutboundRequest = {
        url: "https://crm.example/api/events?tenant=acme&tag=b&tag=a&q=a+b%2Bc&empty=&sp%20ace=%E2%9C%93",
        method: "POST",
        headers: { "content-type": "application/json", "x-other": "1" },
        body: '{"hello":"world","a":1}',
      };
      const signed = await applyAuth(
        request,
        { ...credentials, signature_method: method },
        { ...context, now: () => now },
      );
      expect(signed.url).toBe(request.url);
      expect(signed.body).toBe(request.body);
      expect(signed.headers["x-other"]).toBe("1");
      const oauth = await verify(signed, { consumer: credentials.consumer_secret, token: credentials.token_secret });
      expect(oauth).toMatchObject({
        oauth_consumer_key: credentials.consumer_key,
        oauth_token: credentials.token,
        oauth_signature_method: method,
        oauth_timestamp: String(now / 1000),
        oauth_version: "1.0",
      });
      expect(oauth.oauth_nonce).toMatch(/^[0-9a-f]{32}$/);
      const tampered = { ...signed, url: signed.url.replace("tenant=acme", "tenant=other") };
      await expect(
        verify(tampered, { consumer: credentials.consumer_secret, token: credentials.token_secret }),
      ).rejects.toThrow();
      const again = await applyAuth(request, { ...credentials, signature_method: method }, context);
      expect(parseHeader(again.headers.authorization).oauth_nonce).not.toBe(oauth.oauth_nonce);
    });
  }

  it("signs form-urlencoded body parameters together with the query (repeated names kept)", async () => {
    const request: OutboundRequest = {
      url: "http://Example.COM:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
      method: "post",
      headers: { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" },
      body: "c2&a3=2+q",
    };
    for (const method of ["HMAC-SHA1", "HMAC-SHA256"] as const) {
      const signed = await applyAuth(request, { ...credentials, signature_method: method }, context);
      await verify(signed, { consumer: credentials.consumer_secret, token: credentials.token_secret }, request.body);
    }
  });

  it("works without a token (two-legged): no oauth_token, signing key ends in '&'", async () => {
    const request: OutboundRequest = {
      url: "https://origin.example/api/profiles/42?expand=all",
      method: "GET",
      headers: {},
      body: "",
    };
    const header = oauth1Header(
      request,
      { type: "oauth1", consumer_key: "ck", consumer_secret: "c s!", signature_method: "HMAC-SHA256" },
      Date.now(),
    );
    const oauth = await verify({ ...request, headers: { authorization: header } }, { consumer: "c s!" });
    expect(oauth.oauth_token).toBeUndefined();
  });

  it("replaces an Authorization header set by the destination's own headers", async () => {
    const signed = await applyAuth(
      { url: "https://crm.example/x", method: "POST", headers: { Authorization: "Bearer stale" }, body: "{}" },
      { ...credentials, signature_method: "HMAC-SHA1" },
      context,
    );
    expect(Object.keys(signed.headers).filter((name) => name.toLowerCase() === "authorization")).toEqual([
      "authorization",
    ]);
    expect(signed.headers.authorization.startsWith("OAuth ")).toBe(true);
  });
});
