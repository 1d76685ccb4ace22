/**
 * Group commit: requests that arrive while a commit is in flight in this isolate share the next one, so a burst of
 * publishes costs one D1 transaction per group instead of one per request (../shared/PIPELINE.md).
 *
 * Workers rules this respects: an isolate may serve concurrent requests and keeps module state, but nothing
 * guarantees two requests share one, so grouping is an opportunistic speed-up and a lone request commits alone.
 * I/O objects of one request cannot be used by another, so members hand over plain values and get plain results;
 * the leader makes every D1 call in its own context, under `waitUntil`. Continuations of a promise another request
 * settles may be dropped if that request ends first, so each member waits on its own deferred and, if the group has
 * not answered in time, commits its own input alone — which must therefore be idempotent (insert-or-ignore with ids
 * fixed before the commit, then a read-back). Module state holds values and deferreds, never shared I/O.
 */

interface Member<In, Out> {
  input: In;
  resolve: (out: Out) => void;
  reject: (error: unknown) => void;
}

interface Group<In, Out> {
  members: Member<In, Out>[];
  closed: boolean;
}

export interface GroupCommitOptions<In, Out> {
  /** Commits every member's input in one transaction, results in member order. Throws if the transaction fails. */
  commitAll(inputs: In[]): Promise<Out[]>;
  /** Commits one input alone: after a failed group (so only the bad member fails) and after a member's timeout. */
  commitAlone(input: In): Promise<Out>;
  /** How long a member waits for its group before committing alone. */
  memberTimeoutMs: number;
  /** The longest a leader waits for the commit before its own to end (default 50 ms). */
  maxWaitMs?: number;
}

export interface GroupCommitter<In, Out> {
  submit(ctx: Pick<ExecutionContext, "waitUntil">, input: In): Promise<Out>;
}

export function groupCommitter<In, Out>(options: GroupCommitOptions<In, Out>): GroupCommitter<In, Out> {
  let open: Group<In, Out> | null = null;
  let inFlight: Promise<void> = Promise.resolve();

  const settleAlone = async (member: Member<In, Out>) => {
    try {
      member.resolve(await options.commitAlone(member.input));
    } catch (error) {
      member.reject(error);
    }
  };

  const lead = (group: Group<In, Out>): Promise<void> => {
    const previous = inFlight;
    const work = (async () => {
      // Whoever arrives while the commit before this one runs joins this group. A commit in flight takes a few ms;
      // one that never ends (its request's continuation dropped) must not hold every later group back.
      let waited: ReturnType<typeof setTimeout> | null = null;
      await Promise.race([
        previous.catch(() => {}),
        new Promise<void>((done) => {
          waited = setTimeout(done, options.maxWaitMs ?? 50);
        }),
      ]);
      if (waited !== null) clearTimeout(waited);
      group.closed = true;
      if (open === group) open = null;
      let results: Out[];
      try {
        results = await options.commitAll(group.members.map((member) => member.input));
      } catch {
        // One bad input fails the whole transaction: each member commits alone, so only the bad one gets the error.
        await Promise.all(group.members.map(settleAlone));
        return;
      }
      for (const [i, member] of group.members.entries()) member.resolve(results[i]);
    })();
    inFlight = work;
    return work;
  };

  return {
    submit(ctx, input) {
      return new Promise<Out>((resolve, reject) => {
        let settled = false;
        let timer: ReturnType<typeof setTimeout> | null = null;
        // The first answer wins: the group's, or this member's own after its timeout (the other is then a no-op).
        const finish = (answer: () => void) => {
          if (settled) return;
          settled = true;
          if (timer !== null) clearTimeout(timer);
          answer();
        };
        const member: Member<In, Out> = {
          input,
          resolve: (out) => finish(() => resolve(out)),
          reject: (error) => finish(() => reject(error)),
        };
        if (open && !open.closed) {
          open.members.push(member);
        } else {
          const group: Group<In, Out> = { members: [member], closed: false };
          open = group;
          ctx.waitUntil(lead(group));
        }
        // The group may be another request's work: if it has not answered in time, this request commits its own.
        timer = setTimeout(() => {
          if (!settled) void settleAlone(member);
        }, options.memberTimeoutMs);
      });
    },
  };
}
