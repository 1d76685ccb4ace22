import { invalid } from "./problem";

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0)$/i;

/**
 * Outbound targets must be https:// to a public host unless ALLOW_INSECURE_URLS is "true" (local development),
 * so a production relay can't be pointed at http:// or at itself.
 */
export function assertTargetUrls(env: Env, urls: Array<{ path: string; url: string | undefined }>): void {
  if (env.ALLOW_INSECURE_URLS === "true") return;
  const errors = urls
    .filter((entry): entry is { path: string; url: string } => !!entry.url)
    .filter(({ url }) => {
      const parsed = new URL(url);
      return parsed.protocol !== "https:" || LOOPBACK.test(parsed.hostname);
    })
    .map(({ path }) => ({ path, message: "must be an https:// URL to a public host" }));
  if (errors.length) throw invalid(errors);
}
