import { z } from "@hono/zod-openapi";
import { Auth } from "./auth";
import { CloudEventsMode } from "./cloudevents-mode";
import { Headers, HttpUrl } from "./http-fields";
import { DEFAULT_RETRY_POLICY, RetryPolicy } from "./retry-policy";

export const DestinationMethod = z.enum(["POST", "PUT", "PATCH"]);
export type DestinationMethod = z.infer<typeof DestinationMethod>;

export const Environment = z.enum(["production", "sandbox"]);
export type Environment = z.infer<typeof Environment>;

/** A subscriber's system (CONTRACT §3 Destinations). */
export const DestinationInput = z
  .object({
    name: z.string().min(1).max(200),
    url: HttpUrl,
    method: DestinationMethod.default("POST"),
    environment: Environment.default("production"),
    headers: Headers,
    auth: Auth.default({ type: "none" }),
    timeout_ms: z.number().int().min(100).max(120_000).default(30_000),
    retry: RetryPolicy.default(DEFAULT_RETRY_POLICY),
    cloudevents_mode: CloudEventsMode.default("json"),
  })
  .openapi("DestinationInput");
export type DestinationInput = z.infer<typeof DestinationInput>;
