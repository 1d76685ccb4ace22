import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { applyAuth, type OutboundRequest } from "../../src/auth/outbound";
import { AuthConfigError } from "../../src/domain/errors";

const context = { tokens: { get: async () => null, put: async () => {}, drop: async () => {} } };
const request: OutboundRequest = {
  url: "https://crm.example/api/events",
  method: "POST",
  headers: { "content-type": "application/json" },
  body: "{}",
};

function pem(label: string, der: ArrayBuffer): string {
  const base64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

async function keyPair(algorithm: "RS256" | "ES256") {
  const params =
    algorithm === "RS256"
      ? { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }
      : { name: "ECDSA", namedCurve: "P-256" };
  const pair = (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
  return {
    privatePem: pem("PRIVATE KEY", (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer),
    publicKey: await importSPKI(
      pem("PUBLIC KEY", (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer),
      algorithm,
    ),
  };
}

function bearer(signed: OutboundRequest): string {
  const match = /^Bearer (.+)$/.exec(signed.headers.authorization);
  expect(match).not.toBeNull();
  return match![1];
}

const claims = { iss: "syndic", aud: "crm.example", sub: "acme", tenant: { id: 7 } };

describe("JWT bearer auth", () => {
  const cases = [
    {
      algorithm: "HS256" as const,
      keys: async () => ({ key: "a shared secret ✓", verifyWith: new TextEncoder().encode("a shared secret ✓") }),
    },
    ...(["RS256", "ES256"] as const).map((algorithm) => ({
      algorithm,
      keys: async () => {
        const { privatePem, publicKey } = await keyPair(algorithm);
        return { key: privatePem, verifyWith: publicKey };
      },
    })),
  ];

  for (const { algorithm, keys } of cases) {
    it(`${algorithm}: a fresh token per request with the claims, iat, exp = iat + ttl and a unique jti`, async () => {
      const { key, verifyWith } = await keys();
      const auth = { type: "jwt" as const, algorithm, key, claims, ttl: 120 };
      const before = Math.floor(Date.now() / 1000);
      const first = bearer(await applyAuth(request, auth, context));
      const second = bearer(await applyAuth(request, auth, context));
      const after = Math.floor(Date.now() / 1000);
      expect(first).not.toBe(second);

      expect(decodeProtectedHeader(first)).toEqual({ alg: algorithm, typ: "JWT" });
      const { payload } = await jwtVerify(first, verifyWith, {
        algorithms: [algorithm],
        issuer: "syndic",
        audience: "crm.example",
        subject: "acme",
      });
      const { payload: payload2 } = await jwtVerify(second, verifyWith, { algorithms: [algorithm] });
      expect(payload).toMatchObject(claims);
      expect(payload.iat).toBeGreaterThanOrEqual(before);
      expect(payload.iat).toBeLessThanOrEqual(after);
      expect(payload.exp).toBe(payload.iat! + 120);
      expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
      expect(payload2.jti).not.toBe(payload.jti);
    });
  }

  it("takes its clock from the context and lets iat/exp/jti win over configured claims", async () => {
    const now = Date.UTC(2030, 0, 1, 0, 0, 0);
    const signed = await applyAuth(
      request,
      { type: "jwt", algorithm: "HS256", key: "k", claims: { iat: 1, exp: 2, jti: "fixed", iss: "x" }, ttl: 300 },
      { ...context, now: () => now },
    );
    const { payload } = await jwtVerify(bearer(signed), new TextEncoder().encode("k"), {
      currentDate: new Date(now + 1000),
    });
    expect(payload.iat).toBe(now / 1000);
    expect(payload.exp).toBe(now / 1000 + 300);
    expect(payload.jti).not.toBe("fixed");
    expect(payload.iss).toBe("x");
  });

  it("a key that is not a usable PKCS#8 PEM is an AuthConfigError, not a crash", async () => {
    await expect(
      applyAuth(request, { type: "jwt", algorithm: "RS256", key: "not a pem", claims: {}, ttl: 60 }, context),
    ).rejects.toBeInstanceOf(AuthConfigError);
    const { privatePem } = await keyPair("ES256");
    const wrongType = applyAuth(
      request,
      { type: "jwt", algorithm: "RS256", key: privatePem, claims: {}, ttl: 60 },
      context,
    );
    await expect(wrongType).rejects.toBeInstanceOf(AuthConfigError);
    await expect(wrongType).rejects.toThrow(/PKCS#8/);
  });
});
