/** The small pieces every view is built from: times, badges, chips, ids to copy, JSON, cards. All text, no markup. */
import { $$, type Child, h } from "./dom";
import { absFormat, chipText, isBlank, jsonText, relative, statusColour, toMs } from "./format";
import type { Time } from "./types";

export const dash = (): HTMLSpanElement => h("span", { class: "dash" }, "—");

export function timeEl(value: Time): HTMLSpanElement {
  const ms = toMs(value);
  if (ms == null) return isBlank(value) ? dash() : h("span", null, String(value));
  return h(
    "span",
    { class: "time", title: new Date(ms).toISOString() },
    h("span", { class: "rel", "data-ts": ms }, relative(ms)),
    h("span", { class: "abs" }, absFormat.format(ms)),
  );
}
export function tickTimes(): void {
  for (const el of $$(".rel[data-ts]")) el.textContent = relative(Number(el.getAttribute("data-ts")));
}

const COLOURS: Record<string, string> = {
  sent: "green",
  ready: "blue",
  pending: "gray",
  retrying: "amber",
  dead: "red",
  skipped: "gray",
  held: "purple",
  running: "blue",
  processing: "blue",
  queued: "gray",
  routing: "blue",
  delivering: "blue",
  completed: "green",
  complete: "green",
  done: "green",
  succeeded: "green",
  finished: "green",
  failed: "red",
  error: "red",
  cancelled: "gray",
  canceled: "gray",
  not_found: "amber",
  unknown: "gray",
  active: "green",
  disabled: "red",
  production: "blue",
  sandbox: "purple",
  published: "green",
  collapsed: "purple",
  building: "blue",
  confirmed: "green",
  unconfirmed: "amber",
};
const PULSING = new Set(["retrying", "running", "processing", "routing", "delivering", "building"]);

// colour overrides the status's usual one where a word means something else (a ready archive is done, a ready delivery queued).
export function badge(status: unknown, label?: string | null, colour?: string | null): HTMLSpanElement {
  const key = String(isBlank(status) ? "unknown" : status).toLowerCase();
  const cls = `badge ${colour || COLOURS[key] || "gray"}${PULSING.has(key) ? " pulse" : ""}`;
  return h("span", { class: cls }, label || key.replace(/_/g, " "));
}
export const archiveBadge = (a: { status?: string }): HTMLSpanElement =>
  badge(a.status, null, String(a.status) === "ready" ? "green" : null);

export function tag(text: string, colour?: string): HTMLSpanElement {
  return h("span", { class: `badge plain ${colour || ""}` }, text);
}
export function codeBadge(code: unknown): HTMLSpanElement | null {
  if (isBlank(code)) return null;
  const c = Number(code);
  return h("span", { class: `badge plain code-status ${statusColour(c)}`, title: `HTTP ${c}` }, String(code));
}
export function chips(values: unknown, max?: number): HTMLElement {
  const list: unknown[] = Array.isArray(values) ? values : isBlank(values) ? [] : [values];
  if (!list.length) return dash();
  const shown = max ? list.slice(0, max) : list;
  const out = h(
    "div",
    { class: "chips" },
    shown.map((v) => h("span", { class: "chip", title: chipText(v) }, chipText(v))),
  );
  if (max && list.length > max) out.append(h("span", { class: "chip more" }, `+${list.length - max}`));
  return out;
}
export const mono = (text: unknown): HTMLSpanElement =>
  isBlank(text) ? dash() : h("span", { class: "mono" }, String(text));
export const named = (name: unknown, id: unknown): HTMLDivElement =>
  h(
    "div",
    { class: "stack" },
    h("span", { class: "strong" }, isBlank(name) ? "(unnamed)" : String(name)),
    h("span", { class: "id" }, id as Child),
  );
export function linkButton(text: string, onClick: () => void): HTMLButtonElement {
  return h("button", { type: "button", class: "link", onclick: onClick }, text);
}

