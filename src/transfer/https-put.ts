import { isRetryableStatus, parseRetryAfter } from "../domain/backoff";
import { RelayError } from "../lib/errors";
import { type HttpResult, request, USER_AGENT } from "../lib/http";
import { redactText } from "../lib/redact";
import { fillTemplate } from "../lib/url-template";
import { type OutgoingFile, TransferError, type TransferLimits } from "./types";

/**
 * `https_put`: one PUT of the file to the target's URL template with `{filename}` filled in (lib/url-template.ts
 * refuses names that would move it elsewhere), the target's headers and credentials, and `Content-Length` (the body
 * streams through a FixedLengthStream, never whole in memory). 2xx is success; statuses a push would retry (408, 425,
 * 429, 5xx) and network errors are retryable, with Retry-After passed on; any other answer is final.
 *
 * `connectTimeoutMs` bounds the time until the server starts taking the body (connection and TLS); a server that
 * takes it but never answers is bounded by `transferTimeoutMs`, which covers the whole PUT.
 */

export interface HttpsPutTarget {
  /** The URL template, `{filename}` in its path or query. */
  url: string;
  headers: Record<string, string>;
}

/**
 * The target's credentials, as the caller keeps them (transfer/ knows no store or policy). Whatever these throw for
 * a reason of their own (a RelayError: a refused URL, a token endpoint down) becomes the transfer's error.
 */
export interface PutCredentials {
  /** Throws when the relay may not send to `url`. */
  check(url: string): void;
  /** The request with its credentials: headers, or a query parameter of its URL (of that URL's host only). */
  apply(request: {
    url: string;
    method: string;
    headers: Record<string, string>;
  }): Promise<{ url: string; headers: Record<string, string> }>;
  /** After a 401: forgets credentials that may have gone stale; true when sending again can help. */
  renew(): Promise<boolean>;
}

export const NO_CREDENTIALS: PutCredentials = {
  check: () => {},
  apply: async ({ url, headers }) => ({ url, headers }),
  renew: async () => false,
};

export interface PutDone {
  /** Where the file went: the filled URL, before any credential was added to its query. */
  url: string;
  statusCode: number;
  bytes: number;
}

/** How much of an error answer the error message quotes. */
const QUOTED_CHARS = 200;

/** The same failure, as the transfer's own: what `retryable` and `retryAfter` said is kept. */
function asTransferError(error: unknown): unknown {
  if (error instanceof TransferError || !(error instanceof RelayError)) return error;
  return new TransferError(error.message, error.retryable, null, error.retryAfter);
}

async function guarded<T>(step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw asTransferError(error);
  }
}

/** Header names lowercased, so a configured `Content-Type` replaces the file's instead of joining it. */
function headersFor(target: HttpsPutTarget, file: OutgoingFile): Record<string, string> {
  const headers: Record<string, string> = { "content-type": file.contentType };
  for (const [name, value] of Object.entries(target.headers)) headers[name.toLowerCase()] = value;
  headers["user-agent"] = USER_AGENT;
  return headers;
}

interface Body {
  stream: ReadableStream<Uint8Array>;
  /** Releases the file when the answer came before the body was all read (an early 413, a timeout). */
  stop(): Promise<void>;
}

/**
 * The file through a FixedLengthStream (so the request carries Content-Length). `taken` is called once the other
 * side reads the first chunk: a write to the stream completes only when its readable end is read.
 */
async function bodyOf(file: OutgoingFile, taken: () => void): Promise<Body> {
  const source = (await file.open()).getReader();
  const fixed = new FixedLengthStream(file.size);
  const writer = fixed.writable.getWriter();
  const pump = (async () => {
    try {
      for (;;) {
        const { done, value } = await source.read();
        if (done) break;
        await writer.write(value);
        taken();
      }
      await writer.close();
    } catch (error) {
      await writer.abort(error).catch(() => {});
      await source.cancel(error).catch(() => {});
    }
  })();
  return {
    stream: fixed.readable as ReadableStream<Uint8Array>,
    async stop() {
      await writer.abort(new Error("the answer came first")).catch(() => {});
      await source.cancel().catch(() => {});
      await pump;
    },
  };
}

async function putOnce(
  url: string,
  target: HttpsPutTarget,
  file: OutgoingFile,
  limits: TransferLimits,
  credentials: PutCredentials,
): Promise<HttpResult> {
  const signed = await guarded(() => credentials.apply({ url, method: "PUT", headers: headersFor(target, file) }));
  const connect = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const taken = () => clearTimeout(timer);
  const body = await guarded(() => bodyOf(file, taken));
  if (file.size > 0) {
    timer = setTimeout(() => connect.abort(new Error("connect deadline")), limits.connectTimeoutMs);
  }
  try {
    const answer = await request(
      { url: signed.url, method: "PUT", headers: signed.headers, body: body.stream },
      { timeoutMs: limits.transferTimeoutMs, readLimit: QUOTED_CHARS, signal: connect.signal },
    );
    if (answer.status === null && connect.signal.aborted) {
      return { ...answer, error: `could not connect within ${limits.connectTimeoutMs} ms` };
    }
    return answer;
  } finally {
    clearTimeout(timer);
    await body.stop();
  }
}

function failure(answer: HttpResult, note = ""): TransferError {
  if (answer.status === null) return new TransferError(answer.error ?? "no answer", true);
  const quoted = answer.body.trim() ? `: ${redactText(answer.body.trim()).slice(0, QUOTED_CHARS)}` : "";
  return new TransferError(
    `HTTP ${answer.status}${note}${quoted}`,
    isRetryableStatus(answer.status),
    answer.status,
    parseRetryAfter(answer.retryAfter, Date.now()),
  );
}

export async function httpsPut(
  target: HttpsPutTarget,
  file: OutgoingFile,
  limits: TransferLimits,
  credentials: PutCredentials = NO_CREDENTIALS,
): Promise<PutDone> {
  const url = await guarded(() => fillTemplate(target.url, "filename", file.name));
  await guarded(() => credentials.check(url));
  let answer = await putOnce(url, target, file, limits, credentials);
  let note = "";
  if (answer.status === 401 && (await guarded(() => credentials.renew()))) {
    answer = await putOnce(url, target, file, limits, credentials);
    note = answer.status === 401 ? ", again with freshly fetched credentials" : "";
  }
  if (answer.status !== null && answer.status >= 200 && answer.status < 300) {
    return { url, statusCode: answer.status, bytes: file.size };
  }
  throw failure(answer, note);
}
