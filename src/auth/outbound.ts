import type { Auth } from "../routes/schemas";

export interface OutboundRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** Thrown when a destination's auth cannot be applied; the attempt records it and does not retry. */
export class AuthUnavailable extends Error {}

/** Adds the destination's credentials to the request. Never touches storage: the caller decrypts `auth`. */
export async function applyAuth(request: OutboundRequest, auth: Auth): Promise<OutboundRequest> {
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
    default:
      throw new AuthUnavailable(`auth type ${auth.type} is not available for pushes yet`);
  }
}
