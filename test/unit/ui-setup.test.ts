// The dashboard's set-up forms, their pure parts (src/ui/client/setup/): form values → request body, an edit's merge
// patch, problem+json errors → the fields they name, the preview's request, and the debounce that
// shows only the latest answer. No DOM here.

import { describe, expect, it } from "vitest";
import { placeFields, problemToFields, redirectFields, withoutFields } from "../../src/ui/client/setup/issues";
import { latestOnly, type Settled, type Timers } from "../../src/ui/client/setup/latest";
import { mergePatch } from "../../src/ui/client/setup/merge-patch";
import { parentOf, toPointer } from "../../src/ui/client/setup/paths";
import { previewBody, refusalLines } from "../../src/ui/client/setup/preview-request";
import { shownOnce } from "../../src/ui/client/setup/shown-once";
import { buildBody, type FieldValue, readValue, showValue, valueAt } from "../../src/ui/client/setup/values";

const f = (name: string, value: string | boolean, kind: FieldValue["kind"] = "text"): FieldValue => ({
  name,
  kind,
  value,
});

describe("form values → request body", () => {
  it("nests fields by their pointer and leaves blank ones out", () => {
    const { body, errors } = buildBody([
      f("/name", "  CRM  "),
      f("/url", ""),
      f("/retry/max_attempts", "5", "int"),
      f("/retry/max_delay", "", "int"),
      f("/auth/type", "api_key:header", "type"),
      f("/auth/header", "Api-Key"),
      f("/auth/value", " secret with spaces ", "raw"),
      f("subscriber", "sub_x"),
    ]);
    expect(errors.size).toBe(0);
    expect(body).toEqual({
      name: "CRM",
      retry: { max_attempts: 5 },
      auth: { type: "api_key", header: "Api-Key", value: " secret with spaces " },
    });
  });

  it("reads lists, codes, headers, JSON and booleans; a bad value is an error on its field", () => {
    expect(readValue("lines", "a\n b , c\n\n")).toEqual({ ok: true, value: ["a", "b", "c"] });
    expect(readValue("codes", "courseCompletion\nenrolled")).toEqual({
      ok: true,
      value: [{ code: "courseCompletion" }, { code: "enrolled" }],
    });
    expect(readValue("headers", "X-Tenant: acme\nX-Trace:  a:b ")).toEqual({
      ok: true,
      value: { "X-Tenant": "acme", "X-Trace": "a:b" },
    });
    expect(readValue("bool", false)).toEqual({ ok: true, value: false });
    expect(readValue("int", "12x")).toEqual({ ok: true, value: "12x" }); // the schema names it
    const { body, errors } = buildBody([f("/auth/claims", "{nope", "json"), f("/headers", "no colon here", "headers")]);
    expect(body).toEqual({});
    expect([...errors.keys()]).toEqual(["/auth/claims", "/headers"]);
  });

  it("builds step arrays from /steps/<n>/ pointers", () => {
    const { body } = buildBody([
      f("/steps/0/destination_id", "dst_a"),
      f("/steps/0/transform", '{"x": data.n}', "raw"),
      f("/steps/1/destination_id", "dst_b"),
    ]);
    expect(body).toEqual({
      steps: [{ destination_id: "dst_a", transform: '{"x": data.n}' }, { destination_id: "dst_b" }],
    });
  });

  it("shows a value read back the way its field reads it", () => {
    expect(showValue("lines", ["10.0.0.0/8", "::1"])).toBe("10.0.0.0/8\n::1");
    expect(showValue("codes", [{ code: "a", description: "x" }, { code: "b" }])).toBe("a\nb");
    expect(showValue("headers", { "X-A": "1" })).toBe("X-A: 1");
    expect(showValue("bool", true)).toBe(true);
    expect(valueAt({ archive: { schedule: "daily" } }, "/archive/schedule")).toBe("daily");
    expect(valueAt({ steps: [{ transform: "t" }] }, "/steps/0/transform")).toBe("t");
    expect(valueAt({}, "/archive/schedule")).toBeUndefined();
  });
});

