import { z } from "@hono/zod-openapi";
import { filenameTemplateProblem, MAX_FILENAME_TEMPLATE } from "./archive-filename";
import { HttpUrl } from "./http-fields";

/** A subscriber's archive settings (CONTRACT §3 Subscribers, §7). */

export const ArchiveSchedule = z.enum(["daily", "weekly", "off"]);
export type ArchiveSchedule = z.infer<typeof ArchiveSchedule>;

export const ArchiveFormat = z.enum(["json", "ndjson", "csv", "tsv", "files"]);
export type ArchiveFormat = z.infer<typeof ArchiveFormat>;

export const DEFAULT_RETENTION_DAYS = 90;
/** When the previous period's archive is built, local time, as the nightly documents of the seeds are. */
export const DEFAULT_ARCHIVE_TIME = "02:00";

export const LocalTimeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a local time of day HH:MM, 00:00 to 23:59")
  .openapi({ example: "02:00" });

export const ArchiveSettings = z
  .object({
    schedule: ArchiveSchedule.default("off"),
    format: ArchiveFormat.default("json"),
    time: LocalTimeOfDay.default(DEFAULT_ARCHIVE_TIME).openapi({
      description:
        "local time of day (the subscriber's timezone) the archive of the period that ended is built, on the day after it; a time a DST change skips fires at the first instant after the gap",
    }),
    filename: z.string().max(MAX_FILENAME_TEMPLATE).optional().openapi({
      example: "{type}-{period_start}_{generated_at}.json",
      description:
        "names the per-type data files in the zip: {type}, {period_start}, {period_end} (local dates), {generated_at} (build time, UTC, 20261121T020000Z); {type} is required (unless format is files, which ignores it); the format's extension is added unless the text after the last placeholder has a dot. Default {type}.<format>",
    }),
    link_ttl: z.number().int().min(1).max(2_592_000).default(604_800),
    notify_url: HttpUrl.optional(),
    retention_days: z.number().int().min(1).max(3650).default(DEFAULT_RETENTION_DAYS),
    csv_escape_formulas: z.boolean().default(true).openapi({
      description:
        "csv and tsv: a cell or header starting with = + - @ tab or CR gets a leading ' (spreadsheet formula injection)",
    }),
  })
  .superRefine((settings, ctx) => {
    const problem =
      settings.filename === undefined ? null : filenameTemplateProblem(settings.filename, settings.format);
    if (problem) ctx.addIssue({ code: "custom", path: ["filename"], message: problem });
  });
export type ArchiveSettings = z.infer<typeof ArchiveSettings>;

/** The settings a subscriber created without any get. */
export const DEFAULT_ARCHIVE_SETTINGS = {
  schedule: "off",
  format: "json",
  time: DEFAULT_ARCHIVE_TIME,
  link_ttl: 604_800,
  retention_days: DEFAULT_RETENTION_DAYS,
  csv_escape_formulas: true,
} as const satisfies ArchiveSettings;

/** As stored (`subscribers.archive`): rows written before a setting existed lack it, and readers use its default. */
export type StoredArchiveSettings = Omit<ArchiveSettings, "retention_days" | "csv_escape_formulas" | "time"> &
  Partial<Pick<ArchiveSettings, "retention_days" | "csv_escape_formulas" | "time">>;

export const Timezone = z
  .string()
  .max(64)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, "must be an IANA timezone such as Europe/Paris");
