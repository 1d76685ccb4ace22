/**
 * Create or edit a subscription: its subscriber and source, event types, filter, archive flag and steps (preset,
 * transform, identity mapping), with a live preview of the expression being typed.
 */
import { api } from "../api";
import { h } from "../dom";
import { areaField, checkField, prefill } from "./fields";
import { runForm } from "./form-runner";
import { fillDestinations, pickedValue, refSelect } from "./pickers";
import { previewPanel } from "./preview-panel";
import type { PreviewTarget } from "./preview-request";
import { renumberSteps, type StepBlock, stepBlock } from "./step-fields";
import { createSubscription, updateSubscription } from "./writes";

interface StepRead {
  destination_id?: string;
  identity?: unknown;
}

/** Which expression an input event is about, read off the field's name. */
function targetOf(form: HTMLFormElement, el: Element): { target: PreviewTarget; label: string } | null {
  const name = el.getAttribute("name") || "";
  const value = (n: string) => form.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[name="${n}"]`)?.value || "";
  if (name === "/filter") return { target: { kind: "filter", expression: value("/filter") }, label: "the filter" };
  const step = name.match(/^\/steps\/(\d+)\/(transform|preset|identity\/local_id)$/);
  if (!step) return null;
  const p = `/steps/${step[1]}`;
  const n = Number(step[1]) + 1;
  if (step[2] === "identity/local_id") {
    return {
      target: { kind: "identity", expression: value(`${p}/identity/local_id`) },
      label: `step ${n}'s local id`,
    };
  }
  return {
    target: { kind: "transform", expression: value(`${p}/transform`), preset: value(`${p}/preset`) },
    label: `step ${n}'s body`,
  };
}

export function subscriptionForm(existing?: Record<string, unknown> | null) {
  const id = existing?.id ? String(existing.id) : null;
  const fixed = (key: string) => (id && existing?.[key] ? String(existing[key]) : null);
  const subscriber = refSelect("subscribers", "/subscriber_id", "Subscriber", fixed("subscriber_id"));
  const source = refSelect("sources", "/source_id", "Source", fixed("source_id"));
  const steps = h("div", { class: "full setup-steps", "data-setup-steps": true });
  const blocks: StepBlock[] = [];
  const panel = previewPanel();
  let currentSubscriber = () => "";

  const remove = (element: HTMLElement) => {
    const i = blocks.findIndex((b) => b.element === element);
    if (i >= 0) blocks.splice(i, 1);
    element.remove();
    renumberSteps(steps);
  };
  const addStep = (read?: StepRead) => {
    const block = stepBlock(blocks.length, read?.destination_id || null, remove);
    blocks.push(block);
    steps.append(block.element);
    if (read?.identity) block.setIdentity(true);
    fillDestinations(block.destination, currentSubscriber());
    return block;
  };
  const existingSteps = (Array.isArray(existing?.steps) ? existing.steps : []) as StepRead[];
  const add = h("button", { type: "button", class: "btn sm", "data-setup-add-step": true }, "Add step");
  add.addEventListener("click", () => addStep());

  return runForm({
    kind: "subscription",
    noun: "subscription",
    existing,
    view: "subscriptions",
    fields: [
      subscriber,
      source,
      areaField("/event_types", {
        label: "Event types",
        kind: "lines",
        rows: 2,
        value: "*",
        help: "codes, one a line; * for every type",
      }),
      areaField("/filter", {
        label: "Filter (JSONata)",
        rows: 2,
        placeholder: "data.userDetail.ref2 = 'Engineering'",
        help: "optional: an event it rejects gets a skipped delivery",
        role: "filter",
        expression: true,
      }),
      checkField("/archive", { label: "Put matching events in the subscriber's archives", full: true }),
      steps,
      h("div", { class: "full" }, add),
      panel.element,
    ],
    save: (body, patch) => (id && patch ? updateSubscription(api, id, patch) : createSubscription(api, body)),
    ready(form) {
      currentSubscriber = () => pickedValue(form, "/subscriber_id");
      // Steps first exist here when editing, so generic prefilling (which already ran) is done again for them.
      if (existingSteps.length && !blocks.length) {
        for (const step of existingSteps) addStep(step);
        prefill(steps, existing);
      }
      const subscriberSelect = subscriber.querySelector("select")!;
      subscriberSelect.addEventListener("change", () => {
        for (const block of blocks) fillDestinations(block.destination, subscriberSelect.value);
      });
      const sourceSelect = source.querySelector("select")!;
      sourceSelect.addEventListener("change", () => panel.useSource(sourceSelect.value));
      panel.useSource(sourceSelect.value);
      const follow = (event: Event) => {
        const found = event.target instanceof Element ? targetOf(form, event.target) : null;
        if (found) panel.show(found.target, found.label);
      };
      form.addEventListener("input", follow);
      form.addEventListener("change", follow);
      form.addEventListener("focusin", follow);
    },
    closed: () => panel.stop(),
  });
}
