/** Secrets shown once, each in a read-only field with a Copy button: the relay keeps only their hashes. */
import { h } from "../dom";
import type { ShownOnce } from "./shown-once";

async function copy(input: HTMLInputElement, button: HTMLButtonElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(input.value);
    button.textContent = "Copied";
  } catch (_) {
    // No clipboard (an insecure origin, a denied permission): select it, so Ctrl+C copies it.
    input.focus();
    input.select();
    button.textContent = "Selected: press Ctrl+C";
  }
}

function secretRow(item: ShownOnce): HTMLElement {
  const input = h("input", {
    class: "input mono",
    readonly: true,
    "data-secret-value": item.key,
    "aria-label": item.label,
  });
  input.value = item.value;
  input.addEventListener("focus", () => input.select());
  const button = h("button", { type: "button", class: "btn sm", "data-copy": item.key }, "Copy");
  button.addEventListener("click", () => copy(input, button));
  return h("div", { class: "field full" }, h("span", null, item.label), h("div", { class: "copy-row" }, input, button));
}

export function secretsPane(items: ReadonlyArray<ShownOnce>): HTMLElement {
  return h(
    "div",
    { class: "setup-secrets", "data-shown-once": true },
    h(
      "div",
      { class: "notice amber" },
      h(
        "div",
        { class: "notice-text" },
        h("strong", null, "You will not see this again."),
        " Copy it now: the relay keeps only a hash or a sealed copy.",
      ),
    ),
    h("div", { class: "form-grid" }, items.map(secretRow)),
  );
}
