import { Hono } from "hono";
import swaggerPackage from "swagger-ui-dist/package.json";
import swaggerCss from "swagger-ui-dist/swagger-ui.css";
import swaggerBundle from "swagger-ui-dist/swagger-ui-bundle.js";
import { Problem } from "../lib/problem";
import type { AppEnv } from "./router";

/**
 * The API reference is Swagger UI from the swagger-ui-dist package (pinned by package-lock.json), bundled into the
 * Worker: the page works offline and an operator's browser runs no code from another origin while it holds the
 * admin token. The bundle and stylesheet are strings through wrangler.toml's `[[rules]]` (type "Text"), honoured by
 * `wrangler dev`, `wrangler deploy` and the vitest workers pool alike; `wrangler types` declares them. The version
 * is in the asset paths, so a cached bundle never outlives an upgrade.
 */
const ASSETS = `/docs/assets/${swaggerPackage.version}`;

// No persistAuthorization: it would keep the admin token in localStorage, readable by any script of this origin,
// long after the tab is closed. No validator: its badge is an image from validator.swagger.io.
const init = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#ui",
  persistAuthorization: false,
  validatorUrl: null,
  tryItOutEnabled: true,
});
`;

const JS = "text/javascript; charset=utf-8";
const assets = new Map([
  ["swagger-ui-bundle.js", { body: swaggerBundle, type: JS }],
  // The source map is not shipped: without the comment a browser's devtools do not ask for it.
  [
    "swagger-ui.css",
    { body: swaggerCss.replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/, ""), type: "text/css; charset=utf-8" },
  ],
  ["init.js", { body: init, type: JS }],
]);

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Syndic API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${ASSETS}/swagger-ui.css">
</head><body><div id="ui"></div>
<script src="${ASSETS}/swagger-ui-bundle.js"></script>
<script src="${ASSETS}/init.js"></script>
</body></html>`;

/**
 * Scripts, styles and API calls from this origin only. Swagger UI sets styles through the DOM (allowed without
 * 'unsafe-inline') and draws a few icons as data: images. Trusted Types are not required here (unlike /ui): React
 * renders the spec's Markdown descriptions through innerHTML, after sanitizing them with DOMPurify.
 */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const docs = new Hono<AppEnv>()
  .get("/docs", (c) => {
    c.header("content-security-policy", DOCS_CSP);
    c.header("cache-control", "no-store");
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    return c.html(page);
  })
  .get(`${ASSETS}/:file`, (c) => {
    const file = c.req.param("file");
    const asset = assets.get(file);
    if (!asset) throw new Problem(404, "Not Found", `no such asset: ${file}`);
    return c.body(asset.body, 200, {
      "content-type": asset.type,
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
    });
  });
