import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { jsonDepth, MAX_JSON_DEPTH } from "./lib/json-depth";
import { configProblems } from "./lib/keys";
import { invalid, Problem, problemResponse } from "./lib/problem";
import { admin } from "./routes/admin";
import { callbacks } from "./routes/callbacks";
import { docs } from "./routes/docs";
import { eventfiles } from "./routes/eventfiles";
import { health } from "./routes/health";
import { links } from "./routes/links";
import { notify } from "./routes/notify";
import { publish } from "./routes/publish";
import type { AppEnv } from "./routes/router";
import { ui } from "./ui/dashboard";

export const MAX_BODY_BYTES = 1024 * 1024;

const app = new OpenAPIHono<AppEnv>();

// Unfit SECRETS_KEY or LINK_SIGNING_KEY values stop the relay here, saying which and why, before anything is stored.
app.use("*", async (c, next) => {
  const problems = configProblems(c.env);
  if (problems.length) throw new Problem(503, "Service Unavailable", `Syndic is misconfigured: ${problems.join("; ")}`);
  await next();
});

app.use(
  "*",
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new Problem(413, "Content Too Large", `the body is over ${MAX_BODY_BYTES} bytes (1 MiB)`);
    },
  }),
);

/**
 * JSON nested past MAX_JSON_DEPTH is refused before any handler parses it, so nothing downstream (zod, JSON.stringify,
 * the archive's shape walk) meets it. The bytes are read once here; handlers reading the body again get them from
 * Hono's cache unchanged, so an inbound HMAC still sees the exact raw body.
 */
app.use("*", async (c, next) => {
  if (c.req.method !== "GET" && c.req.method !== "HEAD" && /json/i.test(c.req.header("content-type") ?? "")) {
    const depth = jsonDepth(new Uint8Array(await c.req.arrayBuffer()), MAX_JSON_DEPTH);
    if (depth > MAX_JSON_DEPTH) {
      throw invalid(
        [{ path: "/", message: `JSON may nest at most ${MAX_JSON_DEPTH} levels deep` }],
        `the body nests deeper than ${MAX_JSON_DEPTH} levels`,
      );
    }
  }
  await next();
});

app.route("/", health);
app.route("/", docs);
app.route("/", publish);
app.route("/", notify);
app.route("/", callbacks);
app.route("/", links);
app.route("/", eventfiles);
app.route("/v1/admin", admin);
app.route("/", ui);

app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
app.doc31("/openapi.json", (c) => ({
  openapi: "3.1.0",
  info: {
    title: "Syndic",
    version: "1.0.0",
    description: "Edge-hosted event syndication relay: publish, route, transform, push and archive events.",
  },
  servers: [{ url: c.env.PUBLIC_BASE_URL || new URL(c.req.url).origin }],
  security: [{ bearer: [] }],
}));

app.notFound((c) =>
  problemResponse(new Problem(404, "Not Found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`)),
);

app.onError((error) => {
  if (error instanceof Problem) return problemResponse(error);
  if (error instanceof HTTPException) {
    const detail = error.status === 400 ? error.message || "malformed request" : error.message;
    return problemResponse(new Problem(error.status, error.status === 400 ? "Bad Request" : "Error", detail));
  }
  console.error(JSON.stringify({ stage: "http", outcome: "error", error: String(error) }));
  return problemResponse(new Problem(500, "Internal Server Error", "an unexpected error occurred; it has been logged"));
});

export default app;
