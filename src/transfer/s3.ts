import { AwsClient } from "aws4fetch";
import { isRetryableStatus, parseRetryAfter } from "../domain/backoff";
import { readUpTo } from "../lib/bounded-read";
import { toHex, utf8 } from "../lib/encoding";
import { ExactReader } from "./exact-reader";
import { objectKey, objectUrl, partLength, planParts, SINGLE_PUT_MAX_BYTES } from "./s3-plan";
import { completeMultipartXml, type S3ErrorDetail, s3Error, type UploadedPart, xmlText } from "./s3-xml";
import { type OutgoingFile, TransferError, type TransferLimits } from "./types";

/** An S3-compatible bucket (AWS, R2, MinIO, …) and the credentials for it. */
export interface S3Target {
  /** `https://s3.us-east-1.amazonaws.com`, `https://<account>.r2.cloudflarestorage.com`, … */
  endpoint: string;
  /** `us-east-1`; `auto` for R2. */
  region: string;
  bucket: string;
  /** A folder inside the bucket (`qa/warehouse/`, may be empty); the object key is the prefix then the file name. */
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** True: `endpoint/bucket/key`; false: `bucket.endpoint/key`. */
  pathStyle: boolean;
}

/** S3's answers to an upload (errors, UploadId, ETag) are small XML documents; more than this is never read. */
const ANSWER_LIMIT = 64 * 1024;

/**
 * Uploads the file as `prefix + name`: one PUT up to 5 MiB, a multipart upload above, reading the file one part at a
 * time so memory stays at one part whatever the file's size. A failed multipart upload is aborted, so the bucket
 * is not billed for orphaned parts. Every failure is a TransferError naming the step and S3's error code.
 */
export async function s3Upload(
  target: S3Target,
  file: OutgoingFile,
  limits: TransferLimits,
): Promise<{ key: string; etag: string | null }> {
  const key = objectKey(target.prefix, file.name);
  const bucket = new Bucket(target, limits);
  const url = bucket.url(key);
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = await file.open();
  } catch (error) {
    throw new TransferError(`could not open ${file.name}: ${(error as Error).message}`, true);
  }
  const source = new ExactReader(stream, bucket.deadline);
  try {
    if (file.size <= SINGLE_PUT_MAX_BYTES) {
      const body = await bucket.readPiece(source, file, file.size);
      await bucket.expectEnd(source, file);
      const response = await bucket.send("PUT object", "PUT", url, body, { "content-type": file.contentType });
      await response.body?.cancel();
      return { key, etag: unquote(response.headers.get("etag")) };
    }
    return { key, etag: await multipartUpload(bucket, url, file, source) };
  } finally {
    await source.close();
  }
}

async function multipartUpload(bucket: Bucket, url: string, file: OutgoingFile, source: ExactReader) {
  const created = await bucket.send("create multipart upload", "POST", `${url}?uploads`, new Uint8Array(0), {
    "content-type": file.contentType,
  });
  const uploadId = xmlText(await bucket.answer("create multipart upload", created), "UploadId");
  if (!uploadId) throw new TransferError("S3 create multipart upload: the answer names no UploadId", false);
  const upload = `${url}?uploadId=${encodeURIComponent(uploadId)}`;
  try {
    const plan = planParts(file.size);
    const parts: UploadedPart[] = [];
    for (let number = 1; number <= plan.count; number++) {
      const step = `upload part ${number} of ${plan.count}`;
      const body = await bucket.readPiece(source, file, partLength(plan, file.size, number));
      const response = await bucket.send(
        step,
        "PUT",
        `${url}?partNumber=${number}&uploadId=${encodeURIComponent(uploadId)}`,
        body,
      );
      await response.body?.cancel();
      const etag = response.headers.get("etag");
      if (!etag) throw new TransferError(`S3 ${step}: the answer has no ETag`, false);
      parts.push({ number, etag });
    }
    await bucket.expectEnd(source, file);
    const step = "complete multipart upload";
    const completed = await bucket.send(step, "POST", upload, utf8.encode(completeMultipartXml(parts)), {
      "content-type": "application/xml",
    });
    const answer = await bucket.answer(step, completed);
    // S3 may answer 200 and still fail the completion (the error is in the body); AWS advises retrying those.
    const error = s3Error(answer);
    if (error) throw new TransferError(bucket.redact(`S3 ${step} failed: ${describe(error)}`), true, completed.status);
    return unquote(xmlText(answer, "ETag"));
  } catch (error) {
    await bucket.abort(upload);
    throw error;
  }
}

/** One upload's view of the bucket: signed requests bounded by the transfer's deadline, failures as TransferErrors. */
class Bucket {
  private readonly aws: AwsClient;
  /** The whole transfer, from the first request to the last answer. */
  readonly deadline: AbortSignal;

