/** A delivery: its state, every attempt with the destination's answer, its payload, and Retry now. */
import { adminApi } from "../api";
import { busy, h } from "../dom";
import { duration, isBlank, plural, statusColour } from "../format";
import { ref } from "../refs";
import { app, listState } from "../state";
import { toast, toastError } from "../toast";
import type { Attempt, Delivery } from "../types";
import { attemptCount } from "../views/cells";
import { loadList } from "../views/lists";
import { track } from "../views/replays";
import {
  badge,
  card,
  codeBadge,
  codeBlock,
  copyable,
  dash,
  jsonBlock,
  kv,
  linkButton,
  notice,
  rawCard,
  tag,
  timeEl,
} from "../widgets";
import { closeDrawer, openDrawer, reloadDrawer } from "./drawer";
import { type DrawerContent, defineDrawer } from "./registry";
import { replayButton } from "./replay-button";

function replayLink(id: string): HTMLButtonElement {
  return linkButton(id, () => {
    closeDrawer();
    track(id);
    location.hash = "#replays";
  });
}

/** "POST https://…": where a request went and how. */
function requestLine(request: { method?: string; url?: string }): HTMLElement {
  return h(
    "div",
    { class: "line" },
    tag(String(request.method || "POST").toUpperCase(), "blue"),
    h("span", { class: "mono wrap" }, String(request.url)),
  );
}

// The create (to the destination) or update (to identity.update.url) request an identity step last made.
function requestEl(r: NonNullable<Delivery["request"]>): HTMLElement {
  return h(
    "div",
    { class: "stack" },
    requestLine(r),
    h("span", { class: "sub" }, "the create or update this identity step last sent"),
  );
}

function retryButton(d: Delivery, id: string): HTMLButtonElement {
  const retry = h("button", { type: "button", class: "btn primary sm" }, "Retry now");
  retry.addEventListener("click", async () => {
    busy(retry, true);
    try {
      await adminApi.retryDelivery(d.id || id);
      toast("success", "Retry queued", `${d.id || id} goes out again shortly.`);
      listState("deliveries").loadedAt = 0;
      if (app.current === "deliveries") loadList("deliveries");
      setTimeout(reloadDrawer, 800);
    } catch (err) {
      toastError(err, "Retry refused");
    } finally {
      busy(retry, false);
    }
  });
  return retry;
}

function statusNotice(status: string, d: Delivery): HTMLElement | null {
  if (status === "held") {
    return notice(
      "amber",
      "The destination is disabled. This delivery is held and resumes when the destination is enabled again.",
    );
  }
  if (status === "skipped")
    return notice("amber", "The subscription's filter rejected this event, so nothing was sent.");
  if (status === "dead") return notice("red", `Delivery gave up${isBlank(d.last_error) ? "." : `: ${d.last_error}`}`);
  return null;
}

/** What the attempt sent: method, url and headers as the relay kept them (secrets already redacted there). */
function requestSent(request: NonNullable<Attempt["request"]>): HTMLElement {
  const headers = Object.entries(request.headers || {});
  return h(
    "div",
    { class: "attempt-request" },
    requestLine(request),
    headers.length
      ? h(
          "details",
          null,
          h("summary", null, `Request headers (${headers.length})`),
          h(
            "div",
            { class: "headers mono" },
            headers.map(([name, value]) => h("div", null, `${name}: ${value}`)),
          ),
        )
      : null,
  );
}

function attemptEl(a: Attempt): HTMLLIElement {
  const colour = isBlank(a.status_code) ? "red" : statusColour(a.status_code);
  return h(
    "li",
    { class: "attempt" },
    h("span", { class: `n ${colour}` }, String(a.n == null ? "?" : a.n)),
    h(
      "div",
      { class: "stack" },
      h(
        "div",
        { class: "line" },
        codeBadge(a.status_code) || tag("no response", "red"),
        h("span", { class: "sub" }, duration(a.duration_ms)),
        timeEl(a.at),
      ),
      a.request ? requestSent(a.request) : null,
      isBlank(a.error) ? null : h("div", { class: "err-text" }, String(a.error)),
      isBlank(a.response_excerpt)
        ? null
        : h("details", null, h("summary", null, "Response body"), codeBlock(a.response_excerpt)),
    ),
  );
}

async function buildDelivery(id: string): Promise<DrawerContent> {
  const d = await adminApi.delivery(id);
  const attempts = Array.isArray(d.attempts) ? d.attempts : [];
  const status = String(d.status || "");
  const replay = d.replay_id || d.generation;
  const openEvent = () => openDrawer("event", d.event_id, true);
  const parts = [
    h(
      "div",
      { class: "drawer-actions" },
      badge(status),
      h("span", { class: "sub" }, d.step != null ? `step ${d.step}` : ""),
      h("span", { class: "grow" }),
      d.event_id ? h("button", { type: "button", class: "btn sm", onclick: openEvent }, "Open event") : null,
      d.event_id && d.subscription_id
        ? replayButton(
            "Replay",
            { stage: "deliver", event_id: d.event_id, subscription_id: d.subscription_id },
            "a copy of this delivery goes out",
          )
        : null,
      retryButton(d, id),
    ),
    statusNotice(status, d),
    card(
      null,
      kv([
        ["ID", copyable(d.id || id)],
        ["Event", d.event_id ? linkButton(String(d.event_id), openEvent) : dash()],
        ["Subscriber", ref("subscribers", d.subscriber_id)],
        ["Destination", ref("destinations", d.destination_id)],
        d.subscription_id !== undefined
          ? [
              "Subscription",
              linkButton(String(d.subscription_id), () => openDrawer("subscription", d.subscription_id, true)),
            ]
          : null,
        isBlank(replay) ? null : ["Replay", replayLink(String(replay))],
        d.request && typeof d.request === "object" && !isBlank(d.request.url)
          ? ["Identity request", requestEl(d.request)]
          : null,
        ["Attempts", String(attempts.length || attemptCount(d) || 0)],
        d.next_attempt_at !== undefined ? ["Next attempt", timeEl(d.next_attempt_at)] : null,
        ["Created", timeEl(d.created_at)],
        ["Updated", timeEl(d.updated_at)],
        d.sent_at !== undefined ? ["Sent", timeEl(d.sent_at)] : null,
      ]),
    ),
    card(
      "Attempts",
      attempts.length
        ? h("ol", { class: "attempts" }, attempts.slice().reverse().map(attemptEl))
        : h("div", { class: "empty" }, "No attempts yet."),
      tag(plural(attempts.length, "attempt")),
    ),
    d.payload != null ? card("Payload", h("div", { class: "card-body" }, jsonBlock(d.payload))) : null,
    rawCard(d),
  ];
  return { parts };
}

defineDrawer("delivery", { label: "Delivery", prefix: "dlv", build: buildDelivery });
