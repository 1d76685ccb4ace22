import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { type RecordedS3Request, resign } from "./sigv4";

/** What the s3 tests reach: a bucket behind a recording proxy, and two buckets that misbehave on purpose. */
export interface S3Fixture {
  /** The proxy in front of s3rver: path-style requests go through, `GET /__recorded` lists what came in. */
  endpoint: string;
  region: string;
  bucket: string;
  /** Requests to this bucket are read and never answered. */
  stallBucket: string;
  /** Requests to this bucket get 503 SlowDown with Retry-After: 7. */
  unavailableBucket: string;
  /** s3rver's built-in account (its signature check knows only this pair). */
  accessKeyId: string;
  secretAccessKey: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    s3: S3Fixture;
  }
}

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const BUCKET = "syndic-test";
const STALL = "stall-bucket";
const UNAVAILABLE = "unavailable-bucket";
/** s3rver's built-in account: the only key pair it knows. */
const ACCESS_KEY_ID = "S3RVER";
const SECRET = "S3RVER";

/**
 * s3rver (an S3 implementation on disk) on a loopback port, behind a small proxy that records method, target,
 * headers and the body's SHA-256 of each request, so the tests can re-sign them independently. s3rver accepts any
 * v4 signature from a known key id, so the proxy checks signature and payload hash as S3 does, and answers as S3
 * would: 403 SignatureDoesNotMatch, 400 XAmzContentSHA256Mismatch.
 */
export default async function setup(project: TestProject) {
  const directory = await mkdtemp(join(tmpdir(), "syndic-s3-"));
  // s3rver is CommonJS without type declarations.
  const S3rver = createRequire(import.meta.url)("s3rver") as S3rverClass;
  const s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  const upstream = await s3.run();

  const recorded: RecordedS3Request[] = [];
  const sockets = new Set<Socket>();
  const proxy = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  proxy.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = req.url ?? "/";
    if (req.method === "GET" && target === "/__recorded") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(recorded));
      return;
    }
    const bucket = target.split(/[/?]/)[1];
    if (bucket === STALL) return; // read, never answered: the client's deadline has to end it
    if (bucket === UNAVAILABLE) {
      res.writeHead(503, { "content-type": "application/xml", "retry-after": "7" });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      );
      return;
    }
    const received: RecordedS3Request = {
      method: req.method ?? "GET",
      url: target,
      headers: Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)])),
      bodySha256: createHash("sha256").update(body).digest("hex"),
      bodyLength: body.length,
    };
    recorded.push(received);
    const refusal = await refuse(received);
    if (refusal) {
      res.writeHead(refusal.status, { "content-type": "application/xml" });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`,
      );
      return;
    }
    const forwarded = request(
      { host: upstream.address, port: upstream.port, method: req.method, path: target, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on("error", () => res.destroy());
    forwarded.end(body);
  }

  const address = await listen(proxy);
  project.provide("s3", {
    endpoint: `http://127.0.0.1:${address}`,
    region: "us-east-1",
    bucket: BUCKET,
    stallBucket: STALL,
    unavailableBucket: UNAVAILABLE,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET,
  });

  return async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await s3.close();
    await rm(directory, { recursive: true, force: true });
  };
}

/** What S3 itself would refuse and s3rver lets through. */
async function refuse(request: RecordedS3Request) {
  const check = await resign(request, SECRET).catch(() => null);
  if (check && check.expected !== check.provided) {
    return {
      status: 403,
      code: "SignatureDoesNotMatch",
      message:
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    };
  }
  const claimed = request.headers["x-amz-content-sha256"];
  if (claimed && /^[0-9a-f]{64}$/.test(claimed) && claimed !== request.bodySha256) {
    return {
      status: 400,
      code: "XAmzContentSHA256Mismatch",
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    };
  }
  return null;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}
