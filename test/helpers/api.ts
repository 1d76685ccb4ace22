import { exports } from "cloudflare:workers";
import { inject } from "vitest";

export const ADMIN_TOKEN = "test-admin-token";
export const BASE = "http://relay.test";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: Array<{ path: string; message: string }>;
}

export async function call(
  method: string,
  path: string,
  body?: unknown,
  token = ADMIN_TOKEN,
  headers: Record<string, string> = {},
) {
  const init: RequestInit = {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  };
  return exports.default.fetch(`${BASE}${path}`, init);
}

/** Calls the API and returns status and parsed body; problem bodies are checked to be application/problem+json. */
export async function api<T = any>(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  headers?: Record<string, string>,
) {
  const res = await call(method, path, body, token, headers);
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (res.status >= 400 && res.headers.get("content-type") !== "application/problem+json") {
    throw new Error(`${method} ${path} answered ${res.status} without problem+json: ${text}`);
  }
  return { status: res.status, body: json as T, headers: res.headers };
}

export const sinkUrl = () => inject("sinkUrl");

export function unique(prefix = "t") {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

export async function sinkConfigure(name: string, config: Record<string, unknown>) {
  const res = await fetch(`${sinkUrl()}/_config/${name}`, { method: "PUT", body: JSON.stringify(config) });
  if (!res.ok) throw new Error(`sink config failed: ${res.status}`);
}

export type { RecordedRequest } from "../../scripts/sink.mjs";

export async function sinkRequests(name: string): Promise<import("../../scripts/sink.mjs").RecordedRequest[]> {
  return (await fetch(`${sinkUrl()}/_requests/${name}`)).json();
}

/** Polls until `check` returns a truthy value (bounded), never a fixed sleep. */
export async function eventually<T>(
  check: () => Promise<T | false | null | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The event's first delivery once its status is one `wanted` accepts (by default: a final one), polled. */
export async function deliveryOf(
  eventId: string,
  wanted: (status: string) => boolean = (s) => ["sent", "dead", "held", "skipped"].includes(s),
) {
  return eventually(async () => {
    const event = await api("GET", `/v1/admin/events/${eventId}`);
    const delivery = event.body.deliveries?.[0];
    return delivery && wanted(delivery.status) ? delivery : null;
  }, 25_000);
}

/** A source, a subscriber, one destination on the sink and a subscription: the smallest working tenant. */
export async function tenant(
  options: {
    destination?: Record<string, unknown>;
    subscription?: Record<string, unknown>;
    source?: Record<string, unknown>;
  } = {},
) {
  const mailbox = unique("box");
  const source = await api("POST", "/v1/admin/sources", { name: "LMS", ...options.source });
  const subscriber = await api("POST", "/v1/admin/subscribers", { name: "Acme", timezone: "UTC" });
  const destination = await api("POST", `/v1/admin/subscribers/${subscriber.body.id}/destinations`, {
    name: "CRM",
    url: `${sinkUrl()}/hooks/${mailbox}`,
    retry: { max_attempts: 3, initial_delay: 1, max_delay: 2 },
    ...options.destination,
  });
  await sinkConfigure(mailbox, { secret: destination.body.signing_secret });
  const subscription = await api("POST", "/v1/admin/subscriptions", {
    subscriber_id: subscriber.body.id,
    source_id: source.body.id,
    event_types: ["*"],
    steps: [{ destination_id: destination.body.id }],
    ...options.subscription,
  });
  for (const created of [source, subscriber, destination, subscription]) {
    if (created.status !== 201) throw new Error(`setup failed: ${JSON.stringify(created.body)}`);
  }
  return {
    mailbox,
    source: source.body,
    subscriber: subscriber.body,
    destination: destination.body,
    subscription: subscription.body,
    publish: (body: unknown, contentType = "application/json") =>
      api("POST", "/v1/events", body, source.body.api_key, { "content-type": contentType }),
  };
}
