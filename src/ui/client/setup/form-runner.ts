/**
 * One set-up form from open to saved: read the fields (a value that cannot be read is an error under its field), send
 * a create or the merge patch of what changed, map a 422's `errors[].path` onto the same fields, then show the
 * secrets the answer carries once, toast, and refresh the list the thing shows in. The relay's own schemas are the
 * check: they are not bundled into the page (zod and JSONata would make it ten times larger, and zod probes for
 * `new Function`, which the page's CSP forbids).
 */
import { ApiError } from "../api";
import { $, busy, type Child, h } from "../dom";
import { type RefKind, remember } from "../state";
import { toast } from "../toast";
import { openDialog, type SetupDialog } from "./dialog";
import { blankSecrets, clearErrors, prefill as prefillFields, readFields, showErrors, shownFields } from "./fields";
import { type FieldMap, mergeFields, placeFields, problemToFields, redirectFields, withoutFields } from "./issues";
import type { SetupKind } from "./kind";
import { mergePatch } from "./merge-patch";
import { secretsPane } from "./secrets-pane";
import { shownOnce } from "./shown-once";
import { buildBody } from "./values";
import type { Saved } from "./writes";

export interface FormSpec {
  kind: SetupKind;
  /** "source", "archive target": in titles and toasts */
  noun: string;
  /** The resource being edited, as read back; none for a create. */
  existing?: Record<string, unknown> | null;
  /** The fields, in a form-grid. */
  fields: Child[];
  /** Sets what generic prefilling cannot (a type select, a toggle), after it ran. */
  prefill?(form: HTMLFormElement, existing: Record<string, unknown>): void;
  /** Where an error of a field not on screen goes instead (sftp's "host required (or url)" → the url field). */
  redirect?: Readonly<Record<string, string>>;
  /** Errors of fields outside the body (a parent chosen for the URL), as [field, message]. */
  extraErrors?(form: HTMLFormElement): Array<[string, string]>;
  /** Sends the create (patch null) or the edit. */
  save(body: Record<string, unknown>, patch: Record<string, unknown> | null, form: HTMLFormElement): Promise<Saved>;
  /** The list view to refresh after a save, and the names to learn. */
  view: string;
  names?: RefKind;
  /** Buttons beside Save while editing (rotate, send a test). */
  actions?(dialog: SetupDialog): Child[];
  /** What to show after a save besides the secrets (a test push for a new destination). */
  after?(saved: Saved, dialog: SetupDialog): Child;
  /** The form is built: wire what depends on other fields (previews, dependent selects). */
  ready?(form: HTMLFormElement, dialog: SetupDialog): void;
  /** The dialog closed. */
  closed?(): void;
}

/** Clicks the view's own Refresh button: the list reloads the way the operator would reload it. */
export function refreshView(view: string): void {
  $<HTMLButtonElement>(`#view-${view} [data-action=refresh]`)?.click();
}

function afterSave(spec: FormSpec, saved: Saved, dialog: SetupDialog, editing: boolean): void {
  if (spec.names) remember(spec.names, [saved]);
  refreshView(spec.view);
  toast("success", (editing ? "Saved " : "Created ") + spec.noun, saved.id ? String(saved.id) : null);
  const secrets = shownOnce(saved);
  const extra = spec.after?.(saved, dialog);
  if (!secrets.length && !extra) {
    dialog.close();
    return;
  }
  const done = h("button", { type: "button", class: "btn primary", "data-setup-done": true }, "Done");
  done.addEventListener("click", () => dialog.close());
  dialog.setTitle((editing ? "Saved " : "Created ") + spec.noun);
  dialog.setBody(
    h(
      "div",
      { class: "setup-saved", "data-saved-id": saved.id ? String(saved.id) : null },
      secrets.length ? secretsPane(secrets) : null,
      extra || null,
      h("div", { class: "form-actions" }, done),
    ),
  );
  done.focus();
}

/** The body the fields hold, and the errors of fields that could not be read (bad JSON, a number that is not). */
function validate(spec: FormSpec, form: HTMLFormElement, editing: boolean) {
  const built = buildBody(readFields(form));
  const extra: FieldMap = new Map((spec.extraErrors?.(form) || []).map(([field, message]) => [field, [message]]));
  let errors = mergeFields(extra, built.errors);
  if (editing) {
    const kept = blankSecrets(form);
    errors = withoutFields(errors, (pointer) => !kept.has(pointer));
  }
  return { body: built.body, errors };
}

export function runForm(spec: FormSpec): SetupDialog {
  const editing = !!spec.existing?.id;
  const dialog = openDialog((editing ? "Edit " : "New ") + spec.noun, spec.kind, spec.closed);
  const errorsBox = h("div", { class: "notice red", "data-form-errors": true, role: "alert", hidden: true });
  const submit = h(
    "button",
    { type: "submit", class: "btn primary", "data-setup-save": true },
    editing ? "Save" : "Create",
  );
  const cancel = h("button", { type: "button", class: "btn" }, "Cancel");
  cancel.addEventListener("click", () => dialog.close());
  const form = h(
    "form",
    { class: "setup-form", novalidate: true, "data-setup-form": spec.kind },
    errorsBox,
    h("div", { class: "form-grid" }, spec.fields),
    h("div", { class: "form-actions" }, spec.actions?.(dialog) || null, h("span", { class: "grow" }), cancel, submit),
  );
  dialog.setBody(form);
  if (spec.existing) {
    prefillFields(form, spec.existing);
    spec.prefill?.(form, spec.existing);
  }
  spec.ready?.(form, dialog);
  // showModal focuses the first button (Close); the operator came to type.
  form.querySelector<HTMLElement>("[data-kind]:not(:disabled)")?.focus();
  const before = editing ? buildBody(readFields(form)).body : null;
  const place = (errors: FieldMap) => {
    const shown = shownFields(form);
    return placeFields(redirectFields(errors, shown, spec.redirect || {}), shown);
  };
  // A new type or group on screen makes the last errors stale: they named fields of another shape.
  form.addEventListener("change", (event) => {
    const el = event.target;
    if (el instanceof HTMLSelectElement || (el instanceof HTMLInputElement && /checkbox|radio/.test(el.type))) {
      clearErrors(form);
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const { body, errors } = validate(spec, form, editing);
    if (errors.size) {
      showErrors(form, place(errors))?.focus();
      return;
    }
    const patch = before ? mergePatch(before, body) : null;
    if (patch && !Object.keys(patch).length) {
      toast("success", "Nothing changed");
      dialog.close();
      return;
    }
    busy(submit, true);
    try {
      afterSave(spec, await spec.save(body, patch, form), dialog, editing);
    } catch (err) {
      const fields = err instanceof ApiError ? problemToFields(err.errors) : new Map();
      const placed = place(fields);
      // A refusal that names no field (a 404, a network error) is said at the top of the form.
      if (!fields.size) placed.general.push(err instanceof Error ? err.message : String(err));
      showErrors(form, placed)?.focus();
    } finally {
      busy(submit, false);
    }
  });
  return dialog;
}
