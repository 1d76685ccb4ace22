// End to end: the API reference renders in a real browser with no network beyond the relay. Every request to
// another host is refused (and recorded); the page must still draw every operation of /openapi.json, break none of
// its own CSP, and have tried to reach no other origin.

import { describe, expect, it } from "vitest";
import { relayWithBrowser } from "./browser";

const started = relayWithBrowser();

describe("/docs in a browser, offline", () => {
  it("renders every operation from the relay alone, within its CSP", async () => {
    const spec = (await (await fetch(`${started.relay().url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options"]);
    const operations = Object.values(spec.paths).flatMap((item) => Object.keys(item).filter((m) => METHODS.has(m)));
    expect(operations.length).toBeGreaterThan(20);

    const context = await started.browser().newContext();
    const refused: string[] = [];
    await context.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === "127.0.0.1") return route.continue();
      refused.push(url.href);
      return route.abort("internetdisconnected");
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    // A CSP refusal is reported to the page as an event, whatever the console says.
    await page.addInitScript({
      content: `document.addEventListener("securitypolicyviolation", (event) =>
        console.error("CSP violation: " + event.violatedDirective + " " + event.blockedURI));`,
    });

    const res = await page.goto(`${started.relay().url}/docs`);
    expect(res?.status()).toBe(200);

    const publish = page.locator('.opblock-post .opblock-summary-path[data-path="/v1/events"]');
    await publish.waitFor({ state: "visible", timeout: 30_000 }).catch((error) => {
      throw new Error(`POST /v1/events never rendered (${error.message}); refused: ${refused.join(", ") || "none"}`);
    });
    await expect.poll(() => page.locator(".opblock").count(), { timeout: 10_000 }).toBe(operations.length);
    expect(await page.locator(".info .title").textContent()).toContain("Syndic");

    // Opening an operation draws its parameters and schemas: the bundle runs, not just its first paint.
    await publish.click();
    await page.locator(".opblock-post.is-open .opblock-body").waitFor({ state: "visible", timeout: 10_000 });

    expect(refused).toEqual([]);
    expect(problems).toEqual([]);
    expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await context.close();
  });
});
