import { describe, expect, it } from "vitest";
import { Problem } from "../../src/lib/problem";
import { assertSendable, assertTargetUrls, BlockedUrlError, outboundUrlProblem } from "../../src/lib/url-policy";

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

describe("outbound URL policy, the forms that slip past a simple check", () => {
  const env = { ALLOW_INSECURE_URLS: "false", PUBLIC_BASE_URL: "https://relay.syndic.example" } as Env;
  it("refuses loopback, private and local hosts in every spelling", () => {
    for (const url of [
      "https://localhost./x",
      "https://api.localhost/x",
      "https://printer.local/x",
      "https://[::ffff:127.0.0.1]/x",
      "https://[::ffff:7f00:1]/x",
      "https://[::]/x",
      "https://0.0.0.0/x",
      "https://2130706433/x",
      "https://0x7f.1/x",
      "https://10.1.2.3/x",
      "https://172.20.0.1/x",
      "https://192.168.1.1/x",
      "https://169.254.169.254/latest/meta-data",
      "https://100.64.0.1/x",
      "https://[fd00::1]/x",
      "https://[fe80::1]/x",
      "https://intranet/x",
      "https://relay.syndic.example/v1/events",
      "https://RELAY.syndic.example./v1/events",
      "https://user:pass@crm.example/x",
    ]) {
      expect(outboundUrlProblem(env, url), url).not.toBeNull();
      expect(() => assertSendable(env, url), url).toThrow(BlockedUrlError);
    }
  });

  it("allows public hosts and addresses", () => {
    for (const url of [
      "https://crm.example/api",
      "https://203.0.113.7/x",
      "https://[2001:db8::1]/x",
      "https://8.8.8.8/",
    ]) {
      expect(outboundUrlProblem(env, url), url).toBeNull();
    }
  });
});
