/**
 * Group commit: requests that arrive while a commit is in flight in this isolate share the next one, so a burst of
 * publishes costs one D1 transaction per group instead of one per request (../shared/PIPELINE.md).
 *
 * Workers rules this respects: an isolate may serve concurrent requests and keeps module state, but nothing
 * guarantees two requests share one, so grouping is an opportunistic speed-up and a lone request commits alone.
 * I/O objects of one request cannot be used by another, so members hand over plain values and get plain results,
 * and the group is committed with the leader's own functions (its env, its bindings), under its `waitUntil`.
 * Continuations of a promise another request settles may be dropped if that request ends first, so each member
 * waits on its own deferred and, if the group has not answered in time, commits its own input alone — which must
 * therefore be idempotent (insert-or-ignore with ids fixed before the commit, then a read-back). Module state holds
 * values and deferreds, never shared I/O.
 */

export interface Commit<In, Out> {
  /** Commits every member's input in one transaction, results in member order. Throws if the transaction fails. */
  all(inputs: In[]): Promise<Out[]>;
  /** Commits one input alone: after a failed group (so only the bad member fails) and after a member's timeout. */
  alone(input: In): Promise<Out>;
}

/** What the group tells a member: here is your result, or commit your own input yourself. */
type Answer<Out> = { done: true; out: Out } | { done: false };

interface Member<In, Out> {
  input: In;
  commit: Commit<In, Out>;
  /** Written by the leader: a plain value, read by the member on its own timer (see below). */
  answer: Answer<Out> | null;
}

interface Group<In, Out> {
  members: Member<In, Out>[];
  closed: boolean;
}

export interface GroupCommitOptions {
  /** How long a member waits for its group before committing alone. */
  memberTimeoutMs: number;
  /** The longest a leader waits for the commit before its own to end (default 50 ms). */
  maxWaitMs?: number;
}

export interface GroupCommitter<In, Out> {
  submit(ctx: Pick<ExecutionContext, "waitUntil">, input: In, commit: Commit<In, Out>): Promise<Out>;
}

const tick = () => new Promise((done) => setTimeout(done, 1));

/**
 * Members learn their answer by looking, on their own 1 ms timers, at a value the leader writes, rather than by
 * awaiting a promise the leader settles: workerd refuses to let one request settle another's promise here ("Cannot
 * perform I/O on behalf of a different request"), and every continuation of a member then runs in its own request.
 */
export function groupCommitter<In, Out>(options: GroupCommitOptions): GroupCommitter<In, Out> {
  let open: Group<In, Out> | null = null;
  let committing = false;

  const lead = async (group: Group<In, Out>): Promise<void> => {
    // Whoever arrives while the commit before this one runs joins this group. A commit takes a few ms; one that
    // never ends (its request's continuation dropped) must not hold every later group back.
    const until = Date.now() + (options.maxWaitMs ?? 50);
    while (committing && Date.now() < until) await tick();
    group.closed = true;
    if (open === group) open = null;
    const [leader] = group.members;
    committing = true;
    try {
      const results = await leader.commit.all(group.members.map((member) => member.input));
      for (const [i, member] of group.members.entries()) member.answer = { done: true, out: results[i] };
    } catch {
      // One bad input fails the whole transaction: each member commits alone, in its own request, so only the bad
      // one gets the error.
      for (const member of group.members) member.answer = { done: false };
    } finally {
      committing = false;
    }
  };

  return {
    async submit(ctx, input, commit) {
      const member: Member<In, Out> = { input, commit, answer: null };
      if (open && !open.closed) {
        open.members.push(member);
      } else {
        const group: Group<In, Out> = { members: [member], closed: false };
        open = group;
        ctx.waitUntil(lead(group));
      }
      // The group may be another request's work: if it has not answered in time, this request commits its own.
      const deadline = Date.now() + options.memberTimeoutMs;
      while (!member.answer && Date.now() < deadline) await tick();
      const answer = member.answer as Answer<Out> | null;
      return answer?.done ? answer.out : commit.alone(input);
    },
  };
}
