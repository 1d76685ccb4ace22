import app from "./app";
import { assertConfigured } from "./lib/keys";
import { handleScheduled } from "./pipeline/cron";
import { handleQueue } from "./pipeline/queues";

// Requests check the keys in app.ts (a 503 problem); queue and cron work refuses to start without fit keys.
export default {
  fetch: app.fetch,
  queue: async (batch, env) => {
    assertConfigured(env);
    await handleQueue(batch, env);
  },
  scheduled: async (controller, env) => {
    assertConfigured(env);
    await handleScheduled(controller, env);
  },
} satisfies ExportedHandler<Env>;
