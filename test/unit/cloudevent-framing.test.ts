import { HTTP, type CloudEvent as SdkEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import {
  decodeHeaderValue,
  encodeHeaderValue,
  frameCloudEvent,
  isJsonMediaType,
} from "../../src/pipeline/cloudevent-framing";

const event = {
  specversion: "1.0",
  id: "evt_01",
  source: "/sources/src_1",
  type: "courseCompletion",
  time: "2026-11-21T10:00:00.000Z",
  subject: "Zoë Ünal",
  datacontenttype: "application/json",
  tenant: "acme",
  attempt: 3,
  beta: true,
  originid: "c-1",
  data: { user: "ada@example.com", score: 0.9 },
};
const body = JSON.stringify(event);

describe("CloudEvent framing for pushes", () => {
  it("json mode sends the body as built, as application/json", () => {
    expect(frameCloudEvent("json", event.id, body)).toEqual({ headers: { "content-type": "application/json" }, body });
  });

  it("structured mode sends the same CloudEvent JSON as application/cloudevents+json, which the SDK reads", () => {
    const framed = frameCloudEvent("structured", event.id, body);
    expect(framed).toEqual({ headers: { "content-type": "application/cloudevents+json" }, body });
    const read = HTTP.toEvent({ headers: framed.headers, body: framed.body }) as SdkEvent;
    expect({ ...read }).toEqual(event);
  });

  it("binary mode puts every attribute and extension in a ce- header and the data alone in the body", () => {
    const framed = frameCloudEvent("binary", event.id, body);
    expect(framed.headers).toEqual({
      "ce-specversion": "1.0",
      "ce-id": "evt_01",
      "ce-source": "/sources/src_1",
      "ce-type": "courseCompletion",
      "ce-time": "2026-11-21T10:00:00.000Z",
      "ce-subject": "Zo%C3%AB%20%C3%9Cnal",
      "ce-tenant": "acme",
      "ce-attempt": "3",
      "ce-beta": "true",
      "ce-originid": "c-1",
      "content-type": "application/json",
    });
    expect(JSON.parse(framed.body)).toEqual(event.data);
    const read = HTTP.toEvent({ headers: framed.headers, body: framed.body }) as SdkEvent;
    expect(read.data).toEqual(event.data);
    expect([read.id, read.type, read.source, read.time, read.tenant]).toEqual([
      event.id,
      event.type,
      event.source,
      event.time,
      "acme",
    ]);
  });

  it("binary mode keeps text data as text, sends no body without data, and labels data a type cannot hold as JSON", () => {
    const text = frameCloudEvent(
      "binary",
      "e",
      JSON.stringify({ ...event, id: "e", datacontenttype: "text/plain", data: "hi" }),
    );
    expect([text.headers["content-type"], text.body]).toEqual(["text/plain", "hi"]);
    const empty = frameCloudEvent("binary", "e", JSON.stringify({ ...event, id: "e", data: null }));
    expect([empty.headers["content-type"], empty.body]).toEqual(["application/json", ""]);
    const mislabelled = { ...event, id: "e", datacontenttype: "text/plain", data: { a: 1 } };
    const json = frameCloudEvent("binary", "e", JSON.stringify(mislabelled));
    expect([json.headers["content-type"], json.body]).toEqual(["application/json", '{"a":1}']);
    const vendor = { ...event, id: "e", datacontenttype: "application/vnd.acme+json", data: "x" };
    expect(frameCloudEvent("binary", "e", JSON.stringify(vendor)).body).toBe('"x"');
  });

  it("frames only the delivery's own CloudEvent: a transform's output stays application/json in every mode", () => {
    const outputs = [
      JSON.stringify({ email: "ada@example.com" }),
      JSON.stringify({ ...event, id: "evt_other" }),
      JSON.stringify({ specversion: "1.0", id: event.id }),
      JSON.stringify([event]),
      "not json",
    ];
    for (const mode of ["structured", "binary"]) {
      for (const output of outputs) {
        expect(frameCloudEvent(mode, event.id, output)).toEqual({
          headers: { "content-type": "application/json" },
          body: output,
        });
      }
    }
  });
});

describe("HTTP binding header values", () => {
  it("percent-encodes space, double quote, percent and non-ASCII as UTF-8, upper-case (§3.1.3.2)", () => {
    expect(encodeHeaderValue("Euro € 😀")).toBe("Euro%20%E2%82%AC%20%F0%9F%98%80");
    expect(encodeHeaderValue('say "100%"')).toBe("say%20%22100%25%22");
    expect(encodeHeaderValue("a\r\nb\tc")).toBe("a%0D%0Ab%09c");
    expect(encodeHeaderValue("/a/b?c=d&e#f")).toBe("/a/b?c=d&e#f");
  });

  it("decodes once, accepts lower case and quoted strings, and refuses invalid UTF-8", () => {
    for (const value of ["Euro € 😀", 'say "100%"', "%41 literal", "tab\tand\nnewline"]) {
      expect(decodeHeaderValue(encodeHeaderValue(value))).toBe(value);
    }
    expect(decodeHeaderValue("caf%c3%a9")).toBe("café");
    expect(decodeHeaderValue('"quoted \\"value\\""')).toBe('quoted "value"');
    expect(decodeHeaderValue("%2541")).toBe("%41");
    expect(decodeHeaderValue("%C0%A0")).toBeNull();
    expect(decodeHeaderValue("50% off, 100%")).toBe("50% off, 100%");
    expect(decodeHeaderValue("%FF")).toBeNull();
  });

  it("knows JSON media types, suffixes and parameters included", () => {
    for (const type of ["application/json", "Application/JSON; charset=utf-8", "application/vnd.acme.v2+json"]) {
      expect(isJsonMediaType(type)).toBe(true);
    }
    for (const type of ["text/plain", "application/octet-stream", "application/jsonx", "json", ""]) {
      expect(isJsonMediaType(type)).toBe(false);
    }
  });
});
