// biome-ignore-all lint/style/useTemplate: test/integration/ui.test.ts reads these "…" + enc(id) chains out of the bundle
/**
 * Every admin URL the set-up forms write to, by what it does. Paths are spelled `"/v1/admin/…" + enc(id) + "/…"`,
 * as in ../api.ts: test/integration/ui.test.ts reads these chains out of the bundle and checks each is a route.
 */
import type { Api } from "../api";
import { enc } from "../format";

const post = (body?: unknown) => ({ method: "POST" as const, body });
const patch = (body: unknown) => ({ method: "PATCH" as const, body });

/** What a write answers: the resource, and on a create or rotate its secrets, shown once. */
export type Saved = Record<string, unknown> & { id?: string };

export const createSource = (api: Api, body: unknown) => api<Saved>("/v1/admin/sources", post(body));
export const updateSource = (api: Api, id: string, body: unknown) =>
  api<Saved>("/v1/admin/sources/" + enc(id), patch(body));
export const rotateSource = (api: Api, id: string) => api<Saved>("/v1/admin/sources/" + enc(id) + "/rotate", post());

export const createSubscriber = (api: Api, body: unknown) => api<Saved>("/v1/admin/subscribers", post(body));
export const updateSubscriber = (api: Api, id: string, body: unknown) =>
  api<Saved>("/v1/admin/subscribers/" + enc(id), patch(body));
export const rotateSubscriber = (api: Api, id: string) =>
  api<Saved>("/v1/admin/subscribers/" + enc(id) + "/rotate", post());

export const createDestination = (api: Api, subscriberId: string, body: unknown) =>
  api<Saved>("/v1/admin/subscribers/" + enc(subscriberId) + "/destinations", post(body));
export const updateDestination = (api: Api, subscriberId: string, id: string, body: unknown) =>
  api<Saved>("/v1/admin/subscribers/" + enc(subscriberId) + "/destinations/" + enc(id), patch(body));

/** The attempt a test push made (nothing is recorded). */
export interface TestAttempt {
  status_code?: number | null;
  duration_ms?: number;
  error?: string | null;
  response_excerpt?: string | null;
  request?: { url?: string; method?: string } | null;
}
export const testDestination = (api: Api, subscriberId: string, id: string) =>
  api<TestAttempt>("/v1/admin/subscribers/" + enc(subscriberId) + "/destinations/" + enc(id) + "/test", post());

export const createArchiveTarget = (api: Api, subscriberId: string, body: unknown) =>
  api<Saved>("/v1/admin/subscribers/" + enc(subscriberId) + "/archive-targets", post(body));
export const updateArchiveTarget = (api: Api, subscriberId: string, id: string, body: unknown) =>
  api<Saved>("/v1/admin/subscribers/" + enc(subscriberId) + "/archive-targets/" + enc(id), patch(body));

export const createSubscription = (api: Api, body: unknown) => api<Saved>("/v1/admin/subscriptions", post(body));
export const updateSubscription = (api: Api, id: string, body: unknown) =>
  api<Saved>("/v1/admin/subscriptions/" + enc(id), patch(body));

/** What POST /v1/admin/preview answers (src/routes/preview.ts). */
export interface PreviewAnswer {
  result?: unknown;
  matched?: boolean;
  bytes?: number;
  result_omitted?: string;
  error?: { message: string; position?: number; limit?: string };
}
export const preview = (api: Api, body: unknown) => api<PreviewAnswer>("/v1/admin/preview", post(body));
