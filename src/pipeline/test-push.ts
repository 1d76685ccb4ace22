import type { DestinationRow } from "../db/destinations";
import type { CloudEvent } from "../domain/cloudevent";
import { SAMPLE_EVENT } from "../domain/expressions";
import type { SentRequest } from "../domain/redact-request";
import { newId } from "../lib/ids";
import { redactText } from "../lib/redact";
import { keptRequest } from "./deliver";
import { EXCERPT_BYTES, push } from "./push";

/** What a test push did, as an attempt is shown, with the request it made (credentials redacted). */
export interface TestAttempt {
  event: CloudEvent;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_excerpt: string | null;
  request: SentRequest | null;
}

/** The sample a test push carries: SAMPLE_EVENT's attributes, a type a receiver can tell apart, a fresh id. */
export function testEvent(now: number): CloudEvent {
  return {
    ...SAMPLE_EVENT,
    id: newId("evt", now),
    source: "/syndic/test",
    type: "syndic.test",
    time: new Date(now).toISOString(),
    data: { message: "A test event sent by Syndic: it is not stored and belongs to no subscription." },
  };
}

/**
 * "Send a test event": the sample through the real push (URL policy, credentials, cloudevents_mode, signature, auth,
 * timeout, a renewed OAuth 2 token after a 401). Nothing is recorded: no event, delivery or attempt row, and the
 * destination's failure streak and auto-disable are left alone, so a test of a broken endpoint cannot disable it.
 */
export async function pushTestEvent(env: Env, destination: DestinationRow): Promise<TestAttempt> {
  const now = Date.now();
  const event = testEvent(now);
  const pushed = await push(env, {
    deliveryId: newId("dlv", now),
    eventId: event.id,
    target: { url: destination.url, method: destination.method, body: JSON.stringify(event) },
    destination,
    bodyLimit: EXCERPT_BYTES,
  });
  return {
    event,
    status_code: pushed.statusCode,
    duration_ms: pushed.durationMs,
    error: pushed.error,
    response_excerpt: pushed.excerpt && redactText(pushed.excerpt),
    // Redacted as an attempt keeps its request: a push refused before sending has none to show.
    request: await keptRequest(env, destination, pushed),
  };
}
