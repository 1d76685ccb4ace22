// `npm start`: local D1 migrated, .dev.vars in place, the relay on http://127.0.0.1:8787, and crons fired on their
// schedule (wrangler dev does not run cron triggers by itself). The relay's processes end with this one, however it
// ends (see scripts/relay-process.mjs).
//
//   npm start -- --port 8788 --persist-to .wrangler/other --var SWEEP_GRACE_SECONDS:3
//
// --port (default 8787) and --persist-to (default .wrangler/state) as for `wrangler dev`; each --var KEY:VALUE
// overrides .dev.vars. On another port PUBLIC_BASE_URL follows it, unless .dev.vars or a --var sets it.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ensureDevVars, PortInUseError, startRelay } from "./relay-process.mjs";

const DEFAULT_PORT = 8787;

function options() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: String(DEFAULT_PORT) },
      "persist-to": { type: "string" },
      var: { type: "string", multiple: true, default: [] },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port ${values.port}: not a TCP port`);
  const vars = {};
  for (const pair of values.var) {
    const colon = pair.indexOf(":");
    if (colon < 1) throw new Error(`--var ${pair}: expected KEY:VALUE`);
    vars[pair.slice(0, colon)] = pair.slice(colon + 1);
  }
  if (port !== DEFAULT_PORT && !("PUBLIC_BASE_URL" in vars) && !("PUBLIC_BASE_URL" in ensureDevVars())) {
    vars.PUBLIC_BASE_URL = `http://127.0.0.1:${port}`;
  }
  const persistTo = values["persist-to"] === undefined ? undefined : resolve(values["persist-to"]);
  return { port, persistTo, vars };
}

let settings;
try {
  settings = options();
} catch (error) {
  console.error(`npm start: ${error.message}`);
  process.exit(2);
}
let relay;
try {
  relay = await startRelay({ ...settings, log: (text) => process.stdout.write(text) });
} catch (error) {
  if (!(error instanceof PortInUseError)) throw error;
  console.error(error.message);
  process.exit(1);
}
console.log(`\nSyndic is up on ${relay.url}  (docs: ${relay.url}/docs, dashboard: ${relay.url}/ui)`);
console.log("Crons run locally on schedule: the sweeper every 2 minutes, archives and retention hourly.");
console.log(`The relay's processes are group ${relay.child.pid}; they stop with this one.\n`);

const timer = setInterval(async () => {
  const now = new Date();
  try {
    if (now.getUTCMinutes() % 2 === 0) await relay.cron("*/2 * * * *");
    if (now.getUTCMinutes() === 7) await relay.cron("7 * * * *");
    if (now.getUTCHours() === 3 && now.getUTCMinutes() === 17) await relay.cron("17 3 * * *");
  } catch (error) {
    console.error(`cron trigger failed: ${error.message}`);
  }
}, 60_000);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  await relay.stop();
  process.exit(0);
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, shutdown);
relay.child.on("exit", (code, signal) => {
  if (stopping) return;
  clearInterval(timer);
  console.error(`the relay stopped (${code === null ? signal : `exit code ${code}`})`);
  process.exit(code || 1);
});
