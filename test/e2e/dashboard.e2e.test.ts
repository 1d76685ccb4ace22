// End to end: the operator dashboard in a real browser against a relay started by the test. Signing in leaves no
// token in the page's storage (only an HttpOnly, SameSite=Strict session cookie), the overview counts the events the
// test publishes, and no page or console error happens on the way. Screenshots go to test-results/ for a person.

import { describe, expect, it } from "vitest";
import { relayPage, relayWithBrowser, signIn } from "./browser";
import { ADMIN_TOKEN, adminClient, ROOT } from "./harness";

const started = relayWithBrowser();
const { api, create } = adminClient(started.relay);

describe("the dashboard in a browser", () => {
  it("signs in with a session cookie and its overview counts what was published", async () => {
    // Nothing but the relay: the page must work with no other host.
    const { context, page, problems } = await relayPage(started.browser());

    await signIn(page, started.relay().url);

    const stored = String(await page.evaluate("JSON.stringify({ ...localStorage, ...sessionStorage })"));
    expect(stored).not.toContain(ADMIN_TOKEN);
    const [cookie] = (await context.cookies()).filter((c) => c.name === "syndic_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });

    const source = await create("/v1/admin/sources", { name: "Browser test LMS" });
    const published = await fetch(`${started.relay().url}/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${source.api_key}`, "content-type": "application/json" },
      body: JSON.stringify([1, 2, 3].map((n) => ({ type: "courseCompletion", id: `b-${n}`, data: { n } }))),
    });
    expect(published.status).toBe(202);
    // The counters are written in the publish's own batch: the stats read sees them at once.
    const stats = await api("GET", "/v1/admin/stats?range=24h");
    const received = stats.body.sources.find((s: { id: string }) => s.id === source.id);
    expect(received.events_received.reduce((a: number, b: number) => a + b, 0)).toBe(3);

    await page.click("#view-overview [data-action=refresh]");
    const tile = page.locator("#overview-content .stat", { hasText: "Events received" }).locator(".stat-value");
    await expect.poll(() => tile.textContent(), { timeout: 10_000 }).toBe("3");
    await expect
      // Busiest sources lists it (by id: the page learned names before this source existed).
      .poll(() => page.locator("#overview-content tr", { hasText: source.id }).count(), { timeout: 10_000 })
      .toBe(1);
    await page.screenshot({ path: `${ROOT}/test-results/dashboard-overview.png`, fullPage: true });

    await page.click("#sign-out");
    await page.locator("#login").waitFor({ state: "visible" });
    await expect.poll(async () => (await context.cookies()).some((c) => c.name === "syndic_session")).toBe(false);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("a sign-in made before the page's own session check answers is not undone by that late answer", async () => {
    const { context, page, problems } = await relayPage(started.browser());
    // The load-time GET /v1/admin/session, made before any cookie, answers only after the form has signed in.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route("**/v1/admin/session", async (route) => {
      if (route.request().method() !== "GET") return route.continue();
      // Asked now, before the cookie exists ("not signed in"), and answered only after the form signed in.
      const stale = await route.fetch();
      await held;
      await route.fulfill({ response: stale });
    });
    await signIn(page, started.relay().url);
    const answered = page.waitForResponse(
      (r) => r.url().endsWith("/v1/admin/session") && r.request().method() === "GET",
    );
    release();
    await answered;
    // The stale "not signed in" changed nothing: the app is still shown, the login form still hidden.
    await expect.poll(() => page.locator("#app").isVisible()).toBe(true);
    expect(await page.locator("#login").isVisible()).toBe(false);
    expect(problems).toEqual([]);
    await context.close();
  });
});
