import { createRoute, z } from "@hono/zod-openapi";
import { eventFileName } from "../archive/eventfile-name";
import { LinkError, type LinkGrant, LinkKeyMissing, linkKeyring, verifyLink } from "../archive/links";
import { getArchive } from "../db/archives";
import { getSubscriber } from "../db/subscribers";
import { logStep } from "../lib/log";
import { Problem, unauthorized } from "../lib/problem";
import { newRouter } from "./router";
import { ProblemSchema } from "./schemas";
import { zipResponse } from "./zip-download";

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});
const zip = (description: string) => ({
  description,
  content: { "application/zip": { schema: z.string().openapi({ format: "binary" }) } },
});

const Params = z.object({
  token: z
    .string()
    .min(1)
    .max(4096)
    .openapi({ description: "the signed token, as minted by POST /v1/admin/archives/{id}/link" }),
});

/** Why a token grants nothing, told to its holder: an expired link is gone for good, anything else is refused. */
function refusal(error: LinkError): Problem {
  return error.reason === "expired" ? new Problem(410, "Gone", "the link has expired") : unauthorized(error.message);
}

async function grantOf(env: Env, token: string): Promise<LinkGrant> {
  try {
    return await verifyLink(await linkKeyring(env.LINK_SIGNING_KEY), token);
  } catch (error) {
    if (error instanceof LinkKeyMissing) throw new Problem(503, "Service Unavailable", "signed links are not set up");
    if (error instanceof LinkError) {
      logStep({ stage: "link", outcome: "refused", reason: error.reason });
      throw refusal(error);
    }
    throw error;
  }
}

/** Public: the token in the path is the only credential, so no admin or subscriber key is asked for. */
export const links = newRouter();

links.openapi(
  createRoute({
    method: "get",
    path: "/v1/links/{token}",
    tags: ["archives"],
    summary: "Download an archive through a signed link (HEAD and a single Range are supported)",
    security: [],
    request: { params: Params },
    responses: {
      200: zip("the zip"),
      206: zip("the requested byte range of the zip"),
      304: { description: "not modified (If-None-Match)" },
      401: problem("the token is malformed, tampered with, or signed with an unknown key"),
      404: problem("the archive is not the token's subscriber's"),
      410: problem("the link has expired or was revoked, or the archive or its subscriber was deleted"),
      416: problem("the range is past the end of the file"),
    },
  }),
  async (c) => {
    const grant = await grantOf(c.env, c.req.valid("param").token);
    const [archive, subscriber] = await Promise.all([
      getArchive(c.env.DB, grant.archiveId),
      getSubscriber(c.env.DB, grant.subscriberId),
    ]);
    // A link lives no longer than what it points to, nor past a rotation that revoked it.
    if (!subscriber) throw new Problem(410, "Gone", "the subscriber was deleted");
    if (subscriber.links_not_before !== null && grant.issuedAt < subscriber.links_not_before) {
      throw new Problem(410, "Gone", "the link was revoked when the subscriber's keys were rotated");
    }
    if (!archive) throw new Problem(410, "Gone", "the archive was deleted");
    if (archive.subscriber_id !== grant.subscriberId || archive.status !== "ready") {
      throw new Problem(404, "Not Found", "archive not found");
    }
    const response = await zipResponse(c.env.BUCKET, c.req.raw, {
      key: archive.r2_key,
      filename: eventFileName(archive),
      sha256: archive.sha256,
    });
    logStep({ stage: "link", outcome: "served", archive_id: archive.id, status: response.status });
    return response;
  },
);
