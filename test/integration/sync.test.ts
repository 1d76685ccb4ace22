import { describe, expect, it } from "vitest";
import { api, eventually, sinkConfigure, sinkRequests, sinkUrl, tenant, unique } from "../helpers/api";

const page = (ids: number[], next: string | null) => ({
  status: 200,
  body: JSON.stringify({ data: ids.map((id) => ({ id, email: `user${id}@example.com` })), next_cursor: next }),
});

async function settled(id: string) {
  return eventually(async () => {
    const res = await api("GET", `/v1/admin/syncs/${id}`);
    return res.body.status !== "running" ? res.body : null;
  }, 30_000);
}

describe("bulk sync", () => {
  it("pages through the origin's list endpoint by cursor and publishes every record once", async () => {
    const t = await tenant();
    const origin = unique("list");
    await sinkConfigure(origin, {
      script: [page([1, 2], "c2"), { status: 503 }, page([3, 4], "c3"), page([4, 5], null)],
    });
    const started = await api("POST", `/v1/admin/sources/${t.source.id}/sync`, {
      list_url: `${sinkUrl()}/hooks/${origin}/profiles?per_page=2`,
      auth: { type: "bearer", token: "origin-token" },
      pagination: { type: "cursor", param: "after", next: "next_cursor" },
      event_type: "profile.synced",
    });
    expect(started.status).toBe(202);
    const done = await settled(started.body.id);
    expect(done).toMatchObject({ status: "completed", pages: 3, records: 6, published: 5 });
    const requests = await sinkRequests(origin);
    expect(requests.map((r) => r.query.after ?? null)).toEqual([null, "c2", "c2", "c3"]);
    expect(requests.every((r) => r.headers.authorization === "Bearer origin-token")).toBe(true);
    const events = await api("GET", `/v1/admin/events?source_id=${t.source.id}&type=profile.synced`);
    expect(events.body.data.map((e: { subject: string }) => e.subject).sort()).toEqual(["1", "2", "3", "4", "5"]);
    await eventually(async () => (await sinkRequests(t.mailbox)).length === 5, 20_000);
  });

  it("stops on a 4xx with the error, and resumes from the page where it stopped", async () => {
    const t = await tenant({ source: { fetch: { url: `${sinkUrl()}/hooks/x/{id}`, event_type: "profile.synced" } } });
    const origin = unique("list");
    await sinkConfigure(origin, { script: [page([1], null), { status: 401 }, page([2], null), page([], null)] });
    const started = await api("POST", `/v1/admin/sources/${t.source.id}/sync`, {
      list_url: `${sinkUrl()}/hooks/${origin}/all`,
      pagination: { type: "page", param: "page", start: 1 },
    });
    const failed = await settled(started.body.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("401");
    expect(failed.cursor).toBe("2");
    const resumed = await api("POST", `/v1/admin/syncs/${started.body.id}/resume`);
    expect(resumed.status).toBe(202);
    const done = await settled(started.body.id);
    expect(done).toMatchObject({ status: "completed", records: 2, published: 2 });
    expect((await sinkRequests(origin)).map((r) => r.query.page)).toEqual(["1", "2", "2", "3"]);
    expect((await api("POST", `/v1/admin/syncs/${started.body.id}/resume`)).status).toBe(409);
  });

  it("validates the sync request", async () => {
    const t = await tenant();
    const bad = await api("POST", `/v1/admin/sources/${t.source.id}/sync`, { list_url: "ftp://x", items: "data[" });
    expect(bad.status).toBe(422);
    const noType = await api("POST", `/v1/admin/sources/${t.source.id}/sync`, { list_url: `${sinkUrl()}/hooks/x` });
    expect(noType.status).toBe(422);
    expect(noType.body.errors[0].path).toBe("/event_type");
  });
});
