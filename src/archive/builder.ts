import type { ArchiveFormat } from "../domain/archive-settings";
import { type OutputState, PART_BYTES, PartBuffer } from "./output";
import { chunkNames, type ScratchStore } from "./record-log";
import { type ArchivedEvent, ArchiveWriter, isDelimited, type ManifestMeta, type WriterState } from "./writer";

/** Keyset position in a type's events: the last (received_at, event_id) written. */
export interface Cursor {
  received_at: number;
  event_id: string;
}

export interface EventPage {
  events: ArchivedEvent[];
  /** Where the next page starts (the last row read, even one whose event has since been deleted). */
  last: Cursor | null;
  /** False once the type has no more events in the period. */
  more: boolean;
}

/** Where the events come from: D1 in the Worker, a generator in bench/archive.mjs. */
export interface BuildSource {
  /** The next event type after `after` (alphabetical) that may have events in the period. */
  nextType(after: string | null): Promise<string | null>;
  page(type: string, after: Cursor | null, limit: number): Promise<EventPage>;
  /** The union of the shapes of a type's events (csv.ts pathsOf): the CSV or TSV file's columns, before CsvRows bounds them. */
  columns(type: string): Promise<string[]>;
  /** Subrequests made beyond one per call above (large bodies read from R2), counted against the budget. */
  readonly extraCalls?: number;
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
}

export interface TargetState {
  upload_id: string | null;
  parts: UploadedPart[];
}

/** Where the zip goes: an R2 multipart upload in the Worker. */
export interface ZipTarget {
  uploadPart(bytes: Uint8Array): Promise<void>;
  /** Uploads the last bytes and completes; a zip that never filled a part is written with one put. */
  complete(last: Uint8Array): Promise<void>;
  abort(): Promise<void>;
  save(): TargetState;
}

export type Phase = "data" | "manifest" | "central" | "done";

/**
 * A checkpoint: everything the next queue job needs to carry on from here. JSON, small whatever the events: what can
 * grow (zip bytes not yet uploaded, the columns of an open CSV file, file records) is kept in the scratch store.
 */
export interface BuildState {
  phase: Phase;
  /** The last type started (or skipped), and whether its file is open. */
  type: string | null;
  open: boolean;
  after: Cursor | null;
  /** Progress through the record chunks in the manifest and central phases. */
  chunk: number;
  generated_at: number;
  writer: WriterState;
  output: OutputState;
  target: TargetState;
  /** Checkpoints taken so far; names this checkpoint's carry object. */
  seq: number;
  /** Bytes of the zip produced but not yet uploaded, kept in the scratch store as carryName(seq). */
  carry: number;
  /** Fixed when the build starts, so a subscriber changing it mid-build cannot give one file two spellings. */
  csv_escape_formulas?: boolean;
  /** The archive.filename template the build started with (null: the default names), fixed for the same reason. */
  filename?: string | null;
}

export interface BuildContext {
  format: ArchiveFormat;
  meta: Omit<ManifestMeta, "generated_at" | "format">;
  source: BuildSource;
  target: ZipTarget;
  store: ScratchStore;
  /** CSV and TSV: prefix formula-like cells with `'` (default true); a resumed build keeps the value it started with. */
  csvEscapeFormulas?: boolean;
  /** The archive.filename template of the data files (names.ts dataFileName); a resumed build keeps its own. */
  filename?: string;
  pageSize?: number;
  partSize?: number;
}

export interface Budget {
  /** Stop at the first page boundary after this time (epoch ms). */
  deadline: number;
  /** …or after this many subrequests (D1 queries, R2 calls): Workers cap them per invocation. */
  maxCalls: number;
}

export type BuildStep =
  | { done: false; state: BuildState; events: number; bytes: number }
  | { done: true; events: number; bytes: number; sha256: string; droppedCells: number };

export const DEFAULT_PAGE_SIZE = 500;

/**
 * One carry object per checkpoint, never overwritten: a job that wrote its carry but died before its checkpoint was
 * saved must not spoil the carry of the checkpoint the retry resumes from.
 */
const carryName = (seq: number) => `carry-${seq}.bin`;
/** The columns of the CSV file open at a checkpoint, beside it and named after it like its carry. */
const columnsName = (seq: number) => `columns-${seq}.json`;
/** Everything a checkpoint keeps in the scratch store. */
const checkpointNames = (seq: number) => [carryName(seq), columnsName(seq)];
const decoder = new TextDecoder();

/**
 * Runs a build from the start or from a checkpoint until it is done or out of budget. Events are read a page at a
 * time, encoded and deflated into the part buffer, and every full part is uploaded before the next page: memory holds
 * one page and about one part, whatever the period's size.
 */
