// Archive build benchmark (issue 4): one subscriber, one day of ~1 KB events, built as CSV and as JSON by the same
// code as the Worker (src/archive, bundled with esbuild for Node), beside the deflaters alone on the same bytes.
// Never part of `npm test`. See bench/ARCHIVE.md.
//
//   node bench/archive.mjs                      # 1,000,000 events, csv and json
//   ARCHIVE_FORMATS=tsv,csv node bench/archive.mjs
//   ARCHIVE_EVENTS=100000 node bench/archive.mjs
//   ARCHIVE_FORMATS=csv ARCHIVE_VERIFY=1 node bench/archive.mjs   # also checks the zip with `unzip -t`
//   ARCHIVE_BUILD_ONLY=1 node bench/archive.mjs --child csv         # the build alone (for --cpu-prof)
//
// Each format runs in a child process of its own, so its peak memory is its own. The last line printed is the
// summary as one JSON object (bench/run.mjs reads it); the same goes to bench/results/archive.json.
import { spawnSync } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const EVENTS = Number(process.env.ARCHIVE_EVENTS || 1_000_000);
const FORMATS = (process.env.ARCHIVE_FORMATS || "csv,json").split(",").filter(Boolean);
const VERIFY = process.env.ARCHIVE_VERIFY === "1";
/** Rows kept at route time (archive_items.row_text), as routing writes them for CSV and TSV subscribers; 0 for none. */
const KEPT_ROWS = process.env.ARCHIVE_KEPT_ROWS !== "0";
/** Wall time per simulated queue job: the build checkpoints (state through JSON) and resumes, as in the Worker. */
const JOB_MS = Number(process.env.ARCHIVE_JOB_MS || 20_000);
const PAGE = 500;
const CHUNK = 512 * 1024;
const TARGETS = { memoryMB: 64, throughputRatio: 0.8 };
const MB = 1e6;

// ---- the code under test: src/archive bundled for Node ----