describe("an edit's merge patch", () => {
  it("names only what changed, merging nested objects", () => {
    const before = { name: "Acme", timezone: "UTC", archive: { schedule: "off", format: "json", time: "02:00" } };
    const after = { name: "Acme", timezone: "UTC", archive: { schedule: "daily", format: "json", time: "02:00" } };
    expect(mergePatch(before, after)).toEqual({ archive: { schedule: "daily" } });
    expect(mergePatch(before, before)).toEqual({});
  });

  it("sends null for a field cleared, and maps, arrays and unions whole", () => {
    const before = {
      filter: "data.n > 1",
      headers: { "X-A": "1", "X-B": "2" },
      auth: { type: "oauth2", token_url: "https://t.example", scope: "a" },
      steps: [{ destination_id: "dst_a" }, { destination_id: "dst_b" }],
    };
    const after = {
      headers: { "X-A": "1" },
      auth: { type: "oauth2", token_url: "https://t.example", scope: "b", client_secret: "s" },
      steps: [{ destination_id: "dst_a" }],
    };
    expect(mergePatch(before, after)).toEqual({
      filter: null,
      headers: { "X-A": "1" },
      auth: after.auth,
      steps: [{ destination_id: "dst_a" }],
    });
  });

  it("leaves an auth alone when its secret was not typed again", () => {
    const auth = { type: "bearer" };
    expect(mergePatch({ name: "a", auth }, { name: "b", auth: { type: "bearer" } })).toEqual({ name: "b" });
  });
});

describe("errors onto fields", () => {
  it("maps problem+json errors by JSON Pointer, dotted text or segments", () => {
    const fields = problemToFields([
      { path: "/steps/0/transform", message: "JSONata does not compile at position 4" },
      { path: "archive.notify_url", message: "must be an http(s) URL" },
      { path: ["fetch", "auth", "token_url"], message: "refused" },
      { message: "the request is not valid" },
    ]);
    expect([...fields.keys()]).toEqual(["/steps/0/transform", "/archive/notify_url", "/fetch/auth/token_url", ""]);
  });

  it("puts an error under the nearest field on screen, else on the form", () => {
    const fields = problemToFields([
      { path: "/url", message: "must be an http(s) URL" },
      { path: "/auth/header", message: "must be a valid HTTP header name" },
      { path: "/nowhere", message: "odd" },
      { path: "/", message: "give one of filter or transform" },
    ]);
    const placed = placeFields(fields, new Set(["/url", "/auth"]));
    expect(placed.fields.get("/url")).toEqual(["must be an http(s) URL"]);
    expect(placed.fields.get("/auth")).toEqual(["header: must be a valid HTTP header name"]);
    expect(placed.general).toEqual(["nowhere: odd", "give one of filter or transform"]);
  });

  it("moves an error of a field not on screen to the one that stands for it", () => {
    const fields = problemToFields([
      { path: "/host", message: "required (or url)" },
      { path: "/host_key", message: "must be an ssh-ed25519 public key" },
    ]);
    const moved = redirectFields(fields, new Set(["/url", "/host_key"]), { "/host": "/url" });
    expect([...moved]).toEqual([
      ["/url", ["host: required (or url)"]],
      ["/host_key", ["must be an ssh-ed25519 public key"]],
    ]);
    // Shown, it keeps its own error.
    expect([...redirectFields(fields, new Set(["/host", "/url"]), { "/host": "/url" }).keys()]).toEqual([
      "/host",
      "/host_key",
    ]);
  });

  it("drops errors of secrets left blank while editing", () => {
    const fields = problemToFields([
      { path: "/auth/token", message: "required" },
      { path: "/name", message: "too long" },
    ]);
    expect([...withoutFields(fields, (p) => p !== "/auth/token").keys()]).toEqual(["/name"]);
  });

  it("reads pointers", () => {
    expect(toPointer(["steps", 0, "a/b"])).toBe("/steps/0/a~1b");
    expect(toPointer("/")).toBe("");
    expect(parentOf("/steps/0/transform")).toBe("/steps/0");
    expect(parentOf("/name")).toBe("");
    expect(parentOf("")).toBeNull();
  });
});

