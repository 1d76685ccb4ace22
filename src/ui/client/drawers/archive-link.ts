/** A ready archive's download link: minted on request, for a lifetime the operator picks, shown with its expiry. */
import { ApiError, adminApi } from "../api";
import { $, busy, h } from "../dom";
import { age, safeHref } from "../format";
import { minted } from "../state";
import { toastError } from "../toast";
import type { Archive, Subscriber } from "../types";
import { card, copyText, timeEl } from "../widgets";

const TTL_CHOICES: ReadonlyArray<readonly [string, string]> = [
  ["3600", "1 hour"],
  ["86400", "1 day"],
  ["604800", "7 days"],
  ["2592000", "30 days"],
];

function linkResult(archiveId: string): HTMLElement | null {
  const l = minted.get(archiveId);
  if (!l) return null;
  const input = h("input", {
    class: "input mono link-url",
    readonly: true,
    value: l.url,
    "aria-label": "Download link",
    spellcheck: "false",
  });
  input.addEventListener("focus", () => input.select());
  const copy = h("button", { type: "button", class: "btn sm primary" }, "Copy link");
  copy.addEventListener("click", () => copyText(l.url, copy));
  const href = safeHref(l.url, location.href);
  return h(
    "div",
    { class: "link-result" },
    h(
      "div",
      { class: "link-row" },
      input,
      copy,
      href ? h("a", { class: "btn sm", href, download: "", rel: "noopener noreferrer" }, "Download") : null,
    ),
    h(
      "div",
      { class: "meta" },
      h("span", null, "Expires ", timeEl(l.expires_at)),
      h(
        "span",
        null,
        "Anyone holding it can download the zip, no credentials needed; it cannot be revoked before it expires.",
      ),
    ),
  );
}

export function linkCard(a: Archive, subscriber: Subscriber | null | undefined): HTMLElement {
  const defTtl = subscriber?.archive?.link_ttl;
  const select = h(
    "select",
    { class: "select", "aria-label": "Link lifetime" },
    h(
      "option",
      { value: "", title: "The subscriber's archive.link_ttl" },
      `Default${defTtl ? ` (${age(defTtl)})` : ""}`,
    ),
    TTL_CHOICES.map((c) => h("option", { value: c[0] }, c[1])),
  );
  const btn = h("button", { type: "button", class: "btn primary" }, "Get download link");
  const box = h("div", null, linkResult(a.id));
  btn.addEventListener("click", async () => {
    busy(btn, true);
    try {
      const body = select.value ? { ttl: Number(select.value) } : {};
      const l = await adminApi.archiveLink(a.id, body);
      if (!l || typeof l.url !== "string")
        throw new ApiError(0, "Unexpected answer", "The relay did not return a link.");
      minted.set(a.id, { url: l.url, expires_at: l.expires_at });
      box.replaceChildren(linkResult(a.id)!);
      $(".link-url", box)?.focus();
    } catch (err) {
      toastError(err, "No link minted");
    } finally {
      busy(btn, false);
    }
  });
  return card(
    "Download link",
    h(
      "div",
      { class: "card-body link-card" },
      h("div", { class: "link-row" }, h("span", { class: "sub" }, "Valid for"), select, btn),
      box,
    ),
  );
}
