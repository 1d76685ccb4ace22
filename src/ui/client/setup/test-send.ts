/** "Send a test event": one sample push through the destination's real path, and the attempt it made. */
import { api } from "../api";
import { busy, h } from "../dom";
import { duration, statusColour } from "../format";
import { badge, kv } from "../widgets";
import { type TestAttempt, testDestination } from "./writes";

function attemptView(a: TestAttempt): HTMLElement {
  const ok = a.status_code != null && a.status_code >= 200 && a.status_code < 300;
  return h(
    "div",
    { class: "setup-attempt", "data-test-attempt": ok ? "ok" : "failed" },
    kv([
      [
        "Status",
        a.status_code != null
          ? badge(String(a.status_code), String(a.status_code), statusColour(a.status_code))
          : "no answer",
      ],
      ["Duration", duration(a.duration_ms)],
      ["Request", a.request ? `${a.request.method || ""} ${a.request.url || ""}` : "nothing was sent"],
      a.error ? ["Error", h("span", { class: "err-text" }, a.error)] : null,
      [
        "Response",
        a.response_excerpt ? h("pre", { class: "plain", "data-response-excerpt": true }, a.response_excerpt) : "—",
      ],
    ]),
  );
}

export function testSendPanel(subscriberId: string, destinationId: string): HTMLElement {
  const out = h("div", { class: "setup-test-result", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "btn", "data-setup-test": true }, "Send a test event");
  button.addEventListener("click", async () => {
    busy(button, true);
    out.replaceChildren(h("span", { class: "sub" }, "Sending…"));
    try {
      out.replaceChildren(attemptView(await testDestination(api, subscriberId, destinationId)));
    } catch (err) {
      out.replaceChildren(
        h(
          "div",
          { class: "notice red" },
          h("div", { class: "notice-text" }, err instanceof Error ? err.message : String(err)),
        ),
      );
    } finally {
      busy(button, false);
    }
  });
  return h(
    "div",
    { class: "setup-test" },
    h("div", { class: "section-title" }, "Test push"),
    h("p", { class: "sub" }, "A syndic.test sample through the real push path; nothing is recorded."),
    button,
    out,
  );
}
