import { describe, expect, it } from "vitest";
import { api, eventually, sinkRequests, tenant } from "../helpers/api";

describe("publish → route → deliver", () => {
  it("pushes a published CloudEvent to the destination, signed, and records the attempt", async () => {
    const t = await tenant();
    const published = await t.publish({
      specversion: "1.0",
      id: "order-1",
      source: "/lms",
      type: "courseCompletion",
      data: { user: "ada@example.com", title: "Rust" },
    });
    expect(published.status).toBe(202);
    expect(published.body.accepted).toBe(1);
    const [eventId] = published.body.ids;

    const [request] = await eventually(async () => {
      const requests = await sinkRequests(t.mailbox);
      return requests.length ? requests : null;
    });
    expect(request.verified).toBe(true);
    const pushed = JSON.parse(request.body);
    expect(pushed).toMatchObject({ id: eventId, type: "courseCompletion", data: { title: "Rust" } });

    const detail = await eventually(async () => {
      const event = await api("GET", `/v1/admin/events/${eventId}`);
      return event.body.deliveries[0]?.status === "sent" ? event.body : null;
    });
    const delivery = await api("GET", `/v1/admin/deliveries/${detail.deliveries[0].id}`);
    expect(delivery.body.attempts).toHaveLength(1);
    expect(delivery.body.attempts[0].status_code).toBe(200);
    expect(request.headers["webhook-id"]).toBe(delivery.body.id);
  });
});
