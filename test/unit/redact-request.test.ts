import { describe, expect, it } from "vitest";
import type { Auth } from "../../src/domain/auth";
import { HEADERS_BUDGET_BYTES, redactRequest, TRUNCATED_MARKER } from "../../src/domain/redact-request";

const R = "[redacted]";
const none: Auth = { type: "none" };
const sent = (headers: Record<string, string>, url = "https://crm.example/api/events") => ({
  method: "POST",
  url,
  headers,
});
const bytes = (text: string) => new TextEncoder().encode(text).length;

describe("redactRequest: headers", () => {
  it("redacts credential headers whatever their case, and leaves the rest as sent", () => {
    const { headers } = redactRequest(
      sent({
        Authorization: "Bearer abc.def.ghi",
        "PROXY-AUTHORIZATION": "Basic dXNlcjpwYXNz",
        cookie: "sid=1",
        "X-Client-Secret": "s3",
        "x-access-TOKEN": "t0",
        "webhook-signature": "v1,sig",
        "X-API-KEY": "k",
        "X-Password": "p",
        "content-type": "application/json",
        "user-agent": "syndic/1",
        "webhook-id": "dlv_1",
        "X-Tenant": "acme",
      }),
      none,
    );
    expect(headers).toEqual({
      Authorization: R,
      "PROXY-AUTHORIZATION": R,
      cookie: R,
      "X-Client-Secret": R,
      "x-access-TOKEN": R,
      "webhook-signature": R,
      "X-API-KEY": R,
      "X-Password": R,
      "content-type": "application/json",
      "user-agent": "syndic/1",
      "webhook-id": "dlv_1",
      "X-Tenant": "acme",
    });
  });

  it("redacts every spelling of a repeated header, and the api_key auth's header by name in any case", () => {
    const auth: Auth = { type: "api_key", header: "X-Hapi", value: "hv-1234567" };
    const { headers } = redactRequest(
      sent({ authorization: "Bearer a1", Authorization: "Bearer b2", "x-hapi": "hv-1234567", "X-HAPI": "other" }),
      auth,
    );
    expect(headers).toEqual({ authorization: R, Authorization: R, "x-hapi": R, "X-HAPI": R });
  });

  it("redacts a header whose value carries a credential, whatever the header is called", () => {
    const auth: Auth = { type: "bearer", token: "tok-9f8e7d" };
    const { headers } = redactRequest(sent({ "X-Echo": "prefix tok-9f8e7d suffix", "X-Plain": "tok" }), auth);
    expect(headers).toEqual({ "X-Echo": R, "X-Plain": "tok" });
  });

  it("folds look-alike names and keeps unicode values that are not secret", () => {
    const { headers } = redactRequest(sent({ "X-ｔｏｋｅｎ": "v", "X-Name": "Zoë 東京 🔑" }), none);
    expect(headers).toEqual({ "X-ｔｏｋｅｎ": R, "X-Name": "Zoë 東京 🔑" });
  });

  it("keeps a header named __proto__ as a header", () => {
    const { headers } = redactRequest(sent(Object.fromEntries([["__proto__", "x"]])), none);
    expect(Object.keys(headers)).toEqual(["__proto__"]);
    expect(JSON.parse(JSON.stringify(headers))).toEqual(Object.fromEntries([["__proto__", "x"]]));
  });

  it("caps the headers: one huge value is cut, many values stop at the budget with a marker", () => {
    const huge = redactRequest(sent({ "X-Huge": "é".repeat(50_000), "content-type": "application/json" }), none);
    expect(bytes(huge.headers["X-Huge"])).toBeLessThanOrEqual(1024);
    expect(huge.headers["X-Huge"].endsWith("…")).toBe(true);
    expect(huge.headers["content-type"]).toBe("application/json");

    // A cut never splits a code point (an emoji is two UTF-16 units).
    const emoji = redactRequest(sent({ "X-E": "🔑".repeat(1000) }), none).headers["X-E"];
    expect(emoji).toMatch(/^(🔑)+…$/u);

    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`X-H${i}`, "v".repeat(900)]));
    const capped = redactRequest(sent(many), none).headers;
    expect(bytes(JSON.stringify(capped))).toBeLessThanOrEqual(HEADERS_BUDGET_BYTES);
    expect(capped["X-H0"]).toBe("v".repeat(900));
    expect(capped[TRUNCATED_MARKER]).toMatch(/^\d+ more headers not kept$/);
    const kept = Object.keys(capped).length - 1;
    expect(capped[TRUNCATED_MARKER]).toBe(`${40 - kept} more headers not kept`);
  });
});

