/**
 * The subscription editor's live preview: as the operator types a filter, a transform (or picks a preset) or an
 * identity's local id, the relay runs it on a sample event (POST /v1/admin/preview), after a pause, and only the
 * answer to the latest text is shown. The sample is a stored event (the source's newest, prefilled) or a pasted one.
 */
import { ApiError, adminApi, api } from "../api";
import { h } from "../dom";
import { bytes } from "../format";
import { badge, jsonBlock } from "../widgets";
import { problemToFields } from "./issues";
import { latestOnly, type Settled } from "./latest";
import { type PreviewTarget, previewBody, refusalLines, type Sample } from "./preview-request";
import { type PreviewAnswer, preview } from "./writes";

export interface PreviewPanel {
  element: HTMLElement;
  /** The expression being edited changed. */
  show(target: PreviewTarget | null, label: string): void;
  /** The source changed: offer its newest event as the sample. */
  useSource(sourceId: string): void;
  stop(): void;
}

function errorNotice(lines: string[]): HTMLElement {
  return h(
    "div",
    { class: "notice red", "data-preview-error": true },
    h(
      "div",
      { class: "notice-text" },
      lines.map((line) => h("div", null, line)),
    ),
  );
}

function answerView(answer: PreviewAnswer): HTMLElement {
  if (answer.error) {
    const e = answer.error;
    const where = typeof e.position === "number" ? ` (at position ${e.position})` : "";
    return errorNotice([e.message + where + (e.limit ? ` — limit: ${e.limit}` : "")]);
  }
  return h(
    "div",
    { "data-preview-ok": true },
    typeof answer.matched === "boolean"
      ? h(
          "div",
          null,
          badge(
            answer.matched ? "matched" : "skipped",
            answer.matched ? "matches" : "filtered out",
            answer.matched ? "green" : "amber",
          ),
        )
      : null,
    answer.result_omitted
      ? h("div", { class: "sub" }, answer.result_omitted)
      : "result" in answer
        ? jsonBlock(answer.result)
        : h("div", { class: "sub" }, "The expression gives no value."),
    typeof answer.bytes === "number" ? h("div", { class: "sub" }, `Body: ${bytes(answer.bytes)}`) : null,
  );
}

export function previewPanel(): PreviewPanel {
  const modeStored = h("input", { type: "radio", name: "sample-mode", value: "stored", checked: true });
  const modePasted = h("input", { type: "radio", name: "sample-mode", value: "pasted" });
  const eventId = h("input", {
    class: "input mono",
    name: "sample-event-id",
    placeholder: "evt_…",
    autocomplete: "off",
    "aria-label": "Sample event id",
  });
  const pasted = h("textarea", {
    class: "input mono",
    name: "sample-event",
    rows: 4,
    placeholder: '{"type": "courseCompletion", "data": {"n": 1}}',
    "aria-label": "Sample event",
    spellcheck: "false",
    hidden: true,
  });
  const label = h("div", { class: "sub", "data-preview-target": true });
  const result = h("div", { class: "setup-preview-result", "data-preview-result": true, "aria-live": "polite" });
  let target: PreviewTarget | null = null;
  let autoFilled = "";

  const sample = (): Sample => (modePasted.checked ? { pasted: pasted.value } : { eventId: eventId.value });
  const latest = latestOnly(
    (body: Record<string, unknown>) => {
      return preview(api, body);
    },
    (settled: Settled<PreviewAnswer>) => {
      if (settled.ok) result.replaceChildren(answerView(settled.value));
      else {
        const err = settled.error;
        const fields = err instanceof ApiError ? problemToFields(err.errors) : new Map();
        result.replaceChildren(errorNotice(refusalLines(fields, err instanceof Error ? err.message : String(err))));
      }
      result.setAttribute("data-preview-state", "done");
    },
  );
  const run = () => {
    const plan = previewBody(target, sample());
    if (!plan.ok) {
      latest.cancel();
      result.replaceChildren(h("div", { class: "sub" }, plan.hint));
      result.setAttribute("data-preview-state", "hint");
      return;
    }
    result.setAttribute("data-preview-state", "waiting");
    latest.request(plan.body);
  };
  const switchMode = () => {
    eventId.hidden = modePasted.checked;
    pasted.hidden = !modePasted.checked;
    run();
  };
  modeStored.addEventListener("change", switchMode);
  modePasted.addEventListener("change", switchMode);
  eventId.addEventListener("input", run);
  pasted.addEventListener("input", run);

  const element = h(
    "div",
    { class: "setup-preview full", "data-setup-preview": true },
    h("div", { class: "section-title" }, "Live preview"),
    h(
      "div",
      { class: "segmented", role: "radiogroup", "aria-label": "Sample event" },
      h("label", null, modeStored, "Stored event"),
      h("label", null, modePasted, "Paste an event"),
    ),
    eventId,
    pasted,
    label,
    result,
  );
  run();
  return {
    element,
    show(next, text) {
      target = next;
      label.textContent = next ? `Previewing ${text}` : "";
      run();
    },
    async useSource(sourceId) {
      if (!sourceId || (eventId.value && eventId.value !== autoFilled)) return;
      try {
        const newest = (await adminApi.events({ source_id: sourceId, limit: 1 }))?.data?.[0];
        if (!newest?.id || (eventId.value && eventId.value !== autoFilled)) return;
        eventId.value = autoFilled = newest.id;
        run();
      } catch (_) {
        /* no sample: the operator can paste one */
      }
    },
    stop: () => latest.cancel(),
  };
}
