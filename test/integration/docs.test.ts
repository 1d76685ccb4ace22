import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const BASE = "http://relay.test";
const get = (path: string) => exports.default.fetch(`${BASE}${path}`);

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(";")
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...values]) => [name, values]),
  );
}

/** Every src/href of the page, in document order. */
async function references(): Promise<string[]> {
  const html = await (await get("/docs")).text();
  return [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((match) => match[1]);
}

describe("GET /docs (API reference)", () => {
  it("has a CSP that admits this origin's scripts, styles and API calls only", async () => {
    const res = await get("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const csp = directives(res.headers.get("content-security-policy") ?? "");
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("script-src")).toEqual(["'self'"]);
    expect(csp.get("style-src")).toEqual(["'self'"]);
    expect(csp.get("connect-src")).toEqual(["'self'"]);
    expect(csp.get("img-src")).toEqual(["'self'", "data:"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    for (const values of csp.values()) {
      for (const value of values) expect(value).toMatch(/^('self'|'none'|data:)$/);
    }
  });

  it("references same-origin assets only, and keeps no token in the browser's storage", async () => {
    const refs = await references();
    expect(refs.length).toBe(3);
    for (const ref of refs) {
      // A path on this origin: not a scheme, not protocol-relative.
      expect(ref).toMatch(/^\/(?!\/)/);
      expect(new URL(ref, BASE).origin).toBe(BASE);
    }
    const html = await (await get("/docs")).text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);

    const init = await (await get(refs.find((ref) => ref.endsWith("/init.js"))!)).text();
    expect(init).toContain('url: "/openapi.json"');
    expect(init).toContain("persistAuthorization: false");
    expect(init).toContain("validatorUrl: null");
    expect(init).not.toMatch(/https?:/);
  });

  it("serves each asset from the Worker with its content type and real content", async () => {
    const refs = await references();
    const byName = new Map(refs.map((ref) => [ref.split("/").pop()!, ref]));
    expect([...byName.keys()].sort()).toEqual(["init.js", "swagger-ui-bundle.js", "swagger-ui.css"]);

    const bundle = await get(byName.get("swagger-ui-bundle.js")!);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(bundle.headers.get("x-content-type-options")).toBe("nosniff");
    expect(bundle.headers.get("cache-control")).toContain("immutable");
    const js = await bundle.text();
    // the real bundle (about 1.7 MB), served as text, not a module's stringified exports
    expect(js.length).toBeGreaterThan(1_000_000);
    expect(js).toContain("SwaggerUIBundle");
    expect(js).not.toContain("export default");

    const sheet = await get(byName.get("swagger-ui.css")!);
    expect(sheet.status).toBe(200);
    expect(sheet.headers.get("content-type")).toBe("text/css; charset=utf-8");
    const css = await sheet.text();
    expect(css.length).toBeGreaterThan(100_000);
    expect(css).toContain(".swagger-ui");
    expect(css).not.toContain("sourceMappingURL");

    const init = await get(byName.get("init.js")!);
    expect(init.status).toBe(200);
    expect(init.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  });

  it("puts the package version in the asset paths and answers other names 404", async () => {
    const refs = await references();
    const dir = refs[0].slice(0, refs[0].lastIndexOf("/"));
    expect(dir).toMatch(/^\/docs\/assets\/\d+\.\d+\.\d+$/);
    for (const path of [`${dir}/package.json`, `${dir}/constructor`, "/docs/assets/0.0.0/swagger-ui-bundle.js"]) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });
});
