import app from "./app";
import { handleScheduled } from "./pipeline/cron";
import { handleQueue } from "./pipeline/queues";

export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Env>;
