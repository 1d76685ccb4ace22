import { parseSftpUrl as parse, SftpUrlError, type SftpUrlParts } from "../../lib/sftp-url";
import { TransferError } from "../types";

/** lib/sftp-url.ts's parser, its refusals as the transfer's own (not retryable). */
export function parseSftpUrl(url: string): SftpUrlParts {
  try {
    return parse(url);
  } catch (error) {
    throw error instanceof SftpUrlError ? new TransferError(error.message, false) : error;
  }
}
