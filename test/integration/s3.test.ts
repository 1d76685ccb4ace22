import { AwsClient } from "aws4fetch";
import { describe, expect, inject, it } from "vitest";
import { toHex } from "../../src/lib/encoding";
import { type S3Target, s3Upload } from "../../src/transfer/s3";
import { encodeKey, objectUrl } from "../../src/transfer/s3-plan";
import type { OutgoingFile } from "../../src/transfer/types";
import { unique } from "../helpers/api";
import { type RecordedS3Request, resign } from "../helpers/sigv4";
import { transferFailure } from "../helpers/transfer-failure";

const s3 = inject("s3");
const limits = { connectTimeoutMs: 5_000, transferTimeoutMs: 30_000 };
const MiB = 1024 * 1024;

function target(overrides: Partial<S3Target> = {}): S3Target {
  return {
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: s3.bucket,
    prefix: `qa/${unique("warehouse")}/`,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    pathStyle: true,
    ...overrides,
  };
}

/**
 * `size` pseudo-random bytes, generated as they are read in chunks of an odd size (so parts never line up with
 * chunks), the way an R2 object body streams; `failAfter` makes the stream error once that many bytes went out.
 */
function generatedFile(name: string, size: number, failAfter?: number): OutgoingFile {
  return {
    name,
    size,
    contentType: "application/zip",
    sha256: null,
    async open() {
      let sent = 0;
      let state = 0x2545f491;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (failAfter !== undefined && sent >= failAfter) {
            controller.error(new Error("the archive's stream broke"));
            return;
          }
          const chunk = new Uint8Array(Math.min(65_537, size - sent));
          for (let i = 0; i < chunk.length; i++) {
            state ^= state << 13;
            state ^= state >>> 17;
            state ^= state << 5;
            chunk[i] = state & 0xff;
          }
          sent += chunk.length;
          controller.enqueue(chunk);
          if (sent >= size) controller.close();
        },
      });
    },
  };
}

async function sha256Of(stream: ReadableStream<Uint8Array>): Promise<string> {
  const digest = new crypto.DigestStream("SHA-256");
  await stream.pipeTo(digest);
  return toHex(await digest.digest);
}

async function recorded(key: string): Promise<RecordedS3Request[]> {
  const res = await fetch(`${s3.endpoint}/__recorded`);
  const all = await res.json<RecordedS3Request[]>();
  const path = `/${s3.bucket}/${encodeKey(key)}`;
  return all.filter((request) => request.url === path || request.url.startsWith(`${path}?`));
}

/** The object as stored, read back with a GET signed independently of the upload. */
async function readBack(key: string): Promise<Response> {
  const client = new AwsClient({
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    service: "s3",
    region: s3.region,
    retries: 0,
  });
  return client.fetch(objectUrl({ endpoint: s3.endpoint, bucket: s3.bucket, pathStyle: true }, key));
}

/** Every request carries a signature the SDK's signer agrees with, over headers that include the payload hash. */
async function expectSignedCorrectly(requests: RecordedS3Request[]) {
  for (const request of requests) {
    const check = (await resign(request, s3.secretAccessKey))!;
    expect(check, `${request.method} ${request.url} is signed`).not.toBeNull();
    expect(check.expected, `${request.method} ${request.url}`).toBe(check.provided);
    expect(check.signedHeaders).toBe(check.expectedHeaders);
    expect(check.signedHeaders.split(";")).toEqual(
      expect.arrayContaining(["host", "x-amz-content-sha256", "x-amz-date"]),
    );
    // The signed payload hash is the hash of the bytes that arrived.
    expect(request.headers["x-amz-content-sha256"]).toBe(request.bodySha256);
    // And the check can fail: the same request signed with another secret does not match.
    expect((await resign(request, "not-the-secret"))!.expected).not.toBe(check.provided);
  }
}

