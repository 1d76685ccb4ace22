// End to end: setting a relay up from the dashboard alone, in a real browser. A source created in its dialog shows its
// key once (copyable), a subscriber and a destination with API-key auth pointed at a loopback server the test runs,
// a bad URL shows its error under the field, "Send a test event" shows the attempt, a subscription's transform
// previews live as it is typed, and an event published with the new key reaches the loopback server transformed.

import { describe, expect, it } from "vitest";
import { relayPage, relayWithBrowser, signIn } from "./browser";
import { adminClient, ROOT, waitFor } from "./harness";

const load = (specifier: string): Promise<any> => import(/* @vite-ignore */ specifier);

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A loopback HTTP server that records every request and answers 200 with a short body. */
async function loopback(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const { createServer } = await load("node:http");
  const received: Received[] = [];
  const server = createServer((req: any, res: any) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"received": true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const started = relayWithBrowser();
const { api } = adminClient(started.relay);

/**
 * The relay is the forms' check: a field it refuses (the bad URL typed here, a half-typed expression in the preview)
 * is a 422 the page shows on the field, and that the browser also logs itself as a failed resource. Only those lines
 * are let through; any other console error, and every page error, fails the test.
 */
/** A pinned Ed25519 host key, as known_hosts spells it. */
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

const VIEW = {
  viewport: { width: 1400, height: 1100 },
  allow: (text: string) => text.startsWith("Failed to load resource: the server responded with a status of 422"),
};

describe("set-up flows in the dashboard", () => {
  it("sets up a source, subscriber, destination and subscription from /ui alone", async () => {
    const server = await loopback();
    const { context, page, problems } = await relayPage(started.browser(), VIEW);
    try {
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: started.relay().url });
      const publish = (key: string, events: unknown) =>
        fetch(`${started.relay().url}/v1/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify(events),
        });

      await signIn(page, started.relay().url);

      // A source: its API key is shown once, with a Copy button.
      await page.click("[data-tab=sources]");
      await page.click("[data-setup=source]");
      const sourceDialog = page.locator("dialog[data-setup-dialog=source]");
      await sourceDialog.locator('[name="/name"]').fill("Setup LMS");
      await sourceDialog.locator("[data-setup-save]").click();
      await sourceDialog.locator("[data-shown-once]").waitFor({ timeout: 15_000 });
      await expect.poll(() => sourceDialog.textContent()).toContain("You will not see this again.");
      const apiKey = await sourceDialog.locator("[data-secret-value=api_key]").inputValue();
      expect(apiKey.length).toBeGreaterThan(16);
      await sourceDialog.locator("[data-copy=api_key]").click();
      await expect.poll(() => sourceDialog.locator("[data-copy=api_key]").textContent()).toMatch(/Copied|Selected/);
      if ((await sourceDialog.locator("[data-copy=api_key]").textContent()) === "Copied") {
        expect(await page.evaluate("navigator.clipboard.readText()")).toBe(apiKey);
      }
      await sourceDialog.screenshot({ path: `${ROOT}/test-results/setup-source-key.png` });
      const sourceId = await sourceDialog.locator("[data-saved-id]").getAttribute("data-saved-id");
      await sourceDialog.locator("[data-setup-done]").click();
      await sourceDialog.waitFor({ state: "detached" });
      await page.locator("#view-sources tr", { hasText: "Setup LMS" }).waitFor({ timeout: 15_000 });

      // One event, so the subscription's preview has a stored sample.
      expect((await publish(apiKey, { type: "courseCompletion", id: "setup-1", data: { n: 1 } })).status).toBe(202);

      // A subscriber.
      await page.click("[data-tab=subscribers]");
      await page.click("[data-setup=subscriber]");
      const subscriberDialog = page.locator("dialog[data-setup-dialog=subscriber]");
      await subscriberDialog.locator('[name="/name"]').fill("Setup Acme");
      await subscriberDialog.locator("[data-setup-save]").click();
      await subscriberDialog.locator("[data-secret-value=api_key]").waitFor({ timeout: 15_000 });
      const subscriberId = await subscriberDialog.locator("[data-saved-id]").getAttribute("data-saved-id");
      expect(subscriberId).toMatch(/^sub_/);
      await subscriberDialog.locator("[data-setup-done]").click();

      // Editing it sends only what changed (a JSON merge patch).
      // The page's own hook for opening a form (what a drawer's Edit button would send); the tsconfig has no DOM.
      const openEdit = (kind: string, existing: unknown) =>
        page.evaluate(
          `document.dispatchEvent(new CustomEvent("syndic:setup", { detail: ${JSON.stringify({ kind, existing })} }))`,
        );
      await openEdit("subscriber", (await api("GET", `/v1/admin/subscribers/${subscriberId}`)).body);
      const editDialog = page.locator("dialog[data-setup-dialog=subscriber]");
      expect(await editDialog.locator('[name="/name"]').inputValue()).toBe("Setup Acme");
      await editDialog.locator('[name="/archive/schedule"]').selectOption("daily");
      const subscriberPatch = page.waitForRequest((r) => r.method() === "PATCH");
      await editDialog.locator("[data-setup-save]").click();
      expect((await subscriberPatch).postDataJSON()).toEqual({ archive: { schedule: "daily" } });
      await editDialog.waitFor({ state: "detached", timeout: 15_000 });
      const edited = (await api("GET", `/v1/admin/subscribers/${subscriberId}`)).body;
      expect(edited).toMatchObject({ name: "Setup Acme", archive: { schedule: "daily" } });

      // A destination with an API key: a bad URL is refused under its field first.
      await page.click("[data-setup=destination]");
      const destinationDialog = page.locator("dialog[data-setup-dialog=destination]");
      await destinationDialog.locator("select[name=subscriber]").selectOption(subscriberId!);
      await destinationDialog.locator('[name="/name"]').fill("Loopback CRM");
      await destinationDialog.locator('[name="/url"]').fill("not a url");
      await destinationDialog.locator('[name="/auth/type"]').selectOption("api_key:header");
      await destinationDialog.locator('fieldset[data-auth="api_key:header"] [name="/auth/value"]').fill("key-setup-1");
      await destinationDialog.locator("[data-setup-save]").click();
      const urlError = destinationDialog.locator('[data-field="/url"] .field-error');
      await urlError.waitFor();
      expect(await urlError.textContent()).toContain("http(s) URL");
      await destinationDialog.screenshot({ path: `${ROOT}/test-results/setup-destination-error.png` });
      await destinationDialog.locator('[name="/url"]').fill(`${server.url}/hook`);
      await destinationDialog.locator("[data-setup-save]").click();
      await destinationDialog.locator("[data-secret-value=signing_secret]").waitFor({ timeout: 15_000 });
      expect(await destinationDialog.locator('[data-field="/url"] .field-error').count()).toBe(0);
      const destinationId = await destinationDialog.locator("[data-saved-id]").getAttribute("data-saved-id");
      expect(destinationId).toMatch(/^dst_/);

      // Send a test event: the attempt it made, and the loopback server saw it with the key.
      await destinationDialog.locator("[data-setup-test]").click();
      await destinationDialog.locator("[data-test-attempt]").waitFor({ timeout: 30_000 });
      expect(await destinationDialog.locator("[data-test-attempt]").getAttribute("data-test-attempt")).toBe("ok");
      const attempt = (await destinationDialog.locator("[data-test-attempt]").textContent()) ?? "";
      expect(attempt).toContain("200");
      await destinationDialog.screenshot({ path: `${ROOT}/test-results/setup-destination-test.png` });
      expect(attempt).toContain('{"received": true}');
      expect(server.received.some((r) => r.headers["api-key"] === "key-setup-1")).toBe(true);
      await destinationDialog.locator("[data-setup-done]").click();

      // A subscription whose transform previews as it is typed.
      await page.click("[data-tab=subscriptions]");
      await page.click("[data-setup=subscription]");
      const subscriptionDialog = page.locator("dialog[data-setup-dialog=subscription]");
      await subscriptionDialog.locator('select[name="/subscriber_id"]').selectOption(subscriberId!);
      await subscriptionDialog.locator('select[name="/source_id"]').selectOption(sourceId!);
      await subscriptionDialog.locator("[data-setup-add-step]").click();
      const destinationSelect = subscriptionDialog.locator('select[name="/steps/0/destination_id"]');
      await expect.poll(() => destinationSelect.locator(`option[value="${destinationId}"]`).count()).toBe(1);
      await destinationSelect.selectOption(destinationId!);
      const sample = subscriptionDialog.locator("[name=sample-event-id]");
      await expect.poll(() => sample.inputValue(), { timeout: 15_000 }).toMatch(/^evt_/);
      const transform = subscriptionDialog.locator('[name="/steps/0/transform"]');
      await transform.click();
      // Half typed, it does not compile: the preview says where.
      await transform.pressSequentially('{"x": ', { delay: 40 });
      const result = subscriptionDialog.locator("[data-preview-result]");
      await expect.poll(() => result.textContent(), { timeout: 15_000 }).toMatch(/position \d+/);
      await transform.pressSequentially("data.n}", { delay: 40 });
      await expect.poll(() => result.textContent(), { timeout: 15_000 }).toMatch(/"x":\s*1/);
      await subscriptionDialog.screenshot({ path: `${ROOT}/test-results/setup-subscription-preview.png` });
      await subscriptionDialog.locator("[data-setup-save]").click();
      await subscriptionDialog.waitFor({ state: "detached", timeout: 15_000 });

      // An event published with the new key reaches the loopback server, transformed.
      expect((await publish(apiKey, { type: "courseCompletion", id: "setup-2", data: { n: 2 } })).status).toBe(202);
      await waitFor(() => server.received.some((r) => r.path === "/hook" && r.body === '{"x":2}'), 60_000, 250);
      const pushed = server.received.find((r) => r.body === '{"x":2}')!;
      expect(pushed.headers["api-key"]).toBe("key-setup-1");
      expect(pushed.headers["webhook-signature"]).toMatch(/^v1,/);

      // Editing the subscription: its step is prefilled, and a changed transform is sent as the steps, whole.
      const [subscription] = (await api("GET", `/v1/admin/subscriptions?subscriber_id=${subscriberId}`)).body.data;
      await openEdit("subscription", subscription);
      const editSubscription = page.locator("dialog[data-setup-dialog=subscription]");
      const editTransform = editSubscription.locator('[name="/steps/0/transform"]');
      expect(await editTransform.inputValue()).toBe('{"x": data.n}');
      expect(await editSubscription.locator('select[name="/steps/0/destination_id"]').inputValue()).toBe(destinationId);
      await editTransform.fill('{"x": data.n, "edited": true}');
      const subscriptionPatch = page.waitForRequest((r) => r.method() === "PATCH");
      await editSubscription.locator("[data-setup-save]").click();
      expect((await subscriptionPatch).postDataJSON()).toEqual({
        steps: [{ destination_id: destinationId, transform: '{"x": data.n, "edited": true}' }],
      });
      await editSubscription.waitFor({ state: "detached", timeout: 15_000 });
      expect((await publish(apiKey, { type: "courseCompletion", id: "setup-3", data: { n: 3 } })).status).toBe(202);
      await waitFor(() => server.received.some((r) => r.body === '{"x":3,"edited":true}'), 60_000, 250);

      expect(problems).toEqual([]);
    } finally {
      await context.close();
      await server.close();
    }
  });

  it("maps the relay's own 422 onto its field, and saves a source's checks and archive targets", async () => {
    const { create } = adminClient(started.relay);
    const a = await create("/v1/admin/subscribers", { name: "Setup A" });
    const b = await create("/v1/admin/subscribers", { name: "Setup B" });
    const source = await create("/v1/admin/sources", { name: "Setup origin" });
    const foreign = await create(`/v1/admin/subscribers/${a.id}/destinations`, {
      name: "A's CRM",
      url: "http://127.0.0.1:9/a",
    });
    const { context, page, problems } = await relayPage(started.browser(), VIEW);
    try {
      await signIn(page, started.relay().url);
      const openForm = (kind: string, existing: unknown) =>
        page.evaluate(
          `document.dispatchEvent(new CustomEvent("syndic:setup", { detail: ${JSON.stringify({ kind, existing })} }))`,
        );

      // Only the relay knows that the step's destination is another subscriber's: its 422 lands under the field.
      await openForm("subscription", {
        subscriber_id: b.id,
        source_id: source.id,
        steps: [{ destination_id: foreign.id }],
      });
      const subscription = page.locator("dialog[data-setup-dialog=subscription]");
      await subscription.locator("[data-setup-save]").click();
      const stepError = subscription.locator('[data-field="/steps/0/destination_id"] .field-error');
      await stepError.waitFor({ timeout: 15_000 });
      expect(await stepError.textContent()).toContain("not a destination of this subscriber");
      await subscription.locator("button", { hasText: "Cancel" }).click();

      // A source with an HMAC check and an origin fetch with OAuth 2.
      await page.click("[data-tab=sources]");
      await page.click("[data-setup=source]");
      const sourceDialog = page.locator("dialog[data-setup-dialog=source]");
      await sourceDialog.locator('[name="/name"]').fill("Signed origin");
      await sourceDialog.locator('[name="/inbound/ip_allowlist"]').fill("127.0.0.1\n10.0.0.0/8");
      await sourceDialog.locator("[data-setup-role=hmac-toggle]").check();
      await sourceDialog.locator('[name="/inbound/hmac/header"]').fill("X-Signature");
      await sourceDialog.locator('[name="/inbound/hmac/secret"]').fill("hmac-secret");
      await sourceDialog.locator("[data-setup-role=fetch-toggle]").check();
      await sourceDialog.locator('[name="/fetch/url"]').fill("http://127.0.0.1:9/profiles/{id}");
      await sourceDialog.locator('[name="/fetch/event_type"]').fill("profile.updated");
      await sourceDialog.locator('[name="/fetch/auth/type"]').selectOption("oauth2");
      await sourceDialog.locator('[name="/fetch/auth/token_url"]').fill("http://127.0.0.1:9/token");
      await sourceDialog.locator('[name="/fetch/auth/client_id"]').fill("client");
      await sourceDialog.locator("[data-setup-save]").click();
      // The client secret is required for oauth2: the schema says so under its field, before anything is sent.
      await sourceDialog.locator('[data-field="/fetch/auth/client_secret"] .field-error').waitFor();
      await sourceDialog.locator('[name="/fetch/auth/client_secret"]').fill("client-secret");
      await sourceDialog.locator("[data-setup-save]").click();
      await sourceDialog.locator("[data-secret-value=notify_url]").waitFor({ timeout: 15_000 });
      const signedId = await sourceDialog.locator("[data-saved-id]").getAttribute("data-saved-id");
      await sourceDialog.locator("[data-setup-done]").click();
      const signed = (await api("GET", `/v1/admin/sources/${signedId}`)).body;
      expect(signed.inbound).toMatchObject({
        ip_allowlist: ["127.0.0.1", "10.0.0.0/8"],
        hmac: { header: "X-Signature" },
      });
      expect(signed.fetch).toMatchObject({ url: "http://127.0.0.1:9/profiles/{id}", auth: { type: "oauth2" } });

      // Rotating a source's keys shows the new ones once; the new key publishes.
      page.once("dialog", (confirm) => confirm.accept());
      await openForm("source", source);
      const rotateDialog = page.locator("dialog[data-setup-dialog=source]");
      await rotateDialog.locator("[data-setup-rotate]").click();
      const rotatedKey = await rotateDialog.locator("[data-secret-value=api_key]").inputValue();
      expect(rotatedKey).not.toBe(source.api_key);
      expect(await rotateDialog.textContent()).toContain("You will not see this again.");
      await rotateDialog.locator("[data-setup-done]").click();
      const published = await fetch(`${started.relay().url}/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${rotatedKey}`, "content-type": "application/json" },
        body: JSON.stringify({ type: "t", data: {} }),
      });
      expect(published.status).toBe(202);

      // Archive targets: each type's own checks under their fields, then an email target saved.
      await page.click("[data-tab=subscribers]");
      await page.click("[data-setup=archive-target]");
      const target = page.locator("dialog[data-setup-dialog=archive-target]");
      await target.locator("select[name=subscriber]").selectOption(b.id);
      await target.locator('[name="/type"]').selectOption("https_put");
      await target.locator('[name="/url"]:enabled').fill("http://127.0.0.1:9/in/");
      await target.locator("[data-setup-save]").click();
      await expect.poll(() => target.locator('[data-field="/url"] .field-error').textContent()).toContain("{filename}");
      await target.locator('[name="/type"]').selectOption("sftp");
      await target.locator('[name="/host_key"]').fill("ssh-rsa nope");
      await target.locator("[data-setup-save]").click();
      await expect
        .poll(() => target.locator('[data-field="/host_key"] .field-error').textContent())
        .toContain("ssh-ed25519");
      // By URL, left blank: the schema's "host required (or url)" lands under the URL field.
      expect(await target.locator('[data-field="/url"]:has(.field-error)').textContent()).toContain(
        "host: required (or url)",
      );
      await target.locator('[name="/type"]').selectOption("s3");
      await target.locator("[data-setup-role=then-toggle]").check();
      await target.screenshot({ path: `${ROOT}/test-results/setup-archive-target-s3.png` });
      await target.locator('[name="/type"]').selectOption("email");
      await target.locator('[name="/name"]').fill("Ops mailbox");
      await target.locator('[name="/to"]').fill("ops@acme.example");
      await target.locator("[data-setup-save]").click();
      await target.waitFor({ state: "detached", timeout: 15_000 });
      const targets = (await api("GET", `/v1/admin/subscribers/${b.id}/archive-targets`)).body.data;
      expect(targets).toMatchObject([{ type: "email", name: "Ops mailbox", to: ["ops@acme.example"] }]);

      // Edits leave write-only credentials alone: a bearer destination renamed keeps its token.
      const bearer = await create(`/v1/admin/subscribers/${b.id}/destinations`, {
        name: "Bearer CRM",
        url: "http://127.0.0.1:9/b",
        auth: { type: "bearer", token: "tok-1" },
      });
      await openForm("destination", (await api("GET", `/v1/admin/subscribers/${b.id}/destinations/${bearer.id}`)).body);
      const destination = page.locator("dialog[data-setup-dialog=destination]");
      expect(await destination.locator('[name="/auth/type"]').inputValue()).toBe("bearer");
      await destination.locator('[name="/name"]').fill("Bearer CRM (renamed)");
      const destinationPatch = page.waitForRequest((r) => r.method() === "PATCH");
      await destination.locator("[data-setup-save]").click();
      expect((await destinationPatch).postDataJSON()).toEqual({ name: "Bearer CRM (renamed)" });
      await destination.waitFor({ state: "detached", timeout: 15_000 });
      const renamed = (await api("GET", `/v1/admin/subscribers/${b.id}/destinations/${bearer.id}`)).body;
      expect(renamed).toMatchObject({ name: "Bearer CRM (renamed)", auth: { type: "bearer" } });

      await openForm("archive-target", targets[0]);
      const editTarget = page.locator("dialog[data-setup-dialog=archive-target]");
      expect(await editTarget.locator('[name="/to"]').inputValue()).toBe("ops@acme.example");
      await editTarget.locator('[name="/subject"]').fill("Your archive");
      const targetPatch = page.waitForRequest((r) => r.method() === "PATCH");
      await editTarget.locator("[data-setup-save]").click();
      expect((await targetPatch).postDataJSON()).toEqual({ subject: "Your archive" });
      await editTarget.waitFor({ state: "detached", timeout: 15_000 });

      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("sets up the reference integrations' subscriber and targets: weekly CSV, AlumnIQ's S3 with its import, nightly SFTP", async () => {
    const { context, page, problems } = await relayPage(started.browser(), VIEW);
    try {
      await signIn(page, started.relay().url);

      // The subscriber: weekly CSV archives built at 02:00 in its own zone.
      await page.click("[data-tab=subscribers]");
      await page.click("[data-setup=subscriber]");
      const subscriber = page.locator("dialog[data-setup-dialog=subscriber]");
      await subscriber.locator('[name="/name"]').fill("Alumni office");
      await subscriber.locator('[name="/timezone"]').fill("America/Chicago");
      await subscriber.locator('[name="/archive/schedule"]').selectOption("weekly");
      await subscriber.locator('[name="/archive/format"]').selectOption("csv");
      await subscriber.locator('[name="/archive/time"]').fill("02:00");
      await subscriber.locator("[data-setup-save]").click();
      const saved = subscriber.locator("[data-saved-id]");
      await saved.waitFor({ state: "visible", timeout: 15_000 });
      const subscriberId = String(await saved.getAttribute("data-saved-id"));
      await subscriber.locator("[data-setup-done]").click();
      const stored = (await api("GET", `/v1/admin/subscribers/${subscriberId}`)).body;
      expect(stored).toMatchObject({
        timezone: "America/Chicago",
        archive: { schedule: "weekly", format: "csv", time: "02:00" },
      });

      // AlumnIQ: the file into the QA prefix of a bucket, then the import webhook with the key in its body.
      await page.click("[data-setup=archive-target]");
      const s3 = page.locator("dialog[data-setup-dialog=archive-target]");
      await s3.locator("select[name=subscriber]").selectOption(subscriberId);
      await s3.locator('[name="/type"]').selectOption("s3");
      await s3.locator('[name="/name"]').fill("AlumnIQ QA");
      await s3.locator('[name="/environment"]').selectOption("sandbox");
      await s3.locator('[name="/endpoint"]').fill("https://s3.us-east-2.amazonaws.com");
      await s3.locator('[name="/region"]').fill("us-east-2");
      await s3.locator('[name="/bucket"]').fill("alumniq-imports");
      await s3.locator('[name="/prefix"]').fill("qa/warehouse/");
      await s3.locator('[name="/access_key_id"]').fill("AKIAQAEXAMPLE");
      await s3.locator('[name="/secret_access_key"]').fill("qa-secret-key-value");
      await s3.locator("[data-setup-role=then-toggle]").check();
      await s3.locator('[name="/then/url"]').fill("https://api.alumniq.example/warehouse/webhook/gifts");
      await s3
        .locator('[name="/then/body"]')
        .fill("{'apiKey': $secrets.apiKey, 'filename': $filename, 'notifyWebhook': $callback_url}");
      await s3.locator('[name="/then/job_id"]').fill("jobId");
      await s3.locator('[name="/then/secrets"]').fill('{"apiKey": "alumniq-api-key-123"}');
      await s3.locator("[data-setup-save]").click();
      const callback = s3.locator("[data-secret-value=callback_url]");
      await callback.waitFor({ state: "visible", timeout: 15_000 });
      expect(await callback.inputValue()).toMatch(/\/v1\/callbacks\/[A-Za-z0-9_-]+$/);
      expect(await s3.textContent()).toContain("You will not see this again.");
      await s3.locator("[data-setup-done]").click();

      // The nightly document: an sftp:// URL with percent-encoded credentials, the server's key pinned.
      await page.click("[data-setup=archive-target]");
      const sftp = page.locator("dialog[data-setup-dialog=archive-target]");
      await sftp.locator("select[name=subscriber]").selectOption(subscriberId);
      await sftp.locator('[name="/type"]').selectOption("sftp");
      await sftp.locator('[name="/name"]').fill("Nightly SFTP");
      await sftp.locator('[name="/url"]:enabled').fill("sftp://acme:s3cret%3Ap%40ss@files.acme.example:2222/incoming");
      await sftp.locator('[name="/host_key"]').fill(HOST_KEY);
      await sftp.locator("[data-setup-save]").click();
      await sftp.waitFor({ state: "detached", timeout: 15_000 });

      const targets = (await api("GET", `/v1/admin/subscribers/${subscriberId}/archive-targets`)).body.data;
      const byType = Object.fromEntries(targets.map((t: { type: string }) => [t.type, t]));
      expect(byType.s3).toMatchObject({
        name: "AlumnIQ QA",
        environment: "sandbox",
        bucket: "alumniq-imports",
        prefix: "qa/warehouse/",
        // biome-ignore lint/suspicious/noThenProperty: CONTRACT §3 names the import trigger `then`; it is never a function
        then: {
          url: "https://api.alumniq.example/warehouse/webhook/gifts",
          job_id: "jobId",
          secrets: { apiKey: "***" },
        },
      });
      expect(byType.sftp).toMatchObject({
        name: "Nightly SFTP",
        url: "sftp://acme:***@files.acme.example:2222/incoming",
        login: "password",
        host_key: HOST_KEY,
      });
      // Nothing write-only comes back.
      const listed = JSON.stringify(targets);
      for (const secret of ["qa-secret-key-value", "alumniq-api-key-123", "s3cret"])
        expect(listed).not.toContain(secret);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
