import type { ArchiveFormat } from "../domain/archive-settings";
import { CSV_DIALECT, CsvRows, type Dialect, type KeptRow } from "./csv";
import { type DataFileNaming, dataFileName, eventFileName, MANIFEST_NAME } from "./names";
import { type FileRecord, RecordLog, type RecordLogState, type ScratchStore } from "./record-log";
import { TSV_DIALECT } from "./tsv";
import { endOfCentralDirectory } from "./zip-format";
import { type ByteSink, ZipStream, type ZipStreamState } from "./zip-stream";

/** One event as archived: the stored CloudEvent, as its JSON text. */
export interface ArchivedEvent {
  id: string;
  body: string;
  /** CSV and TSV: the event's shape id and the row routing kept for it (csv.ts KeptRow), when there is one. */
  shape?: string | null;
  kept?: KeptRow | null;
}

export interface ManifestMeta {
  subscriber_id: string;
  period_start: string;
  period_end: string;
  timezone: string;
  generated_at: string;
  format: ArchiveFormat;
  /** UTC bounds of events.received_at covered, RFC 3339. */
  from: string;
  to: string;
}

/** The formats written as a header of columns and a row per event, by CsvRows in their own dialect. */
export type DelimitedFormat = "csv" | "tsv";
export const DIALECTS: Record<DelimitedFormat, Dialect> = { csv: CSV_DIALECT, tsv: TSV_DIALECT };

export const isDelimited = (format: ArchiveFormat): format is DelimitedFormat => format in DIALECTS;

export interface WriterOptions {
  /** CSV and TSV: formula-like cells get a leading `'` (see csv.ts). */
  escapeFormulas: boolean;
  /** What the data files are named after (the subscriber's archive.filename); the default names without it. */
  naming?: DataFileNaming;
}

export interface WriterState {
  zip: ZipStreamState;
  log: RecordLogState;
  type: string | null;
  fileEvents: number;
  events: number;
  manifestItems: number;
  centralStart: number;
  centralCount: number;
  droppedCells: number;
}

/**
 * Encodes events into the archive's files, per format (CONTRACT §7), and writes manifest.json and the central
 * directory at the end. Everything it holds survives `save()`, so a build can stop between any two events.
 *
 * - json: `{type}.json`, a JSON array, one event per line: "[\n{…},\n{…}\n]\n"
 * - ndjson: `{type}.ndjson`, one event per line
 * - csv: `{type}.csv`, see csv.ts
 * - tsv: `{type}.tsv`, the same columns and cells as csv, see tsv.ts
 * - files: `{type}/{evt_id}.json`, the event alone
 *
 * Only types with events in the period get a file: an empty period is a zip holding manifest.json alone.
 *
 * The columns of an open CSV or TSV file are not part of the saved state (they can be a thousand long paths): the builder
 * keeps them beside the checkpoint and hands them back with `resumeColumns`.
 */
export class ArchiveWriter {
  private readonly zip: ZipStream;
  private readonly log: RecordLog;
  private state: Omit<WriterState, "zip" | "log">;
  private rows: CsvRows | null = null;

  constructor(
    private readonly format: ArchiveFormat,
    sink: ByteSink,
    store: ScratchStore,
    modified: number,
    saved: WriterState | undefined,
    private readonly options: WriterOptions,
  ) {
    this.zip = new ZipStream(sink, modified, saved?.zip);
    this.log = new RecordLog(store, saved?.log);
    const {
      zip: _zip,
      log: _log,
      ...rest
    } = saved ?? {
      zip: null,
      log: null,
      type: null,
      fileEvents: 0,
      events: 0,
      manifestItems: 0,
      centralStart: 0,
      centralCount: 0,
      droppedCells: 0,
    };
    this.state = rest;
  }

  /** A CSV or TSV file was open at the checkpoint: its rows cannot be written before its columns are given back. */
  get awaitsColumns(): boolean {
    return isDelimited(this.format) && this.state.type !== null && this.rows === null;
  }

  /** The columns of the open CSV or TSV file, to keep beside a checkpoint; null when none is open. */
  get openColumns(): readonly string[] | null {
    return this.rows?.columns ?? null;
  }

  resumeColumns(columns: readonly string[]): void {
    const dialect = isDelimited(this.format) ? DIALECTS[this.format] : CSV_DIALECT;
    this.rows = new CsvRows(columns, { escapeFormulas: this.options.escapeFormulas, dialect });
  }

  get events(): number {
    return this.state.events;
  }

