/** A bulk sync of a source's records: its pages, records and new events, followed while it runs. */
import { adminApi } from "../api";
import { h } from "../dom";
import { isBlank, plural } from "../format";
import { ref } from "../refs";
import type { Sync } from "../types";
import { resumeButton, syncDuration } from "../views/cells";
import { badge, card, copyable, dash, kv, notice, rawCard, stats, tag, timeEl } from "../widgets";
import { openDrawer } from "./drawer";
import { type DrawerContent, defineDrawer } from "./registry";

function statusNote(status: string, r: Sync): HTMLElement | null {
  if (status === "running") {
    return notice("blue", "Running: the origin's list is fetched page by page in queue jobs. This view follows it.");
  }
  if (status === "completed") {
    return notice("green", [
      "Completed: " +
        plural(r.records || 0, "record") +
        " from " +
        plural(r.pages || 0, "page") +
        ", " +
        plural(r.published || 0, "new event") +
        ".",
      h("div", { class: "sub" }, "Records already published before are not stored again."),
    ]);
  }
  if (status === "failed") {
    return notice("red", [
      h("div", { class: "strong" }, `Stopped after ${plural(r.pages || 0, "page")}`),
      isBlank(r.error) ? null : h("div", null, String(r.error)),
      h(
        "div",
        { class: "sub" },
        "Resume continues from " +
          (isBlank(r.cursor) ? "the page where it stopped" : `cursor ${r.cursor}`) +
          "; nothing published so far is published twice.",
      ),
    ]);
  }
  return null;
}

async function buildSync(id: string): Promise<DrawerContent> {
  const r = await adminApi.sync(id);
  const status = String(r.status || "");
  const known = Number(r.records) - Number(r.published);
  const parts = [
    h(
      "div",
      { class: "drawer-actions" },
      badge(status),
      h("span", { class: "grow" }),
      h(
        "button",
        { type: "button", class: "btn sm", onclick: () => openDrawer("source", r.source_id, true) },
        "Open source",
      ),
      status === "failed" ? resumeButton(r, "sm") : null,
    ),
    statusNote(status, r),
    stats([
      ["Pages", Number(r.pages || 0).toLocaleString()],
      ["Records", Number(r.records || 0).toLocaleString()],
      [
        "New events",
        Number(r.published || 0).toLocaleString(),
        Number(r.records) > Number(r.published) ? `${known.toLocaleString()} already known` : null,
      ],
      ["Time", syncDuration(r) || "—"],
    ]),
    card(
      null,
      kv([
        ["ID", copyable(r.id || id)],
        ["Source", ref("sources", r.source_id)],
        ["Status", badge(status)],
        [
          "Cursor",
          isBlank(r.cursor)
            ? h("span", { class: "sub" }, `none: ${status === "running" && !r.pages ? "first page" : "no next page"}`)
            : copyable(r.cursor),
        ],
        ["Error", isBlank(r.error) ? dash() : h("span", { class: "err-text" }, String(r.error))],
        ["Started", timeEl(r.created_at)],
        ["Updated", timeEl(r.updated_at)],
        [
          "Finished",
          isBlank(r.finished_at) ? (status === "running" ? tag("running", "blue") : dash()) : timeEl(r.finished_at),
        ],
      ]),
    ),
    rawCard(r),
  ];
  return { parts, poll: status === "running" ? 3000 : undefined };
}

defineDrawer("sync", { label: "Sync", prefix: "syn", build: buildSync });
