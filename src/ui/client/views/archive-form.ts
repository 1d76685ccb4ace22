/** "Build period now": the archive of a subscriber's past days, built on request. */
import { adminApi } from "../api";
import { $, $$, busy } from "../dom";
import { openDrawer } from "../drawers/drawer";
import { isoDay, periodText } from "../format";
import { app, info, listState, names } from "../state";
import { toast, toastError } from "../toast";
import type { Archive, ArchiveRequest } from "../types";
import { clearFieldErrors, control, fieldError, placeErrors } from "./forms";
import { loadList } from "./lists";

/** Builds (or finds) the archive of a period, and has the archives list show it. */
export async function buildArchiveNow(body: ArchiveRequest): Promise<Archive> {
  const a = await adminApi.buildArchive(body);
  listState("archives").loadedAt = 0;
  if (app.current === "archives") loadList("archives");
  return a;
}

/** Yesterday, or last week Monday to Sunday, in this browser's calendar. */
export function presetPeriod(which: string, today: Date): { start: string; end: string } {
  const start = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  let end = start;
  if (which === "last-week") {
    const monday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - ((today.getDay() + 6) % 7) - 7);
    start.setTime(monday.getTime());
    end = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + 6);
  }
  return { start: isoDay(start), end: isoDay(end) };
}

export function wireArchiveForm(): void {
  const form = $<HTMLFormElement>("#archive-form")!;
  const subscriberId = control(form, "subscriber_id");
  const periodStart = control(form, "period_start");
  const periodEnd = control(form, "period_end");
  const toggle = $("[data-action=build-archive]")!;
  const help = $("#archive-form-help")!;
  const helpText = help.textContent;
  function show(open: boolean) {
    form.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) return;
    const filter = $<HTMLSelectElement>("#view-archives [data-filter=subscriber_id]")!.value;
    if (filter && !subscriberId.value) subscriberId.value = filter;
    if (!subscriberId.value && names.subscribers.size === 1)
      subscriberId.value = names.subscribers.keys().next().value!;
    if (!periodStart.value) preset("yesterday");
    describe();
    (subscriberId.value ? periodStart : subscriberId).focus();
  }
  function preset(which: string) {
    const { start, end } = presetPeriod(which, new Date());
    periodStart.value = start;
    periodEnd.value = end;
    clearFieldErrors(form);
  }
  // Tells the operator which calendar the dates are in: the subscriber's, not this browser's.
  function describe() {
    const sub = info.subscribers.get(subscriberId.value);
    help.textContent = sub?.timezone
      ? "Local dates in " +
        (sub.name || sub.id) +
        "'s time zone, " +
        sub.timezone +
        ", both included. The period must have ended there; an existing archive of it is shown instead, and a failed one is built again."
      : helpText;
  }
  toggle.addEventListener("click", () => show(form.hidden));
  $("[data-action=close-build]", form)!.addEventListener("click", () => {
    show(false);
    toggle.focus();
  });
  subscriberId.addEventListener("change", describe);
  for (const b of $$("[data-preset]", form)) b.addEventListener("click", () => preset(b.getAttribute("data-preset")!));
  periodStart.addEventListener("change", () => {
    if (!periodEnd.value || periodEnd.value < periodStart.value) periodEnd.value = periodStart.value;
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const body = {
      subscriber_id: subscriberId.value.trim(),
      period_start: periodStart.value,
      period_end: periodEnd.value || periodStart.value,
    };
    let bad = false;
    if (!body.subscriber_id) {
      fieldError(form, "subscriber_id", "Choose a subscriber.");
      bad = true;
    }
    if (!body.period_start) {
      fieldError(form, "period_start", "Pick the first day.");
      bad = true;
    }
    if (body.period_start && body.period_end < body.period_start) {
      fieldError(form, "period_end", "Must not be before the first day.");
      bad = true;
    }
    if (bad) return;
    const btn = form.querySelector<HTMLButtonElement>("[type=submit]");
    busy(btn, true);
    try {
      const a = await buildArchiveNow(body);
      const status = a?.status ? String(a.status) : "pending";
      toast(
        "success",
        status === "ready" ? "Already built" : "Archive queued",
        periodText(body) + (status === "ready" ? " has a ready archive; here it is." : " is being built now."),
      );
      show(false);
      if (a?.id) openDrawer("archive", a.id);
    } catch (err) {
      toastError(err, placeErrors(form, err) ? "Check the highlighted fields" : "Archive not built");
    } finally {
      busy(btn, false);
    }
  });
}
