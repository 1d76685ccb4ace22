import type { Auth } from "../domain/auth";
import { AuthConfigError } from "../domain/errors";
import { signJwt } from "./jwt";
import { oauth1Header } from "./oauth1";
import { dropOAuth2Token, oauth2Token } from "./oauth2";

export interface OutboundRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

export interface CachedToken {
  token: string;
  /** Epoch ms after which the issuer no longer accepts the token. */
  expiresAt: number;
  /** Epoch ms from which a new token is fetched; the old one still serves if that fails. */
  refreshAt: number;
}

/** Where OAuth 2 tokens live between requests. auth/ never touches storage: the caller supplies this. */
export interface TokenCache {
  get(key: string): Promise<CachedToken | null>;
  put(key: string, value: CachedToken): Promise<void>;
  drop(key: string): Promise<void>;
}

export interface AuthContext {
  tokens: TokenCache;
  /**
   * The destination or source the credentials belong to. OAuth 2 tokens are cached per owner (and per client
   * secret), so a token is only ever sent where the client that fetched it was configured.
   */
  owner?: string;
  /** Throws for a URL the relay may not send to (lib/url-policy): token endpoints are checked where they are used. */
  checkUrl?: (url: string) => void;
  now?: () => number;
}

/** A cache private to this isolate, for callers with no storage at hand. */
export function memoryTokenCache(): TokenCache {
  const entries = new Map<string, CachedToken>();
  return {
    get: async (key) => entries.get(key) ?? null,
    put: async (key, value) => {
      entries.set(key, value);
    },
    drop: async (key) => {
      entries.delete(key);
    },
  };
}

const isolateContext: AuthContext = { tokens: memoryTokenCache() };

function withHeader(request: OutboundRequest, name: string, value: string): OutboundRequest {
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([key]) => key.toLowerCase() !== name));
  return { ...request, headers: { ...headers, [name]: value } };
}

/**
 * Adds the credentials to the request. The caller decrypts `auth`. Throws `TokenError` when an OAuth 2 token
 * cannot be had, and `AuthConfigError` for a config that can never work.
 */
export async function applyAuth(
  request: OutboundRequest,
  auth: Auth,
  context: AuthContext = isolateContext,
): Promise<OutboundRequest> {
  const now = context.now ?? Date.now;
  switch (auth.type) {
    case "none":
      return request;
    case "api_key": {
      if ("header" in auth) return { ...request, headers: { ...request.headers, [auth.header]: auth.value } };
      const url = new URL(request.url);
      url.searchParams.set(auth.query, auth.value);
      return { ...request, url: url.toString() };
    }
    case "basic": {
      const token = btoa(String.fromCharCode(...new TextEncoder().encode(`${auth.username}:${auth.password}`)));
      return { ...request, headers: { ...request.headers, authorization: `Basic ${token}` } };
    }
    case "bearer":
      return { ...request, headers: { ...request.headers, authorization: `Bearer ${auth.token}` } };
    case "oauth2":
      return withHeader(request, "authorization", `Bearer ${await oauth2Token(auth, context)}`);
    case "oauth1":
      return withHeader(request, "authorization", oauth1Header(request, auth, now()));
    case "jwt":
      return withHeader(request, "authorization", `Bearer ${await signJwt(auth, now())}`);
    default: {
      const unknown: never = auth;
      throw new AuthConfigError(`unknown auth type ${(unknown as { type: string }).type}`);
    }
  }
}

/**
 * After the target answered 401: forgets credentials that may have gone stale and says whether sending again can
 * help. Only an OAuth 2 token can be renewed; every other credential would be sent again unchanged.
 */
export async function forgetCredentials(auth: Auth, context: AuthContext = isolateContext): Promise<boolean> {
  if (auth.type !== "oauth2") return false;
  await dropOAuth2Token(auth, context);
  return true;
}
