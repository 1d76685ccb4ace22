import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, BASE } from "../helpers/api";
import { bytesOf, storeArchive } from "../helpers/ready-archive";

interface EventFile {
  name: string;
  id: string;
  period_start: string;
  period_end: string;
  events: number;
  bytes: number;
  sha256: string;
  created_at: string;
  url: string;
  url_expires_at: string;
}

async function subscriber() {
  const created = await api("POST", "/v1/admin/subscribers", { name: "BI team", archive: { link_ttl: 900 } });
  expect(created.status).toBe(201);
  return created.body as { id: string; api_key: string };
}

const list = (key: string, query = "") =>
  api<{ data: EventFile[]; next_cursor: string | null }>("GET", `/v1/eventfiles${query}`, undefined, key);
const download = (key: string, name: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(`${BASE}/v1/eventfiles/${name}`, { headers: { authorization: `Bearer ${key}`, ...headers } });
const acknowledge = (key: string, name: string) => api("DELETE", `/v1/eventfiles/${name}`, undefined, key);

const day = (n: number) => `2026-10-${String(n).padStart(2, "0")}`;

describe("event files (pull API)", () => {
  it("lists at most 10 unacknowledged ready files, oldest period first, each with a working signed link", async () => {
    const sub = await subscriber();
    // Built out of order (a late rebuild of an older day): the listing still goes by period.
    const days = [5, 1, 12, 3, 7, 2, 11, 4, 9, 6, 10, 8];
    const stored = new Map<string, Awaited<ReturnType<typeof storeArchive>>>();
    for (const n of days) stored.set(`${day(n)}.zip`, await storeArchive(sub.id, { period_start: day(n) }));
    await storeArchive(sub.id, { period_start: day(20), status: "building" });

    const first = await list(sub.api_key);
    expect(first.status).toBe(200);
    expect(first.body.data.map((file) => file.name)).toEqual(Array.from({ length: 10 }, (_, i) => `${day(i + 1)}.zip`));
    expect(first.body.next_cursor).not.toBeNull();
    const one = first.body.data[0];
    const expected = stored.get(one.name)!;
    expect(one).toMatchObject({
      id: expected.id,
      period_start: day(1),
      period_end: day(1),
      events: 1,
      bytes: expected.zip.length,
      sha256: expected.sha256,
    });
    expect(Date.parse(one.created_at)).not.toBeNaN();
    const linkLifetime = Date.parse(one.url_expires_at) - Date.now();
    expect(linkLifetime).toBeGreaterThan(890_000);
    expect(linkLifetime).toBeLessThanOrEqual(900_000);
    // The url is a signed link: no credentials needed.
    const viaLink = await exports.default.fetch(`${BASE}${new URL(one.url).pathname}`);
    expect(viaLink.status).toBe(200);
    expect(await bytesOf(viaLink)).toEqual(expected.zip);

    const rest = await list(sub.api_key, `?cursor=${first.body.next_cursor}`);
    expect(rest.body.data.map((file) => file.name)).toEqual([`${day(11)}.zip`, `${day(12)}.zip`]);
    expect(rest.body.next_cursor).toBeNull();
    expect((await list(sub.api_key, "?limit=3")).body.data).toHaveLength(3);
    expect((await list(sub.api_key, "?limit=11")).status).toBe(422);
    expect((await list(sub.api_key, "?cursor=bogus")).status).toBe(422);
  });

  it("downloads a file by name as a zip, with Range and HEAD", async () => {
    const sub = await subscriber();
    const daily = await storeArchive(sub.id, { period_start: "2026-11-21" });
    const weekly = await storeArchive(sub.id, { period_start: "2026-11-16", period_end: "2026-11-22" });

    const res = await download(sub.api_key, "2026-11-21.zip");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="2026-11-21.zip"');
    expect(await bytesOf(res)).toEqual(daily.zip);

    const week = await download(sub.api_key, "2026-11-16_2026-11-22.zip");
    expect(week.status).toBe(200);
    expect(week.headers.get("content-disposition")).toBe('attachment; filename="2026-11-16_2026-11-22.zip"');
    expect(await bytesOf(week)).toEqual(weekly.zip);
    expect((await list(sub.api_key)).body.data.map((file) => file.name)).toEqual([
      "2026-11-16_2026-11-22.zip",
      "2026-11-21.zip",
    ]);

    const part = await download(sub.api_key, "2026-11-21.zip", { range: "bytes=10-19" });
    expect(part.status).toBe(206);
    expect(await bytesOf(part)).toEqual(daily.zip.slice(10, 20));
    const head = await exports.default.fetch(`${BASE}/v1/eventfiles/2026-11-21.zip`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${sub.api_key}` },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(daily.zip.length));
  });

  it("acknowledging a file takes it out of the listing; it stays downloadable; acknowledging again is fine", async () => {
    const sub = await subscriber();
    for (const n of [1, 2, 3]) await storeArchive(sub.id, { period_start: day(n) });
    const ack = await acknowledge(sub.api_key, `${day(1)}.zip`);
    expect(ack.status).toBe(204);
    expect(ack.body).toBeNull();
    expect((await list(sub.api_key)).body.data.map((file) => file.name)).toEqual([`${day(2)}.zip`, `${day(3)}.zip`]);
    expect((await acknowledge(sub.api_key, `${day(1)}.zip`)).status).toBe(204);
    expect((await download(sub.api_key, `${day(1)}.zip`)).status).toBe(200);
    const archive = await api("GET", `/v1/admin/archives?subscriber_id=${sub.id}`);
    const acked = archive.body.data.find((row: { period_start: string }) => row.period_start === day(1));
    expect(acked.acknowledged_at).not.toBeNull();
  });

  it("another subscriber's file is a 404, to download and to acknowledge; unknown names too", async () => {
    const alice = await subscriber();
    const bob = await subscriber();
    await storeArchive(bob.id, { period_start: "2026-09-30" });
    const alicesSameDay = await storeArchive(alice.id, { period_start: "2026-09-29" });
    const bobsSameDay = await storeArchive(bob.id, { period_start: "2026-09-29" });

    expect((await download(alice.api_key, "2026-09-30.zip")).status).toBe(404);
    expect((await acknowledge(alice.api_key, "2026-09-30.zip")).status).toBe(404);
    expect((await list(bob.api_key)).body.data.map((file) => file.name)).toContain("2026-09-30.zip");
    expect((await list(alice.api_key)).body.data.map((file) => file.name)).toEqual(["2026-09-29.zip"]);
    // The same name is each subscriber's own file.
    expect(await bytesOf(await download(alice.api_key, "2026-09-29.zip"))).toEqual(alicesSameDay.zip);
    expect(await bytesOf(await download(bob.api_key, "2026-09-29.zip"))).toEqual(bobsSameDay.zip);
    expect((await acknowledge(alice.api_key, "2026-09-29.zip")).status).toBe(204);
    expect((await list(bob.api_key)).body.data.map((file) => file.name)).toContain("2026-09-29.zip");

    const missing = await api("GET", "/v1/eventfiles/2001-01-01.zip", undefined, alice.api_key);
    expect(missing.status).toBe(404);
    const badName = await api("GET", "/v1/eventfiles/..%2Fsecrets.zip", undefined, alice.api_key);
    expect(badName.status).toBe(404);
  });

  it("files not ready are neither listed nor served", async () => {
    const sub = await subscriber();
    await storeArchive(sub.id, { period_start: "2026-08-01", status: "pending" });
    await storeArchive(sub.id, { period_start: "2026-08-02", status: "failed" });
    expect((await list(sub.api_key)).body.data).toEqual([]);
    expect((await download(sub.api_key, "2026-08-01.zip")).status).toBe(404);
  });

  it("takes the subscriber's api_key and nothing else", async () => {
    const sub = await subscriber();
    expect((await api("GET", "/v1/eventfiles", undefined, "")).status).toBe(401);
    expect((await api("GET", "/v1/eventfiles")).status).toBe(401); // the admin token is not a subscriber key
    expect((await api("GET", "/v1/eventfiles", undefined, `${sub.api_key}x`)).status).toBe(401);
    expect((await api("GET", "/v1/eventfiles/2026-11-21.zip", undefined, "")).status).toBe(401);
    expect((await api("DELETE", "/v1/eventfiles/2026-11-21.zip", undefined, "nope")).status).toBe(401);
  });
});
