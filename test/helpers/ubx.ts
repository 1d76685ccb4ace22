import { expect } from "vitest";

/**
 * A UBX simple batch with the values the UBX reference gives as examples (its "Event subscription over HTTP"
 * section: loginID jsmith@example.com, ibmcartPurchase, 2015-02-28T20:16:12Z, orderTotal 125.53 as a number).
 */
export const UBX_PUBLISH = {
  channel: "mobile",
  identifiers: [
    { name: "loginID", value: "jsmith@example.com" },
    { name: "cookieId", value: "c-8812" },
  ],
  events: [
    {
      code: "ibmcartPurchase",
      timestamp: "2015-02-28T20:16:12Z",
      attributes: [
        { name: "orderTotal", value: 125.53, type: "number" },
        { name: "giftWrap", value: false, type: "boolean" },
        { name: "orderId", value: "ord-1001", type: "string" },
      ],
    },
  ],
};

/** UBX_PUBLISH as the `ubx` preset pushes it back, checked field by field against the reference's JSON structure. */
export function expectUbxPushOfPublish(body: any, expected: { provider: string; source: string }): void {
  expect(Object.keys(body)).toEqual(["provider", "source", "channel", "x1id", "identifiers", "events"]);
  expect(body.provider).toBe(expected.provider);
  expect(body.source).toBe(expected.source);
  expect(body.channel).toBe("mobile");
  expect(body.x1id).toBe("jsmith@example.com");
  expect(body.identifiers).toEqual([
    { name: "loginID", value: "jsmith@example.com", isOriginal: true },
    { name: "cookieId", value: "c-8812", isOriginal: true },
  ]);
  expect(body.events).toHaveLength(1);
  const [event] = body.events;
  expect(Object.keys(event)).toEqual(["code", "timestamp", "attributes"]);
  expect(event.code).toBe("ibmcartPurchase");
  expect(event.timestamp).toBe("2015-02-28T20:16:12Z");
  // Values always as strings, the type beside them.
  expect(event.attributes).toEqual([
    { name: "orderTotal", value: "125.53", type: "number" },
    { name: "giftWrap", value: "false", type: "boolean" },
    { name: "orderId", value: "ord-1001", type: "string" },
  ]);
}
