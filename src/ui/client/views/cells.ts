/** Renderings shared by the lists and the drawers: a source's inbound checks, sync progress, the Resume button… */
import { adminApi } from "../api";
import { busy, h } from "../dom";
import { isDrawerHidden, reloadDrawer } from "../drawers/drawer";
import { age, isBlank, plural, toMs } from "../format";
import { app, listState } from "../state";
import { toast, toastError } from "../toast";
import type { Delivery, Notification, Source, SubscriberArchive, Sync } from "../types";
import { badge, tag, timeEl } from "../widgets";
import { loadList } from "./lists";

/** A list row carries a count, a detail carries the attempts themselves. */
export const attemptCount = (r: Delivery): number | undefined =>
  Array.isArray(r.attempts) ? r.attempts.length : r.attempts != null ? r.attempts : r.attempt_count;

export function inbound(s: Source): HTMLElement {
  const out: HTMLElement[] = [];
  const inb = s.inbound || {};
  if (inb.hmac) out.push(tag(`HMAC${inb.hmac.header ? ` · ${inb.hmac.header}` : ""}`, "blue"));
  if (Array.isArray(inb.ip_allowlist) && inb.ip_allowlist.length) {
    out.push(tag(`IP allowlist · ${inb.ip_allowlist.length}`, "blue"));
  }
  if (s.fetch) out.push(tag("Notify → fetch", "purple"));
  return out.length ? h("div", { class: "chips" }, out) : tag("API key only");
}

export function archiveSummary(a: SubscriberArchive | null | undefined): HTMLElement {
  if (!a || isBlank(a.schedule) || a.schedule === "off") return tag("off");
  return tag(a.schedule + (a.format ? ` · ${a.format}` : "") + (a.time ? ` · at ${a.time}` : ""), "green");
}

export function notificationStatus(r: Notification): HTMLElement {
  const next =
    (r.status === "retrying" || r.status === "pending") && !isBlank(r.next_attempt_at)
      ? h("span", { class: "sub" }, "next ", timeEl(r.next_attempt_at))
      : null;
  return h("div", { class: "stack" }, badge(r.status), next);
}

export function syncProgress(r: Sync): HTMLElement {
  return h(
    "div",
    { class: "stack" },
    h("span", { class: "strong nowrap" }, plural(r.records || 0, "record")),
    h(
      "span",
      { class: "sub nowrap" },
      `${plural(r.pages || 0, "page")} · ${Number(r.published || 0).toLocaleString()} new`,
    ),
  );
}

export function syncDuration(r: Sync): HTMLElement | null {
  const start = toMs(r.created_at);
  const end = toMs(r.finished_at) || (r.status === "running" ? Date.now() : toMs(r.updated_at));
  if (start == null || end == null) return null;
  return h(
    "span",
    { class: "nowrap", title: r.status === "running" ? "running so far" : "from start to finish" },
    age((end - start) / 1000) + (r.status === "running" ? " so far" : ""),
  );
}

export function resumeButton(r: Sync, size?: string): HTMLButtonElement {
  const btn = h(
    "button",
    { type: "button", class: `btn primary ${size || ""}`, title: "Resume from the page where it stopped" },
    "Resume",
  );
  btn.addEventListener("click", async (e) => {
    e.stopPropagation();
    busy(btn, true);
    try {
      await adminApi.resumeSync(r.id);
      toast(
        "success",
        "Sync resumed",
        `${r.id} continues from ${isBlank(r.cursor) ? "where it stopped." : `cursor ${r.cursor}.`}`,
      );
      listState("syncs").loadedAt = 0;
      if (app.current === "syncs") loadList("syncs");
      if (!isDrawerHidden()) reloadDrawer();
    } catch (err) {
      toastError(err, "Could not resume the sync");
      busy(btn, false);
    }
  });
  return btn;
}
