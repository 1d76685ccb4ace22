import { ipInCidrs, parseIp } from "./cidr";
import { RelayError } from "./errors";
import { invalid } from "./problem";

/**
 * Outbound targets (destinations, origin fetch and list URLs, token endpoints, identity update URLs, notify URLs,
 * HEARTBEAT_URL) must be https:// to a public host unless ALLOW_INSECURE_URLS is "true" (local development), so a
 * production relay cannot be pointed at itself, its neighbours or a cloud metadata endpoint. Checked when a URL is
 * saved and again when a request is sent (a URL filled from a template, a var changed since, a row written before
 * the check existed).
 */

/** Loopback, private, link-local, shared (CGNAT), "this network", benchmarking, multicast and reserved ranges. */
const NOT_PUBLIC = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "224.0.0.0/4",
  "240.0.0.0/4",
  "::/128",
  "::1/128",
  "64:ff9b::/96",
  "fc00::/7",
  "fe80::/10",
  "ff00::/8",
];

/** Names that resolve to the machine itself or only on a local network. */
const LOCAL_NAME = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

export type PolicyEnv = Pick<Env, "ALLOW_INSECURE_URLS" | "PUBLIC_BASE_URL">;

/** Why `url` may not be a target, or null when it may. */
export function outboundUrlProblem(env: PolicyEnv, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a valid URL";
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return "must be an http(s) URL";
  if (env.ALLOW_INSECURE_URLS === "true") return null;
  if (parsed.protocol !== "https:") return "must be an https:// URL";
  if (parsed.username || parsed.password) return "must not carry credentials in the URL; use auth";
  // URL() has already turned 2130706433, 0x7f.1 and friends into dotted quads; a trailing dot is still the host.
  const host = parsed.hostname.replace(/\.$/, "").replace(/^\[|\]$/g, "");
  const ip = parseIp(host);
  if (ip ? ipInCidrs(host, NOT_PUBLIC) : LOCAL_NAME.test(host)) {
    return "must be a public host (not loopback, private, link-local or local)";
  }
  if (!ip && !host.includes(".")) return "must be a public host name";
  const own = relayHost(env);
  if (own && host.toLowerCase() === own) return "must not be the relay itself";
  return null;
}

/** Why a host reached by other means than HTTP (an SFTP server) may not be a target, or null when it may. */
export function outboundHostProblem(env: PolicyEnv, host: string): string | null {
  return outboundUrlProblem(env, `https://${host.includes(":") ? `[${host}]` : host}/`);
}

function relayHost(env: PolicyEnv): string | null {
  try {
    return env.PUBLIC_BASE_URL ? new URL(env.PUBLIC_BASE_URL).hostname.replace(/\.$/, "").toLowerCase() : null;
  } catch {
    return null;
  }
}

/** At save time: a 422 naming every field whose URL may not be a target. */
export function assertTargetUrls(env: PolicyEnv, urls: Array<{ path: string; url: string | undefined }>): void {
  const errors = urls
    .filter((entry): entry is { path: string; url: string } => !!entry.url)
    .map(({ path, url }) => ({ path, message: outboundUrlProblem(env, url) }))
    .filter((entry): entry is { path: string; message: string } => entry.message !== null);
  if (errors.length) throw invalid(errors);
}

/** A request refused at send time: recorded on the attempt like a network error, and not worth retrying. */
export class BlockedUrlError extends RelayError {
  override name = "BlockedUrlError";
  constructor(message: string) {
    super(message, false);
  }
}

/** At send time: throws BlockedUrlError for a URL the policy refuses. */
export function assertSendable(env: PolicyEnv, url: string): void {
  const problem = outboundUrlProblem(env, url);
  if (problem)
    throw new BlockedUrlError(
      `refused to send to ${URL.canParse(url) ? new URL(url).origin : url}: the URL ${problem}`,
    );
}
