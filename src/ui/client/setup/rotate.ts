/** "Rotate keys" in an edit dialog: new credentials, the old ones dead at once, and the new ones shown once. */
import { busy, h } from "../dom";
import { toastError } from "../toast";
import type { SetupDialog } from "./dialog";
import { secretsPane } from "./secrets-pane";
import { shownOnce } from "./shown-once";
import type { Saved } from "./writes";

export function rotateButton(dialog: SetupDialog, warning: string, rotate: () => Promise<Saved>): HTMLButtonElement {
  const button = h("button", { type: "button", class: "btn danger", "data-setup-rotate": true }, "Rotate keys");
  button.addEventListener("click", async () => {
    if (!confirm(warning)) return;
    busy(button, true);
    try {
      const saved = await rotate();
      const done = h("button", { type: "button", class: "btn primary", "data-setup-done": true }, "Done");
      done.addEventListener("click", () => dialog.close());
      dialog.setTitle("New keys");
      dialog.setBody(
        h("div", { class: "setup-saved" }, secretsPane(shownOnce(saved)), h("div", { class: "form-actions" }, done)),
      );
      done.focus();
    } catch (err) {
      toastError(err, "Could not rotate the keys");
      busy(button, false);
    }
  });
  return button;
}
