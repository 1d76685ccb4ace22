import { Hono } from "hono";
import type { AppEnv } from "./router";

/** Swagger UI from a CDN: the operator's browser loads it, the Worker only serves this page. */
const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Syndic API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head><body><div id="ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: "/openapi.json", dom_id: "#ui", persistAuthorization: true, tryItOutEnabled: true });</script>
</body></html>`;

export const docs = new Hono<AppEnv>().get("/docs", (c) => c.html(page));