  /** CSV or TSV cells whose path was missing from the header (expected 0). */
  get droppedCells(): number {
    this.collectDropped();
    return this.state.droppedCells;
  }

  /** Starts the file of a type; `columns` is the union of its events' shapes (CSV and TSV only), bounded by CsvRows. */
  beginType(type: string, columns: readonly string[] = []): void {
    this.state.type = type;
    this.state.fileEvents = 0;
    if (this.format === "files") return;
    this.zip.open(dataFileName(this.format, type, this.options.naming));
    if (this.format === "json") this.zip.writeText("[");
    if (isDelimited(this.format)) {
      this.resumeColumns(columns);
      this.zip.writeText(this.rows!.header());
    }
  }

  add(event: ArchivedEvent): void {
    const first = this.state.fileEvents === 0;
    this.state.fileEvents += 1;
    this.state.events += 1;
    switch (this.format) {
      case "json":
        this.zip.writeText(first ? "\n" : ",\n");
        this.zip.writeText(event.body);
        return;
      case "ndjson":
        this.zip.writeText(event.body);
        this.zip.writeText("\n");
        return;
      case "csv":
      case "tsv":
        this.zip.writeText(this.rows!.rowOf(event));
        return;
      case "files":
        this.zip.open(eventFileName(this.state.type!, event.id));
        this.zip.writeText(event.body);
        this.log.add({ ...this.zip.close(), events: 1 });
    }
  }

  endType(): void {
    if (this.format === "json") this.zip.writeText(this.state.fileEvents ? "\n]\n" : "]\n");
    if (isDelimited(this.format)) {
      this.log.add({ ...this.zip.close(), events: this.state.fileEvents, overflow_column: this.rows!.overflowColumn });
    } else if (this.format !== "files") {
      this.log.add({ ...this.zip.close(), events: this.state.fileEvents });
    }
    this.collectDropped();
    this.rows = null;
    this.state.type = null;
  }

  /** manifest.json comes last among the files: it lists the others with their sha256. */
  openManifest(meta: ManifestMeta): void {
    const head = {
      subscriber_id: meta.subscriber_id,
      period_start: meta.period_start,
      period_end: meta.period_end,
      timezone: meta.timezone,
      generated_at: meta.generated_at,
      format: meta.format,
      from: meta.from,
      to: meta.to,
      events: this.state.events,
      ...(isDelimited(meta.format) ? { csv_escape_formulas: this.options.escapeFormulas } : {}),
    };
    this.zip.open(MANIFEST_NAME);
    this.zip.writeText(`${JSON.stringify(head).slice(0, -1)},"files":[`);
    this.state.manifestItems = 0;
  }

  addManifestFiles(records: readonly FileRecord[]): void {
    for (const record of records) {
      const { name, events, sha256, overflow_column } = record;
      // A CSV or TSV file names its overflow column (null when every part of every event has a column of its own).
      const item = JSON.stringify({
        name,
        events,
        sha256,
        ...(overflow_column !== undefined ? { overflow_column } : {}),
      });
      this.zip.writeText(this.state.manifestItems++ ? `,\n${item}` : `\n${item}`);
    }
  }

  closeManifest(): void {
    this.zip.writeText(this.state.manifestItems ? "\n]}\n" : "]}\n");
    this.log.add({ ...this.zip.close(), events: 0 });
  }

  beginCentralDirectory(): void {
    this.state.centralStart = this.zip.position;
    this.state.centralCount = 0;
  }

  addCentralRecords(records: readonly FileRecord[]): void {
    for (const record of records) this.zip.centralRecord(record);
    this.state.centralCount += records.length;
  }

  end(): void {
    const { centralStart, centralCount } = this.state;
    this.zip.raw(endOfCentralDirectory(centralCount, centralStart, this.zip.position - centralStart));
  }

  /** Chunks of file records: 0 … chunkCount-1, the last one still in memory. */
  get recordChunks(): number {
    return this.log.chunkCount;
  }

  recordChunk(index: number): Promise<FileRecord[]> {
    return this.log.chunk(index);
  }

  spillRecords(): Promise<boolean> {
    return this.log.spillIfFull();
  }

  scratchNames(): string[] {
    return this.log.scratchNames();
  }

  save(): WriterState {
    this.collectDropped();
    return { zip: this.zip.save(), log: this.log.save(), ...this.state };
  }

  private collectDropped(): void {
    if (!this.rows) return;
    this.state.droppedCells += this.rows.dropped;
    this.rows.dropped = 0;
  }
}
