/**
 * Form values → request body. Each field is named by the JSON Pointer of its place in the body and says how its
 * text reads (`kind`); a blank field is left out, so the relay's defaults apply on create. A value that cannot be
 * read (bad JSON, a header line without a colon) is an error on that field, and a number that is not one stays
 * text, so the schema names it. No DOM here.
 */
import type { FieldMap } from "./issues";
import { segments } from "./paths";

export type FieldKind =
  /** trimmed text */
  | "text"
  /** text as typed: secrets, expressions, keys */
  | "raw"
  | "int"
  | "bool"
  /** one item a line (or comma-separated) → string[] */
  | "lines"
  /** event type codes, one a line → [{code}] */
  | "codes"
  /** "Name: value" a line → {Name: value} */
  | "headers"
  | "json"
  /** a select whose option says more than the body needs ("api_key:query" → "api_key") */
  | "type";

export interface FieldValue {
  name: string;
  kind: FieldKind;
  value: string | boolean;
}

type Read = { ok: true; value: unknown } | { ok: false; message: string } | null;

const splitItems = (text: string) =>
  text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);

function readHeaders(text: string): Read {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return { ok: false, message: "each line is Name: value" };
    out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return Object.keys(out).length ? { ok: true, value: out } : null;
}

/** The field's value as the body holds it; null when it is left out. */
export function readValue(kind: FieldKind, value: string | boolean): Read {
  if (kind === "bool") return { ok: true, value: value === true };
  const text = String(value);
  if (kind === "raw") return text === "" ? null : { ok: true, value: text };
  const trimmed = text.trim();
  if (trimmed === "") return null;
  switch (kind) {
    case "int":
      return { ok: true, value: /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed };
    case "lines":
      return { ok: true, value: splitItems(trimmed) };
    case "codes":
      return { ok: true, value: splitItems(trimmed).map((code) => ({ code })) };
    case "headers":
      return readHeaders(text);
    case "json":
      try {
        return { ok: true, value: JSON.parse(trimmed) };
      } catch (_) {
        return { ok: false, message: "is not valid JSON" };
      }
    case "type":
      return { ok: true, value: trimmed.split(":")[0] };
    default:
      return { ok: true, value: trimmed };
  }
}

function setAt(body: Record<string, unknown>, pointer: string, value: unknown): void {
  const parts = segments(pointer);
  let at: Record<string, unknown> = body;
  parts.forEach((part, i) => {
    if (i === parts.length - 1) {
      at[part] = value;
      return;
    }
    const next = at[part];
    if (typeof next !== "object" || next === null) at[part] = /^\d+$/.test(parts[i + 1]) ? [] : {};
    at = at[part] as Record<string, unknown>;
  });
}

export interface Built {
  body: Record<string, unknown>;
  errors: FieldMap;
}

/** The body the fields make, and the fields whose text could not be read. Fields not named by a pointer are left out. */
export function buildBody(fields: ReadonlyArray<FieldValue>): Built {
  const body: Record<string, unknown> = {};
  const errors: FieldMap = new Map();
  for (const field of fields) {
    if (!field.name.startsWith("/")) continue;
    const read = readValue(field.kind, field.value);
    if (read === null) continue;
    if (read.ok) setAt(body, field.name, read.value);
    else errors.set(field.name, [read.message]);
  }
  return { body, errors };
}

/** The text a field shows for a value read back from the API (the inverse of readValue, for prefilling an edit). */
export function showValue(kind: FieldKind, value: unknown): string | boolean {
  if (kind === "bool") return value === true;
  if (value == null) return "";
  switch (kind) {
    case "lines":
      return Array.isArray(value) ? value.join("\n") : String(value);
    case "codes":
      return Array.isArray(value)
        ? value
            .map((v) => (v && typeof v === "object" ? String((v as { code?: unknown }).code ?? "") : String(v)))
            .join("\n")
        : "";
    case "headers":
      return typeof value === "object"
        ? Object.entries(value as Record<string, unknown>)
            .map(([k, v]) => `${k}: ${String(v)}`)
            .join("\n")
        : "";
    case "json":
      return JSON.stringify(value, null, 2);
    default:
      return typeof value === "object" ? JSON.stringify(value) : String(value);
  }
}

/** The value at a pointer of a resource read back, for prefilling. */
export function valueAt(resource: unknown, pointer: string): unknown {
  let at: unknown = resource;
  for (const part of segments(pointer)) {
    if (at == null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}
