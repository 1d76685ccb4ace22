// Every process the bench starts lives in a process group of its own and is recorded here, so one cleanup (on
// success, error, Ctrl-C or exit) stops them all: SIGTERM to the group, then SIGKILL.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, Socket } from "node:net";

/** @type {Map<number, string>} process-group id → label */
const groups = new Map();
/** Every group ever started or recorded, for the final check that none of them has a process left. */
const everStarted = new Map();

function alive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {}
}

/** Records a group started elsewhere (e.g. by scripts/relay-process.mjs). */
export function track(pgid, label) {
  groups.set(pgid, label);
  everStarted.set(pgid, label);
}

/** Processes still alive in any group the bench started: `[{ pid, pgid, label, command }]`, empty when all stopped. */
export function survivors() {
  const left = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pgid = Number(fields[2]);
      if (fields[0] === "Z" || !everStarted.has(pgid)) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim().slice(0, 120);
      left.push({ pid: Number(entry), pgid, label: everStarted.get(pgid), command });
    } catch {}
  }
  return left;
}

export const startedGroupCount = () => everStarted.size;

/** Children of this process that lead their own group (detached spawns), including ones not tracked yet. */
function detachedChildren() {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = Number(fields[1]);
      const pgrp = Number(fields[2]);
      if (ppid === process.pid && pgrp === Number(entry)) found.push(pgrp);
    } catch {}
  }
  return found;
}

export async function stopGroup(pgid, graceMs = 5000) {
  if (!alive(pgid)) {
    groups.delete(pgid);
    return;
  }
  signalGroup(pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (alive(pgid) && Date.now() < deadline) await sleep(100);
  if (alive(pgid)) signalGroup(pgid, "SIGKILL");
  groups.delete(pgid);
}

export async function stopAll() {
  for (const pgid of detachedChildren()) if (!everStarted.has(pgid)) everStarted.set(pgid, "untracked child");
  const all = new Set([...groups.keys(), ...detachedChildren()]);
  await Promise.all([...all].map((pgid) => stopGroup(pgid)));
}

/** Last resort inside `process.on("exit")`: synchronous, no waiting. */
function killAllNow() {
  for (const pgid of new Set([...groups.keys(), ...detachedChildren()])) signalGroup(pgid, "SIGKILL");
}

let installed = false;
export function installCleanupHandlers() {
  if (installed) return;
  installed = true;
  process.on("exit", killAllNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, async () => {
      console.error(`\n${signal}: stopping every process the bench started…`);
      const timer = setTimeout(() => {
        killAllNow();
        process.exit(130);
      }, 8000);
      timer.unref();
      await stopAll().catch(() => {});
      process.exit(130);
    });
  }
}

/**
 * Spawns `command` detached (its own process group), output to `logStream` when given. Returns the child; the group
 * is tracked until stopGroup/stopAll.
 */
export function spawnGroup(label, command, args, { cwd, env, logStream, stdin = "ignore" } = {}) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: [stdin, "pipe", "pipe"],
  });
  track(child.pid, label);
  const output = [];
  const onData = (chunk) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
    logStream?.write(chunk);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  child.output = () => output.join("");
  // The group may outlive its leader (workerd under wrangler): it stays listed until stopGroup has checked it.
  return child;
}

export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...options });
  return { ok: result.status === 0, status: result.status, out: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

export function which(command) {
  return run("sh", ["-c", `command -v ${command}`]).out.trim() || null;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function portInUse(port, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, host);
  });
}

/** CPU seconds used so far by every process of a group (utime + stime, clock ticks of 1/100 s). */
function groupCpuSeconds(pgid) {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return ticks / 100;
}

/**
 * Waits until the groups have been nearly idle (< `busyShare` of a core) for two consecutive seconds, or `maxMs`
 * passed: background work from one figure (routing what was just published) must not slow the next.
 */
export async function waitQuiet(pgids, { maxMs = 60_000, busyShare = 0.15 } = {}) {
  const started = Date.now();
  let last = pgids.reduce((sum, pgid) => sum + groupCpuSeconds(pgid), 0);
  let calm = 0;
  while (Date.now() - started < maxMs) {
    await sleep(1000);
    const now = pgids.reduce((sum, pgid) => sum + groupCpuSeconds(pgid), 0);
    calm = now - last < busyShare ? calm + 1 : 0;
    last = now;
    if (calm >= 2) return (Date.now() - started) / 1000;
  }
  return null;
}

/** Polls `check` until it returns true, every `intervalMs`, for at most `timeoutMs`. */
export async function waitFor(check, timeoutMs, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}
