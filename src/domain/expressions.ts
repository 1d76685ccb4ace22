import { z } from "@hono/zod-openapi";
import jsonata from "jsonata";
import { jsonLongerThan, utf8Length } from "../lib/json-size";
import type { FieldError } from "../lib/problem";
import { regexRisk } from "../lib/regex-safety";
import type { CloudEvent } from "./cloudevent";
import {
  asLimitError,
  BUDGET_BINDING,
  Budget,
  EXPRESSION_LIMITS,
  ExpressionLimitError,
  instrument,
  loadBuiltIns,
} from "./expression-budget";

export { EXPRESSION_LIMITS, ExpressionLimitError } from "./expression-budget";

/** A JSONata expression as saved: a filter, a transform, an identity's local or remote id. */
export const Expression = z.string().min(1).max(20_000);

/**
 * The one place JSONata is compiled and evaluated. Every evaluation runs under EXPRESSION_LIMITS (see
 * expression-budget.ts); every compiled expression has had its regexes checked (see lib/regex-safety.ts).
 */

type Compiled = jsonata.Expression;

interface JsonataError {
  message?: string;
  position?: number;
  token?: string;
  code?: string;
}

interface AstNode {
  type?: string;
  value?: unknown;
  position?: number;
}

/**
 * Why a compiled expression is refused, if it is: a regex that can backtrack without bound (no hook can interrupt a
 * regex once it runs), or `$eval`, whose text is compiled at run time, where no regex in it could be checked.
 */
function refusal(ast: unknown): string | null {
  const seen = new Set<unknown>();
  const stack: unknown[] = [ast];
  while (stack.length) {
    const node = stack.pop();
    if (node === null || typeof node !== "object" || seen.has(node)) continue;
    seen.add(node);
    const { type, value, position = 0 } = node as AstNode;
    if (type === "regex" && value instanceof RegExp) {
      const risk = regexRisk(value.source, value.flags);
      if (risk) return `the regex /${value.source}/ at position ${position} is refused: ${risk.reason}`;
    }
    if (type === "variable" && value === "eval") {
      return `$eval at position ${position} is refused: a regex in the text it compiles at run time could not be checked`;
    }
    for (const child of Object.values(node)) if (child && typeof child === "object") stack.push(child);
  }
  return null;
}

/** Compiles without caching, or throws: JSONata's own error for bad syntax, an ExpressionLimitError for a regex. */
function compile(text: string): Compiled {
  const expression = jsonata(text, { sequence: EXPRESSION_LIMITS.sequence });
  const refused = refusal(expression.ast());
  if (refused) throw new ExpressionLimitError("regex", refused);
  return instrument(expression);
}

/** Compiles a JSONata expression, or says where it breaks: "…at position 12", or which regex is refused and where. */
export function checkExpression(path: string, text: string | null | undefined): FieldError | null {
  if (text == null) return null;
  try {
    compile(text);
    return null;
  } catch (error) {
    const { message, position } = error as JsonataError;
    if (error instanceof ExpressionLimitError) return { path, message: error.message };
    return { path, message: `JSONata does not compile at position ${position ?? 0}: ${message ?? String(error)}` };
  }
}

const compiled = new Map<string, Compiled>();
const CACHE_LIMIT = 500;

/** Compiled expressions are cached per subscription version: a saved change gets a new key, never a stale program. */
export function cachedExpression(key: string, text: string): Compiled {
  let expression = compiled.get(key);
  if (!expression) {
    if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value as string);
    expression = compile(text);
    compiled.set(key, expression);
  }
  return expression;
}

async function run(expression: Compiled, input: unknown, bindings?: Record<string, unknown>): Promise<unknown> {
  await loadBuiltIns();
  const budget = new Budget();
  try {
    return await expression.evaluate(input, { ...bindings, [BUDGET_BINDING]: budget });
  } catch (error) {
    // JSONata wraps or annotates what a hook throws on its way out; the budget remembers what really happened.
    throw budget.breach ?? asLimitError(error) ?? error;
  }
}

/** The result as JSON text, refused (ExpressionLimitError "output") past EXPRESSION_LIMITS.outputBytes. */
function outputJson(output: unknown): string | undefined {
  const limit = EXPRESSION_LIMITS.outputBytes;
  const cap = `${limit.toLocaleString("en-US")} bytes (${limit / 1024} KiB)`;
  if (jsonLongerThan(output, limit)) throw new ExpressionLimitError("output", `the output is over ${cap} of JSON`);
  const text = JSON.stringify(output);
  const bytes = text === undefined ? 0 : utf8Length(text);
  if (bytes > limit) {
    throw new ExpressionLimitError(
      "output",
      `the output is ${bytes.toLocaleString("en-US")} bytes of JSON, over ${cap}`,
    );
  }
  return text;
}

/**
 * Saved expressions are evaluated under their cache `key`; `null` compiles the text afresh (a preview), so trying
 * text out as it is typed never evicts a saved program from the cache.
 */
export async function evaluate(key: string | null, text: string, input: unknown, bindings?: Record<string, unknown>) {
  return run(key === null ? compile(text) : cachedExpression(key, text), input, bindings);
}

/** A transform: evaluated, then serialised within the output cap; undefined when it produced nothing. */
export async function evaluateJson(
  key: string | null,
  text: string,
  input: unknown,
  bindings?: Record<string, unknown>,
): Promise<string | undefined> {
  const output = await evaluate(key, text, input, bindings);
  return output === undefined ? undefined : outputJson(output);
}

/** What save-time checks run expressions against: a CloudEvent with every attribute and empty data. */
export const SAMPLE_EVENT: CloudEvent = {
  specversion: "1.0",
  id: "evt_sample",
  source: "/sources/sample",
  type: "sample",
  time: "2026-01-01T00:00:00.000Z",
  subject: "sample",
  datacontenttype: "application/json",
  data: {},
};

/**
 * Everything checkExpression checks, and one run against SAMPLE_EVENT under the pipeline's limits, so an obvious
 * runaway (`$sum([1..10000000])`, a function calling itself for ever) is refused when saved. Only a limit breach is
 * refused: an evaluation error against the sample (a path it does not have) says nothing about real events.
 */
export async function checkExpressionRuns(
  path: string,
  text: string | null | undefined,
  kind: "value" | "output" = "value",
  /** What the expression sees: the sample event, or its shape after the step's preset. */
  sample: unknown = SAMPLE_EVENT,
): Promise<FieldError | null> {
  const compileError = checkExpression(path, text);
  if (compileError || text == null) return compileError;
  try {
    const output = await run(compile(text), sample, { remote_id: null });
    if (kind === "output" && output !== undefined) outputJson(output);
    return null;
  } catch (error) {
    if (!(error instanceof ExpressionLimitError)) return null;
    return { path, message: `${error.message}, when run once against a sample event` };
  }
}

/** The message for `last_error`: a limit says which; a JSONata error where it happened. */
export function expressionError(error: unknown): string {
  if (error instanceof ExpressionLimitError) return error.message;
  const { message: text, position } = error as JsonataError;
  return `${text ?? String(error)}${position !== undefined ? ` (position ${position})` : ""}`;
}
