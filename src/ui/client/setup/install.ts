/**
 * Puts the set-up buttons into the server-rendered toolbars (src/ui/dashboard.tsx), and `openSetup` for anything
 * that wants to open a form (a drawer's Edit button): each kind's form in a modal dialog.
 */
import { $, h } from "../dom";
import { archiveTargetForm } from "./archive-target-form";
import { destinationForm } from "./destination-form";
import type { SetupDialog } from "./dialog";
import type { SetupKind } from "./kind";
import { sourceForm } from "./source-form";
import { subscriberForm } from "./subscriber-form";
import { subscriptionForm } from "./subscription-form";

export type { SetupKind } from "./kind";

const FORMS: Record<SetupKind, (existing?: Record<string, unknown> | null) => SetupDialog> = {
  source: sourceForm,
  subscriber: subscriberForm,
  destination: destinationForm,
  "archive-target": archiveTargetForm,
  subscription: subscriptionForm,
};

/**
 * Opens the form of a kind: empty for a create, or filled from `existing` (the resource as the API reads it back;
 * a destination or archive target with its `subscriber_id`) for an edit.
 */
export function openSetup(kind: SetupKind, existing?: Record<string, unknown> | null): SetupDialog {
  return FORMS[kind](existing);
}

const BUTTONS: ReadonlyArray<readonly [view: string, kind: SetupKind, label: string]> = [
  ["sources", "source", "New source"],
  ["subscribers", "subscriber", "New subscriber"],
  ["subscribers", "destination", "New destination"],
  ["subscribers", "archive-target", "New archive target"],
  ["subscriptions", "subscription", "New subscription"],
];

/** The first button of a view is its main action. */
const isFirstOf = (view: string, kind: SetupKind) => BUTTONS.find((b) => b[0] === view)?.[1] === kind;

export function installSetup(): void {
  for (const [view, kind, label] of BUTTONS) {
    const toolbar = $(`#view-${view} .view-head .toolbar`) || $(`#view-${view} .toolbar`);
    if (!toolbar || $(`[data-setup="${kind}"]`, toolbar)) continue;
    const cls = isFirstOf(view, kind) ? "btn primary" : "btn";
    toolbar.append(
      h("button", { type: "button", class: cls, "data-setup": kind, onclick: () => openSetup(kind) }, label),
    );
  }
}

/** The kinds a `syndic:setup` event may name. */
const isKind = (kind: unknown): kind is SetupKind => typeof kind === "string" && kind in FORMS;

/**
 * `document.dispatchEvent(new CustomEvent("syndic:setup", {detail: {kind, existing}}))` opens a form too: code that
 * should not import this module (a drawer's Edit button, a test driving the page) asks for one by event.
 */
document.addEventListener("syndic:setup", (event) => {
  const detail = (event as CustomEvent<{ kind?: unknown; existing?: Record<string, unknown> | null }>).detail;
  if (detail && isKind(detail.kind)) openSetup(detail.kind, detail.existing);
});

installSetup();
