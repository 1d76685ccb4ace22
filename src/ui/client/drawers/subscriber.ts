/** A subscriber: its settings, destinations and archive targets. */
import { adminApi } from "../api";
import { h } from "../dom";
import { age, isBlank, plural } from "../format";
import { updateRefs } from "../refs";
import { showFiltered } from "../router";
import { remember } from "../state";
import { archiveSummary } from "../views/cells";
import { badge, card, copyable, kv, mono, rawCard, tag, timeEl } from "../widgets";
import { setupButton } from "./edit-button";
import { type DrawerContent, defineDrawer } from "./registry";
import { archiveTargetEl, destinationEl } from "./targets";

const filterButton = (text: string, view: string, id: string) =>
  h("button", { type: "button", class: "btn sm", onclick: () => showFiltered(view, "subscriber_id", id) }, text);

async function buildSubscriber(id: string): Promise<DrawerContent> {
  const [s, dests, targetPage] = await Promise.all([
    adminApi.subscriber(id),
    adminApi.destinations(id, { limit: 100 }),
    adminApi.archiveTargets(id, { limit: 20 }).catch(() => null),
  ]);
  const targets = targetPage && Array.isArray(targetPage.data) ? targetPage.data : [];
  const targetEls = await Promise.all(targets.map((t) => archiveTargetEl(id, t)));
  remember("subscribers", [s]);
  const list = dests && Array.isArray(dests.data) ? dests.data : [];
  remember("destinations", list);
  updateRefs();
  const a = s.archive || {};
  const disabledCount = list.filter((d) => !isBlank(d.disabled_at)).length;
  const parts = [
    h(
      "div",
      { class: "drawer-actions" },
      filterButton("Show its deliveries", "deliveries", s.id),
      filterButton("Show its identities", "identities", s.id),
      filterButton("Show its archives", "archives", s.id),
      h("span", { class: "grow" }),
      setupButton("Add destination", "destination", { subscriber_id: s.id }),
      setupButton("Add archive target", "archive-target", { subscriber_id: s.id }),
      setupButton("Edit", "subscriber", s),
    ),
    card(
      null,
      kv([
        ["Name", h("span", { class: "strong" }, s.name || "(unnamed)")],
        ["ID", copyable(s.id)],
        ["Time zone", s.timezone],
        ["Archives", archiveSummary(a)],
        a.link_ttl != null ? ["Link lifetime", age(a.link_ttl)] : null,
        a.notify_url ? ["Archive notify", mono(a.notify_url)] : null,
        ["Created", timeEl(s.created_at)],
        ["Updated", timeEl(s.updated_at)],
      ]),
    ),
    card(
      "Destinations",
      list.length
        ? h(
            "div",
            null,
            list.map((d) => destinationEl(s.id, d)),
            dests.next_cursor ? h("div", { class: "empty" }, "Only the first 100 destinations are shown.") : null,
          )
        : h(
            "div",
            { class: "empty" },
            h("div", { class: "state-title" }, "No destinations"),
            "Add one with POST /v1/admin/subscribers/{id}/destinations.",
          ),
      disabledCount ? badge("disabled", `${disabledCount} disabled`) : tag(plural(list.length, "destination")),
    ),
    card(
      "Archive targets",
      targets.length
        ? h("div", null, targetEls)
        : h(
            "div",
            { class: "empty" },
            h("div", { class: "state-title" }, "No archive targets"),
            "Add one with POST /v1/admin/subscribers/{id}/archive-targets: https_put, s3, sftp or email.",
          ),
      tag(plural(targets.length, "target")),
    ),
    rawCard(s),
  ];
  return { parts };
}

defineDrawer("subscriber", { label: "Subscriber", prefix: "sub", build: buildSubscriber });
