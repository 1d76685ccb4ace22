/** The address is the state: #view, or #view/id with that item open in the drawer. */
import { $, $$, h } from "./dom";
import { closeDrawer, drawerOpen, openDrawer } from "./drawers/drawer";
import { kindOfId } from "./drawers/registry";
import { autoPick } from "./refs";
import { app, DEFAULT_VIEW, listState, needsReload } from "./state";
import { loadList } from "./views/lists";
import { renderOverview } from "./views/overview";
import { hasList } from "./views/registry";
import { pollReplays, renderReplays } from "./views/replays";

/** The views the page has: its section.view elements. */
const viewNames = (): string[] => $$("section.view").map((sec) => sec.getAttribute("data-view") || "");

/** "#deliveries/dlv_1" → the view and the item id (decoded; "" when there is none or it does not decode). */
export function parseHash(hash: string, views: readonly string[]): { view: string; item: string } {
  const parts = (hash || "").replace(/^#\/?/, "").split("/");
  const view = views.includes(parts[0]) ? parts[0] : DEFAULT_VIEW;
  let item = "";
  try {
    item = decodeURIComponent(parts.slice(1).join("/"));
  } catch (_) {
    item = "";
  }
  return { view, item };
}

export function route(): void {
  const { view, item } = parseHash(location.hash, viewNames());
  app.current = view;
  const kind = kindOfId(item);
  if (kind) openDrawer(kind, item);
  else if (drawerOpen()) closeDrawer();
  for (const sec of $$("section.view")) sec.hidden = sec.getAttribute("data-view") !== view;
  for (const a of $$(".sidenav a")) {
    if (a.getAttribute("data-tab") !== view) a.removeAttribute("aria-current");
    else {
      a.setAttribute("aria-current", "page");
      a.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  }
  document.title = `${view.charAt(0).toUpperCase() + view.slice(1)} · Syndic`;
  if (view === "replays") {
    renderReplays();
    pollReplays();
    return;
  }
  if (view === "overview") {
    renderOverview();
    return;
  }
  if (!hasList(view)) return;
  autoPick(view);
  // Coming back to a list refreshes it, unless the operator paged into it: keep their place.
  if (needsReload(listState(view), Date.now())) loadList(view);
}

/** Shows a list narrowed to one filter value (a source's events, a subscriber's archives). */
export function showFiltered(view: string, filter: string, value: unknown): void {
  const text = String(value);
  closeDrawer();
  const input = $<HTMLInputElement | HTMLSelectElement>(`#view-${view} [data-filter=${filter}]`);
  if (input) {
    if (input instanceof HTMLSelectElement && !Array.from(input.options).some((o) => o.value === text)) {
      input.append(h("option", { value: text }, text));
    }
    input.value = text;
  }
  listState(view).loadedAt = 0;
  if (location.hash === `#${view}`) route();
  else location.hash = `#${view}`;
}
