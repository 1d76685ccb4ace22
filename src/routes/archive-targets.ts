import { z } from "@hono/zod-openapi";
import { SealedUnreadable } from "../auth/sealed";
import {
  type ArchiveTargetRow,
  deleteArchiveTarget,
  getArchiveTarget,
  insertArchiveTarget,
  listArchiveTargets,
  updateArchiveTarget,
} from "../db/archive-targets";
import { getArchive } from "../db/archives";
import { getFileDelivery, listFileDeliveries, requeueFileDelivery } from "../db/file-deliveries";
import { getSubscriber } from "../db/subscribers";
import { dropTokensOf } from "../db/tokens";
import {
  ArchiveTargetInput,
  ArchiveTargetType,
  credentialFields,
  FILENAME,
  readSftpUrl,
  type SftpTargetInput,
  sftpHost,
  storedTarget,
  TARGET_SCHEMAS,
} from "../domain/archive-target";
import type { Auth } from "../domain/auth";
import { checkExpression } from "../domain/expressions";
import { Id } from "../domain/ids";
import { FileDeliveryStatus } from "../domain/status";
import { newId } from "../lib/ids";
import { movesOrigin } from "../lib/origin";
import { type FieldError, invalid, Problem } from "../lib/problem";
import { redactHeaders } from "../lib/redact";
import { iso } from "../lib/time";
import { assertTargetUrls, outboundHostProblem } from "../lib/url-policy";
import { savedInput, sealTargetSecrets } from "../pipeline/archive-target-input";
import { sendTestFile } from "../pipeline/file-deliver";
import { newCallbackCredentials } from "../pipeline/import-callback";
import { ringFileDeliveries } from "../queues/ring";
import { FileDelivery, presentFileDelivery } from "./file-delivery-presenter";
import { spec } from "./openapi";
import { patchedInput } from "./patch";
import { newRouter, type Router, requireFound } from "./router";
import { CREDENTIALS_STAY_HOME, ListQuery, listOf } from "./schemas";

/**
 * A subscriber's archive targets (CONTRACT §3): where its files go. Credentials are write-only: a target reads back
 * with its settings and the kind of its credentials, never their values.
 */

