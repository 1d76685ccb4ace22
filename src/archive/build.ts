import {
  type ArchiveRow,
  archivedEventsPage,
  archivedShapeIds,
  claimArchive,
  getArchive,
  hasUnroutedArchivedEvents,
  markArchiveFailed,
  markArchiveReady,
  nextArchivedType,
  releaseArchive,
  saveCheckpoint,
  shapePaths,
  touchArchives,
} from "../db/archives";
import { getSubscriber } from "../db/subscribers";
import { chunk } from "../db/util";
import { DEFAULT_RETENTION_DAYS, type StoredArchiveSettings } from "../domain/archive-settings";
import { logStep } from "../lib/log";
import { iso } from "../lib/time";
import { ringArchives } from "../queues/ring";
import {
  advanceBuild,
  type BuildContext,
  type BuildSource,
  type BuildState,
  type Cursor,
  discardBuild,
  type EventPage,
} from "./builder";
import { ColumnUnion } from "./csv";
import { R2Scratch, R2ZipTarget, scratchPrefix } from "./multipart";

/**
 * One job works this long (wall time, which bounds CPU time) before it checkpoints and hands over to the next job,
 * well inside a queue consumer's 30 s default CPU limit.
 */
const BUDGET_MS = 20_000;
/** Subrequests (D1 queries, R2 calls) per job before it hands over: Workers allow 1000 per invocation. */
const MAX_CALLS = 800;
/** Longer than any invocation can live (a queue consumer gets 15 minutes of wall time): a lease outlives its job. */
export const ARCHIVE_LEASE_MS = 15 * 60_000;
/** While events received in the period still wait for routing, the build waits this long and looks again… */
const ROUTING_RECHECK_S = 60;
/** …but not for ever: past this, routing is stuck (the sweeper and dead letters deal with it) and the build goes on. */
const ROUTING_WAIT_MAX_MS = 6 * 3_600_000;
const DAY_MS = 86_400_000;
/**
 * A CSV header is read from at most this many of the type's distinct shapes, a few at a time, and no further once
 * they fill every column. Past it, the file gets an overflow column for what later shapes would have added.
 */
const HEADER_SHAPES = 500;
const SHAPES_PER_QUERY = 10;

export interface ArchiveJobOptions {
  budgetMs?: number;
  maxCalls?: number;
  pageSize?: number;
  partSize?: number;
}

export type ArchiveJobOutcome = "ready" | "continued" | "waiting" | "skipped" | "failed";

/** The period's events of one subscriber from D1: archive_items by keyset, bodies inline or from R2. */
class D1Source implements BuildSource {
  extraCalls = 0;

  constructor(
    private readonly env: Env,
    private readonly archive: ArchiveRow,
  ) {}

  private get range() {
    return { from: this.archive.from_ms, to: this.archive.to_ms };
  }

  nextType(after: string | null): Promise<string | null> {
    return nextArchivedType(this.env.DB, this.archive.subscriber_id, after);
  }

  async page(type: string, after: Cursor | null, limit: number): Promise<EventPage> {
    const rows = await archivedEventsPage(this.env.DB, this.archive.subscriber_id, type, this.range, after, limit);
    const events = await Promise.all(
      rows
        .filter((row) => row.found)
        .map(async (row) => ({
          id: row.event_id,
          body: row.body ?? (await this.largeBody(row.body_key)),
          shape: row.shape,
          kept:
            row.row_text !== null && row.row_format !== null && row.row_cells !== null
              ? { text: row.row_text, format: row.row_format, cells: row.row_cells }
              : null,
        })),
    );
    const last = rows.at(-1);
    return {
      events,
      last: last ? { received_at: last.received_at, event_id: last.event_id } : after,
      more: rows.length === limit,
    };
  }

  async columns(type: string): Promise<string[]> {
    const union = new ColumnUnion();
    const ids = await archivedShapeIds(this.env.DB, this.archive.subscriber_id, type, this.range, HEADER_SHAPES + 1);
    for (const group of chunk(ids.slice(0, HEADER_SHAPES), SHAPES_PER_QUERY)) {
      if (union.full) break;
      this.extraCalls += 1;
      for (const shape of await shapePaths(this.env.DB, group)) union.add(shape);
    }
    if (ids.length > HEADER_SHAPES) union.overflow = true;
    return union.columns();
  }

  private async largeBody(key: string | null): Promise<string> {
    this.extraCalls += 1;
    const object = key ? await this.env.BUCKET.get(key) : null;
    if (!object) throw new Error(`event body ${key} is missing from R2`);
    return object.text();
  }
}

function buildContext(
  env: Env,
  archive: ArchiveRow,
  saved: BuildState | null,
  config: StoredArchiveSettings,
  options: ArchiveJobOptions,
) {
  return {
    format: archive.format,
    csvEscapeFormulas: config.csv_escape_formulas ?? true,
    filename: config.filename,
    meta: {
      subscriber_id: archive.subscriber_id,
      period_start: archive.period_start,
      period_end: archive.period_end,
      timezone: archive.timezone,
      from: iso(archive.from_ms)!,
      to: iso(archive.to_ms)!,
    },
    source: new D1Source(env, archive),
    target: new R2ZipTarget(env.BUCKET, archive.r2_key, saved?.target),
    store: new R2Scratch(env.BUCKET, scratchPrefix(archive.r2_key)),
    pageSize: options.pageSize,
    partSize: options.partSize,
  } satisfies BuildContext;
}

