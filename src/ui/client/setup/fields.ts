/**
 * The set-up forms' fields, made with h(): each control is named by the JSON Pointer of its place in the body and
 * says how its text reads (data-kind); its `.field` wrapper carries the same pointer (data-field) so an error lands
 * under it. Groups (fieldsets) switch on and off by disabling: a disabled control is not read.
 */
import { $$, type Child, h } from "../dom";
import type { Placed } from "./issues";
import { type FieldKind, type FieldValue, showValue, valueAt } from "./values";

export interface FieldOptions {
  label: string;
  kind?: FieldKind;
  help?: string;
  placeholder?: string;
  /** input type: text, url, password, number, time */
  type?: string;
  /** never read back: blank while editing keeps what the relay has */
  secret?: boolean;
  /** a wide field (the whole row of a two-column grid) */
  full?: boolean;
  mono?: boolean;
  rows?: number;
  value?: string | boolean;
  options?: ReadonlyArray<readonly [value: string, label: string]>;
  /** data-setup-role, for the forms' own wiring and the browser test */
  role?: string;
  /** JSONata: compiled before saving, as the relay would */
  expression?: boolean;
}

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

function controlAttrs(name: string, o: FieldOptions, kind: FieldKind) {
  return {
    name,
    "data-kind": kind,
    "data-secret": o.secret || null,
    "data-setup-role": o.role || null,
    "data-expression": o.expression || null,
    placeholder: o.placeholder || null,
    autocomplete: "off",
    spellcheck: kind === "raw" || o.mono ? "false" : null,
  };
}

function wrap(name: string, o: FieldOptions, control: Control): HTMLElement {
  return h(
    "label",
    { class: `field${o.full ? " full" : ""}`, "data-field": name },
    h("span", null, o.label),
    control,
    o.help ? h("small", null, o.help) : null,
  );
}

export function textField(name: string, o: FieldOptions): HTMLElement {
  const kind = o.kind || (o.secret ? "raw" : "text");
  const control = h("input", {
    ...controlAttrs(name, o, kind),
    class: `input${o.mono ? " mono" : ""}`,
    type: o.type || (o.secret ? "password" : "text"),
  });
  if (o.value !== undefined) control.value = String(o.value);
  return wrap(name, o, control);
}

export function areaField(name: string, o: FieldOptions): HTMLElement {
  const kind = o.kind || "raw";
  const control = h("textarea", {
    ...controlAttrs(name, o, kind),
    class: `input${o.mono !== false ? " mono" : ""}`,
    rows: o.rows || 3,
  });
  if (o.value !== undefined) control.value = String(o.value);
  return wrap(name, { ...o, full: o.full !== false }, control);
}

export function selectField(name: string, o: FieldOptions): HTMLElement {
  const control = h(
    "select",
    { ...controlAttrs(name, o, o.kind || "text"), class: "select" },
    (o.options || []).map(([value, label]) => h("option", { value }, label)),
  );
  if (o.value !== undefined) control.value = String(o.value);
  return wrap(name, o, control);
}

export function checkField(name: string, o: FieldOptions): HTMLElement {
  const control = h("input", { ...controlAttrs(name, o, "bool"), type: "checkbox" });
  control.checked = o.value === true;
  return h(
    "label",
    { class: `field check${o.full ? " full" : ""}`, "data-field": name },
    h("span", null, control, " ", o.label),
    o.help ? h("small", null, o.help) : null,
  );
}

/** A fieldset of fields; `name` is the pointer errors about the group as a whole land on. */
/** A retry policy's three numbers (RetryPolicy), blank for the relay's default, shown as the placeholder. */
export function retryFields(): HTMLElement[] {
  const number = (name: string, label: string, placeholder: string) =>
    textField(`/retry/${name}`, { label, kind: "int", type: "number", placeholder });
  return [
    number("max_attempts", "Attempts", "10"),
    number("initial_delay", "First retry after (s)", "20"),
    number("max_delay", "Longest wait (s)", "3600"),
  ];
}

export function group(legend: string, children: Child[], name?: string): HTMLFieldSetElement {
  return h(
    "fieldset",
    { class: "setup-group full", "data-field": name || null },
    h("legend", null, legend),
    h("div", { class: "form-grid" }, children),
  );
}

/** Shows a group, or hides it and takes its fields out of the body. */
export function switchGroup(el: HTMLFieldSetElement, on: boolean): void {
  el.disabled = !on;
  el.hidden = !on;
}