export async function advanceBuild(ctx: BuildContext, saved: BuildState | null, budget: Budget): Promise<BuildStep> {
  const pageSize = ctx.pageSize ?? DEFAULT_PAGE_SIZE;
  const generatedAt = saved?.generated_at ?? Date.now();
  const output = new PartBuffer(ctx.partSize ?? PART_BYTES, saved?.output);
  const seq = saved?.seq ?? 0;
  let calls = 0;
  if (saved?.carry) {
    const carry = await ctx.store.get(carryName(seq));
    calls += 1;
    if (!carry || carry.length !== saved.carry) throw new Error("the checkpoint's carry bytes are missing");
    output.restore(carry);
  }
  if (seq > 1) {
    // The checkpoint this job resumes from is saved, so the one before it (and what it kept aside) is history.
    await ctx.store.delete(checkpointNames(seq - 1));
    calls += 1;
  }
  const escapeFormulas = saved ? (saved.csv_escape_formulas ?? true) : (ctx.csvEscapeFormulas ?? true);
  const filename = saved ? (saved.filename ?? undefined) : ctx.filename;
  const naming = {
    template: filename,
    period_start: ctx.meta.period_start,
    period_end: ctx.meta.period_end,
    generated_at: generatedAt,
  };
  const writer = new ArchiveWriter(ctx.format, output, ctx.store, generatedAt, saved?.writer, {
    escapeFormulas,
    naming,
  });
  if (writer.awaitsColumns) {
    // The source could give them again, but not surely the same: routing may add to a period while it is built.
    const stored = await ctx.store.get(columnsName(seq));
    calls += 1;
    // A checkpoint saved before the columns moved out of it still has them.
    const inline = (saved?.writer as { columns?: string[] | null } | undefined)?.columns;
    if (!stored && !inline) throw new Error(`the checkpoint's ${ctx.format.toUpperCase()} columns are missing`);
    writer.resumeColumns(stored ? (JSON.parse(decoder.decode(stored)) as string[]) : inline!);
  }
  const at = {
    phase: saved?.phase ?? ("data" as Phase),
    type: saved?.type ?? null,
    open: saved?.open ?? false,
    after: saved?.after ?? null,
    chunk: saved?.chunk ?? 0,
  };
  const meta: ManifestMeta = { ...ctx.meta, format: ctx.format, generated_at: new Date(generatedAt).toISOString() };

  const consume = (page: EventPage) => {
    for (const event of page.events) writer.add(event);
    at.after = page.last ?? at.after;
    if (!page.more) {
      writer.endType();
      at.open = false;
    }
  };

  while (at.phase !== "done") {
    if (at.phase === "data") {
      if (!at.open) {
        const type = await ctx.source.nextType(at.type);
        calls += 1;
        if (type === null) {
          writer.openManifest(meta);
          at.phase = "manifest";
          at.chunk = 0;
        } else {
          at.type = type;
          at.after = null;
          const page = await ctx.source.page(type, null, pageSize);
          calls += 1;
          // A type with nothing in the period gets no file at all.
          if (page.events.length || page.more) {
            const columns = isDelimited(ctx.format) ? await ctx.source.columns(type) : [];
            calls += 1;
            writer.beginType(type, columns);
            at.open = true;
            consume(page);
          }
        }
      } else {
        consume(await ctx.source.page(at.type!, at.after, pageSize));
        calls += 1;
      }
      if (await writer.spillRecords()) calls += 1;
    } else if (at.chunk < writer.recordChunks) {
      const records = await writer.recordChunk(at.chunk);
      calls += 1;
      if (at.phase === "manifest") writer.addManifestFiles(records);
      else writer.addCentralRecords(records);
      at.chunk += 1;
    } else if (at.phase === "manifest") {
      writer.closeManifest();
      writer.beginCentralDirectory();
      at.phase = "central";
      at.chunk = 0;
    } else {
      writer.end();
      at.phase = "done";
    }

    for (let part = output.takePart(); part; part = output.takePart()) {
      await ctx.target.uploadPart(part);
      calls += 1;
    }
    const spent = calls + (ctx.source.extraCalls ?? 0);
    if (at.phase !== "done" && (Date.now() >= budget.deadline || spent >= budget.maxCalls)) {
      const writerState = writer.save();
      for (let part = output.takePart(); part; part = output.takePart()) await ctx.target.uploadPart(part);
      const carry = output.takeRest();
      if (carry.length) await ctx.store.put(carryName(seq + 1), carry);
      const columns = writer.openColumns;
      if (columns) await ctx.store.put(columnsName(seq + 1), JSON.stringify(columns));
      return {
        done: false,
        events: writer.events,
        bytes: output.total,
        state: {
          ...at,
          generated_at: generatedAt,
          writer: writerState,
          output: output.save(),
          target: ctx.target.save(),
          seq: seq + 1,
          carry: carry.length,
          csv_escape_formulas: escapeFormulas,
          filename: filename ?? null,
        },
      };
    }
  }

  await ctx.target.complete(output.takeRest());
  // Also what a failed attempt at the next checkpoint may have left.
  await ctx.store.delete([...writer.scratchNames(), ...checkpointNames(seq), ...checkpointNames(seq + 1)]);
  return {
    done: true,
    events: writer.events,
    bytes: output.total,
    sha256: output.digest(),
    droppedCells: writer.droppedCells,
  };
}

/** A build that will not finish: its upload is aborted and its scratch objects deleted. */
export async function discardBuild(target: ZipTarget, store: ScratchStore, state: BuildState | null): Promise<void> {
  await target.abort();
  const seq = state?.seq ?? 0;
  await store.delete([
    ...chunkNames(state?.writer.log.chunks ?? 0),
    ...checkpointNames(seq),
    ...checkpointNames(seq + 1),
  ]);
}
