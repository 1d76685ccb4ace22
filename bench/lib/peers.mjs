// The peers from /work/shared/peers (what users would run instead): the Express + BullMQ + Redis relay and the
// Node-RED flow, each started in a process group of its own and driven by the same notify-workflow driver and mocks
// as Syndic (bench/lib/workflow.mjs), in the same run. Installed in a scratch copy under os.tmpdir(), never inside
// the project. Only their ports are changed: the bench's mocks listen on free ports, passed to the BullMQ relay
// through its own ORIGIN/DEST/PORT variables and to Node-RED through a copy of its flow with the two URLs rewritten
// (flows-bench.json beside flows.json) and `-p <port>`.
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, portInUse, run, sleep, spawnGroup, stopGroup, waitFor, which } from "./procs.mjs";

export const PEERS_SRC = process.env.BENCH_PEERS_SRC || "/work/shared/peers";
export const PEERS_DIR = process.env.BENCH_PEERS_DIR || join(tmpdir(), "syndic-bench-peers");
const REDIS_PORT = 6379; // relay.js connects to 6379, no variable for it

function makeWritable(path) {
  const stat = statSync(path);
  chmodSync(path, stat.mode | 0o200);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) makeWritable(join(path, entry));
}

/** Copies the peers once and installs the parts asked for; returns which parts are usable. */
export function preparePeers(parts, log) {
  if (!existsSync(PEERS_SRC)) return { error: `${PEERS_SRC} not found` };
  if (!existsSync(join(PEERS_DIR, "bull", "relay.js"))) {
    mkdirSync(PEERS_DIR, { recursive: true });
    cpSync(PEERS_SRC, PEERS_DIR, { recursive: true });
    makeWritable(PEERS_DIR);
  }
  const ready = {};
  for (const part of parts) {
    const dir = join(PEERS_DIR, part);
    if (existsSync(join(dir, "node_modules", ".package-lock.json"))) {
      ready[part] = true;
      continue;
    }
    log(`  installing peers/${part} into ${dir} …`);
    const started = Date.now();
    const result = run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: dir,
      timeout: 300_000,
    });
    if (!result.ok) {
      rmSync(join(dir, "node_modules"), { recursive: true, force: true });
      ready[part] = `npm install failed: ${result.out.trim().split("\n").slice(-3).join(" | ")}`;
    } else {
      ready[part] = true;
      log(`  installed peers/${part} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  return ready;
}

async function post(url, body) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).catch(() => null);
  await res?.arrayBuffer().catch(() => {});
  return res?.status ?? 0;
}

/**
 * Starts each peer in turn against `mocks` and calls `measure(peer)` with `{ url, path, acceptedStatus, bodyFor,
 * groups }` while it runs; returns `{ bull, nodeRed }`, each `measure`'s result or `{ skipped: reason }`.
 */
export async function withPeers({ mocks, wantNodeRed, log, logStream, measure }) {
  const results = { bull: null, nodeRed: null };
  const redis = which("redis-server");
  const parts = [...(redis ? ["bull"] : []), ...(wantNodeRed ? ["nr"] : [])];
  const ready = preparePeers(parts, log);
  if (ready.error) return { bull: { skipped: ready.error }, nodeRed: { skipped: ready.error } };

  if (!redis) results.bull = { skipped: "redis-server is not installed (apt-get install -y redis-server)" };
  else if (ready.bull !== true) results.bull = { skipped: `peers/bull: ${ready.bull}` };
  else if (await portInUse(REDIS_PORT)) {
    results.bull = { skipped: `port ${REDIS_PORT} is already in use (another redis?): not started by the bench` };
  } else {
    results.bull = await withBull({ redis, mocks, log, logStream, measure });
  }

  if (!wantNodeRed) results.nodeRed = { skipped: "BENCH_NODE_RED=0" };
  else if (ready.nr !== true) results.nodeRed = { skipped: `peers/nr: ${ready.nr}` };
  else results.nodeRed = await withNodeRed({ mocks, log, logStream, measure });
  return results;
}

const peerBody = (id) => JSON.stringify({ event: "profile.updated", id });

async function withBull({ redis, mocks, log, logStream, measure }) {
  const dir = join(PEERS_DIR, "bull");
  const started = [];
  try {
    const port = await freePort();
    const env = { ORIGIN: mocks.originBase, DEST: mocks.crmContacts, PORT: String(port) };
    started.push(
      spawnGroup(
        "redis-server",
        redis,
        ["--port", String(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        { cwd: PEERS_DIR, logStream },
      ),
    );
    await waitFor(() => portInUse(REDIS_PORT), 10_000);
    started.push(spawnGroup("bull web", process.execPath, ["relay.js", "web"], { cwd: dir, env, logStream }));
    started.push(spawnGroup("bull worker", process.execPath, ["relay.js", "worker"], { cwd: dir, env, logStream }));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await post(`${url}/hook`, { id: "warmup" })) === 202, 20_000);
    await sleep(1000);
    log(`  BullMQ relay (Express 5 + BullMQ 5 + Redis) on ${url}`);
    return await measure({
      name: "BullMQ relay",
      url,
      path: "/hook",
      acceptedStatus: 202,
      bodyFor: peerBody,
      groups: started.map((child) => child.pid),
    });
  } catch (error) {
    return { skipped: `BullMQ relay failed: ${error.message}` };
  } finally {
    for (const child of started.reverse()) await stopGroup(child.pid);
  }
}

async function withNodeRed({ mocks, log, logStream, measure }) {
  const dir = join(PEERS_DIR, "nr");
  let child = null;
  try {
    const port = await freePort();
    const flows = readFileSync(join(dir, "userdir", "flows.json"), "utf8")
      .replaceAll("http://127.0.0.1:4001", mocks.originBase)
      .replaceAll("http://127.0.0.1:4002/crm/contacts", mocks.crmContacts);
    writeFileSync(join(dir, "userdir", "flows-bench.json"), flows);
    child = spawnGroup(
      "node-red",
      join(dir, "node_modules", ".bin", "node-red"),
      ["-u", "userdir", "--settings", "userdir/settings.js", "-p", String(port), "flows-bench.json"],
      { cwd: dir, logStream },
    );
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`node-red exited: ${child.output().slice(-500)}`);
      return (await post(`${url}/hook`, { id: "warmup" })) === 200;
    }, 60_000);
    await sleep(1000);
    log(`  Node-RED 4.1 flow on ${url}`);
    return await measure({
      name: "Node-RED",
      url,
      path: "/hook",
      acceptedStatus: 200,
      bodyFor: peerBody,
      groups: [child.pid],
    });
  } catch (error) {
    return { skipped: `Node-RED failed: ${error.message}` };
  } finally {
    if (child) await stopGroup(child.pid);
  }
}
