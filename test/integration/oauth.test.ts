import { importSPKI, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { applyAuth, type CachedToken, forgetCredentials, memoryTokenCache } from "../../src/auth/outbound";
import { TokenError } from "../../src/domain/errors";
import {
  api,
  deliveryOf,
  type RecordedRequest,
  sinkConfigure,
  sinkRequests,
  sinkUrl,
  tenant,
  unique,
} from "../helpers/api";
import { oauth1Signature } from "../helpers/oauth1";

type Tenant = Awaited<ReturnType<typeof tenant>>;
interface Attempt {
  n: number;
  status_code: number | null;
  error: string | null;
}

async function attemptsOf(deliveryId: string): Promise<Attempt[]> {
  return (await api("GET", `/v1/admin/deliveries/${deliveryId}`)).body.attempts;
}

async function publish(t: Tenant, count = 1): Promise<string[]> {
  const res = await t.publish(Array.from({ length: count }, (_, i) => ({ type: "courseCompletion", data: { i } })));
  expect(res.status).toBe(202);
  return res.body.ids;
}

const sentAll = (ids: string[]) => Promise.all(ids.map((id) => deliveryOf(id, (status) => status === "sent")));

const header = (request: RecordedRequest, name: string) => String(request.headers[name] ?? "");

/** The sink's mailbox `tokbox` is the token endpoint; the destination accepts only tokens it issued (unless scripted). */
async function oauth2Tenant(
  options: {
    expiresIn?: number;
    tokenScript?: Array<Record<string, unknown>>;
    destination?: Record<string, unknown>;
    retry?: Record<string, number>;
  } = {},
) {
  const tokbox = unique("tok");
  const t = await tenant({
    destination: {
      auth: {
        type: "oauth2",
        token_url: `${sinkUrl()}/hooks/${tokbox}`,
        client_id: "syndic client",
        client_secret: "s3cr+t/ä:x",
        scope: "events:write contacts:read",
        audience: "https://crm.example",
      },
      retry: options.retry ?? { max_attempts: 3, initial_delay: 1, max_delay: 1 },
    },
  });
  await sinkConfigure(tokbox, { issueTokens: { expiresIn: options.expiresIn ?? 3600 }, script: options.tokenScript });
  await sinkConfigure(t.mailbox, {
    secret: t.destination.signing_secret,
    acceptTokensFrom: tokbox,
    ...options.destination,
  });
  return { ...t, tokbox, tokenRequests: () => sinkRequests(tokbox), pushes: () => sinkRequests(t.mailbox) };
}

describe("OAuth 2 client credentials on pushes", () => {
  it("fetches a token with a form body and Basic client auth, and pushes with it as a bearer", async () => {
    const t = await oauth2Tenant();
    const [eventId] = await publish(t);
    const delivery = await deliveryOf(eventId, (status) => status === "sent");
    expect(await attemptsOf(delivery.id)).toMatchObject([{ n: 1, status_code: 200, error: null }]);

    const [tokenRequest] = await t.tokenRequests();
    expect(tokenRequest.method).toBe("POST");
    expect(header(tokenRequest, "content-type")).toBe("application/x-www-form-urlencoded");
    const form = new URLSearchParams(tokenRequest.body);
    expect(Object.fromEntries(form)).toEqual({
      grant_type: "client_credentials",
      scope: "events:write contacts:read",
      audience: "https://crm.example",
    });
    // RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined by ":" and base64-encoded.
    const basic = /^Basic (.+)$/.exec(header(tokenRequest, "authorization"))![1];
    const [id, secret] = atob(basic).split(":");
    expect(atob(basic)).toBe("syndic+client:s3cr%2Bt%2F%C3%A4%3Ax");
    const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, " "));
    expect([formDecode(id), formDecode(secret)]).toEqual(["syndic client", "s3cr+t/ä:x"]);

    const [push] = await t.pushes();
    expect(header(push, "authorization")).toBe(`Bearer ${t.tokbox}-1`);
    expect(push.authorized).toBe(true);
    expect(push.verified).toBe(true);
    expect(push.headers["webhook-id"]).toBe(delivery.id);
  });

  it("reuses the cached token across deliveries, a concurrent burst included", async () => {
    const t = await oauth2Tenant();
    const burst = await publish(t, 6);
    await sentAll(burst);
    for (let i = 0; i < 3; i++) await sentAll(await publish(t));
    expect(await t.tokenRequests()).toHaveLength(1);
    const pushes = await t.pushes();
    expect(pushes).toHaveLength(9);
    expect(new Set(pushes.map((push) => header(push, "authorization")))).toEqual(new Set([`Bearer ${t.tokbox}-1`]));
  });

  it("refreshes a short-lived token before it expires: a few token requests, not one per delivery", async () => {
    const t = await oauth2Tenant({ expiresIn: 2 });
    const started = Date.now();
    const ids: string[] = [];
    let rounds = 0;
    // Keep pushes flowing for a few token lifetimes, in concurrent bursts.
    while (rounds < 3 || Date.now() - started < 6000) {
      const batch = await publish(t, 5);
      ids.push(...batch);
      await sentAll(batch);
      rounds += 1;
    }
    const deliveries = await sentAll(ids);
    expect(deliveries.every((delivery) => delivery.attempts === 1)).toBe(true);
    const tokenRequests = await t.tokenRequests();
    expect(tokenRequests.length).toBeGreaterThanOrEqual(2);
    expect(tokenRequests.length).toBeLessThanOrEqual(rounds + 1);
    expect(tokenRequests.length).toBeLessThan(ids.length / 2);
    // Fetched when the held token neared its end (1.8 s into its 2 s), never a burst of requests at once.
    for (let i = 1; i < tokenRequests.length; i++) {
      expect(tokenRequests[i].at - tokenRequests[i - 1].at).toBeGreaterThanOrEqual(1500);
    }
    const pushes = await t.pushes();
    // Every push carried a token the issuer still accepted: refreshed ahead of expiry, not after a 401.
    expect(pushes.filter((push) => !push.authorized)).toEqual([]);
    expect(pushes).toHaveLength(ids.length);
  });

  it("a 401 from the destination fetches a new token and sends again within the same attempt", async () => {
    const t = await oauth2Tenant({ destination: { script: [{ status: 401 }] } });
    const [eventId] = await publish(t);
    const delivery = await deliveryOf(eventId, (status) => status === "sent");
    expect(await attemptsOf(delivery.id)).toMatchObject([{ n: 1, status_code: 200, error: null }]);
    expect(await t.tokenRequests()).toHaveLength(2);
    const pushes = await t.pushes();
    expect(pushes.map((push) => [push.answered, header(push, "authorization")])).toEqual([
      [401, `Bearer ${t.tokbox}-1`],
      [200, `Bearer ${t.tokbox}-2`],
    ]);
    expect(new Set(pushes.map((push) => push.headers["webhook-id"]))).toEqual(new Set([delivery.id]));

    // The new token is the cached one now.
    await sentAll(await publish(t));
    expect(await t.tokenRequests()).toHaveLength(2);
  });

  it("sends again only once: a destination that keeps answering 401 ends the delivery dead", async () => {
    const t = await oauth2Tenant({ destination: { acceptTokensFrom: "nobody" } });
    const [eventId] = await publish(t);
    const delivery = await deliveryOf(eventId, (status) => status === "dead");
    const attempts = await attemptsOf(delivery.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0].status_code).toBe(401);
    expect(attempts[0].error).toContain("401");
    expect(await t.pushes()).toHaveLength(2);
    expect(await t.tokenRequests()).toHaveLength(2);
  });

  it("a token endpoint answering 500 is recorded on the attempt and retried", async () => {
    const t = await oauth2Tenant({ tokenScript: [{ status: 500, body: '{"error":"temporarily_unavailable"}' }] });
    const [eventId] = await publish(t);
    const delivery = await deliveryOf(eventId, (status) => status === "sent");
    const attempts = await attemptsOf(delivery.id);
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({ n: 1, status_code: null });
    expect(attempts[0].error).toBe("token endpoint answered 500 (temporarily_unavailable)");
    expect(attempts[1]).toMatchObject({ n: 2, status_code: 200, error: null });
    expect(await t.tokenRequests()).toHaveLength(2);
    const pushes = await t.pushes();
    expect(pushes).toHaveLength(1);
    expect(header(pushes[0], "authorization")).toBe(`Bearer ${t.tokbox}-1`);
  });

  it("a token endpoint refusing the client (4xx) ends the delivery dead at once, nothing pushed", async () => {
    const t = await oauth2Tenant({ tokenScript: [{ status: 401, body: '{"error":"invalid_client"}' }] });
    const [eventId] = await publish(t);
    const delivery = await deliveryOf(eventId, (status) => status === "dead");
    const attempts = await attemptsOf(delivery.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0].error).toBe("token endpoint answered 401 (invalid_client)");
    expect(delivery.last_error ?? attempts[0].error).toContain("token endpoint");
    expect(await t.pushes()).toHaveLength(0);
  });

  it("a token endpoint answering an oversized body ends the delivery dead, its excess never read", async () => {
    const huge = JSON.stringify({ access_token: "x".repeat(100 * 1024), token_type: "bearer" });
    const t = await oauth2Tenant({ tokenScript: [{ status: 200, body: huge }] });
    const [eventId] = await publish(t);
    const delivery = await deliveryOf(eventId, (status) => status === "dead");
    const attempts = await attemptsOf(delivery.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0].error).toBe("token endpoint answered with an oversized body");
    expect(await t.pushes()).toHaveLength(0);
  });
});

