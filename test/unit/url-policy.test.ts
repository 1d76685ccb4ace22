import { describe, expect, it } from "vitest";
import { Problem } from "../../src/lib/problem";
import { assertTargetUrls } from "../../src/lib/url-policy";

const production = { ALLOW_INSECURE_URLS: "false" } as Env;
const local = { ALLOW_INSECURE_URLS: "true" } as Env;

describe("outbound URL policy", () => {
  it("allows only https to public hosts in production, naming the field otherwise", () => {
    expect(() => assertTargetUrls(production, [{ path: "/url", url: "https://crm.example/api" }])).not.toThrow();
    for (const url of [
      "http://crm.example/api",
      "https://127.0.0.1:9000/x",
      "https://localhost/x",
      "https://[::1]/x",
    ]) {
      try {
        assertTargetUrls(production, [{ path: "/url", url }]);
        expect.unreachable(url);
      } catch (error) {
        expect(error).toBeInstanceOf(Problem);
        expect((error as Problem).status).toBe(422);
        expect((error as Problem).errors?.[0].path).toBe("/url");
      }
    }
  });

  it("allows http and loopback when ALLOW_INSECURE_URLS is true", () => {
    expect(() => assertTargetUrls(local, [{ path: "/url", url: "http://127.0.0.1:9000/hooks" }])).not.toThrow();
  });
});
