/**
 * The one API client: same-origin JSON with the session cookie, problem+json errors as ApiError, and every admin
 * URL the dashboard calls built by a named function below (test/integration/ui.test.ts reads these
 * `"/v1/admin/…" + enc(id) + "/…"` chains out of the bundle and checks each one is a route of the relay).
 */
import { enc, isBlank } from "./format";
import type {
  Archive,
  ArchiveLink,
  ArchiveRequest,
  ArchiveTarget,
  Delivery,
  Destination,
  EventDetail,
  FileDelivery,
  Identity,
  Notification,
  Page,
  RelayEvent,
  Replay,
  ReplayRequest,
  Source,
  Stats,
  Subscriber,
  Subscription,
  Sync,
} from "./types";

/** One field a problem+json 422 names: `path` as JSON Pointer text or segments. */
export interface FieldError {
  path?: string | Array<string | number>;
  message?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly errors: FieldError[];
  constructor(status: number, title: string, detail?: string, errors?: FieldError[]) {
    super(detail || title);
    this.status = status;
    this.title = title;
    this.errors = errors || [];
  }
}

export const isApiError = (err: unknown): err is ApiError => err instanceof ApiError;

export interface ApiOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
}

/** The part of fetch the client needs, so a test can hand in a fake one. */
export interface ApiInit {
  method: string;
  headers: Record<string, string>;
  cache: "no-store";
  credentials: "same-origin";
  body?: string;
}
export interface ResponseLike {
  status: number;
  ok: boolean;
  statusText: string;
  text(): Promise<string>;
}
export type FetchLike = (path: string, init: ApiInit) => Promise<ResponseLike>;

export interface ApiClientOptions {
  fetch: FetchLike;
  /** A 401: the session cookie expired or the admin token rotated. */
  onUnauthorized: () => void;
}

export type Api = <T>(path: string, options?: ApiOptions) => Promise<T>;

/** The problem+json body of a failed answer as an ApiError, whatever part of it is there. */
export function problemError(status: number, statusText: string, body: unknown): ApiError {
  const p = (body && typeof body === "object" ? body : {}) as { title?: unknown; detail?: unknown; errors?: unknown };
  return new ApiError(
    status,
    typeof p.title === "string" ? p.title : "HTTP " + status,
    typeof p.detail === "string" ? p.detail : (status + " " + statusText).trim(),
    Array.isArray(p.errors) ? (p.errors as FieldError[]) : [],
  );
}

export function createApi(client: ApiClientOptions): Api {
  return async function api<T>(path: string, options?: ApiOptions): Promise<T> {
    const opts = options || {};
    const method = opts.method || "GET";
    const headers: Record<string, string> = { accept: "application/json, application/problem+json" };
    // The session cookie goes by itself; a change also carries the header a cross-site form cannot send.
    if (method !== "GET") headers["x-syndic-csrf"] = "1";
    const init: ApiInit = { method, headers, cache: "no-store", credentials: "same-origin" };
    if (opts.body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    let res: ResponseLike;
    try {
      res = await client.fetch(path, init);
    } catch (err) {
      const why = (err instanceof Error && err.message) || err;
      throw new ApiError(0, "Network error", "Could not reach the relay (" + why + ").");
    }
    const text = await res.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch (_) {
        body = null;
      }
    }
    if (res.status === 401) {
      client.onUnauthorized();
      throw new ApiError(401, "Unauthorized", "The session ended.");
    }
    if (!res.ok) throw problemError(res.status, res.statusText, body);
    return body as T;
  };
}

// The page's own client. Sign-in installs the 401 handler (views/signin.ts), so this module needs no view.
let unauthorized = (): void => {};
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}
export const api: Api = createApi({ fetch: (path, init) => fetch(path, init), onUnauthorized: () => unauthorized() });

export type Query = Record<string, string | number | null | undefined>;
/** The path with its query; blank values are left out. */
export function withQuery(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (!isBlank(v)) params.set(k, String(v));
  const qs = params.toString();
  return qs ? path + "?" + qs : path;
}

/**
 * Every admin URL the dashboard calls, by what it names. Plain `+` chains on purpose (biome.json turns useTemplate
 * off for this file): that is the form ui.test.ts reads out of the bundle.
 */
