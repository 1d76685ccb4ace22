import type {
  AnnounceMessage,
  ArchiveMessage,
  DeliverMessage,
  EventsMessage,
  FetchMessage,
  FilesMessage,
  RetentionMessage,
  RouteMessage,
  SubscriptionNoticeMessage,
  UpkeepMessage,
} from "../domain/messages";
import { idsOf, isUpkeep } from "../domain/messages";
import { runBounded } from "../engine/limiter";
import { logStep } from "../lib/log";
import { runArchive } from "../pipeline/archive-job";
import { announceBatch } from "../pipeline/archive-ready";
import { deliverBatch } from "../pipeline/deliver";
import { deliverOne } from "../pipeline/deliver-one";
import { deliverFiles } from "../pipeline/file-deliver";
import { fetchNotifications, runNotification } from "../pipeline/notify";
import { runReplayPage } from "../pipeline/replay";
import { runRetentionPass } from "../pipeline/retention";
import { RouteIncompleteError, routeEvents } from "../pipeline/route";
import { sendSubscriptionNotices } from "../pipeline/subscription-notice";
import { runSyncPage } from "../pipeline/sync";
import { ringDeliveries } from "../queues/ring";
import { deadLetter } from "./dead-letters";

/** Queue dispatch: which stage a message of each queue and kind goes to. */

/** How long a message whose work threw waits before the queue hands it over again. */
const retryDelay = (message: Message<unknown>) => ({ delaySeconds: Math.min(60, 2 ** message.attempts) });

/** Each message is acked or retried on its own: one bad message never sinks its batch-mates. */
async function each<T>(
  queue: string,
  messages: readonly Message<T>[],
  handle: (body: T) => Promise<void>,
): Promise<void> {
  await Promise.all(
    messages.map(async (message) => {
      try {
        await handle(message.body);
        message.ack();
      } catch (error) {
        logStep({
          stage: queue,
          outcome: "error_will_retry",
          message_id: message.id,
          attempt: message.attempts,
          error: String(error),
        });
        message.retry(retryDelay(message));
      }
    }),
  );
}

/**
 * The messages are one stage run: acked once its outcomes are recorded (what is left the stage rings again itself), all
 * retried when it throws. A run whose claim fails (D1 unavailable) took nothing, so retrying is safe.
 */
async function together<T>(queue: string, messages: readonly Message<T>[], run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
    for (const message of messages) message.ack();
  } catch (error) {
    logStep({ stage: queue, outcome: "error_will_retry", messages: messages.length, error: String(error) });
    for (const message of messages) message.retry(retryDelay(message));
  }
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

/** A build job or a retention pass, one message at a time. */
async function archiveMessage(env: Env, body: ArchiveMessage | RetentionMessage): Promise<void> {
  if ("kind" in body) await runRetentionPass(env, body.pass);
  else await runArchive(env, body.archive_id);
}

const isAnnounce = (message: Message<ArchiveMessage | UpkeepMessage>): message is Message<AnnounceMessage> =>
  isUpkeep(message.body) && message.body.kind === "announce";
const isNotice = (message: Message<ArchiveMessage | UpkeepMessage>): message is Message<SubscriptionNoticeMessage> =>
  isUpkeep(message.body) && message.body.kind === "subscription_notices";

/**
 * The `archive` queue carries build jobs, announcements, subscription change notices and retention passes. Every
 * announcement of a batch goes in one stage run, and every notice in another; builds and retention passes run beside
 * them, one message at a time, so none waits behind the others.
 */
async function archiveMessages(env: Env, batch: MessageBatch<ArchiveMessage | UpkeepMessage>): Promise<void> {
  const announces = batch.messages.filter(isAnnounce);
  const notices = batch.messages.filter(isNotice);
  const others = batch.messages.filter(
    (message): message is Message<ArchiveMessage | RetentionMessage> => !isAnnounce(message) && !isNotice(message),
  );
  await Promise.all([
    announces.length
      ? together(batch.queue, announces, () =>
          announceBatch(
            env,
            announces.map((message) => message.body.archive_id),
          ),
        )
      : undefined,
    notices.length
      ? together(batch.queue, notices, () =>
          sendSubscriptionNotices(
            env,
            notices.flatMap((message) => message.body.ids),
          ),
        )
      : undefined,
    each(batch.queue, others, (body) => archiveMessage(env, body)),
  ]);
}

