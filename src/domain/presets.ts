import { z } from "@hono/zod-openapi";
import { isPlainObject, joinPath, type PathLimits, walkPaths } from "../lib/dotted-paths";
import { RelayError } from "../lib/errors";
import { jsonLongerThan, utf8Length } from "../lib/json-size";
import type { CloudEvent } from "./cloudevent";
import { EXPRESSION_LIMITS } from "./expression-budget";

/**
 * Built-in body shapes a subscriber's system expects (CONTRACT §6): a step names one instead of, or before, a
 * transform. With both, the preset shapes the event first and the transform sees the preset's output as its input.
 */
export const Preset = z.enum(["cloudevent", "flat", "ubx"]).openapi({
  description:
    "The body's built-in shape: `cloudevent` (the default), `flat` (one object keyed by dotted paths, arrays " +
    "indexed: `data.items.0.sku`) or `ubx` (the UBX push body). With a `transform`, the transform sees the " +
    "preset's output as its input.",
});
export type Preset = z.infer<typeof Preset>;

/** A preset's output went past the push's size cap: a dead delivery that says so, never retried. */
export class PresetLimitError extends RelayError {
  constructor(preset: Preset, detail: string) {
    super(`the ${preset} preset's output is ${detail}`, false);
    this.name = "PresetLimitError";
  }
}

/**
 * Paths as deep and as long as CSV columns have (archive/csv.ts); far more leaves than a file's columns, since a
 * push has no header to share, and the output cap bounds it anyway. A part past a bound keeps its value whole.
 */
const FLAT_PATHS: PathLimits = { depth: 32, pathLength: 256, leaves: 10_000, indexArrays: true };

/** `{"data": {"items": [{"sku": "A"}]}}` → `{"data.items.0.sku": "A"}`; leaves keep their JSON type. */
export function flatPreset(event: CloudEvent): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  const prefixes = [""];
  const add = (key: string, value: unknown) => entries.push([joinPath(prefixes[prefixes.length - 1], key), value]);
  walkPaths(
    event,
    {
      enter: (key) => prefixes.push(joinPath(prefixes[prefixes.length - 1], key)),
      leave: () => prefixes.pop(),
      leaf: add,
      rest: add,
    },
    FLAT_PATHS,
  );
  // fromEntries defines own properties, so a key such as "data.__proto__" stays data.
  return Object.fromEntries(entries);
}

export interface UbxIdentifier {
  name: string;
  value: string;
  isOriginal: boolean;
}

export interface UbxAttribute {
  name: string;
  value: string;
  type: "string" | "number" | "boolean";
}

export interface UbxEvent {
  code: string;
  namespace?: string;
  version?: number;
  timestamp: string;
  attributes: UbxAttribute[];
}

/** The body UBX posts to a subscribing endpoint (its "Event subscription over HTTP" JSON structure). */
export interface UbxPush {
  provider: string;
  source: string;
  channel?: string;
  x1id: string;
  identifiers: UbxIdentifier[];
  events: UbxEvent[];
}

/** Who `provider` names when the event does not: the relay that posts it, as UBX named itself. */
const DEFAULT_PROVIDER = "Syndic";

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * What formats.ts makes of a published UBX event: `data` is `{channel, identifiers: [{name, value}], attributes:
 * {name: value}}`. Anything else is an ordinary CloudEvent.
 */
function ingestedUbx(data: unknown) {
  if (!isPlainObject(data) || !Array.isArray(data.identifiers) || !isPlainObject(data.attributes)) return null;
  const identifiers = data.identifiers.filter(
    (item): item is { name: string; value: string } =>
      isPlainObject(item) && typeof item.name === "string" && typeof item.value === "string",
  );
  if (identifiers.length !== data.identifiers.length) return null;
  return { channel: text(data.channel), identifiers, attributes: data.attributes };
}

