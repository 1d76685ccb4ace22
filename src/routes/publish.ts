import { z } from "@hono/zod-openapi";
import { invalid, Problem } from "../lib/problem";
import { parsePublishBody } from "../pipeline/formats";
import { publishEvents } from "../pipeline/ingest";
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
    "A 202 means the events are committed. At most 500 events and 1 MiB per request.",
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

publish.post("/v1/events", requirePublisher, async (c) => {
  const type = c.req.header("content-type") ?? "";
  if (!ACCEPTED_TYPES.test(type)) {
    throw new Problem(
      415,
      "Unsupported Media Type",
      "content-type must be application/json, application/cloudevents+json or application/cloudevents-batch+json",
    );
  }
  const raw = new Uint8Array(await c.req.arrayBuffer());
  await guardInbound(c.env, c.get("source")!, c.req.raw, raw);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(raw));
  } catch (error) {
    throw new Problem(400, "Bad Request", `the body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = await parsePublishBody(body);
  if (!parsed.ok) throw invalid(parsed.errors);
  if (parsed.events.length > MAX_EVENTS_PER_REQUEST) {
    throw new Problem(
      413,
      "Content Too Large",
      `${parsed.events.length} events; at most ${MAX_EVENTS_PER_REQUEST} per request`,
    );
  }
  return c.json(await publishEvents(c.env, c.get("source")!, parsed.events, c.get("eventTypes")), 202);
});
