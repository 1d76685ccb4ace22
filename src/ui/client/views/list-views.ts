/** The list views, one defineList() each, in the order of the side navigation. */
import { paths } from "../api";
import { h } from "../dom";
import { openDrawer } from "../drawers/drawer";
import { bytes, isBlank, periodDays, periodText, plural } from "../format";
import { ref } from "../refs";
import type {
  Archive,
  Delivery,
  Identity,
  Notification,
  RelayEvent,
  Source,
  Subscriber,
  Subscription,
  Sync,
} from "../types";
import { archiveBadge, badge, chips, codeBadge, copyable, named, tag, timeEl } from "../widgets";
import {
  archiveSummary,
  attemptCount,
  inbound,
  notificationStatus,
  resumeButton,
  syncDuration,
  syncProgress,
} from "./cells";
import { defineList } from "./registry";

const errText = (err: unknown) =>
  isBlank(err) ? null : h("span", { class: "err-text truncate", title: String(err) }, String(err));

defineList<Source>("sources", {
  path: paths.sources,
  kind: "sources",
  empty: ["No sources yet", "Create one with POST /v1/admin/sources; it appears here."],
  columns: [
    ["Source", (r) => named(r.name, r.id)],
    ["Event types", (r) => chips(r.event_types, 4)],
    ["Mode", (r) => (r.strict ? tag("Strict", "purple") : tag("Open"))],
    ["Inbound", inbound],
    ["Created", (r) => timeEl(r.created_at)],
  ],
  open: (r) => openDrawer("source", r.id),
});

defineList<Subscriber>("subscribers", {
  path: paths.subscribers,
  kind: "subscribers",
  empty: ["No subscribers yet", "Create one with POST /v1/admin/subscribers."],
  columns: [
    ["Subscriber", (r) => named(r.name, r.id)],
    ["Time zone", (r) => r.timezone],
    ["Archives", (r) => archiveSummary(r.archive)],
    ["Created", (r) => timeEl(r.created_at)],
  ],
  open: (r) => openDrawer("subscriber", r.id),
});

defineList<Subscription>("subscriptions", {
  path: paths.subscriptions,
  empty: ["No subscriptions yet", "A subscription connects a source's events to a subscriber."],
  columns: [
    ["Subscription", (r) => h("span", { class: "id" }, r.id)],
    ["Subscriber", (r) => ref("subscribers", r.subscriber_id, "strong")],
    ["Source", (r) => ref("sources", r.source_id, "strong")],
    ["Event types", (r) => chips(r.event_types, 3)],
    [
      "Filter",
      (r) =>
        isBlank(r.filter)
          ? h("span", { class: "sub" }, "every event")
          : h("code", { class: "inline-code truncate", title: r.filter }, r.filter),
    ],
    [
      "Does",
      (r) => {
        const steps = Array.isArray(r.steps) ? r.steps.length : 0;
        return h(
          "div",
          { class: "chips" },
          steps ? tag(plural(steps, "push", "pushes"), "blue") : null,
          r.archive ? tag("archive", "green") : null,
        );
      },
    ],
    ["Updated", (r) => timeEl(r.updated_at || r.created_at)],
  ],
  open: (r) => openDrawer("subscription", r.id),
});

defineList<RelayEvent>("events", {
  path: paths.events,
  empty: ["No events", "Nothing matches these filters yet. Origins publish with POST /v1/events."],
  columns: [
    [
      "Event",
      (r) =>
        h(
          "div",
          { class: "stack" },
          h("span", { class: "strong" }, r.type || "(no type)"),
          h("span", { class: "id" }, r.id),
        ),
    ],
    ["Source", (r) => ref("sources", r.source_id || r.source)],
    [
      "Subject",
      (r) =>
        isBlank(r.subject) ? null : h("span", { class: "mono truncate", title: String(r.subject) }, String(r.subject)),
    ],
    ["Occurred", (r) => timeEl(r.time)],
    ["Received", (r) => timeEl(r.received_at)],
  ],
  open: (r) => openDrawer("event", r.id),
});

defineList<Delivery>("deliveries", {
  path: paths.deliveries,
  empty: ["No deliveries", "Nothing matches these filters."],
  columns: [
    [
      "Delivery",
      (r) =>
        h(
          "div",
          { class: "stack" },
          h("span", { class: "id strong-id" }, r.id),
          r.step != null ? h("span", { class: "sub" }, `step ${r.step}`) : null,
        ),
    ],
    ["Status", (r) => badge(r.status)],
    ["Event", (r) => h("span", { class: "id" }, r.event_id)],
    [
      "Destination",
      (r) =>
        h(
          "div",
          { class: "stack" },
          ref("destinations", r.destination_id, "strong"),
          ref("subscribers", r.subscriber_id, "sub"),
        ),
    ],
    ["Attempts", (r) => attemptCount(r), "num"],
    [
      "Last result",
      (r) => {
        if (isBlank(r.last_status_code) && isBlank(r.last_error)) return null;
        return h("div", { class: "stack" }, codeBadge(r.last_status_code), errText(r.last_error));
      },
    ],
    ["Updated", (r) => timeEl(r.updated_at || r.created_at)],
  ],
  open: (r) => openDrawer("delivery", r.id),
});

