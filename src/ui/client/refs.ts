/**
 * References to sources, subscribers and destinations: shown by name once the page knows it (names arrive after
 * the rows that mention them), else by id; and the pickers that list them.
 */
import { adminApi, type Query } from "./api";
import { $$, h } from "./dom";
import { isBlank } from "./format";
import { app, isRefKind, listState, names, type RefKind, remember } from "./state";
import type { Named, Page } from "./types";
import { loadList } from "./views/lists";
import { dash, named } from "./widgets";

function paintRef(el: HTMLElement): void {
  const id = el.getAttribute("data-id") || "";
  const kind = el.getAttribute("data-ref");
  const name = isRefKind(kind) ? names[kind].get(id) : undefined;
  const compact = el.getAttribute("data-compact");
  if (compact) {
    el.replaceChildren(name ? h("span", { class: compact, title: id }, name) : h("span", { class: "id" }, id));
  } else el.replaceChildren(name ? named(name, id) : h("span", { class: "id" }, id));
}

/** compact: one line, the name in that class. true sets an empty data-compact, drawn as name over id like none. */
export function ref(kind: RefKind, id: unknown, compact?: string | boolean): HTMLElement {
  if (isBlank(id)) return dash();
  const el = h("span", { "data-ref": kind, "data-id": String(id), "data-compact": compact || null });
  paintRef(el);
  return el;
}

export function updateRefs(): void {
  for (const el of $$("[data-ref]")) paintRef(el);
}

export function fillOptions(): void {
  for (const sel of $$<HTMLSelectElement>("select[data-options]")) {
    const kind = sel.getAttribute("data-options");
    if (!isRefKind(kind)) continue;
    const map = names[kind];
    const current = sel.value;
    const entries = Array.from(map.entries()).sort((a, b) => (a[1] || a[0]).localeCompare(b[1] || b[0]));
    sel.replaceChildren(
      sel.options[0],
      ...entries.map(([id, name]) => h("option", { value: id }, name ? `${name} · ${id}` : id)),
    );
    if (current && !map.has(current)) sel.append(h("option", { value: current }, current));
    sel.value = current;
  }
}

// A list that needs a source or subscriber picks the only one there is, so a small relay needs no clicks.
export function autoPick(view: string): boolean {
  let picked = false;
  for (const sel of $$<HTMLSelectElement>(`#view-${view} select[data-required][data-options]`)) {
    const kind = sel.getAttribute("data-options");
    if (!isRefKind(kind)) continue;
    const map = names[kind];
    if (sel.value || map.size !== 1) continue;
    sel.value = map.keys().next().value!;
    listState(view).loadedAt = 0;
    picked = true;
  }
  return picked;
}

export async function prefetchNames(): Promise<void> {
  for (const kind of ["sources", "subscribers"] as const) {
    let cursor: string | null | undefined = null;
    let pages = 0;
    try {
      do {
        const q: Query = { limit: 100, cursor };
        const body: Page<Named> = await (kind === "sources" ? adminApi.sources(q) : adminApi.subscribers(q));
        remember(kind, body?.data);
        cursor = body?.next_cursor;
        pages++;
      } while (cursor && pages < 10);
    } catch (_) {
      /* references fall back to bare ids */
    }
  }
  fillOptions();
  updateRefs();
  if (app.current && autoPick(app.current)) loadList(app.current);
  const subscribers = Array.from(names.subscribers.keys()).slice(0, 40);
  await Promise.all(
    subscribers.map((id) =>
      adminApi
        .destinations(id, { limit: 100 })
        .then((body) => remember("destinations", body?.data))
        .catch(() => {}),
    ),
  );
  updateRefs();
}
