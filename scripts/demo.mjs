// `npm run demo` (with the relay up, e.g. `npm start`): sets up a source, a subscriber and a destination on a local
// sink, with a JSONata transform, publishes three events in the three accepted body shapes, and shows them arrive
// signed and authenticated, with the delivery records the admin API keeps.
//
// Env: SYNDIC_URL (default http://127.0.0.1:8787). The admin token comes from .dev.vars, else the local default.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDotenv, ROOT } from "./relay-process.mjs";
import { startSink } from "./sink.mjs";

const BASE = (process.env.SYNDIC_URL || "http://127.0.0.1:8787").replace(/\/+$/, "");
const DEV_VARS = join(ROOT, ".dev.vars");
const ADMIN_TOKEN =
  (existsSync(DEV_VARS) ? parseDotenv(readFileSync(DEV_VARS, "utf8")).ADMIN_TOKEN : undefined) || "dev-admin-token";
const WAIT_MS = 30_000;
const TRANSFORM = `{
  "email": data.user ? data.user : data.identifiers[name = "email"].value,
  "course": data.title ? data.title : data.attributes.title,
  "event": type
}`;

const indent = (text, spaces) => text.replace(/^/gm, " ".repeat(spaces));

async function call(method, path, body, token = ADMIN_TOKEN) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return json;
}

