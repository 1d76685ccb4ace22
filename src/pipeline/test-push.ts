import type { DestinationRow } from "../db/destinations";
import type { Auth } from "../domain/auth";
import type { CloudEvent } from "../domain/cloudevent";
import { SAMPLE_EVENT } from "../domain/expressions";
import { newId } from "../lib/ids";
import { looksSecret, REDACTED, redactHeaders, redactText } from "../lib/redact";
import { EXCERPT_BYTES, loadCredentials, push } from "./push";

/** What a test push did, as an attempt is shown, with the request it made (credentials redacted). */
export interface TestAttempt {
  event: CloudEvent;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_excerpt: string | null;
  request: { url: string; method: string; headers: Record<string, string> } | null;
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
 * Every credential the destination's auth holds. An api_key may go in a header or a query parameter of any name,
 * which the name rule of lib/redact.ts cannot know, so values are matched too; too many redactions cost nothing.
 */
function credentialValues(auth: Auth): string[] {
  return Object.entries(auth)
    .filter(([name, value]) => name !== "type" && typeof value === "string" && value.length >= 4)
    .map(([, value]) => value as string);
}

function redactedUrl(url: string, secrets: string[]): string {
  const parsed = new URL(url);
  for (const [name, value] of [...parsed.searchParams]) {
    if (looksSecret(name) || secrets.includes(value)) parsed.searchParams.set(name, REDACTED);
  }
  return redactText(parsed.toString());
}

function redactedHeaders(headers: Record<string, string>, secrets: string[]): Record<string, string> {
  const byName = redactHeaders(headers);
  return Object.fromEntries(
    Object.entries(byName).map(([name, value]) => [
      name,
      secrets.some((secret) => value.includes(secret)) ? REDACTED : value,
    ]),
  );
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
  // Sent means the credentials opened; a push refused before sending has no request to show.
  const secrets = pushed.request ? credentialValues((await loadCredentials(env, destination)).auth) : [];
  return {
    event,
    status_code: pushed.statusCode,
    duration_ms: pushed.durationMs,
    error: pushed.error,
    response_excerpt: pushed.excerpt && redactText(pushed.excerpt),
    request: pushed.request
      ? {
          url: redactedUrl(pushed.request.url, secrets),
          method: pushed.request.method,
          headers: redactedHeaders(pushed.request.headers, secrets),
        }
      : null,
  };
}
