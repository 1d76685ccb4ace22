/** Set-up dialogs opened from a drawer: edit what it shows, or add a destination or target to its subscriber. */
import { h } from "../dom";
import { openSetup } from "../setup/install";
import type { SetupKind } from "../setup/kind";

export function setupButton(label: string, kind: SetupKind, existing: object): HTMLButtonElement {
  return h(
    "button",
    {
      type: "button",
      class: "btn sm",
      "data-edit": kind,
      onclick: () => openSetup(kind, existing as Record<string, unknown>),
    },
    label,
  );
}
