/** Replays this browser follows: started here or tracked by id, polled until they end. */
import { ApiError, adminApi } from "../api";
import { $, $$, busy, h } from "../dom";
import { absFormat, isBlank, plural, toMs, utcOffsetText } from "../format";
import { app, isActive, remember, replayData, saveTracked, tracked, withTracked } from "../state";
import { toast, toastError } from "../toast";
import type { Replay, ReplayCriteriaInfo, ReplayRequest } from "../types";
import { badge, timeEl } from "../widgets";
import { clearFieldErrors, control, fieldError, placeErrors } from "./forms";

let replayTimer: ReturnType<typeof setTimeout> | undefined;
export const stopReplayPolling = (): void => clearTimeout(replayTimer);

export function track(id: string): void {
  saveTracked(withTracked(tracked(), id));
  renderReplays();
  pollReplays();
}
function untrack(id: string): void {
  saveTracked(tracked().filter((x) => x !== id));
  replayData.delete(id);
  renderReplays();
}

export async function pollReplays(): Promise<void> {
  clearTimeout(replayTimer);
  const ids = tracked();
  await Promise.all(
    ids.map(async (id) => {
      const prev = replayData.get(id);
      if (prev && !isActive(prev)) return;
      try {
        replayData.set(id, await adminApi.replay(id));
      } catch (err) {
        const e = err instanceof ApiError ? err : null;
        if (e?.status === 401) return;
        if (e?.status === 404) replayData.set(id, { id, status: "not_found", error: "No replay with this id." });
        else {
          const message = err instanceof Error ? err.message : String(err);
          replayData.set(id, { id, status: "unknown", ...prev, pollError: message });
        }
      }
    }),
  );
  renderReplays();
  if (app.signedIn && ids.some((id) => isActive(replayData.get(id)))) replayTimer = setTimeout(pollReplays, 2000);
}

function replayEl(id: string, r: Replay | undefined): HTMLElement {
  const matched = Number(r?.matched || 0);
  const processed = Number(r?.processed || 0);
  const status = r ? String(r.status || "unknown") : "loading";
  const done = r && !isActive(r);
  const failed = /fail|error|not_found/.test(status);
  const pct = matched ? Math.min(100, Math.round((processed / matched) * 100)) : done && !failed ? 100 : 0;
  // Older answers carried the criteria on the replay itself.
  const criteria: ReplayCriteriaInfo = (r?.criteria && typeof r.criteria === "object" ? r.criteria : r) || {};
  const stage = r?.stage || criteria.stage;
  const at = (v: string) => absFormat.format(toMs(v) ?? 0);
  const range =
    criteria.from || criteria.to
      ? `${criteria.from ? at(criteria.from) : "the start"} → ${criteria.to ? at(criteria.to) : "now"}`
      : null;
  const remove = h(
    "button",
    { type: "button", class: "btn sm ghost", title: "Stop tracking", "aria-label": "Stop tracking" },
    "✕",
  );
  remove.addEventListener("click", () => untrack(id));
  return h(
    "div",
    { class: "replay" },
    h(
      "div",
      { class: "replay-head" },
      h("span", { class: "id" }, id),
      r ? badge(status) : h("span", { class: "spinner" }),
      h("span", { class: "grow" }),
      r?.created_at ? timeEl(r.created_at) : null,
      remove,
    ),
    h("progress", { max: 100, value: pct, class: failed ? "failed" : done ? "done" : "", "aria-label": "Progress" }),
    h(
      "div",
      { class: "meta" },
      h("span", { class: "strong" }, `${pct}%`),
      h("span", null, `${processed.toLocaleString()} of ${plural(matched, "event")} processed`),
      stage ? h("span", null, `stage: ${stage}`) : null,
      range ? h("span", null, range) : null,
      criteria.destination_id
        ? h("span", null, "to ", h("span", { class: "id" }, String(criteria.destination_id)))
        : null,
    ),
    r && !isBlank(r.error) ? h("div", { class: "err-text" }, String(r.error)) : null,
    r?.pollError ? h("div", { class: "sub" }, `Last refresh failed: ${r.pollError}`) : null,
  );
}

