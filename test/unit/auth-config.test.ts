import { describe, expect, it } from "vitest";
import { Auth, publicAuth } from "../../src/domain/auth";

const SECRET = "s3cr3t-value-that-must-stay-home";

/** One config of every type, each credential field holding SECRET. */
const configs: unknown[] = [
  { type: "none" },
  { type: "api_key", header: "x-api-key", value: SECRET },
  { type: "api_key", query: "key", value: SECRET },
  { type: "basic", username: "crm-user", password: SECRET },
  { type: "bearer", token: SECRET },
  {
    type: "oauth2",
    token_url: "https://crm.example/oauth/token",
    client_id: SECRET,
    client_secret: SECRET,
    scope: "events:write",
  },
  { type: "oauth1", consumer_key: SECRET, consumer_secret: SECRET, token: SECRET, token_secret: SECRET },
  { type: "jwt", algorithm: "HS256", key: SECRET, claims: { iss: "syndic" } },
];

describe("outbound auth configs", () => {
  it("read back with their type and non-secret names, never a credential", () => {
    for (const config of configs) {
      const shown = publicAuth(Auth.parse(config));
      expect(shown.type).toBe((config as { type: string }).type);
      expect(JSON.stringify(shown)).not.toContain(SECRET);
    }
  });

  it("keep what an operator needs to recognise them", () => {
    expect(publicAuth(Auth.parse(configs[1]))).toEqual({ type: "api_key", header: "x-api-key" });
    expect(publicAuth(Auth.parse(configs[2]))).toEqual({ type: "api_key", query: "key" });
    expect(publicAuth(Auth.parse(configs[5]))).toEqual({
      type: "oauth2",
      token_url: "https://crm.example/oauth/token",
      scope: "events:write",
      audience: undefined,
    });
    expect(publicAuth(Auth.parse(configs[6]))).toEqual({ type: "oauth1", signature_method: "HMAC-SHA1" });
    expect(publicAuth(Auth.parse(configs[7]))).toEqual({
      type: "jwt",
      algorithm: "HS256",
      claims: { iss: "syndic" },
      ttl: 300,
    });
  });

  it("refuse credentials that would split a header, and unknown types", () => {
    expect(Auth.safeParse({ type: "bearer", token: "abc\r\nx-injected: 1" }).success).toBe(false);
    expect(Auth.safeParse({ type: "api_key", header: "bad header", value: "v" }).success).toBe(false);
    expect(Auth.safeParse({ type: "bearer", token: "" }).success).toBe(false);
    expect(Auth.safeParse({ type: "kerberos" }).success).toBe(false);
  });
});
