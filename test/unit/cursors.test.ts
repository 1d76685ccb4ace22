import { describe, expect, it } from "vitest";
import { chunk, decodeCursor, encodeCursor, toPage } from "../../src/db/util";
import { decodeJsonCursor, encodeJsonCursor } from "../../src/lib/cursor";

const ID = "dlv_01jfq3zv7k8m2n4p6r8s0t2v4w";

describe("id cursors", () => {
  it("round-trip an id as unpadded base64url", () => {
    const cursor = encodeCursor(ID);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toBe(ID);
  });

  it("decode to null, never a throw, for anything that is not an encoded id", () => {
    expect(decodeCursor(undefined)).toBeNull();
    expect(decodeCursor("")).toBeNull();
    expect(decodeCursor("!!not base64!!")).toBeNull();
    expect(decodeCursor(encodeCursor("not-an-id"))).toBeNull();
    expect(decodeCursor(encodeCursor(`${ID}' OR 1=1 --`))).toBeNull();
    expect(decodeCursor(encodeCursor(ID).slice(0, -3))).toBeNull();
  });
});

describe("pages", () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `evt_${String(i).padStart(26, "0")}` }));

  it("a page fetched with limit + 1 rows says where the next one starts", () => {
    const page = toPage(rows(4), 3);
    expect(page.data.map((row) => row.id)).toEqual(rows(3).map((row) => row.id));
    expect(decodeCursor(page.next_cursor!)).toBe(rows(3)[2].id);
  });

  it("the last page has no cursor", () => {
    expect(toPage(rows(3), 3)).toEqual({ data: rows(3), next_cursor: null });
    expect(toPage([], 3)).toEqual({ data: [], next_cursor: null });
  });

  it("multi-row writes are chunked to the size asked, nothing dropped", () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 2)).toEqual([]);
  });
});

describe("JSON cursors (keys that are not ids)", () => {
  it("round-trip any Unicode, which btoa alone cannot", () => {
    const key = ["crm", "顧客-42 🎉", 'quote " and \\ backslash'];
    const cursor = encodeJsonCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeJsonCursor(cursor)).toEqual(key);
  });

  it("decode to null, never a throw, for anything forged, truncated or not base64url", () => {
    expect(decodeJsonCursor(undefined)).toBeNull();
    expect(decodeJsonCursor("")).toBeNull();
    expect(decodeJsonCursor("%%%")).toBeNull();
    expect(decodeJsonCursor(encodeJsonCursor(["a", "b"]).slice(0, -2))).toBeNull();
    // Valid base64url, but not UTF-8: the decoder is fatal rather than guessing.
    expect(decodeJsonCursor("_w")).toBeNull();
  });
});
