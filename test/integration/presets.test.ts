import { describe, expect, it } from "vitest";
import { api, eventually, sinkRequests, tenant } from "../helpers/api";
import { expectUbxPushOfPublish, UBX_PUBLISH } from "../helpers/ubx";

type Tenant = Awaited<ReturnType<typeof tenant>>;

async function withStep(t: Tenant, step: Record<string, unknown>) {
  const patched = await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, {
    steps: [{ destination_id: t.destination.id, ...step }],
  });
  expect(patched.status).toBe(200);
}

async function pushedBody(t: Tenant, body: unknown) {
  const published = await t.publish(body);
  expect(published.status).toBe(202);
  const [request] = await eventually(async () => {
    const requests = await sinkRequests(t.mailbox);
    return requests.length ? requests : null;
  });
  expect(request.verified).toBe(true);
  return JSON.parse(request.body);
}

describe("step presets", () => {
  it("pushes a published UBX event as the UBX push body, field by field", async () => {
    const t = await tenant();
    await withStep(t, { preset: "ubx" });
    const body = await pushedBody(t, UBX_PUBLISH);
    expectUbxPushOfPublish(body, { provider: "Syndic", source: `/sources/${t.source.id}` });
  });

  it("gives a transform after the flat preset the dotted keys as its input", async () => {
    const t = await tenant();
    await withStep(t, {
      preset: "flat",
      transform: "{ 'user': `data.userDetail.id`, 'first_sku': `data.items.0.sku`, 'keys': $count($keys($)) }",
    });
    const body = await pushedBody(t, {
      specversion: "1.0",
      id: "order-7",
      source: "/shop",
      type: "order.placed",
      data: { userDetail: { id: "u-1" }, items: [{ sku: "A" }, { sku: "B" }] },
    });
    // specversion, id, source, type, time, datacontenttype, originid and the three data leaves.
    expect(body).toEqual({ user: "u-1", first_sku: "A", keys: 10 });
  });

  it("refuses an unknown preset, naming the field, and documents the three in /openapi.json", async () => {
    const t = await tenant();
    const refused = await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, {
      steps: [{ destination_id: t.destination.id, preset: "xml" }],
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((error: { path: string }) => error.path)).toEqual(["/steps/0/preset"]);

    const doc = await api("GET", "/openapi.json");
    const text = JSON.stringify(doc.body.components.schemas.SubscriptionInput);
    const preset = /"preset":(\{[^{}]*\})/.exec(text);
    expect(preset).not.toBeNull();
    expect(JSON.parse(preset![1]).enum).toEqual(["cloudevent", "flat", "ubx"]);
  });
});
