/**
 * Create or edit an archive target of a subscriber: https_put, s3 (with an optional import trigger `then`), sftp
 * (a URL or its parts; a password or a key; the host key) or email. Each type's fields sit in a fieldset of their
 * own, and only the chosen type's are read.
 */
import { api } from "../api";
import { h } from "../dom";
import { authFields } from "./auth-fields";
import {
  areaField,
  checkField,
  group,
  retryFields,
  selectField,
  setToggle,
  switchGroup,
  textField,
  toggle,
} from "./fields";
import { runForm } from "./form-runner";
import { pickedValue, refSelect } from "./pickers";
import { createArchiveTarget, updateArchiveTarget } from "./writes";

const TYPES = [
  ["https_put", "HTTPS PUT"],
  ["s3", "S3 bucket"],
  ["sftp", "SFTP"],
  ["email", "Email (the link, never the file)"],
] as const;

/** Two radios (not part of the body) that switch between two groups. */
function either(name: string, a: [string, HTMLFieldSetElement], b: [string, HTMLFieldSetElement]) {
  const first = h("input", { type: "radio", name, value: "a", checked: true });
  const second = h("input", { type: "radio", name, value: "b" });
  const apply = () => {
    switchGroup(a[1], first.checked);
    switchGroup(b[1], second.checked);
  };
  first.addEventListener("change", apply);
  second.addEventListener("change", apply);
  apply();
  return {
    element: h(
      "div",
      { class: "segmented full", role: "radiogroup", "data-setup-role": name },
      h("label", null, first, a[0]),
      h("label", null, second, b[0]),
    ),
    pick(useSecond: boolean) {
      second.checked = useSecond;
      first.checked = !useSecond;
      apply();
    },
  };
}

function httpsPut() {
  const auth = authFields("/auth");
  const el = group("HTTPS PUT", [
    textField("/url", { label: "URL template", mono: true, full: true, help: "an http(s) URL with {filename}" }),
    areaField("/headers", { label: "Headers", kind: "headers", rows: 2 }),
    auth.element,
  ]);
  return { el, prefill: (t: Record<string, unknown>) => auth.prefill(t.auth) };
}

function s3() {
  const thenAuth = authFields("/then/auth", "Import trigger authentication");
  const trigger = group(
    "Import trigger (then)",
    [
      textField("/then/url", { label: "URL", mono: true, full: true, help: "the platform's import webhook" }),
      selectField("/then/method", {
        label: "Method",
        options: [
          ["POST", "POST"],
          ["PUT", "PUT"],
        ],
      }),
      textField("/then/callback_timeout_s", {
        label: "Wait for the callback (s)",
        kind: "int",
        type: "number",
        placeholder: "86400",
      }),
      areaField("/then/headers", { label: "Headers", kind: "headers", rows: 2 }),
      thenAuth.element,
      areaField("/then/body", {
        label: "Body (JSONata over $filename, $key, $url, $callback_url, $secrets)",
        rows: 2,
        placeholder: '{"filename": $filename, "url": $url, "callback_url": $callback_url}',
        expression: true,
      }),
      textField("/then/job_id", {
        label: "Job id (JSONata over the answer)",
        kind: "raw",
        mono: true,
        placeholder: "jobId",
        expression: true,
      }),
      areaField("/then/secrets", {
        label: "Secrets for the body",
        kind: "json",
        secret: true,
        rows: 2,
        placeholder: '{"apiKey": "…"}',
        help: "write-only; the body names them $secrets.<name>",
      }),
    ],
    "/then",
  );
  const triggerToggle = toggle("Trigger an import once the file is in the bucket", trigger, false, "then-toggle");
  const el = group("S3", [
    textField("/endpoint", { label: "Endpoint", mono: true, full: true, help: "an http(s) URL" }),
    textField("/region", { label: "Region", placeholder: "us-east-1" }),
    textField("/bucket", { label: "Bucket" }),
    textField("/prefix", { label: "Key prefix", kind: "raw", placeholder: "warehouse/" }),
    checkField("/path_style", { label: "Path-style URLs", value: true }),
    textField("/access_key_id", { label: "Access key id", kind: "raw" }),
    textField("/secret_access_key", { label: "Secret access key", secret: true }),
    triggerToggle,
    trigger,
  ]);
  return {
    el,
    prefill(t: Record<string, unknown>) {
      setToggle(triggerToggle, !!t.then);
      thenAuth.prefill((t.then as { auth?: unknown } | undefined)?.auth);
    },
  };
}

