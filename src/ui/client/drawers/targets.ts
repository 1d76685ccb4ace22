/** A subscriber's destinations and archive targets, and the files sent to a target. */
import { adminApi } from "../api";
import { busy, h } from "../dom";
import { age, duration, isBlank, plural } from "../format";
import { toast, toastError } from "../toast";
import type { ArchiveTarget, Destination, FileDelivery, RetryInfo } from "../types";
import { badge, tag, timeEl } from "../widgets";
import { reloadDrawer } from "./drawer";
import { setupButton } from "./edit-button";

const retryText = (retry: RetryInfo) =>
  retry.max_attempts != null
    ? h(
        "span",
        null,
        `${plural(retry.max_attempts, "attempt")}, backoff ${retry.initial_delay} s → ${age(retry.max_delay)}`,
      )
    : null;

/** A button that runs an action, says so in a toast, and stays usable when the action fails. */
function actionButton(
  text: string,
  cls: string,
  run: () => Promise<void>,
  failure: string,
  reenable: "always" | "on-failure" = "on-failure",
): HTMLButtonElement {
  const btn = h("button", { type: "button", class: cls }, text);
  btn.addEventListener("click", async () => {
    busy(btn, true);
    try {
      await run();
      if (reenable === "always") busy(btn, false);
    } catch (err) {
      toastError(err, failure);
      busy(btn, false);
    }
  });
  return btn;
}

export function destinationEl(subscriberId: string, d: Destination): HTMLElement {
  const disabled = !isBlank(d.disabled_at);
  const retry = d.retry || {};
  const enable = disabled
    ? actionButton(
        "Enable",
        "btn sm success",
        async () => {
          await adminApi.enableDestination(subscriberId, d.id);
          toast(
            "success",
            "Destination enabled",
            `${d.name || d.id} receives deliveries again; its held deliveries resume.`,
          );
          reloadDrawer();
        },
        "Could not enable the destination",
      )
    : null;
  const authType = d.auth?.type || d.auth_type;
  return h(
    "div",
    { class: "dest" },
    h(
      "div",
      { class: "dest-head" },
      h("span", { class: "strong" }, d.name || d.id),
      d.environment ? badge(d.environment) : null,
      disabled ? badge("disabled", "Disabled") : badge("active", "Active"),
      h("span", { class: "grow" }),
      setupButton("Edit", "destination", { ...d, subscriber_id: subscriberId }),
    ),
    h("div", { class: "dest-url" }, `${d.method || "POST"} ${d.url || ""}`),
    h(
      "div",
      { class: "meta" },
      h("span", { class: "id" }, d.id),
      d.timeout_ms != null ? h("span", null, `timeout ${duration(d.timeout_ms)}`) : null,
      retryText(retry),
      authType ? h("span", null, `auth: ${authType}`) : null,
    ),
    disabled
      ? h(
          "div",
          { class: "notice red" },
          h(
            "div",
            { class: "notice-text" },
            h("div", null, h("span", { class: "strong" }, "Disabled "), timeEl(d.disabled_at)),
            isBlank(d.disabled_reason) ? null : h("div", null, String(d.disabled_reason)),
            h("div", { class: "sub" }, "Its deliveries are held, not dropped, until it is enabled."),
          ),
          enable,
        )
      : null,
  );
}

const ENDED = ["dead", "failed", "unconfirmed", "sent", "confirmed"];

/** One file sent to an archive target: status, attempts, where it went, and a retry once it has ended. */
export function fileDeliveryEl(f: FileDelivery, onChange: () => void): HTMLElement {
  const retry = ENDED.includes(String(f.status))
    ? actionButton(
        "Send again",
        "btn sm",
        async () => {
          await adminApi.retryFileDelivery(f.id);
          toast("success", "File queued", `${f.file_name} goes again now, with a fresh attempt budget.`);
          onChange();
        },
        "Could not send the file again",
      )
    : null;
  return h(
    "div",
    { class: "dest" },
    h(
      "div",
      { class: "dest-head" },
      h("span", { class: "strong mono" }, f.file_name),
      badge(f.status),
      f.test ? tag("test file") : null,
      h("span", { class: "grow" }),
      retry,
    ),
    h(
      "div",
      { class: "meta" },
      h("span", { class: "id" }, f.id),
      h("span", null, "to ", h("span", { class: "id" }, f.target_id)),
      h("span", null, plural(f.attempts || 0, "attempt")),
      isBlank(f.remote) ? null : h("span", { class: "mono" }, String(f.remote)),
      isBlank(f.job_id) ? null : h("span", null, `import job ${f.job_id}`),
      isBlank(f.next_attempt_at) ? null : h("span", null, "next try ", timeEl(f.next_attempt_at)),
      isBlank(f.callback_due_at) ? null : h("span", null, "callback due ", timeEl(f.callback_due_at)),
      isBlank(f.sent_at) ? null : h("span", null, "sent ", timeEl(f.sent_at)),
    ),
    isBlank(f.last_error) ? null : h("div", { class: "err-text" }, String(f.last_error)),
  );
}

/** Where a target sends, in a line: its URL, bucket and prefix, SFTP URL or host, or addresses. */
export function targetWhere(t: ArchiveTarget): string {
  if (t.type === "s3") {
    return (
      (t.endpoint || "") +
      " " +
      (t.bucket || "") +
      "/" +
      (t.prefix || "") +
      (t.then ? `  then ${t.then.method || "POST"} ${t.then.url}` : "")
    );
  }
  if (t.type === "sftp") {
    return t.url || `sftp://${t.username || ""}@${t.host || ""}:${t.port || 22}${t.path || ""}`;
  }
  if (t.type === "email") return (t.to || []).join(", ");
  return `PUT ${t.url || ""}`;
}

export async function archiveTargetEl(subscriberId: string, t: ArchiveTarget): Promise<HTMLElement> {
  const recent = await adminApi.targetDeliveries(subscriberId, t.id, { limit: 5 }).catch(() => null);
  const rows = recent && Array.isArray(recent.data) ? recent.data : [];
  const test = actionButton(
    "Send a test file",
    "btn sm",
    async () => {
      const f = await adminApi.testTarget(subscriberId, t.id);
      toast("success", "Test file queued", `${f?.file_name} goes to ${t.name || t.id} now.`);
      reloadDrawer();
    },
    "Could not send a test file",
  );
  const retry = t.retry || {};
  return h(
    "div",
    { class: "dest" },
    h(
      "div",
      { class: "dest-head" },
      h("span", { class: "strong" }, t.name || t.id),
      tag(String(t.type)),
      t.environment ? badge(t.environment) : null,
      t.enabled ? badge("active", "Enabled") : badge("disabled", "Disabled"),
      h("span", { class: "grow" }),
      test,
      setupButton("Edit", "archive-target", { ...t, subscriber_id: subscriberId }),
    ),
    h("div", { class: "dest-url" }, targetWhere(t)),
    h(
      "div",
      { class: "meta" },
      h("span", { class: "id" }, t.id),
      retryText(retry),
      t.connect_timeout_ms != null
        ? h("span", null, `connect ${duration(t.connect_timeout_ms)}, transfer ${duration(t.transfer_timeout_ms)}`)
        : null,
    ),
    rows.length
      ? h(
          "div",
          null,
          rows.map((f) => fileDeliveryEl(f, reloadDrawer)),
        )
      : h("div", { class: "empty" }, "Nothing sent yet."),
  );
}
