import { RelayError } from "../lib/errors";

/**
 * What every file target (transfer/https-put, s3, sftp, email) is handed, and how it fails. A transfer knows
 * nothing of rows or queues: the file-delivery stage (pipeline/) claims, calls one of these, and records the outcome.
 */

/** A file to send. `open()` streams it afresh on every attempt (an archive in R2, or a small test file). */
export interface OutgoingFile {
  /** The final file name, without directories (e.g. `sub_…-2026-12-01.zip`). */
  name: string;
  /** Bytes, known up front (R2 object size): multipart and SFTP writes are planned from it. */
  size: number;
  contentType: string;
  /** Lowercase hex SHA-256 of the bytes, when known (archives have it). */
  sha256: string | null;
  open(): Promise<ReadableStream<Uint8Array>>;
}

export interface TransferLimits {
  /** Connecting (TCP, TLS, SSH handshake and login; the first byte of an HTTP answer). */
  connectTimeoutMs: number;
  /** The whole transfer, from connect to the last byte acknowledged. */
  transferTimeoutMs: number;
}

/**
 * A transfer that did not complete. `retryable` says whether trying again can help (a refused login or a stall: yes;
 * a pinned host key that does not match, or an HTTP 4xx other than 408/425/429: no). `statusCode` is the HTTP status
 * when there was one. The message is for the operator: it never contains a credential.
 */
export class TransferError extends RelayError {
  override name = "TransferError";
  constructor(
    message: string,
    retryable: boolean,
    readonly statusCode: number | null = null,
    retryAfter: number | null = null,
  ) {
    super(message, retryable, retryAfter);
  }
}
