import { describe, expect, it } from "vitest";
import { ipInCidrs, parseCidr } from "../../src/lib/cidr";

describe("CIDR allowlists", () => {
  it("matches IPv4 ranges and single addresses", () => {
    expect(ipInCidrs("203.0.113.77", ["203.0.113.0/24"])).toBe(true);
    expect(ipInCidrs("203.0.114.1", ["203.0.113.0/24"])).toBe(false);
    expect(ipInCidrs("10.1.2.3", ["10.0.0.0/8", "192.168.0.0/16"])).toBe(true);
    expect(ipInCidrs("192.0.2.1", ["192.0.2.1"])).toBe(true);
    expect(ipInCidrs("192.0.2.2", ["192.0.2.1"])).toBe(false);
    expect(ipInCidrs("1.2.3.4", ["0.0.0.0/0"])).toBe(true);
  });

  it("matches IPv6 ranges and IPv4-mapped addresses", () => {
    expect(ipInCidrs("2001:db8::1", ["2001:db8::/32"])).toBe(true);
    expect(ipInCidrs("2001:db9::1", ["2001:db8::/32"])).toBe(false);
    expect(ipInCidrs("::ffff:203.0.113.9", ["203.0.113.0/24"])).toBe(true);
    expect(ipInCidrs("::1", ["::1/128"])).toBe(true);
  });

  it("refuses what is not an address", () => {
    expect(ipInCidrs("not-an-ip", ["0.0.0.0/0"])).toBe(false);
    expect(ipInCidrs("256.1.1.1", ["0.0.0.0/0"])).toBe(false);
    expect(parseCidr("10.0.0.0/33")).toBeNull();
    expect(parseCidr("2001:db8::/129")).toBeNull();
  });
});