describe("the live preview's request", () => {
  it("asks for the expression being edited, on the stored or pasted sample", () => {
    const transform = { kind: "transform", expression: '{"x": data.n}', preset: "" } as const;
    expect(previewBody(transform, { eventId: " evt_1 " })).toEqual({
      ok: true,
      body: { transform: '{"x": data.n}', event_id: "evt_1" },
    });
    expect(
      previewBody({ kind: "transform", expression: "", preset: "flat" }, { pasted: '{"type":"t","data":{}}' }),
    ).toEqual({ ok: true, body: { preset: "flat", event: { type: "t", data: {} } } });
    expect(previewBody({ kind: "transform", expression: "", preset: "" }, { eventId: "evt_1" })).toEqual({
      ok: true,
      body: { preset: "cloudevent", event_id: "evt_1" },
    });
    expect(previewBody({ kind: "filter", expression: "data.n = 1" }, { eventId: "evt_1" })).toEqual({
      ok: true,
      body: { filter: "data.n = 1", event_id: "evt_1" },
    });
    expect(previewBody({ kind: "identity", expression: "data.id" }, { eventId: "evt_1" })).toMatchObject({
      body: { identity: { local_id: "data.id" } },
    });
  });

  it("asks nothing without an expression or a readable sample", () => {
    expect(previewBody(null, { eventId: "evt_1" }).ok).toBe(false);
    expect(previewBody({ kind: "filter", expression: " " }, { eventId: "evt_1" }).ok).toBe(false);
    expect(previewBody({ kind: "filter", expression: "true" }, { eventId: "" }).ok).toBe(false);
    expect(previewBody({ kind: "filter", expression: "true" }, { pasted: "{" })).toEqual({
      ok: false,
      hint: "The pasted event is not valid JSON.",
    });
  });

  it("reads a refusal", () => {
    expect(refusalLines(problemToFields([{ path: "/transform", message: "at position 3" }]), "x")).toEqual([
      "transform: at position 3",
    ]);
    expect(refusalLines(new Map(), "Network error")).toEqual(["Network error"]);
  });
});

describe("debounce, latest answer only", () => {
  /** Timers the test fires by hand. */
  function manualTimers() {
    const pending = new Map<number, () => void>();
    let next = 0;
    const timers: Timers = {
      set: (run) => {
        pending.set(++next, run);
        return next;
      },
      clear: (handle) => pending.delete(handle as number),
    };
    const fire = () => {
      const runs = [...pending.values()];
      pending.clear();
      for (const run of runs) run();
    };
    return { timers, fire, pending };
  }
  const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

  it("sends only after a pause, only the last text typed", async () => {
    const { timers, fire, pending } = manualTimers();
    const sent: string[] = [];
    const shown: string[] = [];
    const latest = latestOnly(
      async (text: string) => {
        sent.push(text);
        return text.toUpperCase();
      },
      (s: Settled<string>) => shown.push(s.ok ? s.value : "error"),
      300,
      timers,
    );
    for (const text of ["{", '{"x', '{"x": data.n}']) latest.request(text);
    expect(pending.size).toBe(1);
    fire();
    await flush();
    expect(sent).toEqual(['{"x": data.n}']);
    expect(shown).toEqual(['{"X": DATA.N}']);
  });

  it("drops an answer overtaken by a newer request, and everything after cancel", async () => {
    const { timers, fire } = manualTimers();
    const answers: Array<(value: string) => void> = [];
    const shown: Array<[string, string]> = [];
    const latest = latestOnly(
      (_text: string) => new Promise<string>((resolve) => answers.push(resolve)),
      (s: Settled<string>, input: string) => shown.push([input, s.ok ? s.value : "error"]),
      300,
      timers,
    );
    latest.request("slow");
    fire();
    latest.request("fast");
    fire();
    answers[1]("fast answer");
    await flush();
    answers[0]("slow answer");
    await flush();
    expect(shown).toEqual([["fast", "fast answer"]]);

    latest.request("closed");
    fire();
    latest.cancel();
    answers[2]("late");
    await flush();
    expect(shown).toEqual([["fast", "fast answer"]]);
  });

  it("shows a refusal of the latest request as an error", async () => {
    const { timers, fire } = manualTimers();
    const shown: Settled<string>[] = [];
    const latest = latestOnly(
      () => Promise.reject(new Error("422")),
      (s: Settled<string>) => shown.push(s),
      300,
      timers,
    );
    latest.request("x");
    fire();
    await flush();
    expect(shown).toEqual([{ ok: false, error: new Error("422") }]);
  });
});

describe("secrets shown once", () => {
  it("lists the secrets an answer carries, in a fixed order", () => {
    expect(
      shownOnce({ id: "src_1", notify_url: "u", api_key: "k", signing_secret: "whsec_x", name: "LMS" }).map(
        (s) => s.key,
      ),
    ).toEqual(["api_key", "notify_url", "signing_secret"]);
    expect(shownOnce({ id: "atg_1", callback_url: "c" })).toEqual([
      { key: "callback_url", label: "Callback URL", value: "c" },
    ]);
    expect(shownOnce({ id: "sub_1" })).toEqual([]);
    expect(shownOnce(null)).toEqual([]);
  });
});
