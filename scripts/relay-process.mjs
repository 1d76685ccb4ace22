// Starts and stops a local relay (`wrangler dev`): shared by `npm start`, the e2e tests and the bench.
//
// The relay runs in a process group of its own, so a caller stops all of it (wrangler and workerd) by signalling
// the group, and a Ctrl-C meant for the caller's terminal does not reach it. The group is led by a supervisor (this
// file run as a script), which takes the whole group down when the caller dies, however it died: a relay that
// outlived its `npm start` kept answering /healthz and 202 while delivering nothing, and held the port.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const SELF = fileURLToPath(import.meta.url);
export const ROOT = join(dirname(SELF), "..");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const SECRET_NAMES = new Set(["ADMIN_TOKEN", "SECRETS_KEY", "LINK_SIGNING_KEY"]);
const SUPERVISE = "--supervise";
/** How long the relay gets to stop on SIGTERM before the rest of its group is SIGKILLed. */
const STOP_GRACE_MS = 3000;

/** Creates .dev.vars from the example when missing and returns its key/value pairs. */
export function ensureDevVars() {
  const path = join(ROOT, ".dev.vars");
  if (!existsSync(path)) {
    copyFileSync(join(ROOT, ".dev.vars.example"), path);
    console.log("created .dev.vars from .dev.vars.example (local defaults)");
  }
  return parseDotenv(readFileSync(path, "utf8"));
}

export function parseDotenv(text) {
  const vars = {};
  for (const line of text.split(/\r?\n/)) {
    const match = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/);
    if (!match) continue;
    vars[match[1]] = match[2].replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
  }
  return vars;
}

/** Applies the D1 migrations to the local database under `persistTo`. */
export function applyLocalMigrations(persistTo) {
  const result = spawnSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
  });
  if (result.status !== 0) throw new Error(`migrations failed:\n${result.stdout}\n${result.stderr}`);
}

/**
 * Starts `wrangler dev` on 127.0.0.1:port. Non-secret keys of .dev.vars (and `vars`) are passed as --var, because
 * wrangler only reads the declared secrets from .dev.vars.
 */
export async function startRelay({ port = 8787, persistTo = join(ROOT, ".wrangler", "state"), vars = {}, log } = {}) {
  await assertPortFree(port);
  const devVars = { ...ensureDevVars(), ...vars };
  applyLocalMigrations(persistTo);
  const varArgs = Object.entries(devVars)
    .filter(([key]) => !SECRET_NAMES.has(key))
    .flatMap(([key, value]) => ["--var", `${key}:${value}`]);
  const secretsEnv = Object.fromEntries(Object.entries(devVars).filter(([key]) => SECRET_NAMES.has(key)));
  const child = spawn(
    process.execPath,
    [
      SELF,
      SUPERVISE,
      WRANGLER,
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      persistTo,
      "--inspector-port",
      "0",
      "--show-interactive-dev-session=false",
      ...varArgs,
    ],
    {
      cwd: ROOT,
      detached: true,
      // The supervisor's stdin is a pipe nobody writes to: it reads end-of-file when this process is gone.
      stdio: ["pipe", "pipe", "pipe"],
      // VSCODE_INSPECTOR_OPTIONS: without it, wrangler's devtools proxy posts every runtime message (each log line,
      // each D1 call) to its node side over a new loopback connection that workerd leaves in CLOSE-WAIT: ~20 sockets
      // per delivery here, so a busy relay hits the open-file limit after about 1,000 deliveries and stops answering.
      // Wrangler skips the inspector when it sees this variable (as in a VS Code debug terminal); the Worker is unchanged.
      env: {
        ...process.env,
        ...secretsEnv,
        VSCODE_INSPECTOR_OPTIONS: process.env.VSCODE_INSPECTOR_OPTIONS ?? "{}",
        WRANGLER_SEND_METRICS: "false",
        CI: "true",
      },
    },
  );
  const output = [];
  const onData = (chunk) => {
    const text = chunk.toString();
    output.push(text);
    if (output.length > 400) output.shift();
    log?.(text);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const url = `http://127.0.0.1:${port}`;
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const relay = {
    url,
    child,
    output: () => output.join(""),
    /** Signals the whole process group (supervisor, wrangler, workerd): workerd may ignore SIGTERM. */
    kill(signal = "SIGKILL") {
      signalGroup(child.pid, signal);
    },
    async stop() {
      relay.kill("SIGTERM");
      const stopped = await waitFor(exited, STOP_GRACE_MS + 2000).catch(() => false);
      if (!stopped) relay.kill("SIGKILL");
    },
    /** Runs a cron trigger now, as Cloudflare would on schedule. */
    async cron(expression) {
      const res = await fetch(`${url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(expression)}`);
      if (!res.ok) throw new Error(`scheduled ${expression}: ${res.status}`);
    },
  };
  try {
    await waitFor(async () => {
      if (exited()) throw new Error(`wrangler dev exited:\n${relay.output()}`);
      const res = await fetch(`${url}/healthz`).catch(() => null);
      if (res?.status === 503) {
        // The relay refuses unfit keys; say so now instead of waiting out the timeout.
        const problem = await res.json().catch(() => ({}));
        if (/misconfigured/.test(problem.detail ?? "")) {
          throw new Error(
            `${problem.detail}\n(local keys live in .dev.vars: delete it to get fresh ones from .dev.vars.example)`,
          );
        }
      }
      return res?.ok === true;
    }, 90_000);
  } catch (error) {
    relay.kill();
    throw error;
  }
  return relay;
}

/** Polls `check` until it returns true, every 100 ms, for at most `timeoutMs`. */
export async function waitFor(check, timeoutMs, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Thrown by startRelay when the port is taken: by an earlier relay still running, or by another program. */
export class PortInUseError extends Error {
  constructor(port, host) {
    super(
      `Port ${port} on ${host} is already in use, so the relay cannot listen there.\n` +
        "Something else holds it (an earlier relay still running?). To see which process:\n" +
        `  lsof -nP -iTCP:${port} -sTCP:LISTEN    or    ss -ltnp 'sport = :${port}'\n` +
        `Stop that process, or start the relay on another port: npm start -- --port ${port + 1}`,
    );
    this.name = "PortInUseError";
    this.port = port;
  }
}

/** Binds the port for a moment: wrangler's own complaint, when it gets there, comes late and says less. */
export async function assertPortFree(port, host = "127.0.0.1") {
  const server = createServer();
  const error = await new Promise((resolve) => {
    server.once("error", resolve);
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(null)));
  });
  if (error?.code === "EADDRINUSE") throw new PortInUseError(port, host);
  if (error) throw error;
}