/** A checkbox (not part of the body) that switches a group on and off. */
export function toggle(label: string, target: HTMLFieldSetElement, on: boolean, role?: string): HTMLElement {
  const box = h("input", { type: "checkbox", "data-setup-role": role || null });
  box.checked = on;
  switchGroup(target, on);
  box.addEventListener("change", () => switchGroup(target, box.checked));
  return h("label", { class: "field check full" }, h("span", null, box, " ", label));
}

/** Sets a toggle made by toggle() (prefilling an edit). */
export function setToggle(wrapper: HTMLElement, on: boolean): void {
  const box = wrapper.querySelector("input")!;
  box.checked = on;
  box.dispatchEvent(new Event("change"));
}

export const controls = (root: ParentNode): Control[] => $$<Control>("[data-kind]", root as HTMLElement);

const isOn = (el: Control) => !el.matches(":disabled");

export function readFields(root: ParentNode): FieldValue[] {
  return controls(root)
    .filter(isOn)
    .map((el) => ({
      name: el.getAttribute("name") || "",
      kind: el.getAttribute("data-kind") as FieldKind,
      value: el instanceof HTMLInputElement && el.type === "checkbox" ? el.checked : el.value,
    }));
}

/** Fills each control from a resource read back (the controls of every group, on or off). */
export function prefill(root: ParentNode, resource: unknown): void {
  for (const el of controls(root)) {
    const name = el.getAttribute("name") || "";
    // A "type" select says more than the body (api_key:query): its form prefills it.
    if (!name.startsWith("/") || el.getAttribute("data-kind") === "type") continue;
    const value = valueAt(resource, name);
    if (value === undefined) continue;
    const shown = showValue(el.getAttribute("data-kind") as FieldKind, value);
    if (el instanceof HTMLInputElement && el.type === "checkbox") el.checked = shown === true;
    else if (el instanceof HTMLSelectElement && ![...el.options].some((o) => o.value === String(shown))) {
      el.append(h("option", { value: String(shown) }, String(shown)));
      el.value = String(shown);
    } else el.value = String(shown);
  }
}

/** The pointers of the fields and groups on screen: where errors may land. */
export function shownFields(root: ParentNode): Set<string> {
  const out = new Set<string>();
  for (const el of $$("[data-field]", root as HTMLElement)) {
    const fieldset = el instanceof HTMLFieldSetElement ? el : el.closest("fieldset");
    if (fieldset?.matches(":disabled")) continue;
    out.add(el.getAttribute("data-field")!);
  }
  return out;
}

/** Secrets left blank: while editing, the relay keeps what it has, so the schema's "required" does not apply. */
export function blankSecrets(root: ParentNode): Set<string> {
  return new Set(
    controls(root)
      .filter((el) => isOn(el) && el.hasAttribute("data-secret") && el.value === "")
      .map((el) => el.getAttribute("name") || ""),
  );
}

export function clearErrors(root: HTMLElement): void {
  for (const el of $$(".field-error", root)) el.remove();
  for (const el of $$(".invalid", root)) {
    el.classList.remove("invalid");
    el.removeAttribute("aria-invalid");
  }
  const box = root.querySelector<HTMLElement>("[data-form-errors]");
  if (box) {
    box.hidden = true;
    box.replaceChildren();
  }
}

/** Each message under its field (the first one on screen with that pointer), the rest at the top of the form. */
export function showErrors(root: HTMLElement, placed: Placed): HTMLElement | null {
  let first: HTMLElement | null = null;
  const general = [...placed.general];
  for (const [pointer, messages] of placed.fields) {
    const wrapper = $$("[data-field]", root).find((el) => {
      const fieldset = el instanceof HTMLFieldSetElement ? el : el.closest("fieldset");
      return el.getAttribute("data-field") === pointer && !fieldset?.matches(":disabled");
    });
    if (!wrapper) {
      general.push(...messages.map((m) => `${pointer.slice(1)}: ${m}`));
      continue;
    }
    const control = wrapper.querySelector<HTMLElement>("[data-kind]");
    if (control && !(wrapper instanceof HTMLFieldSetElement)) {
      control.classList.add("invalid");
      control.setAttribute("aria-invalid", "true");
    }
    const target = wrapper instanceof HTMLFieldSetElement ? wrapper.querySelector(".form-grid") || wrapper : wrapper;
    for (const message of messages) target.append(h("span", { class: "field-error full" }, message));
    first = first || control || wrapper;
  }
  const box = root.querySelector<HTMLElement>("[data-form-errors]");
  if (box && general.length) {
    box.replaceChildren(
      h(
        "div",
        { class: "notice-text" },
        general.map((m) => h("div", null, m)),
      ),
    );
    box.hidden = false;
    first = first || box;
  }
  return first;
}
