/** The overview (the default view): tiles, charts and the busiest owners, from GET /v1/admin/stats. */
import { adminApi } from "../api";
import { $, $$, busy, h } from "../dom";
import { age, duration, sum } from "../format";
import { ref, updateRefs } from "../refs";
import { app } from "../state";
import type { CounterSeries, Stats } from "../types";
import { badge, card, miniTable, rowOf, stats, timeEl } from "../widgets";
import { barChart, latencyChart } from "./charts";

type CounterName = keyof CounterSeries;

/** The busiest owners of a counter over the range, for "per source" and "per destination" tables. */
function topTable(
  title: string,
  kind: "sources" | "destinations",
  rows: Array<{ id: string } & CounterSeries>,
  columns: ReadonlyArray<readonly [CounterName, string]>,
): HTMLElement | null {
  const ranked = rows
    .map((r) => ({ r, total: sum(columns.map((c) => sum(r[c[0]] || []))) }))
    .filter((x) => x.total > 0)
    .sort((a, b) => b.total - a.total)
    .slice(0, 10);
  if (!ranked.length) return null;
  return card(
    title,
    miniTable(
      [kind.replace(/s$/, ""), ...columns.map((c) => c[1])],
      ranked.map(({ r }) => rowOf([ref(kind, r.id, true), ...columns.map((c) => sum(r[c[0]] || []).toLocaleString())])),
    ),
  );
}

function unhealthyCard(unhealthy: NonNullable<Stats["unhealthy_destinations"]>): HTMLElement | null {
  if (!unhealthy.length) return null;
  return card(
    "Destinations failing or disabled",
    miniTable(
      ["Destination", "Subscriber", "State"],
      unhealthy.map((d) =>
        rowOf([
          h("span", null, h("span", { class: "strong" }, d.name || d.id), h("div", { class: "sub mono" }, d.url)),
          ref("subscribers", d.subscriber_id, true),
          d.disabled_at
            ? h("span", null, badge("disabled", "Disabled"), " ", timeEl(d.disabled_at))
            : h("span", null, badge("retrying", "Failing"), " since ", timeEl(d.failing_since)),
        ]),
      ),
    ),
    badge("dead", String(unhealthy.length)),
  );
}

export async function renderOverview(): Promise<void> {
  const box = $("#overview-content");
  if (!box) return;
  if (!box.childElementCount) box.replaceChildren(h("div", { class: "empty" }, "Loading…"));
  let st: Stats;
  try {
    st = await adminApi.stats(app.overviewRange);
  } catch (err) {
    const message = err instanceof Error && err.message ? String(err.message) : "";
    box.replaceChildren(
      h("div", { class: "empty" }, h("div", { class: "state-title" }, "Could not load the overview"), message),
    );
    return;
  }
  const t = st.totals || {};
  const sent = sum(t.deliveries_sent || []);
  const failed = sum(t.deliveries_failed || []);
  const dead = sum(t.deliveries_dead || []);
  const attempts = sent + failed + dead;
  const p99 = (st.latency_ms.p99 || []).filter((v): v is number => v != null);
  const parts = [
    stats([
      ["Events received", sum(t.events_received || []).toLocaleString()],
      [
        "Deliveries sent",
        sent.toLocaleString(),
        attempts ? `${Math.round((100 * sent) / attempts)}% of attempts` : null,
      ],
      ["Failed, retrying", failed.toLocaleString()],
      ["Dead", dead.toLocaleString()],
      ["Worst p99", p99.length ? duration(Math.max(...p99)) : "—"],
      ["Oldest undelivered", st.oldest_undelivered_age_s == null ? "none" : age(st.oldest_undelivered_age_s)],
      [
        "Archives built",
        Number(st.archives.built).toLocaleString(),
        st.archives.delivered.toLocaleString() +
          " files sent, " +
          st.archives.unconfirmed.toLocaleString() +
          " unconfirmed",
      ],
    ]),
    unhealthyCard(st.unhealthy_destinations || []),
    barChart("Events received", st.slots, st.range, [
      { name: "received", values: t.events_received || [], cls: "s-in" },
    ]),
    barChart("Deliveries", st.slots, st.range, [
      { name: "sent", values: t.deliveries_sent || [], cls: "s-ok" },
      { name: "failed", values: t.deliveries_failed || [], cls: "s-warn" },
      { name: "dead", values: t.deliveries_dead || [], cls: "s-bad" },
    ]),
    latencyChart(st.slots, st.range, st.latency_ms),
    // Attempts only: confirmed and unconfirmed imports are outcomes of files already counted as sent.
    barChart(
      "Archive files",
      st.slots,
      st.range,
      [
        { name: "sent", values: t.files_sent || [], cls: "s-ok" },
        { name: "failed", values: t.files_failed || [], cls: "s-warn" },
        { name: "dead", values: t.files_dead || [], cls: "s-bad" },
      ],
      "imports confirmed " +
        sum(t.files_confirmed || []).toLocaleString() +
        ", unconfirmed " +
        sum(t.files_unconfirmed || []).toLocaleString() +
        ", failed " +
        sum(t.files_import_failed || []).toLocaleString(),
    ),
    topTable("Busiest sources", "sources", st.sources || [], [["events_received", "Events"]]),
    topTable("Destinations", "destinations", st.destinations || [], [
      ["deliveries_sent", "Sent"],
      ["deliveries_failed", "Failed"],
      ["deliveries_dead", "Dead"],
    ]),
  ];
  box.replaceChildren(...parts.filter((p): p is HTMLElement => !!p));
  updateRefs();
}

export function wireOverview(): void {
  for (const radio of $$<HTMLInputElement>("input[name=overview-range]")) {
    radio.addEventListener("change", () => {
      app.overviewRange = radio.value;
      renderOverview();
    });
  }
  const refresh = $<HTMLButtonElement>("#view-overview [data-action=refresh]");
  if (refresh) {
    refresh.addEventListener("click", async () => {
      busy(refresh, true);
      await renderOverview();
      busy(refresh, false);
    });
  }
  // The counters move with every batch: an open overview follows them once a minute.
  setInterval(() => {
    if (app.current === "overview" && !document.hidden) renderOverview();
  }, 60_000);
}
