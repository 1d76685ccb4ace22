import {
  type ArchiveMessage,
  type DeliverMessage,
  EVENTS_PER_MESSAGE,
  type EventsMessage,
  type FetchMessage,
  FILE_IDS_PER_MESSAGE,
  type FilesMessage,
  IDS_PER_MESSAGE,
  MAX_QUEUE_DELAY_S,
  type RetentionMessage,
  type RouteMessage,
  SEND_BATCH_LIMIT,
  type UpkeepMessage,
} from "../domain/messages";

/**
 * The only queue producers: every message the relay sends goes through here, typed by the message union. Queues are
 * doorbells: a message carries ids, D1 holds the truth, and a lost message is the sweeper's to find.
 */

/** An id to ring, now or after a delay (seconds). Delays beyond the queue's limit are left to the sweeper. */
export interface Ring {
  id: string;
  delaySeconds?: number;
}

async function sendAll<T>(queue: Queue<T>, messages: MessageSendRequest<T>[]): Promise<void> {
  for (let i = 0; i < messages.length; i += SEND_BATCH_LIMIT) {
    await queue.sendBatch(messages.slice(i, i + SEND_BATCH_LIMIT));
  }
}

/** Rings packed into messages of at most `perMessage` ids, one group per delay, each with its own delaySeconds. */
function pack<T>(rings: readonly Ring[], perMessage: number, make: (ids: string[]) => T): MessageSendRequest<T>[] {
  const byDelay = new Map<number, string[]>();
  for (const ring of rings) {
    const delay = Math.max(0, Math.ceil(ring.delaySeconds ?? 0));
    if (delay > MAX_QUEUE_DELAY_S) continue;
    const ids = byDelay.get(delay) ?? [];
    ids.push(ring.id);
    byDelay.set(delay, ids);
  }
  const messages: MessageSendRequest<T>[] = [];
  for (const [delay, ids] of byDelay) {
    for (let i = 0; i < ids.length; i += perMessage) {
      messages.push({ body: make(ids.slice(i, i + perMessage)), ...(delay > 0 ? { delaySeconds: delay } : {}) });
    }
  }
  return messages;
}

export function ringDeliveries(env: Env, rings: readonly Ring[]): Promise<void> {
  return sendAll<DeliverMessage>(
    env.DELIVER_QUEUE,
    pack(rings, IDS_PER_MESSAGE, (ids) => ({ kind: "deliveries", ids })),
  );
}

/** The ids of a dead-lettered packed message, one per message: dead-lettering again is final for that one alone. */
function alone<T>(queue: Queue<T>, ids: readonly string[], make: (ids: string[]) => T): Promise<void> {
  return sendAll(
    queue,
    ids.map((id) => ({ body: make([id]) })),
  );
}

export function ringDeliveriesAlone(env: Env, ids: readonly string[]): Promise<void> {
  return alone<DeliverMessage>(env.DELIVER_QUEUE, ids, (one) => ({
    kind: "deliveries",
    ids: one,
    retried_alone: true,
  }));
}

export function ringNotifications(env: Env, rings: readonly Ring[]): Promise<void> {
  return sendAll<FetchMessage>(
    env.FETCH_QUEUE,
    pack(rings, IDS_PER_MESSAGE, (ids) => ({ kind: "notifications", ids })),
  );
}

export function ringNotificationsAlone(env: Env, ids: readonly string[]): Promise<void> {
  return alone<FetchMessage>(env.FETCH_QUEUE, ids, (one) => ({ kind: "notifications", ids: one, retried_alone: true }));
}

export function ringFileDeliveries(env: Env, rings: readonly Ring[]): Promise<void> {
  return sendAll<FilesMessage>(
    env.FILES_QUEUE,
    pack(rings, FILE_IDS_PER_MESSAGE, (ids) => ({ kind: "file_deliveries", ids })),
  );
}

export function ringFileDeliveriesAlone(env: Env, ids: readonly string[]): Promise<void> {
  return alone<FilesMessage>(env.FILES_QUEUE, ids, (one) => ({
    kind: "file_deliveries",
    ids: one,
    retried_alone: true,
  }));
}

/** Events to route, given as groups that must not share a message (e.g. one per source). */
export function ringEvents(env: Env, groups: ReadonlyArray<readonly string[]>): Promise<void> {
  const messages: MessageSendRequest<RouteMessage>[] = [];
  for (const ids of groups) {
    for (let i = 0; i < ids.length; i += EVENTS_PER_MESSAGE) {
      messages.push({ body: { kind: "events", event_ids: ids.slice(i, i + EVENTS_PER_MESSAGE) } });
    }
  }
  return sendAll(env.ROUTE_QUEUE, messages);
}

/** Events of a dead-lettered message, one per message. */
export function ringEventsAlone(env: Env, ids: readonly string[]): Promise<void> {
  return sendAll<RouteMessage>(
    env.ROUTE_QUEUE,
    ids.map((id) => ({ body: { kind: "events", event_ids: [id], retried_alone: true } satisfies EventsMessage })),
  );
}

export async function ringReplay(env: Env, replayId: string): Promise<void> {
  await env.ROUTE_QUEUE.send({ kind: "replay", replay_id: replayId } satisfies RouteMessage);
}

export async function ringSync(env: Env, syncId: string): Promise<void> {
  await env.ROUTE_QUEUE.send({ kind: "sync", sync_id: syncId } satisfies RouteMessage);
}

export function ringArchives(env: Env, ids: readonly string[], delaySeconds = 0): Promise<void> {
  return sendAll<ArchiveMessage | UpkeepMessage>(
    env.ARCHIVE_QUEUE,
    ids.map((id) => ({ body: { archive_id: id }, ...(delaySeconds > 0 ? { delaySeconds } : {}) })),
  );
}

export function ringAnnouncements(env: Env, rings: readonly Ring[]): Promise<void> {
  return sendAll<ArchiveMessage | UpkeepMessage>(
    env.ARCHIVE_QUEUE,
    rings
      .filter((ring) => (ring.delaySeconds ?? 0) <= MAX_QUEUE_DELAY_S)
      .map((ring) => ({
        body: { kind: "announce", archive_id: ring.id },
        ...((ring.delaySeconds ?? 0) > 0 ? { delaySeconds: Math.ceil(ring.delaySeconds!) } : {}),
      })),
  );
}

/** Subscription change notices, packed like deliveries, on the archive queue beside announcements. */
export function ringSubscriptionNotices(env: Env, rings: readonly Ring[]): Promise<void> {
  return sendAll<ArchiveMessage | UpkeepMessage>(
    env.ARCHIVE_QUEUE,
    pack(rings, IDS_PER_MESSAGE, (ids) => ({ kind: "subscription_notices", ids })),
  );
}

export async function ringRetention(env: Env, pass: number): Promise<void> {
  await env.ARCHIVE_QUEUE.send({ kind: "retention", pass } satisfies RetentionMessage);
}
