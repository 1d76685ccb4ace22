// The notify workflow's loopback origin and CRM, run as a child process of its own (so the load generator never
// shares an event loop with them). Same contract as /work/shared/peers/tools/mocks.js, which the peers were written
// against: GET /profiles/:id on the origin port answers the record JSON; POST /crm/contacts on the CRM port needs
// `X-Api-Key: secret-key-123` and a body with externalId and email, answers 201; GET /stats, POST /reset, POST /fail/N
// (every Nth CRM POST answers 503 before its body is read). Added for the bench: GET /timeline gives, per id, when the
// origin was first asked for it and when it first arrived at the CRM, so latency and per-stage rates can be measured
// the same way for Syndic and for the peers.
//
// Usage: node bench/lib/mocks.mjs <originPort> <crmPort>   (0 = any free port; prints `MOCKS <origin> <crm>`)
import { createServer } from "node:http";

const API_KEY = "secret-key-123";

let failEvery = 0;
let destCalls = 0;
let destInjected503 = 0;
let originHits = 0;
let destOk = 0;
let destBadKey = 0;
let destBadBody = 0;
/** id → [first origin hit ms, first CRM arrival ms, successful CRM posts] */
let timeline = new Map();

const entry = (id) => {
  let row = timeline.get(id);
  if (!row) {
    row = [null, null, 0];
    timeline.set(id, row);
  }
  return row;
};

const origin = createServer((req, res) => {
  const match = req.url.match(/^\/profiles\/([^/?]+)/);
  if (req.method === "GET" && match) {
    originHits += 1;
    const id = decodeURIComponent(match[1]);
    const row = entry(id);
    if (row[0] === null) row[0] = Date.now();
    const body = JSON.stringify({
      id,
      first_name: "Ada",
      last_name: "Lovelace",
      email_address: `u${id}@example.com`,
      plan: "pro",
      created_at: "2024-01-01T00:00:00Z",
    });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  res.writeHead(404);
  res.end();
});

const crm = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/stats") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        originHits,
        destOk,
        uniqueIds: [...timeline.values()].filter((row) => row[1] !== null).length,
        destBadKey,
        destBadBody,
        destCalls,
        destInjected503,
      }),
    );
    return;
  }
  if (req.method === "GET" && req.url === "/timeline") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify([...timeline.entries()].map(([id, row]) => [id, ...row])));
    return;
  }
  if (req.method === "POST" && req.url === "/reset") {
    originHits = destOk = destBadKey = destBadBody = destCalls = destInjected503 = 0;
    timeline = new Map();
    req.resume();
    res.writeHead(204);
    res.end();
    return;
  }
  if (req.method === "POST" && req.url.startsWith("/fail/")) {
    failEvery = Number(req.url.slice(6)) || 0;
    req.resume();
    res.writeHead(204);
    res.end();
    return;
  }
  if (req.method === "POST" && req.url.startsWith("/crm/contacts")) {
    destCalls += 1;
    if (failEvery && destCalls % failEvery === 0) {
      destInjected503 += 1;
      req.resume();
      res.writeHead(503);
      res.end();
      return;
    }
    let data = "";
    req.on("data", (chunk) => {
      data += chunk;
    });
    req.on("end", () => {
      if (req.headers["x-api-key"] !== API_KEY) {
        destBadKey += 1;
        res.writeHead(401);
        res.end();
        return;
      }
      let body;
      try {
        body = JSON.parse(data);
      } catch {
        body = null;
      }
      if (!body?.externalId || !body.email) {
        destBadBody += 1;
        if (destBadBody <= 3) console.error("bad body", data.slice(0, 300));
        res.writeHead(400);
        res.end();
        return;
      }
      destOk += 1;
      const row = entry(String(body.externalId));
      if (row[1] === null) row[1] = Date.now();
      row[2] += 1;
      res.writeHead(201, { "content-type": "application/json" });
      res.end('{"ok":true}');
    });
    return;
  }
  res.writeHead(404);
  res.end();
});

const listen = (server, port) =>
  new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server.address().port));
  });

const originPort = await listen(origin, Number(process.argv[2] ?? 0));
const crmPort = await listen(crm, Number(process.argv[3] ?? 0));
console.log(`MOCKS ${originPort} ${crmPort}`);
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();