describe("OAuth 2 token lifetime and failures (auth module against the sink)", () => {
  const request = { url: "https://crm.example/x", method: "POST", headers: {}, body: "{}" };
  const oauth2 = (tokbox: string) => ({
    type: "oauth2" as const,
    token_url: `${sinkUrl()}/hooks/${tokbox}`,
    client_id: "id",
    client_secret: "secret",
  });
  const recording = () => {
    const cache = memoryTokenCache();
    const stored: CachedToken[] = [];
    return {
      stored,
      tokens: {
        ...cache,
        put: async (key: string, value: CachedToken) => {
          stored.push(value);
          await cache.put(key, value);
        },
      },
    };
  };

  it("refreshes when 10% of the lifetime is left, at most 60 s before expiry", async () => {
    for (const [expiresIn, margin] of [
      [100, 10_000],
      [3600, 60_000],
    ]) {
      const tokbox = unique("tok");
      await sinkConfigure(tokbox, { issueTokens: { expiresIn } });
      const cache = recording();
      const now = 1_000_000;
      await applyAuth(request, oauth2(tokbox), { tokens: cache.tokens, now: () => now });
      expect(cache.stored).toEqual([
        { token: `${tokbox}-1`, expiresAt: now + expiresIn * 1000, refreshAt: now + expiresIn * 1000 - margin },
      ]);
    }
  });

  it("keeps using a still-valid token when a refresh fails, and fails once it has expired", async () => {
    const tokbox = unique("tok");
    await sinkConfigure(tokbox, { issueTokens: { expiresIn: 100 } });
    const cache = recording();
    let now = 1_000_000;
    const context = { tokens: cache.tokens, now: () => now };
    const auth = oauth2(tokbox);
    const bearer = async () => (await applyAuth(request, auth, context)).headers.authorization;
    expect(await bearer()).toBe(`Bearer ${tokbox}-1`);
    now += 89_000;
    expect(await bearer()).toBe(`Bearer ${tokbox}-1`);
    expect(await sinkRequests(tokbox)).toHaveLength(1);

    await sinkConfigure(tokbox, { otherwise: { status: 503 } });
    await (await fetch(`${sinkUrl()}/_requests/${tokbox}`, { method: "DELETE" })).arrayBuffer();
    now += 2_000; // 91 s: past refreshAt (90 s), before expiry (100 s)
    expect(await bearer()).toBe(`Bearer ${tokbox}-1`);
    now += 10_000;
    const failure = await applyAuth(request, auth, context).catch((error) => error);
    expect(failure).toBeInstanceOf(TokenError);
    expect(failure).toMatchObject({ status: 503, retryable: true, message: "token endpoint answered 503" });
  });

  it("tells retryable failures (network, 429, 5xx) from the rest, and forgets tokens only for oauth2", async () => {
    const outcomes = [];
    for (const answer of [
      { status: 429, headers: { "retry-after": "7" } },
      { status: 400 },
      { status: 200, body: "{}" },
    ]) {
      const tokbox = unique("tok");
      await sinkConfigure(tokbox, { otherwise: answer });
      const error = await applyAuth(request, oauth2(tokbox), { tokens: memoryTokenCache() }).catch((e) => e);
      expect(error).toBeInstanceOf(TokenError);
      outcomes.push([error.status, error.retryable, error.retryAfter]);
    }
    expect(outcomes).toEqual([
      [429, true, 7],
      [400, false, null],
      [200, false, null],
    ]);
    const unreachable = { ...oauth2("x"), token_url: "http://127.0.0.1:1/token" };
    const network = await applyAuth(request, unreachable, { tokens: memoryTokenCache() }).catch((e) => e);
    expect(network).toMatchObject({ name: "TokenError", status: null, retryable: true });

    const tokbox = unique("tok");
    await sinkConfigure(tokbox, { issueTokens: {} });
    const context = { tokens: memoryTokenCache() };
    await applyAuth(request, oauth2(tokbox), context);
    expect(await forgetCredentials(oauth2(tokbox), context)).toBe(true);
    expect((await applyAuth(request, oauth2(tokbox), context)).headers.authorization).toBe(`Bearer ${tokbox}-2`);
    expect(await forgetCredentials({ type: "bearer", token: "t" }, context)).toBe(false);
  });
});

