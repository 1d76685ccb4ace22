import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { eventFileName, parseEventFileName } from "../../src/archive/eventfile-name";
import { keyId, LinkError, LinkKeyMissing, linkKeyring, linkUrl, signLink, verifyLink } from "../../src/archive/links";
import { parseRange } from "../../src/routes/zip-download";

const GRANT = { archiveId: "arc_01jfq3zv7k8m2n4p6r8s0t2v4w", subscriberId: "sub_01jfq3zv7k8m2n4p6r8s0t2v4w" };
const NOW = Date.parse("2026-11-22T08:00:00Z");

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LinkError);
  return (error as LinkError).reason;
}

describe("signed links", () => {
  it("a link verifies to the archive, the subscriber and its expiry", async () => {
    const ring = await linkKeyring("key-one");
    const { token, expiresAt } = await signLink(ring, GRANT, 3600, NOW);
    expect(expiresAt).toBe(NOW + 3600 * 1000);
    expect(await verifyLink(ring, token, NOW + 1000)).toEqual({
      ...GRANT,
      expiresAt,
      issuedAt: Math.floor(NOW / 1000),
    });
  });

  it("names its key by kid, the first 8 hex of the key's sha256", async () => {
    const ring = await linkKeyring("key-one");
    const { token } = await signLink(ring, GRANT, 60, NOW);
    const header = JSON.parse(atob(token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/")));
    expect(header).toMatchObject({ alg: "HS256", kid: await keyId("key-one") });
    expect(header.kid).toMatch(/^[0-9a-f]{8}$/);
  });

  it("is valid until exp and refused from exp on", async () => {
    const ring = await linkKeyring("key-one");
    const { token, expiresAt } = await signLink(ring, GRANT, 60, NOW);
    await expect(verifyLink(ring, token, expiresAt - 1000)).resolves.toMatchObject(GRANT);
    expect(await refusal(verifyLink(ring, token, expiresAt))).toBe("expired");
    expect(await refusal(verifyLink(ring, token, expiresAt + 86_400_000))).toBe("expired");
  });

  it("refuses a tampered payload or signature", async () => {
    const ring = await linkKeyring("key-one");
    const { token } = await signLink(ring, GRANT, 3600, NOW);
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    const forged = btoa(JSON.stringify({ ...claims, arc: "arc_01jfq3zv7k8m2n4p6r8s0t2v4x" }))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    expect(await refusal(verifyLink(ring, `${header}.${forged}.${signature}`, NOW))).toBe("bad_signature");
    const flipped = signature.slice(0, -2) + (signature.endsWith("AA") ? "BB" : "AA");
    expect(await refusal(verifyLink(ring, `${header}.${payload}.${flipped}`, NOW))).toBe("bad_signature");
    // An expired token that was also tampered with is refused for its signature, not its age.
    expect(await refusal(verifyLink(ring, `${header}.${forged}.${signature}`, NOW + 7200_000))).toBe("bad_signature");
  });

  it("refuses garbage, other algorithms and tokens made for something else", async () => {
    const ring = await linkKeyring("key-one");
    expect(await refusal(verifyLink(ring, "not-a-token", NOW))).toBe("malformed");
    expect(await refusal(verifyLink(ring, "a.b.c", NOW))).toBe("malformed");
    const unsigned = `${btoa(JSON.stringify({ alg: "none", kid: await keyId("key-one") }))}.${btoa("{}")}.`;
    expect(await refusal(verifyLink(ring, unsigned, NOW))).toBe("malformed");
    // Signed with the right key but without the link audience: some other token, not a link.
    const other = await new SignJWT({ arc: GRANT.archiveId })
      .setProtectedHeader({ alg: "HS256", kid: await keyId("key-one") })
      .setSubject(GRANT.subscriberId)
      .setExpirationTime(Math.floor(NOW / 1000) + 60)
      .sign(new TextEncoder().encode("key-one"));
    expect(await refusal(verifyLink(ring, other, NOW))).toBe("invalid_claims");
  });

  it("refuses a link signed with a key it does not hold, even one claiming a known kid", async () => {
    const ours = await linkKeyring("key-one");
    const theirs = await linkKeyring("key-two");
    const { token } = await signLink(theirs, GRANT, 3600, NOW);
    expect(await refusal(verifyLink(ours, token, NOW))).toBe("unknown_key");
    const impostor = await new SignJWT({ arc: GRANT.archiveId })
      .setProtectedHeader({ alg: "HS256", kid: await keyId("key-one") })
      .setSubject(GRANT.subscriberId)
      .setAudience("syndic:archive-link")
      .setExpirationTime(Math.floor(NOW / 1000) + 60)
      .sign(new TextEncoder().encode("key-two"));
    expect(await refusal(verifyLink(ours, impostor, NOW))).toBe("bad_signature");
  });

  it("after a rotation, new links use the new key and old links work until they expire", async () => {
    const before = await linkKeyring("key-old");
    const old = await signLink(before, GRANT, 3600, NOW);
    const after = await linkKeyring("key-new, key-old");
    const fresh = await signLink(after, GRANT, 3600, NOW);
    expect(after.signing.kid).toBe(await keyId("key-new"));
    await expect(verifyLink(after, old.token, NOW + 60_000)).resolves.toMatchObject(GRANT);
    await expect(verifyLink(after, fresh.token, NOW + 60_000)).resolves.toMatchObject(GRANT);
    expect(await refusal(verifyLink(after, old.token, old.expiresAt))).toBe("expired");
    // Once the old key is dropped, its links stop working; links of the new key do not notice.
    const dropped = await linkKeyring("key-new");
    expect(await refusal(verifyLink(dropped, old.token, NOW + 60_000))).toBe("unknown_key");
    await expect(verifyLink(dropped, fresh.token, NOW + 60_000)).resolves.toMatchObject(GRANT);
    // A link of the new key is unknown to a server still on the old one.
    expect(await refusal(verifyLink(before, fresh.token, NOW))).toBe("unknown_key");
  });

  it("without a key there are no links", async () => {
    await expect(linkKeyring("")).rejects.toBeInstanceOf(LinkKeyMissing);
    await expect(linkKeyring(" , ")).rejects.toBeInstanceOf(LinkKeyMissing);
  });

  it("points at PUBLIC_BASE_URL, or the request's origin when it is empty", () => {
    expect(linkUrl({ PUBLIC_BASE_URL: "https://relay.example/" }, "t", "http://x")).toBe(
      "https://relay.example/v1/links/t",
    );
    expect(linkUrl({ PUBLIC_BASE_URL: "" }, "t", "http://127.0.0.1:8787")).toBe("http://127.0.0.1:8787/v1/links/t");
  });
});

describe("event file names", () => {
  it("a day is its date, a longer period its first and last dates", () => {
    expect(eventFileName({ period_start: "2026-11-21", period_end: "2026-11-21" })).toBe("2026-11-21.zip");
    expect(eventFileName({ period_start: "2026-11-16", period_end: "2026-11-22" })).toBe("2026-11-16_2026-11-22.zip");
    // A partial export says up to when, and never passes for the period's full archive.
    const partial = {
      period_start: "2026-11-21",
      period_end: "2026-11-21",
      partial: true,
      to_ms: Date.parse("2026-11-21T14:30:05.250Z"),
    };
    expect(eventFileName(partial)).toBe("2026-11-21_partial-20261121T143005Z.zip");
    expect(parseEventFileName(eventFileName(partial))).toBeNull();
    expect(eventFileName({ ...partial, partial: false })).toBe("2026-11-21.zip");
    expect(parseEventFileName("2026-11-21.zip")).toEqual({ period_start: "2026-11-21", period_end: "2026-11-21" });
    expect(parseEventFileName("2026-11-16_2026-11-22.zip")).toEqual({
      period_start: "2026-11-16",
      period_end: "2026-11-22",
    });
  });

  it("has one spelling per file and nothing else parses", () => {
    for (const name of [
      "2026-11-21_2026-11-21.zip",
      "2026-11-22_2026-11-16.zip",
      "2026-02-30.zip",
      "2026-11-21",
      "../2026-11-21.zip",
      "2026-11-21.ZIP",
    ]) {
      expect(parseEventFileName(name), name).toBeNull();
    }
  });
});

describe("byte ranges", () => {
  it("reads the one range of a Range header", () => {
    expect(parseRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=90-", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=90-500", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-500", 100)).toEqual({ start: 0, end: 99 });
  });

  it("says when a range is past the end", () => {
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=100-200", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=-0", 100)).toBe("unsatisfiable");
  });

  it("ignores what it does not serve: no header, bad syntax, several ranges", () => {
    for (const header of [null, "", "bytes=", "bytes=-", "items=0-1", "bytes=5-1", "bytes=0-1,5-6"]) {
      expect(parseRange(header, 100), String(header)).toBeNull();
    }
  });
});
