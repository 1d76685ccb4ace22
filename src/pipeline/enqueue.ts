import { type DeliverMessage, SEND_BATCH_LIMIT } from "../domain/messages";

/** Rings the deliver queue for these deliveries, at most SEND_BATCH_LIMIT per send. */
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
