/** An event: its envelope, data, the deliveries made of it, the archives it landed in, and a one-click replay. */
import { adminApi } from "../api";
import { h } from "../dom";
import { isBlank, plural } from "../format";
import { ref } from "../refs";
import { unwrapEvent } from "../shapes";
import { attemptCount } from "../views/cells";
import {
  badge,
  card,
  clickableRow,
  copyable,
  dash,
  jsonBlock,
  kv,
  miniTable,
  mono,
  rawCard,
  tag,
  timeEl,
} from "../widgets";
import { openDrawer } from "./drawer";
import { type DrawerContent, defineDrawer } from "./registry";
import { replayButton } from "./replay-button";

async function buildEvent(id: string): Promise<DrawerContent> {
  const body = await adminApi.event(id);
  const { event: ev, deliveries } = unwrapEvent(body);
  const archives = body && "archives" in body && Array.isArray(body.archives) ? body.archives : [];
  const archiveRows = archives.map((a) =>
    clickableRow(
      [
        badge(a.status),
        ref("subscribers", a.subscriber_id),
        a.period_start === a.period_end ? a.period_start : `${a.period_start} → ${a.period_end}`,
        a.partial ? tag("partial", "amber") : null,
      ],
      () => openDrawer("archive", a.id, true),
    ),
  );
  const rows = deliveries.map((d) =>
    clickableRow(
      [
        badge(d.status),
        ref("destinations", d.destination_id),
        d.step != null ? String(d.step) : null,
        String(attemptCount(d) == null ? "" : attemptCount(d)),
        timeEl(d.updated_at || d.created_at),
      ],
      () => openDrawer("delivery", d.id, true),
    ),
  );
  const parts = [
    h(
      "div",
      { class: "drawer-actions" },
      h("span", { class: "grow" }),
      replayButton(
        "Route again",
        { stage: "route", event_id: ev.id || id },
        "the event goes through today's subscriptions again",
      ),
    ),
    card(
      null,
      kv([
        ["Type", h("code", { class: "inline-code" }, ev.type || "(none)")],
        ["ID", copyable(ev.id || id)],
        ["Source", ref("sources", ev.source_id || ev.source)],
        ["Subject", isBlank(ev.subject) ? dash() : mono(ev.subject)],
        ev.external_id !== undefined ? ["Origin's id", mono(ev.external_id)] : null,
        ["Occurred", timeEl(ev.time)],
        ["Received", timeEl(ev.received_at)],
        ev.routed_at !== undefined
          ? ["Routed", isBlank(ev.routed_at) ? tag("not yet", "amber") : timeEl(ev.routed_at)]
          : null,
        isBlank(ev.route_error) ? null : ["Route error", h("span", { class: "err-text" }, String(ev.route_error))],
      ]),
    ),
    card("Data", h("div", { class: "card-body" }, jsonBlock(ev.data !== undefined ? ev.data : ev))),
    card(
      "Deliveries",
      rows.length
        ? miniTable(["Status", "Destination", "Step", "Attempts", "Updated"], rows)
        : h("div", { class: "empty" }, "No deliveries: no subscription matched this event (yet)."),
      tag(plural(rows.length, "delivery", "deliveries")),
    ),
    card(
      "Archives",
      archiveRows.length
        ? miniTable(["Status", "Subscriber", "Period", ""], archiveRows)
        : h("div", { class: "empty" }, "In no archive yet: archives are built when their period ends."),
      tag(plural(archiveRows.length, "archive")),
    ),
    rawCard(body),
  ];
  return { parts };
}

defineDrawer("event", { label: "Event", prefix: "evt", build: buildEvent });
