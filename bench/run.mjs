// `npm run bench`: Syndic's throughput beside a ceiling Worker on the same local runtime and beside the peers users
// would run instead, in one run, printed as ratios with their targets. See bench/README.md. Never part of `npm test`.
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "../scripts/relay-process.mjs";
import { combineRounds, EVENT_BYTES, load } from "./lib/load.mjs";
import { PEERS_SRC, withPeers } from "./lib/peers.mjs";
import {
  freePort,
  installCleanupHandlers,
  run,
  spawnGroup,
  startedGroupCount,
  stopAll,
  stopGroup,
  survivors,
  track,
  waitFor,
  waitQuiet,
} from "./lib/procs.mjs";
import { limitingStage, queueSummary, queueTap, stageSummary } from "./lib/queue-log.mjs";
import { adminClient, endToEnd, publishLoad, SWEEP_CRON } from "./lib/syndic.mjs";
import { runWorkflow, setupSyndicNotify, startMocks } from "./lib/workflow.mjs";

const env = process.env;
const num = (name, fallback) => (env[name] !== undefined && env[name] !== "" ? Number(env[name]) : fallback);
const CONFIG = {
  seconds: num("BENCH_SECONDS", 10),
  rounds: Math.max(1, num("BENCH_ROUNDS", 2)),
  e2eSeconds: num("BENCH_E2E_SECONDS", 30),
  drainSeconds: num("BENCH_DRAIN_SECONDS", 300),
  connections: num("BENCH_CONNECTIONS", 32),
  warmupSeconds: num("BENCH_WARMUP_SECONDS", 2),
  settleSeconds: num("BENCH_SETTLE_SECONDS", 60),
  modes: (env.BENCH_MODES ?? "A,B")
    .split(",")
    .map((mode) => mode.trim().toUpperCase())
    .filter(Boolean),
  publish: env.BENCH_PUBLISH !== "0",
  e2e: env.BENCH_E2E !== "0",
  notify: env.BENCH_NOTIFY !== "0",
  notifySeconds: num("BENCH_NOTIFY_SECONDS", num("BENCH_SECONDS", 10)),
  failEvery: num("BENCH_FAIL_EVERY", 10),
  peers: env.BENCH_PEERS !== "0",
  nodeRed: env.BENCH_NODE_RED !== "0",
  peerSeconds: num("BENCH_PEER_SECONDS", num("BENCH_NOTIFY_SECONDS", num("BENCH_SECONDS", 10))),
  peerDrain: num("BENCH_PEER_DRAIN", 60),
  hello: env.BENCH_HELLO !== "0",
  keep: env.BENCH_KEEP === "1",
  snapshot: env.BENCH_SNAPSHOT !== "0",
  tree: env.BENCH_TREE || null,
  archive: env.BENCH_ARCHIVE === "1",
};
const BATCH = 100;
const TARGETS = { single: 0.5, batch: 0.5, peer: 1.5, notify: 1.2 };
/** The notify figure's two runs: every CRM request answered, and every Nth one answered 503. */
const NOTIFY_VARIANTS = [
  ["clean", 0],
  ...(CONFIG.failEvery > 0 ? [[`every${CONFIG.failEvery}th503`, CONFIG.failEvery]] : []),
];
const MODE_NAMES = { A: "wrangler dev", B: "unstable_startWorker" };
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const CEILING_CONFIG = join(ROOT, "bench", "ceiling", "wrangler.toml");
const STAMP = new Date().toISOString().replace(/[:.]/g, "-");
const WORK = join(ROOT, ".wrangler", `bench-${STAMP}`);
const RESULTS_FILE = env.BENCH_RESULTS || join(ROOT, "bench", "results", "latest.json");

const log = (text) => console.log(text);

/**
 * `wrangler dev` reloads the Worker whenever a file under src/ changes, and a POST in flight during a reload gets a
 * 503 ("Your worker restarted mid-request"). So that edits made while the bench runs neither reload the relay nor
 * mix two versions of the code into one run, the relay runs from a copy of the working tree taken at the start
 * (node_modules linked, scripts/relay-process.mjs included). BENCH_SNAPSHOT=0 runs the live tree instead.
 */
function snapshotProject() {
  if (!CONFIG.snapshot) return ROOT;
  const tree = CONFIG.tree ?? ROOT;
  const dir = join(WORK, "snapshot");
  mkdirSync(dir, { recursive: true });
  for (const name of ["src", "migrations", "scripts"]) cpSync(join(tree, name), join(dir, name), { recursive: true });
  for (const name of [
    "wrangler.toml",
    "package.json",
    "tsconfig.json",
    "worker-configuration.d.ts",
    ".dev.vars.example",
    ".dev.vars",
  ]) {
    if (existsSync(join(tree, name))) cpSync(join(tree, name), join(dir, name));
    else if (existsSync(join(ROOT, name))) cpSync(join(ROOT, name), join(dir, name));
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

function gitState() {
  const head = run("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).out.trim();
  const dirty = run("git", ["status", "--porcelain", "--", "src", "migrations", "wrangler.toml"], { cwd: ROOT })
    .out.split("\n")
    .filter(Boolean).length;
  return { head, dirtyFiles: dirty };
}

/** The relay's code: scripts/relay-process.mjs of the snapshot, so its ROOT is the snapshot. */
let APP = ROOT;
let relayProcess = null;

function applyCeilingMigrations(persistTo) {
  const result = run(
    WRANGLER,
    ["d1", "migrations", "apply", "DB", "--local", "-c", CEILING_CONFIG, "--persist-to", persistTo],
    { cwd: ROOT, env: { ...env, CI: "true", WRANGLER_SEND_METRICS: "false" } },
  );
  if (!result.ok) throw new Error(`ceiling migrations failed:\n${result.out}`);
}

async function waitHttp(url, child, timeoutMs = 90_000) {
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`exited before answering ${url}:\n${child.output().slice(-2000)}`);
    const res = await fetch(url).catch(() => null);
    return res?.ok === true;
  }, timeoutMs);
}

