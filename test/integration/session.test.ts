import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import app from "../../src/app";
import { newSession, SESSION_LIFETIME_S } from "../../src/auth/admin-session";
import { ADMIN_TOKEN, api, call } from "../helpers/api";

const NO_BEARER = "";

/** Signs in and returns the cookie pair (`syndic_session=…`) and the whole Set-Cookie header. */
async function signIn(base = "http://relay.test") {
  const res = await exports.default.fetch(`${base}/v1/admin/session`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(res.status).toBe(200);
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { res, setCookie, cookie: setCookie.split(";")[0] };
}

const withCookie = (cookie: string, extra: Record<string, string> = {}) => ({ cookie, ...extra });

describe("admin sessions", () => {
  it("signs in with the bearer token or a JSON body and sets a locked-down cookie", async () => {
    const { res, setCookie } = await signIn();
    const body = (await res.json()) as { expires_at: string };
    const lifetime = Date.parse(body.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan((SESSION_LIFETIME_S - 60) * 1000);
    expect(lifetime).toBeLessThanOrEqual(SESSION_LIFETIME_S * 1000);
    expect(setCookie).toMatch(/^syndic_session=v1\.\d+\.[\w-]{43}; /);
    const attributes = setCookie.split("; ").slice(1);
    expect(attributes).toEqual(
      expect.arrayContaining(["Max-Age=43200", "Path=/", "HttpOnly", "Secure", "SameSite=Strict"]),
    );

    const byBody = await api("POST", "/v1/admin/session", { token: ADMIN_TOKEN }, NO_BEARER);
    expect(byBody.status).toBe(200);
    expect(byBody.headers.get("set-cookie")).toMatch(/^syndic_session=v1\./);
  });

  it("says whether the cookie is good without ever answering 401", async () => {
    const { cookie } = await signIn();
    const good = await api("GET", "/v1/admin/session", undefined, NO_BEARER, withCookie(cookie));
    expect(good.status).toBe(200);
    expect(good.body.signed_in).toBe(true);
    expect(Date.parse(good.body.expires_at)).toBeGreaterThan(Date.now());
    const none = await api("GET", "/v1/admin/session", undefined, NO_BEARER);
    expect(none.body).toEqual({ signed_in: false, expires_at: null });
    const forged = await api(
      "GET",
      "/v1/admin/session",
      undefined,
      NO_BEARER,
      withCookie(`${cookie.slice(0, -4)}AAAA`),
    );
    expect(forged.body).toEqual({ signed_in: false, expires_at: null });
  });

  it("refuses a wrong token without setting a cookie", async () => {
    for (const res of [
      await api("POST", "/v1/admin/session", { token: "guess" }, NO_BEARER),
      await api("POST", "/v1/admin/session", undefined, "guess"),
      await api("POST", "/v1/admin/session", {}, NO_BEARER),
    ]) {
      expect(res.status).toBe(401);
      expect(res.headers.get("set-cookie")).toBeNull();
    }
  });

  it("leaves Secure off only for plain http to this machine (local dev)", async () => {
    for (const base of ["http://127.0.0.1:8787", "http://localhost:8787", "http://[::1]:8787"]) {
      const { setCookie } = await signIn(base);
      expect(setCookie, base).not.toMatch(/Secure/);
      expect(setCookie, base).toMatch(/HttpOnly/);
    }
    expect((await signIn("https://relay.example")).setCookie).toMatch(/; Secure/);
  });

  it("lets the cookie read, and write only with the CSRF header", async () => {
    const { cookie } = await signIn();
    const read = await api("GET", "/v1/admin/subscribers", undefined, NO_BEARER, withCookie(cookie));
    expect(read.status).toBe(200);

    const forged = await api("POST", "/v1/admin/subscribers", { name: "Acme" }, NO_BEARER, withCookie(cookie));
    expect(forged.status).toBe(403);
    expect(forged.body.detail).toMatch(/x-syndic-csrf/);
    const deleted = await call("DELETE", "/v1/admin/subscriptions/sbn_x", undefined, NO_BEARER, withCookie(cookie));
    expect(deleted.status).toBe(403);

    const written = await api(
      "POST",
      "/v1/admin/subscribers",
      { name: "Acme" },
      NO_BEARER,
      withCookie(cookie, { "x-syndic-csrf": "1" }),
    );
    expect(written.status).toBe(201);
    // The bearer header keeps working, with no CSRF header, and decides alone when it is sent.
    expect((await api("POST", "/v1/admin/subscribers", { name: "Bearer" })).status).toBe(201);
    expect((await api("GET", "/v1/admin/subscribers", undefined, "wrong", withCookie(cookie))).status).toBe(401);
  });

  it("refuses forged, tampered and expired cookies", async () => {
    const { cookie } = await signIn();
    const [, value] = cookie.split("=");
    const [version, expiry, mac] = value.split(".");
    const later = Number(expiry) + 1000;
    const expired = await newSession(ADMIN_TOKEN, Date.now() - (SESSION_LIFETIME_S + 60) * 1000);
    const otherKey = await newSession("not-the-admin-token", Date.now());
    for (const candidate of [
      `${version}.${later}.${mac}`,
      `${version}.${expiry}.${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`,
      `${version}.${expiry}`,
      "v1.99999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      expired.value,
      otherKey.value,
      "",
    ]) {
      const res = await api("GET", "/v1/admin/subscribers", undefined, NO_BEARER, {
        cookie: `syndic_session=${candidate}`,
      });
      expect(res.status, candidate).toBe(401);
    }
  });

  it("ends every session when ADMIN_TOKEN rotates", async () => {
    const { cookie } = await signIn();
    const rotated = { ...env, ADMIN_TOKEN: "rotated-admin-token" } as Env;
    const res = await app.fetch(
      new Request("http://relay.test/v1/admin/subscribers", { headers: { cookie } }),
      rotated,
      createExecutionContext(),
    );
    expect(res.status).toBe(401);
    // The same cookie still works where the token has not changed: it is the rotation that ended it.
    expect((await api("GET", "/v1/admin/subscribers", undefined, NO_BEARER, withCookie(cookie))).status).toBe(200);
  });

  it("documents the sign-in, preview and test-push routes in /openapi.json", async () => {
    const doc = await api("GET", "/openapi.json");
    const paths = doc.body.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths["/v1/admin/session"])).toEqual(expect.arrayContaining(["post", "delete"]));
    expect(paths["/v1/admin/preview"]).toHaveProperty("post");
    expect(paths["/v1/admin/subscribers/{subscriber_id}/destinations/{id}/test"]).toHaveProperty("post");
  });

  it("signs out by clearing the cookie with the same attributes", async () => {
    const { cookie } = await signIn();
    const res = await call("DELETE", "/v1/admin/session", undefined, NO_BEARER, withCookie(cookie));
    expect(res.status).toBe(204);
    const cleared = res.headers.get("set-cookie") ?? "";
    expect(cleared).toMatch(/^syndic_session=; /);
    expect(cleared.split("; ")).toEqual(
      expect.arrayContaining(["Max-Age=0", "Path=/", "HttpOnly", "Secure", "SameSite=Strict"]),
    );
  });
});
