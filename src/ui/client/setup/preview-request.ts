/**
 * What the live preview asks POST /v1/admin/preview (src/routes/preview.ts) for the expression being edited, and
 * how its answer or refusal reads. No DOM here.
 */
import type { FieldMap } from "./issues";

export type PreviewTarget =
  | { kind: "filter"; expression: string }
  | { kind: "transform"; expression: string; preset: string }
  | { kind: "identity"; expression: string };

export type Sample = { eventId: string } | { pasted: string };

export type PreviewPlan = { ok: true; body: Record<string, unknown> } | { ok: false; hint: string };

export function previewBody(target: PreviewTarget | null, sample: Sample): PreviewPlan {
  if (!target) return { ok: false, hint: "Type a filter or a transform to see what it makes of the sample event." };
  const expression = target.expression.trim() ? target.expression : undefined;
  let body: Record<string, unknown>;
  if (target.kind === "filter") {
    if (!expression) return { ok: false, hint: "No filter: every event of the chosen types matches." };
    body = { filter: expression };
  } else if (target.kind === "transform") {
    // Neither: the step sends the CloudEvent, which is what the cloudevent preset shows.
    const preset = target.preset || (expression ? undefined : "cloudevent");
    body = { ...(expression ? { transform: expression } : {}), ...(preset ? { preset } : {}) };
  } else {
    if (!expression) return { ok: false, hint: "Type the local id expression to see the id it finds." };
    body = { identity: { local_id: expression } };
  }
  if ("eventId" in sample) {
    if (!sample.eventId.trim()) return { ok: false, hint: "Choose a sample event: an event id, or paste one." };
    return { ok: true, body: { ...body, event_id: sample.eventId.trim() } };
  }
  if (!sample.pasted.trim()) return { ok: false, hint: "Paste a sample event (a CloudEvent or {type, data})." };
  try {
    return { ok: true, body: { ...body, event: JSON.parse(sample.pasted) } };
  } catch (_) {
    return { ok: false, hint: "The pasted event is not valid JSON." };
  }
}

/** A refused preview's messages (the 422 names the expression and its position), one line each. */
export function refusalLines(fields: FieldMap, fallback: string): string[] {
  const lines = [...fields].flatMap(([pointer, messages]) =>
    messages.map((message) => (pointer ? `${pointer.slice(1).replace(/\//g, ".")}: ` : "") + message),
  );
  return lines.length ? lines : [fallback];
}
