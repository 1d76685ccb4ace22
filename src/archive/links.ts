import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from "jose";
import { sha256Hex } from "../auth/secrets";
import type { StoredArchiveSettings } from "../domain/archive-settings";
import { utf8 } from "../lib/encoding";

/**
 * Signed archive links: an HS256 JWT naming one archive of one subscriber, valid until `exp`.
 *
 * Rotation: `LINK_SIGNING_KEY` is a comma-separated list. The first key signs new links; every key in the list
 * verifies. Each key is known by its `kid` (first 8 hex of its sha256), carried in the token's header, so
 * verification picks the right key instead of trying each. To rotate, set "new,old": links signed with the old key
 * keep working until they expire (at most MAX_LINK_TTL_S); then drop "old". One secret keeps the old keys secret
 * too, and keeps the binding list unchanged.
 */

export const MIN_LINK_TTL_S = 1;
export const MAX_LINK_TTL_S = 30 * 24 * 3600;
/** Set on every link so a token minted for another purpose with the same key is never taken for a link. */
const AUDIENCE = "syndic:archive-link";

export interface LinkKey {
  kid: string;
  secret: Uint8Array;
}

export interface LinkKeyring {
  signing: LinkKey;
  byKid: ReadonlyMap<string, LinkKey>;
}

export interface LinkGrant {
  archiveId: string;
  subscriberId: string;
  /** Epoch milliseconds (whole seconds, as in the token). */
  expiresAt: number;
  /** Unix seconds: compared with the subscriber's links_not_before, so a rotation can revoke older links. */
  issuedAt: number;
}

export type LinkFailure = "malformed" | "unknown_key" | "bad_signature" | "expired" | "invalid_claims";

export class LinkError extends Error {
  override name = "LinkError";
  constructor(
    readonly reason: LinkFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown when no signing key is configured: an operator problem, never the caller's. */
export class LinkKeyMissing extends Error {
  override name = "LinkKeyMissing";
}

export async function keyId(secret: string): Promise<string> {
  return (await sha256Hex(secret)).slice(0, 8);
}

let cached: { setting: string; ring: Promise<LinkKeyring> } | null = null;

/** The keyring from the setting's value, parsed once per isolate while the setting stays the same. */
export function linkKeyring(setting: string | undefined): Promise<LinkKeyring> {
  const value = setting ?? "";
  if (cached?.setting !== value) cached = { setting: value, ring: parseKeyring(value) };
  return cached.ring;
}

async function parseKeyring(setting: string): Promise<LinkKeyring> {
  const secrets = setting
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  if (!secrets.length) throw new LinkKeyMissing("LINK_SIGNING_KEY is not set: signed links are unavailable");
  const keys = await Promise.all(
    secrets.map(async (secret) => ({ kid: await keyId(secret), secret: utf8.encode(secret) })),
  );
  const byKid = new Map<string, LinkKey>();
  // The first of two keys with the same kid (the same secret listed twice) wins; it is the same secret anyway.
  for (const key of keys) if (!byKid.has(key.kid)) byKid.set(key.kid, key);
  return { signing: keys[0], byKid };
}

export async function signLink(
  ring: LinkKeyring,
  grant: { archiveId: string; subscriberId: string },
  ttlSeconds: number,
  now = Date.now(),
): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(now / 1000);
  const exp = iat + ttlSeconds;
  const token = await new SignJWT({ arc: grant.archiveId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: ring.signing.kid })
    .setSubject(grant.subscriberId)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(ring.signing.secret);
  return { token, expiresAt: exp * 1000 };
}

/** The grant a token carries, or a LinkError saying why it carries none. The signature is checked before expiry. */
export async function verifyLink(ring: LinkKeyring, token: string, now = Date.now()): Promise<LinkGrant> {
  let kid: unknown;
  let alg: unknown;
  try {
    ({ kid, alg } = decodeProtectedHeader(token));
  } catch {
    throw new LinkError("malformed", "the link is not a valid token");
  }
  if (alg !== "HS256") throw new LinkError("malformed", "the link is not a valid token");
  const key = typeof kid === "string" ? ring.byKid.get(kid) : undefined;
  if (!key) throw new LinkError("unknown_key", "the link was signed with a key this server does not hold");
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key.secret, {
      algorithms: ["HS256"],
      audience: AUDIENCE,
      currentDate: new Date(now),
      requiredClaims: ["exp", "sub", "iat"],
    }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new LinkError("expired", "the link has expired");
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      throw new LinkError("bad_signature", "the link's signature does not match");
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      throw new LinkError("invalid_claims", "the link's claims are not valid");
    }
    throw new LinkError("malformed", "the link is not a valid token");
  }
  const { arc, sub, exp, iat } = payload;
  if (typeof arc !== "string" || typeof sub !== "string" || typeof exp !== "number") {
    throw new LinkError("invalid_claims", "the link does not name an archive");
  }
  return { archiveId: arc, subscriberId: sub, expiresAt: exp * 1000, issuedAt: typeof iat === "number" ? iat : 0 };
}

/** Used when a subscriber's settings carry no link_ttl: a week, as a new subscriber gets by default. */
const FALLBACK_LINK_TTL_S = 7 * 24 * 3600;

/** The subscriber's archive.link_ttl, bounded to what a link may have. */
export function linkTtlOf(subscriber: { archive: StoredArchiveSettings } | null): number {
  const ttl = subscriber?.archive.link_ttl;
  if (typeof ttl !== "number" || !Number.isFinite(ttl)) return FALLBACK_LINK_TTL_S;
  return Math.min(MAX_LINK_TTL_S, Math.max(MIN_LINK_TTL_S, Math.floor(ttl)));
}

/** Where links point: PUBLIC_BASE_URL, or the origin of the request being answered when it is empty. */
export function linkUrl(env: Pick<Env, "PUBLIC_BASE_URL">, token: string, requestOrigin?: string): string {
  const base = (env.PUBLIC_BASE_URL || requestOrigin || "").replace(/\/+$/, "");
  return `${base}/v1/links/${token}`;
}

/** A fresh link to a ready archive, valid for `ttlSeconds`. */
export async function archiveLink(
  env: Pick<Env, "PUBLIC_BASE_URL" | "LINK_SIGNING_KEY">,
  archive: { id: string; subscriber_id: string },
  ttlSeconds: number,
  options: { requestOrigin?: string; now?: number } = {},
): Promise<{ url: string; expires_at: number }> {
  const ring = await linkKeyring(env.LINK_SIGNING_KEY);
  const { token, expiresAt } = await signLink(
    ring,
    { archiveId: archive.id, subscriberId: archive.subscriber_id },
    ttlSeconds,
    options.now,
  );
  return { url: linkUrl(env, token, options.requestOrigin), expires_at: expiresAt };
}
