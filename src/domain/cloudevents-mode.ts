import { z } from "@hono/zod-openapi";

/** How a push that is the CloudEvent itself is framed (CONTRACT §6); a transform's output is always JSON. */
export const CLOUDEVENTS_MODES = ["json", "structured", "binary"] as const;
export const CloudEventsMode = z.enum(CLOUDEVENTS_MODES);
export type CloudEventsMode = z.infer<typeof CloudEventsMode>;
