import { describe, expect, it } from "vitest";
import { ARCHIVE_STATUSES, DELIVERY_STATUSES, NOTIFICATION_STATUSES, ui } from "../../src/ui/dashboard";
import { api } from "../helpers/api";

async function page() {
  const res = await ui.request("/ui");
  return { res, html: await res.text() };
}

function nonceOf(csp: string, directive: string): string | undefined {
  const part = csp
    .split(";")
    .map((p) => p.trim())
    .find((p) => p.startsWith(`${directive} `));
  return part?.match(/'nonce-([A-Za-z0-9+/=]+)'/)?.[1];
}

describe("GET /ui (operator dashboard)", () => {
  it("serves one HTML page", async () => {
    const { res, html } = await page();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html.toLowerCase().startsWith("<!doctype html>")).toBe(true);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("sets a strict CSP whose nonce is the one on the inline script and style", async () => {
    const { res, html } = await page();
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");

    const scriptNonce = nonceOf(csp, "script-src");
    const styleNonce = nonceOf(csp, "style-src");
    expect(scriptNonce).toMatch(/^[A-Za-z0-9+/]{24}$/);
    expect(styleNonce).toBe(scriptNonce);

    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);
    expect(scripts.length).toBe(1);
    expect(scripts[0]).toContain(`nonce="${scriptNonce}"`);
    const styles = [...html.matchAll(/<style\b([^>]*)>/g)].map((m) => m[1]);
    expect(styles.length).toBe(1);
    expect(styles[0]).toContain(`nonce="${styleNonce}"`);
    // a style attribute would be blocked by this CSP, so the page must not rely on one
    expect(html).not.toMatch(/\sstyle="/);
  });

  it("uses a fresh nonce for every response", async () => {
    const nonces = new Set<string | undefined>();
    for (let i = 0; i < 5; i++) {
      const res = await ui.request("/ui");
      nonces.add(nonceOf(res.headers.get("content-security-policy") ?? "", "script-src"));
    }
    expect(nonces.size).toBe(5);
  });

  it("has the token form and every section", async () => {
    const { html } = await page();
    expect(html).toContain('id="login-form"');
    expect(html).toMatch(/<input[^>]*id="token-input"[^>]*type="password"/);
    expect(html).toContain('id="sign-out"');
    const sections = [
      "Sources",
      "Subscribers",
      "Subscriptions",
      "Identities",
      "Events",
      "Notifications",
      "Deliveries",
      "Syncs",
      "Replays",
      "Archives",
    ];
    for (const section of sections) {
      const id = section.toLowerCase();
      expect(html).toContain(`<h2>${section}</h2>`);
      expect(html).toContain(`data-tab="${id}"`);
      expect(html).toContain(`id="view-${id}"`);
    }
    for (const status of DELIVERY_STATUSES) expect(html).toContain(`<option value="${status}">${status}</option>`);
    expect(html).toContain('id="replay-form"');
    for (const field of ["from", "to", "source_id", "subscriber_id", "destination_id"]) {
      expect(html).toContain(`name="${field}"`);
    }
    expect(html).toContain('name="stage" value="route"');
    expect(html).toContain('name="stage" value="deliver"');
  });

  it("has the notification, sync, identity and archive controls", async () => {
    const { html } = await page();
    const view = (id: string) => html.match(new RegExp(`<section id="view-${id}"[\\s\\S]*?</section>`))?.[0] ?? "";

    const notifications = view("notifications");
    for (const status of NOTIFICATION_STATUSES) {
      expect(notifications).toContain(`<option value="${status}">${status}</option>`);
    }
    expect(notifications).toMatch(/<select[^>]*data-filter="source_id"[^>]*data-options="sources"/);

    // syncs and identities belong to one source / subscriber, which must be chosen
    expect(view("syncs")).toMatch(/<select[^>]*data-filter="source_id"[^>]*data-required/);
    const identities = view("identities");
    expect(identities).toMatch(/<select[^>]*data-filter="subscriber_id"[^>]*data-required/);
    expect(identities).toContain('data-filter="namespace"');
    expect(identities).toContain('data-filter="local_id"');

    const archives = view("archives");
    for (const status of ARCHIVE_STATUSES) expect(archives).toContain(`<option value="${status}">${status}</option>`);
    expect(archives).toContain('data-action="build-archive"');
    expect(archives).toContain("Build period now");
    const form = archives.match(/<form id="archive-form"[\s\S]*?<\/form>/)?.[0] ?? "";
    for (const field of ["subscriber_id", "period_start", "period_end"]) expect(form).toContain(`name="${field}"`);
    expect(form).toMatch(/<input[^>]*type="date"[^>]*name="period_start"/);
  });

  it("is self-contained: no external URLs, no HTML sinks in the script", async () => {
    const { html } = await page();
    expect(html).not.toMatch(/<(script|img|iframe)\b[^>]*\ssrc=/i);
    for (const [, href] of html.matchAll(/<link\b[^>]*\shref="([^"]*)"/gi)) expect(href).toMatch(/^data:/);
    expect(html).not.toContain("http://");
    expect(html).not.toContain("https://");
    expect(html).not.toMatch(/@import|url\(/);

    const script = html.match(/<script\b[^>]*>([\s\S]*?)<\/script>/)?.[1] ?? "";
    expect(script.length).toBeGreaterThan(1000);
    for (const sink of ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"]) {
      expect(script).not.toContain(sink);
    }
    // the admin API and the health check are called on this origin only
    expect(script).toContain('"/healthz"');
    expect(script).toContain('"/v1/admin/replays"');
    expect(script).toContain('"/v1/admin/notifications"');
    expect(script).toContain('"/v1/admin/archives"');
    expect(script).toContain('"/link"');
    expect(script).toContain('"/syncs"');
    expect(script).toContain('"/resume"');
    expect(script).toContain('"/identities"');
    // Signed in by an HttpOnly session cookie: the token is sent once to /v1/admin/session and never kept or sent again.
    expect(script).toContain('"/v1/admin/session"');
    expect(script).toContain('"x-syndic-csrf"');
    expect(script).toContain('credentials: "same-origin"');
    expect(script).not.toContain("Bearer");
  });

  it("calls only admin routes the relay has", async () => {
    const { html } = await page();
    const script = html.match(/<script\b[^>]*>([\s\S]*?)<\/script>/)?.[1] ?? "";
    const { body: doc } = await api("GET", "/openapi.json", undefined, "");
    // each path in the spec as a pattern: /v1/admin/syncs/{id}/resume -> ^/v1/admin/syncs/[^/]+/resume$
    const routes = Object.keys(doc.paths).map((p) => new RegExp(`^${p.replace(/\{[^}]+\}/g, "[^/]+")}$`));
    // the script builds paths as "/v1/admin/x/" + enc(id) + "/y": rebuild them with a stand-in id
    const built = [...script.matchAll(/"(\/v1\/admin\/[^"?]*)"((?:\s*\+\s*(?:enc\([^)]*\)|"[^"?]*"))*)/g)]
      .map(([, head, tail]) => head + [...tail.matchAll(/enc\([^)]*\)|"([^"?]*)"/g)].map((m) => m[1] ?? "x_1").join(""))
      .filter((path) => path !== "/v1/admin/"); // "/v1/admin/" + kind, for sources and subscribers

    expect(built.length).toBeGreaterThan(15);
    for (const path of built) {
      expect(
        routes.some((r) => r.test(path)),
        `${path} is not a route of the relay`,
      ).toBe(true);
    }
  });

  it("offers exactly the statuses the admin API filters by", async () => {
    const { body: subscriber } = await api("POST", "/v1/admin/subscribers", { name: "Dashboard", timezone: "UTC" });
    for (const status of NOTIFICATION_STATUSES) {
      expect((await api("GET", `/v1/admin/notifications?status=${status}&limit=1`)).status).toBe(200);
    }
    for (const status of DELIVERY_STATUSES) {
      expect((await api("GET", `/v1/admin/deliveries?status=${status}&limit=1`)).status).toBe(200);
    }
    for (const status of ARCHIVE_STATUSES) {
      expect((await api("GET", `/v1/admin/archives?status=${status}&subscriber_id=${subscriber.id}`)).status).toBe(200);
    }
    expect((await api("GET", "/v1/admin/notifications?status=nonsense")).status).toBe(422);
  });

  it("redirects /ui/ to /ui", async () => {
    const res = await ui.request("/ui/");
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/ui");
  });
});
