import { SealedUnreadable, sourceSigningSecret, unseal } from "../auth/sealed";
import { webhookHeaders } from "../auth/signature";
import { claimOrAbandon, LEASED, type LeaseAbandon, type LeaseClaim } from "../db/lost-work";
import type { SourceRow } from "../db/sources";
import {
  type NewSubscriptionNotice,
  noticeStatement,
  readNoticeBatch,
  recordNotices,
  type SubscriptionChange,
  type SubscriptionNoticeRecord,
  type SubscriptionNoticeRow,
  subscriptionsOwingNotices,
} from "../db/subscription-notices";
import type { SubscriptionRow } from "../db/subscriptions";
import { decideAttempt } from "../domain/attempt-decision";
import { DEFAULT_RETRY_POLICY } from "../domain/retry-policy";
import { reringLost } from "../engine/rering";
import { notClaimable, runStage, type Stage } from "../engine/stage";
import { newId } from "../lib/ids";
import { logStep } from "../lib/log";
import { iso } from "../lib/time";
import { outboundUrlProblem } from "../lib/url-policy";
import { type Ring, ringSubscriptionNotices } from "../queues/ring";
import { LEASE_SLACK_MS, openedOnce, type Pushed, send, threw, USER_AGENT } from "./push";

/**
 * Subscription change notices (CONTRACT §3 Sources, the UBX `v1/subscription/notification` pattern): when a
 * subscription is created, changed or deleted, its source's subscription_notify_url is POSTed a notice, signed with
 * Standard Webhooks headers and the source's signing_secret, so the origin knows who listens to what.
 *
 * A subscription names one source and receives only that source's events (pipeline/route.ts matches on
 * `source_id`), so that source, and no other, is told. The notice is written in the change's own transaction
 * (db/subscription-notices.ts) and sent like an archive-ready announcement: on the stage engine, a batch at a time,
 * retried with a destination's default policy, `webhook-id` the notice's id on every attempt, the body the same bytes.
 */

export const NOTICE_POLICY = DEFAULT_RETRY_POLICY;
const TIMEOUT_MS = 30_000;

export type NoticeOutcome = "sent" | "retrying" | "dead" | "skipped";

/** What a notice says of a subscription: who listens to which of the source's events, and how; never where. */
function listening(subscription: SubscriptionRow, subscriber: { id: string; name: string }) {
  return {
    id: subscription.id,
    version: subscription.version,
    subscriber: { id: subscriber.id, name: subscriber.name },
    event_types: subscription.event_types,
    filtered: subscription.filter !== null,
    push: subscription.steps.length > 0,
    archive: subscription.archive === 1,
    created_at: iso(subscription.created_at),
    updated_at: iso(subscription.updated_at),
  };
}

export interface SubscriptionChangeFacts {
  change: SubscriptionChange;
  /** The subscription after the change; for a deletion, as it was. */
  subscription: SubscriptionRow;
  /** For a change: the subscription before it. */
  previous?: SubscriptionRow;
  subscriber: { id: string; name: string };
  now: number;
}

/** The notice of one change, its body fixed now: every attempt sends (and signs) these bytes. */
export function subscriptionNotice(facts: SubscriptionChangeFacts): NewSubscriptionNotice {
  const id = newId("snt", facts.now);
  const body = {
    id,
    type: `subscription.${facts.change}`,
    occurred_at: iso(facts.now),
    source_id: facts.subscription.source_id,
    subscription: listening(facts.subscription, facts.subscriber),
    ...(facts.previous ? { previous: listening(facts.previous, facts.subscriber) } : {}),
  };
  return {
    id,
    source_id: facts.subscription.source_id,
    subscription_id: facts.subscription.id,
    change: facts.change,
    body: JSON.stringify(body),
    created_at: facts.now,
  };
}

/**
 * The notice a subscription change owes its source (none when the source has no subscription_notify_url) and the
 * statements that record it, for the change's own `DB.batch`.
 */
export function noticeOf(
  db: D1Database,
  source: Pick<SourceRow, "subscription_notify_url"> | null,
  facts: SubscriptionChangeFacts,
): OwedNotices {
  return owed(db, source?.subscription_notify_url ? [subscriptionNotice(facts)] : []);
}

