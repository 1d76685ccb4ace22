import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { constantTimeEqual, decrypt, encrypt, newSigningSecret } from "../../src/auth/secrets";
import { webhookHeaders } from "../../src/auth/signature";

const KEY = "dGVzdC1zZWNyZXRzLWtleS0zMi1ieXRlcy1sb25nISE=";

describe("secrets at rest and signatures", () => {
  it("round-trips AES-GCM, with a fresh IV each time, and refuses another key", async () => {
    const a = await encrypt(KEY, "s3cret");
    const b = await encrypt(KEY, "s3cret");
    expect(a).not.toBe(b);
    expect(a).not.toContain("s3cret");
    expect(await decrypt(KEY, a)).toBe("s3cret");
    await expect(decrypt("another-key", a)).rejects.toThrow();
  });

  it("compares in constant time", async () => {
    expect(await constantTimeEqual("abc", "abc")).toBe(true);
    expect(await constantTimeEqual("abc", "abd")).toBe(false);
    expect(await constantTimeEqual("abc", "abcd")).toBe(false);
  });

  it("signs as Standard Webhooks does: the reference library verifies it", async () => {
    const secret = newSigningSecret();
    const body = JSON.stringify({ hello: "wörld" });
    const headers = await webhookHeaders(secret, "dlv_test", body);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });
});
