/** Pickers of the things a form belongs to or points at, filled from the names the page already knows. */
import { adminApi } from "../api";
import { h } from "../dom";
import { names } from "../state";
import type { Destination } from "../types";

type Kind = "sources" | "subscribers";

/** A select of sources or subscribers; `name` is not a pointer when the choice goes in the URL, not the body. */
export function refSelect(kind: Kind, name: string, label: string, current?: string | null): HTMLElement {
  const select = h(
    "select",
    { class: "select", name, "data-kind": "text", "data-setup-role": name.replace(/^\//, "") },
    h("option", { value: "" }, "Choose…"),
    [...names[kind].entries()]
      .sort((a, b) => (a[1] || a[0]).localeCompare(b[1] || b[0]))
      .map(([id, text]) => h("option", { value: id }, text ? `${text} · ${id}` : id)),
  );
  if (current && !names[kind].has(current)) select.append(h("option", { value: current }, current));
  if (current) select.value = current;
  else if (names[kind].size === 1) select.selectedIndex = 1;
  select.disabled = !!current;
  return h("label", { class: "field", "data-field": name }, h("span", null, label), select);
}

/** The value of a picker made by refSelect (disabled or not). */
export const pickedValue = (form: HTMLFormElement, name: string): string =>
  (form.querySelector<HTMLSelectElement>(`select[name="${name}"]`)?.value || "").trim();

/** Fills a destination select with the subscriber's destinations, keeping its choice. */
export async function fillDestinations(select: HTMLSelectElement, subscriberId: string): Promise<void> {
  const keep = select.value;
  if (!subscriberId) {
    select.replaceChildren(h("option", { value: keep }, keep ? keep : "Choose the subscriber first"));
    select.value = keep;
    return;
  }
  let rows: Destination[] = [];
  try {
    rows = (await adminApi.destinations(subscriberId, { limit: 100 }))?.data || [];
  } catch (_) {
    /* the select keeps what it has; saving names the problem */
  }
  select.replaceChildren(
    h("option", { value: "" }, rows.length ? "Choose…" : "No destinations yet"),
    ...rows.map((d) => h("option", { value: d.id }, (d.name ? `${d.name} · ` : "") + d.id)),
  );
  if (keep && !rows.some((d) => d.id === keep)) select.append(h("option", { value: keep }, keep));
  select.value = keep || (rows.length === 1 ? rows[0].id : "");
}
