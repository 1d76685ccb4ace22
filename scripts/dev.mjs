// `npm start`: local D1 migrated, .dev.vars in place, the relay on http://127.0.0.1:8787, and crons fired on their
// schedule (wrangler dev does not run cron triggers by itself).
import { startRelay } from "./relay-process.mjs";

const relay = await startRelay({ log: (text) => process.stdout.write(text) });
console.log(`\nSyndic is up on ${relay.url}  (docs: ${relay.url}/docs, dashboard: ${relay.url}/ui)`);
console.log("Crons run locally on schedule: the sweeper every 2 minutes, archives and retention hourly.\n");

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

const shutdown = async () => {
  clearInterval(timer);
  await relay.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
relay.child.on("exit", (code) => {
  clearInterval(timer);
  process.exit(code ?? 1);
});
