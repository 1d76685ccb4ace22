// The dashboard client's pure parts, in Node: formatting, the API client's mapping of answers to errors (with a
// fake fetch), the URL builders, and the state helpers. The DOM parts are covered in Chromium by
// test/e2e/dashboard.e2e.test.ts.

import { describe, expect, it, vi } from "vitest";
import {
  ApiError,
  type ApiInit,
  createApi,
  type FetchLike,
  paths,
  problemError,
  withQuery,
} from "../../src/ui/client/api";
import {
  age,
  bytes,
  chipText,
  duration,
  fieldLines,
  fieldName,
  isoDay,
  jsonText,
  pathText,
  periodDays,
  periodText,
  plural,
  relative,
  safeHref,
  statusColour,
  sum,
  toMs,
  utcOffsetText,
} from "../../src/ui/client/format";
import { unwrapEvent } from "../../src/ui/client/shapes";
import {
  forgetAll,
  info,
  isActive,
  listState,
  lists,
  MAX_TRACKED,
  names,
  needsReload,
  parseTracked,
  REPLAYS_KEY,
  remember,
  saveTracked,
  store,
  tracked,
  withTracked,
} from "../../src/ui/client/state";

describe("formatting", () => {
  it("reads times as seconds, milliseconds or ISO text", () => {
    expect(toMs(1_700_000_000)).toBe(1_700_000_000_000);
    expect(toMs(1_700_000_000_123)).toBe(1_700_000_000_123);
    expect(toMs("2026-01-02T03:04:05Z")).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(toMs("not a time")).toBeNull();
    expect(toMs("")).toBeNull();
    expect(toMs(null)).toBeNull();
  });

  it("says how long ago or from now", () => {
    const now = Date.UTC(2026, 0, 10);
    expect(relative(now - 2000, now)).toBe("just now");
    expect(relative(now - 30_000, now)).toBe("30 s ago");
    expect(relative(now + 5 * 60_000, now)).toBe("in 5 min");
    expect(relative(now - 3 * 3_600_000, now)).toBe("3 h ago");
    expect(relative(now - 2 * 86_400_000, now)).toBe("2 d ago");
    expect(relative(now - 90 * 86_400_000, now)).toBe("3 mo ago");
    expect(relative(now - 3 * 365 * 86_400_000, now)).toBe("3 y ago");
  });

  it("shows ages, durations and sizes in the unit that reads best", () => {
    expect(age(42)).toBe("42 s");
    expect(age(600)).toBe("10 min");
    expect(age(7200)).toBe("2.0 h");
    expect(age(40_000)).toBe("11 h");
    expect(age(259_200)).toBe("3 d");
    expect(age("soon")).toBe("—");
    expect(duration(12.4)).toBe("12 ms");
    expect(duration(1500)).toBe("1.50 s");
    expect(duration(12_345)).toBe("12.3 s");
    expect(duration(null)).toBe("—");
    expect(bytes(512)).toBe("512 B");
    expect(bytes(1536)).toBe("1.5 KiB");
    expect(bytes(50 * 1024 * 1024)).toBe("50 MiB");
    expect(bytes("")).toBe("—");
  });

  it("writes archive periods as local dates, both ends included", () => {
    expect(periodText({ period_start: "2026-03-02", period_end: "2026-03-08" })).toBe("2026-03-02 → 2026-03-08");
    expect(periodText({ period_start: "2026-03-02", period_end: "2026-03-02" })).toBe("2026-03-02");
    expect(periodText({ period_start: "2026-03-02" })).toBe("2026-03-02");
    expect(periodText({})).toBe("—");
    expect(periodDays({ period_start: "2026-03-02", period_end: "2026-03-08" })).toBe(7);
    expect(periodDays({ period_start: "2026-03-02" })).toBeNull();
  });

  it("counts in words", () => {
    expect(plural(1, "event")).toBe("1 event");
    expect(plural(3, "event")).toBe("3 events");
    expect(plural(2, "delivery", "deliveries")).toBe("2 deliveries");
    expect(plural(1234, "record")).toBe(`${(1234).toLocaleString()} records`);
  });

  it("names a problem's field from its path", () => {
    expect(pathText(["steps", 0, "url"])).toBe("steps.0.url");
    expect(pathText("/period_end")).toBe("/period_end");
    expect(pathText(undefined)).toBe("");
    expect(fieldName("/period_end")).toBe("period_end");
    expect(fieldName(["steps", 0, "url"])).toBe("url");
    expect(fieldName("")).toBeUndefined();
  });

  it("lists field errors under a toast without repeating its detail", () => {
    const errors = [{ path: "/to", message: "Must be after From." }, { message: "Bad request." }, { path: ["x"] }];
    expect(fieldLines(errors, "Bad request.")).toEqual(["/to: Must be after From.", "x: "]);
    expect(fieldLines(undefined)).toEqual([]);
  });

  it("colours HTTP statuses: success, worth retrying, refused", () => {
    expect(statusColour(204)).toBe("green");
    for (const code of [408, 425, 429, 500, 503]) expect(statusColour(code)).toBe("amber");
    for (const code of [400, 401, 404, 422]) expect(statusColour(code)).toBe("red");
  });

  it("pretty-prints JSON, including JSON held in a string", () => {
    expect(jsonText({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(jsonText('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(jsonText("plain text")).toBe("plain text");
    expect(jsonText(undefined)).toBe("null");
    expect(chipText({ code: "courseCompletion" })).toBe("courseCompletion");
    expect(chipText("x")).toBe("x");
  });

  it("links only http(s) URLs", () => {
    expect(safeHref("/v1/links/abc", "http://127.0.0.1:8787/ui")).toBe("http://127.0.0.1:8787/v1/links/abc");
    expect(safeHref("javascript:alert(1)", "http://127.0.0.1/ui")).toBeNull();
    expect(safeHref("data:text/html,hi", "http://127.0.0.1/ui")).toBeNull();
  });

  it("writes local days, sums and UTC offsets", () => {
    expect(isoDay(new Date(2026, 0, 5))).toBe("2026-01-05");
    expect(sum([1, null, 2, undefined, 3])).toBe(6);
    expect(utcOffsetText(-120)).toBe("UTC+02:00");
    expect(utcOffsetText(300)).toBe("UTC−05:00");
    expect(utcOffsetText(0)).toBe("UTC+00:00");
  });
});

/** A fake fetch answering with one status and body, recording what it was asked. */
function fakeFetch(status: number, body: string, statusText = "") {
  const calls: Array<{ path: string; init: ApiInit }> = [];
  const fetch: FetchLike = async (path, init) => {
    calls.push({ path, init });
    return { status, ok: status >= 200 && status < 300, statusText, text: async () => body };
  };
  return { fetch, calls };
}

describe("the API client", () => {
  it("answers the parsed body, sending the cookie and no CSRF header on a read", async () => {
    const { fetch, calls } = fakeFetch(200, '{"data":[{"id":"src_1"}]}');
    const api = createApi({ fetch, onUnauthorized: () => {} });
    expect(await api("/v1/admin/sources")).toEqual({ data: [{ id: "src_1" }] });
    expect(calls[0].init).toMatchObject({ method: "GET", credentials: "same-origin", cache: "no-store" });
    expect(calls[0].init.headers["x-syndic-csrf"]).toBeUndefined();
    expect(calls[0].init.body).toBeUndefined();
  });

  it("sends a change as JSON with the CSRF header", async () => {
    const { fetch, calls } = fakeFetch(202, "");
    const api = createApi({ fetch, onUnauthorized: () => {} });
    expect(await api("/v1/admin/replays", { method: "POST", body: { stage: "route" } })).toBeNull();
    expect(calls[0].init.headers).toMatchObject({ "x-syndic-csrf": "1", "content-type": "application/json" });
    expect(calls[0].init.body).toBe('{"stage":"route"}');
  });

  it("maps a problem+json answer to an ApiError with its field errors", async () => {
    const problem = {
      type: "about:blank",
      title: "Invalid request",
      status: 422,
      detail: "The body does not match the schema.",
      errors: [{ path: "/period_end", message: "must not be before period_start" }],
    };
    const { fetch } = fakeFetch(422, JSON.stringify(problem), "Unprocessable Entity");
    const api = createApi({ fetch, onUnauthorized: () => {} });
    const err = await api("/v1/admin/archives", { method: "POST", body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 422,
      title: "Invalid request",
      message: "The body does not match the schema.",
      errors: problem.errors,
    });
  });

  it("falls back to the status when the error body is not a problem", async () => {
    const { fetch } = fakeFetch(502, "<html>Bad gateway</html>", "Bad Gateway");
    const api = createApi({ fetch, onUnauthorized: () => {} });
    const err = await api("/v1/admin/stats").catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, title: "HTTP 502", message: "502 Bad Gateway", errors: [] });
    expect(problemError(404, "", { title: 7, errors: "no" })).toMatchObject({ title: "HTTP 404", message: "404" });
  });

  it("ends the session on a 401", async () => {
    const onUnauthorized = vi.fn();
    const { fetch } = fakeFetch(401, JSON.stringify({ title: "Unauthorized" }));
    const api = createApi({ fetch, onUnauthorized });
    const err = await api("/v1/admin/events").catch((e: unknown) => e);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(err).toMatchObject({ status: 401, title: "Unauthorized", message: "The session ended." });
  });

  it("reports a relay it could not reach as status 0", async () => {
    const api = createApi({
      fetch: async () => {
        throw new TypeError("Failed to fetch");
      },
      onUnauthorized: () => {},
    });
    const err = await api("/v1/admin/events").catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, title: "Network error" });
    expect((err as Error).message).toContain("Failed to fetch");
  });

  it("builds admin URLs with ids encoded and blank query values left out", () => {
    expect(paths.retryDelivery("dlv_1")).toBe("/v1/admin/deliveries/dlv_1/retry");
    expect(paths.targetDeliveries("sub/1", "tgt 2")).toBe(
      "/v1/admin/subscribers/sub%2F1/archive-targets/tgt%202/deliveries",
    );
    expect(withQuery(paths.sources(), { limit: 100, cursor: null })).toBe("/v1/admin/sources?limit=100");
    expect(withQuery(paths.stats(), { range: "24h", x: "" })).toBe("/v1/admin/stats?range=24h");
    expect(withQuery(paths.events())).toBe("/v1/admin/events");
  });
});

describe("answers in more than one shape", () => {
  it("reads an event wrapped with its deliveries, or bare", () => {
    const event = { id: "evt_1", type: "t" };
    const deliveries = [{ id: "dlv_1" }];
    expect(unwrapEvent({ event, deliveries })).toEqual({ event, deliveries });
    expect(unwrapEvent({ ...event, deliveries })).toEqual({ event: { ...event, deliveries }, deliveries });
    expect(unwrapEvent(event)).toEqual({ event, deliveries: [] });
    expect(unwrapEvent(null)).toEqual({ event: {}, deliveries: [] });
  });
});

describe("client state", () => {
  it("remembers names of rows that have an id", () => {
    forgetAll();
    remember("sources", [{ id: "src_1", name: "LMS" }, { id: "src_2" }, { name: "no id" }, null]);
    remember("subscribers", "not a list");
    expect([...names.sources]).toEqual([
      ["src_1", "LMS"],
      ["src_2", ""],
    ]);
    expect(info.sources.get("src_1")).toEqual({ id: "src_1", name: "LMS" });
    expect(names.subscribers.size).toBe(0);
    forgetAll();
    expect(names.sources.size).toBe(0);
  });

  it("keeps one state per list, and forgets it on sign-out", () => {
    const s = listState("unit-list");
    expect(listState("unit-list")).toBe(s);
    expect(s).toMatchObject({ rows: 0, cursor: null, loadedAt: 0 });
    forgetAll();
    expect(lists["unit-list"]).toBeUndefined();
  });

  it("reloads a list when it was never loaded, is live or stale, unless paged into", () => {
    const base = { rows: 10, cursor: null, gen: 1, loading: false, live: false, timer: undefined };
    expect(needsReload({ ...base, loadedAt: 0 }, 1000)).toBe(true);
    expect(needsReload({ ...base, loadedAt: 1000 }, 2000, 30_000)).toBe(false);
    expect(needsReload({ ...base, loadedAt: 1000 }, 40_000, 30_000)).toBe(true);
    expect(needsReload({ ...base, loadedAt: 1000, live: true }, 2000)).toBe(true);
    expect(needsReload({ ...base, rows: 100, loadedAt: 1000, live: true }, 99_000, 30_000, 50)).toBe(false);
  });

  it("tracks replay ids newest first, once each, at most twenty", () => {
    expect(parseTracked('["rpl_1", 2, "rpl_3"]')).toEqual(["rpl_1", "rpl_3"]);
    expect(parseTracked("{}")).toEqual([]);
    expect(parseTracked("not json")).toEqual([]);
    expect(parseTracked(null)).toEqual([]);
    expect(withTracked(["a", "b", "c"], "b")).toEqual(["b", "a", "c"]);
    const many = Array.from({ length: 30 }, (_, i) => `rpl_${i}`);
    expect(withTracked(many, "new")).toHaveLength(MAX_TRACKED);
  });

  it("stores tracked replays in localStorage, and works without it", () => {
    expect(store.get(REPLAYS_KEY)).toBeNull();
    expect(tracked()).toEqual([]);
    const kept = new Map<string, string>();
    vi.stubGlobal("localStorage", {
      getItem: (k: string) => kept.get(k) ?? null,
      setItem: (k: string, v: string) => kept.set(k, v),
      removeItem: (k: string) => kept.delete(k),
    });
    saveTracked(["rpl_1", "rpl_2"]);
    expect(tracked()).toEqual(["rpl_1", "rpl_2"]);
    store.del(REPLAYS_KEY);
    expect(tracked()).toEqual([]);
    vi.stubGlobal("localStorage", {
      getItem: () => {
        throw new Error("disabled");
      },
      setItem: () => {
        throw new Error("disabled");
      },
      removeItem: () => {},
    });
    expect(() => saveTracked(["x"])).not.toThrow();
    expect(tracked()).toEqual([]);
  });

  it("treats a replay as active until it reaches an end state", () => {
    expect(isActive(undefined)).toBe(true);
    expect(isActive({ id: "r", status: "running" })).toBe(true);
    for (const status of ["completed", "failed", "not_found", "Cancelled"]) {
      expect(isActive({ id: "r", status })).toBe(false);
    }
  });
});