export function copyText(text: string, btn?: HTMLElement | null): void {
  const done = (label: string) => {
    if (!btn) return;
    const before = btn.textContent;
    btn.textContent = label;
    setTimeout(() => {
      btn.textContent = before;
    }, 1200);
  };
  if (navigator.clipboard?.writeText) {
    navigator.clipboard.writeText(text).then(
      () => done("Copied"),
      () => done("Copy failed"),
    );
  } else done("Copy failed");
}
export function copyable(id: unknown): HTMLElement {
  if (isBlank(id)) return dash();
  const btn = h("button", { type: "button", class: "link copy-id", title: "Copy" }, "Copy");
  btn.addEventListener("click", () => copyText(String(id), btn));
  return h("span", { class: "copyable" }, h("code", { class: "inline-code" }, String(id)), btn);
}

const TOKEN_RE = /("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false)\b|\b(null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
/** JSON coloured by token: each token a span whose text is the token, never parsed as markup. */
export function highlight(pre: HTMLElement, text: string): void {
  if (text.length > 200000) {
    pre.textContent = text;
    return;
  }
  const frag = document.createDocumentFragment();
  let last = 0;
  TOKEN_RE.lastIndex = 0;
  for (let m = TOKEN_RE.exec(text); m; m = TOKEN_RE.exec(text)) {
    if (m.index > last) frag.append(text.slice(last, m.index));
    if (m[1] && m[2]) frag.append(h("span", { class: "k" }, m[1]), m[2]);
    else frag.append(h("span", { class: m[1] ? "s" : m[3] ? "b" : m[4] ? "z" : "n" }, m[0]));
    last = TOKEN_RE.lastIndex;
  }
  if (last < text.length) frag.append(text.slice(last));
  pre.append(frag);
}
export function jsonBlock(value: unknown): HTMLDivElement {
  const text = jsonText(value);
  const pre = h("pre", { class: "json" });
  highlight(pre, text);
  const copy = h("button", { type: "button", class: "btn sm copy" }, "Copy");
  copy.addEventListener("click", () => copyText(text, copy));
  return h("div", { class: "pre-wrap" }, pre, copy);
}

export function card(title: string | null, content: Child, extra?: Child): HTMLDivElement {
  return h(
    "div",
    { class: "card" },
    title ? h("div", { class: "card-head" }, h("h3", null, title), extra || null) : null,
    content,
  );
}
/** A label and its value; undefined leaves the row out, blank shows a dash. */
export type KvPair = readonly [string, Child] | null | false | undefined;
export function kv(pairs: readonly KvPair[]): HTMLDListElement {
  const dl = h("dl", { class: "kv" });
  for (const pair of pairs) {
    if (!pair || pair[1] === undefined) continue;
    dl.append(h("dt", null, pair[0]), h("dd", null, isBlank(pair[1]) ? dash() : pair[1]));
  }
  return dl;
}
export function rawCard(value: unknown): HTMLDetailsElement {
  return h("details", { class: "card raw" }, h("summary", null, "Raw JSON"), jsonBlock(value));
}
export function codeBlock(text: unknown): HTMLPreElement {
  return h("pre", { class: "plain" }, String(text));
}
export function miniTable(headers: readonly string[], rows: Child): HTMLDivElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "list" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          headers.map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      h("tbody", null, rows),
    ),
  );
}
export function clickableRow(cells: readonly Child[], onOpen: () => void): HTMLTableRowElement {
  const tr = h(
    "tr",
    { class: "row", tabindex: 0 },
    cells.map((c) => h("td", null, isBlank(c) ? dash() : c)),
  );
  tr.addEventListener("click", onOpen);
  tr.addEventListener("keydown", (e) => {
    if (e.key === "Enter") onOpen();
  });
  return tr;
}
export const rowOf = (cells: readonly Child[]): HTMLTableRowElement =>
  h(
    "tr",
    null,
    cells.map((c) => h("td", null, c)),
  );

export function notice(colour: string, children: Child, action?: Child): HTMLDivElement {
  return h("div", { class: `notice ${colour}` }, h("div", { class: "notice-text" }, children), action || null);
}
/** A tile: label, value, and an optional line under it. */
export type Stat = readonly [string, Child, Child?] | null;
export function stats(items: readonly Stat[]): HTMLDivElement {
  return h(
    "div",
    { class: "card stats" },
    items
      .filter((it): it is NonNullable<Stat> => !!it)
      .map((it) =>
        h(
          "div",
          { class: "stat" },
          h("div", { class: "stat-label" }, it[0]),
          h("div", { class: "stat-value" }, it[1]),
          it[2] ? h("div", { class: "sub" }, it[2]) : null,
        ),
      ),
  );
}