/** Mode A: `wrangler dev`, as users run it (scripts/relay-process.mjs for the relay). */
async function startModeA(logStream, ceilingLog) {
  const relayPort = await freePort();
  const relay = await relayProcess.startRelay({
    port: relayPort,
    persistTo: join(WORK, "relay-a"),
    log: (text) => logStream.write(text),
  });
  track(relay.child.pid, "relay (wrangler dev)");
  const ceilingPersist = join(WORK, "ceiling-a");
  applyCeilingMigrations(ceilingPersist);
  const ceilingPort = await freePort();
  const ceiling = spawnGroup(
    "ceiling (wrangler dev)",
    WRANGLER,
    [
      "dev",
      "-c",
      CEILING_CONFIG,
      "--ip",
      "127.0.0.1",
      "--port",
      String(ceilingPort),
      "--persist-to",
      ceilingPersist,
      "--inspector-port",
      "0",
      "--show-interactive-dev-session=false",
    ],
    {
      cwd: ROOT,
      // The same as the relay gets from scripts/relay-process.mjs (no devtools inspector): both run the same way.
      env: {
        CI: "true",
        WRANGLER_SEND_METRICS: "false",
        VSCODE_INSPECTOR_OPTIONS: env.VSCODE_INSPECTOR_OPTIONS ?? "{}",
      },
      logStream: ceilingLog,
    },
  );
  const ceilingUrl = `http://127.0.0.1:${ceilingPort}`;
  await waitHttp(`${ceilingUrl}/hello`, ceiling);
  return {
    relayUrl: relay.url,
    ceilingUrl,
    groups: [relay.child.pid, ceiling.pid],
    cron: (expression) => relay.cron(expression),
    stop: async () => {
      await stopGroup(ceiling.pid);
      await relay.stop();
      await stopGroup(relay.child.pid);
    },
  };
}

/** Mode B: wrangler's programmatic unstable_startWorker, no CLI and no inspector (bench/lib/start-worker.mjs). */
async function startWorkerChild(label, options, logStream) {
  const port = await freePort();
  const child = spawnGroup(
    label,
    process.execPath,
    [join(ROOT, "bench", "lib", "start-worker.mjs"), JSON.stringify({ ...options, port })],
    { cwd: dirname(options.config), env: { CI: "true", WRANGLER_SEND_METRICS: "false" }, logStream, stdin: "pipe" },
  );
  const url = `http://127.0.0.1:${port}`;
  return { child, url };
}

async function startModeB(logStream, ceilingLog) {
  const devVars = relayProcess.ensureDevVars();
  const relayPersist = join(WORK, "relay-b");
  relayProcess.applyLocalMigrations(relayPersist);
  const secrets = {
    ADMIN_TOKEN: devVars.ADMIN_TOKEN,
    SECRETS_KEY: devVars.SECRETS_KEY,
    LINK_SIGNING_KEY: devVars.LINK_SIGNING_KEY,
  };
  const relay = await startWorkerChild(
    "relay (unstable_startWorker)",
    {
      config: join(APP, "wrangler.toml"),
      persist: relayPersist,
      secrets,
      vars: { ALLOW_INSECURE_URLS: "true" },
    },
    logStream,
  );
  const ceilingPersist = join(WORK, "ceiling-b");
  applyCeilingMigrations(ceilingPersist);
  const ceiling = await startWorkerChild(
    "ceiling (unstable_startWorker)",
    { config: CEILING_CONFIG, persist: ceilingPersist },
    ceilingLog,
  );
  const stop = async () => {
    await stopGroup(ceiling.child.pid);
    await stopGroup(relay.child.pid);
  };
  try {
    await waitHttp(`${relay.url}/healthz`, relay.child);
    await waitHttp(`${ceiling.url}/hello`, ceiling.child);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    relayUrl: relay.url,
    ceilingUrl: ceiling.url,
    groups: [relay.child.pid, ceiling.child.pid],
    cron: async (expression) => {
      const res = await fetch(`${relay.url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(expression)}`);
      if (!res.ok) throw new Error(`scheduled ${expression}: ${res.status}`);
    },
    stop,
  };
}

async function settle(groups, label) {
  const waited = await waitQuiet(groups, { maxMs: CONFIG.settleSeconds * 1000 });
  if (waited === null) log(`    (still busy after ${CONFIG.settleSeconds} s before ${label}: measuring anyway)`);
}

