/** A source: how it accepts events, its event types, its ID-only fetch, its recent syncs. */
import { adminApi } from "../api";
import { h } from "../dom";
import { isBlank } from "../format";
import { showFiltered } from "../router";
import { remember } from "../state";
import type { EventTypeInfo, Page, Sync } from "../types";
import { inbound, syncProgress } from "../views/cells";
import {
  badge,
  card,
  chips,
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
import { setupButton } from "./edit-button";
import { type DrawerContent, defineDrawer } from "./registry";

const filterButton = (text: string, view: string, filter: string, value: string) =>
  h("button", { type: "button", class: "btn sm", onclick: () => showFiltered(view, filter, value) }, text);

async function buildSource(id: string): Promise<DrawerContent> {
  // Syncs are a side panel: a failure there (or an older relay without them) must not hide the source.
  const [s, syncs] = await Promise.all([
    adminApi.source(id),
    adminApi.sourceSyncs(id, { limit: 5 }).catch((err: unknown): { error: { status?: number; message?: string } } => ({
      error: err as { status?: number; message?: string },
    })),
  ]);
  remember("sources", [s]);
  const types = Array.isArray(s.event_types) ? s.event_types : [];
  const inb = s.inbound || {};
  const f = s.fetch;
  const failed = syncs && typeof syncs === "object" && "error" in syncs ? syncs.error : null;
  const page = failed ? null : (syncs as Page<Sync> | null);
  const syncRows = page && Array.isArray(page.data) ? page.data : [];
  let syncCard: HTMLElement | null = null;
  if (failed) {
    syncCard =
      failed.status === 401
        ? null
        : card("Recent syncs", h("div", { class: "empty err-text" }, `Could not load syncs: ${failed.message}`));
  } else if (syncRows.length) {
    syncCard = card(
      "Recent syncs",
      miniTable(
        ["Sync", "Status", "Progress", "Started"],
        syncRows.map((r) =>
          clickableRow([h("span", { class: "id" }, r.id), badge(r.status), syncProgress(r), timeEl(r.created_at)], () =>
            openDrawer("sync", r.id, true),
          ),
        ),
      ),
      filterButton("All syncs", "syncs", "source_id", s.id),
    );
  }
  const hmac = inb.hmac;
  const parts = [
    h(
      "div",
      { class: "drawer-actions" },
      filterButton("Show its events", "events", "source_id", s.id),
      f ? filterButton("Show its notifications", "notifications", "source_id", s.id) : null,
      filterButton("Show its syncs", "syncs", "source_id", s.id),
      h("span", { class: "grow" }),
      setupButton("Edit", "source", s),
    ),
    card(
      null,
      kv([
        ["Name", h("span", { class: "strong" }, s.name || "(unnamed)")],
        ["ID", copyable(s.id)],
        ["Mode", s.strict ? "Strict: unregistered event types are rejected" : "Open: any event type is accepted"],
        ["Inbound", inbound(s)],
        hmac
          ? [
              "Signature",
              mono(
                (hmac.algorithm || "sha256") +
                  " · " +
                  (hmac.encoding || "hex") +
                  " in " +
                  (hmac.header || "?") +
                  (hmac.prefix ? ` (prefix ${hmac.prefix})` : ""),
              ),
            ]
          : null,
        Array.isArray(inb.ip_allowlist) && inb.ip_allowlist.length ? ["IP allowlist", chips(inb.ip_allowlist)] : null,
        ["Created", timeEl(s.created_at)],
        ["Updated", timeEl(s.updated_at)],
      ]),
    ),
    card(
      "Event types",
      types.length
        ? miniTable(
            ["Code", "Description", "Schema"],
            types.map((t) => {
              const o: EventTypeInfo = t && typeof t === "object" ? t : { code: t };
              return h(
                "tr",
                null,
                h("td", null, h("code", { class: "inline-code" }, String(o.code))),
                h("td", null, isBlank(o.description) ? dash() : String(o.description)),
                h(
                  "td",
                  null,
                  o.schema ? h("details", null, h("summary", null, "JSON Schema"), jsonBlock(o.schema)) : dash(),
                ),
              );
            }),
          )
        : h(
            "div",
            { class: "empty" },
            s.strict ? "None registered: every event is rejected." : "None registered: any type is accepted.",
          ),
    ),
    f
      ? card(
          "ID-only notifications",
          kv([
            ["Fetches", mono(`${f.method || "GET"} ${f.url || ""}`)],
            ["Publishes as", f.event_type ? h("code", { class: "inline-code" }, String(f.event_type)) : dash()],
            ["Auth", f.auth?.type ? tag(f.auth.type) : tag("none")],
          ]),
        )
      : null,
    syncCard,
    rawCard(s),
  ];
  return { parts, poll: syncRows.some((r) => r.status === "running") ? 5000 : undefined };
}

defineDrawer("source", { label: "Source", prefix: "src", build: buildSource });
