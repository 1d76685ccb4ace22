import type { ZodError } from "zod";
import { flatIssues } from "./zod-issues";

export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem a handler throws; app.onError renders it as application/problem+json. */
export class Problem extends Error {
  /** Extra response headers, e.g. Retry-After on a 429. */
  headers: Record<string, string> = {};

  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? title);
  }
}

export const notFound = (what: string) => new Problem(404, "Not Found", `${what} not found`);
export const unauthorized = (detail = "missing or invalid credentials") => new Problem(401, "Unauthorized", detail);

/** JSON Pointer (RFC 6901) of a field, e.g. "/steps/0/transform". */
export function pointer(path: ReadonlyArray<PropertyKey>): string {
  return path.map((part) => `/${String(part).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/** One error per field and message, a union's under the fields of the branch the caller chose (zod-issues.ts). */
export function fieldErrors(error: ZodError, prefix: ReadonlyArray<PropertyKey> = []): FieldError[] {
  const errors = new Map<string, FieldError>();
  for (const issue of flatIssues(error.issues, prefix)) {
    const field = { path: pointer(issue.path) || "/", message: issue.message };
    errors.set(`${field.path}\n${field.message}`, field);
  }
  return [...errors.values()];
}

export function invalid(errors: FieldError[], detail?: string): Problem {
  const first = errors[0];
  return new Problem(
    422,
    "Unprocessable Content",
    detail ?? (first ? `${first.path}: ${first.message}` : "the request is not valid"),
    errors,
  );
}

export function problemResponse(problem: Problem): Response {
  const body = {
    type: `https://syndic.dev/problems/${problem.status}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail ?? problem.title,
    errors: problem.errors ?? [],
  };
  return new Response(JSON.stringify(body), {
    status: problem.status,
    headers: { ...problem.headers, "content-type": "application/problem+json" },
  });
}
