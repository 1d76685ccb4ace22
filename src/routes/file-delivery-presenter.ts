import { z } from "@hono/zod-openapi";
import type { FileDeliveryRow } from "../db/file-deliveries";
import { FileDeliveryStatus } from "../domain/status";
import { iso } from "../lib/time";

/** A file sent to an archive target, as every route shows it: a target's deliveries, a retry, a test. */
export const FileDelivery = z
  .object({
    id: z.string(),
    target_id: z.string(),
    subscriber_id: z.string(),
    archive_id: z.string().nullable(),
    test: z.boolean(),
    file_name: z.string(),
    status: FileDeliveryStatus,
    attempts: z.number(),
    next_attempt_at: z.string().nullable(),
    last_status_code: z.number().nullable(),
    last_error: z.string().nullable(),
    bytes: z.number().nullable(),
    remote: z.string().nullable().openapi({ description: "where the file was written: URL, object key or path" }),
    job_id: z.string().nullable().openapi({ description: "the import job an s3 target's trigger started" }),
    callback_due_at: z
      .string()
      .nullable()
      .openapi({ description: "while sent with an import triggered: when it turns unconfirmed without a callback" }),
    created_at: z.string(),
    updated_at: z.string(),
    sent_at: z.string().nullable(),
  })
  .openapi("FileDelivery");

export function presentFileDelivery(row: FileDeliveryRow) {
  return {
    id: row.id,
    target_id: row.target_id,
    subscriber_id: row.subscriber_id,
    archive_id: row.archive_id,
    test: row.test === 1,
    file_name: row.file_name,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === "pending" || row.status === "retrying" ? iso(row.next_attempt_at) : null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    bytes: row.bytes,
    remote: row.remote,
    job_id: row.job_id,
    callback_due_at: row.status === "sent" ? iso(row.callback_due_at) : null,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    sent_at: iso(row.sent_at),
  };
}
