import { z } from "@hono/zod-openapi";

/** Every row that moves through states says which in one of these (CONTRACT §3, §5). */

/** `pending` → `ready` → `sent`, or `retrying` → … → `dead`; `skipped` (filtered out), `held` (destination disabled). */
export const DeliveryStatus = z.enum(["pending", "ready", "sent", "retrying", "dead", "skipped", "held"]);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

/** `collapsed`: answered by the fetch of the notification it was folded into. */
export const NotificationStatus = z.enum(["pending", "retrying", "published", "not_found", "failed", "collapsed"]);
export type NotificationStatus = z.infer<typeof NotificationStatus>;

export const SyncStatus = z.enum(["running", "completed", "failed"]);
export type SyncStatus = z.infer<typeof SyncStatus>;

export const ReplayStatus = z.enum(["running", "completed", "failed"]);
export type ReplayStatus = z.infer<typeof ReplayStatus>;

export const ArchiveStatus = z.enum(["pending", "building", "ready", "failed"]);
export type ArchiveStatus = z.infer<typeof ArchiveStatus>;

/** An archive-ready POST to a subscriber's notify_url. */
export const AnnouncementStatus = z.enum(["ready", "retrying", "sent", "dead"]);
export type AnnouncementStatus = z.infer<typeof AnnouncementStatus>;

/**
 * A file sent to an archive target: `ready` → `sent`, or `retrying` → … → `dead`. `confirmed`, `unconfirmed` and
 * `failed` follow `sent` when the target expects an import callback (s3 with `then`).
 */
export const FileDeliveryStatus = z.enum(["pending", "retrying", "sent", "dead", "confirmed", "unconfirmed", "failed"]);
export type FileDeliveryStatus = z.infer<typeof FileDeliveryStatus>;
