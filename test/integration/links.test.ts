import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import app from "../../src/app";
import { linkKeyring, signLink } from "../../src/archive/links";
import { deleteArchiveRows } from "../../src/db/retention";
import { ADMIN_TOKEN, api, BASE } from "../helpers/api";
import { bytesOf, storeArchive } from "../helpers/ready-archive";

async function subscriber(archive: Record<string, unknown> = {}) {
  const created = await api("POST", "/v1/admin/subscribers", { name: "BI team", archive });
  expect(created.status).toBe(201);
  return created.body as { id: string; api_key: string };
}

async function mint(archiveId: string, body?: unknown) {
  return api("POST", `/v1/admin/archives/${archiveId}/link`, body);
}

/** Fetches a link (or a path) through the Worker: the URL's host is PUBLIC_BASE_URL, only the path matters here. */
function follow(url: string, init: RequestInit = {}) {
  const pathname = url.startsWith("/") ? url : new URL(url).pathname;
  return exports.default.fetch(`${BASE}${pathname}`, init);
}

async function expectProblem(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = (await res.json()) as { status: number; detail: string };
  expect(body.status).toBe(status);
  return body;
}

/** The app under another configuration: what the Worker would be after `wrangler secret put`. */
function withEnv(overrides: Partial<Env>) {
  const configured = { ...env, ...overrides } as Env;
  return (path: string, init: RequestInit = {}) =>
    app.fetch(new Request(`${BASE}${path}`, init), configured, createExecutionContext());
}

// Keys for the rotation test: random 32 bytes, as the relay requires.
const OLD_KEY = "3N0Yx7Dwu9m5QXc8kC1vJbHq2iRZtLpe6aWgFoKsUy4=";
const NEW_KEY = "Vq8Lw2s9ZcBx4Nf7Rk1Jm6Yh3Td0Pg5Ea8Uo2Ii7Wn4=";

