// A loopback HTTP subscriber for tests, the demo and the bench. Each path under /hooks/{name} is a mailbox that
// records what arrives, answers as scripted, checks Standard Webhooks signatures when given the secret, and checks
// expected headers (e.g. the destination's credentials) when given `expectHeaders`.
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

/**
 * @typedef {{ status?: number, headers?: Record<string, string>, body?: string }} Scripted
 * @typedef {{ secret?: string, script?: Scripted[], otherwise?: Scripted, expectHeaders?: Record<string, string> }} MailboxConfig
 */

export async function startSink({ port = 0, host = "127.0.0.1" } = {}) {
  /** @type {Map<string, { config: MailboxConfig, requests: any[], served: number }>} */
  const mailboxes = new Map();
  const mailbox = (name) => {
    let box = mailboxes.get(name);
    if (!box) {
      box = { config: {}, requests: [], served: 0 };
      mailboxes.set(name, box);
    }
    return box;
  };

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
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
      const authorized = expected.length
        ? expected.every(([header, value]) => req.headers[header.toLowerCase()] === value)
        : null;
      const scripted = box.config.script?.[box.served] ?? box.config.otherwise ?? { status: 200 };
      box.served += 1;
      box.requests.push({
        at: Date.now(),
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
        verified,
        authorized,
        answered: scripted.status ?? 200,
      });
      reply(scripted.status ?? 200, scripted.body ?? { ok: true }, scripted.headers);
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
