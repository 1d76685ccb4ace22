/**
 * The steps of a subscription: each a fieldset of its destination, preset, transform and optional identity mapping,
 * named `/steps/<n>/…`. Removing one renumbers the rest, so field names stay the body's pointers.
 */
import { $$, h } from "../dom";
import { areaField, group, selectField, setToggle, textField, toggle } from "./fields";

const PRESETS = [
  ["", "None (the CloudEvent, or the transform's output)"],
  ["cloudevent", "cloudevent"],
  ["flat", "flat (dotted keys)"],
  ["ubx", "ubx"],
] as const;

function identityGroup(p: string): HTMLFieldSetElement {
  return group(
    "Identity mapping",
    [
      textField(`${p}/identity/namespace`, { label: "Namespace", placeholder: "learner" }),
      textField(`${p}/identity/local_id`, {
        label: "Local id (JSONata over the event)",
        kind: "raw",
        mono: true,
        placeholder: "data.user.id",
        role: "local-id",
        expression: true,
      }),
      textField(`${p}/identity/remote_id`, {
        label: "Remote id (JSONata over the create's answer)",
        kind: "raw",
        mono: true,
        placeholder: "id",
        expression: true,
      }),
      textField(`${p}/identity/update/url`, {
        label: "Update URL",
        mono: true,
        help: "an http(s) URL with {remote_id}",
      }),
      selectField(`${p}/identity/update/method`, {
        label: "Update method",
        options: [
          ["PUT", "PUT"],
          ["PATCH", "PATCH"],
          ["POST", "POST"],
        ],
      }),
    ],
    `${p}/identity`,
  );
}

export interface StepBlock {
  element: HTMLFieldSetElement;
  destination: HTMLSelectElement;
  setIdentity(on: boolean): void;
}

export function stepBlock(
  index: number,
  destinationId: string | null,
  onRemove: (block: HTMLElement) => void,
): StepBlock {
  const p = `/steps/${index}`;
  const destination = selectField(`${p}/destination_id`, {
    label: "Destination",
    role: "step-destination",
    options: [[destinationId || "", destinationId || "Choose…"]],
  });
  const identity = identityGroup(p);
  const identityToggle = toggle("Map identities (create once, then update)", identity, false);
  const remove = h("button", { type: "button", class: "btn sm ghost", "data-setup-remove-step": true }, "Remove step");
  const element = group(
    `Step ${index + 1}`,
    [
      destination,
      selectField(`${p}/preset`, { label: "Preset", options: PRESETS, role: "preset" }),
      areaField(`${p}/transform`, {
        label: "Transform (JSONata)",
        rows: 3,
        placeholder: '{"email": data.user, "course": data.title}',
        help: "optional: the body sent, over the preset's output or the CloudEvent",
        role: "transform",
        expression: true,
      }),
      identityToggle,
      identity,
      h("div", { class: "full form-actions" }, remove),
    ],
    p,
  );
  element.setAttribute("data-step", String(index));
  remove.addEventListener("click", () => onRemove(element));
  return {
    element,
    destination: destination.querySelector("select")!,
    setIdentity: (on) => setToggle(identityToggle, on),
  };
}

/** After a removal: each block's fields named by its new place. */
export function renumberSteps(container: HTMLElement): void {
  $$<HTMLFieldSetElement>("fieldset[data-step]", container).forEach((block, index) => {
    const from = `/steps/${block.getAttribute("data-step")}`;
    const to = `/steps/${index}`;
    block.setAttribute("data-step", String(index));
    const legend = block.querySelector("legend");
    if (legend) legend.textContent = `Step ${index + 1}`;
    for (const el of [block, ...$$("[name], [data-field]", block)]) {
      for (const attr of ["name", "data-field"]) {
        const value = el.getAttribute(attr);
        if (value === from || value?.startsWith(`${from}/`)) el.setAttribute(attr, to + value.slice(from.length));
      }
    }
  });
}
