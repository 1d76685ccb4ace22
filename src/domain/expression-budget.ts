import jsonata from "jsonata";
import { RelayError } from "../lib/errors";

/**
 * The bounds every JSONata evaluation runs under (filters, transforms, identity and sync expressions, and the
 * save-time trial run). In workerd `Date.now()` does not advance while a script computes, so the deadline alone
 * cannot stop a loop: the step budget, counted by JSONata's own per-node hook, is the real bound.
 */
export const EXPRESSION_LIMITS = {
  /** Evaluation steps (AST nodes evaluated, lambda bodies included): a few hundred for a typical transform. */
  steps: 100_000,
  /** Nesting of evaluation: about three per level of non-tail recursion; expressions use a few dozen. */
  depth: 200,
  /** Wall time, checked every 256 steps; see above for why it is not the main bound. */
  timeMs: 1_000,
  /** Items in one array or sequence built while evaluating (a range such as [1..n] is refused before it is built). */
  sequence: 100_000,
  /** Characters in one string built while evaluating: room for a stringified 1 MiB event, twice over. */
  stringChars: 2 * 1024 * 1024,
  /** A transform's output, as JSON (UTF-8 bytes): what one push or one row may carry. */
  outputBytes: 256 * 1024,
} as const;

export type ExpressionLimit = "steps" | "depth" | "time" | "sequence" | "size" | "output" | "regex";

const LIMIT_NAMES: Record<ExpressionLimit, string> = {
  steps: "step budget",
  depth: "depth limit",
  time: "time limit",
  sequence: "sequence limit",
  size: "size limit",
  output: "output size limit",
  regex: "regex limit",
};

/** An expression went past one of its bounds: the message names which one, so `last_error` says why. */
export class ExpressionLimitError extends RelayError {
  constructor(
    readonly limit: ExpressionLimit,
    detail: string,
  ) {
    super(`the expression exceeded its ${LIMIT_NAMES[limit]}: ${detail}`, false);
    this.name = "ExpressionLimitError";
  }
}

const count = (n: number) => n.toLocaleString("en-US");

/** JSONata's frame: `base` is the evaluation's root frame, whose `depth` JSONata keeps itself. */
interface Frame {
  base: Frame & { depth: number };
  lookup(name: string | symbol): unknown;
}

/** `this` of a built-in function as JSONata calls it. */
interface Focus {
  environment: Frame;
}

interface BuiltIn {
  implementation: (this: Focus, ...args: unknown[]) => unknown;
}

/** One evaluation's spending. Its first breach is kept, so a wrapper that rethrows or wraps the error cannot hide it. */
export class Budget {
  steps = 0;
  breach: ExpressionLimitError | null = null;
  private readonly deadline = Date.now() + EXPRESSION_LIMITS.timeMs;

  fail(limit: ExpressionLimit, detail: string): never {
    this.breach ??= new ExpressionLimitError(limit, detail);
    throw this.breach;
  }

  spend(steps: number, depth: number): void {
    this.steps += steps;
    if (this.steps > EXPRESSION_LIMITS.steps) this.fail("steps", `more than ${count(EXPRESSION_LIMITS.steps)} steps`);
    if (depth > EXPRESSION_LIMITS.depth) this.fail("depth", `nested deeper than ${EXPRESSION_LIMITS.depth} levels`);
    if ((this.steps & 0xff) === 0 && Date.now() > this.deadline) {
      this.fail("time", `ran longer than ${count(EXPRESSION_LIMITS.timeMs)} ms`);
    }
  }
}

/** The binding an evaluation's budget rides in on; it is read once, at the first step, before any user code ran. */
export const BUDGET_BINDING = "__syndic_budget";
const budgets = new WeakMap<object, Budget>();

function budgetOf(frame: Frame): Budget {
  const base = frame.base;
  let budget = budgets.get(base);
  if (!budget) {
    const bound = base.lookup(BUDGET_BINDING);
    // Fail closed: an evaluation that skipped evaluate() in expressions.ts would otherwise run unbounded.
    if (!(bound instanceof Budget)) throw new Error("a JSONata expression was evaluated without a budget");
    budget = bound;
    budgets.set(base, budget);
  }
  return budget;
}

function onEntry(_node: unknown, _input: unknown, frame: Frame): void {
  budgetOf(frame).spend(1, frame.base.depth);
}

function onExit(_node: unknown, _input: unknown, frame: Frame, result: unknown): void {
  if (typeof result === "string" && result.length > EXPRESSION_LIMITS.stringChars) {
    budgetOf(frame).fail("size", `a string of more than ${count(EXPRESSION_LIMITS.stringChars)} characters`);
  }
  if (Array.isArray(result) && result.length > EXPRESSION_LIMITS.sequence) {
    budgetOf(frame).fail("sequence", `more than ${count(EXPRESSION_LIMITS.sequence)} items in one array`);
  }
}

/**
 * Built-ins whose one call can do far more than one step's work are wrapped: the size of what they would build is
 * checked before they build it, and `$distinct`'s pairwise comparisons are charged to the step budget.
 */
const GUARDED_SIGNATURES = {
  pad: "<s-ns?:s>",
  join: "<a<s>s?:s>",
  distinct: "<x:x>",
  replace: "<s-(sf)(sf)n?:s>",
} as const;
type Guarded = keyof typeof GUARDED_SIGNATURES;

