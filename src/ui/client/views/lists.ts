/** Loading, paging and live refresh of every list view in the registry. */
import { api } from "../api";
import { $, $$, busy, type Child, h } from "../dom";
import { isBlank, plural } from "../format";
import { fillOptions, updateRefs } from "../refs";
import { app, LIVE_MS, listState, lists, PAGE_SIZE, remember } from "../state";
import { toastError } from "../toast";
import type { Page } from "../types";
import { dash } from "../widgets";
import { type Filters, type ListView, listView } from "./registry";

interface SectionEls {
  root: HTMLElement;
  head: HTMLTableSectionElement;
  body: HTMLTableSectionElement;
  count: HTMLElement;
  more: HTMLButtonElement;
  refresh: HTMLButtonElement | null;
}
function sectionEls(name: string): SectionEls {
  const root = $(`#view-${name}`)!;
  return {
    root,
    head: $<HTMLTableSectionElement>("thead", root)!,
    body: $<HTMLTableSectionElement>("tbody", root)!,
    count: $(".count", root)!,
    more: $<HTMLButtonElement>(".load-more", root)!,
    refresh: $<HTMLButtonElement>("[data-action=refresh]", root),
  };
}
export function filterValues(name: string): Filters {
  const out: Filters = {};
  for (const f of $$<HTMLInputElement | HTMLSelectElement>("[data-filter]", $(`#view-${name}`))) {
    out[f.getAttribute("data-filter")!] = f.value.trim();
  }
  return out;
}
function stateRow(v: ListView<unknown>, cls: string, title: string | null, detail: Child, action?: Child) {
  return h(
    "tr",
    null,
    h(
      "td",
      { class: `state ${cls || ""}`, colspan: v.columns.length },
      title ? h("div", { class: "state-title" }, title) : null,
      detail ? h("div", null, detail) : null,
      action || null,
    ),
  );
}
// One bad field must not cost the row: a cell that throws shows a dash.
function cell(render: (row: unknown) => Child, row: unknown): Child {
  try {
    const out = render(row);
    return isBlank(out) ? dash() : out;
  } catch (_) {
    return dash();
  }
}
function rowEl(v: ListView<unknown>, row: unknown): HTMLTableRowElement {
  const cells = v.columns.map((c) => h("td", c[2] ? { class: c[2] } : null, cell(c[1], row)));
  const openRow = v.open;
  if (!openRow) return h("tr", null, cells);
  const tr = h("tr", { class: "row", tabindex: 0 }, cells);
  const open = () => openRow(row);
  tr.addEventListener("click", (e) => {
    const target = e.target as Element | null;
    if (target?.closest?.("button, a, input, select")) return; // a control inside the row
    if (String(window.getSelection ? window.getSelection() : "").length) return; // selecting text to copy it
    open();
  });
  tr.addEventListener("keydown", (e) => {
    if (e.target !== tr) return;
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      open();
    }
  });
  return tr;
}

// Lists with work in flight (running syncs, building archives, retrying notifications) refresh themselves
// while they are on screen, unless the operator paged further down.
function scheduleLive(name: string): void {
  const s = listState(name);
  clearTimeout(s.timer);
  s.timer = setTimeout(() => {
    if (app.current !== name || !app.signedIn || lists[name] !== s) return;
    if (document.visibilityState !== "visible" || s.loading) return scheduleLive(name);
    loadList(name);
  }, LIVE_MS);
}

export async function loadList(name: string, more?: boolean): Promise<void> {
  const v = listView(name);
  if (!v) return;
  const s = listState(name);
  const els = sectionEls(name);
  if (!els.head.childElementCount) {
    els.head.append(
      h(
        "tr",
        null,
        v.columns.map((c) => h("th", { scope: "col" }, c[0])),
      ),
    );
  }
  if (more && (s.loading || !s.cursor)) return;
  const filters = filterValues(name);
  clearTimeout(s.timer);
  if (v.requires && isBlank(filters[v.requires[0]])) {
    s.gen++;
    s.rows = 0;
    s.cursor = null;
    s.live = false;
    s.loadedAt = 0;
    s.loading = false;
    busy(els.refresh, false);
    els.more.hidden = true;
    els.count.textContent = "";
    els.body.replaceChildren(stateRow(v, "prompt", v.requires[1], v.requires[2]));
    return;
  }
  const gen = more ? s.gen : ++s.gen;
  s.loading = true;
  busy(els.refresh, true);
  if (more) {
    els.more.disabled = true;
    els.more.textContent = "Loading…";
  } else if (!s.rows) {
    els.body.replaceChildren(stateRow(v, "", null, h("span", null, h("span", { class: "spinner" }), "Loading…")));
  }
  try {
    const params = new URLSearchParams();
    params.set("limit", String(PAGE_SIZE));
    for (const k of Object.keys(filters)) {
      if (!isBlank(filters[k]) && !(v.consumes || []).includes(k)) params.set(k, filters[k]);
    }
    if (more && s.cursor) params.set("cursor", s.cursor);
    const body = await api<Page<unknown>>(`${v.path(filters)}?${params.toString()}`);
    if (gen !== s.gen) return;
    const rows = body && Array.isArray(body.data) ? body.data : [];
    if (v.kind) {
      remember(v.kind, rows);
      fillOptions();
      updateRefs();
    }
    if (!more) els.body.replaceChildren();
    for (const row of rows) els.body.append(rowEl(v, row));
    s.rows = (more ? s.rows : 0) + rows.length;
    s.cursor = body?.next_cursor || null;
    s.loadedAt = Date.now();
    if (!s.rows) {
      const empty = v.emptyFor?.(filters) || v.empty;
      els.body.replaceChildren(stateRow(v, "", empty[0], empty[1]));
    }
    els.count.textContent = s.rows ? `Showing ${plural(s.rows, "item")}${s.cursor ? " · more available" : ""}` : "";
    els.more.hidden = !s.cursor;
    if (!more) s.live = !!v.live && rows.some(v.live);
    if (s.live && s.rows <= PAGE_SIZE) scheduleLive(name);
  } catch (err) {
    if (gen !== s.gen) return;
    if (more) toastError(err, "Could not load more");
    else {
      s.rows = 0;
      s.cursor = null;
      s.live = false;
      els.more.hidden = true;
      els.count.textContent = "";
      const again = h(
        "div",
        null,
        h("button", { type: "button", class: "btn sm", onclick: () => loadList(name) }, "Try again"),
      );
      const e = err as { title?: string; message?: string };
      els.body.replaceChildren(stateRow(v, "error", e.title || "Request failed", e.message, again));
    }
  } finally {
    if (gen === s.gen) {
      s.loading = false;
      busy(els.refresh, false);
      els.more.disabled = false;
      els.more.textContent = "Load more";
    }
  }
}

/** Wires a list section's refresh, load-more and filter inputs (typing waits for a pause). */
export function wireList(sec: HTMLElement, name: string): void {
  const refresh = $("[data-action=refresh]", sec);
  if (refresh) refresh.addEventListener("click", () => loadList(name));
  $(".load-more", sec)!.addEventListener("click", () => loadList(name, true));
  for (const f of $$("[data-filter]", sec)) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const typing = f.tagName === "INPUT";
    f.addEventListener(typing ? "input" : "change", () => {
      clearTimeout(timer);
      timer = setTimeout(() => loadList(name), typing ? 350 : 0);
    });
  }
}
