import { z } from "@hono/zod-openapi";
import { fieldErrors, invalid } from "../lib/problem";

/**
 * PATCH is a JSON merge patch (RFC 7386) of a resource's input, guided by the input's schema: a nested object
 * (a subscriber's `archive`, a destination's `retry`, a source's `fetch`) merges field by field, so a field is reset
 * only when it is named; `null` removes a field (back to its default); maps (`headers`), arrays (`steps`) and unions
 * (`auth`) are values of their own and are replaced whole. The merged input is then validated by the same schema as
 * a create, so defaults and cross-field rules hold after a PATCH exactly as after a POST.
 */

type Schema = z.ZodType;

function inner(schema: Schema): Schema {
  let current = schema;
  for (;;) {
    const type = current.def.type;
    if (type === "default" || type === "optional" || type === "nullable" || type === "prefault") {
      current = (current as unknown as { unwrap(): Schema }).unwrap();
    } else {
      return current;
    }
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The schema a PATCH body is checked against: every field optional and nullable at every object level, with no
 * defaults (a zod default would fill in, and so reset, every field the caller left out).
 */
export function patchSchema<T extends z.ZodObject>(schema: T): z.ZodObject {
  const shape: Record<string, Schema> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, Schema>)) {
    const core = inner(field);
    const patched = core instanceof z.ZodObject ? patchSchema(core) : core;
    shape[key] = patched.nullable().optional();
  }
  return z.object(shape);
}

/** `patch` merged into `current` where the schema has objects; everything else is taken whole from the patch. */
export function applyPatch(schema: Schema, current: unknown, patch: unknown): unknown {
  const core = inner(schema);
  if (!(core instanceof z.ZodObject) || !isPlainObject(patch)) return patch;
  const base = isPlainObject(current) ? current : {};
  const out: Record<string, unknown> = { ...base };
  const shape = core.shape as Record<string, Schema>;
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete out[key];
    else out[key] = shape[key] ? applyPatch(shape[key], base[key], value) : value;
  }
  return out;
}

/** The resource's input after the patch, validated as a create would be: a 422 names the field that broke. */
export function patchedInput<T extends z.ZodType>(schema: T, current: unknown, patch: unknown): z.output<T> {
  const result = schema.safeParse(applyPatch(schema, current, patch));
  if (!result.success) throw invalid(fieldErrors(result.error));
  return result.data;
}
