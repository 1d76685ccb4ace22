// Mode B: runs one Worker through wrangler's programmatic `unstable_startWorker` (no `wrangler dev` CLI, no
// inspector), in a child process of its own so the bench's load generator never shares an event loop with it.
// Usage: node bench/lib/start-worker.mjs '<json options>'; prints `READY <url>` once it answers, then runs until
// SIGTERM/SIGINT or until its stdin closes (the bench died), and disposes the worker.
import { unstable_startWorker } from "wrangler";

const options = JSON.parse(process.argv[2] ?? "{}");

const bindings = {};
for (const [name, value] of Object.entries(options.secrets ?? {})) bindings[name] = { type: "secret_text", value };
for (const [name, value] of Object.entries(options.vars ?? {})) bindings[name] = { type: "plain_text", value };

const worker = await unstable_startWorker({
  config: options.config,
  bindings,
  sendMetrics: false,
  dev: {
    server: { hostname: "127.0.0.1", port: options.port },
    inspector: false,
    persist: options.persist,
    watch: false,
    liveReload: false,
    logLevel: options.logLevel ?? "log",
  },
});
await worker.ready;
const url = await worker.url;

let closing = false;
async function close() {
  if (closing) return;
  closing = true;
  const timer = setTimeout(() => process.exit(1), 10_000);
  timer.unref();
  await worker.dispose().catch(() => {});
  process.exit(0);
}
process.on("SIGTERM", close);
process.on("SIGINT", close);
process.stdin.on("end", close);
process.stdin.on("close", close);
process.stdin.resume();

console.log(`READY ${url.origin}`);
