import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { needsReseal, SealedUnreadable, seal, sealJson, unseal, unsealJson } from "../../src/auth/sealed";
import { newSigningSecret } from "../../src/auth/secrets";
import { webhookHeaders } from "../../src/auth/signature";
import { keySettingProblem } from "../../src/lib/keys";

const KEY = "Y8T/vNMx5JpZG+UHA4as3yxg5NxaNBTJLYc36TrUGm8=";
const NEXT = "kzlJS/NFMfZhkeZ4W9gmhWQqRQ/0WbpSzDAVAvJqd1I=";
const ROW = { table: "destinations", id: "dst_a", field: "auth" };

/** What the relay wrote before rows were bound: "v1:" + base64(iv ‖ AES-GCM without associated data). */
async function legacySeal(key: string, plaintext: string): Promise<string> {
  const raw = Uint8Array.from(atob(key), (c) => c.charCodeAt(0));
  const aes = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aes, new TextEncoder().encode(plaintext)),
  );
  return `v1:${btoa(String.fromCharCode(...iv, ...sealed))}`;
}

describe("secrets at rest", () => {
  it("round-trips AES-GCM with a fresh IV each time, and names the key that sealed it", async () => {
    const a = await seal(KEY, ROW, "s3cret");
    const b = await seal(KEY, ROW, "s3cret");
    expect(a).not.toBe(b);
    expect(a).not.toContain("s3cret");
    expect(a).toMatch(/^v2:[0-9a-f]{8}:/);
    expect(await unseal(KEY, ROW, a)).toBe("s3cret");
    expect(await unsealJson(KEY, ROW, await sealJson(KEY, ROW, { token: "t" }))).toEqual({ token: "t" });
  });

  it("binds a ciphertext to its table, row and field: copied anywhere else it does not open", async () => {
    const sealed = await seal(KEY, ROW, "s3cret");
    for (const elsewhere of [
      { ...ROW, id: "dst_b" },
      { ...ROW, field: "signing_secret" },
      { ...ROW, table: "sources" },
    ]) {
      await expect(unseal(KEY, elsewhere, sealed)).rejects.toBeInstanceOf(SealedUnreadable);
    }
    await expect(unseal(NEXT, ROW, sealed)).rejects.toThrow(/no longer lists/);
    await expect(unseal(KEY, ROW, `${sealed.slice(0, -4)}AAA=`)).rejects.toBeInstanceOf(SealedUnreadable);
  });

  it("rotates: the first key seals, every listed key opens, and older values are marked for resealing", async () => {
    const old = await seal(KEY, ROW, "s3cret");
    const rotated = `${NEXT},${KEY}`;
    expect(await unseal(rotated, ROW, old)).toBe("s3cret");
    expect(await needsReseal(rotated, old)).toBe(true);
    const fresh = await seal(rotated, ROW, "s3cret");
    expect(await needsReseal(rotated, fresh)).toBe(false);
    expect(await unseal(NEXT, ROW, fresh)).toBe("s3cret");
  });

  it("still opens values sealed before rows were bound, with any listed key", async () => {
    const legacy = await legacySeal(KEY, "old secret");
    expect(await unseal(KEY, ROW, legacy)).toBe("old secret");
    expect(await unseal(`${NEXT},${KEY}`, { ...ROW, id: "anything" }, legacy)).toBe("old secret");
    expect(await needsReseal(KEY, legacy)).toBe(true);
  });

  it("refuses keys that are not 32 random bytes", () => {
    expect(keySettingProblem("SECRETS_KEY", KEY)).toBeNull();
    expect(keySettingProblem("SECRETS_KEY", `${NEXT},${KEY}`)).toBeNull();
    expect(keySettingProblem("SECRETS_KEY", "")).toMatch(/not set/);
    expect(keySettingProblem("LINK_SIGNING_KEY", "dev-link-signing-key")).toMatch(/15 bytes/);
    expect(keySettingProblem("LINK_SIGNING_KEY", "change me!")).toMatch(/not base64/);
    expect(keySettingProblem("SECRETS_KEY", btoa("short"))).toMatch(/5 bytes/);
    // 32 bytes, but typed text: base64 of "dev-secrets-key-32-bytes-long-!!"
    expect(keySettingProblem("SECRETS_KEY", "ZGV2LXNlY3JldHMta2V5LTMyLWJ5dGVzLWxvbmctISE=")).toMatch(
      /does not look random/,
    );
    expect(keySettingProblem("SECRETS_KEY", `${KEY},weak`)).toMatch(/key 2 of SECRETS_KEY/);
  });
});

describe("signatures", () => {
  it("signs as Standard Webhooks does: the reference library verifies it", async () => {
    const secret = newSigningSecret();
    const body = JSON.stringify({ hello: "wörld" });
    const headers = await webhookHeaders(secret, "dlv_test", body);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });
});
