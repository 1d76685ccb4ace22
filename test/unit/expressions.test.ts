import { describe, expect, it } from "vitest";
import {
  checkExpression,
  checkExpressionRuns,
  EXPRESSION_LIMITS,
  ExpressionLimitError,
  evaluate,
  evaluateJson,
} from "../../src/domain/expressions";

let keys = 0;
const key = () => `unit:${keys++}`;
const run = (text: string, input: unknown = {}) => evaluate(key(), text, input);

async function limitOf(promise: Promise<unknown>): Promise<ExpressionLimitError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ExpressionLimitError);
  return error as ExpressionLimitError;
}

describe("the step budget", () => {
  it("stops a function that calls itself for ever (JSONata turns the tail call into a loop, so depth never grows)", async () => {
    const error = await limitOf(run("($f := function($x){ $f($x) }; $f(1))"));
    expect(error.limit).toBe("steps");
    expect(error.message).toContain("step budget");
    expect(error.message).toContain("100,000");
  });

  it("stops a fold over many items, and charges $distinct's pairwise comparisons", async () => {
    expect((await limitOf(run("$reduce([1..60000], function($a, $b){ $a + $b })"))).limit).toBe("steps");
    expect(
      (await limitOf(run("$count($distinct(data))", { data: Array.from({ length: 20_000 }, (_, i) => i) }))).limit,
    ).toBe("steps");
  });

  it("stays typed when JSONata wraps the error on its way out (a lambda inside $map)", async () => {
    const error = await limitOf(run("$map([1, 2], function($v){ ($f := function($x){ $f($x) }; $f($v)) })"));
    expect(error.limit).toBe("steps");
  });

  it("is per evaluation: a runaway next to a normal evaluation of the same cached expression does not touch it", async () => {
    const text = "($f := function($n){ $n > 0 ? $f($n) : 'done' }; $f(n))";
    const shared = key();
    const [runaway, normal] = await Promise.allSettled([
      evaluate(shared, text, { n: 1 }),
      evaluate(shared, text, { n: 0 }),
    ]);
    expect(runaway.status).toBe("rejected");
    expect(normal).toEqual({ status: "fulfilled", value: "done" });
    // And the next evaluation starts from a fresh budget.
    expect(await evaluate(shared, text, { n: 0 })).toBe("done");
  });
});

describe("the depth limit", () => {
  it("stops recursion that is not a tail call", async () => {
    const error = await limitOf(run("($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000))"));
    expect(error.limit).toBe("depth");
    expect(error.message).toContain(`deeper than ${EXPRESSION_LIMITS.depth}`);
  });

  it("lets ordinary recursion through", async () => {
    expect(await run("($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(20))")).toBe(20);
  });
});

describe("sizes", () => {
  it("refuses a range past the sequence limit before building it", async () => {
    const error = await limitOf(run("$sum([1..10000000])"));
    expect(error.limit).toBe("sequence");
  });

  it("refuses strings a single built-in would blow up", async () => {
    expect((await limitOf(run("$pad('', 50000000, 'x')"))).limit).toBe("size");
    expect((await limitOf(run("$join([a, a, a], a)", { a: "x".repeat(1_000_000) }))).limit).toBe("size");
    expect((await limitOf(run("$replace(s, 'a', r)", { s: "a".repeat(10_000), r: "x".repeat(1_000) }))).limit).toBe(
      "size",
    );
  });

  it("leaves the guarded built-ins working as before", async () => {
    expect(await run("$pad('ab', 5, '-')")).toBe("ab---");
    expect(await run("$pad('ab', -5)")).toBe("   ab");
    expect(await run("$join(['a', 'b'], ',')")).toBe("a,b");
    expect(await run("$distinct([1, 2, 2, 3])")).toEqual([1, 2, 3]);
    expect(await run("$replace('a-b-c', '-', '+')")).toBe("a+b+c");
    expect(await run("$replace('a1b22', /[0-9]+/, '#')")).toBe("a#b#");
  });

  it("refuses a transform output over the output cap, saying how big it was", async () => {
    const error = await limitOf(evaluateJson(key(), "{ 'blob': $pad('', 300000, 'x') }", {}));
    expect(error.limit).toBe("output");
    expect(error.message).toContain("output size limit");
    expect(error.message).toContain("262,144");
    expect(await evaluateJson(key(), "{ 'blob': $pad('', 100, 'x') }", {})).toBe(
      JSON.stringify({ blob: "x".repeat(100) }),
    );
  });
});

describe("regexes", () => {
  it.each([
    ["$match(data.s, /(a+)+$/)", "/(a+)+$/"],
    ["$contains(data.s, /(a*)*b/)", "/(a*)*b/"],
    ["$replace(data.s, /(a|aa)+c/, '')", "/(a|aa)+c/"],
    ["$split(data.s, /(x+y?)+/)", "/(x+y?)+/"],
  ])("refuses %s when compiled, naming the regex and its position", (text, regex) => {
    const error = checkExpression("/filter", text);
    expect(error?.path).toBe("/filter");
    expect(error?.message).toContain(regex);
    expect(error?.message).toMatch(/regex limit.*at position \d+/);
  });

  it("refuses over-long patterns and $eval", () => {
    expect(checkExpression("/filter", `$contains(s, /${"a".repeat(600)}/)`)?.message).toContain("over 500 characters");
    expect(checkExpression("/filter", "$eval('1 + 1')")?.message).toContain("$eval");
  });

  it("accepts safe regexes, which run as before", async () => {
    expect(checkExpression("/filter", "$contains(s, /^[a-z]+@[a-z.]+$/i) and $match(s, /(GET|POST)+/)")).toBeNull();
    expect(await run("$contains(s, /^[a-z]+@[a-z.]+$/i)", { s: "ada@example.com" })).toBe(true);
  });

  it("refuses a stored expression with a runaway regex at evaluation too", async () => {
    expect((await limitOf(run("$match(s, /(a+)+$/)", { s: "aaaa" }))).limit).toBe("regex");
  });
});

describe("the save-time run against a sample event", () => {
  it.each([
    ["$sum([1..10000000])", "sequence limit"],
    ["($f := function($x){ $f($x) }; $f(1))", "step budget"],
    ["($f := function($n){ 1 + $f($n + 1) }; $f(1))", "depth limit"],
  ])("refuses %s, naming the limit and the field", async (text, limit) => {
    const error = await checkExpressionRuns("/steps/0/transform", text, "output");
    expect(error?.path).toBe("/steps/0/transform");
    expect(error?.message).toContain(limit);
    expect(error?.message).toContain("sample event");
  });

  it("refuses a transform whose output is over the cap even on the sample", async () => {
    expect((await checkExpressionRuns("/steps/0/transform", "$pad('', 300000)", "output"))?.message).toContain(
      "output size limit",
    );
  });

  it("does not refuse what merely fails on the sample: a missing path, $error, a type error", async () => {
    expect(await checkExpressionRuns("/filter", "data.userDetail.ref2 = 'Engineering'")).toBeNull();
    expect(await checkExpressionRuns("/filter", "$error('only for real events')")).toBeNull();
    expect(await checkExpressionRuns("/filter", "data.n + 'x'")).toBeNull();
    expect(
      await checkExpressionRuns("/filter", "($f := function($n){ $n > 0 ? $f($n) : false }; $f(data.n))"),
    ).toBeNull();
  });

  it("still reports a compile error with its position", async () => {
    expect((await checkExpressionRuns("/filter", "data.("))?.message).toMatch(/does not compile at position \d+/);
  });
});
