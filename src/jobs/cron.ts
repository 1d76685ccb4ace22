import { scheduleArchives } from "../archive/schedule";
import { runRetentionPass } from "../pipeline/retention";
import { sweepDue } from "../pipeline/sweep";

/** Cron schedules in wrangler.toml: the sweeper every 2 minutes; archives hourly; retention daily. */
export const SWEEP_CRON = "*/2 * * * *";
export const HOURLY_CRON = "7 * * * *";
/** Daily, at a quiet hour: retention (see pipeline/retention.ts). */
export const DAILY_CRON = "17 3 * * *";

export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const started = Date.now();
  if (controller.cron === DAILY_CRON) {
    await runRetentionPass(env, 0, controller.scheduledTime || started);
    return;
  }
  if (controller.cron === HOURLY_CRON) {
    await scheduleArchives(env, controller.scheduledTime || started);
    return;
  }
  await sweepDue(env, controller.scheduledTime || started);
}
