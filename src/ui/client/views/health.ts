/** The health pill in the header, from GET /healthz. */
import { $ } from "../dom";
import { age } from "../format";
import { health } from "../session";
import type { Health } from "../types";

export interface HealthLevel {
  level: "green" | "amber" | "red";
  label: string;
  detail: string;
}

/** Red when the relay or its database is down or a backlog is an hour old, amber from five minutes. */
export function healthLevel(status: number, body: Health | null): HealthLevel {
  if (!body || typeof body !== "object") {
    return {
      level: "red",
      label: "Unreachable",
      detail: status ? `GET /healthz answered ${status}` : "the relay did not answer",
    };
  }
  const owed = body.oldest_undelivered_age_s;
  const detail = `DB ${body.database || "unknown"} · ${owed == null ? "nothing owed" : `oldest owed ${age(owed)}`}`;
  if (!body.ok || body.database !== "ok") {
    return { level: "red", label: body.database === "ok" ? "Unhealthy" : "Database down", detail };
  }
  if (owed != null && owed >= 3600) return { level: "red", label: "Backlog", detail };
  if (owed != null && owed >= 300) return { level: "amber", label: "Lagging", detail };
  return { level: "green", label: "Healthy", detail };
}

export async function refreshHealth(): Promise<void> {
  const pill = $("#health")!;
  let body: Health | null = null;
  let status = 0;
  try {
    ({ status, body } = await health());
  } catch (_) {
    body = null;
  }
  const { level, label, detail } = healthLevel(status, body);
  pill.className = `health ${level}`;
  $("#health-label")!.textContent = label;
  $("#health-detail")!.textContent = detail;
  pill.title = `GET /healthz · ${detail} · checked ${new Date().toLocaleTimeString()} (click to re-check)`;
}