const admin = (body: unknown) => ({
  method: "POST",
  headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe("signed links", () => {
  it("a link downloads the archive: 200, the right bytes, zip headers", async () => {
    const sub = await subscriber();
    const archive = await storeArchive(sub.id, { period_start: "2026-11-21" });
    const link = await mint(archive.id, { ttl: 3600 });
    expect(link.status).toBe(200);
    expect(link.body.url).toMatch(new RegExp(`^${env.PUBLIC_BASE_URL}/v1/links/[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    const expiresIn = Date.parse(link.body.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(3590_000);
    expect(expiresIn).toBeLessThanOrEqual(3600_000);

    const res = await follow(link.body.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="2026-11-21.zip"');
    expect(res.headers.get("etag")).toBe(`"${archive.sha256}"`);
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("content-length")).toBe(String(archive.zip.length));
    expect(await bytesOf(res)).toEqual(archive.zip);
  });

  it("Range gives 206 with the slice asked for; a range past the end is a 416", async () => {
    const sub = await subscriber();
    const archive = await storeArchive(sub.id, { period_start: "2026-11-20" });
    const { url } = (await mint(archive.id, { ttl: 600 })).body;
    const size = archive.zip.length;

    const middle = await follow(url, { headers: { range: "bytes=100-1099" } });
    expect(middle.status).toBe(206);
    expect(middle.headers.get("content-range")).toBe(`bytes 100-1099/${size}`);
    expect(middle.headers.get("content-length")).toBe("1000");
    expect(await bytesOf(middle)).toEqual(archive.zip.slice(100, 1100));

    const tail = await follow(url, { headers: { range: "bytes=-22" } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get("content-range")).toBe(`bytes ${size - 22}-${size - 1}/${size}`);
    expect(await bytesOf(tail)).toEqual(archive.zip.slice(size - 22));

    const rest = await follow(url, { headers: { range: `bytes=${size - 10}-` } });
    expect(rest.status).toBe(206);
    expect(await bytesOf(rest)).toEqual(archive.zip.slice(size - 10));

    const past = await follow(url, { headers: { range: `bytes=${size}-` } });
    await expectProblem(past, 416);
    expect(past.headers.get("content-range")).toBe(`bytes */${size}`);

    // If-Range naming another version: the partial copy is stale, so the whole file comes back.
    const stale = await follow(url, { headers: { range: "bytes=0-9", "if-range": '"something-else"' } });
    expect(stale.status).toBe(200);
    expect(await bytesOf(stale)).toEqual(archive.zip);
    const current = await follow(url, { headers: { range: "bytes=0-9", "if-range": `"${archive.sha256}"` } });
    expect(current.status).toBe(206);
    expect(await bytesOf(current)).toEqual(archive.zip.slice(0, 10));
  });

  it("HEAD answers the headers without the body; If-None-Match answers 304", async () => {
    const sub = await subscriber();
    const archive = await storeArchive(sub.id, { period_start: "2026-11-19" });
    const { url } = (await mint(archive.id, { ttl: 600 })).body;
    const head = await follow(url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(archive.zip.length));
    expect(head.headers.get("content-disposition")).toBe('attachment; filename="2026-11-19.zip"');
    expect(head.headers.get("etag")).toBe(`"${archive.sha256}"`);
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    const ranged = await follow(url, { method: "HEAD", headers: { range: "bytes=0-99" } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-length")).toBe("100");

    const cached = await follow(url, { headers: { "if-none-match": `"${archive.sha256}"` } });
    expect(cached.status).toBe(304);
  });

  it("the link lives for the subscriber's link_ttl unless the request says otherwise, within 1 s … 30 days", async () => {
    const sub = await subscriber({ link_ttl: 600 });
    const archive = await storeArchive(sub.id, { period_start: "2026-11-18" });
    const byDefault = await api("POST", `/v1/admin/archives/${archive.id}/link`);
    expect(byDefault.status).toBe(200);
    const lifetime = Date.parse(byDefault.body.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(590_000);
    expect(lifetime).toBeLessThanOrEqual(600_000);
    expect((await mint(archive.id, { ttl: 2_592_000 })).status).toBe(200);
    for (const ttl of [0, 2_592_001, 1.5, "60"]) {
      const refused = await mint(archive.id, { ttl });
      expect(refused.status, String(ttl)).toBe(422);
      expect(refused.body.errors[0].path).toBe("/ttl");
    }
  });

  it("only ready archives get links; unknown ids are 404; the admin token is required", async () => {
    const sub = await subscriber();
    const building = await storeArchive(sub.id, { period_start: "2026-11-17", status: "building" });
    const conflict = await mint(building.id, { ttl: 60 });
    expect(conflict.status).toBe(409);
    expect(conflict.body.detail).toMatch(/building/);
    expect((await mint("arc_01jfq3zv7k8m2n4p6r8s0t2v4w", { ttl: 60 })).status).toBe(404);
    expect((await mint("nope", { ttl: 60 })).status).toBe(404);
    const ready = await storeArchive(sub.id, { period_start: "2026-11-16" });
    expect((await api("POST", `/v1/admin/archives/${ready.id}/link`, { ttl: 60 }, "wrong")).status).toBe(401);
    expect((await api("POST", `/v1/admin/archives/${ready.id}/link`, { ttl: 60 }, sub.api_key)).status).toBe(401);
  });

  it("refuses expired, tampered and foreign-key links, all as problem+json", async () => {
    const sub = await subscriber();
    const archive = await storeArchive(sub.id, { period_start: "2026-11-15" });
    const grant = { archiveId: archive.id, subscriberId: sub.id };
    const ring = await linkKeyring(env.LINK_SIGNING_KEY);

    const expired = await signLink(ring, grant, 60, Date.now() - 120_000);
    const gone = await expectProblem(await follow(`/v1/links/${expired.token}`), 410);
    expect(gone.detail).toMatch(/expired/);

    const { token } = await signLink(ring, grant, 600);
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    const longer = btoa(JSON.stringify({ ...claims, exp: claims.exp + 86_400 }))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    await expectProblem(await follow(`/v1/links/${header}.${longer}.${signature}`), 401);
    await expectProblem(await follow(`/v1/links/${token.slice(0, -3)}abc`), 401);
    await expectProblem(await follow("/v1/links/garbage"), 401);

    const foreign = await signLink(await linkKeyring("someone-elses-key"), grant, 600);
    const refused = await expectProblem(await follow(`/v1/links/${foreign.token}`), 401);
    expect(refused.detail).toMatch(/key/);
    // Nothing was served for any of them, and the genuine link still works.
    expect((await follow(`/v1/links/${token}`)).status).toBe(200);
  });

  it("a link naming another subscriber's archive is a 404; one naming a deleted archive is a 410", async () => {
    const alice = await subscriber();
    const bob = await subscriber();
    const bobs = await storeArchive(bob.id, { period_start: "2026-11-14" });
    const ring = await linkKeyring(env.LINK_SIGNING_KEY);
    const crossed = await signLink(ring, { archiveId: bobs.id, subscriberId: alice.id }, 600);
    await expectProblem(await follow(`/v1/links/${crossed.token}`), 404);

    const { url } = (await mint(bobs.id, { ttl: 600 })).body;
    expect((await follow(url)).status).toBe(200);
    await env.BUCKET.delete(bobs.r2_key);
    await deleteArchiveRows(env.DB, [bobs.id]);
    const deleted = await expectProblem(await follow(url), 410);
    expect(deleted.detail).toMatch(/deleted/);
  });

  it("links die with their subscriber, and a rotation with revoke_links revokes the ones issued before it", async () => {
    const gone = await subscriber();
    const goneArchive = await storeArchive(gone.id, { period_start: "2026-11-12" });
    const goneLink = (await mint(goneArchive.id, { ttl: 600 })).body.url;
    expect((await follow(goneLink)).status).toBe(200);
    expect((await api("DELETE", `/v1/admin/subscribers/${gone.id}`)).status).toBe(204);
    expect((await expectProblem(await follow(goneLink), 410)).detail).toMatch(/subscriber was deleted/);

    const sub = await subscriber();
    const archive = await storeArchive(sub.id, { period_start: "2026-11-11" });
    const ring = await linkKeyring(env.LINK_SIGNING_KEY);
    const grant = { archiveId: archive.id, subscriberId: sub.id };
    const old = await signLink(ring, grant, 600, Date.now() - 5000);
    expect((await follow(`/v1/links/${old.token}`)).status).toBe(200);
    // A plain rotation leaves links alone: they are not keys.
    expect((await api("POST", `/v1/admin/subscribers/${sub.id}/rotate`)).status).toBe(200);
    expect((await follow(`/v1/links/${old.token}`)).status).toBe(200);
    const rotated = await api("POST", `/v1/admin/subscribers/${sub.id}/rotate`, { revoke_links: true });
    expect(rotated.status).toBe(200);
    expect((await expectProblem(await follow(`/v1/links/${old.token}`), 410)).detail).toMatch(/revoked/);
    const fresh = await signLink(ring, grant, 600, Date.now() + 1000);
    expect((await follow(`/v1/links/${fresh.token}`)).status).toBe(200);
    expect((await api("POST", `/v1/admin/subscribers/${sub.id}/rotate`, { revoke_links: "yes" })).status).toBe(422);
  });

  it("a link whose zip is missing from R2 is a 410, not a 500", async () => {
    const sub = await subscriber();
    const archive = await storeArchive(sub.id, { period_start: "2026-11-13" });
    const { url } = (await mint(archive.id, { ttl: 600 })).body;
    await env.BUCKET.delete(archive.r2_key);
    await expectProblem(await follow(url), 410);
  });

  it("a rotated key keeps old links valid until they expire; dropping it ends them", async () => {
    const sub = await subscriber();
    const archive = await storeArchive(sub.id, { period_start: "2026-11-12" });
    const oldServer = withEnv({ LINK_SIGNING_KEY: OLD_KEY });
    const minted = await oldServer(`/v1/admin/archives/${archive.id}/link`, admin({ ttl: 600 }));
    const oldLink = new URL(((await minted.json()) as { url: string }).url).pathname;
    const oldExpired = await signLink(
      await linkKeyring(OLD_KEY),
      { archiveId: archive.id, subscriberId: sub.id },
      60,
      Date.now() - 120_000,
    );

    const rotated = withEnv({ LINK_SIGNING_KEY: `${NEW_KEY},${OLD_KEY}` });
    const stillValid = await rotated(oldLink);
    expect(stillValid.status).toBe(200);
    expect(await bytesOf(stillValid)).toEqual(archive.zip);
    expect((await rotated(`/v1/links/${oldExpired.token}`)).status).toBe(410);
    const fresh = await rotated(`/v1/admin/archives/${archive.id}/link`, admin({ ttl: 600 }));
    const newLink = new URL(((await fresh.json()) as { url: string }).url).pathname;
    expect((await rotated(newLink)).status).toBe(200);
    // The server that only knows the old key cannot verify the new link.
    expect((await oldServer(newLink)).status).toBe(401);

    const dropped = withEnv({ LINK_SIGNING_KEY: NEW_KEY });
    expect((await dropped(oldLink)).status).toBe(401);
    expect((await dropped(newLink)).status).toBe(200);
  });

  it("the link, link-minting and event-file routes are in the OpenAPI document", async () => {
    const doc = (await (await exports.default.fetch(`${BASE}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/links/{token}",
        "/v1/admin/archives/{id}/link",
        "/v1/eventfiles",
        "/v1/eventfiles/{name}",
      ]),
    );
    expect(Object.keys(doc.paths["/v1/eventfiles/{name}"]).sort()).toEqual(["delete", "get"]);
  });

  it("links point at the request's origin when PUBLIC_BASE_URL is empty", async () => {
    const sub = await subscriber();
    const archive = await storeArchive(sub.id, { period_start: "2026-11-11" });
    const res = await withEnv({ PUBLIC_BASE_URL: "" })(`/v1/admin/archives/${archive.id}/link`, admin({ ttl: 60 }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url.startsWith(`${BASE}/v1/links/`)).toBe(true);
  });
});