/** Notices to record in a change's transaction, and the statements that record them. */
export interface OwedNotices {
  notices: NewSubscriptionNotice[];
  statements: D1PreparedStatement[];
}

function owed(db: D1Database, notices: NewSubscriptionNotice[]): OwedNotices {
  return { notices, statements: notices.map((notice) => noticeStatement(db, notice)) };
}

/**
 * A subscriber's deletion takes its subscriptions with it: each one whose source takes notices owes a
 * `subscription.deleted`, recorded in the deletion's transaction like any other.
 */
export async function subscriberGoneNotices(
  db: D1Database,
  subscriber: { id: string; name: string },
  now: number,
): Promise<OwedNotices> {
  const subscriptions = await subscriptionsOwingNotices(db, subscriber.id);
  return owed(
    db,
    subscriptions.map((subscription) => subscriptionNotice({ change: "deleted", subscription, subscriber, now })),
  );
}

/** The source's signing secret, opened once per isolate (push.ts's cache, keyed by the ciphertext). */
function signingSecret(env: Env, source: SourceRow, sealed: string): Promise<string> {
  return openedOnce(`${env.SECRETS_KEY}\n${source.id}\n${sealed}`, () =>
    unseal(env.SECRETS_KEY, sourceSigningSecret(source.id), sealed),
  );
}

interface Item {
  notice: SubscriptionNoticeRow;
  source: SourceRow;
  url: string;
  sealedSecret: string;
  /** This attempt's number: the row's attempts once claimed. */
  attempt: number;
}

interface Outcome {
  sent: Pushed;
  status: SubscriptionNoticeRecord["status"];
  delaySeconds: number | null;
  finishedAt: number;
}

function outcomeOf(item: Item, sent: Pushed): Outcome {
  const finishedAt = Date.now();
  const decision = decideAttempt({
    statusCode: sent.statusCode,
    permanent: sent.permanent,
    retryAfter: sent.retryAfter,
    attemptInBudget: item.attempt,
    failingSince: null,
    policy: NOTICE_POLICY,
    now: finishedAt,
  });
  const status = decision.outcome === "sent" || decision.outcome === "retrying" ? decision.outcome : "dead";
  return { sent, status, delaySeconds: status === "retrying" ? decision.delaySeconds : null, finishedAt };
}

/** Why a claimed notice can no longer be sent, or null when it can. */
function abandonReason(env: Env, source: SourceRow | undefined): string | null {
  if (!source) return "the source was deleted";
  if (!source.subscription_notify_url) return "the source has no subscription_notify_url any more";
  if (!source.signing_secret_enc) return "the source has no signing_secret";
  const refused = outboundUrlProblem(env, source.subscription_notify_url);
  return refused && `subscription_notify_url ${refused}`;
}

