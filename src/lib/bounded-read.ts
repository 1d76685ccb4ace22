/** What an origin may answer per record or page: the same 1 MiB a publisher may send in one request. */
export const MAX_ORIGIN_RESPONSE_BYTES = 1024 * 1024;

export class ResponseTooLarge extends Error {
  override name = "ResponseTooLarge";
}

/**
 * The response body up to `limit` bytes; the rest is never read (and the stream is cancelled), so a huge or endless
 * answer costs at most `limit` of memory. `complete` says whether the body ended within the limit.
 */
export async function readUpTo(response: Response, limit: number): Promise<{ bytes: Uint8Array; complete: boolean }> {
  if (!response.body) return { bytes: new Uint8Array(0), complete: true };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let complete = false;
  while (size <= limit) {
    const { done, value } = await reader.read();
    if (done) {
      complete = true;
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  if (!complete) await reader.cancel().catch(() => {});
  const bytes = new Uint8Array(Math.min(size, limit));
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= bytes.length) break;
    bytes.set(chunk.subarray(0, bytes.length - offset), offset);
    offset += chunk.length;
  }
  return { bytes, complete: complete && size <= limit };
}

/** The whole body as text, or ResponseTooLarge once it passes `limit` bytes. */
export async function readTextWithin(response: Response, limit: number): Promise<string> {
  const { bytes, complete } = await readUpTo(response, limit);
  if (!complete) throw new ResponseTooLarge(`the answer is over ${limit} bytes`);
  return new TextDecoder().decode(bytes);
}
