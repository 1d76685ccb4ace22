import { type ArchiveJobOutcome, runArchiveJob } from "../archive/build";
import { announceArchive } from "./archive-ready";
import { sendArchiveToTargets } from "./file-deliver";
import { pingHeartbeat } from "./heartbeat";

/**
 * An `archive` queue job: build (or carry on building) the archive, and once it is ready announce it, send it to the
 * subscriber's archive targets and ping the heartbeat. None of those throws: a failed announcement or transfer is
 * retried through its own row, and the sweeper catches a lost one.
 */
export async function runArchive(env: Env, archiveId: string): Promise<ArchiveJobOutcome> {
  const outcome = await runArchiveJob(env, archiveId);
  if (outcome === "ready") {
    await announceArchive(env, archiveId);
    await sendArchiveToTargets(env, archiveId);
    await pingHeartbeat(env);
  }
  return outcome;
}
