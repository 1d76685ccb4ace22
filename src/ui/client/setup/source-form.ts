/** Create or edit a source: its name, event types, inbound checks (IP allowlist, HMAC) and the origin fetch. */
import { api } from "../api";
import { authFields } from "./auth-fields";
import { areaField, checkField, group, selectField, setToggle, textField, toggle } from "./fields";
import { runForm } from "./form-runner";
import { rotateButton } from "./rotate";
import { createSource, rotateSource, updateSource } from "./writes";

export function sourceForm(existing?: Record<string, unknown> | null) {
  const hmac = group(
    "HMAC signature of the body",
    [
      textField("/inbound/hmac/header", { label: "Header", placeholder: "X-Signature" }),
      textField("/inbound/hmac/secret", { label: "Secret", secret: true }),
      selectField("/inbound/hmac/algorithm", {
        label: "Algorithm",
        options: [
          ["sha256", "SHA-256"],
          ["sha1", "SHA-1"],
        ],
      }),
      selectField("/inbound/hmac/encoding", {
        label: "Encoding",
        options: [
          ["hex", "hex"],
          ["base64", "base64"],
        ],
      }),
      textField("/inbound/hmac/prefix", { label: "Prefix", placeholder: "sha256=", help: "optional", kind: "raw" }),
      textField("/inbound/hmac/timestamp_header", { label: "Timestamp header", help: "optional" }),
      textField("/inbound/hmac/tolerance_s", { label: "Tolerance (s)", kind: "int", type: "number", help: "optional" }),
    ],
    "/inbound/hmac",
  );
  const fetchAuth = authFields("/fetch/auth", "Origin authentication");
  const fetch = group(
    "Origin fetch (for ID-only notify URLs)",
    [
      textField("/fetch/url", {
        label: "URL",
        mono: true,
        full: true,
        help: "an http(s) URL with {id}, which is replaced by the notified identifier",
      }),
      selectField("/fetch/method", {
        label: "Method",
        options: [
          ["GET", "GET"],
          ["POST", "POST"],
        ],
      }),
      textField("/fetch/event_type", { label: "Event type of the record", placeholder: "profile.updated" }),
      areaField("/fetch/headers", { label: "Headers", kind: "headers", placeholder: "X-Tenant: acme", rows: 2 }),
      fetchAuth.element,
    ],
    "/fetch",
  );
  const hmacToggle = toggle("Check an HMAC signature on publish", hmac, false, "hmac-toggle");
  const fetchToggle = toggle("Resolve ID-only notifications through the origin", fetch, false, "fetch-toggle");
  const sourceId = existing?.id ? String(existing.id) : null;

  return runForm({
    kind: "source",
    noun: "source",
    existing,
    view: "sources",
    names: "sources",
    fields: [
      textField("/name", { label: "Name", full: true, placeholder: "LMS" }),
      areaField("/event_types", {
        label: "Event types",
        kind: "codes",
        mono: true,
        rows: 2,
        placeholder: "courseCompletion",
        help: "one code a line; optional",
      }),
      checkField("/strict", { label: "Strict: refuse event types not listed", full: true }),
      areaField("/inbound/ip_allowlist", {
        label: "IP allowlist",
        kind: "lines",
        rows: 2,
        placeholder: "203.0.113.0/24",
        help: "addresses or CIDR ranges, one a line; empty allows any",
      }),
      hmacToggle,
      hmac,
      fetchToggle,
      fetch,
      textField("/subscription_notify_url", {
        label: "Subscription notify URL",
        mono: true,
        full: true,
        help: "optional: POSTed a signed notice when a subscription to this source changes",
      }),
    ],
    prefill(_form, source) {
      const inbound = (source.inbound || {}) as { hmac?: unknown };
      setToggle(hmacToggle, !!inbound.hmac);
      setToggle(fetchToggle, !!source.fetch);
      fetchAuth.prefill((source.fetch as { auth?: unknown } | null)?.auth);
    },
    save: (body, patch) => (sourceId && patch ? updateSource(api, sourceId, patch) : createSource(api, body)),
    actions: (dialog) =>
      sourceId
        ? [
            rotateButton(dialog, "New API key and notify URL? The old ones stop working at once.", () =>
              rotateSource(api, sourceId),
            ),
          ]
        : [],
  });
}
