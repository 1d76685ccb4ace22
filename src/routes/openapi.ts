import { createRoute, type RouteConfig, type z } from "@hono/zod-openapi";
import { errorResponses, jsonBody } from "./schemas";

type Method = "get" | "post" | "put" | "patch" | "delete" | "head";

interface RouteSpec<
  P extends z.ZodObject | undefined,
  Q extends z.ZodObject | undefined,
  B extends z.ZodType | undefined,
> {
  method: Method;
  path: string;
  tag: string;
  summary: string;
  params?: P;
  query?: Q;
  body?: B;
  /** False for a body that may be left out (the route then sees `{}`). */
  bodyRequired?: boolean;
  status?: 200 | 201 | 202 | 204;
  response?: z.ZodType;
  description?: string;
}

/** One line per route instead of a page: the same zod schemas validate the request and document it. */
export function spec<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(s: RouteSpec<P, Q, B>) {
  const status = s.status ?? 200;
  return createRoute({
    method: s.method,
    path: s.path,
    tags: [s.tag],
    summary: s.summary,
    description: s.description,
    security: [{ bearer: [] }],
    request: {
      ...(s.params ? { params: s.params } : {}),
      ...(s.query ? { query: s.query } : {}),
      ...(s.body ? { body: { ...jsonBody(s.body), required: s.bodyRequired ?? true } } : {}),
    } as {
      params: P extends z.ZodObject ? P : never;
      query: Q extends z.ZodObject ? Q : never;
      body: B extends z.ZodType ? ReturnType<typeof jsonBody<B>> : never;
    },
    responses: {
      [status]:
        status === 204 || !s.response
          ? { description: "done" }
          : { description: "ok", content: { "application/json": { schema: s.response } } },
      ...errorResponses,
    } as RouteConfig["responses"],
  });
}