async function loadArchiveCode() {
  const { build } = await import("esbuild");
  const out = join(tmpdir(), `syndic-archive-bench-${process.pid}.mjs`);
  await build({
    stdin: {
      contents: [
        'export { advanceBuild } from "./src/archive/builder.ts";',
        'export { CSV_DIALECT, CsvRows, ownRow, pathsOf } from "./src/archive/csv.ts";',
        'export { shapeIdOf } from "./src/archive/shape-id.ts";',
        'export { TSV_DIALECT } from "./src/archive/tsv.ts";',
        'export { DEFLATE_LEVEL, deflateSegment } from "./src/archive/zlib.ts";',
      ].join("\n"),
      resolveDir: ROOT,
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: out,
    logLevel: "warning",
  });
  const code = await import(pathToFileURL(out).href);
  rmSync(out, { force: true });
  return code;
}

// ---- events: ~1 KB CloudEvents, deterministic, cheap to produce ----

const FIRST =
  "Ada Alan Grace Linus Barbara Ken Dennis Margaret Edsger Donald John Tim Vint Radia Frances Hedy Katherine Dorothy Mary Annie Sophie Lucas Hugo Léa Chloé Noah Emma Liam Olivia Mateo Zoë Jürgen Åsa Björn Søren Yuki Hiroshi Mei Wei Priya Arjun Fatima Omar".split(
    " ",
  );
const LAST =
  "Lovelace Turing Hopper Torvalds Liskov Thompson Ritchie Hamilton Dijkstra Knuth McCarthy Berners-Lee Cerf Perlman Allen Lamarr Johnson Vaughan Jackson Easley Martin Dubois Müller García Rossi Novak Kowalski Tanaka Chen Patel Khan Nguyen Silva".split(
    " ",
  );
const DEPARTMENTS = ["Engineering", "Sales, EMEA", "Support", "Finance", "People", "Marketing", "Legal", "Operations"];
const COURSES = [
  "Security Awareness",
  "Data Protection Essentials",
  "Leadership 101",
  "Advanced TypeScript",
  "Negotiation Skills",
  "Code Review Practices",
  "Anti-Bribery Compliance",
  "Customer Empathy",
  "Incident Response",
  "Cloud Cost Basics",
  "Accessibility for Designers",
  "Effective Feedback",
  "SQL for Analysts",
  "Time Management",
  'Onboarding: "Our Values"',
];

function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A pool of distinct course-completion records (the LMS feed of CONTRACT §3), reused with a fresh id and time per
 * event: producing the events costs next to nothing, so the figures are the build's. The pool (8 MB) is far larger
 * than DEFLATE's 32 KB window, so reuse does not flatter the compression. Ids, emails, timestamps and scores vary per
 * record; names, courses and departments come from short lists, as they do in real feeds.
 */
function eventPool(size = 8192) {
  const random = prng(42);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const hex = (n) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join("");
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const pool = [];
  for (let i = 0; i < size; i++) {
    const [first, last, course] = [pick(FIRST), pick(LAST), pick(COURSES)];
    const completed = DAY_START + Math.floor(random() * 86_400_000);
    const started = completed - Math.floor(random() * 7 * 86_400_000);
    const score = Math.round(random() * 1000) / 10;
    const tail = JSON.stringify({
      subject: `learner-${Math.floor(random() * 250_000)}`,
      datacontenttype: "application/json",
      data: {
        user: {
          id: uuid(),
          email: `${first}.${last}@example.com`.toLowerCase(),
          first_name: first,
          last_name: last,
          department: pick(DEPARTMENTS),
          ref1: `EMP${Math.floor(random() * 1e6)}`,
          ref2: pick(DEPARTMENTS),
          manager_email: `${pick(FIRST)}.${pick(LAST)}@example.com`.toLowerCase(),
          locale: pick(["en-GB", "en-US", "fr-FR", "de-DE", "ja-JP"]),
        },
        course: {
          id: `crs_${hex(12)}`,
          code: `C-${Math.floor(random() * 900 + 100)}`,
          title: course,
          category: pick(["Compliance", "Technical", "Soft skills", "Onboarding"]),
          provider: pick(["Internal", "Coursera", "LinkedIn Learning", "Udemy Business"]),
          duration_minutes: Math.floor(random() * 240 + 5),
          version: `${Math.floor(random() * 5)}.${Math.floor(random() * 10)}`,
        },
        enrollment: {
          id: uuid(),
          enrolled_at: new Date(started - 86_400_000).toISOString(),
          started_at: new Date(started).toISOString(),
          completed_at: new Date(completed).toISOString(),
        },
        result: {
          score,
          max_score: 100,
          passed: score >= 70,
          attempts: Math.floor(random() * 3) + 1,
          time_spent_seconds: Math.floor(random() * 20_000),
          certificate_id: score >= 70 ? `cert_${hex(16)}` : null,
        },
        tags: [pick(["mandatory", "optional", "recommended"]), pick(["q4", "fy26", "renewal", "new-hire"])],
        device: {
          os: pick(["Windows 11", "macOS 15", "iOS 18", "Android 15", "ChromeOS"]),
          browser: pick(["Chrome 131", "Safari 18", "Edge 131", "Firefox 133"]),
        },
        comment:
          random() > 0.7
            ? `Great course, "${course}" was useful — ${pick(["thanks!", "more examples please", "too long", "très bien"])}\nSent from my phone`
            : "",
      },
    });
    pool.push(tail.slice(1));
  }
  return pool;
}

const DAY_START = Date.parse("2026-11-21T00:00:00Z");
const TYPE = "courseCompletion";
const SOURCE = "/sources/src_01jfq3zv7k8m2n4p6r8s0t2v4w";

function eventAt(pool, i) {
  const id = `evt_${i.toString(32).padStart(26, "0")}`;
  const time = new Date(DAY_START + Math.floor((i * 86_400_000) / EVENTS)).toISOString();
  return {
    id,
    body: `{"specversion":"1.0","id":"${id}","source":"${SOURCE}","type":"${TYPE}","time":"${time}",${pool[i % pool.length]}`,
  };
}

// ---- memory: sampled at every page and part, where the build yields ----

/** Every this many samples, a full GC first: what remains is what the build really holds (its live memory). */
const LIVE_EVERY = 50;

function memorySampler() {
  global.gc?.();
  const base = process.memoryUsage();
  const peak = { rss: base.rss, total: base.heapUsed + base.external, live: base.heapUsed + base.external };
  let samples = 0;
  return {
    sample() {
      samples += 1;
      if (samples % LIVE_EVERY === 0 && global.gc) {
        global.gc();
        const live = process.memoryUsage();
        peak.live = Math.max(peak.live, live.heapUsed + live.external);
      }
      const now = process.memoryUsage();
      peak.rss = Math.max(peak.rss, now.rss);
      peak.total = Math.max(peak.total, now.heapUsed + now.external);
    },
    report() {
      const baseline = base.heapUsed + base.external;
      return {
        baselineRssMB: base.rss / MB,
        peakRssMB: peak.rss / MB,
        rssGrowthMB: (peak.rss - base.rss) / MB,
        /** JS heap plus buffers above the baseline, garbage included (whenever V8 chose to collect it). */
        peakHeapMB: (peak.total - baseline) / MB,
        /** The same after a full GC: what the build holds. The 64 MB target is read on this one. */
        liveMB: (peak.live - baseline) / MB,
      };
    },
  };
}

// ---- one format, in a child process ----

async function child(format) {
  const code = await loadArchiveCode();
  const pool = eventPool();
  const columns = code.pathsOf(JSON.parse(eventAt(pool, 0).body));
  const kept = KEPT_ROWS && DIALECT_NAMES.includes(format) ? keptRows(code, format, pool, columns) : null;
  let inputBytes = 0;
  const memory = memorySampler();
  const source = {
    async nextType(after) {
      return after === null ? TYPE : null;
    },
    async page(_type, after, limit) {
      memory.sample();
      const start = after ? after.received_at + 1 : 0;
      const count = Math.max(0, Math.min(limit, EVENTS - start));
      const events = new Array(count);
      for (let k = 0; k < count; k++) {
        events[k] = eventAt(pool, start + k);
        if (kept) Object.assign(events[k], kept.of(start + k));
        inputBytes += events[k].body.length;
      }
      return {
        events,
        last: count ? { received_at: start + count - 1, event_id: events[count - 1].id } : after,
        more: start + count < EVENTS,
      };
    },
    async columns() {
      return columns;
    },
  };
  const zipPath = VERIFY ? join(tmpdir(), `syndic-archive-bench-${process.pid}.zip`) : null;
  const file = zipPath ? createWriteStream(zipPath) : null;
  let zipBytes = 0;
  let parts = 0;
  const target = {
    async uploadPart(bytes) {
      memory.sample();
      parts += 1;
      zipBytes += bytes.length;
      if (file && !file.write(bytes)) await new Promise((resolve) => file.once("drain", resolve));
    },
    async complete(last) {
      zipBytes += last.length;
      if (file) await new Promise((resolve) => file.end(last, resolve));
    },
    async abort() {},
    save() {
      return { upload_id: "bench", parts: [] };
    },
  };
  const scratch = new Map();
  const store = {
    async put(name, data) {
      scratch.set(name, typeof data === "string" ? Buffer.from(data) : Uint8Array.from(data));
    },
    async get(name) {
      return scratch.get(name) ?? null;
    },
    async delete(names) {
      for (const name of names) scratch.delete(name);
    },
  };
  const context = {
    format,
    meta: {
      subscriber_id: "sub_bench",
      period_start: "2026-11-21",
      period_end: "2026-11-21",
      timezone: "UTC",
      from: "2026-11-21T00:00:00.000Z",
      to: "2026-11-22T00:00:00.000Z",
    },
    source,
    target,
    store,
    pageSize: PAGE,
  };

  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let saved = null;
  let jobs = 0;
  let step;
  for (;;) {
    jobs += 1;
    step = await code.advanceBuild(context, saved, { deadline: Date.now() + JOB_MS, maxCalls: 800 });
    if (step.done) break;
    saved = JSON.parse(JSON.stringify(step.state));
  }
  const buildSeconds = (performance.now() - started) / 1000;
  const buildCpuSeconds = cpuSeconds(process.cpuUsage(cpuStart));
  const mem = memory.report();

  let verified = null;
  if (zipPath) {
    const test = spawnSync("unzip", ["-tq", zipPath], { encoding: "utf8" });
    verified = test.error ? "unzip not installed" : test.status === 0 ? "unzip -t: ok" : `unzip -t: ${test.stdout}`;
    rmSync(zipPath, { force: true });
  }

  // The same uncompressed bytes again, each deflater timed alone on them (producing the bytes is not timed).
  const alone = process.env.ARCHIVE_BUILD_ONLY
    ? { contentBytes: 1, results: {} }
    : await deflatersAlone(code, format, pool, columns);
  return {
    format,
    events: step.events,
    keptRows: kept ? { routeMicrosPerEvent: kept.routeMicrosPerEvent, bytesPerEvent: kept.bytesPerEvent } : null,
    jobs,
    inputMB: inputBytes / MB,
    contentMB: alone.contentBytes / MB,
    buildSeconds,
    buildCpuSeconds,
    inputMBps: inputBytes / MB / buildSeconds,
    zipMB: zipBytes / MB,
    parts,
    compression: alone.contentBytes / zipBytes,
    memory: mem,
    verified,
    alone: alone.results,
  };
}

const DIALECT_NAMES = ["csv", "tsv"];
const dialectOf = (code, format) => ({ csv: code.CSV_DIALECT, tsv: code.TSV_DIALECT })[format];

/**
 * The rows routing keeps for a CSV or TSV subscriber's archived events (csv.ts ownRow), handed to the build with each
 * event as D1 hands them over. Routing writes one per event; here an event's row is its pool record's cells behind its
 * own five head cells (which hold no separator), so producing them costs nothing, and a sample is checked against
 * ownRow itself before the build. What keeping them costs routing is measured apart: `routeMicrosPerEvent`.
 */
function keptRows(code, format, pool, columns) {
  const options = { dialect: dialectOf(code, format), escapeFormulas: true };
  const { separator } = options.dialect;
  const head = (body) => {
    const event = JSON.parse(body);
    return [event.specversion, event.id, event.source, event.type, event.time].join(separator);
  };
  const tails = pool.map((_, j) => {
    const { body } = eventAt(pool, j);
    const own = code.ownRow(JSON.parse(body), options);
    const start = head(body);
    if (!own.text.startsWith(`${start}${separator}`)) throw new Error("a pool record's head cells hold a separator");
    return own.text.slice(start.length + 1);
  });
  const shape = code.shapeIdOf(JSON.stringify(columns));
  const of = (i) => {
    const { id } = eventAt(pool, i);
    const time = new Date(DAY_START + Math.floor((i * 86_400_000) / EVENTS)).toISOString();
    const text = ["1.0", id, SOURCE, TYPE, time, tails[i % pool.length]].join(separator);
    return { shape, kept: { text, format: options.dialect.name, cells: columns.length } };
  };
  let bytes = 0;
  const sample = Math.min(EVENTS, 20_000);
  for (let i = 0; i < sample; i++) {
    const { body } = eventAt(pool, Math.floor((i * EVENTS) / sample));
    const own = code.ownRow(JSON.parse(body), options);
    const given = of(Math.floor((i * EVENTS) / sample)).kept;
    if (own.text !== given.text || own.format !== given.format) throw new Error(`kept row ${i} differs from ownRow`);
    bytes += own.text.length;
  }
  // Routing already has the parsed event: keeping the row costs it ownRow alone.
  const parsed = Array.from({ length: sample }, (_, i) => JSON.parse(eventAt(pool, i).body));
  const started = performance.now();
  for (const event of parsed) code.ownRow(event, options);
  return { of, routeMicrosPerEvent: ((performance.now() - started) * 1000) / sample, bytesPerEvent: bytes / sample };
}

/** The archive's file content, produced chunk by chunk exactly as the build encodes it. */
function* content(code, format, pool, columns) {
  const dialect = { csv: code.CSV_DIALECT, tsv: code.TSV_DIALECT }[format];
  const rows = dialect ? new code.CsvRows(columns, { dialect }) : null;
  let chunk = rows ? rows.header() : "[";
  for (let i = 0; i < EVENTS; i++) {
    const { body } = eventAt(pool, i);
    chunk += rows ? rows.row(JSON.parse(body)) : `${i ? ",\n" : "\n"}${body}`;
    if (chunk.length >= CHUNK) {
      yield Buffer.from(chunk);
      chunk = "";
    }
  }
  if (format === "json") chunk += "\n]\n";
  if (chunk) yield Buffer.from(chunk);
}

const cpuSeconds = (usage) => (usage.user + usage.system) / 1e6;

/** Wall and CPU time of the timed sections only. */
function stopwatch() {
  let wall = 0;
  let cpu = 0;
  return {
    async time(section) {
      const wallStart = performance.now();
      const cpuStart = process.cpuUsage();
      const value = await section();
      cpu += cpuSeconds(process.cpuUsage(cpuStart));
      wall += performance.now() - wallStart;
      return value;
    },
    result(extra) {
      return { seconds: wall / 1000, cpuSeconds: cpu, ...extra };
    },
  };
}

async function deflatersAlone(code, format, pool, columns) {
  const { Deflate } = await import("fflate");
  let contentBytes = 0;
  const results = {};

  let watch = stopwatch();
  let out = 0;
  const fflate = new Deflate({ level: 6 }, (data) => {
    out += data.length;
  });
  for (const chunk of content(code, format, pool, columns)) {
    contentBytes += chunk.length;
    await watch.time(() => fflate.push(chunk));
  }
  await watch.time(() => fflate.push(new Uint8Array(0), true));
  results.fflate = watch.result({ ratio: contentBytes / out });

  watch = stopwatch();
  out = 0;
  for (const chunk of content(code, format, pool, columns)) {
    out += await watch.time(() => code.deflateSegment(chunk).length);
  }
  results.zlibSegments = watch.result({ ratio: contentBytes / out, level: code.DEFLATE_LEVEL });

  if (typeof CompressionStream === "function") {
    try {
      const stream = new CompressionStream("deflate-raw");
      const writer = stream.writable.getWriter();
      out = 0;
      const reading = (async () => {
        for await (const data of stream.readable) out += data.length;
      })();
      watch = stopwatch();
      for (const chunk of content(code, format, pool, columns)) await watch.time(() => writer.write(chunk));
      await watch.time(async () => {
        await writer.close();
        await reading;
      });
      // Node's zlib streams compress on libuv's thread pool: CPU time counts those threads too.
      results.compressionStream = watch.result({ ratio: contentBytes / out });
    } catch (error) {
      results.compressionStream = { skipped: String(error) };
    }
  }
  for (const value of Object.values(results)) {
    if (value.seconds) value.contentMBps = contentBytes / MB / value.seconds;
  }
  return { contentBytes, results };
}

// ---- the parent: one child per format, then the table ----

function runChild(format) {
  const result = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", format], {
    cwd: ROOT,
    encoding: "utf8",
    env: process.env,
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = result.stdout
    .trim()
    .split("\n")
    .reverse()
    .find((text) => text.startsWith("{"));
  if (result.status !== 0 || !line) {
    return { format, error: (result.stderr || result.stdout || `exit ${result.status}`).trim().slice(-2000) };
  }
  return JSON.parse(line);
}

function fixed(value, digits = 1) {
  return typeof value === "number" ? value.toFixed(digits) : "—";
}

function summarise(run) {
  if (run.error) return { ...run };
  // On CPU time: on a shared machine the wall clock also counts whoever else is busy. The wall ratio is kept beside it.
  const throughputRatio = run.alone.fflate.cpuSeconds / run.buildCpuSeconds;
  return {
    ...run,
    throughputRatio,
    wallThroughputRatio: run.alone.fflate.seconds / run.buildSeconds,
    pass: {
      memory: run.memory.liveMB < TARGETS.memoryMB,
      throughput: throughputRatio >= TARGETS.throughputRatio,
    },
  };
}

async function parent() {
  const started = new Date().toISOString();
  console.log(
    `archive bench: ${EVENTS.toLocaleString("en")} events, ${FORMATS.join(" and ")}, node ${process.version}`,
  );
  const runs = FORMATS.map((format) => summarise(runChild(format)));
  const lines = [
    "format  build s (cpu)  input MB/s  zip MB  ratio  live MB (heap, rss+)  fflate alone s (cpu)  ×fflate  zlib seg s  CompStream s",
  ];
  for (const run of runs) {
    if (run.error) {
      lines.push(`${run.format.padEnd(6)}  failed: ${run.error.split("\n").at(-1)}`);
      continue;
    }
    lines.push(
      [
        run.format.padEnd(6),
        `${fixed(run.buildSeconds)} (${fixed(run.buildCpuSeconds)})`.padStart(13),
        fixed(run.inputMBps).padStart(10),
        fixed(run.zipMB).padStart(6),
        fixed(run.compression, 2).padStart(5),
        `${fixed(run.memory.liveMB)} (${fixed(run.memory.peakHeapMB, 0)}, ${fixed(run.memory.rssGrowthMB, 0)})`.padStart(
          20,
        ),
        `${fixed(run.alone.fflate.seconds)} (${fixed(run.alone.fflate.cpuSeconds)})`.padStart(20),
        fixed(run.throughputRatio, 2).padStart(7),
        fixed(run.alone.zlibSegments.seconds).padStart(10),
        fixed(run.alone.compressionStream?.seconds).padStart(12),
      ].join("  "),
    );
  }
  const json = runs.find((run) => run.format === "json" && !run.error);
  for (const run of runs.filter((r) => !r.error)) {
    // fflate on the events themselves (the json file is the stored events, comma-joined): CSV has to parse them all.
    if (json && run !== json) run.inputThroughputRatio = json.alone.fflate.cpuSeconds / run.buildCpuSeconds;
    lines.push(
      `${run.format}: ${fixed(run.inputMB, 0)} MB of events → ${fixed(run.contentMB, 0)} MB of ${run.format} → ${fixed(run.zipMB)} MB zip in ${run.parts + 1} parts, ${run.jobs} job(s); memory ${run.pass.memory ? "PASS" : "MISS"} (< ${TARGETS.memoryMB} MB), throughput ${run.pass.throughput ? "PASS" : "MISS"} (${fixed(run.throughputRatio, 2)} ≥ ${TARGETS.throughputRatio} × fflate alone on CPU time; ${fixed(run.wallThroughputRatio, 2)} on wall time${run.inputThroughputRatio ? `; ${fixed(run.inputThroughputRatio, 2)} × fflate on the input events` : ""})${run.verified ? `; ${run.verified}` : ""}${run.keptRows ? `; rows kept at route time: ${fixed(run.keptRows.bytesPerEvent, 0)} B and ${fixed(run.keptRows.routeMicrosPerEvent, 1)} µs of routing per event` : ""}`,
    );
  }
  for (const line of lines) console.log(line);
  const summary = { bench: "archive", started, events: EVENTS, targets: TARGETS, runs };
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "archive.json"), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary));
  if (runs.some((run) => run.error)) process.exitCode = 1;
}

if (process.argv[2] === "--child") {
  console.log(JSON.stringify(await child(process.argv[3])));
} else {
  await parent();
}
