/**
 * The `sftp` file target: an upload over Syndic's own SSH client (transfer/ssh/), since no npm SSH client runs on
 * Workers. Password or Ed25519 key login, the server's host key pinned, the file renamed into place when whole.
 */
import { dialTcp } from "./ssh/socket";
import { uploadFile } from "./ssh/upload";
import type { OutgoingFile, TransferLimits } from "./types";

export { parseSftpUrl } from "./ssh/url";

export interface SftpTarget {
  host: string;
  port: number;
  username: string;
  /** One of the two is set; a key wins when both are. */
  password: string | null;
  privateKey: string | null;
  /** `ssh-ed25519 AAAA…` (known_hosts form, optional trailing comment). */
  hostKey: string;
  /** Remote directory, e.g. `/upload` or `inbound/syndic`; `""` is the login directory. */
  directory: string;
}

/** Uploads under a temporary name in the directory, then renames to file.name, so the subscriber never sees half a file. */
export async function sftpUpload(
  target: SftpTarget,
  file: OutgoingFile,
  limits: TransferLimits,
): Promise<{ path: string; bytes: number }> {
  return uploadFile(dialTcp, target, file, limits);
}
