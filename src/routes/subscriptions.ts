import { z } from "@hono/zod-openapi";
import { destinationIdsOf } from "../db/destinations";
import { getSource } from "../db/sources";
import { getSubscriber } from "../db/subscribers";
import {
  deleteSubscription,
  getSubscription,
  insertSubscription,
  listSubscriptions,
  type SubscriptionRow,
  updateSubscription,
} from "../db/subscriptions";
import { checkExpressionRuns, SAMPLE_EVENT } from "../domain/expressions";
import { Id } from "../domain/ids";
import { applyPreset } from "../domain/presets";
import { Step } from "../domain/step";
import { SubscriptionFields, SubscriptionInput } from "../domain/subscription";
import { newId } from "../lib/ids";
import { type FieldError, invalid } from "../lib/problem";
import { iso } from "../lib/time";
import { assertTargetUrls } from "../lib/url-policy";
import { noticeOf, ringNewNotices } from "../pipeline/subscription-notice";
import { spec } from "./openapi";
import { newRouter, type Router, requireFound } from "./router";
import { ListQuery, listOf } from "./schemas";

/**
 * PATCH names the fields it changes (each replaced whole); `filter: null` removes the filter. The merged fields are
 * checked as a create's are.
 */
const SubscriptionPatch = z
  .object({
    event_types: SubscriptionFields.event_types.unwrap(),
    filter: SubscriptionFields.filter,
    archive: SubscriptionFields.archive.unwrap(),
    steps: SubscriptionFields.steps.unwrap(),
  })
  .partial()
  .openapi("SubscriptionPatch");

