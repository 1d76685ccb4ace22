import { failArchiveBuild } from "../archive/build";
import { setStatus } from "../db/deliveries";
import { markRouteFailed, unroutedAmong } from "../db/events";
import { markFileDeliveriesDead } from "../db/file-deliveries";
import { settleObject } from "../db/notifications";
import { failReplay } from "../db/replays";
import { setSyncStatus } from "../db/syncs";
import {
  type ArchiveMessage,
  type DeliverMessage,
  type EventsMessage,
  type FetchMessage,
  type FilesMessage,
  idsOf,
  isUpkeep,
  type RouteMessage,
} from "../domain/messages";
import { logStep } from "../lib/log";
import { ringDeliveriesAlone, ringEventsAlone, ringFileDeliveriesAlone, ringNotificationsAlone } from "../queues/ring";

/**
 * A route message of several events that kept failing is not a verdict on all of them: routing commits what it can
 * and retries the rest, so the culprit may be any one. Its events still unrouted are sent again one per message, and
 * only a one-event message that dead-letters is marked route_failed.
 */
async function deadLetterEvents(env: Env, message: EventsMessage, reason: string, now: number): Promise<void> {
  if (message.event_ids.length > 1 && !message.retried_alone) {
    const pending = await unroutedAmong(env.DB, message.event_ids);
    await ringEventsAlone(env, pending);
    logStep({ stage: "dead_letter", outcome: "route_split", events: message.event_ids.length, resent: pending.length });
    return;
  }
  if (message.event_ids.length) await markRouteFailed(env.DB, message.event_ids, reason, now);
  logStep({ stage: "dead_letter", outcome: "route_failed", message: "events", event_ids: message.event_ids });
}

/** Dead letters: a message that failed every retry marks its rows so the failure is visible, not silent. */
export async function deadLetter(env: Env, queue: string, body: unknown): Promise<void> {
  const now = Date.now();
  const reason = `gave up after repeated errors in the ${queue.replace(/-dlq$/, "")} consumer`;
  if (queue.includes("deliver")) {
    const message = body as DeliverMessage;
    const ids = idsOf(message);
    // A packed message is not a verdict on every delivery in it: each is tried alone before any is marked dead.
    if (ids.length > 1 && !("retried_alone" in message && message.retried_alone)) {
      await ringDeliveriesAlone(env, ids);
      logStep({ stage: "dead_letter", outcome: "deliver_split", deliveries: ids.length });
      return;
    }
    for (const id of ids) await setStatus(env.DB, id, "dead", reason, now);
    logStep({ stage: "dead_letter", outcome: "delivery_dead", delivery_id: ids[0] });
  } else if (queue.includes("fetch")) {
    const message = body as FetchMessage;
    if (message.ids.length > 1 && !message.retried_alone) {
      await ringNotificationsAlone(env, message.ids);
      logStep({ stage: "dead_letter", outcome: "fetch_split", notifications: message.ids.length });
      return;
    }
    for (const id of message.ids) await settleObject(env.DB, id, { status: "failed", error: reason }, now);
    logStep({ stage: "dead_letter", outcome: "notification_failed", notification_id: message.ids[0] });
  } else if (queue.includes("files")) {
    const message = body as FilesMessage;
    if (message.ids.length > 1 && !message.retried_alone) {
      await ringFileDeliveriesAlone(env, message.ids);
      logStep({ stage: "dead_letter", outcome: "files_split", file_deliveries: message.ids.length });
      return;
    }
    await markFileDeliveriesDead(env.DB, message.ids, reason, now);
    logStep({ stage: "dead_letter", outcome: "file_delivery_dead", file_delivery_id: message.ids[0] });
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
