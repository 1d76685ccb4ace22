import app from "./app";
import { handleScheduled } from "./jobs/cron";
import { handleQueue } from "./jobs/queue";
import { assertConfigured } from "./lib/keys";
import { logStep } from "./lib/log";
import { isolateCounters, meteredEnv } from "./lib/metered";

// Requests check the keys in app.ts (a 503 problem); queue and cron work refuses to start without fit keys.
export default {
  fetch: app.fetch,
  queue: async (batch, env) => {
    assertConfigured(env);
    const started = Date.now();
    const decrypts = isolateCounters.decrypts;
    const { env: metered, meter } = meteredEnv(env);
    try {
      await handleQueue(batch, metered);
    } finally {
      logStep({
        stage: batch.queue,
        outcome: "invocation",
        messages: batch.messages.length,
        ...meter,
        decrypts: isolateCounters.decrypts - decrypts,
        duration_ms: Date.now() - started,
      });
    }
  },
  scheduled: async (controller, env) => {
    assertConfigured(env);
    await handleScheduled(controller, env);
  },
} satisfies ExportedHandler<Env>;
