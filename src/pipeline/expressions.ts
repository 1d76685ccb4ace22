import jsonata from "jsonata";
import type { FieldError } from "../lib/problem";

type Expression = ReturnType<typeof jsonata>;

interface JsonataError {
  message?: string;
  position?: number;
  token?: string;
  code?: string;
}

/** Compiles a JSONata expression, or says where it breaks: "…at position 12". */
export function checkExpression(path: string, text: string | null | undefined): FieldError | null {
  if (text == null) return null;
  try {
    jsonata(text);
    return null;
  } catch (error) {
    const { message, position } = error as JsonataError;
    return { path, message: `JSONata does not compile at position ${position ?? 0}: ${message ?? String(error)}` };
  }
}

const compiled = new Map<string, Expression>();
const CACHE_LIMIT = 500;

/** Compiled expressions are cached per subscription version: a saved change gets a new key, never a stale program. */
export function cachedExpression(key: string, text: string): Expression {
  let expression = compiled.get(key);
  if (!expression) {
    if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value as string);
    expression = jsonata(text);
    compiled.set(key, expression);
  }
  return expression;
}

export async function evaluate(key: string, text: string, input: unknown, bindings?: Record<string, unknown>) {
  return cachedExpression(key, text).evaluate(input, bindings);
}