defineList<Notification>("notifications", {
  path: paths.notifications,
  empty: ["No notifications", "Nothing matches these filters. Origins call a source's notify URL with ?id=…"],
  live: (r) => r.status === "pending" || r.status === "retrying",
  columns: [
    [
      "Record",
      (r) =>
        h(
          "div",
          { class: "stack" },
          h("span", { class: "mono strong truncate", title: String(r.object_id) }, String(r.object_id)),
          h("span", { class: "id" }, r.id),
        ),
    ],
    ["Source", (r) => ref("sources", r.source_id, "strong")],
    ["Status", notificationStatus],
    ["Attempts", (r) => r.attempts, "num"],
    [
      "Outcome",
      (r) => {
        if (r.event_id) {
          return h(
            "div",
            { class: "stack" },
            h("span", { class: "sub" }, "published as"),
            h("span", { class: "id strong-id" }, r.event_id),
          );
        }
        if (r.collapsed_into) {
          return h(
            "div",
            { class: "stack" },
            h("span", { class: "sub" }, "answered by"),
            h("span", { class: "id" }, r.collapsed_into),
          );
        }
        if (isBlank(r.last_status_code) && isBlank(r.error)) return null;
        return h("div", { class: "stack" }, codeBadge(r.last_status_code), errText(r.error));
      },
    ],
    ["Received", (r) => timeEl(r.created_at)],
  ],
  open: (r) => openDrawer("notification", r.id),
});

defineList<Sync>("syncs", {
  path: (f) => paths.sourceSyncs(f.source_id),
  consumes: ["source_id"],
  requires: [
    "source_id",
    "Choose a source",
    "Syncs belong to a source: pick one above to see its bulk syncs, newest first.",
  ],
  empty: ["No syncs for this source", "Start one with POST /v1/admin/sources/{id}/sync; its progress shows here."],
  live: (r) => r.status === "running",
  columns: [
    [
      "Sync",
      (r) =>
        h(
          "div",
          { class: "stack" },
          h("span", { class: "id strong-id" }, r.id),
          h("span", { class: "sub" }, "started ", timeEl(r.created_at)),
        ),
    ],
    ["Status", (r) => h("div", { class: "stack" }, badge(r.status), errText(r.error))],
    ["Progress", syncProgress],
    [
      "Cursor",
      (r) =>
        isBlank(r.cursor) ? null : h("span", { class: "mono truncate", title: String(r.cursor) }, String(r.cursor)),
    ],
    ["Took", (r) => syncDuration(r)],
    ["", (r) => (r.status === "failed" ? resumeButton(r, "sm") : null)],
  ],
  open: (r) => openDrawer("sync", r.id),
});

defineList<Identity>("identities", {
  path: (f) => paths.identities(f.subscriber_id),
  consumes: ["subscriber_id"],
  requires: [
    "subscriber_id",
    "Choose a subscriber",
    "Identities are per subscriber: pick one, then narrow by namespace and local id.",
  ],
  empty: [
    "No identities",
    "None match. An identity step remembers the id a destination gave to each new person, and PUT …/identities loads them in bulk.",
  ],
  emptyFor: (f) =>
    f.local_id
      ? [
          "Unknown to this subscriber",
          "No remote id for " +
            (f.namespace ? `${f.namespace} / ` : "") +
            f.local_id +
            ": for the next event about it, an identity step sends a create to the destination and remembers the id it gets.",
        ]
      : null,
  columns: [
    ["Namespace", (r) => h("code", { class: "inline-code" }, String(r.namespace))],
    ["Local id", (r) => h("span", { class: "mono strong" }, String(r.local_id)), "wrap"],
    ["Remote id", (r) => copyable(r.remote_id), "wrap"],
    ["Learned", (r) => timeEl(r.updated_at)],
  ],
});

defineList<Archive>("archives", {
  path: paths.archives,
  empty: [
    "No archives",
    "Subscribers with an archive schedule get one per day or week; build a period now with the button above.",
  ],
  live: (r) => r.status === "pending" || r.status === "building",
  columns: [
    [
      "Period",
      (r) => {
        const days = periodDays(r);
        return h(
          "div",
          { class: "stack" },
          h("span", { class: "strong nowrap" }, periodText(r)),
          h("span", { class: "sub" }, (days ? plural(days, "day") : "") + (r.timezone ? ` · ${r.timezone}` : "")),
        );
      },
    ],
    ["Subscriber", (r) => ref("subscribers", r.subscriber_id, "strong")],
    [
      "Status",
      (r) =>
        h(
          "div",
          { class: "stack" },
          archiveBadge(r),
          r.status === "building" && r.progress
            ? h("span", { class: "sub" }, `${plural(r.progress.events || 0, "event")} so far`)
            : null,
          errText(r.error),
        ),
    ],
    ["Events", (r) => (isBlank(r.events) ? null : Number(r.events).toLocaleString()), "num"],
    ["Size", (r) => (isBlank(r.bytes) ? null : bytes(r.bytes)), "num"],
    ["Format", (r) => (r.format ? tag(r.format) : null)],
    ["Created", (r) => timeEl(r.created_at)],
  ],
  open: (r) => openDrawer("archive", r.id),
});