describe("s3 upload", () => {
  it("puts a small file in one signed PUT under the prefix", async () => {
    const t = target();
    const body = new TextEncoder().encode("type,id\nuser.created,1\n".repeat(40));
    const file: OutgoingFile = {
      name: "Événements (qa) 1+1.csv",
      size: body.length,
      contentType: "text/csv",
      sha256: null,
      open: async () => new Blob([body]).stream(),
    };
    const result = await s3Upload(t, file, limits);
    expect(result.key).toBe(`${t.prefix}Événements (qa) 1+1.csv`);
    expect(result.etag).toBe(toHex(await crypto.subtle.digest("MD5", body)));

    const requests = await recorded(result.key);
    expect(requests.map((r) => r.method)).toEqual(["PUT"]);
    expect(requests[0].bodyLength).toBe(body.length);
    expect(requests[0].headers["content-type"]).toBe("text/csv");
    await expectSignedCorrectly(requests);

    const stored = await readBack(result.key);
    expect(stored.status).toBe(200);
    expect(new Uint8Array(await stored.arrayBuffer())).toEqual(body);
  });

  it("uploads a 12 MiB file in 5 MiB parts streamed from the source, then completes it", async () => {
    const t = target();
    const size = 12 * MiB + 12_345;
    const file = generatedFile(`${unique("archive")}.zip`, size);
    const expectedSha = await sha256Of(await file.open());

    const result = await s3Upload(t, file, limits);
    expect(result.key).toBe(`${t.prefix}${file.name}`);
    // AWS answers md5-of-part-md5s "-3"; s3rver the md5 of the whole object. Either way, unquoted.
    expect(result.etag).toMatch(/^[0-9a-f]{32}(-3)?$/);

    const requests = await recorded(result.key);
    const steps = requests.map(
      (r) => `${r.method} ${new URL(r.url, s3.endpoint).search.replace(/uploadId=[^&]+/, "uploadId=…")}`,
    );
    expect(steps).toEqual([
      "POST ?uploads",
      "PUT ?partNumber=1&uploadId=…",
      "PUT ?partNumber=2&uploadId=…",
      "PUT ?partNumber=3&uploadId=…",
      "POST ?uploadId=…",
    ]);
    expect(requests.slice(1, 4).map((r) => r.bodyLength)).toEqual([5 * MiB, 5 * MiB, 2 * MiB + 12_345]);
    await expectSignedCorrectly(requests);

    const stored = await readBack(result.key);
    expect(stored.status).toBe(200);
    expect(await sha256Of(stored.body!)).toBe(expectedSha);
  });

  it("aborts the multipart upload when the source breaks part way", async () => {
    const t = target();
    const file = generatedFile(`${unique("broken")}.zip`, 11 * MiB, 6 * MiB);
    const error = await transferFailure(s3Upload(t, file, limits));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("the archive's stream broke");

    const requests = await recorded(`${t.prefix}${file.name}`);
    expect(requests.map((r) => r.method)).toEqual(["POST", "PUT", "DELETE"]);
    // s3rver does not implement AbortMultipartUpload (it answers 405); that the request went out is what counts.
    expect(requests[2].url).toMatch(/\?uploadId=/);
    await expectSignedCorrectly(requests);
    expect((await readBack(`${t.prefix}${file.name}`)).status).toBe(404);
  });

  it("reports a wrong secret as S3's error code, not retryable, without the secret", async () => {
    const secret = "wrong-secret-4Zq9xLw7";
    const file = generatedFile("refused.zip", 2048);
    const error = await transferFailure(s3Upload(target({ secretAccessKey: secret }), file, limits));
    expect(error.retryable).toBe(false);
    expect(error.statusCode).toBe(403);
    expect(error.message).toContain("SignatureDoesNotMatch");
    expect(error.message).toContain("PUT object");
    expect(error.message).not.toContain(secret);
  });

  it("retries a 503 and passes on its Retry-After", async () => {
    const error = await transferFailure(
      s3Upload(target({ bucket: s3.unavailableBucket }), generatedFile("busy.zip", 4096), limits),
    );
    expect(error.retryable).toBe(true);
    expect(error.statusCode).toBe(503);
    expect(error.retryAfter).toBe(7);
    expect(error.message).toContain("SlowDown");
  });

  it("gives up on a server that never answers at the transfer limit, retryably", async () => {
    const started = Date.now();
    const error = await transferFailure(
      s3Upload(target({ bucket: s3.stallBucket }), generatedFile("stalled.zip", 4096), {
        connectTimeoutMs: 500,
        transferTimeoutMs: 1_500,
      }),
    );
    expect(error.retryable).toBe(true);
    expect(error.statusCode).toBeNull();
    expect(error.message).toContain("transfer limit of 1500 ms");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("gives up on starting a multipart upload at the connect limit", async () => {
    const error = await transferFailure(
      s3Upload(target({ bucket: s3.stallBucket }), generatedFile("stalled-big.zip", 6 * MiB), {
        connectTimeoutMs: 500,
        transferTimeoutMs: 20_000,
      }),
    );
    expect(error.retryable).toBe(true);
    expect(error.message).toBe("S3 create multipart upload: no answer within 500 ms");
  });

  it("reports a server that is not there as a retryable network error", async () => {
    const error = await transferFailure(
      s3Upload(target({ endpoint: "http://127.0.0.1:9" }), generatedFile("nowhere.zip", 10), limits),
    );
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^S3 PUT object: network error/);
  });
});
