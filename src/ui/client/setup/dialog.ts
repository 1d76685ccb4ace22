/**
 * The set-up dialog: a modal <dialog> (showModal traps focus, Escape closes it) made with h(), removed from the page
 * when it closes. Its body is replaced as the flow moves on (the form, then the secrets shown once).
 */
import { h } from "../dom";

export interface SetupDialog {
  dialog: HTMLDialogElement;
  setTitle(title: string): void;
  setBody(...content: Node[]): void;
  close(): void;
}

export function openDialog(title: string, kind: string, onClose?: () => void): SetupDialog {
  const heading = h("h3", null, title);
  const body = h("div", { class: "card-body" });
  const close = h("button", { type: "button", class: "btn icon ghost sm", title: "Close", "aria-label": "Close" }, "✕");
  const dialog = h(
    "dialog",
    { class: "setup-dialog", "data-setup-dialog": kind, "aria-label": title },
    h("div", { class: "card" }, h("div", { class: "card-head" }, heading, close), body),
  );
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    dialog.remove();
    onClose?.();
  });
  document.body.append(dialog);
  dialog.showModal();
  return {
    dialog,
    setTitle(text) {
      heading.textContent = text;
      dialog.setAttribute("aria-label", text);
    },
    setBody(...content) {
      body.replaceChildren(...content);
    },
    close: () => dialog.close(),
  };
}
