/**
 * Create or edit a subscriber's destination: URL, method, environment, headers, every AUTH type, timeout, retry
 * policy and CloudEvents framing. A saved destination can be sent a test event from the dialog.
 */
import { api } from "../api";
import { authFields } from "./auth-fields";
import { areaField, group, retryFields, selectField, textField } from "./fields";
import { runForm } from "./form-runner";
import { pickedValue, refSelect } from "./pickers";
import { testSendPanel } from "./test-send";
import { createDestination, updateDestination } from "./writes";

export function destinationForm(existing?: Record<string, unknown> | null) {
  const auth = authFields("/auth");
  const id = existing?.id ? String(existing.id) : null;
  const fixedSubscriber = existing?.subscriber_id ? String(existing.subscriber_id) : null;
  return runForm({
    kind: "destination",
    noun: "destination",
    existing,
    view: "subscribers",
    fields: [
      refSelect("subscribers", "subscriber", "Subscriber", fixedSubscriber),
      textField("/name", { label: "Name", placeholder: "CRM production" }),
      textField("/url", { label: "URL", type: "url", mono: true, full: true, help: "where each push is sent" }),
      selectField("/method", {
        label: "Method",
        options: [
          ["POST", "POST"],
          ["PUT", "PUT"],
          ["PATCH", "PATCH"],
        ],
      }),
      selectField("/environment", {
        label: "Environment",
        options: [
          ["production", "production"],
          ["sandbox", "sandbox"],
        ],
      }),
      areaField("/headers", { label: "Headers", kind: "headers", rows: 2, placeholder: "X-Tenant: acme" }),
      auth.element,
      group(
        "Delivery",
        [
          textField("/timeout_ms", { label: "Timeout (ms)", kind: "int", type: "number", placeholder: "30000" }),
          selectField("/cloudevents_mode", {
            label: "CloudEvents framing",
            options: [
              ["json", "JSON (default)"],
              ["structured", "structured (application/cloudevents+json)"],
              ["binary", "binary (ce-* headers)"],
            ],
          }),
          ...retryFields(),
        ],
        "/retry",
      ),
      id && fixedSubscriber ? testSendPanel(fixedSubscriber, id) : null,
    ],
    prefill: (_form, destination) => auth.prefill(destination.auth),
    // The subscriber goes in the URL, not the body.
    extraErrors: (form) => (pickedValue(form, "subscriber") ? [] : [["subscriber", "choose a subscriber"]]),
    save(body, patch, form) {
      const subscriberId = pickedValue(form, "subscriber");
      return id && patch ? updateDestination(api, subscriberId, id, patch) : createDestination(api, subscriberId, body);
    },
    // A new destination can be tried at once; an edited one had the test in its form already.
    after: (saved) =>
      !id && saved.id && typeof saved.subscriber_id === "string"
        ? testSendPanel(saved.subscriber_id, String(saved.id))
        : null,
  });
}
