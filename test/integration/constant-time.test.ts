import { describe, expect, it } from "vitest";
import { constantTimeEqual } from "../../src/auth/secrets";

// In workerd, not test/unit/: crypto.subtle.timingSafeEqual is a Workers extension that Node's WebCrypto lacks.
describe("signatures", () => {
  it("compares in constant time", async () => {
    expect(await constantTimeEqual("abc", "abc")).toBe(true);
    expect(await constantTimeEqual("abc", "abd")).toBe(false);
    expect(await constantTimeEqual("abc", "abcd")).toBe(false);
  });
});