/**
 * The supervisor: runs `command` in its own (detached) process group and ends the group with it. It stops the relay
 * when its caller dies (its stdin reaches end-of-file, or it is handed to another parent: Node has no
 * PR_SET_PDEATHSIG), and when the relay exits it takes down whatever the relay left in the group (workerd) before it
 * exits with the relay's status. A SIGTERM, SIGINT or SIGHUP (to the group or to it alone) is passed to the relay,
 * and the supervisor leaves after it.
 */
function supervise([command, ...args]) {
  const relay = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
  const group = process.pid;
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => relay.kill(signal));

  let callerGone = false;
  const stopRelay = () => {
    if (callerGone) return;
    callerGone = true;
    // Nothing is printed from here on: the caller's end of stdout and stderr is gone.
    signalGroup(group, "SIGTERM");
    setTimeout(() => signalGroup(group, "SIGKILL"), STOP_GRACE_MS);
  };
  process.stdin.on("end", stopRelay);
  process.stdin.on("error", stopRelay);
  process.stdin.resume();
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && stopRelay(), 500);

  relay.on("exit", async (code, signal) => {
    const status = code ?? 128 + (constants.signals[signal] ?? 0);
    // Without /proc the others cannot be told apart from this process: end the group, this process with it.
    if (groupMembers(group) === null) signalGroup(group, "SIGKILL");
    const sendAll = (name) => {
      for (const pid of groupMembers(group)) sendSignal(pid, name);
    };
    sendAll("SIGTERM");
    await waitFor(() => groupMembers(group).length === 0, STOP_GRACE_MS).catch(() => sendAll("SIGKILL"));
    process.exit(status);
  });
}

/** The other live processes of process group `group`, or null where /proc cannot tell (not Linux). */
function groupMembers(group) {
  if (!existsSync("/proc/self/stat")) return null;
  const members = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name (in parentheses): state, ppid, pgrp, ...
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === group && state !== "Z") members.push(Number(entry));
    } catch {}
  }
  return members;
}

function signalGroup(group, name) {
  sendSignal(-group, name);
}

function sendSignal(pid, name) {
  try {
    process.kill(pid, name);
  } catch {}
}

if (process.argv[1] === SELF && process.argv[2] === SUPERVISE) supervise(process.argv.slice(3));