const ArchiveTarget = z
  .object({
    id: z.string(),
    subscriber_id: z.string(),
    type: ArchiveTargetType,
    name: z.string(),
    environment: z.string(),
    enabled: z.boolean(),
    retry: z.object({ max_attempts: z.number(), initial_delay: z.number(), max_delay: z.number() }),
    connect_timeout_ms: z.number(),
    transfer_timeout_ms: z.number(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .catchall(z.unknown())
  .openapi("ArchiveTarget", {
    description: "The target's common fields and its type's own, credentials left out (an sftp url shows `***`)",
  });

const ArchiveTargetPatch = z
  .object({ type: ArchiveTargetType.optional() })
  .catchall(z.unknown())
  .openapi("ArchiveTargetPatch", {
    description:
      "A JSON merge patch of the target's fields (those of its type): `null` resets a field. Credentials left out are kept.",
  });

const ListParams = z.object({ subscriber_id: Id("sub") });
const Params = z.object({ subscriber_id: Id("sub"), id: Id("atg") });
const DeliveryParams = z.object({ id: Id("fdl") });

/** Configured headers that look like credentials read back redacted, as a destination's do. */
function presentConfig(row: ArchiveTargetRow): Record<string, unknown> {
  const config = { ...row.config };
  if (config.headers) config.headers = redactHeaders(config.headers as Record<string, string>);
  const then = config.then as Record<string, unknown> | undefined;
  // biome-ignore lint/suspicious/noThenProperty: CONTRACT §3 names the import trigger `then`; it is never a function, so nothing awaits it
  if (then?.headers) config.then = { ...then, headers: redactHeaders(then.headers as Record<string, string>) };
  return config;
}

function present(row: ArchiveTargetRow) {
  return {
    id: row.id,
    subscriber_id: row.subscriber_id,
    type: row.type,
    name: row.name,
    environment: row.environment,
    enabled: row.enabled,
    ...presentConfig(row),
    retry: row.retry,
    connect_timeout_ms: row.connect_timeout_ms,
    transfer_timeout_ms: row.transfer_timeout_ms,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

const exampleUrl = (template: string) => template.replaceAll(FILENAME, "example.zip");
const tokenUrl = (path: string, auth: Auth | undefined) => ({
  path,
  url: auth?.type === "oauth2" ? auth.token_url : undefined,
});

/** Hosts the relay may reach and JSONata that compiles: a 422 naming each field that fails. */
function checkTarget(env: Env, input: ArchiveTargetInput): void {
  switch (input.type) {
    case "https_put":
      assertTargetUrls(env, [{ path: "/url", url: exampleUrl(input.url) }, tokenUrl("/auth/token_url", input.auth)]);
      return;
    case "s3": {
      assertTargetUrls(env, [
        { path: "/endpoint", url: input.endpoint },
        { path: "/then/url", url: input.then && exampleUrl(input.then.url) },
        tokenUrl("/then/auth/token_url", input.then?.auth),
      ]);
      const errors = [
        checkExpression("/then/body", input.then?.body),
        checkExpression("/then/job_id", input.then?.job_id),
      ];
      const found = errors.filter((error): error is FieldError => error !== null);
      if (found.length) throw invalid(found);
      return;
    }
    case "sftp": {
      const { host } = sftpHost(input);
      const problem = outboundHostProblem(env, host);
      if (problem) throw invalid([{ path: input.url === undefined ? "/host" : "/url", message: problem }]);
      return;
    }
    case "email":
      return;
  }
}

const hasImportTrigger = (input: ArchiveTargetInput) => input.type === "s3" && input.then !== undefined;

/** A URL-form sftp target given a URL with a password counts as new credentials too. */
function sftpGivesCredentials(patch: Record<string, unknown>): boolean {
  if (patch.password != null || patch.private_key != null) return true;
  if (typeof patch.url !== "string") return false;
  const parts = readSftpUrl(patch.url);
  return typeof parts !== "string" && parts.password !== null;
}

/** Credentials kept by a PATCH never follow the target to another host: they must be given again. */
function credentialsMoved(
  before: Record<string, unknown>,
  after: ArchiveTargetInput,
  patch: Record<string, unknown>,
): FieldError[] {
  const errors: FieldError[] = [];
  const moved = (path: string) => errors.push({ path, message: CREDENTIALS_STAY_HOME });
  const then = (patch.then ?? {}) as Record<string, unknown>;
  const beforeThen = before.then as { url?: string } | undefined;
  switch (after.type) {
    case "https_put":
      if (patch.auth == null && after.auth.type !== "none" && movesOrigin(before.url as string, after.url)) {
        moved("/auth");
      }
      break;
    case "s3":
      if (patch.secret_access_key == null && movesOrigin(before.endpoint as string, after.endpoint)) {
        moved("/secret_access_key");
      }
      if (
        then.auth == null &&
        after.then &&
        after.then.auth.type !== "none" &&
        movesOrigin(beforeThen?.url, after.then.url)
      ) {
        moved("/then/auth");
      }
      break;
    case "sftp": {
      const old = sftpHost(before as SftpTargetInput);
      const now = sftpHost(after);
      if ((old.host !== now.host || old.port !== now.port) && !sftpGivesCredentials(patch)) {
        moved(after.private_key !== undefined ? "/private_key" : "/password");
      }
      break;
    }
  }
  return errors;
}

function isGiven(patch: Record<string, unknown>, pointer: string): boolean {
  let value: unknown = patch;
  for (const key of pointer.split("/").slice(1)) {
    value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value != null;
}

/**
 * The target as its create body would have been: what a PATCH merges into. Stored credentials that no longer open
 * must be given again; when they are, the rest of the target still merges.
 */
async function currentInput(
  env: Env,
  row: ArchiveTargetRow,
  patch: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  try {
    return await savedInput(env, row);
  } catch (error) {
    if (!(error instanceof SealedUnreadable)) throw error;
    const missing = credentialFields(row.type, row.config).filter((pointer) => !isGiven(patch, pointer));
    if (missing.length) {
      throw invalid(
        missing.map((path) => ({
          path,
          message: "the stored credentials do not decrypt for this target; give them again",
        })),
      );
    }
    return savedInput(env, row, { withSecrets: false });
  }
}

function rowFields(input: ArchiveTargetInput) {
  return {
    name: input.name,
    environment: input.environment,
    enabled: input.enabled,
    config: storedTarget(input).config,
    retry: input.retry,
    connect_timeout_ms: input.connect_timeout_ms,
    transfer_timeout_ms: input.transfer_timeout_ms,
  };
}

/** A target is only reachable through its own subscriber: another subscriber's id is a 404. */
async function ownedTarget(env: Env, subscriberId: string, id: string): Promise<ArchiveTargetRow> {
  const row = await getArchiveTarget(env.DB, id);
  return requireFound(row?.subscriber_id === subscriberId ? row : null, "archive target");
}

export const archiveTargets: Router = newRouter()
  .openapi(
    spec({
      method: "post",
      path: "/subscribers/{subscriber_id}/archive-targets",
      tag: "archive targets",
      summary: "Add an archive target (https_put, s3, sftp or email) to a subscriber",
      params: ListParams,
      body: ArchiveTargetInput,
      status: 201,
      response: ArchiveTarget,
    }),
    async (c) => {
      const { subscriber_id } = c.req.valid("param");
      const input = c.req.valid("json");
      requireFound(await getSubscriber(c.env.DB, subscriber_id), "subscriber");
      checkTarget(c.env, input);
      const now = Date.now();
      const id = newId("atg", now);
      const callback = hasImportTrigger(input) ? await newCallbackCredentials(c.env, id) : null;
      const row: ArchiveTargetRow = {
        id,
        subscriber_id,
        type: input.type,
        ...rowFields(input),
        secrets_enc: await sealTargetSecrets(c.env, id, storedTarget(input).secrets),
        callback_token_hash: callback?.callback_token_hash ?? null,
        callback_token_enc: callback?.callback_token_enc ?? null,
        created_at: now,
        updated_at: now,
      };
      await insertArchiveTarget(c.env.DB, row);
      return c.json({ ...present(row), ...(callback ? { callback_url: callback.url } : {}) }, 201);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/subscribers/{subscriber_id}/archive-targets",
      tag: "archive targets",
      summary: "List a subscriber's archive targets",
      params: ListParams,
      query: ListQuery,
      response: listOf(ArchiveTarget),
    }),
    async (c) => {
      const { subscriber_id } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      requireFound(await getSubscriber(c.env.DB, subscriber_id), "subscriber");
      const page = await listArchiveTargets(c.env.DB, subscriber_id, limit, cursor);
      return c.json({ data: page.data.map(present), next_cursor: page.next_cursor }, 200);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/subscribers/{subscriber_id}/archive-targets/{id}",
      tag: "archive targets",
      summary: "Get an archive target",
      params: Params,
      response: ArchiveTarget,
    }),
    async (c) => {
      const { subscriber_id, id } = c.req.valid("param");
      return c.json(present(await ownedTarget(c.env, subscriber_id, id)), 200);
    },
  )
  .openapi(
    spec({
      method: "patch",
      path: "/subscribers/{subscriber_id}/archive-targets/{id}",
      tag: "archive targets",
      summary: "Change an archive target; credentials left out are kept",
      params: Params,
      body: ArchiveTargetPatch,
      response: ArchiveTarget,
    }),
    async (c) => {
      const { subscriber_id, id } = c.req.valid("param");
      const patch = c.req.valid("json") as Record<string, unknown>;
      const existing = await ownedTarget(c.env, subscriber_id, id);
      if ("type" in patch && patch.type !== existing.type) {
        throw invalid([{ path: "/type", message: "cannot change: create a target of the other type instead" }]);
      }
      const before = await currentInput(c.env, existing, patch);
      const input = patchedInput(TARGET_SCHEMAS[existing.type], before, patch) as ArchiveTargetInput;
      checkTarget(c.env, input);
      const moved = credentialsMoved(before, input, patch);
      if (moved.length) throw invalid(moved);
      // A trigger added to a target that never had one gets its callback URL, shown in this answer only; one that had
      // one keeps it, so jobs already started can still report.
      const callback =
        hasImportTrigger(input) && existing.callback_token_hash === null
          ? await newCallbackCredentials(c.env, id)
          : null;
      await updateArchiveTarget(c.env.DB, id, {
        ...rowFields(input),
        secrets_enc: await sealTargetSecrets(c.env, id, storedTarget(input).secrets),
        ...(callback
          ? { callback_token_hash: callback.callback_token_hash, callback_token_enc: callback.callback_token_enc }
          : {}),
        updated_at: Date.now(),
      });
      // Any OAuth 2 token was fetched for the credentials and URL as they were.
      await dropTokensOf(c.env.DB, id);
      const saved = present(await ownedTarget(c.env, subscriber_id, id));
      return c.json({ ...saved, ...(callback ? { callback_url: callback.url } : {}) }, 200);
    },
  )
  .openapi(
    spec({
      method: "delete",
      path: "/subscribers/{subscriber_id}/archive-targets/{id}",
      tag: "archive targets",
      summary: "Delete an archive target; files still owed to it end as dead",
      params: Params,
      status: 204,
    }),
    async (c) => {
      const { subscriber_id, id } = c.req.valid("param");
      await ownedTarget(c.env, subscriber_id, id);
      await deleteArchiveTarget(c.env.DB, id);
      await dropTokensOf(c.env.DB, id);
      return c.body(null, 204);
    },
  )
  .openapi(
    spec({
      method: "post",
      path: "/subscribers/{subscriber_id}/archive-targets/{id}/test",
      tag: "archive targets",
      summary: "Send a small test file (syndic-test-….txt) to the target, as an archive would go",
      description: "A disabled target gets it too, so a target can be checked before it is switched on.",
      params: Params,
      status: 202,
      response: FileDelivery,
    }),
    async (c) => {
      const { subscriber_id, id } = c.req.valid("param");
      const target = await ownedTarget(c.env, subscriber_id, id);
      const deliveryId = await sendTestFile(c.env, target);
      return c.json(
        presentFileDelivery(requireFound(await getFileDelivery(c.env.DB, deliveryId), "file delivery")),
        202,
      );
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/subscribers/{subscriber_id}/archive-targets/{id}/deliveries",
      tag: "archive targets",
      summary: "The files sent to a target, newest first",
      params: Params,
      query: ListQuery.extend({ status: FileDeliveryStatus.optional() }),
      response: listOf(FileDelivery),
    }),
    async (c) => {
      const { subscriber_id, id } = c.req.valid("param");
      const { limit, cursor, status } = c.req.valid("query");
      await ownedTarget(c.env, subscriber_id, id);
      const page = await listFileDeliveries(c.env.DB, id, status, limit, cursor);
      return c.json({ data: page.data.map(presentFileDelivery), next_cursor: page.next_cursor }, 200);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/file-deliveries/{id}",
      tag: "archive targets",
      summary: "A file sent to an archive target",
      params: DeliveryParams,
      response: FileDelivery,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(presentFileDelivery(requireFound(await getFileDelivery(c.env.DB, id), "file delivery")), 200);
    },
  )
  .openapi(
    spec({
      method: "post",
      path: "/file-deliveries/{id}/retry",
      tag: "archive targets",
      summary: "Send a file again now, with a fresh attempt budget",
      params: DeliveryParams,
      status: 202,
      response: FileDelivery,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = requireFound(await getFileDelivery(c.env.DB, id), "file delivery");
      const target = await getArchiveTarget(c.env.DB, row.target_id);
      if (!target) throw new Problem(409, "Conflict", "the target of this file delivery was deleted");
      if (!row.test && !target.enabled) throw new Problem(409, "Conflict", "the target is disabled: enable it first");
      if (row.archive_id !== null && (await getArchive(c.env.DB, row.archive_id))?.status !== "ready") {
        throw new Problem(409, "Conflict", "the archive of this file delivery was deleted");
      }
      if (!(await requeueFileDelivery(c.env.DB, id, Date.now()))) {
        throw new Problem(409, "Conflict", `a ${row.status} file delivery is already on its way`);
      }
      // The row is due now: a lost ring is the sweeper's to find.
      await ringFileDeliveries(c.env, [{ id }]).catch(() => {});
      return c.json(presentFileDelivery(requireFound(await getFileDelivery(c.env.DB, id), "file delivery")), 202);
    },
  );
