import { z } from "@hono/zod-openapi";

/** Shapes every resource's routes share; the resources' own shapes are in src/domain/. */

/** Why a URL change to another origin needs the credentials again: a stored secret never follows a new host. */
export const CREDENTIALS_STAY_HOME =
  "is required again when the URL moves to another origin (scheme, host or port): stored credentials only go where they were given for";

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const listOf = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() });

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .openapi("Problem");

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/** The error answers every authenticated JSON route can give. */
export const errorResponses = {
  400: problem("malformed request"),
  401: problem("missing or invalid credentials"),
  404: problem("not found"),
  413: problem("body over 1 MiB"),
  415: problem("not JSON"),
  422: problem("a field is invalid; `errors` names it"),
} as const;

export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});