export const paths = {
  sources: () => "/v1/admin/sources",
  source: (id: string) => "/v1/admin/sources/" + enc(id),
  sourceSyncs: (id: string) => "/v1/admin/sources/" + enc(id) + "/syncs",
  subscribers: () => "/v1/admin/subscribers",
  subscriber: (id: string) => "/v1/admin/subscribers/" + enc(id),
  destinations: (subscriberId: string) => "/v1/admin/subscribers/" + enc(subscriberId) + "/destinations",
  enableDestination: (subscriberId: string, id: string) =>
    "/v1/admin/subscribers/" + enc(subscriberId) + "/destinations/" + enc(id) + "/enable",
  identities: (subscriberId: string) => "/v1/admin/subscribers/" + enc(subscriberId) + "/identities",
  archiveTargets: (subscriberId: string) => "/v1/admin/subscribers/" + enc(subscriberId) + "/archive-targets",
  targetDeliveries: (subscriberId: string, id: string) =>
    "/v1/admin/subscribers/" + enc(subscriberId) + "/archive-targets/" + enc(id) + "/deliveries",
  testTarget: (subscriberId: string, id: string) =>
    "/v1/admin/subscribers/" + enc(subscriberId) + "/archive-targets/" + enc(id) + "/test",
  retryFileDelivery: (id: string) => "/v1/admin/file-deliveries/" + enc(id) + "/retry",
  subscriptions: () => "/v1/admin/subscriptions",
  subscription: (id: string) => "/v1/admin/subscriptions/" + enc(id),
  events: () => "/v1/admin/events",
  event: (id: string) => "/v1/admin/events/" + enc(id),
  deliveries: () => "/v1/admin/deliveries",
  delivery: (id: string) => "/v1/admin/deliveries/" + enc(id),
  retryDelivery: (id: string) => "/v1/admin/deliveries/" + enc(id) + "/retry",
  notifications: () => "/v1/admin/notifications",
  notification: (id: string) => "/v1/admin/notifications/" + enc(id),
  sync: (id: string) => "/v1/admin/syncs/" + enc(id),
  resumeSync: (id: string) => "/v1/admin/syncs/" + enc(id) + "/resume",
  archives: () => "/v1/admin/archives",
  archive: (id: string) => "/v1/admin/archives/" + enc(id),
  archiveLink: (id: string) => "/v1/admin/archives/" + enc(id) + "/link",
  deliverArchive: (id: string) => "/v1/admin/archives/" + enc(id) + "/deliver",
  replays: () => "/v1/admin/replays",
  replay: (id: string) => "/v1/admin/replays/" + enc(id),
  stats: () => "/v1/admin/stats",
  session: () => "/v1/admin/session",
  health: () => "/healthz",
};

const post = { method: "POST" } as const;

/** The admin endpoints the dashboard calls, typed by what they answer. */
export const adminApi = {
  sources: (q?: Query) => api<Page<Source>>(withQuery(paths.sources(), q)),
  source: (id: string) => api<Source>(paths.source(id)),
  sourceSyncs: (id: string, q?: Query) => api<Page<Sync>>(withQuery(paths.sourceSyncs(id), q)),
  subscribers: (q?: Query) => api<Page<Subscriber>>(withQuery(paths.subscribers(), q)),
  subscriber: (id: string) => api<Subscriber>(paths.subscriber(id)),
  destinations: (subscriberId: string, q?: Query) =>
    api<Page<Destination>>(withQuery(paths.destinations(subscriberId), q)),
  enableDestination: (subscriberId: string, id: string) =>
    api<Destination>(paths.enableDestination(subscriberId, id), post),
  identities: (subscriberId: string, q?: Query) => api<Page<Identity>>(withQuery(paths.identities(subscriberId), q)),
  archiveTargets: (subscriberId: string, q?: Query) =>
    api<Page<ArchiveTarget>>(withQuery(paths.archiveTargets(subscriberId), q)),
  targetDeliveries: (subscriberId: string, id: string, q?: Query) =>
    api<Page<FileDelivery>>(withQuery(paths.targetDeliveries(subscriberId, id), q)),
  testTarget: (subscriberId: string, id: string) => api<FileDelivery>(paths.testTarget(subscriberId, id), post),
  retryFileDelivery: (id: string) => api<FileDelivery>(paths.retryFileDelivery(id), post),
  subscription: (id: string) => api<Subscription>(paths.subscription(id)),
  event: (id: string) => api<EventDetail>(paths.event(id)),
  events: (q?: Query) => api<Page<RelayEvent>>(withQuery(paths.events(), q)),
  delivery: (id: string) => api<Delivery>(paths.delivery(id)),
  retryDelivery: (id: string) => api<Delivery>(paths.retryDelivery(id), post),
  notification: (id: string) => api<Notification>(paths.notification(id)),
  sync: (id: string) => api<Sync>(paths.sync(id)),
  resumeSync: (id: string) => api<Sync>(paths.resumeSync(id), post),
  archive: (id: string) => api<Archive>(paths.archive(id)),
  buildArchive: (body: ArchiveRequest) => api<Archive>(paths.archives(), { method: "POST", body }),
  archiveLink: (id: string, body: { ttl?: number }) =>
    api<ArchiveLink>(paths.archiveLink(id), { method: "POST", body }),
  deliverArchive: (id: string) => api<unknown>(paths.deliverArchive(id), { method: "POST", body: {} }),
  replay: (id: string) => api<Replay>(paths.replay(id)),
  startReplay: (body: ReplayRequest) => api<Replay>(paths.replays(), { method: "POST", body }),
  stats: (range: string) => api<Stats>(withQuery(paths.stats(), { range })),
};
