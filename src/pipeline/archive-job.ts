import { type ArchiveJobOutcome, runArchiveJob } from "../archive/build";
import { announceArchive, pingHeartbeat } from "./archive-ready";

/**
 * An `archive` queue job: build (or carry on building) the archive, and once it is ready announce it and ping the
 * heartbeat. Neither of those throws: a failed announcement is retried through its own row, and the sweeper catches
 * a lost one.
 */
export async function runArchive(env: Env, archiveId: string): Promise<ArchiveJobOutcome> {
  const outcome = await runArchiveJob(env, archiveId);
  if (outcome === "ready") {
    await announceArchive(env, archiveId);
    await pingHeartbeat(env);
  }
  return outcome;
}
