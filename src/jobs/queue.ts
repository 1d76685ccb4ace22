import type { ArchiveMessage, DeliverMessage, RouteMessage, UpkeepMessage } from "../domain/messages";
import { isUpkeep } from "../domain/messages";
import { logStep } from "../lib/log";
import { runArchive } from "../pipeline/archive-job";
import { runAnnouncement } from "../pipeline/archive-ready";
import { deliverOne } from "../pipeline/deliver";
import { runNotification } from "../pipeline/notify";
import { runReplayPage } from "../pipeline/replay";
import { runRetentionPass } from "../pipeline/retention";
import { routeEvents } from "../pipeline/route";
import { runSyncPage } from "../pipeline/sync";
import { deadLetter } from "./dead-letters";

/** Queue dispatch: which stage a message of each queue and kind goes to. */

/** Each message is acked or retried on its own: one bad message never sinks its batch-mates. */
async function each<T>(batch: MessageBatch<T>, handle: (body: T) => Promise<void>): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        await handle(message.body);
        message.ack();
      } catch (error) {
        logStep({
          stage: batch.queue,
          outcome: "error_will_retry",
          message_id: message.id,
          attempt: message.attempts,
          error: String(error),
        });
        message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
      }
    }),
  );
}

async function routeMessage(env: Env, body: RouteMessage): Promise<void> {
  switch (body.kind) {
    case "replay":
      return runReplayPage(env, body.replay_id);
    case "notify":
      return runNotification(env, body.notification_id);
    case "sync":
      return runSyncPage(env, body.sync_id);
    default:
      await routeEvents(env, body.event_ids);
  }
}

/** The `archive` queue carries build jobs and, with a `kind`, announcements and retention passes. */
async function archiveMessage(env: Env, body: ArchiveMessage | UpkeepMessage): Promise<void> {
  if (!isUpkeep(body)) {
    await runArchive(env, body.archive_id);
    return;
  }
  switch (body.kind) {
    case "announce":
      await runAnnouncement(env, body.archive_id);
      return;
    case "retention":
      await runRetentionPass(env, body.pass);
      return;
  }
}

export async function handleQueue(batch: MessageBatch, env: Env): Promise<void> {
  const queue = batch.queue;
  if (queue.endsWith("-dlq")) return each(batch, (body) => deadLetter(env, queue, body));
  if (queue.endsWith("route")) return each(batch as MessageBatch<RouteMessage>, (body) => routeMessage(env, body));
  if (queue.endsWith("deliver"))
    return each(batch as MessageBatch<DeliverMessage>, (body) => deliverOne(env, body.delivery_id));
  if (queue.endsWith("archive"))
    return each(batch as MessageBatch<ArchiveMessage | UpkeepMessage>, (body) => archiveMessage(env, body));
  logStep({ stage: "queue", outcome: "unknown_queue", queue });
  batch.ackAll();
}
