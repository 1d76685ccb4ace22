import { z } from "@hono/zod-openapi";
import { fieldErrors, invalid, Problem } from "../lib/problem";
import { acceptImportCallback, callbackTarget } from "../pipeline/import-callback";
import { newRouter } from "./router";
import { errorResponses } from "./schemas";

/**
 * POST /v1/callbacks/{token} (CONTRACT §3 Archive targets): a platform's report on an import job an s3 target's
 * trigger started. The token is the credential, as a notify URL's is: no admin token, and an unknown one is a 401
 * before anything in the body is looked at.
 */

const ImportReport = z
  .object({
    jobId: z.union([z.string().trim().min(1).max(200), z.number().transform(String)]),
    // AlumnIQ sends SUCCESS and FAILED; other platforms' casing is forgiven.
    status: z
      .string()
      .transform((status) => status.toUpperCase())
      .pipe(z.enum(["SUCCESS", "FAILED"], { message: "must be SUCCESS or FAILED" })),
    errors: z.unknown().optional(),
  })
  .openapi("ImportReport", {
    example: {
      jobId: "F6494FE4-8642-4F2E-A87DF336916CC246",
      status: "FAILED",
      errors: ["Error message 1", "Error message 2"],
    },
  });

const TOKEN_MAX = 200;

export const callbacks = newRouter();

callbacks.openAPIRegistry.registerPath({
  method: "post",
  path: "/v1/callbacks/{token}",
  tags: ["archive targets"],
  summary: "An import job's outcome, reported by the platform an s3 target's trigger called",
  description:
    "SUCCESS confirms the file delivery whose trigger started `jobId`; FAILED sends the file and trigger again on the " +
    "target's retry policy (`failed` once it is spent). A report repeated changes nothing.",
  request: {
    params: z.object({ token: z.string() }),
    body: { content: { "application/json": { schema: ImportReport } }, required: true },
  },
  responses: { 204: { description: "recorded" }, ...errorResponses },
});

callbacks.post("/v1/callbacks/:token", async (c) => {
  const token = c.req.param("token");
  // The token is checked first: a stranger learns nothing from how its body is wrong.
  const target = token.length > TOKEN_MAX ? null : await callbackTarget(c.env, token);
  if (!target) throw new Problem(401, "Unauthorized", "unknown callback URL");
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch (error) {
    throw new Problem(400, "Bad Request", `the body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = ImportReport.safeParse(body);
  if (!parsed.success) throw invalid(fieldErrors(parsed.error));
  const report = { ...parsed.data, errors: parsed.data.errors ?? null };
  const outcome = await acceptImportCallback(c.env, target, report);
  if (outcome.kind === "unknown_job") {
    throw new Problem(404, "Not Found", `no file delivery of this target started job ${report.jobId}`);
  }
  return c.body(null, 204);
});
