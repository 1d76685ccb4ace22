import { describe, expect, it } from "vitest";
import { groupCommitter } from "../../src/engine/group-commit";

/** A fake ctx that keeps what is handed to waitUntil, like the runtime does for a live request. */
const ctx = () => ({ waitUntil: (_promise: Promise<unknown>) => {} });

/** A store that commits inputs idempotently, like INSERT … ON CONFLICT DO NOTHING with ids fixed beforehand. */
function store() {
  const rows = new Map<string, string>();
  const calls = { all: 0, alone: 0 };
  return {
    rows,
    calls,
    async commitAll(inputs: string[]) {
      calls.all += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (inputs.includes("bad")) throw new Error("the transaction failed");
      for (const input of inputs) rows.set(input, input);
      return inputs.map((input) => `stored ${input}`);
    },
    async commitAlone(input: string) {
      calls.alone += 1;
      if (input === "bad") throw new Error("bad input");
      rows.set(input, input);
      return `stored ${input}`;
    },
  };
}

describe("group commit", () => {
  it("requests arriving while a commit runs share the next one", async () => {
    const s = store();
    const committer = groupCommitter<string, string>({ memberTimeoutMs: 2000 });
    const commit = { all: s.commitAll, alone: s.commitAlone };
    const first = committer.submit(ctx(), "a", commit);
    await new Promise((resolve) => setTimeout(resolve, 1));
    const rest = ["b", "c", "d", "e"].map((input) => committer.submit(ctx(), input, commit));
    expect(await Promise.all([first, ...rest])).toEqual(["a", "b", "c", "d", "e"].map((x) => `stored ${x}`));
    // "a" led its own group; b–e waited for it and then committed together.
    expect(s.calls.all).toBeLessThanOrEqual(3);
    expect(s.calls.alone).toBe(0);
    expect(s.rows.size).toBe(5);
  });

  it("one bad request fails alone: the others of its group still commit", async () => {
    const s = store();
    const committer = groupCommitter<string, string>({ memberTimeoutMs: 2000 });
    const commit = { all: s.commitAll, alone: s.commitAlone };
    const results = await Promise.allSettled(["x", "bad", "y"].map((input) => committer.submit(ctx(), input, commit)));
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe("bad input");
    expect([...s.rows.keys()].sort()).toEqual(["x", "y"]);
  });

  it("a member whose leader never answers (its request was cancelled) commits alone: nothing lost, nothing doubled", async () => {
    const rows = new Map<string, number>();
    let hang = true;
    const committer = groupCommitter<string, string>({ memberTimeoutMs: 200, maxWaitMs: 5 });
    const commit = {
      // The leader's continuation is dropped: its group never settles.
      all: (inputs: string[]) => (hang ? new Promise<string[]>(() => {}) : Promise.resolve(inputs)),
      async alone(input: string) {
        rows.set(input, (rows.get(input) ?? 0) + 1);
        return input;
      },
    };
    const answers = await Promise.all(["p", "q", "r"].map((input) => committer.submit(ctx(), input, commit)));
    expect(answers).toEqual(["p", "q", "r"]);
    // Each member commits once, in whatever order its own timer finds the deadline passed (Node's timers and
    // workerd's differ there; the order is not the point).
    expect(Object.fromEntries(rows)).toEqual({ p: 1, q: 1, r: 1 });
    // The hung commit does not hold later groups back: they commit as a group again.
    hang = false;
    expect(await Promise.all(["s", "t"].map((input) => committer.submit(ctx(), input, commit)))).toEqual(["s", "t"]);
    expect(rows.has("s")).toBe(false);
  });
});
