// A loopback HTTP subscriber for tests, the demo and the bench. Each path under /hooks/{name} is a mailbox that
// records what arrives, answers as scripted, checks Standard Webhooks signatures when given the secret, and checks
// expected headers (e.g. the destination's credentials) when given `expectHeaders`.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

/**
 * @typedef {{ status?: number, headers?: Record<string, string>, body?: string, delayMs?: number }} Scripted
 * @typedef {{ secret?: string, script?: Scripted[], otherwise?: Scripted, expectHeaders?: Record<string, string> }} MailboxConfig
 * MailboxConfig may also hold `issueTokens: { expiresIn?: number }` (the mailbox is an OAuth 2 token endpoint that
 * hands out numbered tokens) and `acceptTokensFrom: "<mailbox>"` (401 unless the bearer token is one that mailbox
 * issued and has not expired); a scripted answer still comes first.
 */

export async function startSink({ port = 0, host = "127.0.0.1" } = {}) {
  /** @type {Map<string, { config: MailboxConfig, requests: any[], served: number }>} */
  const mailboxes = new Map();
  const mailbox = (name) => {
    let box = mailboxes.get(name);
    if (!box) {
      box = { config: {}, requests: [], served: 0, issued: new Map() };
      mailboxes.set(name, box);
    }
    return box;
  };

  const issueToken = (box, name) => {
    const expiresIn = box.config.issueTokens.expiresIn ?? 3600;
    const token = `${name}-${box.issued.size + 1}`;
    box.issued.set(token, Date.now() + expiresIn * 1000);
    return { status: 200, body: JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: expiresIn }) };
  };

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString("utf8");
      const url = new URL(req.url ?? "/", `http://${host}`);
      const [, area, name] = url.pathname.split("/");
      const reply = (status, payload, headers = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
      };
      if (area === "_config" && req.method === "PUT") {
        mailbox(name).config = JSON.parse(body || "{}");
        return reply(200, { ok: true });
      }
      if (area === "_requests") {
        const box = mailbox(name);
        if (req.method === "DELETE") box.requests = [];
        return reply(200, box.requests);
      }
      if (area !== "hooks") return reply(404, { error: "unknown path" });
      const box = mailbox(name);
      let verified = null;
      if (box.config.secret) {
        try {
          new Webhook(box.config.secret).verify(body, {
            "webhook-id": String(req.headers["webhook-id"] ?? ""),
            "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""),
            "webhook-signature": String(req.headers["webhook-signature"] ?? ""),
          });
          verified = true;
        } catch {
          verified = false;
        }
      }
      // Header names are case-insensitive (node lowercases them); values must match exactly.
      const expected = Object.entries(box.config.expectHeaders ?? {});
      const headersOk = expected.length
        ? expected.every(([header, value]) => req.headers[header.toLowerCase()] === value)
        : null;
      const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
      const tokenOk = box.config.acceptTokensFrom
        ? (mailbox(box.config.acceptTokensFrom).issued.get(bearer) ?? 0) > Date.now()
        : null;
      const authorized = tokenOk === null ? headersOk : tokenOk && headersOk !== false;
      const scripted = box.config.script?.[box.served] ??
        (tokenOk === false ? { status: 401, body: '{"error":"invalid_token"}' } : null) ??
        (box.config.issueTokens ? issueToken(box, name) : null) ??
        box.config.otherwise ?? { status: 200 };
      box.served += 1;
      box.requests.push({
        at: Date.now(),
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
        // The bytes as they came (a file upload is not text): their count and hash.
        size: raw.length,
        sha256: createHash("sha256").update(raw).digest("hex"),
        verified,
        authorized,
        answered: scripted.status ?? 200,
      });
      const answer = () => {
        // The caller may have given up (timeout) or died meanwhile: nothing left to answer.
        if (res.destroyed) return;
        // "{n}" in a scripted body becomes this request's number in the mailbox: a CRM handing out new ids.
        const body = scripted.body?.replaceAll("{n}", String(box.served));
        reply(scripted.status ?? 200, body ?? { ok: true }, scripted.headers);
      };
      if (scripted.delayMs) setTimeout(answer, scripted.delayMs);
      else answer();
    });
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  const url = `http://${host}:${typeof address === "object" && address ? address.port : port}`;
  return {
    url,
    hook: (name) => `${url}/hooks/${name}`,
    /** Mailbox state, for in-process callers. */
    requests: (name) => mailbox(name).requests,
    configure: (name, config) => {
      mailbox(name).config = config;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve(undefined));
      }),
  };
}

// `npm run sink`: a standalone loopback subscriber on :9000 that prints what arrives, for trying Syndic by hand.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const port = Number(process.env.PORT || 9000);
  const sink = await startSink({ port });
  console.log(`sink listening: ${sink.url}/hooks/<name>  (requests recorded at ${sink.url}/_requests/<name>)`);
  const printed = new Map();
  setInterval(() => {
    for (const name of ["crm", "bi", "demo"]) {
      const seen = printed.get(name) ?? 0;
      const requests = sink.requests(name);
      for (const request of requests.slice(seen)) {
        console.log(
          `${new Date(request.at).toISOString()} ${request.method} ${request.path} webhook-id=${request.headers["webhook-id"]}`,
        );
        console.log(`  ${request.body}`);
      }
      printed.set(name, requests.length);
    }
  }, 250);
}
