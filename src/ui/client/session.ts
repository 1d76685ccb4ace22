/** Sign-in state and the health pill: read with plain fetch, because a 401 there is an answer, not the end of a session. */
import { paths } from "./api";
import type { Health, SessionState } from "./types";

const sameOrigin = { cache: "no-store", credentials: "same-origin" } as const;
export const session = {
  async state(): Promise<SessionState> {
    const res = await fetch(paths.session(), { headers: { accept: "application/json" }, ...sameOrigin });
    return res.ok ? ((await res.json()) as SessionState) : { signed_in: false };
  },
  /** The admin token, sent this once, for the HttpOnly session cookie. */
  signIn: (token: string) =>
    fetch(paths.session(), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ token }),
      ...sameOrigin,
    }),
  signOut: () => fetch(paths.session(), { method: "DELETE", credentials: "same-origin" }),
};

export async function health(): Promise<{ status: number; body: Health | null }> {
  const res = await fetch(paths.health(), { headers: { accept: "application/json" }, cache: "no-store" });
  const body = (await res.json().catch(() => null)) as Health | null;
  return { status: res.status, body };
}
