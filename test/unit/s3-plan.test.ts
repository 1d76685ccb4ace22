import { describe, expect, it } from "vitest";
import { ExactReader } from "../../src/transfer/exact-reader";
import { encodeKey, MAX_PARTS, objectKey, objectUrl, partLength, planParts } from "../../src/transfer/s3-plan";
import { completeMultipartXml, s3Error, xmlText } from "../../src/transfer/s3-xml";

const MiB = 1024 * 1024;

describe("object keys and URLs", () => {
  it("reads the prefix as a folder", () => {
    expect(objectKey("qa/warehouse/", "a.zip")).toBe("qa/warehouse/a.zip");
    expect(objectKey("qa/warehouse", "a.zip")).toBe("qa/warehouse/a.zip");
    expect(objectKey("/qa/warehouse/", "a.zip")).toBe("qa/warehouse/a.zip");
    expect(objectKey("", "a.zip")).toBe("a.zip");
  });

  it("encodes each segment the way SigV4 canonicalizes an S3 path", () => {
    expect(encodeKey("qa/Événements (1)+it's*.zip")).toBe("qa/%C3%89v%C3%A9nements%20%281%29%2Bit%27s%2A.zip");
    expect(encodeKey("a b/c~d_e-f.g")).toBe("a%20b/c~d_e-f.g");
  });

  it("builds path-style and virtual-hosted URLs, keeping a path on the endpoint", () => {
    const key = "qa/a b.zip";
    expect(objectUrl({ endpoint: "http://127.0.0.1:9000", bucket: "b", pathStyle: true }, key)).toBe(
      "http://127.0.0.1:9000/b/qa/a%20b.zip",
    );
    expect(objectUrl({ endpoint: "https://s3.us-east-1.amazonaws.com/", bucket: "b", pathStyle: false }, key)).toBe(
      "https://b.s3.us-east-1.amazonaws.com/qa/a%20b.zip",
    );
    expect(objectUrl({ endpoint: "https://gw.example/storage/", bucket: "b", pathStyle: true }, key)).toBe(
      "https://gw.example/storage/b/qa/a%20b.zip",
    );
  });
});

describe("part planning", () => {
  it("cuts 5 MiB parts with a shorter last one", () => {
    const size = 12 * MiB + 1;
    const plan = planParts(size);
    expect(plan).toEqual({ partSize: 5 * MiB, count: 3 });
    expect([1, 2, 3].map((n) => partLength(plan, size, n))).toEqual([5 * MiB, 5 * MiB, 2 * MiB + 1]);
  });

  it("grows parts in whole MiB to stay within 10,000 parts", () => {
    const size = 100 * 1024 * MiB; // 100 GiB
    const plan = planParts(size);
    expect(plan.partSize % MiB).toBe(0);
    expect(plan.partSize).toBeGreaterThan(5 * MiB);
    expect(plan.count).toBeLessThanOrEqual(MAX_PARTS);
    expect((plan.count - 1) * plan.partSize).toBeLessThan(size);
    expect(partLength(plan, size, plan.count)).toBeGreaterThan(0);
  });

  it("plans an exact multiple without an empty last part", () => {
    const plan = planParts(10 * MiB);
    expect(plan).toEqual({ partSize: 5 * MiB, count: 2 });
    expect(partLength(plan, 10 * MiB, 2)).toBe(5 * MiB);
  });
});

describe("S3 XML", () => {
  it("reads S3's error code and message", () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access &amp; more &lt;denied&gt;</Message><RequestId>1</RequestId></Error>';
    expect(s3Error(xml)).toEqual({ code: "AccessDenied", message: "Access & more <denied>" });
    expect(s3Error("<InitiateMultipartUploadResult><UploadId>x</UploadId></InitiateMultipartUploadResult>")).toBeNull();
    expect(s3Error("not xml at all")).toBeNull();
  });

  it("reads the first element of a name, unescaped", () => {
    const xml = '<R xmlns="x"><UploadId>a&amp;b&#x2F;c&#61;</UploadId><ETag>&quot;abc-3&quot;</ETag></R>';
    expect(xmlText(xml, "UploadId")).toBe("a&b/c=");
    expect(xmlText(xml, "ETag")).toBe('"abc-3"');
    expect(xmlText(xml, "Missing")).toBeNull();
  });

  it("writes the completion document in part order, escaped", () => {
    expect(
      completeMultipartXml([
        { number: 1, etag: '"a"' },
        { number: 2, etag: '"b&<"' },
      ]),
    ).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        '<Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"b&amp;&lt;"</ETag></Part>' +
        "</CompleteMultipartUpload>",
    );
  });
});

function chunked(sizes: number[]): ReadableStream<Uint8Array> {
  let next = 0;
  let value = 0;
  return new ReadableStream({
    pull(controller) {
      if (next === sizes.length) return controller.close();
      const chunk = new Uint8Array(sizes[next++]);
      for (let i = 0; i < chunk.length; i++) chunk[i] = value++ & 0xff;
      controller.enqueue(chunk);
    },
  });
}

describe("ExactReader", () => {
  it("cuts pieces across chunk boundaries and finds the end", async () => {
    const reader = new ExactReader(chunked([3, 0, 7, 1, 9]), new AbortController().signal);
    const first = await reader.read(5);
    expect([...first]).toEqual([0, 1, 2, 3, 4]);
    const second = await reader.read(10);
    expect([...second]).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(await reader.atEnd()).toBe(false);
    expect((await reader.read(100)).length).toBe(5);
    expect(reader.consumed).toBe(20);
    expect(await reader.atEnd()).toBe(true);
  });

  it("gives up on a stalled source when the signal aborts", async () => {
    const controller = new AbortController();
    const stalled = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
    const reader = new ExactReader(stalled, controller.signal);
    const reading = reader.read(10);
    controller.abort(new Error("deadline"));
    await expect(reading).rejects.toThrow("deadline");
    await reader.close();
  });
});
