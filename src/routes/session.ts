import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import {
  cookieMustBeSecure,
  newSession,
  SESSION_COOKIE,
  SESSION_LIFETIME_S,
  sessionExpiry,
} from "../auth/admin-session";
import { constantTimeEqual } from "../auth/secrets";
import { unauthorized } from "../lib/problem";
import { iso } from "../lib/time";
import { bearer } from "./middleware";
import { spec } from "./openapi";
import { type AppEnv, newRouter, type Router } from "./router";

const SessionInput = z
  .object({ token: z.string().min(1).max(4096).optional() })
  .openapi("SessionInput", { description: "the ADMIN_TOKEN, here or as a bearer token" });

const Session = z.object({ expires_at: z.string() }).openapi("Session");
const SessionState = z.object({ signed_in: z.boolean(), expires_at: z.string().nullable() }).openapi("SessionState");

/** The cookie's attributes; sign-out must repeat them so the browser drops the same cookie. */
function cookieOptions(c: Context<AppEnv>): CookieOptions {
  return { httpOnly: true, sameSite: "Strict", secure: cookieMustBeSecure(c.req.url), path: "/" };
}

/**
 * Signing in and out of the dashboard. Mounted ahead of the admin middleware: signing in is how a browser without
 * the cookie gets one, and signing out clears a cookie that may already have expired.
 */
export const session: Router = newRouter()
  .openapi(
    spec({
      method: "get",
      path: "/session",
      tag: "session",
      summary: "Whether this browser's session cookie is good, and until when (never a 401: the page asks at load)",
      response: SessionState,
    }),
    async (c) => {
      const value = getCookie(c, SESSION_COOKIE);
      const adminToken = c.env.ADMIN_TOKEN;
      const expiresAt = value && adminToken ? await sessionExpiry(adminToken, value, Date.now()) : null;
      return c.json({ signed_in: expiresAt !== null, expires_at: iso(expiresAt) }, 200);
    },
  )
  .openapi(
    spec({
      method: "post",
      path: "/session",
      tag: "session",
      summary: "Sign in with the ADMIN_TOKEN: sets an HttpOnly, SameSite=Strict session cookie for 12 hours",
      description:
        "Requests then authenticate with the cookie instead of a bearer token; any other than GET or HEAD must also " +
        "send `x-syndic-csrf: 1`. Rotating ADMIN_TOKEN ends every session.",
      body: SessionInput,
      bodyRequired: false,
      response: Session,
    }),
    async (c) => {
      const token = bearer(c.req.header("authorization")) ?? c.req.valid("json").token;
      const adminToken = c.env.ADMIN_TOKEN;
      if (!token || !adminToken || !(await constantTimeEqual(token, adminToken))) throw unauthorized();
      const { value, expiresAt } = await newSession(adminToken, Date.now());
      setCookie(c, SESSION_COOKIE, value, { ...cookieOptions(c), maxAge: SESSION_LIFETIME_S });
      return c.json({ expires_at: iso(expiresAt)! }, 200);
    },
  )
  .openapi(
    spec({
      method: "delete",
      path: "/session",
      tag: "session",
      summary: "Sign out: clears the session cookie",
      status: 204,
    }),
    async (c) => {
      deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
      return c.body(null, 204);
    },
  );