const Subscription = z
  .object({
    id: z.string(),
    subscriber_id: z.string(),
    source_id: z.string(),
    event_types: z.array(z.string()),
    filter: z.string().nullable(),
    archive: z.boolean(),
    steps: z.array(Step),
    version: z.number(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Subscription");

const Params = z.object({ id: Id("sbn") });
const ListFilters = ListQuery.extend({ subscriber_id: Id("sub").optional(), source_id: Id("src").optional() });

function present(row: SubscriptionRow) {
  return {
    id: row.id,
    subscriber_id: row.subscriber_id,
    source_id: row.source_id,
    event_types: row.event_types,
    filter: row.filter,
    archive: row.archive === 1,
    steps: row.steps,
    version: row.version,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

/**
 * Everything a saved subscription must be able to run: JSONata that compiles, has no runaway regex and stays within
 * the pipeline's limits on a sample event; steps to the subscriber's own destinations.
 */
async function validateSubscription(
  env: Env,
  subscriberId: string,
  fields: { filter?: string | null; archive: boolean; steps: Step[] },
): Promise<void> {
  const errors: FieldError[] = [];
  const checked = await Promise.all([
    checkExpressionRuns("/filter", fields.filter),
    ...fields.steps.flatMap((step, i) => [
      // A transform after a preset sees the preset's shape of the event, so that is what it is tried on.
      checkExpressionRuns(
        `/steps/${i}/transform`,
        step.transform,
        "output",
        step.preset ? applyPreset(step.preset, SAMPLE_EVENT) : SAMPLE_EVENT,
      ),
      checkExpressionRuns(`/steps/${i}/identity/local_id`, step.identity?.local_id),
      checkExpressionRuns(`/steps/${i}/identity/remote_id`, step.identity?.remote_id),
    ]),
  ]);
  for (const error of checked) if (error) errors.push(error);
  if (!fields.steps.length && !fields.archive) {
    errors.push({ path: "/steps", message: "must have at least one step unless archive is true" });
  }
  const owned = await destinationIdsOf(env.DB, subscriberId, [...new Set(fields.steps.map((s) => s.destination_id))]);
  fields.steps.forEach((step, i) => {
    if (!owned.has(step.destination_id)) {
      errors.push({ path: `/steps/${i}/destination_id`, message: "is not a destination of this subscriber" });
    }
  });
  if (errors.length) throw invalid(errors);
  assertTargetUrls(
    env,
    fields.steps.map((step, i) => ({ path: `/steps/${i}/identity/update/url`, url: step.identity?.update.url })),
  );
}

/** A subscription's source (whose notify URL a change notice goes to) and its subscriber (named in the notice). */
async function endsOf(env: Env, row: SubscriptionRow) {
  const [source, subscriber] = await Promise.all([
    getSource(env.DB, row.source_id),
    getSubscriber(env.DB, row.subscriber_id),
  ]);
  return { source, subscriber: { id: row.subscriber_id, name: subscriber?.name ?? "" } };
}

export const subscriptions: Router = newRouter()
  .openapi(
    spec({
      method: "post",
      path: "/subscriptions",
      tag: "subscriptions",
      summary: "Route a source's events to a subscriber",
      body: SubscriptionInput,
      status: 201,
      response: Subscription,
    }),
    async (c) => {
      const input = c.req.valid("json");
      const [subscriber, source] = await Promise.all([
        getSubscriber(c.env.DB, input.subscriber_id),
        getSource(c.env.DB, input.source_id),
      ]);
      const missing: FieldError[] = [];
      if (!subscriber) missing.push({ path: "/subscriber_id", message: "no such subscriber" });
      if (!source) missing.push({ path: "/source_id", message: "no such source" });
      if (missing.length) throw invalid(missing);
      await validateSubscription(c.env, input.subscriber_id, input);
      const now = Date.now();
      const row: SubscriptionRow = {
        id: newId("sbn", now),
        subscriber_id: input.subscriber_id,
        source_id: input.source_id,
        event_types: input.event_types,
        filter: input.filter ?? null,
        archive: input.archive ? 1 : 0,
        steps: input.steps,
        version: 1,
        created_at: now,
        updated_at: now,
      };
      const owed = noticeOf(c.env.DB, source, { change: "created", subscription: row, subscriber: subscriber!, now });
      await insertSubscription(c.env.DB, row, owed.statements);
      await ringNewNotices(c.env, owed);
      return c.json(present(row), 201);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/subscriptions",
      tag: "subscriptions",
      summary: "List subscriptions",
      query: ListFilters,
      response: listOf(Subscription),
    }),
    async (c) => {
      const { limit, cursor, subscriber_id, source_id } = c.req.valid("query");
      const page = await listSubscriptions(c.env.DB, { subscriber_id, source_id }, limit, cursor);
      return c.json({ data: page.data.map(present), next_cursor: page.next_cursor }, 200);
    },
  )
  .openapi(
    spec({
      method: "get",
      path: "/subscriptions/{id}",
      tag: "subscriptions",
      summary: "Get a subscription",
      params: Params,
      response: Subscription,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(present(requireFound(await getSubscription(c.env.DB, id), "subscription")), 200);
    },
  )
  .openapi(
    spec({
      method: "patch",
      path: "/subscriptions/{id}",
      tag: "subscriptions",
      summary: "Change a subscription (a new version: new events use it at once)",
      params: Params,
      body: SubscriptionPatch,
      response: Subscription,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const before = requireFound(await getSubscription(c.env.DB, id), "subscription");
      const existing = present(before);
      const merged = {
        filter: input.filter !== undefined ? input.filter : existing.filter,
        archive: input.archive ?? existing.archive,
        steps: input.steps ?? existing.steps,
      };
      await validateSubscription(c.env, existing.subscriber_id, merged);
      const now = Date.now();
      const fields = {
        event_types: input.event_types ?? before.event_types,
        filter: merged.filter,
        archive: merged.archive ? 1 : 0,
        steps: merged.steps,
        updated_at: now,
      };
      const ends = await endsOf(c.env, before);
      const owed = noticeOf(c.env.DB, ends.source, {
        change: "updated",
        subscription: { ...before, ...fields, version: before.version + 1 },
        previous: before,
        subscriber: ends.subscriber,
        now,
      });
      await updateSubscription(c.env.DB, id, fields, owed.statements);
      await ringNewNotices(c.env, owed);
      return c.json(present(requireFound(await getSubscription(c.env.DB, id), "subscription")), 200);
    },
  )
  .openapi(
    spec({
      method: "delete",
      path: "/subscriptions/{id}",
      tag: "subscriptions",
      summary: "Delete a subscription",
      params: Params,
      status: 204,
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const row = requireFound(await getSubscription(c.env.DB, id), "subscription");
      const ends = await endsOf(c.env, row);
      const now = Date.now();
      const owed = noticeOf(c.env.DB, ends.source, {
        change: "deleted",
        subscription: row,
        subscriber: ends.subscriber,
        now,
      });
      requireFound((await deleteSubscription(c.env.DB, id, owed.statements)) || null, "subscription");
      await ringNewNotices(c.env, owed);
      return c.body(null, 204);
    },
  );
