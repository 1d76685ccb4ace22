import { readUpTo } from "./bounded-read";

/**
 * The relay's one outbound HTTP client: pushes, origin fetches and list pages, token requests, announcements and
 * heartbeats all go through `request`. It never throws for what the other side does: a timeout, a refused
 * connection or an error status all come back as a result, with as much of the body as the caller asked for (the
 * rest is never read, whatever the other side sends). Redirects are not followed: a 3xx is an answer, so stored
 * credentials never follow a Location header to another host.
 */

export const USER_AGENT = "syndic/0.1.0";

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** A stream is sent as it is read (a file upload); its length is the caller's to fix (FixedLengthStream). */
  body?: string | ReadableStream<Uint8Array> | null;
}

export interface HttpOptions {
  timeoutMs: number;
  /** Bytes of the body to read; 0 reads none (the body is cancelled). */
  readLimit: number;
  /** Ends the request early besides the timeout (an upload's connect deadline). */
  signal?: AbortSignal;
}

export interface HttpResult {
  /** Null when no answer came (network error, timeout). */
  status: number | null;
  ok: boolean;
  /** A short reason when not ok: `HTTP 503`, `timed out after 30000 ms`, `network error: …`. */
  error: string | null;
  /** The first `readLimit` bytes of the body as text. */
  body: string;
  /** False when the body went on past `readLimit`. */
  complete: boolean;
  /** The raw Retry-After header, parsed by the caller's policy (domain rules know what it means). */
  retryAfter: string | null;
  contentType: string;
  durationMs: number;
}

export async function request(req: HttpRequest, options: HttpOptions): Promise<HttpResult> {
  const started = Date.now();
  try {
    const response = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : (req.body ?? undefined),
      redirect: "manual",
      signal: options.signal
        ? AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.signal])
        : AbortSignal.timeout(options.timeoutMs),
    });
    let text = "";
    let complete = true;
    if (options.readLimit > 0) {
      const read = await readUpTo(response, options.readLimit).catch(() => ({
        bytes: new Uint8Array(0),
        complete: false,
      }));
      text = new TextDecoder().decode(read.bytes);
      complete = read.complete;
    } else {
      await response.body?.cancel().catch(() => {});
    }
    return {
      status: response.status,
      ok: response.ok,
      error: response.ok ? null : `HTTP ${response.status}`,
      body: text,
      complete,
      retryAfter: response.headers.get("retry-after"),
      contentType: response.headers.get("content-type") ?? "",
      durationMs: Date.now() - started,
    };
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    return {
      status: null,
      ok: false,
      error: timedOut ? `timed out after ${options.timeoutMs} ms` : `network error: ${(error as Error).message}`,
      body: "",
      complete: true,
      retryAfter: null,
      contentType: "",
      durationMs: Date.now() - started,
    };
  }
}
