import { describe, expect, it } from "vitest";
import { DELIVERY_STATUSES, ui } from "../../src/ui/dashboard";

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
    for (const section of ["Sources", "Subscribers", "Subscriptions", "Events", "Deliveries", "Replays"]) {
      expect(html).toContain(`<h2>${section}</h2>`);
      expect(html).toContain(`data-tab="${section.toLowerCase()}"`);
    }
    for (const status of DELIVERY_STATUSES) expect(html).toContain(`<option value="${status}">${status}</option>`);
    expect(html).toContain('id="replay-form"');
    for (const field of ["from", "to", "source_id", "subscriber_id", "destination_id"]) {
      expect(html).toContain(`name="${field}"`);
    }
    expect(html).toContain('name="stage" value="route"');
    expect(html).toContain('name="stage" value="deliver"');
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
    expect(script).toContain('"Bearer "');
  });

  it("redirects /ui/ to /ui", async () => {
    const res = await ui.request("/ui/");
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/ui");
  });
});