describe("OAuth 1.0a and JWT on pushes", () => {
  it("an oauth1 destination receives a verifiable Authorization: OAuth header (query parameters signed)", async () => {
    for (const signature_method of ["HMAC-SHA1", "HMAC-SHA256"] as const) {
      const t = await tenant({
        destination: {
          auth: {
            type: "oauth1",
            consumer_key: "ck-1",
            consumer_secret: "cs/1+",
            token: "tk-1",
            token_secret: "ts 1",
            signature_method,
          },
        },
      });
      const url = `${t.destination.url}?tenant=acme&tag=a+b&tag=c%2Fd`;
      const patched = await api("PATCH", `/v1/admin/subscribers/${t.subscriber.id}/destinations/${t.destination.id}`, {
        url,
      });
      expect(patched.status).toBe(200);
      await sentAll(await publish(t));
      const [push] = await sinkRequests(t.mailbox);
      expect(push.verified).toBe(true);
      expect(push.query.tenant).toBe("acme");
      const authorization = header(push, "authorization");
      const { oauth, expected } = await oauth1Signature("POST", url, authorization, "cs/1+", "ts 1");
      expect(oauth).toMatchObject({
        oauth_consumer_key: "ck-1",
        oauth_token: "tk-1",
        oauth_signature_method: signature_method,
      });
      expect(oauth.oauth_signature).toBe(expected);
    }
  });

  it("a jwt destination receives a fresh bearer JWT per push that verifies against the public key", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const toPem = (label: string, der: ArrayBuffer) =>
      `-----BEGIN ${label}-----\n${btoa(String.fromCharCode(...new Uint8Array(der)))
        .match(/.{1,64}/g)!
        .join("\n")}\n-----END ${label}-----`;
    const privatePem = toPem("PRIVATE KEY", (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
    const publicKey = await importSPKI(
      toPem("PUBLIC KEY", (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer),
      "ES256",
    );
    const t = await tenant({
      destination: {
        auth: { type: "jwt", algorithm: "ES256", key: privatePem, claims: { iss: "syndic", aud: "crm" }, ttl: 60 },
      },
    });
    await sentAll(await publish(t, 2));
    const pushes = await sinkRequests(t.mailbox);
    expect(pushes).toHaveLength(2);
    const payloads = await Promise.all(
      pushes.map(async (push) => {
        const token = /^Bearer (.+)$/.exec(header(push, "authorization"))![1];
        return (await jwtVerify(token, publicKey, { issuer: "syndic", audience: "crm", algorithms: ["ES256"] }))
          .payload;
      }),
    );
    for (const payload of payloads) expect(payload.exp).toBe(payload.iat! + 60);
    expect(payloads[0].jti).not.toBe(payloads[1].jti);
  });

  it("an unusable JWT key ends the delivery dead with a clear error", async () => {
    const t = await tenant({
      destination: {
        auth: {
          type: "jwt",
          algorithm: "RS256",
          key: "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----",
          claims: {},
          ttl: 60,
        },
      },
    });
    const [eventId] = await publish(t);
    const delivery = await deliveryOf(eventId, (status) => status === "dead");
    const attempts = await attemptsOf(delivery.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0].error).toContain("PKCS#8");
    expect(await sinkRequests(t.mailbox)).toHaveLength(0);
  });
});
