/** Toasts: one line of what happened, and for a refused request the fields the relay named. */
import { ApiError, type FieldError } from "./api";
import { $, h } from "./dom";
import { fieldLines } from "./format";

export type ToastKind = "success" | "error";

export function toast(kind: ToastKind, title: string, detail?: string | null, errors?: readonly FieldError[]): void {
  const extra = fieldLines(errors, detail);
  const close = h("button", { type: "button", "aria-label": "Dismiss" }, "×");
  const el = h(
    "div",
    { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" },
    h(
      "div",
      { class: "toast-body" },
      h("div", { class: "toast-title" }, title),
      detail ? h("div", null, detail) : null,
      extra.length
        ? h(
            "ul",
            null,
            extra.slice(0, 6).map((t) => h("li", null, t)),
          )
        : null,
    ),
    close,
  );
  const remove = () => el.remove();
  close.addEventListener("click", remove);
  $("#toasts")!.append(el);
  setTimeout(remove, kind === "error" ? 9000 : 5000);
}

/** A failed request as a toast; a 401 says nothing here, because sign-in already shows why. */
export function toastError(err: unknown, what?: string): void {
  const e = err instanceof ApiError ? err : null;
  if (e && e.status === 401) return;
  const message = err instanceof Error ? err.message : undefined;
  toast("error", what || e?.title || "Request failed", message, e?.errors);
}