async function main(sink) {
  const health = await fetch(`${BASE}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
  if (!health?.ok) {
    console.error(`No relay answers on ${BASE}. Start it with \`npm start\` (or set SYNDIC_URL), then run the demo.`);
    return 1;
  }
  const run = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const mailbox = `demo-${run}`;
  const bearer = `demo-token-${crypto.randomUUID().slice(0, 8)}`;
  console.log(`Syndic demo against ${BASE}`);
  console.log(`  a local subscriber (sink) listens on ${sink.hook(mailbox)}\n`);

  console.log("1. Setup (admin API)");
  const source = await call("POST", "/v1/admin/sources", { name: `Demo LMS ${run}` });
  console.log(`   source        ${source.id}  (its api_key publishes; shown once)`);
  const subscriber = await call("POST", "/v1/admin/subscribers", { name: `Demo Acme ${run}`, timezone: "UTC" });
  console.log(`   subscriber    ${subscriber.id}`);
  const destination = await call("POST", `/v1/admin/subscribers/${subscriber.id}/destinations`, {
    name: "Demo CRM",
    url: sink.hook(mailbox),
    auth: { type: "bearer", token: bearer },
    timeout_ms: 5000,
    retry: { max_attempts: 5, initial_delay: 1, max_delay: 5 },
  });
  console.log(`   destination   ${destination.id}  → the sink, bearer auth, signing secret whsec_… (shown once)`);
  sink.configure(mailbox, {
    secret: destination.signing_secret,
    expectHeaders: { authorization: `Bearer ${bearer}` },
  });
  const subscription = await call("POST", "/v1/admin/subscriptions", {
    subscriber_id: subscriber.id,
    source_id: source.id,
    event_types: ["*"],
    steps: [{ destination_id: destination.id, transform: TRANSFORM }],
  });
  console.log(`   subscription  ${subscription.id}  every event type, one step with this JSONata transform:`);
  console.log(indent(TRANSFORM, 17));

  console.log("\n2. Publish (POST /v1/events with the source's api_key)");
  const now = new Date().toISOString();
  const bodies = [
    [
      "a CloudEvent",
      {
        specversion: "1.0",
        id: `demo-${run}-1`,
        source: "/demo/lms",
        type: "courseCompletion",
        time: now,
        data: { user: "ada@example.com", title: "Intro to Syndication", score: 92 },
      },
    ],
    ["a plain envelope", { type: "courseEnrollment", data: { user: "grace@example.com", title: "Queues 101" } }],
    [
      "a UBX simple batch",
      {
        channel: "lms",
        identifiers: [
          { name: "learnerId", value: `L-${run}` },
          { name: "email", value: "linus@example.com" },
        ],
        events: [
          {
            code: "courseProgress",
            timestamp: now,
            attributes: [
              { name: "title", value: "Edge Workers in Practice", type: "string" },
              { name: "percent", value: 50, type: "number" },
            ],
          },
        ],
      },
    ],
  ];
  const labels = new Map();
  for (const [label, body] of bodies) {
    const res = await call("POST", "/v1/events", body, source.api_key);
    labels.set(res.ids[0], label);
    console.log(`   ${label.padEnd(20)} → 202 accepted ${res.accepted}, ${res.ids[0]}`);
  }

  console.log(`\n3. Waiting for the pushes (at most ${WAIT_MS / 1000} s)`);
  const started = Date.now();
  let deliveries = [];
  const webhookIds = () => new Set(sink.requests(mailbox).map((request) => request.headers["webhook-id"]));
  for (;;) {
    if (webhookIds().size >= labels.size) {
      deliveries = (await call("GET", `/v1/admin/deliveries?destination_id=${destination.id}`)).data;
      if (deliveries.length >= labels.size && deliveries.every((delivery) => delivery.status === "sent")) break;
    }
    if (Date.now() - started > WAIT_MS) {
      deliveries = (await call("GET", `/v1/admin/deliveries?destination_id=${destination.id}`)).data;
      console.error(
        `   ✗ after ${WAIT_MS / 1000} s: ${webhookIds().size} of ${labels.size} pushes arrived; deliveries: ` +
          (deliveries.map((delivery) => `${delivery.id} ${delivery.status}`).join(", ") || "none yet"),
      );
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  console.log(`   ✓ ${labels.size} of ${labels.size} arrived and were recorded sent in ${Date.now() - started} ms`);

  console.log("\n4. What the subscriber received");
  const byDelivery = new Map(deliveries.map((delivery) => [delivery.id, delivery]));
  let allGood = true;
  for (const [i, request] of sink.requests(mailbox).entries()) {
    const delivery = byDelivery.get(request.headers["webhook-id"]);
    const label = delivery ? labels.get(delivery.event_id) : "?";
    console.log(`   [${i + 1}] ${request.method} ${request.path}  from ${label}, event ${delivery?.event_id ?? "?"}`);
    console.log(
      `       webhook-id ${request.headers["webhook-id"]}, webhook-timestamp ${request.headers["webhook-timestamp"]}`,
    );
    console.log(indent(JSON.stringify(JSON.parse(request.body), null, 2), 7));
    console.log(
      `       signature ${request.verified ? "✓ verified" : "✗ NOT verified"} (Standard Webhooks, whsec_ secret)` +
        `   authorization ${request.authorized ? "✓ bearer token received" : "✗ missing or wrong"}`,
    );
    allGood &&= request.verified === true && request.authorized === true;
  }

  console.log("\n5. Delivery records (GET /v1/admin/deliveries?destination_id=…)");
  const arrivalOrder = [...webhookIds()];
  const inArrivalOrder = [...deliveries].sort((a, b) => arrivalOrder.indexOf(a.id) - arrivalOrder.indexOf(b.id));
  for (const delivery of inArrivalOrder) {
    const detail = await call("GET", `/v1/admin/deliveries/${delivery.id}`);
    const attempts = detail.attempts
      .map((attempt) => `#${attempt.n} HTTP ${attempt.status_code ?? "-"} in ${attempt.duration_ms} ms`)
      .join(", ");
    console.log(
      `   ${delivery.id}  ${delivery.status.padEnd(8)} ${labels.get(delivery.event_id)?.padEnd(20) ?? ""} attempts: ${attempts}`,
    );
  }
  console.log(`\nMore: ${BASE}/ui (dashboard), ${BASE}/docs (API reference).`);
  return allGood ? 0 : 1;
}

const sink = await startSink();
let code = 1;
try {
  code = await main(sink);
} catch (error) {
  console.error(`demo failed: ${error.message}`);
} finally {
  await sink.close();
}
process.exit(code);
