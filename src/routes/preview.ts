import { z } from "@hono/zod-openapi";
import { getEvent } from "../db/events";
import { loadCloudEvent } from "../db/payloads";
import type { CloudEvent } from "../domain/cloudevent";
import { IdentityError } from "../domain/errors";
import {
  checkExpression,
  EXPRESSION_LIMITS,
  Expression,
  ExpressionLimitError,
  expressionError,
} from "../domain/expressions";
import { evaluateFilter } from "../domain/matching";
import { Preset } from "../domain/presets";
import { jsonLongerThan, utf8Length } from "../lib/json-size";
import { type FieldError, invalid } from "../lib/problem";
import { parseSingle, toCloudEvent } from "../pipeline/formats";
import { localIdOf, remoteIdOf } from "../pipeline/identity";
import { stepBody } from "../pipeline/steps";
import { spec } from "./openapi";
import { newRouter, type Router, requireFound } from "./router";

/**
 * A pasted event is stored as a published one would be (formats.ts), under this id: the expression sees Syndic's
 * id, the publisher's id as `originid`, and this source when the event names none.
 */
const PASTED_EVENT_ID = "evt_preview";
const PASTED_EVENT_SOURCE = "/sources/preview";

const PreviewInput = z
  .object({
    filter: Expression.optional().openapi({ description: "a subscription filter: `matched` is routing's verdict" }),
    transform: Expression.optional().openapi({ description: "a step transform, run after `preset` as a step runs" }),
    preset: Preset.optional(),
    identity: z
      .object({
        local_id: Expression.optional().openapi({ description: "run over the event" }),
        remote_id: Expression.optional().openapi({ description: "run over `response`, a create's JSON answer" }),
        response: z.unknown().optional(),
      })
      .optional(),
    event_id: z.string().min(1).max(256).optional().openapi({ description: "a stored event, of any tenant" }),
    event: z.unknown().optional().openapi({ description: "a pasted CloudEvent or plain envelope, as published" }),
  })
  .superRefine((input, ctx) => {
    const kinds = [
      input.filter !== undefined,
      input.transform !== undefined || input.preset !== undefined,
      input.identity !== undefined,
    ].filter(Boolean).length;
    if (kinds !== 1) {
      ctx.addIssue({ code: "custom", path: [], message: "give one of filter, transform (and/or preset) or identity" });
    }
    const identity = input.identity;
    if (identity && (identity.local_id === undefined) === (identity.remote_id === undefined)) {
      ctx.addIssue({ code: "custom", path: ["identity"], message: "give one of local_id or remote_id" });
    }
    if (identity?.remote_id !== undefined) {
      if (identity.response === undefined) {
        ctx.addIssue({ code: "custom", path: ["identity", "response"], message: "is required with remote_id" });
      }
    } else if ((input.event_id === undefined) === (input.event === undefined)) {
      ctx.addIssue({ code: "custom", path: ["event_id"], message: "give one of event_id or event" });
    }
  })
  .openapi("PreviewInput");
type PreviewInput = z.infer<typeof PreviewInput>;

const PreviewResult = z
  .object({
    result: z.unknown().optional().openapi({ description: "absent when the expression gave nothing" }),
    matched: z.boolean().optional(),
    bytes: z.number().optional().openapi({ description: "a transform's body, as UTF-8 JSON" }),
    result_omitted: z.string().optional(),
    error: z
      .object({ message: z.string(), position: z.number().optional(), limit: z.string().optional() })
      .optional()
      .openapi({ description: "the expression failed when run: what the pipeline would record" }),
  })
  .openapi("PreviewResult");
type PreviewResult = z.infer<typeof PreviewResult>;

/** Text that does not compile is the caller's mistake: 422 with its position, as saving a subscription says. */
function compileErrors(input: PreviewInput): FieldError[] {
  return [
    checkExpression("/filter", input.filter),
    checkExpression("/transform", input.transform),
    checkExpression("/identity/local_id", input.identity?.local_id),
    checkExpression("/identity/remote_id", input.identity?.remote_id),
  ].filter((error): error is FieldError => error !== null);
}

/** The event as a transform sees it: a stored one read as routing reads it, or a pasted one as ingest would store it. */
async function previewEvent(env: Env, input: PreviewInput): Promise<CloudEvent> {
  if (input.event_id !== undefined) {
    const row = requireFound(await getEvent(env.DB, input.event_id), "event");
    return loadCloudEvent(env.BUCKET, row);
  }
  const parsed = parseSingle(input.event, ["event"]);
  if (!parsed.ok) throw invalid(parsed.errors);
  return toCloudEvent(parsed.events[0], PASTED_EVENT_ID, PASTED_EVENT_SOURCE, Date.now());
}

/** A filter's or an identity's value, shown unless it is bigger than a transform may make. */
function shown(value: unknown): PreviewResult {
  const limit = EXPRESSION_LIMITS.outputBytes;
  if (jsonLongerThan(value, limit)) return { result_omitted: `the result is over ${limit / 1024} KiB of JSON` };
  return value === undefined ? {} : { result: value };
}

/** The failure in the words the pipeline records it, with JSONata's position or the limit that stopped it. */
function runError(error: unknown): NonNullable<PreviewResult["error"]> {
  const cause = error instanceof IdentityError && error.expressionError !== null ? error.expressionError : error;
  const { position } = (cause ?? {}) as { position?: unknown };
  return {
    message: expressionError(error),
    ...(typeof position === "number" ? { position } : {}),
    ...(cause instanceof ExpressionLimitError ? { limit: cause.limit } : {}),
  };
}

/** The pipeline's own functions, with no cache key: a preview compiles afresh and runs under the same budget. */
async function evaluatePreview(input: PreviewInput, event: CloudEvent | null): Promise<PreviewResult> {
  const identity = input.identity;
  try {
    if (identity?.remote_id !== undefined) {
      return shown(await remoteIdOf(identity.remote_id, null, JSON.stringify(identity.response)));
    }
    if (!event) throw new Error("no event to preview against");
    if (identity?.local_id !== undefined) return shown(await localIdOf(identity.local_id, null, event));
    if (input.filter !== undefined) {
      const { value, passes } = await evaluateFilter(input.filter, event, null);
      return { ...shown(value), matched: passes };
    }
    const body = await stepBody({ preset: input.preset, transform: input.transform }, null, event);
    return { result: JSON.parse(body), bytes: utf8Length(body) };
  } catch (error) {
    return { error: runError(error) };
  }
}

export const preview: Router = newRouter().openapi(
  spec({
    method: "post",
    path: "/preview",
    tag: "preview",
    summary: "Try a filter, a transform (after a preset) or an identity expression on an event",
    description:
      "Runs under the pipeline's limits and answers 200 with the result, or with `error` when the expression fails " +
      "as it runs (the message routing would record). Text that does not compile is a 422 naming the field and " +
      "the position. The admin sees every tenant, so any stored event may be previewed.",
    body: PreviewInput,
    response: PreviewResult,
  }),
  async (c) => {
    const input = c.req.valid("json");
    const errors = compileErrors(input);
    if (errors.length) throw invalid(errors);
    const event = input.identity?.remote_id !== undefined ? null : await previewEvent(c.env, input);
    return c.json(await evaluatePreview(input, event), 200);
  },
);
