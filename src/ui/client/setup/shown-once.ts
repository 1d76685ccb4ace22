/** The secrets an answer carries, shown once: a create's or rotate's keys, signing secrets and URLs. No DOM here. */

const SECRETS: ReadonlyArray<readonly [key: string, label: string]> = [
  ["api_key", "API key"],
  ["notify_url", "Notify URL"],
  ["signing_secret", "Signing secret"],
  ["callback_url", "Callback URL"],
];

export interface ShownOnce {
  key: string;
  label: string;
  value: string;
}

export function shownOnce(answer: unknown): ShownOnce[] {
  if (!answer || typeof answer !== "object") return [];
  const body = answer as Record<string, unknown>;
  return SECRETS.filter(([key]) => typeof body[key] === "string" && body[key] !== "").map(([key, label]) => ({
    key,
    label,
    value: String(body[key]),
  }));
}
