// `npm run bench`: Syndic's throughput beside a ceiling Worker on the same local runtime and beside the peers users
// would run instead, in one run, printed as ratios with their targets. See bench/README.md. Never part of `npm test`.
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
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
  sleep,
  spawnGroup,
  startedGroupCount,
  stopAll,
  stopGroup,
  survivors,
  track,
  waitFor,
  waitQuiet,
} from "./lib/procs.mjs";
import { limitingStage, meterSummary, queueSummary, queueTap, stageSummary } from "./lib/queue-log.mjs";
import { adminClient, endToEnd, publishAndDeliver, publishLoad, SWEEP_CRON, sinkFixture } from "./lib/syndic.mjs";
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
  burst: env.BENCH_BURST !== "0",
  burstEvents: num("BENCH_BURST_EVENTS", 20_000),
  burstBatch: num("BENCH_BURST_BATCH", 100),
  burstInFlight: num("BENCH_BURST_IN_FLIGHT", 4),
  burstWarmup: num("BENCH_BURST_WARMUP", 500),
  sustained: env.BENCH_SUSTAINED !== "0",
  sustainedSeconds: num("BENCH_SUSTAINED_SECONDS", num("BENCH_E2E_SECONDS", 30)),
  sustainedShare: num("BENCH_SUSTAINED_SHARE", 0.7),
  sustainedBatch: num("BENCH_SUSTAINED_BATCH", 100),
  sustainedInFlight: num("BENCH_SUSTAINED_IN_FLIGHT", 8),
  sustainedRate: num("BENCH_SUSTAINED_RATE", null),
  keep: env.BENCH_KEEP === "1",
  snapshot: env.BENCH_SNAPSHOT !== "0",
  tree: env.BENCH_TREE || null,
  archive: env.BENCH_ARCHIVE === "1",
};
const BATCH = 100;
/** Every target, by the issue that set it: issue 9's replace none of the older ones, they sit beside them. */
const TARGETS = {
  issue2: { single: 0.5, batch: 0.5, peer: 1.5 },
  issue3: { notify: 1.2 },
  issue9: {
    single: 1.0,
    batch: 0.75,
    burstVsBull: 1.5,
    duringLoad: 0.5,
    e2eVsHello: 0.5,
    notifyVsHello: 0.5,
    sustainedP99Ms: 2000,
    d1Per100: 20,
    /** "≈ 0": at most one decrypt per 1,000 delivered events (a cold credential or two in the whole burst). */
    decryptsPer100: 0.1,
  },
};
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
  raiseRateLimits(join(dir, "wrangler.toml"));
  return dir;
}

/** What the snapshot's config changed, for the printout and the results. */
const SNAPSHOT_CHANGES = [];
const BENCH_RATE_LIMIT = 100_000_000;

/**
 * The notify figure calls one notify URL thousands of times a minute, far over the relay's per-source limit (a
 * `[[ratelimits]]` binding): in the snapshot only, every such limit is raised out of reach. The binding stays and
 * is still called on every request, so its cost is measured; only its refusals are gone.
 */
function raiseRateLimits(configPath) {
  const text = readFileSync(configPath, "utf8");
  const raised = text.replace(
    /(\[\[ratelimits\]\][^[]*?name\s*=\s*"([^"]+)"[^[]*?simple\s*=\s*\{\s*limit\s*=\s*)(\d+)/g,
    (_match, head, name, limit) => {
      SNAPSHOT_CHANGES.push(`${name} limit ${limit} → ${BENCH_RATE_LIMIT} (snapshot's wrangler.toml)`);
      return `${head}${BENCH_RATE_LIMIT}`;
    },
  );
  writeFileSync(configPath, raised);
}

