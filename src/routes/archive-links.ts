import { createRoute, z } from "@hono/zod-openapi";
import { archiveLink, LinkKeyMissing, linkTtlOf, MAX_LINK_TTL_S, MIN_LINK_TTL_S } from "../archive/links";
import { getArchive } from "../db/archives";
import { getSubscriber } from "../db/subscribers";
import { Id } from "../domain/ids";
import { Problem } from "../lib/problem";
import { iso } from "../lib/time";
import { newRouter, requireFound } from "./router";
import { errorResponses, ProblemSchema } from "./schemas";

const LinkInput = z
  .object({
    ttl: z
      .number()
      .int()
      .min(MIN_LINK_TTL_S)
      .max(MAX_LINK_TTL_S)
      .optional()
      .openapi({ description: "seconds the link stays valid; default the subscriber's archive.link_ttl" }),
  })
  .openapi("ArchiveLinkInput");

const ArchiveLink = z
  .object({
    url: z.string().openapi({ description: "GET or HEAD it with no credentials; Range is supported" }),
    expires_at: z.string(),
  })
  .openapi("ArchiveLink");

export const archiveLinks = newRouter();

archiveLinks.openapi(
  createRoute({
    method: "post",
    path: "/archives/{id}/link",
    tags: ["archives"],
    summary: "Mint a signed, expiring download link to a ready archive",
    security: [{ bearer: [] }],
    request: {
      params: z.object({ id: Id("arc") }),
      // The body may be left out: the link then lives for the subscriber's archive.link_ttl.
      body: { required: false, content: { "application/json": { schema: LinkInput } } },
    },
    responses: {
      200: { description: "the link", content: { "application/json": { schema: ArchiveLink } } },
      409: {
        description: "the archive is not ready",
        content: { "application/problem+json": { schema: ProblemSchema } },
      },
      ...errorResponses,
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const { ttl } = c.req.valid("json");
    const archive = requireFound(await getArchive(c.env.DB, id), "archive");
    if (archive.status !== "ready") {
      throw new Problem(409, "Conflict", `the archive is ${archive.status}; links are for ready archives`);
    }
    const lifetime = ttl ?? linkTtlOf(await getSubscriber(c.env.DB, archive.subscriber_id));
    try {
      const link = await archiveLink(c.env, archive, lifetime, { requestOrigin: new URL(c.req.url).origin });
      return c.json({ url: link.url, expires_at: iso(link.expires_at)! }, 200);
    } catch (error) {
      if (error instanceof LinkKeyMissing) throw new Problem(503, "Service Unavailable", "signed links are not set up");
      throw error;
    }
  },
);
