import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

/** One request as the S3 server received it: enough to re-sign it and to check its payload hash. */
export interface RecordedS3Request {
  method: string;
  /** The raw request target: encoded path and query, as sent. */
  url: string;
  headers: Record<string, string>;
  bodySha256: string;
  bodyLength: number;
}

export interface Resigned {
  /** The signature the request carried. */
  provided: string;
  /** The signature the AWS SDK's own signer computes for it with the secret given. */
  expected: string | undefined;
  signedHeaders: string;
  expectedHeaders: string | undefined;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/**
 * Signs a received request again with `@smithy/signature-v4` (independent of aws4fetch, which signed it), over the
 * headers it says it signed. Used by the loopback S3 proxy to refuse a wrong secret as S3 does (s3rver itself does
 * not check v4 signatures) and by the tests to check every request the relay sent.
 */
export async function resign(request: RecordedS3Request, secretAccessKey: string): Promise<Resigned | null> {
  const auth = AUTHORIZATION.exec(request.headers.authorization ?? "");
  if (!auth) return null;
  const [, accessKeyId, , region, signedHeaders, provided] = auth;
  const url = new URL(request.url, `http://${request.headers.host}`);
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const headers = Object.fromEntries(signedHeaders.split(";").map((name) => [name, request.headers[name] ?? ""]));
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey },
    region,
    service: "s3",
    sha256: Sha256,
    // S3 signs the path as sent (encoded once), not encoded again.
    uriEscapePath: false,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers,
    }),
    { signingDate: parseAmzDate(request.headers["x-amz-date"] ?? "") },
  );
  const authorization = String(signed.headers.authorization);
  return {
    provided,
    expected: /Signature=([0-9a-f]{64})/.exec(authorization)?.[1],
    signedHeaders,
    expectedHeaders: /SignedHeaders=([^,]+)/.exec(authorization)?.[1],
  };
}

function parseAmzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) throw new Error(`not an X-Amz-Date: ${value}`);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}
