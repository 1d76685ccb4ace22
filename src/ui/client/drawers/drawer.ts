/** The side drawer: a stack of items (Back returns to the one before), each drawn by its kind's builder. */
import { $, $$, h } from "../dom";
import { enc, isBlank } from "../format";
import { app, DEFAULT_VIEW } from "../state";
import { drawerKind } from "./registry";

const drawer = {
  stack: [] as Array<{ kind: string; id: string }>,
  gen: 0,
  timer: undefined as ReturnType<typeof setTimeout> | undefined,
};

export const drawerOpen = (): boolean => drawer.stack.length > 0;

// The open item lives in the address (#deliveries/dlv_…) so an operator can share or reload it.
export function setHash(id: string | null): void {
  const next = `#${app.current || DEFAULT_VIEW}${id ? `/${enc(id)}` : ""}`;
  if (location.hash !== next) history.replaceState(null, "", next);
}

/** push keeps the items below, for Back; otherwise the drawer starts over with this one. */
export function openDrawer(kind: string, id: unknown, push?: boolean): void {
  if (isBlank(id)) return;
  if (!push) drawer.stack = [];
  drawer.stack.push({ kind, id: String(id) });
  showDrawer();
}

export function showDrawer(): void {
  const top = drawer.stack[drawer.stack.length - 1];
  if (!top) {
    closeDrawer();
    return;
  }
  $("#drawer")!.hidden = false;
  $("#backdrop")!.hidden = false;
  document.body.classList.add("drawer-open");
  $("#drawer-back")!.hidden = drawer.stack.length < 2;
  $("#drawer-kicker")!.textContent = drawerKind(top.kind)?.label ?? "";
  $("#drawer-title")!.textContent = top.id;
  setHash(top.id);
  reloadDrawer();
  $("#drawer")!.focus();
}

export function drawerBack(): void {
  drawer.stack.pop();
  showDrawer();
}

export function closeDrawer(): void {
  if (drawer.stack.length) setHash(null);
  drawer.stack = [];
  drawer.gen++;
  clearTimeout(drawer.timer);
  $("#drawer")!.hidden = true;
  $("#backdrop")!.hidden = true;
  document.body.classList.remove("drawer-open");
}

export const isDrawerHidden = (): boolean => $("#drawer")!.hidden;

export async function reloadDrawer(): Promise<void> {
  const top = drawer.stack[drawer.stack.length - 1];
  if (!top) return;
  const gen = ++drawer.gen;
  clearTimeout(drawer.timer);
  const body = $("#drawer-body")!;
  const key = `${top.kind}:${top.id}`;
  const same = body.getAttribute("data-for") === key;
  if (!same) {
    body.removeAttribute("data-for");
    body.replaceChildren(h("div", { class: "empty" }, h("span", { class: "spinner" }), "Loading…"));
    body.scrollTop = 0;
  }
  try {
    const kind = drawerKind(top.kind);
    if (!kind) throw new Error(`Nothing opens a ${top.kind}.`);
    const content = await kind.build(top.id);
    if (gen !== drawer.gen) return;
    // Reloading the same item keeps what the operator opened (Raw JSON, response bodies) open.
    const opened = same ? $$<HTMLDetailsElement>("details", body).map((d) => d.open) : [];
    body.setAttribute("data-for", key);
    body.replaceChildren(...content.parts.filter((p): p is Node | string => !!p && !Array.isArray(p)));
    $$<HTMLDetailsElement>("details", body).forEach((d, i) => {
      if (opened[i]) d.open = true;
    });
    // Work in flight (a running sync, an archive being built) is followed until it settles.
    const poll = content.poll;
    if (poll) {
      const again = () => {
        if (gen !== drawer.gen) return;
        if (document.visibilityState !== "visible") {
          drawer.timer = setTimeout(again, poll);
          return;
        }
        reloadDrawer();
      };
      drawer.timer = setTimeout(again, poll);
    }
  } catch (err) {
    if (gen !== drawer.gen) return;
    const e = err as { title?: string; message?: string };
    body.removeAttribute("data-for");
    body.replaceChildren(
      h(
        "div",
        { class: "notice red" },
        h("div", { class: "notice-text" }, h("div", { class: "strong" }, e.title || "Request failed"), e.message),
      ),
    );
  }
}
