/**
 * Errors onto fields: the form's own reading errors and the relay's 422 `errors[]` become one map from field (a JSON
 * Pointer) to messages. An error whose field the form does not show goes to its nearest shown parent,
 * or to the form as a whole. No DOM here, so the unit tests run it in Node.
 */
import { type PathLike, parentOf, toPointer } from "./paths";

export type FieldMap = Map<string, string[]>;

export interface ProblemFieldError {
  path?: PathLike;
  message?: string;
}

function add(map: FieldMap, pointer: string, message: string): void {
  const list = map.get(pointer);
  if (!list) map.set(pointer, [message]);
  else if (!list.includes(message)) list.push(message);
}

export function problemToFields(errors: ReadonlyArray<ProblemFieldError> | undefined): FieldMap {
  const map: FieldMap = new Map();
  for (const error of errors || []) add(map, toPointer(error.path), error.message || "is not valid");
  return map;
}

export function mergeFields(...maps: FieldMap[]): FieldMap {
  const out: FieldMap = new Map();
  for (const map of maps) for (const [pointer, messages] of map) for (const m of messages) add(out, pointer, m);
  return out;
}

export interface Placed {
  /** Messages by a field the form shows. */
  fields: FieldMap;
  /** Messages no shown field owns, each prefixed with its path when it has one. */
  general: string[];
}

/** Each error under the shown field it names, else its nearest shown parent (a union, a group), else the form. */
export function placeFields(map: FieldMap, shown: ReadonlySet<string>): Placed {
  const fields: FieldMap = new Map();
  const general: string[] = [];
  for (const [pointer, messages] of map) {
    let at: string | null = pointer;
    while (at !== null && !shown.has(at)) at = parentOf(at);
    for (const message of messages) {
      if (at !== null && at !== "")
        add(fields, at, at === pointer ? message : `${pointer.slice(at.length + 1)}: ${message}`);
      else general.push(pointer ? `${pointer.slice(1)}: ${message}` : message);
    }
  }
  return { fields, general };
}

/** Drops errors of the given fields (secrets left blank while editing: the relay keeps what it has). */
export function withoutFields(map: FieldMap, keep: (pointer: string) => boolean): FieldMap {
  return new Map([...map].filter(([pointer]) => keep(pointer)));
}

/** Errors of fields not on screen moved to the field that stands for them, when that one is. */
export function redirectFields(
  map: FieldMap,
  shown: ReadonlySet<string>,
  redirect: Readonly<Record<string, string>>,
): FieldMap {
  const out: FieldMap = new Map();
  for (const [pointer, messages] of map) {
    const to = redirect[pointer];
    const moved = !shown.has(pointer) && to !== undefined && shown.has(to);
    for (const message of messages) add(out, moved ? to : pointer, moved ? `${pointer.slice(1)}: ${message}` : message);
  }
  return out;
}