/** UBX sends every value as a string, with its type beside it; a nested value goes as its JSON text. */
function attribute(name: string, value: unknown): UbxAttribute | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return { name, value: String(value), type: "number" };
  if (typeof value === "boolean") return { name, value: String(value), type: "boolean" };
  if (typeof value === "string") return { name, value, type: "string" };
  return { name, value: JSON.stringify(value), type: "string" };
}

function attributes(values: Record<string, unknown>, scalarsOnly: boolean): UbxAttribute[] {
  const list: UbxAttribute[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (scalarsOnly && typeof value === "object") continue;
    const item = attribute(name, value);
    if (item) list.push(item);
  }
  return list;
}

/** ISO-8601 as UBX writes it (`2015-02-28T20:16:12Z`): Syndic stores milliseconds, which are dropped when zero. */
function ubxTimestamp(time: string): string {
  return time.endsWith(".000Z") ? `${time.slice(0, -5)}Z` : time;
}

/**
 * The UBX push body of one event. A UBX event published in (formats.ts) comes back out with its code, channel,
 * identifiers (`isOriginal: true`: the publisher sent them), attributes and timestamp. Any other CloudEvent: `code`
 * is its type, `timestamp` its time, `attributes` its data's top-level scalars, `identifiers` its `subject` and
 * `originid`. `x1id` is the subject (UBX puts its individual's id there), `source` the CloudEvent source, and
 * `provider`, `channel`, `namespace` and `version` come from extension attributes of those names when present.
 */
export function ubxPreset(event: CloudEvent): UbxPush {
  const ubx = ingestedUbx(event.data);
  const identifiers: UbxIdentifier[] = ubx
    ? ubx.identifiers.map(({ name, value }) => ({ name, value, isOriginal: true }))
    : [
        ...(event.subject !== undefined ? [{ name: "subject", value: event.subject, isOriginal: true }] : []),
        ...(typeof event.originid === "string" ? [{ name: "originid", value: event.originid, isOriginal: true }] : []),
      ];
  const version = event.version;
  const namespace = text(event.namespace);
  const ubxEvent: UbxEvent = {
    code: event.type,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(typeof version === "number" && Number.isInteger(version) && version > 0 ? { version } : {}),
    timestamp: ubxTimestamp(event.time),
    attributes: ubx ? attributes(ubx.attributes, false) : isPlainObject(event.data) ? attributes(event.data, true) : [],
  };
  const channel = ubx?.channel ?? text(event.channel);
  return {
    provider: text(event.provider) ?? DEFAULT_PROVIDER,
    source: event.source,
    ...(channel !== undefined ? { channel } : {}),
    x1id: event.subject ?? identifiers[0]?.value ?? "",
    identifiers,
    events: [ubxEvent],
  };
}

/** The event as the preset shapes it: what is pushed, or what a transform after it sees. */
export function applyPreset(preset: Preset, event: CloudEvent): unknown {
  if (preset === "flat") return flatPreset(event);
  if (preset === "ubx") return ubxPreset(event);
  return event;
}

/**
 * The preset's body as JSON text, within the cap a transform's output has (EXPRESSION_LIMITS.outputBytes). The
 * `cloudevent` preset is the stored event as it has always been pushed, uncapped.
 */
export function presetBody(preset: Preset, event: CloudEvent): string {
  if (preset === "cloudevent") return JSON.stringify(event);
  const output = applyPreset(preset, event);
  const limit = EXPRESSION_LIMITS.outputBytes;
  const cap = `${limit.toLocaleString("en-US")} bytes (${limit / 1024} KiB)`;
  if (jsonLongerThan(output, limit)) throw new PresetLimitError(preset, `over ${cap} of JSON`);
  const body = JSON.stringify(output);
  const bytes = utf8Length(body);
  if (bytes > limit) throw new PresetLimitError(preset, `${bytes.toLocaleString("en-US")} bytes of JSON, over ${cap}`);
  return body;
}
