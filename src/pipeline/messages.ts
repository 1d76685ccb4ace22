/** Queue messages carry ids only: D1 holds the truth, a message just says "look at this now". */
export type RouteMessage =
  | { kind: "events"; event_ids: string[] }
  | { kind: "replay"; replay_id: string }
  | { kind: "notify"; notification_id: string }
  | { kind: "sync"; sync_id: string };

export interface DeliverMessage {
  delivery_id: string;
}

/** Build (or carry on building) one archive. */
export interface ArchiveMessage {
  archive_id: string;
}

/** Queues take at most 100 messages per sendBatch. */
export const SEND_BATCH_LIMIT = 100;
/** Cloudflare Queues delay a message by at most 12 hours; longer waits are left to the sweeper. */
export const MAX_QUEUE_DELAY_S = 43_200;

export async function enqueueDeliveries(env: Env, ids: string[], delaySeconds = 0): Promise<void> {
  for (let i = 0; i < ids.length; i += SEND_BATCH_LIMIT) {
    await env.DELIVER_QUEUE.sendBatch(
      ids.slice(i, i + SEND_BATCH_LIMIT).map((id) => ({
        body: { delivery_id: id } satisfies DeliverMessage,
        ...(delaySeconds > 0 ? { delaySeconds } : {}),
      })),
    );
  }
}

export async function enqueueArchives(env: Env, ids: string[], delaySeconds = 0): Promise<void> {
  for (let i = 0; i < ids.length; i += SEND_BATCH_LIMIT) {
    await env.ARCHIVE_QUEUE.sendBatch(
      ids.slice(i, i + SEND_BATCH_LIMIT).map((id) => ({
        body: { archive_id: id } satisfies ArchiveMessage,
        ...(delaySeconds > 0 ? { delaySeconds } : {}),
      })),
    );
  }
}
