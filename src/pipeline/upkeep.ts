import { type AnnounceMessage, runAnnouncement } from "./archive-ready";
import { type RetentionMessage, runRetentionPass } from "./retention";

/**
 * Work that rides the `archive` queue beside build jobs: archive-ready announcements and their retries, and the
 * continuation passes of the daily retention run. A build job's message has no `kind`; these do.
 */
export type UpkeepMessage = AnnounceMessage | RetentionMessage;

export function isUpkeep(body: unknown): body is UpkeepMessage {
  return typeof body === "object" && body !== null && "kind" in body;
}

export async function runUpkeep(env: Env, message: UpkeepMessage): Promise<void> {
  switch (message.kind) {
    case "announce":
      await runAnnouncement(env, message.archive_id);
      return;
    case "retention":
      await runRetentionPass(env, message.pass);
      return;
  }
}
