import { logStep } from "../lib/log";
import { sweepDue } from "./sweep";

/** Cron schedules in wrangler.toml: the sweeper every 2 minutes; archives and retention hourly. */
export const SWEEP_CRON = "*/2 * * * *";
export const HOURLY_CRON = "7 * * * *";

export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const started = Date.now();
  if (controller.cron === HOURLY_CRON) {
    logStep({ stage: "cron", outcome: "hourly_nothing_to_do", cron: controller.cron });
    return;
  }
  await sweepDue(env, controller.scheduledTime || started);
}
