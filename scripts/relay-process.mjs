// Starts and stops a local relay (`wrangler dev`) in its own process group: shared by `npm start`, the e2e tests and the bench.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const SECRET_NAMES = new Set(["ADMIN_TOKEN", "SECRETS_KEY", "LINK_SIGNING_KEY"]);

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
  const devVars = { ...ensureDevVars(), ...vars };
  applyLocalMigrations(persistTo);
  const varArgs = Object.entries(devVars)
    .filter(([key]) => !SECRET_NAMES.has(key))
    .flatMap(([key, value]) => ["--var", `${key}:${value}`]);
  const secretsEnv = Object.fromEntries(Object.entries(devVars).filter(([key]) => SECRET_NAMES.has(key)));
  const child = spawn(
    WRANGLER,
    [
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
      stdio: ["ignore", "pipe", "pipe"],
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
  const relay = {
    url,
    child,
    output: () => output.join(""),
    /** Kills the whole process group: workerd may ignore SIGTERM. */
    kill(signal = "SIGKILL") {
      try {
        process.kill(-child.pid, signal);
      } catch {}
    },
    async stop() {
      relay.kill("SIGTERM");
      const exited = await waitFor(() => child.exitCode !== null || child.signalCode !== null, 5000).catch(() => false);
      if (!exited) relay.kill("SIGKILL");
    },
    /** Runs a cron trigger now, as Cloudflare would on schedule. */
    async cron(expression) {
      const res = await fetch(`${url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(expression)}`);
      if (!res.ok) throw new Error(`scheduled ${expression}: ${res.status}`);
    },
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${relay.output()}`);
      const res = await fetch(`${url}/healthz`).catch(() => null);
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