/** How long an identity step whose attempt threw waits before it is rung again (the sweeper would find it too). */
const IDENTITY_RETRY_S = 10;

/**
 * A deliver batch is one stage run over every id its messages name; identity steps then go one by one. The batch
 * is acked once its outcomes are recorded: what is left is rung again by the stage itself. A batch that cannot even
 * be claimed (D1 unavailable) is retried whole: nothing was taken.
 */
async function deliverMessages(env: Env, batch: MessageBatch<DeliverMessage>): Promise<void> {
  const ids = batch.messages.flatMap((message) => idsOf(message.body));
  await together(batch.queue, batch.messages, async () => {
    const { identitySteps } = await deliverBatch(env, ids);
    await runBounded(identitySteps, { total: 8, perKey: 8, keyOf: () => "identity" }, async (id) => {
      try {
        await deliverOne(env, id);
      } catch (error) {
        logStep({ stage: "deliver", outcome: "error_will_retry", delivery_id: id, error: String(error) });
        await ringDeliveries(env, [{ id, delaySeconds: IDENTITY_RETRY_S }]).catch(() => {});
      }
    });
  });
}

/**
 * Every `events` message of a batch is routed in one call: one read and one write for the whole batch. When some
 * events could not be routed, only the messages naming them are retried (the retry skips what was routed); the
 * other kinds (replay pages, syncs, origin fetches rung the old way) run one message at a time.
 */
async function routeMessages(env: Env, batch: MessageBatch<RouteMessage>): Promise<void> {
  const events = batch.messages.filter((message) => message.body.kind === "events");
  const others = batch.messages.filter((message) => message.body.kind !== "events");
  const ids = events.flatMap((message) => (message.body as EventsMessage).event_ids);
  let failed = new Set<string>();
  let failedAll: unknown = null;
  if (ids.length) {
    try {
      await routeEvents(env, ids);
    } catch (error) {
      if (error instanceof RouteIncompleteError) failed = new Set(error.failures.map((failure) => failure.eventId));
      else failedAll = error;
      logStep({ stage: batch.queue, outcome: "error_will_retry", events: ids.length, error: String(error) });
    }
  }
  for (const message of events) {
    const mine = (message.body as EventsMessage).event_ids;
    if (failedAll || mine.some((id) => failed.has(id))) {
      message.retry(retryDelay(message));
    } else {
      message.ack();
    }
  }
  await each(batch.queue, others, (body) => routeMessage(env, body));
}

/** The fetch queue: one origin-fetch stage run over every notification its messages name. */
async function fetchMessages(env: Env, batch: MessageBatch<FetchMessage>): Promise<void> {
  await together(batch.queue, batch.messages, () =>
    fetchNotifications(
      env,
      batch.messages.flatMap((message) => idsOf(message.body)),
    ),
  );
}

/** The files queue: one file-delivery stage run over every file delivery its messages name. */
async function fileMessages(env: Env, batch: MessageBatch<FilesMessage>): Promise<void> {
  await together(batch.queue, batch.messages, () =>
    deliverFiles(
      env,
      batch.messages.flatMap((message) => idsOf(message.body)),
    ),
  );
}

export async function handleQueue(batch: MessageBatch, env: Env): Promise<void> {
  const queue = batch.queue;
  if (queue.endsWith("-dlq")) return each(queue, batch.messages, (body) => deadLetter(env, queue, body));
  if (queue.endsWith("route")) return routeMessages(env, batch as MessageBatch<RouteMessage>);
  if (queue.endsWith("deliver")) return deliverMessages(env, batch as MessageBatch<DeliverMessage>);
  if (queue.endsWith("fetch")) return fetchMessages(env, batch as MessageBatch<FetchMessage>);
  if (queue.endsWith("files")) return fileMessages(env, batch as MessageBatch<FilesMessage>);
  if (queue.endsWith("archive")) return archiveMessages(env, batch as MessageBatch<ArchiveMessage | UpkeepMessage>);
  logStep({ stage: "queue", outcome: "unknown_queue", queue });
  batch.ackAll();
}
