import { describe, expect, it } from "vitest";
import { api, eventually, sinkRequests, tenant } from "../helpers/api";

const preview = (body: unknown) => api("POST", "/v1/admin/preview", body);

const ORDER = {
  specversion: "1.0",
  id: "order-7",
  source: "/shop",
  type: "order.placed",
  subject: "learner-42",
  data: { total: 120, userDetail: { id: "u-1" }, items: [{ sku: "A" }, { sku: "B" }] },
};

/** A tenant with one stored event (ORDER) and what its step pushed for it. */
async function storedOrder(step: Record<string, unknown> = {}) {
  const t = await tenant();
  const patched = await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, {
    steps: [{ destination_id: t.destination.id, ...step }],
  });
  expect(patched.status).toBe(200);
  const published = await t.publish(ORDER);
  expect(published.status).toBe(202);
  const [pushed] = await eventually(async () => {
    const requests = await sinkRequests(t.mailbox);
    return requests.length ? requests : null;
  });
  return { ...t, eventId: published.body.ids[0] as string, pushed: JSON.parse(pushed.body) };
}

describe("POST /v1/admin/preview", () => {
  it("gives a filter's value and routing's verdict, on a stored and on a pasted event", async () => {
    const t = await storedOrder();
    const yes = await preview({ filter: "data.total > 100", event_id: t.eventId });
    expect(yes).toMatchObject({ status: 200, body: { result: true, matched: true } });
    const no = await preview({ filter: "data.total > 500", event: ORDER });
    expect(no).toMatchObject({ status: 200, body: { result: false, matched: false } });
    // Nothing at all (no such field) is JSONata's empty sequence: no result, and the event does not pass.
    const nothing = await preview({ filter: "data.missing", event: ORDER });
    expect(nothing.body).toEqual({ matched: false });
  });

  it("runs a transform after a preset exactly as the step pushed it, and counts its bytes", async () => {
    const step = { preset: "flat", transform: "{ 'user': `data.userDetail.id`, 'first_sku': `data.items.0.sku` }" };
    const t = await storedOrder(step);
    const stored = await preview({ ...step, event_id: t.eventId });
    expect(stored.status).toBe(200);
    expect(stored.body.result).toEqual(t.pushed);
    expect(stored.body.bytes).toBe(JSON.stringify(t.pushed).length);
    // A pasted event is shaped as ingest stores it: Syndic's id, the publisher's as originid.
    const pasted = await preview({ transform: "{ 'id': id, 'originid': originid, 'subject': subject }", event: ORDER });
    expect(pasted.body.result).toEqual({ id: "evt_preview", originid: "order-7", subject: "learner-42" });
    const presetOnly = await preview({ preset: "ubx", event_id: t.eventId });
    expect(presetOnly.body.result).toMatchObject({ x1id: "learner-42", events: [{ code: "order.placed" }] });
  });

  it("previews a transform on the plain envelope a publisher may send", async () => {
    const res = await preview({ transform: "type & ':' & data.n", event: { type: "lesson.done", data: { n: 3 } } });
    expect(res.body.result).toBe("lesson.done:3");
  });

  it("evaluates an identity's local_id on the event and its remote_id on a create's answer", async () => {
    const local = await preview({ identity: { local_id: "subject" }, event: ORDER });
    expect(local.body).toEqual({ result: "learner-42" });
    const none = await preview({ identity: { local_id: "data.nobody" }, event: ORDER });
    expect(none.status).toBe(200);
    expect(none.body.error.message).toBe("identity.local_id (data.nobody) gave no id for this event");
    const remote = await preview({ identity: { remote_id: "contact.id", response: { contact: { id: "crm-9" } } } });
    expect(remote.body).toEqual({ result: "crm-9" });
  });

  it("stops a runaway expression with the limit error the pipeline records", async () => {
    const runaway = "$sum([1..100000000])";
    const res = await preview({ transform: runaway, event: ORDER });
    expect(res.status).toBe(200);
    expect(res.body.error.limit).toBe("sequence");
    expect(res.body.error.message).toMatch(/^the expression exceeded its sequence limit/);
    // The same words the save-time trial run (the pipeline's evaluator, on a sample) answers with.
    const t = await tenant();
    const saved = await api("PATCH", `/v1/admin/subscriptions/${t.subscription.id}`, {
      steps: [{ destination_id: t.destination.id, transform: runaway }],
    });
    expect(saved.status).toBe(422);
    expect(saved.body.errors[0].message).toBe(`${res.body.error.message}, when run once against a sample event`);
    const deep = await preview({
      filter: "($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))",
      event: ORDER,
    });
    expect(deep.body.error.limit).toMatch(/^(depth|steps)$/);
  });

  it("shows where a run-time error happened", async () => {
    const res = await preview({ transform: "$number('x') + 1", event: ORDER });
    expect(res.status).toBe(200);
    expect(typeof res.body.error.position).toBe("number");
    expect(res.body.error.message).toMatch(/position \d+/);
  });

  it("answers text that does not compile with 422 naming the field and the position", async () => {
    const res = await preview({ filter: "data.total >", event: ORDER });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe("/filter");
    expect(res.body.errors[0].message).toMatch(/does not compile at position \d+/);
    const regex = await preview({ transform: "$match(data.x, /(a+)+$/)", event: ORDER });
    expect(regex.status).toBe(422);
    expect(regex.body.errors[0].path).toBe("/transform");
  });

  it("answers an unknown event id with 404 and any event of any tenant with its preview", async () => {
    const unknown = await preview({ filter: "true", event_id: "evt_00000000000000000000000000" });
    expect(unknown.status).toBe(404);
    expect((await preview({ filter: "true", event_id: "' OR 1=1 --" })).status).toBe(404);
    // The admin sees every tenant: another tenant's event is previewed like any other.
    const other = await storedOrder();
    const res = await preview({ filter: "subject", event_id: other.eventId });
    expect(res.body).toEqual({ result: "learner-42", matched: true });
  });

  it("refuses requests that are wrong with 422 naming the field", async () => {
    const cases: Array<[unknown, string]> = [
      [{ event: ORDER }, "/"],
      [{ filter: "true", transform: "$", event: ORDER }, "/"],
      [{ filter: "true" }, "/event_id"],
      [{ filter: "true", event: ORDER, event_id: "evt_x" }, "/event_id"],
      [{ filter: "true", event: { specversion: "1.0", id: "x", source: "/s" } }, "/event/type"],
      [{ filter: "true", event: { data: {} } }, "/event/type"],
      [{ identity: { remote_id: "id" } }, "/identity/response"],
      [{ identity: {}, event: ORDER }, "/identity"],
      [{ preset: "xml", event: ORDER }, "/preset"],
      [{ filter: "x".repeat(20_001), event: ORDER }, "/filter"],
    ];
    for (const [body, path] of cases) {
      const res = await preview(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(res.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    }
  });

  it("refuses hostile input before evaluating it", async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { a: deep };
    const nested = await preview({ filter: "true", event: { type: "x", data: deep } });
    expect(nested.status).toBe(422);
    const huge = await preview({ filter: "true", event: { type: "x", data: "x".repeat(2 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
    // A result too big to show is left out, but the verdict still stands.
    const big = await preview({ filter: "$pad('', 300000, 'x')", event: ORDER });
    expect(big.body).toEqual({ matched: true, result_omitted: "the result is over 256 KiB of JSON" });
  });
});
