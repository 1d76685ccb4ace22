import { OpenAPIHono } from "@hono/zod-openapi";
import type { EventTypeRow, SourceRow } from "../db/sources";
import { fieldErrors, invalid, Problem } from "../lib/problem";

export type AppEnv = {
  Bindings: Env;
  Variables: { subscriberId?: string; source?: SourceRow; eventTypes?: EventTypeRow[]; keyHash?: string };
};

/**
 * A router as its mounts see it: the environment only, no accumulated route schemas. Nothing reads those (no typed
 * `hc` client), and mounting a router whose type carries them made `tsc` spend most of its time on admin.ts.
 */
export type Router = OpenAPIHono<AppEnv>;

/** Every router shares one validation hook, so a bad field anywhere reads the same: 422 naming it. */
export function newRouter(): Router {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const target = (result as { target?: string }).target;
        // A path names one resource: an id that cannot exist is as absent as one that does not (CONTRACT §3).
        if (target === "param") throw new Problem(404, "Not Found", "no such resource");
        throw invalid(fieldErrors(result.error, target === "query" ? ["query"] : []));
      }
    },
  });
}

export function requireFound<T>(value: T | null | undefined, what: string): T {
  if (value == null) throw new Problem(404, "Not Found", `${what} not found`);
  return value;
}
