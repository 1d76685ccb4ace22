/** One JSON line per pipeline step, so `wrangler tail` and Logpush can filter on any field. Never pass secrets here. */
export interface LogFields {
  stage: string;
  outcome: string;
  event_id?: string;
  delivery_id?: string;
  duration_ms?: number;
  [key: string]: unknown;
}

export function logStep(fields: LogFields): void {
  console.log(JSON.stringify({ at: new Date().toISOString(), ...fields }));
}
