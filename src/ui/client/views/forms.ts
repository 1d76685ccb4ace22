/** Field errors next to their inputs, for the replay and archive forms (and the set-up forms to come). */
import type { FieldError } from "../api";
import { $$, h } from "../dom";
import { fieldName } from "../format";

export function fieldError(form: HTMLFormElement, name: string, message: string): boolean {
  const input = form.elements.namedItem(name);
  const field = input instanceof Element ? input.closest(".field") : null;
  if (!field || !(input instanceof Element)) return false;
  input.classList.add("invalid");
  field.append(h("span", { class: "field-error" }, message));
  return true;
}

export function clearFieldErrors(form: HTMLFormElement): void {
  for (const el of $$(".field-error", form)) el.remove();
  for (const el of $$(".invalid", form)) el.classList.remove("invalid");
}

// Puts each problem+json field error next to its input; true when at least one found a place.
export function placeErrors(form: HTMLFormElement, err: unknown): boolean {
  let placed = false;
  const errors: FieldError[] = (err as { errors?: FieldError[] } | null)?.errors || [];
  for (const fe of errors) {
    const name = fieldName(fe.path);
    if (name && fieldError(form, name, fe.message || "Invalid.")) placed = true;
  }
  return placed;
}

/** A form control by name, as the input, select or textarea it is. */
export function control(form: HTMLFormElement, name: string): HTMLInputElement {
  return form.elements.namedItem(name) as HTMLInputElement;
}
