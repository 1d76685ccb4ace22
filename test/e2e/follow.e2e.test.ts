// End to end: an operator follows an event in a real browser. A destination that answers 500 kills the delivery
// (one attempt allowed); the event's drawer leads to the delivery, whose attempt shows the request that was sent
// (method, url, headers with the api key redacted) and the response; "Retry now" sends it again to the mended
// destination; the overview counts the dead and the sent delivery. Screenshots go to test-results/.

import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sink, startSink } from "../../scripts/sink.mjs";
import { relayPage, relayWithBrowser, signIn } from "./browser";
import { adminClient, ROOT, waitFor } from "./harness";

const API_KEY = "key-follow-4242";

const started = relayWithBrowser();
const { api, create } = adminClient(started.relay);
let sink: Sink;

beforeAll(async () => {
  sink = await startSink();
});
afterAll(async () => {
  await sink?.close();
});

/** A page on the relay alone, signed in. */
async function signedInPage(): Promise<{ page: Page; problems: string[] }> {
  const { page, problems } = await relayPage(started.browser());
  await signIn(page, started.relay().url);
  return { page, problems };
}

async function deliveryOf(eventId: string) {
  const listed = await api("GET", `/v1/admin/deliveries?event_id=${eventId}`);
  return listed.body.data?.[0] as { id: string; status: string } | undefined;
}

describe("following an event in the dashboard", () => {
  it("event → delivery → attempt with its request and response; retry a dead delivery; the overview counts it", async () => {
    sink.configure("crm", { otherwise: { status: 500, body: "CRM is down for maintenance" } });
    const source = await create("/v1/admin/sources", { name: "Follow LMS" });
    const subscriber = await create("/v1/admin/subscribers", { name: "Follow CRM", timezone: "UTC" });
    const destination = await create(`/v1/admin/subscribers/${subscriber.id}/destinations`, {
      name: "crm",
      url: sink.hook("crm"),
      auth: { type: "api_key", header: "X-Api-Key", value: API_KEY },
      retry: { max_attempts: 1, initial_delay: 1, max_delay: 1 },
      timeout_ms: 10_000,
    });
    await create("/v1/admin/subscriptions", {
      subscriber_id: subscriber.id,
      source_id: source.id,
      event_types: ["*"],
      steps: [{ destination_id: destination.id }],
    });
    const published = await api(
      "POST",
      "/v1/events",
      [{ type: "courseCompletion", id: "follow-1", data: { learner: "ada@example.com", course: "Security" } }],
      source.api_key,
    );
    expect(published.status).toBe(202);
    const [eventId] = published.body.ids as string[];
    await waitFor(async () => (await deliveryOf(eventId))?.status === "dead", 60_000);
    const dead = (await deliveryOf(eventId))!;

    const { page, problems } = await signedInPage();
    await page.goto(`${started.relay().url}/ui#events`);
    await page.locator("#view-events tr.row", { hasText: eventId }).click({ timeout: 30_000 });
    const drawer = page.locator("#drawer-body");
    await drawer.locator("tr.row", { hasText: "dead" }).click({ timeout: 30_000 });

    const attempt = drawer.locator("li.attempt").first();
    await attempt.waitFor({ state: "visible", timeout: 30_000 });
    await expect.poll(() => attempt.textContent()).toContain("500");
    const request = attempt.locator(".attempt-request");
    await expect.poll(() => request.textContent()).toContain(sink.hook("crm"));
    expect(await request.textContent()).toContain("POST");
    expect((await request.textContent())?.toLowerCase()).toContain("x-api-key: [redacted]");
    await attempt.locator("summary", { hasText: "Response body" }).click();
    await expect.poll(() => attempt.textContent()).toContain("CRM is down for maintenance");
    // The key itself is nowhere on the page.
    expect(await page.content()).not.toContain(API_KEY);
    await page.screenshot({ path: `${ROOT}/test-results/follow-dead-delivery.png`, fullPage: true });

    // The destination mends; one click sends the dead delivery again.
    sink.configure("crm", {});
    await drawer.getByRole("button", { name: "Retry now" }).click();
    await waitFor(async () => (await deliveryOf(eventId))?.status === "sent", 60_000);
    expect(sink.requests("crm").length).toBe(2);
    expect(sink.requests("crm")[1].headers["x-api-key"]).toBe(API_KEY);
    await page.goto(`${started.relay().url}/ui#deliveries/${dead.id}`);
    await expect
      .poll(() => drawer.locator("li.attempt").count(), { timeout: 30_000, interval: 500 })
      .toBeGreaterThanOrEqual(2);
    await expect.poll(() => drawer.locator("li.attempt").first().textContent()).toContain("200");

    // The overview counts both outcomes of the hour: one dead, then one sent.
    await page.goto(`${started.relay().url}/ui#overview`);
    await page.click("#view-overview [data-action=refresh]");
    const tile = (label: string) =>
      page.locator("#overview-content .stat", { hasText: label }).first().locator(".stat-value");
    await expect.poll(() => tile("Deliveries sent").textContent(), { timeout: 15_000 }).toBe("1");
    await expect.poll(() => tile("Dead").textContent(), { timeout: 15_000 }).toBe("1");
    await page.screenshot({ path: `${ROOT}/test-results/follow-overview.png`, fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
