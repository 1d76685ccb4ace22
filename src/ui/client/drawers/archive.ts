/** An archive: its period and build, the download link, and where it was sent. */
import { adminApi } from "../api";
import { busy, h } from "../dom";
import { bytes, dayLabel, isBlank, periodDays, periodText, plural } from "../format";
import { ref, updateRefs } from "../refs";
import { showFiltered } from "../router";
import { info, remember } from "../state";
import { toast, toastError } from "../toast";
import type { Archive } from "../types";
import { buildArchiveNow } from "../views/archive-form";
import { archiveBadge, card, copyable, dash, kv, notice, rawCard, stats, tag, timeEl } from "../widgets";
import { linkCard } from "./archive-link";
import { openDrawer, reloadDrawer } from "./drawer";
import { type DrawerContent, defineDrawer } from "./registry";
import { fileDeliveryEl } from "./targets";

/** Where a ready archive went: one file delivery per archive target, and a button to send it to all again. */
function sentToCard(a: Archive): HTMLElement {
  const rows = Array.isArray(a.deliveries) ? a.deliveries : [];
  const again = h("button", { type: "button", class: "btn sm" }, "Send to every target");
  again.addEventListener("click", async () => {
    busy(again, true);
    try {
      await adminApi.deliverArchive(a.id);
      toast("success", "Archive queued", "It goes to each enabled target of the subscriber now.");
      reloadDrawer();
    } catch (err) {
      toastError(err, "Could not send the archive");
      busy(again, false);
    }
  });
  return card(
    "Sent to",
    rows.length
      ? h(
          "div",
          null,
          rows.map((f) => fileDeliveryEl(f, reloadDrawer)),
        )
      : h("div", { class: "empty" }, "No archive target got this archive (the subscriber had none when it was ready)."),
    again,
  );
}

function rebuildButton(a: Archive): HTMLButtonElement {
  const rebuild = h("button", { type: "button", class: "btn sm primary" }, "Build again");
  rebuild.addEventListener("click", async () => {
    busy(rebuild, true);
    try {
      const next = await buildArchiveNow({
        subscriber_id: a.subscriber_id as string,
        period_start: a.period_start,
        period_end: a.period_end,
      });
      toast("success", "Archive queued", `${periodText(a)} is being built again.`);
      if (next?.id && next.id !== a.id) openDrawer("archive", next.id);
      else reloadDrawer();
    } catch (err) {
      toastError(err, "Could not build the archive");
      busy(rebuild, false);
    }
  });
  return rebuild;
}

function statusNote(status: string, a: Archive, progress: number | null): HTMLElement | null {
  if (status === "pending") return notice("blue", "Queued: it is built shortly. This view follows it.");
  if (status === "building") {
    return notice("blue", `Building${progress != null ? `: ${plural(progress, "event")} written so far.` : "."}`);
  }
  if (status === "failed") {
    return notice(
      "red",
      [h("div", { class: "strong" }, "The build failed"), isBlank(a.error) ? null : String(a.error)],
      rebuildButton(a),
    );
  }
  return null;
}

async function buildArchive(id: string): Promise<DrawerContent> {
  const a = await adminApi.archive(id);
  const subscriberId = String(a.subscriber_id);
  let subscriber = info.subscribers.get(subscriberId) || null;
  if (!subscriber) {
    subscriber = await adminApi.subscriber(subscriberId).catch(() => null);
    if (subscriber) {
      remember("subscribers", [subscriber]);
      updateRefs();
    }
  }
  const status = String(a.status || "");
  const progress = a.progress && a.progress.events != null ? Number(a.progress.events) : null;
  const days = periodDays(a);
  const ready = status === "ready";
  const parts = [
    h(
      "div",
      { class: "drawer-actions" },
      archiveBadge(a),
      h("span", { class: "sub" }, periodText(a)),
      h("span", { class: "grow" }),
      h(
        "button",
        { type: "button", class: "btn sm", onclick: () => showFiltered("archives", "subscriber_id", a.subscriber_id) },
        "Subscriber's archives",
      ),
      h(
        "button",
        { type: "button", class: "btn sm", onclick: () => openDrawer("subscriber", a.subscriber_id, true) },
        "Open subscriber",
      ),
    ),
    statusNote(status, a, progress),
    ready
      ? stats([
          ["Events", isBlank(a.events) ? "—" : Number(a.events).toLocaleString()],
          ["Size", bytes(a.bytes)],
          ["Format", a.format || "—"],
          ["Period", days ? plural(days, "day") : "—"],
        ])
      : null,
    ready ? linkCard(a, subscriber) : null,
    ready ? sentToCard(a) : null,
    card(
      null,
      kv([
        ["ID", copyable(a.id || id)],
        ["Subscriber", ref("subscribers", a.subscriber_id)],
        [
          "Period",
          h(
            "div",
            { class: "stack" },
            h(
              "span",
              { class: "strong" },
              a.period_start === a.period_end
                ? dayLabel(a.period_start)
                : `${dayLabel(a.period_start)} – ${dayLabel(a.period_end)}`,
            ),
            h(
              "span",
              { class: "sub" },
              (days ? `${plural(days, "local day")} in ` : "in ") +
                (a.timezone || "the subscriber's time zone") +
                ", both ends included",
            ),
          ),
        ],
        a.from || a.to
          ? [
              "Covers",
              h(
                "div",
                { class: "stack" },
                h("span", null, timeEl(a.from), " → ", timeEl(a.to)),
                h("span", { class: "sub" }, "events by the time the relay received them; end excluded"),
              ),
            ]
          : null,
        ["Format", a.format ? tag(a.format) : dash()],
        a.partial
          ? ["Partial", h("span", null, tag("export of the period so far", "amber"), " up to ", timeEl(a.to))]
          : null,
        ["Status", archiveBadge(a)],
        status === "building" && progress != null ? ["Progress", `${plural(progress, "event")} written`] : null,
        ["Events", isBlank(a.events) ? dash() : Number(a.events).toLocaleString()],
        ["Size", isBlank(a.bytes) ? dash() : `${bytes(a.bytes)} (${Number(a.bytes).toLocaleString()} bytes)`],
        ["SHA-256", isBlank(a.sha256) ? dash() : copyable(a.sha256)],
        ["Error", isBlank(a.error) ? dash() : h("span", { class: "err-text" }, String(a.error))],
        ["Created", timeEl(a.created_at)],
        a.ready_at !== undefined ? ["Ready", isBlank(a.ready_at) ? dash() : timeEl(a.ready_at)] : null,
        a.acknowledged_at !== undefined
          ? [
              "Fetched",
              isBlank(a.acknowledged_at)
                ? tag(ready ? "not acknowledged yet" : "no")
                : h("span", null, "acknowledged ", timeEl(a.acknowledged_at)),
            ]
          : null,
        a.expires_at !== undefined && !isBlank(a.expires_at) ? ["Kept until", timeEl(a.expires_at)] : null,
      ]),
    ),
    rawCard(a),
  ];
  const moving = (Array.isArray(a.deliveries) ? a.deliveries : []).some(
    (f) => f.status === "pending" || f.status === "retrying",
  );
  return { parts, poll: status === "pending" || status === "building" || moving ? 2500 : undefined };
}

defineDrawer("archive", { label: "Archive", prefix: "arc", build: buildArchive });
