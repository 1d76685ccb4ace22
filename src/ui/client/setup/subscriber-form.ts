/** Create or edit a subscriber: name, timezone and archive settings (schedule, format, time, filename, links). */
import { api } from "../api";
import { checkField, group, selectField, textField } from "./fields";
import { runForm } from "./form-runner";
import { rotateButton } from "./rotate";
import { createSubscriber, rotateSubscriber, updateSubscriber } from "./writes";

const browserZone = (): string => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch (_) {
    return "UTC";
  }
};

export function subscriberForm(existing?: Record<string, unknown> | null) {
  const subscriberId = existing?.id ? String(existing.id) : null;
  return runForm({
    kind: "subscriber",
    noun: "subscriber",
    existing,
    view: "subscribers",
    names: "subscribers",
    fields: [
      textField("/name", { label: "Name", placeholder: "Acme" }),
      textField("/timezone", {
        label: "Timezone",
        placeholder: "Europe/Paris",
        value: subscriberId ? undefined : browserZone(),
        help: "IANA name; archives follow its days",
      }),
      group(
        "Archives",
        [
          selectField("/archive/schedule", {
            label: "Schedule",
            options: [
              ["off", "Off"],
              ["daily", "Daily"],
              ["weekly", "Weekly (Monday–Sunday)"],
            ],
          }),
          selectField("/archive/format", {
            label: "Format",
            options: [
              ["json", "JSON"],
              ["ndjson", "NDJSON"],
              ["csv", "CSV"],
              ["tsv", "TSV"],
              ["files", "One file per event"],
            ],
          }),
          textField("/archive/time", { label: "Built at (local time)", type: "time", value: "02:00" }),
          textField("/archive/filename", {
            label: "File name template",
            mono: true,
            kind: "raw",
            placeholder: "{type}-{period_start}",
            help: "{type}, {period_start}, {period_end}, {generated_at}; optional",
          }),
          textField("/archive/link_ttl", {
            label: "Link lifetime (s)",
            kind: "int",
            type: "number",
            placeholder: "604800",
          }),
          textField("/archive/retention_days", {
            label: "Keep archives (days)",
            kind: "int",
            type: "number",
            placeholder: "90",
          }),
          textField("/archive/notify_url", {
            label: "Archive-ready notify URL",
            mono: true,
            full: true,
            help: "optional: POSTed a signed notice when an archive is ready",
          }),
          checkField("/archive/csv_escape_formulas", {
            label: "CSV/TSV: escape cells that start like a formula (= + - @)",
            value: true,
            full: true,
          }),
        ],
        "/archive",
      ),
    ],
    save: (body, patch) =>
      subscriberId && patch ? updateSubscriber(api, subscriberId, patch) : createSubscriber(api, body),
    actions: (dialog) =>
      subscriberId
        ? [
            rotateButton(dialog, "New API key and signing secret? The old ones stop working at once.", () =>
              rotateSubscriber(api, subscriberId),
            ),
          ]
        : [],
  });
}