let originals: Record<Guarded, BuiltIn> | null = null;
let loadingOriginals: Promise<unknown> | null = null;

/** JSONata does not export its built-ins; evaluating `$pad` hands back the function object it binds. */
export function loadBuiltIns(): Promise<unknown> {
  loadingOriginals ??= jsonata(
    `{ ${Object.keys(GUARDED_SIGNATURES)
      .map((name) => `"${name}": $${name}`)
      .join(", ")} }`,
  )
    .evaluate({})
    .then((found) => {
      originals = found as Record<Guarded, BuiltIn>;
    });
  return loadingOriginals;
}

function original(name: Guarded): BuiltIn {
  if (!originals) throw new Error("JSONata built-ins are not loaded yet");
  return originals[name];
}

function tooLong(focus: Focus, length: number, what: string): void {
  if (length > EXPRESSION_LIMITS.stringChars) {
    budgetOf(focus.environment).fail(
      "size",
      `${what} would build a string of ${count(length)} characters, over ${count(EXPRESSION_LIMITS.stringChars)}`,
    );
  }
}

const guarded: Record<Guarded, (this: Focus, ...args: unknown[]) => unknown> = {
  pad(str, width, char) {
    if (typeof str === "string" && typeof width === "number") tooLong(this, Math.abs(Math.trunc(width)), "$pad");
    return original("pad").implementation.call(this, str, width, char);
  },
  join(strings, separator) {
    if (Array.isArray(strings)) {
      let length = Math.max(0, strings.length - 1) * (typeof separator === "string" ? separator.length : 0);
      for (const item of strings) length += typeof item === "string" ? item.length : 0;
      tooLong(this, length, "$join");
    }
    return original("join").implementation.call(this, strings, separator);
  },
  distinct(items) {
    if (Array.isArray(items) && items.length > 1) {
      // One step per hundred comparisons: about what a JSONata step costs.
      budgetOf(this.environment).spend(Math.ceil((items.length * (items.length - 1)) / 200), 0);
    }
    return original("distinct").implementation.call(this, items);
  },
  replace(str, pattern, replacement, limit) {
    if (typeof str === "string" && typeof replacement === "string" && replacement.length > 0) {
      const most = typeof limit === "number" && limit >= 0 ? limit : Number.POSITIVE_INFINITY;
      const budget = Math.max(0, EXPRESSION_LIMITS.stringChars - str.length);
      // Matches are counted only as far as they could matter: past `budget / replacement.length`, it is refused.
      const enough = Math.min(most, Math.floor(budget / replacement.length) + 1);
      const matches = countMatches(str, pattern, enough);
      tooLong(this, str.length + matches * replacement.length, "$replace");
    }
    return original("replace").implementation.call(this, str, pattern, replacement, limit);
  },
};

interface RegexMatch {
  next(): RegexMatch | undefined;
}

function countMatches(str: string, pattern: unknown, enough: number): number {
  let matches = 0;
  if (typeof pattern === "string") {
    if (!pattern) return 0;
    for (let at = str.indexOf(pattern); at >= 0 && matches < enough; at = str.indexOf(pattern, at + pattern.length)) {
      matches++;
    }
  } else if (typeof pattern === "function") {
    // A regex literal (compiled, so already checked for runaway backtracking); an empty match makes JSONata throw.
    try {
      for (let match = pattern(str) as RegexMatch | undefined; match && matches < enough; match = match.next()) {
        matches++;
      }
    } catch {
      return matches;
    }
  }
  return matches;
}

const ENTRY_HOOK = Symbol.for("jsonata.__evaluate_entry");
const EXIT_HOOK = Symbol.for("jsonata.__evaluate_exit");

/**
 * Installs the hooks and the guarded built-ins on a compiled expression. They live on the expression, not on one
 * evaluation, so concurrent evaluations of one cached expression (queue messages run side by side) never swap
 * budgets: each hook finds its own evaluation's budget through the root frame JSONata passes it.
 */
export function instrument(expression: jsonata.Expression): jsonata.Expression {
  const assign = expression.assign as (name: string | symbol, value: unknown) => void;
  assign(ENTRY_HOOK, onEntry);
  assign(EXIT_HOOK, onExit);
  const register = expression.registerFunction as (name: string, implementation: unknown, signature: string) => void;
  for (const [name, signature] of Object.entries(GUARDED_SIGNATURES))
    register(name, guarded[name as Guarded], signature);
  return expression;
}

/** JSONata's own bounds, named as ours: a range or sequence past `sequence`, or a native call out of stack or memory. */
export function asLimitError(error: unknown): ExpressionLimitError | null {
  if (error instanceof ExpressionLimitError) return error;
  const { code } = (error ?? {}) as { code?: string };
  if (code === "D2014" || code === "D2015") {
    return new ExpressionLimitError("sequence", `more than ${count(EXPRESSION_LIMITS.sequence)} items in one sequence`);
  }
  if (error instanceof RangeError) {
    return /call stack/i.test(error.message)
      ? new ExpressionLimitError("depth", error.message)
      : new ExpressionLimitError("size", error.message);
  }
  return null;
}