/** `clock` stands in for the claim's time when given (a test's "as if it were then"). */
function noticeStage(
  env: Env,
  outcomes: Map<string, NoticeOutcome>,
  clock: number | undefined,
): Stage<Item, Outcome, Ring> {
  const log = (id: string, outcome: string, fields: Record<string, unknown> = {}) =>
    logStep({ stage: "subscription_notice", outcome, notice_id: id, ...fields });
  const skip = (id: string, status: string) => {
    outcomes.set(id, "skipped");
    log(id, "skipped", { status });
  };
  return {
    name: "subscription_notice_batch",

    async claim(ids, started) {
      const now = clock ?? started;
      const batch = await readNoticeBatch(env.DB, ids);
      const claims: LeaseClaim[] = [];
      const abandons: LeaseAbandon[] = [];
      const candidates: Item[] = [];
      for (const id of ids) {
        const notice = batch.notices.get(id);
        const why = notClaimable(notice, LEASED.subscriptionNotices.statuses, now);
        if (why !== null || !notice) {
          skip(id, why ?? "missing");
          continue;
        }
        const source = batch.sources.get(notice.source_id);
        const error = abandonReason(env, source);
        if (error || !source) {
          abandons.push({ id, n: notice.attempts, error: error ?? "the source was deleted" });
          continue;
        }
        claims.push({ id, n: notice.attempts, lease_until: now + TIMEOUT_MS + LEASE_SLACK_MS });
        candidates.push({
          notice,
          source,
          url: source.subscription_notify_url!,
          sealedSecret: source.signing_secret_enc!,
          attempt: notice.attempts + 1,
        });
      }
      const won = await claimOrAbandon(env.DB, LEASED.subscriptionNotices, claims, abandons, now);
      for (const { id, error } of abandons) {
        outcomes.set(id, "dead");
        log(id, "dead", { error });
      }
      for (const candidate of candidates) {
        if (!won.has(candidate.notice.id)) skip(candidate.notice.id, "claimed elsewhere");
      }
      return candidates.filter((candidate) => won.has(candidate.notice.id));
    },

    async act(item) {
      let secret: string;
      try {
        secret = await signingSecret(env, item.source, item.sealedSecret);
      } catch (error) {
        if (!(error instanceof SealedUnreadable)) throw error;
        return outcomeOf(item, { ...threw(error), error: `${error.message}; rotate the source`, permanent: true });
      }
      const { body } = item.notice;
      const headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        ...(await webhookHeaders(secret, item.notice.id, body)),
      };
      return outcomeOf(item, await send({ url: item.url, method: "POST", headers, body }, TIMEOUT_MS, 0));
    },

    failed: (item, error) => outcomeOf(item, threw(error)),

    targetOf: (item) => item.source.id,

    async record(done) {
      await recordNotices(
        env.DB,
        done.map(({ item, outcome }) => ({
          id: item.notice.id,
          n: item.attempt,
          status: outcome.status,
          next_attempt_at: outcome.delaySeconds !== null ? outcome.finishedAt + outcome.delaySeconds * 1000 : null,
          status_code: outcome.sent.statusCode,
          error: outcome.sent.error,
          at: outcome.finishedAt,
        })),
      );
      for (const { item, outcome } of done) {
        outcomes.set(item.notice.id, outcome.status);
        log(item.notice.id, outcome.status, {
          source_id: item.source.id,
          subscription_id: item.notice.subscription_id,
          attempt: item.attempt,
          status_code: outcome.sent.statusCode,
          duration_ms: outcome.sent.durationMs,
          ...(outcome.sent.error ? { error: outcome.sent.error } : {}),
          ...(outcome.delaySeconds !== null ? { retry_in_s: outcome.delaySeconds } : {}),
        });
      }
      // Waits longer than a queue delay are not rung (pack drops them): the sweeper finds the row due.
      return done
        .filter(({ outcome }) => outcome.delaySeconds !== null)
        .map(({ item, outcome }) => ({ id: item.notice.id, delaySeconds: outcome.delaySeconds! }));
    },

    ring: (rings) => ringSubscriptionNotices(env, rings),
  };
}

/**
 * One attempt at each due notice among `ids` (the archive queue's consumer for `subscription_notices` messages), and
 * what each came to. Idempotent: a duplicate or early message finds the row sent, not due, or claimed, and does
 * nothing. Throws only when D1 itself fails. `now` stands in for the claim's time when given.
 */
export async function sendSubscriptionNotices(
  env: Env,
  ids: readonly string[],
  now?: number,
): Promise<Map<string, NoticeOutcome>> {
  const outcomes = new Map<string, NoticeOutcome>();
  await runStage(noticeStage(env, outcomes, now), ids);
  return outcomes;
}

/** Rings just-recorded notices for their first attempt. Never throws: a lost ring is the sweeper's to find. */
export async function ringNewNotices(env: Env, { notices }: OwedNotices): Promise<void> {
  if (!notices.length) return;
  await ringSubscriptionNotices(
    env,
    notices.map((notice) => ({ id: notice.id })),
  ).catch((error) =>
    logStep({ stage: "subscription_notice", outcome: "ring_failed_left_to_sweeper", error: String(error) }),
  );
}

/** For the sweeper: notices due whose queue message was lost are rung again. */
export async function sweepSubscriptionNotices(
  env: Env,
  window: { dueBefore: number; sweptBefore: number; now: number; limit: number },
): Promise<number> {
  const lost = await reringLost(env.DB, LEASED.subscriptionNotices, window, (rings) =>
    ringSubscriptionNotices(env, rings),
  );
  if (lost.length) logStep({ stage: "subscription_notice", outcome: "swept", requeued: lost.length });
  return lost.length;
}