export function renderReplays(): void {
  const box = $("#replay-list")!;
  const ids = tracked();
  if (!ids.length) {
    box.replaceChildren(
      h(
        "div",
        { class: "empty" },
        h("div", { class: "state-title" }, "No replays tracked"),
        h("div", null, "Start one with the form, or track an existing replay by its id."),
      ),
    );
    return;
  }
  box.replaceChildren(...ids.map((id) => replayEl(id, replayData.get(id))));
}

const STAGE_HELP: Record<string, string> = {
  route: "Runs the events through today's subscriptions again.",
  deliver: "Resends the payloads exactly as they were built.",
};

export function wireReplayForm(): void {
  const form = $<HTMLFormElement>("#replay-form")!;
  const field = (name: string) => control(form, name);
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (_) {
    /* older browsers */
  }
  $("#replay-tz")!.textContent =
    "Times are in your time zone" +
    (zone ? `, ${zone}` : "") +
    " (" +
    utcOffsetText(new Date().getTimezoneOffset()) +
    "). Leave empty for no bound.";
  for (const r of $$<HTMLInputElement>("input[name=stage]", form)) {
    r.addEventListener("change", () => {
      $("#replay-stage-help")!.textContent = STAGE_HELP[r.value] || "";
    });
  }

  async function loadDestinations() {
    const sel = form.elements.namedItem("destination_id") as HTMLSelectElement;
    const sid = field("subscriber_id").value;
    sel.replaceChildren(h("option", { value: "" }, "The original destinations"));
    sel.disabled = !sid;
    if (!sid) return;
    try {
      const body = await adminApi.destinations(sid, { limit: 100 });
      const list = body && Array.isArray(body.data) ? body.data : [];
      remember("destinations", list);
      for (const d of list) {
        sel.append(
          h(
            "option",
            { value: d.id },
            (d.name || d.id) +
              (d.environment ? ` (${d.environment})` : "") +
              (isBlank(d.disabled_at) ? "" : " · disabled"),
          ),
        );
      }
    } catch (err) {
      toastError(err, "Could not load the subscriber's destinations");
    }
  }
  field("subscriber_id").addEventListener("change", loadDestinations);
  form.addEventListener("reset", () =>
    setTimeout(() => {
      clearFieldErrors(form);
      loadDestinations();
      $("#replay-stage-help")!.textContent = STAGE_HELP.route;
    }, 0),
  );

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const body: Partial<ReplayRequest> = {};
    let bad = false;
    for (const k of ["from", "to"] as const) {
      const v = field(k).value;
      if (!v) continue;
      const ms = Date.parse(v);
      if (Number.isNaN(ms)) {
        fieldError(form, k, "Not a valid date and time.");
        bad = true;
      } else body[k] = new Date(ms).toISOString();
    }
    if (body.from && body.to && body.from > body.to) {
      fieldError(form, "to", "Must be after From.");
      bad = true;
    }
    if (bad) return;
    const stage = form.querySelector<HTMLInputElement>("input[name=stage]:checked");
    body.stage = stage ? stage.value : "route";
    for (const k of ["source_id", "subscriber_id", "destination_id"] as const) {
      const v = field(k).value.trim();
      if (v) body[k] = v;
    }
    const btn = form.querySelector<HTMLButtonElement>("[type=submit]");
    busy(btn, true);
    try {
      const res = await adminApi.startReplay(body as ReplayRequest);
      const id = res?.id;
      toast(
        "success",
        "Replay started",
        res && res.matched != null ? `${plural(res.matched, "event")} matched.` : null,
      );
      if (id) {
        replayData.set(id, { status: "pending", processed: 0, criteria: body, ...res });
        track(id);
      }
    } catch (err) {
      toastError(err, placeErrors(form, err) ? "Check the highlighted fields" : "Replay not started");
    } finally {
      busy(btn, false);
    }
  });

  $<HTMLFormElement>("#replay-track")!.addEventListener("submit", (e) => {
    e.preventDefault();
    const input = control(e.currentTarget as HTMLFormElement, "id");
    const id = input.value.trim();
    if (!id) return input.focus();
    input.value = "";
    track(id);
  });
}
