/** Answers that come in more than one shape, read one way. Pure, for the unit tests. */
import type { Delivery, EventDetail, RelayEvent } from "./types";

/** GET /v1/admin/events/{id} answers `{event, deliveries}`; older relays answered the event itself. */
export function unwrapEvent(body: EventDetail | null | undefined): {
  event: RelayEvent | Partial<RelayEvent>;
  deliveries: Delivery[];
} {
  const wrapped = body && "event" in body && body.event && typeof body.event === "object" ? body.event : null;
  const event: Partial<RelayEvent> = wrapped || (body as RelayEvent | null) || {};
  const outer = body && Array.isArray(body.deliveries) ? body.deliveries : null;
  const deliveries = outer || (Array.isArray(event.deliveries) ? event.deliveries : []);
  return { event, deliveries };
}