function gitState() {
  const head = run("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).out.trim();
  const dirty = run("git", ["status", "--porcelain", "--", "src", "migrations", "wrangler.toml"], { cwd: ROOT })
    .out.split("\n")
    .filter(Boolean).length;
  // BENCH_TREE: the code measured is that tree's, whatever this checkout holds.
  return { head, dirtyFiles: dirty, tree: CONFIG.tree };
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

/**
 * Before a measurement: waits (≤ BENCH_SETTLE_SECONDS) until the groups use under 15% of a core and, given the
 * relay's log tap, until no queue invocation has ended for 2 s, so one figure's backlog neither slows the next nor
 * lands in its per-invocation counts.
 */
async function settle(groups, label, tap = null) {
  const started = Date.now();
  const maxMs = CONFIG.settleSeconds * 1000;
  const waited = await waitQuiet(groups, { maxMs });
  while (tap && Date.now() - tap.lastInvocationSeenAt < 2000 && Date.now() - started < maxMs) await sleep(250);
  const queuesBusy = tap && Date.now() - tap.lastInvocationSeenAt < 2000;
  if (waited === null || queuesBusy) {
    log(
      `    (still busy after ${CONFIG.settleSeconds} s before ${label}${queuesBusy ? ": queue consumers still running" : ""}: measuring anyway)`,
    );
  }
}

/**
 * After a figure's last arrival: waits (≤ 30 s) until no queue invocation has ended for 3 s, so the invocations
 * that finished the figure's work (their line is logged when they end) are in its counts. Returns the window's end.
 */
async function queuesQuiet(tap) {
  const started = Date.now();
  while (Date.now() - tap.lastInvocationSeenAt < 3000 && Date.now() - started < 30_000) await sleep(250);
  return Date.now();
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
  const quiet = (label) => settle(servers.groups, label, logStream);
  const settled = () => queuesQuiet(logStream);
  /**
   * What the relay's own output says about a figure that ran from `from`, its load until `loadEnd`: Miniflare's
   * batches and the step lines until the last arrival, and what the queue consumers paid (their invocation lines
   * until they stopped, `quietAt`) per `delivered` event.
   */
  const observed = ({ from, loadEnd, lastArrival, quietAt, delivered }) => {
    const end = lastArrival ?? Date.now();
    return {
      queues: queueSummary(logStream.batches, from, end),
      relayStages: stageSummary(logStream.steps, { from, loadEnd, until: end + 1000 }),
      meters: meterSummary(logStream.invocations, { from, to: quietAt, delivered }),
    };
  };
  try {
    const admin = adminClient(servers.relayUrl);
    const { connections, seconds } = CONFIG;
    const hello = async (label) => {
      await quiet(label);
      log(`  ${label}: GET /hello (ceiling, no D1) ${seconds} s …`);
      return load({ url: servers.ceilingUrl, path: "/hello", method: "GET", connections, seconds });
    };

    // The runtime's own per-request rate, the reference of issue 9's ratios: measured first and again last, so a
    // change in what else the machine runs shows (the reference is both together).
    if (CONFIG.hello) {
      if (CONFIG.warmupSeconds > 0) {
        await load({
          url: servers.ceilingUrl,
          path: "/hello",
          method: "GET",
          connections,
          seconds: CONFIG.warmupSeconds,
        });
      }
      out.hello = await hello("reference");
    }

    // The end-to-end figures run before (1)/(2): those leave tens of thousands of routed-to-nobody events behind,
    // which would still be routing during the next figure and land in its per-invocation counts.
    if (CONFIG.e2e) {
      await quiet("figure 3");
      log(`  (3) end to end: publish ${CONFIG.e2eSeconds} s to a loopback sink, drain ≤ ${CONFIG.drainSeconds} s …`);
      out.e2e = await endToEnd({
        relayUrl: servers.relayUrl,
        cron: servers.cron,
        connections,
        seconds: CONFIG.e2eSeconds,
        drainSeconds: CONFIG.drainSeconds,
        settled,
        log,
      });
      Object.assign(
        out.e2e,
        observed({
          from: out.e2e.started,
          loadEnd: out.e2e.publishEnded,
          lastArrival: out.e2e.lastArrival,
          quietAt: out.e2e.quietAt,
          delivered: out.e2e.arrivedDistinct,
        }),
      );
    }

    if (CONFIG.sustained && !CONFIG.burst && !CONFIG.sustainedRate) {
      out.sustained = { skipped: "BENCH_BURST=0 and no BENCH_SUSTAINED_RATE: no rate to sustain" };
    } else if (CONFIG.burst || CONFIG.sustained) {
      const fixture = await sinkFixture(servers.relayUrl, "burst");
      const phase = (options) =>
        publishAndDeliver({
          fixture,
          relayUrl: servers.relayUrl,
          cron: servers.cron,
          drainSeconds: CONFIG.drainSeconds,
          settled,
          log,
          ...options,
        });
      const measured = (result) =>
        Object.assign(
          result,
          observed({
            from: result.started,
            loadEnd: result.publishEnded,
            lastArrival: result.lastArrival,
            quietAt: result.quietAt,
            delivered: result.arrivedDistinct,
          }),
        );
      try {
        // Warm: the subscription, its destination and credentials are read and cached once before the burst, as
        // they would be on a relay that has been running.
        if (CONFIG.burstWarmup > 0) {
          await quiet("burst warm-up");
          log(`  (3b) burst warm-up: ${fmt(CONFIG.burstWarmup)} events to the same subscription …`);
          out.burstWarmup = await phase({
            events: CONFIG.burstWarmup,
            batch: CONFIG.burstBatch,
            inFlight: CONFIG.burstInFlight,
            withLedger: false,
          });
        }
        if (CONFIG.burst) {
          await quiet("burst");
          log(
            `  (3b) burst: ${fmt(CONFIG.burstEvents)} events in requests of ${CONFIG.burstBatch}, ≤ ${CONFIG.burstInFlight} in flight, to a loopback sink, drain ≤ ${CONFIG.drainSeconds} s …`,
          );
          out.burst = measured(
            await phase({ events: CONFIG.burstEvents, batch: CONFIG.burstBatch, inFlight: CONFIG.burstInFlight }),
          );
          log(`    ${describeDelivery(out.burst)}`);
        }
        if (CONFIG.sustained) {
          const rate =
            CONFIG.sustainedRate ??
            (out.burst?.deliveredPerSec ? CONFIG.sustainedShare * out.burst.deliveredPerSec : null);
          if (!rate) {
            out.sustained = { skipped: "no burst delivered/s to take a share of (set BENCH_SUSTAINED_RATE)" };
          } else {
            await quiet("sustained");
            log(
              `  (3c) sustained: ${fmt(rate)} events/s (${CONFIG.sustainedRate ? "BENCH_SUSTAINED_RATE" : `${fmt(CONFIG.sustainedShare * 100)}% of the burst's delivered/s`}) for ${CONFIG.sustainedSeconds} s, paced requests of ${CONFIG.sustainedBatch} …`,
            );
            out.sustained = measured(
              await phase({
                events: Math.max(1, Math.round(rate * CONFIG.sustainedSeconds)),
                batch: CONFIG.sustainedBatch,
                inFlight: CONFIG.sustainedInFlight,
                eventsPerSec: rate,
              }),
            );
            out.sustained.rateFrom = CONFIG.sustainedRate ? "BENCH_SUSTAINED_RATE" : "burst";
            out.sustained.seconds = CONFIG.sustainedSeconds;
            log(`    ${describeDelivery(out.sustained)}`);
          }
        }
      } finally {
        await fixture.close();
      }
    }

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

      // Syndic and its ceiling take turns, BENCH_ROUNDS rounds of seconds/rounds each, so a change in what else
      // the machine runs meanwhile falls on both sides of the ratio. Only CPU quiet is waited for here: the
      // rounds' own routing backlog is part of what this figure's load looks like.
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

    if (CONFIG.notify && mocks) {
      const setup = await setupSyndicNotify(admin, mocks, `bench notify ${mode}`);
      out.notify = {};
      for (const [key, every503] of NOTIFY_VARIANTS) {
        await quiet(`notify ${key}`);
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
        Object.assign(
          result,
          observed({
            from: result.loadStart,
            loadEnd: result.loadEnd,
            lastArrival: result.lastArrival,
            quietAt: await settled(),
            delivered: result.arrived,
          }),
        );
        log(`    ${describeWorkflow(result)}`);
        out.notify[key] = result;
      }
    }

    if (CONFIG.hello) out.helloAfter = await hello("reference, again");
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

/** What a burst or sustained run delivered, in one line. */
function describeDelivery(d) {
  return `${fmt(d.deliveredPerSec)}/s delivered (first publish → last arrival), ${fmt(d.arrivedDistinct)}/${fmt(d.accepted)} arrived, ${fmt(d.missing)} lost, ${fmt(d.duplicates)} duplicates; 202 → arrival p50 ${fmt(d.latencyMs.p50)} ms, p99 ${fmt(d.latencyMs.p99)} ms`;
}

/** The mode's GET /hello, before and after its figures together: the reference of issue 9's ratios. */
function helloReference(result) {
  const rounds = [result.hello, result.helloAfter].filter(Boolean);
  if (!rounds.length) return null;
  const both = combineRounds(rounds);
  return {
    reqPerSec: both.reqPerSec,
    text: `GET /hello ${fmt(both.reqPerSec)} req/s`,
    rounds: rounds.map((r) => r.reqPerSec),
  };
}

const byIssue = (issue, text) => `${text} (issue ${issue})`;

function rowsFor(result, peers) {
  const tag = `[${result.mode}]`;
  const rows = [];
  const row = (figure, value, ceiling, ratio, target, pass) =>
    rows.push({ figure: `${tag} ${figure}`, value, ceiling, ratio, target, pass });
  const same = "″ (same figure)";
  const t9 = TARGETS.issue9;
  const t2 = TARGETS.issue2;
  if (result.error) row(result.name, "failed", "", null, "", null);
  const hello = helloReference(result);
  if (hello) {
    row(
      "ceiling GET /hello (runtime only)",
      `${fmt(hello.reqPerSec)} req/s (${lat(result.hello)})`,
      hello.rounds.length > 1
        ? `first ${fmt(hello.rounds[0])} req/s, last ${fmt(hello.rounds[1])} req/s`
        : "measured once",
      null,
      "reference for issue 9",
      null,
    );
  }
  const versusHello = (perSec) => (hello && perSec ? perSec / hello.reqPerSec : null);

  if (result.single?.ceiling) {
    const { syndic, ceiling } = result.single;
    const ratio = syndic.reqPerSec / ceiling.reqPerSec;
    row(
      "publish, 1 event/request",
      `${fmt(syndic.reqPerSec)} req/s (${lat(syndic)}${errs(syndic)})`,
      `/d1-one ${fmt(ceiling.reqPerSec)} req/s (${lat(ceiling)}${errs(ceiling)})`,
      ratio,
      byIssue(9, `≥ ${t9.single.toFixed(2)}×`),
      ratio >= t9.single,
    );
    row("publish, 1 event/request", same, same, ratio, byIssue(2, `≥ ${t2.single.toFixed(2)}×`), ratio >= t2.single);
  }
  if (result.batch?.ceiling) {
    const { syndic, ceiling, size } = result.batch;
    const ratio = syndic.reqPerSec / ceiling.reqPerSec;
    row(
      `publish, ${size} events/request`,
      `${fmt(syndic.reqPerSec * size)} events/s (${lat(syndic)}${errs(syndic)})`,
      `/d1-batch ${fmt(ceiling.reqPerSec * size)} rows/s (${lat(ceiling)}${errs(ceiling)})`,
      ratio,
      byIssue(9, `≥ ${t9.batch.toFixed(2)}×`),
      ratio >= t9.batch,
    );
    row(
      `publish, ${size} events/request`,
      same,
      same,
      ratio,
      byIssue(2, `≥ ${t2.batch.toFixed(2)}×`),
      ratio >= t2.batch,
    );
  }

  if (result.e2e) {
    const e = result.e2e;
    const lost = e.acceptedIds - e.arrivedDistinct;
    const e2eValue = `${fmt(e.deliveredPerSec)}/s (${fmt(e.arrivedDistinct)}/${fmt(e.acceptedIds)} arrived, ${fmt(lost)} missing, ${fmt(e.duplicatesArrived)} duplicates)`;
    const ratio = versusHello(e.deliveredPerSec);
    row(
      "end to end, 1 event/request, delivered/s",
      e2eValue,
      hello ? hello.text : "no GET /hello measured",
      ratio,
      byIssue(9, `≥ ${t9.e2eVsHello.toFixed(2)}× /hello`),
      ratio === null ? null : ratio >= t9.e2eVsHello,
    );
    row(
      "end to end, 1 event/request, delivered/s",
      same,
      "",
      null,
      byIssue(2, "nothing lost"),
      lost === 0 && e.drained,
    );
    const loadS = (e.publishEnded - e.started) / 1000;
    const during = e.arrivedDuringLoad / loadS;
    const publishRate = e.acceptedIds / loadS;
    row(
      `deliveries during the ${fmt(loadS)} s publish load`,
      `${fmt(during)}/s (${fmt(e.arrivedDuringLoad)} of ${fmt(e.acceptedIds)} arrived before the load ended)`,
      `publish rate ${fmt(publishRate)}/s`,
      publishRate ? during / publishRate : null,
      byIssue(9, `≥ ${t9.duringLoad.toFixed(2)}× the publish rate`),
      publishRate ? during / publishRate >= t9.duringLoad : null,
    );
    for (const [key, label] of [
      ["bull", "BullMQ relay"],
      ["nodeRed", "Node-RED"],
    ]) {
      const peer = peers?.[key];
      if (!peer) continue;
      const measured = !peer.skipped && peer.clean?.perSec;
      const peerRatio = measured ? e.deliveredPerSec / peer.clean.perSec : null;
      row(
        `e2e, 1 event/request, vs ${label}`,
        `${fmt(e.deliveredPerSec)}/s`,
        measured
          ? `${label} ${fmt(peer.clean.perSec)}/s (${fmt(peer.clean.arrived)}/${fmt(peer.clean.accepted)} delivered)`
          : `skipped: ${peer.skipped ?? "no figure"}`,
        peerRatio,
        byIssue(2, `≥ ${t2.peer.toFixed(2)}×`),
        peerRatio === null ? null : peerRatio >= t2.peer,
      );
    }
  }

  if (result.burst) {
    const b = result.burst;
    const clean = b.missing === 0 && b.duplicates === 0 && b.drained;
    const bull = peers?.bull;
    const measured = bull && !bull.skipped && bull.clean?.perSec;
    const ratio = measured && b.deliveredPerSec ? b.deliveredPerSec / bull.clean.perSec : null;
    row(
      `end to end burst, ${fmt(b.events)} events in ${b.batch}-event publishes, delivered/s`,
      `${fmt(b.deliveredPerSec)}/s (${fmt(b.arrivedDistinct)}/${fmt(b.accepted)} arrived, ${fmt(b.missing)} ${b.drained ? "lost" : `not arrived within the ${CONFIG.drainSeconds} s drain`}, ${fmt(b.duplicates)} duplicates)`,
      measured
        ? `BullMQ relay ${fmt(bull.clean.perSec)}/s (notify workflow, ${fmt(bull.clean.arrived)}/${fmt(bull.clean.accepted)} delivered)${hello ? `; ${hello.text}` : ""}`
        : `BullMQ relay: ${bull?.skipped ?? "not measured"}`,
      ratio,
      byIssue(9, `≥ ${t9.burstVsBull.toFixed(2)}×, 0 lost, 0 duplicates`),
      ratio === null ? (clean ? null : false) : ratio >= t9.burstVsBull && clean,
    );
  }
  if (result.sustained) {
    const d = result.sustained;
    if (d.skipped) {
      row(
        `sustained at ${fmt(CONFIG.sustainedShare * 100)}% of the burst`,
        `skipped: ${d.skipped}`,
        "",
        null,
        byIssue(9, "p99 ≤ 2 s"),
        null,
      );
    } else {
      const clean = d.missing === 0 && d.drained;
      const share =
        d.rateFrom === "burst"
          ? `${fmt(CONFIG.sustainedShare * 100)}% of the burst's ${fmt(result.burst.deliveredPerSec)}/s`
          : "BENCH_SUSTAINED_RATE";
      row(
        `sustained, ${fmt(d.eventsPerSec)} events/s for ${fmt(d.seconds)} s, 202 → arrival`,
        `p99 ${fmt(d.latencyMs.p99)} ms, p50 ${fmt(d.latencyMs.p50)} ms (${fmt(d.arrivedDistinct)}/${fmt(d.accepted)} arrived, ${fmt(d.duplicates)} duplicates)`,
        `${share}; paced requests of ${d.batch}, published at ${fmt(d.publishPerSec)}/s, delivered ${fmt(d.deliveredPerSec)}/s`,
        null,
        byIssue(9, `p99 ≤ ${fmt(t9.sustainedP99Ms / 1000)} s, nothing lost`),
        clean && d.latencyMs.p99 !== null && d.latencyMs.p99 <= t9.sustainedP99Ms,
      );
    }
  }
  const meters = result.burst?.meters;
  if (meters?.all.invocations) {
    const perQueue = Object.entries(meters.queues)
      .map(([queue, q]) => `${shortQueue(queue)} ${fmt(q.per100.d1Calls, 1)}`)
      .join(", ");
    row(
      "D1 calls per 100 delivered events (burst, warm)",
      `${fmt(meters.all.per100.d1Calls, 1)} (${perQueue}); queue ops ${fmt(meters.all.per100.queueOps, 1)} per 100`,
      `${fmt(meters.all.invocations)} queue invocations for ${fmt(meters.delivered)} delivered; not counted: the publish requests' own D1 calls`,
      null,
      byIssue(9, `≤ ${t9.d1Per100}`),
      meters.all.per100.d1Calls <= t9.d1Per100,
    );
    row(
      "AES decrypts per 100 delivered events (burst, warm)",
      `${fmt(meters.all.per100.decrypts, 2)} (${fmt(meters.all.decrypts)} in all)`,
      "counted per isolate: an upper bound",
      null,
      byIssue(9, `≈ 0 (≤ ${t9.decryptsPer100})`),
      meters.all.per100.decrypts <= t9.decryptsPer100,
    );
  } else if (result.burst) {
    row(
      "D1 calls per 100 delivered events (burst, warm)",
      "no queue invocation lines read",
      "the relay logs them from src/index.ts",
      null,
      byIssue(9, `≤ ${t9.d1Per100}`),
      null,
    );
  }

  for (const [key, every503] of NOTIFY_VARIANTS) {
    const w = result.notify?.[key];
    if (!w) continue;
    const peer = fasterPeer(peers, key);
    const ratio = peer && w.perSec ? w.perSec / peer.result.perSec : null;
    const nothingLost = w.lost === 0 && w.drained;
    const figure = `notify → origin → CRM${every503 ? ` (every ${every503}th 503)` : ""}`;
    const peerText = peer
      ? `faster peer: ${peer.name} ${fmt(peer.result.perSec)}/s (p50 ${fmt(peer.result.latencyMs.p50)} ms, p99 ${fmt(peer.result.latencyMs.p99)} ms)`
      : "no peer measured";
    row(
      figure,
      `${fmt(w.perSec)}/s (p50 ${fmt(w.latencyMs.p50)} ms, p99 ${fmt(w.latencyMs.p99)} ms; ${fmt(w.arrived)}/${fmt(w.accepted)} arrived)`,
      `${peerText}${result.single?.ceiling ? `; bound: /d1-one ${fmt(result.single.ceiling.reqPerSec)} req/s` : ""}`,
      ratio,
      byIssue(3, `≥ ${TARGETS.issue3.notify.toFixed(2)}× the faster peer, nothing lost`),
      ratio === null ? (nothingLost ? null : false) : ratio >= TARGETS.issue3.notify && nothingLost,
    );
    if (every503) continue;
    const helloRatio = versusHello(w.perSec);
    row(
      figure,
      same,
      `${hello ? hello.text : "no GET /hello measured"}; ${peer ? `${peer.name} ${fmt(peer.result.perSec)}/s (Syndic ${fmt(ratio, 2)}×)` : "no peer measured"}`,
      helloRatio,
      byIssue(9, `≥ ${t9.notifyVsHello.toFixed(2)}× /hello, nothing lost`),
      helloRatio === null ? (nothingLost ? null : false) : helloRatio >= t9.notifyVsHello && nothingLost,
    );
  }
  return rows;
}

/** "syndic-deliver" → "deliver": the queues' names without the project prefix, for narrow cells. */
const shortQueue = (queue) => queue.replace(/^syndic-/, "");

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

/** Per mode and issue: how many targets were met, and which were missed. */
function printTargetSummary(rows) {
  const groups = new Map();
  for (const row of rows) {
    const issue = /\(issue (\d+)\)$/.exec(row.target)?.[1];
    if (!issue || row.pass === null) continue;
    const key = `${/^\[[^\]]+\]/.exec(row.figure)?.[0] ?? ""} issue ${issue}`;
    const group = groups.get(key) ?? { met: 0, missed: [] };
    if (row.pass) group.met += 1;
    else group.missed.push(row.figure.replace(/^\[[^\]]+\] /, ""));
    groups.set(key, group);
  }
  for (const [key, { met, missed }] of groups) {
    console.log(
      `${key}: ${met} of ${met + missed.length} targets met${missed.length ? `; missed: ${missed.join("; ")}` : ""}`,
    );
  }
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
    ["burst warm-up publish", result.burstWarmup?.publish],
    ["burst publish", result.burst?.publish],
    ["sustained publish", result.sustained?.publish],
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

/**
 * What the queue consumers paid for a figure, queue by queue and in all, from the relay's invocation lines
 * (src/index.ts), per 100 delivered events; and which consumer was busiest (locally one batch per queue at a time,
 * so a consumer busy most of the window is the one the others wait for).
 */
function printMeters(meters) {
  if (!meters) return;
  if (!meters.all.invocations) {
    console.log("      queue invocations: none logged in this window (no invocation lines from src/index.ts?)");
    return;
  }
  const w = (text, n) => String(text).padStart(n);
  console.log(
    `      queue invocations (+${fmt(meters.all.firstAtS, 1)} → +${fmt(meters.all.lastAtS, 1)} s), per 100 of ${fmt(meters.delivered)} delivered events:`,
  );
  console.log(
    `        ${"queue".padEnd(22)}${w("invocations", 12)}${w("messages", 10)}${w("busy", 7)}${w("ms/inv.", 9)}${w("D1/inv.", 9)}${w("D1", 9)}${w("queue ops", 11)}${w("msgs sent", 11)}${w("decrypts", 10)}`,
  );
  const line = (name, q) =>
    console.log(
      `        ${name.padEnd(22)}${w(fmt(q.invocations), 12)}${w(fmt(q.messages), 10)}${w(`${fmt(q.busyShare * 100)}%`, 7)}${w(fmt(q.ms / Math.max(1, q.invocations)), 9)}${w(fmt(q.d1Calls / Math.max(1, q.invocations), 1), 9)}${w(fmt(q.per100.d1Calls, 1), 9)}${w(fmt(q.per100.queueOps, 1), 11)}${w(fmt(q.per100.queueMessages, 1), 11)}${w(fmt(q.per100.decrypts, 2), 10)}`,
    );
  const queues = Object.entries(meters.queues).sort((a, b) => a[1].first - b[1].first);
  for (const [queue, q] of queues) line(queue, q);
  line("all queues", meters.all);
  const [busiest, q] = queues.reduce((best, entry) => (entry[1].busyShare > best[1].busyShare ? entry : best));
  console.log(
    `      → busiest consumer: ${busiest} (busy ${fmt(q.busyShare * 100)}% of the window, ${fmt(q.messages / Math.max(0.001, (q.last - q.first) / 1000))} messages/s once it ran)`,
  );
  console.log(
    "      (D1 calls made by the publish requests themselves are not in these lines; decrypts are counted per isolate, an upper bound)",
  );
}

/** Stage rows in pipeline order, and the verdict on which one limits. */
function stageTable(rows) {
  const missing = rows.filter(([, row]) => row === undefined).map(([name]) => name);
  rows = rows.filter(([, row]) => row !== undefined);
  for (const [name, row, extra] of rows) console.log(stageLine(name, row, extra ?? ""));
  if (missing.length) console.log(`      (no log lines for: ${missing.join(", ")})`);
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
    printMeters(e.meters);
    console.log(
      `      ledger: ${JSON.stringify(e.deliveries.statuses)}, ${fmt(e.deliveries.retried)} retried; sink: ${fmt(e.arrived)} requests, ${fmt(e.duplicatesArrived)} duplicates, ${fmt(e.missing)} missing; longest pause between arrivals ${fmt(e.longestPause.ms)} ms (after +${fmt(e.longestPause.afterS, 1)} s); ${fmt(e.sweeps)} sweeps`,
    );
  }
  if (result.burstWarmup) {
    console.log(`[${result.mode}] (3b) burst warm-up: ${describeDelivery(result.burstWarmup)}`);
  }
  for (const [d, label] of [
    [result.burst, "(3b) burst"],
    [result.sustained, "(3c) sustained"],
  ]) {
    if (!d || d.skipped) continue;
    const p = d.publish;
    console.log(
      `[${result.mode}] ${label}: ${fmt(d.accepted)} events in ${fmt(d.requests)} requests of ${d.batch} (≤ ${d.inFlight} in flight${d.eventsPerSec ? `, paced at ${fmt(d.eventsPerSec)} events/s, schedule slipped ≤ ${fmt(p.lateMaxMs)} ms` : ", back to back"}):`,
    );
    console.log(
      `      publish ${fmt(d.publishPerSec)} events/s over ${fmt((d.publishEnded - d.started) / 1000, 1)} s (request p50 ${fmt(p.latencyP50)} ms, p99 ${fmt(p.latencyP99)} ms${errs(p)}); ${describeDelivery(d)}`,
    );
    const r = d.relayStages ?? {};
    const loadS = Math.max(0.001, (d.publishEnded - d.started) / 1000);
    stageTable([
      ...E2E_STAGES.map(([name, key]) => [name, r[key], durationNote(r[key])]),
      [
        "arrived at the sink",
        {
          count: d.arrivedDistinct,
          perSecDuringLoad: d.arrivedByLoadEnd / loadS,
          activePerSec:
            d.firstArrival && d.lastArrival > d.firstArrival
              ? d.arrivedDistinct / ((d.lastArrival - d.firstArrival) / 1000)
              : null,
          firstAtS: d.firstArrival ? (d.firstArrival - d.started) / 1000 : null,
          lastAtS: d.lastArrival ? (d.lastArrival - d.started) / 1000 : null,
        },
      ],
    ]);
    printConsumers(d.queues);
    printMeters(d.meters);
    const ledger = d.deliveries;
    console.log(
      `      ${ledger ? `ledger: ${JSON.stringify(ledger.statuses)}, ${fmt(ledger.retried)} retried; ` : ""}longest pause between arrivals ${fmt(d.longestPause.ms)} ms (after +${fmt(d.longestPause.afterS, 1)} s); ${fmt(d.sweeps)} sweeps${d.drained ? "" : `; NOT drained within ${CONFIG.drainSeconds} s`}`,
    );
    for (const sample of ledger?.retrySamples ?? []) console.log(`      retried after: ${sample}`);
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
    printMeters(w.meters);
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

/**
 * Syndic's collapse window, read from the code under test (whichever file under src/ defines it: the pipeline is
 * being moved): it is a floor under the notify latency.
 */
function collapseWindow() {
  const src = join(APP, "src");
  for (const file of readdirSync(src, { recursive: true })) {
    if (!String(file).endsWith(".ts")) continue;
    const match = /COLLAPSE_WINDOW_S\s*=\s*(\d+(?:\.\d+)?)/.exec(readFileSync(join(src, String(file)), "utf8"));
    if (match) return { seconds: Number(match[1]), file: join("src", String(file)) };
  }
  return { seconds: Number.NaN, file: null };
}
let COLLAPSE_WINDOW_S = Number.NaN;
let COLLAPSE_WINDOW_FILE = null;

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
    `Syndic bench — ${loadBefore.cores} cores, load ${loadBefore.loadavg.join(" ")}; ${CONFIG.connections} connections, ${CONFIG.seconds} s per figure, e2e ${CONFIG.e2eSeconds} s, burst ${CONFIG.burst ? `${CONFIG.burstEvents} events` : "off"}, sustained ${CONFIG.sustained ? `${CONFIG.sustainedSeconds} s` : "off"}, notify ${CONFIG.notifySeconds} s; modes ${CONFIG.modes.join(",")}`,
  );
  const startedAt = new Date().toISOString();
  const git = gitState();
  APP = snapshotProject();
  ({ seconds: COLLAPSE_WINDOW_S, file: COLLAPSE_WINDOW_FILE } = collapseWindow());
  relayProcess = await import(pathToFileURL(join(APP, "scripts", "relay-process.mjs")).href);
  log(
    `code: ${git.tree ? `the tree ${git.tree} (this checkout: ${git.head})` : `${git.head} + ${git.dirtyFiles} uncommitted file(s) under src/, migrations/`}; ${CONFIG.snapshot ? `running a snapshot of ${CONFIG.tree ?? ROOT} in ${APP}` : "running the live tree (BENCH_SNAPSHOT=0: the notify rate limit stays and refuses most of figure 5)"}`,
  );
  for (const change of SNAPSHOT_CHANGES)
    log(`snapshot config: ${change}, so figure 5 measures the relay, not its limit`);

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
  printTargetSummary(rows);
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
      `notify latency: Syndic waits COLLAPSE_WINDOW_S = ${COLLAPSE_WINDOW_S} s (${COLLAPSE_WINDOW_FILE}) before it fetches, so calls for one id within the window become one fetch: that is a floor under its notify→CRM latency; the peers have no such window.`,
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
    snapshotChanges: SNAPSHOT_CHANGES,
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
