import { verifyInbound } from "../auth/inbound";
import type { SourceRow } from "../db/sources";
import { sourceConfig } from "../pipeline/source-config";

/** Applies a source's inbound rules (IP allowlist, body HMAC) to a request whose raw body is already read. */
export async function guardInbound(env: Env, source: SourceRow, request: Request, body: Uint8Array): Promise<void> {
  if (!source.inbound) return;
  const config = await sourceConfig(env, source);
  await verifyInbound(config.inbound, config.hmacSecret, {
    ip: request.headers.get("cf-connecting-ip"),
    headers: request.headers,
    body,
    now: Date.now(),
  });
}