describe("redactRequest: URL", () => {
  it("redacts userinfo", () => {
    expect(redactRequest(sent({}, "https://user:pa%40ss@crm.example:8443/p?a=1"), none).url).toBe(
      `https://${R}@crm.example:8443/p?a=1`,
    );
    expect(redactRequest(sent({}, "https://onlyuser@crm.example/p"), none).url).toBe(`https://${R}@crm.example/p`);
  });

  it("redacts the api_key auth's query parameter in any case, repeated, and keeps the rest as sent", () => {
    const auth: Auth = { type: "api_key", query: "hapi", value: "qv-2b8e41d0" };
    const { url } = redactRequest(sent({}, "https://crm.example/api?HAPI=qv-2b8e41d0&page=2&hapi=x&q=a%20b"), auth);
    expect(url).toBe(`https://crm.example/api?HAPI=${R}&page=2&hapi=${R}&q=a%20b`);
    expect(new URL(url).searchParams.get("page")).toBe("2");
  });

  it("redacts parameters named like secrets, also when percent-encoded or unicode", () => {
    const { url } = redactRequest(
      sent({}, "https://crm.example/x?api%5Fkey=1&%E2%80%8Btoken=2&Client_Secret=3&sig=4&password=5&name=%C3%A9&flag"),
      none,
    );
    expect(url).toBe(
      `https://crm.example/x?api%5Fkey=${R}&%E2%80%8Btoken=${R}&Client_Secret=${R}&sig=4&password=${R}&name=%C3%A9&flag`,
    );
  });

  it("redacts a parameter whose value carries a credential, even encoded", () => {
    const auth: Auth = { type: "basic", username: "u", password: "pässwörd" };
    const { url } = redactRequest(sent({}, `https://crm.example/x?echo=${encodeURIComponent("pässwörd")}&n=1`), auth);
    expect(url).toBe(`https://crm.example/x?echo=${R}&n=1`);
  });

  it("shows no query value when the auth is not at hand, and drops the fragment that is never sent", () => {
    expect(redactRequest(sent({}, "https://crm.example/x?code=abc&n=1#frag"), null).url).toBe(
      `https://crm.example/x?code=${R}&n=${R}`,
    );
  });

  it("keeps an IDN host and a unicode path as the URL parser sent them", () => {
    const { url } = redactRequest(sent({}, "https://bücher.example/ünï?x=1"), none);
    expect(url).toBe("https://xn--bcher-kva.example/%C3%BCn%C3%AF?x=1");
  });

  it("does not throw on a URL it cannot parse: it shows nothing of it", () => {
    expect(redactRequest(sent({}, "not a url"), none).url).toBe(R);
  });
});

describe("redactRequest: credentials of every auth type", () => {
  const cases: Array<[Auth, string[]]> = [
    [
      { type: "oauth2", token_url: "https://id.example/token", client_id: "cid-1", client_secret: "cs-12345" },
      ["cs-12345"],
    ],
    [
      {
        type: "oauth1",
        consumer_key: "ck-1",
        consumer_secret: "cs-abcdef",
        token: "ot-abcdef",
        token_secret: "ts-abcdef",
        signature_method: "HMAC-SHA1",
      },
      ["cs-abcdef", "ot-abcdef", "ts-abcdef"],
    ],
    [{ type: "jwt", algorithm: "HS256", key: "jwt-key-123", claims: {}, ttl: 300 }, ["jwt-key-123"]],
  ];
  for (const [auth, secrets] of cases) {
    it(`${auth.type}: no secret survives in headers or query`, () => {
      const headers = Object.fromEntries(secrets.map((secret, i) => [`X-Echo-${i}`, `v ${secret}`]));
      const query = secrets.map((secret, i) => `e${i}=${encodeURIComponent(secret)}`).join("&");
      const out = redactRequest(sent(headers, `https://crm.example/x?${query}`), auth);
      const text = JSON.stringify(out);
      for (const secret of secrets) expect(text).not.toContain(secret);
    });
  }
});