async function enqueue(env: Env, archiveId: string, delaySeconds = 0): Promise<void> {
  try {
    await ringArchives(env, [archiveId], delaySeconds);
  } catch (error) {
    // The row is the ledger: the sweeper re-enqueues an unfinished archive nobody holds.
    logStep({ stage: "archive", outcome: "queue_send_failed", archive_id: archiveId, error: String(error) });
  }
}

/**
 * One `archive` job: claims the archive (a duplicate job finds it held or done and does nothing), builds from the
 * start or from its checkpoint until done or out of budget, then records it ready (announcing it is the caller's,
 * pipeline/archive-job.ts) — or saves the checkpoint and enqueues the next job. An error lets go of the claim and rethrows, so the queue retries from the last checkpoint;
 * after the last retry the dead-letter consumer marks the archive failed.
 */
export async function runArchiveJob(
  env: Env,
  archiveId: string,
  options: ArchiveJobOptions = {},
): Promise<ArchiveJobOutcome> {
  const started = Date.now();
  const log = (outcome: ArchiveJobOutcome | string, fields: Record<string, unknown> = {}) =>
    logStep({ stage: "archive", outcome, archive_id: archiveId, duration_ms: Date.now() - started, ...fields });
  const archive = await getArchive(env.DB, archiveId);
  if (!archive || archive.status === "ready" || archive.status === "failed") {
    log("skipped", { status: archive?.status ?? "missing" });
    return "skipped";
  }
  if (archive.lease_until !== null && archive.lease_until > started) {
    log("skipped", { status: "held by another job" });
    return "skipped";
  }
  // Routing runs a little behind publishing: an event received in the period but not routed yet would be missed.
  if (
    !archive.checkpoint &&
    started - archive.to_ms < ROUTING_WAIT_MAX_MS &&
    (await hasUnroutedArchivedEvents(env.DB, archive.subscriber_id, { from: archive.from_ms, to: archive.to_ms }))
  ) {
    await touchArchives(env.DB, [archiveId], started);
    await enqueue(env, archiveId, ROUTING_RECHECK_S);
    log("waiting", { reason: "events of the period are still being routed" });
    return "waiting";
  }
  const subscriber = await getSubscriber(env.DB, archive.subscriber_id);
  if (!subscriber) {
    await failArchiveBuild(env, archiveId, "the subscriber was deleted");
    log("failed", { error: "the subscriber was deleted" });
    return "failed";
  }
  const token = crypto.randomUUID();
  const claimed = await claimArchive(env.DB, archiveId, token, started + ARCHIVE_LEASE_MS, started);
  if (!claimed) {
    log("skipped", { status: "claimed by another job" });
    return "skipped";
  }
  const saved = claimed.checkpoint as BuildState | null;
  try {
    const config = subscriber.archive;
    const step = await advanceBuild(buildContext(env, claimed, saved, config, options), saved, {
      deadline: started + (options.budgetMs ?? BUDGET_MS),
      maxCalls: options.maxCalls ?? MAX_CALLS,
    });
    const now = Date.now();
    if (!step.done) {
      if (await saveCheckpoint(env.DB, archiveId, token, step.state, step.events, now)) {
        await enqueue(env, archiveId);
      }
      log("continued", { events_so_far: step.events, bytes_so_far: step.bytes, phase: step.state.phase });
      return "continued";
    }
    const retentionDays = config.retention_days ?? DEFAULT_RETENTION_DAYS;
    const result = {
      events: step.events,
      bytes: step.bytes,
      sha256: step.sha256,
      expires_at: now + retentionDays * DAY_MS,
    };
    await markArchiveReady(env.DB, archiveId, token, result, now);
    log("ready", {
      subscriber_id: archive.subscriber_id,
      period_start: archive.period_start,
      period_end: archive.period_end,
      format: archive.format,
      events: step.events,
      bytes: step.bytes,
      resumed: saved !== null,
      ...(step.droppedCells ? { dropped_csv_cells: step.droppedCells } : {}),
    });
    return "ready";
  } catch (error) {
    await releaseArchive(env.DB, archiveId, token, String(error), Date.now());
    log("error_will_retry", { error: String(error) });
    throw error;
  }
}

/**
 * Ends an archive that will not be built (dead letter, deleted subscriber): the upload is aborted, scratch objects
 * deleted, and the row marked failed with the reason (and the last error seen, if any). A ready archive is untouched.
 */
export async function failArchiveBuild(env: Env, archiveId: string, reason: string): Promise<void> {
  const archive = await getArchive(env.DB, archiveId);
  if (!archive || archive.status === "ready" || archive.status === "failed") return;
  const saved = archive.checkpoint as BuildState | null;
  try {
    await discardBuild(
      new R2ZipTarget(env.BUCKET, archive.r2_key, saved?.target),
      new R2Scratch(env.BUCKET, scratchPrefix(archive.r2_key)),
      saved,
    );
  } catch (error) {
    logStep({ stage: "archive", outcome: "cleanup_failed", archive_id: archiveId, error: String(error) });
  }
  const now = Date.now();
  const error = archive.error ? `${reason}: ${archive.error}` : reason;
  await markArchiveFailed(env.DB, archiveId, error, now + DEFAULT_RETENTION_DAYS * DAY_MS, now);
}
