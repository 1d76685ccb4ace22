/** An ID-only notification: what the relay fetched from the origin for it, and what came of it. */
import { adminApi } from "../api";
import { h } from "../dom";
import { enc, isBlank, plural } from "../format";
import { ref, updateRefs } from "../refs";
import { showFiltered } from "../router";
import { info, remember } from "../state";
import type { Notification } from "../types";
import { badge, card, codeBadge, copyable, dash, kv, linkButton, mono, notice, rawCard, timeEl } from "../widgets";
import { openDrawer } from "./drawer";
import { type DrawerContent, defineDrawer } from "./registry";

function statusNote(status: string, n: Notification): HTMLElement | null {
  if (status === "published") {
    return notice("green", [
      "Fetched from the origin and published as event ",
      h("span", { class: "mono" }, String(n.event_id || "")),
      ".",
    ]);
  }
  if (status === "collapsed") {
    return notice(
      "blue",
      "The same record was already being fetched for an earlier notification; that fetch answered this one too.",
      n.collapsed_into
        ? h(
            "button",
            { type: "button", class: "btn sm", onclick: () => openDrawer("notification", n.collapsed_into, true) },
            "Open it",
          )
        : null,
    );
  }
  if (status === "not_found") {
    return notice("amber", [
      h("div", { class: "strong" }, "The origin has no such record"),
      "It answered 404 for this id, so nothing was published and the notification ended.",
    ]);
  }
  if (status === "failed") {
    return notice("red", [
      h("div", { class: "strong" }, `Gave up after ${plural(n.attempts || 0, "attempt")}`),
      isBlank(n.error) ? null : String(n.error),
    ]);
  }
  if (status === "retrying") {
    return notice("amber", [
      h(
        "div",
        null,
        h("span", { class: "strong" }, "Fetching from the origin failed; next try "),
        timeEl(n.next_attempt_at),
      ),
      isBlank(n.error) ? null : h("div", null, String(n.error)),
    ]);
  }
  if (status === "pending") return notice("blue", "Queued: the record is fetched from the origin shortly.");
  return null;
}

async function buildNotification(id: string): Promise<DrawerContent> {
  const n = await adminApi.notification(id);
  const sourceId = String(n.source_id);
  const src = info.sources.get(sourceId) || (await adminApi.source(sourceId).catch(() => null));
  if (src) {
    remember("sources", [src]);
    updateRefs();
  }
  const f = src?.fetch;
  const status = String(n.status || "");
  const openEvent = () => openDrawer("event", n.event_id, true);
  const parts = [
    h(
      "div",
      { class: "drawer-actions" },
      badge(status),
      h("span", { class: "sub" }, plural(n.attempts || 0, "attempt")),
      h("span", { class: "grow" }),
      h(
        "button",
        { type: "button", class: "btn sm", onclick: () => showFiltered("notifications", "source_id", n.source_id) },
        "Source's notifications",
      ),
      n.event_id ? h("button", { type: "button", class: "btn sm primary", onclick: openEvent }, "Open event") : null,
    ),
    statusNote(status, n),
    card(
      null,
      kv([
        ["ID", copyable(n.id || id)],
        ["Source", ref("sources", n.source_id)],
        ["Record id", copyable(n.object_id)],
        f && !isBlank(f.url)
          ? [
              "Fetches",
              mono(
                (f.method || "GET") +
                  " " +
                  String(f.url)
                    .split("{id}")
                    .join(enc(String(n.object_id))),
              ),
            ]
          : null,
        f?.event_type ? ["Publishes as", h("code", { class: "inline-code" }, String(f.event_type))] : null,
        ["Status", badge(status)],
        ["Event", n.event_id ? linkButton(String(n.event_id), openEvent) : dash()],
        n.collapsed_into
          ? [
              "Answered by",
              linkButton(String(n.collapsed_into), () => openDrawer("notification", n.collapsed_into, true)),
            ]
          : null,
        ["Attempts", String(n.attempts == null ? 0 : n.attempts)],
        ["Last status", codeBadge(n.last_status_code) || dash()],
        ["Error", isBlank(n.error) ? dash() : h("span", { class: "err-text" }, String(n.error))],
        isBlank(n.next_attempt_at) ? null : ["Next attempt", timeEl(n.next_attempt_at)],
        ["Received", timeEl(n.created_at)],
        ["Updated", timeEl(n.updated_at)],
      ]),
    ),
    rawCard(n),
  ];
  return { parts, poll: status === "pending" || status === "retrying" ? 4000 : undefined };
}

defineDrawer("notification", { label: "Notification", prefix: "ntf", build: buildNotification });
