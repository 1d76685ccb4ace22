import { env } from "cloudflare:workers";
import { strToU8, zipSync } from "fflate";
import { newId } from "../../src/lib/ids";
import { sha256Hex } from "./archive";

const DAY_MS = 86_400_000;

export interface StoredArchive {
  id: string;
  subscriber_id: string;
  period_start: string;
  period_end: string;
  r2_key: string;
  zip: Uint8Array;
  sha256: string;
}

/**
 * An archive row and its zip in R2, as a finished build leaves them, without running a build: the link, pull-API,
 * announcement and retention tests need a ready archive, not the builder. Periods are UTC days.
 */
export async function storeArchive(
  subscriberId: string,
  options: {
    period_start: string;
    period_end?: string;
    status?: "pending" | "building" | "ready" | "failed";
    expires_at?: number | null;
    ready_at?: number;
    /** Bytes of filler in the zip (stored, not deflated, so ranges land in known data). */
    size?: number;
  },
): Promise<StoredArchive> {
  const now = Date.now();
  const period_start = options.period_start;
  const period_end = options.period_end ?? period_start;
  const status = options.status ?? "ready";
  const from = Date.parse(`${period_start}T00:00:00Z`);
  const to = Date.parse(`${period_end}T00:00:00Z`) + DAY_MS;
  const filler = new Uint8Array(options.size ?? 20_000);
  for (let i = 0; i < filler.length; i++) filler[i] = (i * 7 + 3) % 251;
  const zip = zipSync(
    {
      "manifest.json": strToU8(JSON.stringify({ subscriber_id: subscriberId, period_start, period_end, files: [] })),
      "filler.bin": filler,
    },
    { level: 0 },
  );
  const sha256 = await sha256Hex(zip);
  const id = newId("arc", now);
  const r2_key = `archives/${subscriberId}/${period_start}_${period_end}.zip`;
  const ready = status === "ready";
  if (ready) await env.BUCKET.put(r2_key, zip, { httpMetadata: { contentType: "application/zip" } });
  await env.DB.prepare(
    `INSERT INTO archives (id, subscriber_id, period_start, period_end, timezone, format, from_ms, to_ms, status, r2_key,
       events, bytes, sha256, expires_at, created_at, updated_at, ready_at)
     VALUES (?, ?, ?, ?, 'UTC', 'json', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
    .bind(
      id,
      subscriberId,
      period_start,
      period_end,
      from,
      to,
      status,
      r2_key,
      ready ? 1 : null,
      ready ? zip.length : null,
      ready ? sha256 : null,
      options.expires_at === undefined ? (ready ? now + 90 * DAY_MS : null) : options.expires_at,
      now,
      now,
      ready ? (options.ready_at ?? now) : null,
    )
    .run();
  return { id, subscriber_id: subscriberId, period_start, period_end, r2_key, zip, sha256 };
}

export async function archiveRow(id: string) {
  return env.DB.prepare("SELECT * FROM archives WHERE id = ?").bind(id).first<Record<string, unknown>>();
}

export const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());
