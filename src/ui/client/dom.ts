/**
 * The only way the client makes DOM: tag and attribute names come from this code, and every value and child lands
 * as an attribute value or a text node. There is no HTML sink, so nothing here needs a Trusted Types policy.
 */

export type Child = Node | string | number | boolean | null | undefined | readonly Child[];
export type AttrValue = string | number | boolean | null | undefined;
/** `class` sets className, `on…` with a function adds a listener, `true` is an empty attribute, null/false none. */
export type Attrs = { [name: string]: AttrValue | ((event: Event) => void) };

export function $<E extends Element = HTMLElement>(sel: string, root?: ParentNode | null): E | null {
  return (root || document).querySelector<E>(sel);
}
export function $$<E extends Element = HTMLElement>(sel: string, root?: ParentNode | null): E[] {
  return Array.from((root || document).querySelectorAll<E>(sel));
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const key of Object.keys(attrs)) {
      const value = attrs[key];
      if (value == null || value === false) continue;
      if (typeof value === "function") {
        if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), value);
        continue;
      }
      if (key === "class") el.className = String(value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  return add(el, children);
}

export function add<E extends Node>(el: E, children: readonly Child[]): E {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) add(el, child);
    else (el as unknown as ParentNode).append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// The SVG namespace, read off the page's own inline icons: the script names no URL at all.
let svgNs: string | null = null;
export function svg(tag: string, attrs?: Record<string, AttrValue> | null, ...children: Child[]): SVGElement {
  svgNs = svgNs || $("svg")!.namespaceURI;
  const el = document.createElementNS(svgNs, tag) as SVGElement;
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, String(v));
  for (const c of (children as unknown[]).flat(Number.POSITIVE_INFINITY)) if (c != null) el.append(c as Node | string);
  return el;
}

export function busy(btn: HTMLButtonElement | null | undefined, on: boolean): void {
  if (!btn) return;
  btn.disabled = on;
  btn.classList.toggle("busy", on);
}