/** Syndic's pipeline stages in order, as its log lines name them, for the stage tables. */
const E2E_STAGES = [
  ["publish (stored)", "ingest/stored"],
  ["route (deliveries ready)", "route/ready"],
  ["deliver (sent)", "deliver/sent"],
];
const NOTIFY_STAGES = [
  ["notify accepted (202)", "notify/accepted"],
  ["origin fetched, event stored", "notify/published"],
  ["route (deliveries ready)", "route/ready"],
  ["deliver (sent)", "deliver/sent"],
];

async function runMode(mode, mocks) {
  const logPath = join(WORK, `mode-${mode}.log`);
  const logStream = queueTap(createWriteStream(logPath));
  const ceilingLog = createWriteStream(join(WORK, `mode-${mode}-ceiling.log`));
  log(`\n▶ mode ${mode} (${MODE_NAMES[mode]}) — logs: ${logPath}`);
  const started = Date.now();
  const servers = mode === "A" ? await startModeA(logStream, ceilingLog) : await startModeB(logStream, ceilingLog);
  log(
    `  relay ${servers.relayUrl}, ceiling ${servers.ceilingUrl} (up in ${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
  const out = { mode, name: MODE_NAMES[mode] };
  try {
    const admin = adminClient(servers.relayUrl);
    const { connections, seconds } = CONFIG;

    if (CONFIG.publish) {
      const source = await admin.createSource(`bench publish ${mode}`);
      const relay = (size, secs) =>
        publishLoad({
          url: servers.relayUrl,
          path: "/v1/events",
          apiKey: source.api_key,
          size,
          connections,
          seconds: secs,
        });
      const ceiling = (size, secs) =>
        publishLoad({
          url: servers.ceilingUrl,
          path: size === 1 ? "/d1-one" : "/d1-batch",
          size,
          connections,
          seconds: secs,
        });

      if (CONFIG.warmupSeconds > 0) {
        log(`  warm-up ${CONFIG.warmupSeconds} s per endpoint`);
        for (const size of [1, BATCH]) {
          await relay(size, CONFIG.warmupSeconds);
          await ceiling(size, CONFIG.warmupSeconds);
        }
      }

      if (CONFIG.hello) {
        await settle(servers.groups, "GET /hello");
        log(`  GET /hello (ceiling, no D1) ${seconds} s …`);
        out.hello = await load({ url: servers.ceilingUrl, path: "/hello", method: "GET", connections, seconds });
      }

      // Syndic and its ceiling take turns, BENCH_ROUNDS rounds of seconds/rounds each, so a change in what else
      // the machine runs meanwhile falls on both sides of the ratio.
      const paired = async (size, label) => {
        const secs = seconds / CONFIG.rounds;
        const syndicRounds = [];
        const ceilingRounds = [];
        for (let round = 1; round <= CONFIG.rounds; round++) {
          await settle(servers.groups, `${label} round ${round}`);
          syndicRounds.push(await relay(size, secs));
          await settle(servers.groups, `${label} ceiling round ${round}`);
          ceilingRounds.push(await ceiling(size, secs));
        }
        const windows = syndicRounds.map((r) => [r.started, r.ended]);
        const ingest = logStream.steps
          .filter((step) => step.key === "ingest/stored" && windows.some(([a, b]) => step.t >= a && step.t <= b))
          .map((step) => step.ms)
          .sort((a, b) => a - b);
        return {
          syndic: combineRounds(syndicRounds),
          ceiling: combineRounds(ceilingRounds),
          ingestMs: { p50: quantile(ingest, 0.5), p99: quantile(ingest, 0.99), count: ingest.length },
        };
      };
      const each =
        CONFIG.rounds > 1
          ? `${CONFIG.rounds} rounds of ${fmt(seconds / CONFIG.rounds, 1)} s each, taking turns`
          : `${seconds} s each`;
      log(`  (1) single-event publish vs POST /d1-one, ${connections} connections, ${each} …`);
      out.single = await paired(1, "figure 1");
      log(`  (2) ${BATCH}-event batches vs POST /d1-batch, ${connections} connections, ${each} …`);
      out.batch = { size: BATCH, ...(await paired(BATCH, "figure 2")) };
    }

    if (CONFIG.e2e) {
      await settle(servers.groups, "figure 3");
      log(`  (3) end to end: publish ${CONFIG.e2eSeconds} s to a loopback sink, drain ≤ ${CONFIG.drainSeconds} s …`);
      out.e2e = await endToEnd({
        relayUrl: servers.relayUrl,
        cron: servers.cron,
        connections,
        seconds: CONFIG.e2eSeconds,
        drainSeconds: CONFIG.drainSeconds,
        log,
      });
      const end = out.e2e.lastArrival ?? Date.now();
      out.e2e.queues = queueSummary(logStream.batches, out.e2e.started, end);
      out.e2e.relayStages = stageSummary(logStream.steps, {
        from: out.e2e.started,
        loadEnd: out.e2e.publishEnded,
        until: end + 1000,
      });
    }

    if (CONFIG.notify && mocks) {
      const setup = await setupSyndicNotify(admin, mocks, `bench notify ${mode}`);
      out.notify = {};
      for (const [key, every503] of NOTIFY_VARIANTS) {
        await settle(servers.groups, `notify ${key}`);
        log(
          `  (5) notify → origin → CRM${every503 ? `, every ${every503}th CRM request 503` : ""}: ${connections} connections, ${CONFIG.notifySeconds} s, drain ≤ ${CONFIG.drainSeconds} s …`,
        );
        const result = await runWorkflow({
          label: `syndic${mode}${key}`,
          url: servers.relayUrl,
          path: setup.notifyPath,
          bodyFor: (id) => JSON.stringify({ id }),
          acceptedStatus: 202,
          mocks,
          connections,
          seconds: CONFIG.notifySeconds,
          drainSeconds: CONFIG.drainSeconds,
          every503,
          sweep: () => servers.cron(SWEEP_CRON),
          log,
        });
        const end = result.lastArrival ?? Date.now();
        result.queues = queueSummary(logStream.batches, result.loadStart, end);
        result.relayStages = stageSummary(logStream.steps, {
          from: result.loadStart,
          loadEnd: result.loadEnd,
          until: end + 1000,
        });
        log(`    ${describeWorkflow(result)}`);
        out.notify[key] = result;
      }
    }
  } catch (error) {
    out.error = error.stack ?? String(error);
    log(`  mode ${mode} failed: ${error.message}`);
  } finally {
    await servers.stop();
    logStream.end();
    ceilingLog.end();
  }
  return out;
}

// ——— report ———

const quantile = (sorted, q) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null;
const fmt = (value, digits = 0) =>
  value === null || value === undefined || Number.isNaN(value)
    ? "—"
    : Number(value).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const lat = (r) => `p50 ${fmt(r.latencyP50)} ms, p99 ${fmt(r.latencyP99)} ms`;
const errs = (r) => (r.non2xx || r.errors || r.timeouts ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : "");

function describeWorkflow(w) {
  return `${fmt(w.perSec)}/s, notify→CRM p50 ${fmt(w.latencyMs.p50)} ms, p99 ${fmt(w.latencyMs.p99)} ms; ${fmt(w.arrived)}/${fmt(w.accepted)} arrived, ${fmt(w.lost)} lost, ${fmt(w.duplicates)} duplicates${w.every503 ? `, ${fmt(w.crm.destInjected503)} × 503 injected` : ""}`;
}

/** The faster peer of a notify variant, or the reason there is none. */
function fasterPeer(peers, key) {
  const measured = [
    ["BullMQ relay", peers?.bull],
    ["Node-RED", peers?.nodeRed],
  ].filter(([, peer]) => peer && !peer.skipped && peer[key]?.perSec);
  if (!measured.length) return null;
  measured.sort((a, b) => b[1][key].perSec - a[1][key].perSec);
  return { name: measured[0][0], result: measured[0][1][key] };
}

function rowsFor(result, peers) {
  const tag = `[${result.mode}]`;
  const rows = [];
  if (result.error) {
    rows.push({ figure: `${tag} ${result.name}`, value: "failed", ceiling: "", ratio: null, target: "", pass: null });
  }
  if (result.hello) {
    rows.push({
      figure: `${tag} ceiling GET /hello (runtime only)`,
      value: `${fmt(result.hello.reqPerSec)} req/s (${lat(result.hello)})`,
      ceiling: "",
      ratio: null,
      target: "info",
      pass: null,
    });
  }
  if (result.single?.ceiling) {
    const { syndic, ceiling } = result.single;
    const ratio = syndic.reqPerSec / ceiling.reqPerSec;
    rows.push({
      figure: `${tag} publish, 1 event/request`,
      value: `${fmt(syndic.reqPerSec)} req/s (${lat(syndic)}${errs(syndic)})`,
      ceiling: `/d1-one ${fmt(ceiling.reqPerSec)} req/s (${lat(ceiling)}${errs(ceiling)})`,
      ratio,
      target: `≥ ${TARGETS.single.toFixed(2)}`,
      pass: ratio >= TARGETS.single,
    });
  }
  if (result.batch?.ceiling) {
    const { syndic, ceiling, size } = result.batch;
    const ratio = syndic.reqPerSec / ceiling.reqPerSec;
    rows.push({
      figure: `${tag} publish, ${size} events/request`,
      value: `${fmt(syndic.reqPerSec * size)} events/s (${lat(syndic)}${errs(syndic)})`,
      ceiling: `/d1-batch ${fmt(ceiling.reqPerSec * size)} rows/s (${lat(ceiling)}${errs(ceiling)})`,
      ratio,
      target: `≥ ${TARGETS.batch.toFixed(2)}`,
      pass: ratio >= TARGETS.batch,
    });
  }
  if (result.e2e) {
    const e = result.e2e;
    const lost = e.acceptedIds - e.arrivedDistinct;
    rows.push({
      figure: `${tag} end to end, delivered/s`,
      value: `${fmt(e.deliveredPerSec)}/s (${fmt(e.arrivedDistinct)}/${fmt(e.acceptedIds)} arrived, ${fmt(lost)} missing)`,
      ceiling: "",
      ratio: null,
      target: "nothing lost",
      pass: lost === 0 && e.drained,
    });
    for (const [key, label] of [
      ["bull", "BullMQ relay"],
      ["nodeRed", "Node-RED"],
    ]) {
      const peer = peers?.[key];
      if (!peer) continue;
      if (peer.skipped || !peer.clean?.perSec) {
        rows.push({
          figure: `${tag} e2e vs ${label}`,
          value: `${fmt(e.deliveredPerSec)}/s`,
          ceiling: `skipped: ${peer.skipped ?? "no figure"}`,
          ratio: null,
          target: `≥ ${TARGETS.peer.toFixed(2)}×`,
          pass: null,
        });
        continue;
      }
      const ratio = e.deliveredPerSec / peer.clean.perSec;
      rows.push({
        figure: `${tag} e2e vs ${label}`,
        value: `${fmt(e.deliveredPerSec)}/s`,
        ceiling: `${label} ${fmt(peer.clean.perSec)}/s (${fmt(peer.clean.arrived)}/${fmt(peer.clean.accepted)} delivered)`,
        ratio,
        target: `≥ ${TARGETS.peer.toFixed(2)}×`,
        pass: ratio >= TARGETS.peer,
      });
    }
  }
  for (const [key, every503] of NOTIFY_VARIANTS) {
    const w = result.notify?.[key];
    if (!w) continue;
    const peer = fasterPeer(peers, key);
    const ratio = peer && w.perSec ? w.perSec / peer.result.perSec : null;
    const nothingLost = w.lost === 0 && w.drained;
    rows.push({
      figure: `${tag} notify → origin → CRM${every503 ? ` (every ${every503}th 503)` : ""}`,
      value: `${fmt(w.perSec)}/s (p50 ${fmt(w.latencyMs.p50)} ms, p99 ${fmt(w.latencyMs.p99)} ms; ${fmt(w.arrived)}/${fmt(w.accepted)} arrived)`,
      ceiling: `${
        peer
          ? `faster peer: ${peer.name} ${fmt(peer.result.perSec)}/s (p50 ${fmt(peer.result.latencyMs.p50)} ms, p99 ${fmt(peer.result.latencyMs.p99)} ms)`
          : "no peer measured"
      }${result.single?.ceiling ? `; bound: /d1-one ${fmt(result.single.ceiling.reqPerSec)} req/s` : ""}`,
      ratio,
      target: `≥ ${TARGETS.notify.toFixed(2)}×, nothing lost`,
      pass: ratio === null ? (nothingLost ? null : false) : ratio >= TARGETS.notify && nothingLost,
    });
  }
  return rows;
}

function peerRows(peers) {
  const rows = [];
  for (const [key, label] of [
    ["bull", "BullMQ relay"],
    ["nodeRed", "Node-RED"],
  ]) {
    const peer = peers?.[key];
    if (!peer) continue;
    if (peer.skipped) {
      rows.push({
        figure: `[peer] ${label}`,
        value: `skipped: ${peer.skipped}`,
        ceiling: "",
        ratio: null,
        target: "",
        pass: null,
      });
      continue;
    }
    for (const [variant, every503] of NOTIFY_VARIANTS) {
      const w = peer[variant];
      if (!w) continue;
      rows.push({
        figure: `[peer] ${label} notify → origin → CRM${every503 ? ` (every ${every503}th 503)` : ""}`,
        value: `${fmt(w.perSec)}/s (p50 ${fmt(w.latencyMs.p50)} ms, p99 ${fmt(w.latencyMs.p99)} ms; ${fmt(w.arrived)}/${fmt(w.accepted)} arrived)`,
        ceiling: "",
        ratio: null,
        target: "nothing lost",
        pass: w.lost === 0 && w.drained,
      });
    }
  }
  return rows;
}

function printTable(rows) {
  const header = { figure: "figure", value: "value", ceiling: "ceiling / peer", ratio: "ratio", target: "target" };
  const cells = rows.map((row) => ({
    figure: row.figure,
    value: row.value,
    ceiling: row.ceiling,
    ratio: row.ratio === null ? "" : fmt(row.ratio, 2),
    target: row.target,
    result: row.pass === null ? "" : row.pass ? "PASS" : "MISS",
  }));
  const widths = {};
  for (const key of Object.keys(header)) {
    widths[key] = Math.max(header[key].length, ...cells.map((cell) => cell[key].length));
  }
  const line = (cell) =>
    `${cell.figure.padEnd(widths.figure)} │ ${cell.value.padEnd(widths.value)} │ ${cell.ceiling.padEnd(widths.ceiling)} │ ${cell.ratio.padStart(widths.ratio)} │ ${cell.target.padEnd(widths.target)} │ ${cell.result ?? "result"}`;
  console.log(line({ ...header, result: "result" }));
  const [first, ...rest] = Object.values(widths);
  console.log(`${"─".repeat(first + 1)}┼${rest.map((w) => "─".repeat(w + 2)).join("┼")}┼${"─".repeat(7)}`);
  for (const cell of cells) console.log(line(cell));
}

/** Refused or failed requests, with a sample of what came back: a figure with errors is not a clean figure. */
function printAnomalies(result) {
  const loads = [
    ["GET /hello", result.hello],
    ["publish 1/request", result.single?.syndic],
    ["/d1-one", result.single?.ceiling],
    ["publish batch", result.batch?.syndic],
    ["/d1-batch", result.batch?.ceiling],
    ["e2e publish", result.e2e?.publish],
  ];
  for (const [label, r] of loads) {
    if (!r || (!r.non2xx && !r.errors && !r.timeouts)) continue;
    console.log(
      `[${result.mode}] ${label}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts of ${r.requests} requests`,
    );
    for (const sample of r.non2xxSamples ?? []) console.log(`    ${sample.replace(/\s+/g, " ")}`);
  }
  for (const sample of result.e2e?.deliveries.retrySamples ?? []) {
    console.log(`[${result.mode}] e2e delivery retried after: ${sample}`);
  }
  for (const [key, w] of Object.entries(result.notify ?? {})) {
    const refused = w.sent - w.accepted;
    if (!refused && !w.errors) continue;
    console.log(
      `[${result.mode}] notify ${key}: ${refused} calls not accepted (${JSON.stringify(w.statuses)}, ${w.errors} errors)`,
    );
    for (const sample of w.non2xxSamples ?? []) console.log(`    ${sample.replace(/\s+/g, " ")}`);
  }
}

const stageLine = (name, row, extra = "") =>
  `      ${name.padEnd(30)} ${fmt(row?.count).padStart(6)}  ${fmt(row?.perSecDuringLoad).padStart(6)}/s during load  ${fmt(row?.activePerSec).padStart(6)}/s active (+${fmt(row?.firstAtS, 1)} → +${fmt(row?.lastAtS, 1)} s)${extra}`;

function printConsumers(queues) {
  const list = Object.entries(queues ?? {});
  if (!list.length) return;
  console.log(
    `      consumers (Miniflare runs one batch per queue at a time): ${list
      .map(
        ([queue, q]) =>
          `${queue} ${fmt(q.batches)} batches of ~${fmt(q.avgBatch)}, ${fmt(q.msPerMessage, 1)} ms/message, busy ${fmt(q.busyShare * 100)}%`,
      )
      .join("; ")}`,
  );
}

/** Stage rows in pipeline order, and the verdict on which one limits. */
function stageTable(rows) {
  for (const [name, row, extra] of rows) console.log(stageLine(name, row, extra ?? ""));
  const limit = limitingStage(rows.map(([name, row]) => [name, row]));
  if (limit) console.log(`      → limited by: ${limit.name} (${fmt(limit.activePerSec)}/s once it runs)`);
}

const durationNote = (row) =>
  row?.durationP50Ms !== null && row?.durationP50Ms !== undefined
    ? `, step p50 ${fmt(row.durationP50Ms)} ms p99 ${fmt(row.durationP99Ms)} ms`
    : "";

function printStages(result) {
  for (const [figure, label] of [
    [result.single, "(1) publish, 1 event/request"],
    [result.batch, `(2) publish, ${BATCH} events/request`],
  ]) {
    if (!figure?.ingestMs?.count) continue;
    console.log(
      `[${result.mode}] ${label}: publishEvents (after the key lookup) took p50 ${fmt(figure.ingestMs.p50)} ms, p99 ${fmt(figure.ingestMs.p99)} ms in the Worker; the client saw p50 ${fmt(figure.syndic.latencyP50)} ms${figure.syndic.rounds?.length > 1 ? `; rounds ${figure.syndic.rounds.map((r) => fmt(r.reqPerSec)).join(", ")} req/s vs ceiling ${figure.ceiling.rounds.map((r) => fmt(r.reqPerSec)).join(", ")}` : ""}`,
    );
  }
  const e = result.e2e;
  if (e) {
    const s = e.stages;
    console.log(
      `[${result.mode}] (3) e2e stages over ${fmt(e.seconds)} s of publishing (${fmt(e.connections)} connections, ${fmt(EVENT_BYTES)}-byte events):`,
    );
    console.log(
      `      publish ${fmt(s.publishPerSec)}/s (${fmt(e.accepted)} accepted, ${fmt(e.rejected)} refused, p50 ${fmt(e.publish.latencyP50)} ms, p99 ${fmt(e.publish.latencyP99)} ms); route lag p50 ${fmt(s.routeLagP50Ms)} ms, p99 ${fmt(s.routeLagP99Ms)} ms; publish→arrival p50 ${fmt(s.arrivalLagP50Ms)} ms, p99 ${fmt(s.arrivalLagP99Ms)} ms`,
    );
    const r = e.relayStages ?? {};
    stageTable([
      ...E2E_STAGES.map(([name, key]) => [name, r[key], durationNote(r[key])]),
      [
        "arrived at the sink",
        {
          count: e.arrivedDistinct,
          perSecDuringLoad: s.deliveredDuringPublishPerSec,
          activePerSec:
            e.firstArrival && e.lastArrival > e.firstArrival
              ? e.arrivedDistinct / ((e.lastArrival - e.firstArrival) / 1000)
              : null,
          firstAtS: e.firstArrival ? (e.firstArrival - e.started) / 1000 : null,
          lastAtS: s.deliverSpanS,
        },
      ],
    ]);
    printConsumers(e.queues);
    console.log(
      `      ledger: ${JSON.stringify(e.deliveries.statuses)}, ${fmt(e.deliveries.retried)} retried; sink: ${fmt(e.arrived)} requests, ${fmt(e.duplicatesArrived)} duplicates, ${fmt(e.missing)} missing; ${fmt(e.sweeps)} sweeps`,
    );
  }
  for (const [key, w] of Object.entries(result.notify ?? {})) {
    const r = w.relayStages ?? {};
    console.log(`[${result.mode}] (5) notify ${key}: ${describeWorkflow(w)}`);
    console.log(
      `      notify→origin fetch p50 ${fmt(w.callToFetchMs.p50)} ms, p99 ${fmt(w.callToFetchMs.p99)} ms (includes the ${COLLAPSE_WINDOW_S} s collapse window); origin fetch→CRM p50 ${fmt(w.fetchToCrmMs.p50)} ms, p99 ${fmt(w.fetchToCrmMs.p99)} ms; notify call p50 ${fmt(w.acceptLatencyMs.p50)} ms, p99 ${fmt(w.acceptLatencyMs.p99)} ms`,
    );
    stageTable([
      ["calls answered 202", w.stages.accept],
      ...NOTIFY_STAGES.slice(0, 1).map(([name, key]) => [name, r[key], durationNote(r[key])]),
      ["origin asked (mock)", w.stages.originFetch],
      ...NOTIFY_STAGES.slice(1).map(([name, key]) => [name, r[key], durationNote(r[key])]),
      ["arrived at the CRM (mock)", w.stages.crm],
    ]);
    const retried = r["deliver/retrying"]?.count;
    if (retried)
      console.log(`      deliveries retried: ${fmt(retried)} (CRM 503s injected: ${fmt(w.crm.destInjected503)})`);
    printConsumers(w.queues);
  }
}

function printPeerStages(peers) {
  for (const [key, label] of [
    ["bull", "BullMQ relay"],
    ["nodeRed", "Node-RED"],
  ]) {
    const peer = peers?.[key];
    if (!peer || peer.skipped) continue;
    for (const [variant] of NOTIFY_VARIANTS) {
      const w = peer[variant];
      if (!w) continue;
      console.log(`[peer] ${label} ${variant}: ${describeWorkflow(w)}`);
      console.log(
        `      call→origin fetch p50 ${fmt(w.callToFetchMs.p50)} ms, p99 ${fmt(w.callToFetchMs.p99)} ms; origin fetch→CRM p50 ${fmt(w.fetchToCrmMs.p50)} ms, p99 ${fmt(w.fetchToCrmMs.p99)} ms; call p50 ${fmt(w.acceptLatencyMs.p50)} ms, p99 ${fmt(w.acceptLatencyMs.p99)} ms`,
      );
      stageTable([
        [`calls answered ${key === "bull" ? 202 : 200}`, w.stages.accept],
        ["origin asked (mock)", w.stages.originFetch],
        ["arrived at the CRM (mock)", w.stages.crm],
      ]);
    }
  }
}

/** Syndic's collapse window, read from the code under test: it is a floor under the notify latency. */
function collapseWindowSeconds() {
  try {
    const text = readFileSync(join(APP, "src", "pipeline", "notify.ts"), "utf8");
    return Number(/COLLAPSE_WINDOW_S\s*=\s*(\d+(?:\.\d+)?)/.exec(text)?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}
let COLLAPSE_WINDOW_S = Number.NaN;

async function measurePeers(mocks) {
  if (!CONFIG.peers) return { bull: { skipped: "BENCH_PEERS=0" }, nodeRed: { skipped: "BENCH_PEERS=0" } };
  if (!mocks) return { bull: { skipped: "no mocks" }, nodeRed: { skipped: "no mocks" } };
  log(
    `\n▶ peers (${PEERS_SRC}): the notify workflow, ${CONFIG.connections} connections, ${CONFIG.peerSeconds} s, drain ≤ ${CONFIG.peerDrain} s`,
  );
  const logStream = createWriteStream(join(WORK, "peers.log"));
  try {
    return await withPeers({
      mocks,
      wantNodeRed: CONFIG.nodeRed,
      log,
      logStream,
      measure: async (peer) => {
        const out = {};
        for (const [key, every503] of NOTIFY_VARIANTS) {
          await settle(peer.groups, `${peer.name} ${key}`);
          log(`    ${key}${every503 ? ` (every ${every503}th CRM request 503)` : ""} …`);
          out[key] = await runWorkflow({
            label: `${peer.name}${key}`,
            url: peer.url,
            path: peer.path,
            bodyFor: peer.bodyFor,
            acceptedStatus: peer.acceptedStatus,
            mocks,
            connections: CONFIG.connections,
            seconds: CONFIG.peerSeconds,
            drainSeconds: CONFIG.peerDrain,
            every503,
            log,
          });
          log(`    ${describeWorkflow(out[key])}`);
        }
        return out;
      },
    });
  } catch (error) {
    return { bull: { skipped: error.message }, nodeRed: { skipped: error.message } };
  } finally {
    logStream.end();
  }
}

/** BENCH_ARCHIVE=1: bench/archive.mjs (another engineer's), run as an optional last stage when it exists. */
async function runArchiveStage() {
  const script = join(ROOT, "bench", "archive.mjs");
  if (!existsSync(script)) return { skipped: "bench/archive.mjs does not exist yet" };
  log("\n▶ archive stage: node bench/archive.mjs");
  const child = spawnGroup("bench/archive.mjs", process.execPath, [script], {
    cwd: ROOT,
    logStream: createWriteStream(join(WORK, "archive.log")),
  });
  const code = await new Promise((resolve) => child.on("exit", (status) => resolve(status)));
  await stopGroup(child.pid);
  const output = child.output();
  const last = output
    .trim()
    .split("\n")
    .reverse()
    .find((line) => line.startsWith("{"));
  let parsed = null;
  try {
    parsed = last ? JSON.parse(last) : null;
  } catch {}
  for (const line of output.trim().split("\n").slice(-15)) log(`  ${line}`);
  return { exitCode: code, result: parsed };
}

function machineLoad() {
  const [one, five, fifteen] = loadavg();
  return {
    loadavg: [one, five, fifteen].map((x) => Number(x.toFixed(2))),
    cores: cpus().length,
    at: new Date().toISOString(),
  };
}

async function main() {
  installCleanupHandlers();
  mkdirSync(WORK, { recursive: true });
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  const loadBefore = machineLoad();
  log(
    `Syndic bench — ${loadBefore.cores} cores, load ${loadBefore.loadavg.join(" ")}; ${CONFIG.connections} connections, ${CONFIG.seconds} s per figure, e2e ${CONFIG.e2eSeconds} s, notify ${CONFIG.notifySeconds} s; modes ${CONFIG.modes.join(",")}`,
  );
  const startedAt = new Date().toISOString();
  const git = gitState();
  APP = snapshotProject();
  COLLAPSE_WINDOW_S = collapseWindowSeconds();
  relayProcess = await import(pathToFileURL(join(APP, "scripts", "relay-process.mjs")).href);
  log(
    `code: ${git.head} + ${git.dirtyFiles} uncommitted file(s) under src/, migrations/; ${CONFIG.snapshot ? `running a snapshot of ${CONFIG.tree ?? ROOT} in ${APP}` : "running the live tree (BENCH_SNAPSHOT=0)"}`,
  );

  const loadSamples = [loadBefore];
  const sampler = setInterval(() => loadSamples.push(machineLoad()), 30_000);
  sampler.unref();

  const needMocks = (CONFIG.notify && CONFIG.modes.length) || CONFIG.peers;
  const mocks = needMocks ? await startMocks({ logStream: createWriteStream(join(WORK, "mocks.log")) }) : null;
  if (mocks) log(`mocks: origin ${mocks.originBase}, CRM ${mocks.crmContacts}`);

  const modes = [];
  for (const mode of CONFIG.modes) {
    if (!MODE_NAMES[mode]) {
      log(`unknown mode ${mode} (A or B)`);
      continue;
    }
    modes.push(await runMode(mode, mocks));
  }

  const peers = await measurePeers(mocks);
  const archive = CONFIG.archive ? await runArchiveStage() : null;
  if (mocks) await stopGroup(mocks.child.pid);
  clearInterval(sampler);
  loadSamples.push(machineLoad());

  const rows = [...modes.flatMap((result) => rowsFor(result, peers)), ...peerRows(peers)];
  console.log("");
  printTable(rows);
  console.log("");
  for (const result of modes) {
    if (result.error) console.log(`[${result.mode}] failed: ${result.error.split("\n").slice(0, 6).join("\n    ")}`);
    printStages(result);
    printAnomalies(result);
  }
  printPeerStages(peers);
  const peak = Math.max(...loadSamples.map((sample) => sample.loadavg[0]));
  console.log(
    `\nmachine: ${loadBefore.cores} cores; 1-min load average ${loadBefore.loadavg[0]} at the start, peak ${peak.toFixed(2)} (sampled every 30 s), ${loadSamples[loadSamples.length - 1].loadavg[0]} at the end.`,
  );
  if (Number.isFinite(COLLAPSE_WINDOW_S)) {
    console.log(
      `notify latency: Syndic waits COLLAPSE_WINDOW_S = ${COLLAPSE_WINDOW_S} s (src/pipeline/notify.ts) before it fetches, so calls for one id within the window become one fetch: that is a floor under its notify→CRM latency; the peers have no such window.`,
    );
  }
  console.log(
    "Figures swing 30–60% between runs on a shared 2-core machine: read the ratios, taken side by side in this run.",
  );

  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    command: `${Object.entries(env)
      .filter(([key]) => key.startsWith("BENCH_"))
      .map(([key, value]) => `${key}=${value}`)
      .join(" ")} npm run bench`.trim(),
    git,
    config: CONFIG,
    targets: TARGETS,
    machine: { cores: loadBefore.cores, loadSamples },
    collapseWindowS: COLLAPSE_WINDOW_S,
    modes,
    peers,
    archive,
    rows,
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results: ${RESULTS_FILE}`);
  return modes.some((m) => m.error) ? 1 : 0;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(error);
} finally {
  await stopAll();
  const left = survivors();
  if (left.length) {
    console.log(`processes still alive in the bench's process groups (killing them now):`);
    for (const proc of left) {
      console.log(`  pid ${proc.pid} (group ${proc.pgid}, ${proc.label}): ${proc.command}`);
      try {
        process.kill(proc.pid, "SIGKILL");
      } catch {}
    }
    exitCode = exitCode || 1;
  } else {
    console.log(`cleanup: all ${startedGroupCount()} process groups the bench started are gone`);
  }
  rmSync(join(ROOT, "bench", "ceiling", ".wrangler"), { recursive: true, force: true });
  // State and logs are kept when asked, or when something failed (the logs say why).
  if (CONFIG.keep || exitCode !== 0) console.log(`kept ${WORK} (state and logs)`);
  else rmSync(WORK, { recursive: true, force: true });
}
process.exit(exitCode);
