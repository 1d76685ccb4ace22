import { z } from "@hono/zod-openapi";
import { invalid, Problem, unauthorized } from "../lib/problem";
import {
  isBinaryMode,
  type ParsedRequest,
  parseBinaryCloudEvent,
  parsePublishBody,
  type Refusal,
} from "../pipeline/formats";
import { publishEvents, StaleSource } from "../pipeline/ingest";
import { forgetPublisher, type Publisher, publisherByKey } from "../pipeline/publishers";
import { guardInbound } from "./inbound-guard";
import { requirePublisher } from "./middleware";
import { newRouter } from "./router";
import { errorResponses } from "./schemas";

export const MAX_EVENTS_PER_REQUEST = 500;
const ACCEPTED_TYPES = /^application\/(json|cloudevents\+json|cloudevents-batch\+json)\s*(;|$)/i;

const PublishResponse = z
  .object({ accepted: z.number(), duplicates: z.number(), ids: z.array(z.string()) })
  .openapi("PublishResponse");

/**
 * The body's shape is recognised after parsing (CloudEvents, envelopes, UBX), so this route parses by hand and
 * documents itself in the registry rather than through a single request schema.
 */
export const publish = newRouter();

publish.openAPIRegistry.registerPath({
  method: "post",
  path: "/v1/events",
  tags: ["publishing"],
  summary: "Publish events: a CloudEvent or an array of them, plain envelopes, or UBX simple/compound batches",
  description:
    "All or nothing: one invalid event gives 422 with its index in errors[].path and nothing is stored. " +
    "A 202 means the events are committed. At most 500 events and 1 MiB per request. " +
    "A CloudEvent may also come in binary content mode: its attributes as ce- headers (percent-encoded), its data " +
    "as the body (JSON, or UTF-8 text kept as a string); errors then name the header, e.g. /headers/ce-type.",
  security: [{ bearer: [] }],
  request: {
    body: {
      required: true,
      content: {
        "application/json": { schema: z.unknown() },
        "application/cloudevents+json": { schema: z.unknown() },
        "application/cloudevents-batch+json": { schema: z.unknown() },
      },
    },
  },
  responses: {
    202: { description: "stored", content: { "application/json": { schema: PublishResponse } } },
    ...errorResponses,
  },
});

function refused({ status, errors }: Refusal): Problem {
  if (status === 422) return invalid(errors);
  const title = status === 415 ? "Unsupported Media Type" : "Bad Request";
  return new Problem(status, title, `${errors[0].path}: ${errors[0].message}`, errors);
}

async function parseStructured(raw: Uint8Array): Promise<ParsedRequest> {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(raw));
  } catch (error) {
    throw new Problem(400, "Bad Request", `the body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = await parsePublishBody(body);
  return parsed.ok ? parsed : { ...parsed, status: 422 };
}

publish.post("/v1/events", requirePublisher, async (c) => {
  const headers = c.req.raw.headers;
  const binary = isBinaryMode(headers);
  if (!binary && !ACCEPTED_TYPES.test(headers.get("content-type") ?? "")) {
    const detail =
      "content-type must be application/json, application/cloudevents+json or application/cloudevents-batch+json " +
      "(or a CloudEvent in binary content mode, with ce- headers)";
    throw new Problem(415, "Unsupported Media Type", detail, [{ path: "/headers/content-type", message: detail }]);
  }
  // The raw bytes, before any parsing: an inbound HMAC signs exactly what was sent, in either content mode.
  const raw = new Uint8Array(await c.req.arrayBuffer());
  const keyHash = c.get("keyHash")!;
  let parsedOnce: ParsedRequest | null = null;
  const attempt = async (publisher: Publisher) => {
    // The source's inbound rules first: an unsigned or foreign request learns nothing about its body.
    await guardInbound(c.env, publisher.source, c.req.raw, raw);
    parsedOnce ??= binary ? parseBinaryCloudEvent(headers, raw) : await parseStructured(raw);
    const parsed = parsedOnce;
    if (!parsed.ok) throw refused(parsed);
    if (parsed.events.length > MAX_EVENTS_PER_REQUEST) {
      throw new Problem(
        413,
        "Content Too Large",
        `${parsed.events.length} events; at most ${MAX_EVENTS_PER_REQUEST} per request`,
      );
    }
    return publishEvents(c.env, publisher.source, parsed.events, publisher.eventTypes, {
      ctx: c.executionCtx,
      guard: { column: "api_key_hash", hash: keyHash },
    });
  };
  try {
    return c.json(await attempt({ source: c.get("source")!, eventTypes: c.get("eventTypes")! }), 202);
  } catch (error) {
    if (!(error instanceof StaleSource)) throw error;
    // The cached source changed (or its key was rotated): read it again, check everything again, once.
    forgetPublisher("api_key_hash", keyHash);
    const fresh = await publisherByKey(c.env, keyHash);
    if (!fresh) throw unauthorized();
    return c.json(await attempt(fresh), 202);
  }
});