  constructor(
    private readonly target: S3Target,
    private readonly limits: TransferLimits,
  ) {
    // No retries inside the client: the file-delivery stage retries on the target's policy and records each try.
    this.aws = new AwsClient({
      accessKeyId: target.accessKeyId,
      secretAccessKey: target.secretAccessKey,
      service: "s3",
      region: target.region,
      retries: 0,
    });
    this.deadline = AbortSignal.timeout(limits.transferTimeoutMs);
  }

  url(key: string): string {
    try {
      return objectUrl(this.target, key);
    } catch {
      throw new TransferError("the S3 endpoint is not a valid URL", false);
    }
  }

  /**
   * A signed request with the payload's SHA-256 in the signature (S3 checks the bytes it stored against it).
   * Redirects are answers, not followed: the signature and credentials go only to the endpoint configured.
   */
  async send(
    step: string,
    method: string,
    url: string,
    body: Uint8Array,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    let response: Response;
    try {
      const payloadHash = toHex(await crypto.subtle.digest("SHA-256", body));
      response = await this.aws.fetch(url, {
        method,
        body,
        headers: { ...headers, "x-amz-content-sha256": payloadHash },
        redirect: "manual",
        // Small requests must answer within the connect limit; a part's answer comes after its upload.
        signal: body.length === 0 ? this.withConnectLimit() : this.deadline,
      });
    } catch (error) {
      throw this.networkFailure(step, error);
    }
    if (response.ok) return response;
    const detail = s3Error(await this.readAnswer(response).catch(() => ""));
    throw new TransferError(
      this.redact(`S3 ${step} failed: HTTP ${response.status}${detail ? ` ${describe(detail)}` : ""}`),
      isRetryableStatus(response.status),
      response.status,
      parseRetryAfter(response.headers.get("retry-after"), Date.now()),
    );
  }

  /** The body of a successful answer, within the deadline. */
  async answer(step: string, response: Response): Promise<string> {
    try {
      return await this.readAnswer(response);
    } catch (error) {
      throw this.networkFailure(step, error);
    }
  }

  async readPiece(source: ExactReader, file: OutgoingFile, length: number): Promise<Uint8Array> {
    let piece: Uint8Array;
    try {
      piece = await source.read(length);
    } catch (error) {
      if (this.deadline.aborted) throw this.timedOut();
      throw new TransferError(`reading ${file.name} failed: ${(error as Error).message}`, true);
    }
    if (piece.length < length) throw sizeMismatch(file, source.consumed, "ended after");
    return piece;
  }

  async expectEnd(source: ExactReader, file: OutgoingFile): Promise<void> {
    if (!(await source.atEnd().catch(() => true))) throw sizeMismatch(file, file.size, "goes on past");
  }

  /** Best effort: an upload left behind costs storage until a lifecycle rule removes it, never correctness. */
  async abort(uploadUrl: string): Promise<void> {
    const hashOfNothing = toHex(await crypto.subtle.digest("SHA-256", new Uint8Array(0)));
    await this.aws
      .fetch(uploadUrl, {
        method: "DELETE",
        headers: { "x-amz-content-sha256": hashOfNothing },
        redirect: "manual",
        signal: AbortSignal.timeout(this.limits.connectTimeoutMs),
      })
      .then((response) => response.body?.cancel())
      .catch(() => {});
  }

  /** S3 never echoes a secret, but a message that reaches the operator is checked anyway. */
  redact(message: string): string {
    const secret = this.target.secretAccessKey;
    return secret ? message.split(secret).join("[redacted]") : message;
  }

  private withConnectLimit(): AbortSignal {
    return AbortSignal.any([this.deadline, AbortSignal.timeout(this.limits.connectTimeoutMs)]);
  }

  private async readAnswer(response: Response): Promise<string> {
    const { bytes } = await readUpTo(response, ANSWER_LIMIT);
    return new TextDecoder().decode(bytes);
  }

  private timedOut(): TransferError {
    return new TransferError(
      `the upload took longer than the transfer limit of ${this.limits.transferTimeoutMs} ms`,
      true,
    );
  }

  private networkFailure(step: string, error: unknown): TransferError {
    if (error instanceof TransferError) return error;
    if (this.deadline.aborted) return this.timedOut();
    if ((error as Error).name === "TimeoutError") {
      return new TransferError(`S3 ${step}: no answer within ${this.limits.connectTimeoutMs} ms`, true);
    }
    return new TransferError(this.redact(`S3 ${step}: network error: ${(error as Error).message}`), true);
  }
}

function sizeMismatch(file: OutgoingFile, at: number, how: string): TransferError {
  return new TransferError(`${file.name} ${how} ${at} bytes, but its size is ${file.size}`, true);
}

function describe(error: S3ErrorDetail): string {
  return error.message ? `${error.code}: ${error.message.slice(0, 200)}` : error.code;
}

function unquote(etag: string | null): string | null {
  return etag ? etag.replace(/^"(.*)"$/, "$1") : null;
}
