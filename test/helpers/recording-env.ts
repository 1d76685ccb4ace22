import { env } from "cloudflare:workers";

export interface Sent<M> {
  body: M;
  delaySeconds?: number;
}

/**
 * The test env with one queue binding replaced by a recorder, so the test decides when a stage runs (and sees each
 * doorbell with its delay) instead of the local queue broker.
 */
export function recordingEnv<M = any>(binding: keyof Env, base: Env = env): { env: Env; sent: Array<Sent<M>> } {
  const sent: Array<Sent<M>> = [];
  const queue = {
    send: async (body: M, options: { delaySeconds?: number } = {}) => {
      sent.push({ body, ...options });
    },
    sendBatch: async (messages: Array<Sent<M>>) => {
      sent.push(...messages);
    },
  };
  return { env: { ...base, [binding]: queue } as unknown as Env, sent };
}