function sftp() {
  const byUrl = group("By URL", [
    textField("/url", {
      label: "URL",
      mono: true,
      full: true,
      placeholder: "sftp://user@host:22/incoming",
      kind: "raw",
      secret: true,
    }),
  ]);
  const byParts = group("By parts", [
    textField("/host", { label: "Host" }),
    textField("/port", { label: "Port", kind: "int", type: "number", placeholder: "22" }),
    textField("/username", { label: "Username", kind: "raw" }),
    textField("/path", { label: "Directory", kind: "raw", placeholder: "/incoming" }),
  ]);
  const byPassword = group("Password", [textField("/password", { label: "Password", secret: true, full: true })]);
  const byKey = group("Private key", [
    areaField("/private_key", { label: "Private key (OpenSSH or PKCS#8 PEM, Ed25519)", secret: true, rows: 4 }),
  ]);
  const where = either("sftp-where", ["URL", byUrl], ["Host, user, path", byParts]);
  const login = either("sftp-login", ["Password (or in the URL)", byPassword], ["Private key", byKey]);
  const el = group("SFTP", [
    where.element,
    byUrl,
    byParts,
    login.element,
    byPassword,
    byKey,
    textField("/host_key", {
      label: "Host key",
      mono: true,
      full: true,
      kind: "raw",
      placeholder: "ssh-ed25519 AAAA…",
      help: "the server's Ed25519 public key, as in known_hosts",
    }),
  ]);
  return {
    el,
    prefill(t: Record<string, unknown>) {
      where.pick(t.url === undefined && t.host !== undefined);
      login.pick(t.login === "private_key");
    },
  };
}

function email() {
  return {
    el: group("Email", [
      areaField("/to", { label: "To", kind: "lines", mono: false, rows: 2, placeholder: "ops@acme.example" }),
      textField("/subject", { label: "Subject", full: true, help: "optional" }),
    ]),
    prefill: () => {},
  };
}

export function archiveTargetForm(existing?: Record<string, unknown> | null) {
  const id = existing?.id ? String(existing.id) : null;
  const fixedSubscriber = existing?.subscriber_id ? String(existing.subscriber_id) : null;
  const parts = { https_put: httpsPut(), s3: s3(), sftp: sftp(), email: email() };
  const type = selectField("/type", { label: "Type", options: TYPES, role: "target-type" });
  const typeSelect = type.querySelector("select")!;
  const show = () => {
    for (const [key, part] of Object.entries(parts)) switchGroup(part.el, key === typeSelect.value);
  };
  typeSelect.addEventListener("change", show);
  show();
  return runForm({
    kind: "archive-target",
    noun: "archive target",
    existing,
    view: "subscribers",
    fields: [
      refSelect("subscribers", "subscriber", "Subscriber", fixedSubscriber),
      type,
      textField("/name", { label: "Name", help: "defaults to the type" }),
      selectField("/environment", {
        label: "Environment",
        options: [
          ["production", "production"],
          ["sandbox", "sandbox"],
        ],
      }),
      checkField("/enabled", { label: "Enabled", value: true }),
      parts.https_put.el,
      parts.s3.el,
      parts.sftp.el,
      parts.email.el,
      group(
        "Retries and timeouts",
        [
          ...retryFields(),
          textField("/connect_timeout_ms", {
            label: "Connect timeout (ms)",
            kind: "int",
            type: "number",
            placeholder: "60000",
          }),
          textField("/transfer_timeout_ms", {
            label: "Transfer timeout (ms)",
            kind: "int",
            type: "number",
            placeholder: "300000",
          }),
        ],
        "/retry",
      ),
    ],
    prefill(_form, target) {
      typeSelect.disabled = true;
      show();
      parts[String(target.type) as keyof typeof parts]?.prefill(target);
    },
    // SFTP by URL: "host required (or url)" is about the URL left blank.
    redirect: { "/host": "/url", "/username": "/url" },
    extraErrors: (form) => (pickedValue(form, "subscriber") ? [] : [["subscriber", "choose a subscriber"]]),
    save(body, patch, form) {
      const subscriberId = pickedValue(form, "subscriber");
      return id && patch
        ? updateArchiveTarget(api, subscriberId, id, patch)
        : createArchiveTarget(api, subscriberId, body);
    },
  });
}
