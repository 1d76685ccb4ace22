/** A subscription: what it matches and the steps it runs. */
import { adminApi } from "../api";
import { h } from "../dom";
import { isBlank, plural } from "../format";
import { ref } from "../refs";
import { card, chips, codeBlock, copyable, jsonBlock, kv, rawCard, tag, timeEl } from "../widgets";
import { setupButton } from "./edit-button";
import { type DrawerContent, defineDrawer } from "./registry";

async function buildSubscription(id: string): Promise<DrawerContent> {
  const s = await adminApi.subscription(id);
  const steps = Array.isArray(s.steps) ? s.steps : [];
  const parts = [
    h("div", { class: "drawer-actions" }, h("span", { class: "grow" }), setupButton("Edit", "subscription", s)),
    card(
      null,
      kv([
        ["ID", copyable(s.id)],
        ["Subscriber", ref("subscribers", s.subscriber_id)],
        ["Source", ref("sources", s.source_id)],
        ["Event types", chips(s.event_types)],
        [
          "Filter",
          isBlank(s.filter) ? h("span", { class: "sub" }, "none: every event of these types") : codeBlock(s.filter),
        ],
        ["Archive", s.archive ? tag("into the subscriber's archives", "green") : tag("no")],
        s.version != null ? ["Version", String(s.version)] : null,
        ["Created", timeEl(s.created_at)],
        ["Updated", timeEl(s.updated_at)],
      ]),
    ),
    card(
      "Steps",
      steps.length
        ? h(
            "ol",
            { class: "attempts" },
            steps.map((st, i) =>
              h(
                "li",
                { class: "attempt" },
                h("span", { class: "n" }, String(i + 1)),
                h(
                  "div",
                  { class: "stack" },
                  h(
                    "div",
                    { class: "line" },
                    h("span", { class: "sub" }, "push to"),
                    ref("destinations", st.destination_id, "strong"),
                    h("span", { class: "id" }, st.destination_id),
                  ),
                  isBlank(st.transform)
                    ? h("div", { class: "sub" }, "sends the CloudEvent as is")
                    : h("div", null, h("div", { class: "sub" }, "transform"), codeBlock(st.transform)),
                  st.identity
                    ? h("details", null, h("summary", null, "identity mapping"), jsonBlock(st.identity))
                    : null,
                ),
              ),
            ),
          )
        : h("div", { class: "empty" }, "No pushes: this subscription only feeds archives."),
      tag(plural(steps.length, "step")),
    ),
    rawCard(s),
  ];
  return { parts };
}

defineDrawer("subscription", { label: "Subscription", prefix: "sbn", build: buildSubscription });
