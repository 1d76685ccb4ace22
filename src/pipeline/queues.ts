import { failArchiveBuild, runArchiveJob } from "../archive/build";
import { setStatus } from "../db/deliveries";
import { markRouteFailed, unroutedAmong } from "../db/events";
import { settleObject } from "../db/notifications";
import { failReplay } from "../db/replays";
import { setSyncStatus } from "../db/syncs";
import { logStep } from "../lib/log";
import { deliverOne } from "./deliver";
import { type ArchiveMessage, type DeliverMessage, type RouteMessage, SEND_BATCH_LIMIT } from "./messages";
import { runNotification } from "./notify";
import { runReplayPage } from "./replay";
import { routeEvents } from "./route";
import { runSyncPage } from "./sync";
import { isUpkeep, runUpkeep, type UpkeepMessage } from "./upkeep";

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

type EventsMessage = Extract<RouteMessage, { kind: "events" }> & {
  /** Set on the one-event messages a dead-lettered message was split into: dead-lettering again is final. */
  retried_alone?: true;
};

/**
 * A route message of several events that kept failing is not a verdict on all of them: routing commits what it can
 * and retries the rest, so the culprit may be any one. Its events still unrouted are sent again one per message, and
 * only a one-event message that dead-letters is marked route_failed.
 */
async function deadLetterEvents(env: Env, message: EventsMessage, reason: string, now: number): Promise<void> {
  if (message.event_ids.length > 1 && !message.retried_alone) {
    const pending = await unroutedAmong(env.DB, message.event_ids);
    for (let i = 0; i < pending.length; i += SEND_BATCH_LIMIT) {
      await env.ROUTE_QUEUE.sendBatch(
        pending.slice(i, i + SEND_BATCH_LIMIT).map((id) => ({
          body: { kind: "events", event_ids: [id], retried_alone: true } satisfies EventsMessage,
        })),
      );
    }
    logStep({ stage: "dead_letter", outcome: "route_split", events: message.event_ids.length, resent: pending.length });
    return;
  }
  if (message.event_ids.length) await markRouteFailed(env.DB, message.event_ids, reason, now);
  logStep({ stage: "dead_letter", outcome: "route_failed", message: "events", event_ids: message.event_ids });
}

/** Dead letters: a message that failed every retry marks its rows so the failure is visible, not silent. */
async function deadLetter(env: Env, queue: string, body: unknown): Promise<void> {
  const now = Date.now();
  const reason = `gave up after repeated errors in the ${queue.replace(/-dlq$/, "")} consumer`;
  if (queue.includes("deliver")) {
    const { delivery_id } = body as DeliverMessage;
    await setStatus(env.DB, delivery_id, "dead", reason, now);
    logStep({ stage: "dead_letter", outcome: "delivery_dead", delivery_id });
  } else if (queue.includes("route")) {
    const message = body as RouteMessage;
    if (message.kind === "replay") await failReplay(env.DB, message.replay_id, reason, now);
    else if (message.kind === "notify")
      await settleObject(env.DB, message.notification_id, { status: "failed", error: reason }, now);
    else if (message.kind === "sync")
      await setSyncStatus(env.DB, message.sync_id, "failed", `${reason}; resume it to continue`, now);
    else return deadLetterEvents(env, message, reason, now);
    logStep({ stage: "dead_letter", outcome: "route_failed", message: message.kind });
  } else if (queue.includes("archive") && !isUpkeep(body)) {
    const { archive_id } = body as ArchiveMessage;
    await failArchiveBuild(env, archive_id, reason);
    logStep({ stage: "dead_letter", outcome: "archive_failed", archive_id });
  } else {
    logStep({ stage: "dead_letter", outcome: "dropped", queue });
  }
}

export async function handleQueue(batch: MessageBatch, env: Env): Promise<void> {
  const queue = batch.queue;
  if (queue.endsWith("-dlq")) return each(batch, (body) => deadLetter(env, queue, body));
  if (queue.endsWith("route")) return each(batch as MessageBatch<RouteMessage>, (body) => routeMessage(env, body));
  if (queue.endsWith("deliver"))
    return each(batch as MessageBatch<DeliverMessage>, (body) => deliverOne(env, body.delivery_id));
  if (queue.endsWith("archive"))
    return each(batch as MessageBatch<ArchiveMessage | UpkeepMessage>, async (body) => {
      if (isUpkeep(body)) return runUpkeep(env, body);
      await runArchiveJob(env, body.archive_id);
    });
  logStep({ stage: "queue", outcome: "unknown_queue", queue });
  batch.ackAll();
}
