import { z } from "@hono/zod-openapi";
import { fromBase64, utf8 } from "../lib/encoding";
import { parseSftpUrl, SftpUrlError, type SftpUrlParts } from "../lib/sftp-url";
import { Auth, publicAuth } from "./auth";
import { retryDelaySeconds } from "./backoff";
import { Environment } from "./destination";
import { Expression } from "./expressions";
import { Headers, HttpUrl } from "./http-fields";
import { DEFAULT_RETRY_POLICY, RetryPolicy } from "./retry-policy";

/**
 * Where a subscriber's files go (CONTRACT §3 Archive targets): one schema per type, sharing the name, environment,
 * retry policy and timeouts. Credentials are write-only: `storedTarget` splits an input into what reads back
 * (`config`, stored as JSON and shown as it is) and what is sealed (`secrets`); `targetInput` joins them again for a
 * transfer or a PATCH.
 */

export const ArchiveTargetType = z.enum(["https_put", "s3", "sftp", "email"]);
export type ArchiveTargetType = z.infer<typeof ArchiveTargetType>;

/** The placeholder a URL template names the file with. */
export const FILENAME = "{filename}";
const EXAMPLE_FILENAME = "2026-11-21.zip";

/** A URL template whose `{filename}` (required when `needsFilename`) may only sit in the path or query. */
function urlTemplate(needsFilename: boolean) {
  return z
    .string()
    .max(2048)
    .superRefine((template, ctx) => {
      if (needsFilename && !template.includes(FILENAME)) {
        ctx.addIssue({ code: "custom", message: `must contain ${FILENAME}, where the file's name goes` });
        return;
      }
      const placeholders = template.match(/\{[^}]*\}/g) ?? [];
      const other = placeholders.find((placeholder) => placeholder !== FILENAME);
      if (other) {
        ctx.addIssue({ code: "custom", message: `knows no placeholder ${other}; only ${FILENAME}` });
        return;
      }
      const filled = (name: string) => template.replaceAll(FILENAME, name);
      if (!HttpUrl.safeParse(filled(EXAMPLE_FILENAME)).success) {
        ctx.addIssue({ code: "custom", message: "must be an http(s) URL once {filename} is filled in" });
      } else if (new URL(filled("a")).origin !== new URL(filled("b")).origin) {
        ctx.addIssue({ code: "custom", message: `${FILENAME} must be in the path or query, not the host` });
      }
    })
    .openapi({ example: `https://files.example/in/${FILENAME}` });
}

const timeouts = {
  connect_timeout_ms: z
    .number()
    .int()
    .min(1000)
    .max(300_000)
    .default(60_000)
    .openapi({ description: "Connecting (TCP, TLS, SSH login), in ms" }),
  transfer_timeout_ms: z
    .number()
    .int()
    .min(1000)
    .max(900_000)
    .default(300_000)
    .openapi({ description: "The whole transfer, connecting included, in ms" }),
};

/** The fields every type shares. `name` defaults to the type. */
const common = (type: ArchiveTargetType) => ({
  name: z.string().min(1).max(200).default(type),
  environment: Environment.default("production"),
  retry: RetryPolicy.default(DEFAULT_RETRY_POLICY),
  ...timeouts,
  enabled: z.boolean().default(true),
});

const timeoutsInOrder = (target: { connect_timeout_ms: number; transfer_timeout_ms: number }, ctx: z.RefinementCtx) => {
  if (target.connect_timeout_ms > target.transfer_timeout_ms) {
    ctx.addIssue({
      code: "custom",
      path: ["connect_timeout_ms"],
      message: "must not be longer than transfer_timeout_ms, which includes connecting",
    });
  }
};

export const HttpsPutTargetInput = z
  .object({
    type: z.literal("https_put"),
    ...common("https_put"),
    url: urlTemplate(true),
    headers: Headers,
    auth: Auth.default({ type: "none" }),
  })
  .superRefine(timeoutsInOrder)
  .openapi("HttpsPutTargetInput");
export type HttpsPutTargetInput = z.infer<typeof HttpsPutTargetInput>;

/** Where an import trigger's answer names its job, when `job_id` is not given (AlumnIQ's `{"jobId": …}`). */
export const DEFAULT_JOB_ID = "jobId";

/** Credentials a platform wants in the trigger's body rather than a header: sealed, never read back. */
const TriggerSecrets = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "must be a name such as apiKey"), z.string().max(4096))
  .refine((secrets) => Object.keys(secrets).length <= 20, "at most 20 secrets");

/** Once the file is in the bucket: the platform's import webhook, answered with a job id its callback names later. */
export const ImportTrigger = z
  .object({
    url: urlTemplate(false),
    method: z.enum(["POST", "PUT"]).default("POST"),
    auth: Auth.default({ type: "none" }),
    headers: Headers,
    body: Expression.optional().openapi({
      description:
        "JSONata over $filename, $key (the object key), $url (a signed link), $callback_url and $secrets; " +
        'default {"filename": $filename, "url": $url, "callback_url": $callback_url}',
    }),
    job_id: Expression.default(DEFAULT_JOB_ID).openapi({
      description: "JSONata over the trigger's response body (JSON, or the text); default jobId",
    }),
    secrets: TriggerSecrets.optional().openapi({
      description:
        'Write-only values the body names as $secrets.<name>, e.g. {"apiKey": "…"} for a platform that wants its key in the body',
    }),
    callback_timeout_s: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .default(86_400),
  })
  .openapi("ImportTrigger");
export type ImportTrigger = z.infer<typeof ImportTrigger>;

/** S3's bucket naming rules: what every S3-compatible store accepts. */
const BucketName = z
  .string()
  .min(3)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, "must be 3–63 lowercase letters, digits, dots and hyphens");

export const S3TargetInput = z
  .object({
    type: z.literal("s3"),
    ...common("s3"),
    endpoint: HttpUrl.openapi({ example: "https://s3.us-east-1.amazonaws.com" }),
    region: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9-]+$/, "must be a region name such as us-east-1 (or auto)"),
    bucket: BucketName,
    prefix: z
      .string()
      .max(900)
      .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters")
      .refine((prefix) => !prefix.startsWith("/"), "must not start with /: keys are relative to the bucket")
      .default("")
      .openapi({ example: "qa/warehouse/" }),
    access_key_id: z.string().min(1).max(128),
    secret_access_key: z.string().min(1).max(256),
    path_style: z.boolean().default(true),
    // biome-ignore lint/suspicious/noThenProperty: CONTRACT §3 names the import trigger `then`; it is never a function, so nothing awaits it
    then: ImportTrigger.optional(),
  })
  .superRefine(timeoutsInOrder)
  .openapi("S3TargetInput");
export type S3TargetInput = z.infer<typeof S3TargetInput>;

const ED25519_BLOB_PREFIX = "ssh-ed25519";

/** `ssh-ed25519 AAAA…` (known_hosts form, an optional comment after): the blob names its type and holds 32 bytes. */
export function hostKeyProblem(line: string): string | null {
  const [type, blob] = line.trim().split(/\s+/);
  if (type !== ED25519_BLOB_PREFIX || !blob) return "must be an ssh-ed25519 public key: ssh-ed25519 AAAA…";
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(blob);
  } catch {
    return "the key after ssh-ed25519 is not base64";
  }
  const name = utf8.encode(ED25519_BLOB_PREFIX);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const named =
    bytes.length === 4 + name.length + 4 + 32 &&
    view.getUint32(0) === name.length &&
    name.every((byte, i) => bytes[4 + i] === byte) &&
    view.getUint32(4 + name.length) === 32;
  return named ? null : "the key after ssh-ed25519 is not a 32-byte Ed25519 public key blob";
}

/**
 * What an `sftp://user:pass@host:22/path` URL says (user and password percent-decoded, as the nightly SFTP document
 * specifies), or why it cannot be used: the same parser the transfer connects with (lib/sftp-url.ts).
 */
export function readSftpUrl(url: string): SftpUrlParts | string {
  try {
    return parseSftpUrl(url);
  } catch (error) {
    if (error instanceof SftpUrlError) return error.problem;
    throw error;
  }
}

/** The URL as it reads back: the password, if any, replaced by `***`. */
export function redactSftpUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

const SFTP_FIELDS = ["host", "port", "username", "path"] as const;

export const SftpTargetInput = z
  .object({
    type: z.literal("sftp"),
    ...common("sftp"),
    url: z.string().max(2048).optional().openapi({ example: "sftp://user:p%40ss@sftp.acme.example:22/incoming" }),
    host: z.string().min(1).max(253).optional(),
    port: z.number().int().min(1).max(65_535).optional().openapi({ description: "22 when left out" }),
    username: z.string().min(1).max(256).optional(),
    password: z.string().min(1).max(1024).optional(),
    private_key: z
      .string()
      .min(1)
      .max(16_384)
      .regex(/-----BEGIN (OPENSSH )?PRIVATE KEY-----/, "must be an OpenSSH or PKCS#8 PEM private key")
      .optional()
      .openapi({ description: "Ed25519, OpenSSH format (unencrypted) or PKCS#8 PEM" }),
    path: z.string().min(1).max(1024).optional().openapi({ description: "The directory files go to" }),
    host_key: z
      .string()
      .max(1024)
      .superRefine((line, ctx) => {
        const problem = hostKeyProblem(line);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .openapi({ example: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl" }),
  })
  .superRefine((target, ctx) => {
    timeoutsInOrder(target, ctx);
    let urlPassword: string | null = null;
    let urlUnreadable = false;
    if (target.url !== undefined) {
      const parts = readSftpUrl(target.url);
      urlUnreadable = typeof parts === "string";
      if (typeof parts === "string") ctx.addIssue({ code: "custom", path: ["url"], message: parts });
      else urlPassword = parts.password;
      for (const field of SFTP_FIELDS) {
        if (target[field] !== undefined) {
          ctx.addIssue({ code: "custom", path: [field], message: "give either url or host, port, username and path" });
        }
      }
    } else {
      if (target.host === undefined) ctx.addIssue({ code: "custom", path: ["host"], message: "required (or url)" });
      if (target.username === undefined) {
        ctx.addIssue({ code: "custom", path: ["username"], message: "required (or url)" });
      }
    }
    if (urlPassword !== null && target.password !== undefined) {
      ctx.addIssue({ code: "custom", path: ["password"], message: "the url carries a password already" });
    }
    const passwords = Number(urlPassword !== null || target.password !== undefined);
    // An unreadable url is its own error: whether it carries a password is unknown, so say nothing more about it.
    if (!urlUnreadable && passwords + Number(target.private_key !== undefined) !== 1) {
      ctx.addIssue({
        code: "custom",
        path: [passwords ? "private_key" : "password"],
        message: passwords ? "give a password or a private_key, not both" : "give a password or a private_key",
      });
    }
  })
  .openapi("SftpTargetInput");
export type SftpTargetInput = z.infer<typeof SftpTargetInput>;

/** The host an SFTP target connects to, whichever way it was configured: what its credentials are tied to. */
export function sftpHost(target: SftpTargetInput): { host: string; port: number } {
  const fromUrl = target.url === undefined ? null : readSftpUrl(target.url);
  if (typeof fromUrl === "string") throw new Error(`sftp url ${fromUrl}`);
  return { host: fromUrl?.host ?? target.host!, port: fromUrl?.port ?? target.port ?? 22 };
}

export const EmailTargetInput = z
  .object({
    type: z.literal("email"),
    ...common("email"),
    to: z.array(z.email().max(320)).min(1).max(50),
    subject: z
      .string()
      .min(1)
      .max(300)
      .regex(/^[^\r\n]*$/, "must be one line")
      .optional(),
  })
  .superRefine(timeoutsInOrder)
  .openapi("EmailTargetInput");
export type EmailTargetInput = z.infer<typeof EmailTargetInput>;

export const ArchiveTargetInput = z
  .discriminatedUnion("type", [HttpsPutTargetInput, S3TargetInput, SftpTargetInput, EmailTargetInput])
  .openapi("ArchiveTargetInput");
export type ArchiveTargetInput = z.infer<typeof ArchiveTargetInput>;

/** Each type's own schema: what a PATCH of a target of that type is merged and checked against. */
export const TARGET_SCHEMAS = {
  https_put: HttpsPutTargetInput,
  s3: S3TargetInput,
  sftp: SftpTargetInput,
  email: EmailTargetInput,
} as const;

/** The fields every type has, stored in columns of their own rather than in `config`. */
const COMMON_FIELDS = [
  "type",
  "name",
  "environment",
  "retry",
  "connect_timeout_ms",
  "transfer_timeout_ms",
  "enabled",
] as const;
type CommonField = (typeof COMMON_FIELDS)[number];
type Specific<T> = Omit<T, CommonField>;

/** What reads back (type-specific, credentials out) and what is sealed. */
export interface StoredTarget {
  config: Record<string, unknown>;
  secrets: Record<string, unknown>;
}

function specific<T extends ArchiveTargetInput>(input: T): Specific<T> {
  const out: Record<string, unknown> = { ...input };
  for (const field of COMMON_FIELDS) delete out[field];
  return out as Specific<T>;
}

export function storedTarget(input: ArchiveTargetInput): StoredTarget {
  switch (input.type) {
    case "https_put": {
      const { auth, ...config } = specific(input);
      return { config: { ...config, auth: publicAuth(auth) }, secrets: { auth } };
    }
    case "s3": {
      const { secret_access_key, then, ...config } = specific(input);
      if (!then) return { config, secrets: { secret_access_key } };
      const { secrets: thenSecrets, ...trigger } = then;
      const named = thenSecrets ? { secrets: Object.fromEntries(Object.keys(thenSecrets).map((k) => [k, "***"])) } : {};
      return {
        // biome-ignore lint/suspicious/noThenProperty: CONTRACT §3 names the import trigger `then`; it is never a function, so nothing awaits it
        config: { ...config, then: { ...trigger, auth: publicAuth(then.auth), ...named } },
        secrets: { secret_access_key, then_auth: then.auth, ...(thenSecrets ? { then_secrets: thenSecrets } : {}) },
      };
    }
    case "sftp": {
      const { url, password, private_key, ...config } = specific(input);
      const method = private_key !== undefined ? "private_key" : "password";
      return {
        config: { ...(url !== undefined ? { url: redactSftpUrl(url) } : {}), ...config, login: method },
        secrets: {
          ...(url !== undefined ? { url } : {}),
          ...(password !== undefined ? { password } : {}),
          ...(private_key !== undefined ? { private_key } : {}),
        },
      };
    }
    case "email":
      return { config: specific(input), secrets: {} };
  }
}

/** The input a target was saved from, to be parsed again: its columns, its config and its opened secrets. */
export function targetInput(
  common: Record<CommonField, unknown>,
  config: Record<string, unknown>,
  secrets: Record<string, unknown>,
): Record<string, unknown> {
  const { login: _login, ...rest } = config;
  const joined: Record<string, unknown> = { ...rest, ...common };
  const { then_auth, then_secrets, ...others } = secrets;
  Object.assign(joined, others);
  if (isObject(joined.then)) {
    const { secrets: _named, ...trigger } = joined.then;
    // biome-ignore lint/suspicious/noThenProperty: CONTRACT §3 names the import trigger `then`; it is never a function, so nothing awaits it
    joined.then = {
      ...trigger,
      ...(then_auth !== undefined ? { auth: then_auth } : {}),
      ...(then_secrets !== undefined ? { secrets: then_secrets } : {}),
    };
  }
  return joined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The fields a PATCH must give again when the stored secrets no longer open (another key, a copied row): the
 * target's credentials, as JSON pointers. Empty for a target without any.
 */
export function credentialFields(type: ArchiveTargetType, config: Record<string, unknown>): string[] {
  const hasAuth = (auth: unknown) => isObject(auth) && auth.type !== "none";
  switch (type) {
    case "https_put":
      return hasAuth(config.auth) ? ["/auth"] : [];
    case "s3":
      return [
        "/secret_access_key",
        ...(isObject(config.then) && hasAuth(config.then.auth) ? ["/then/auth"] : []),
        ...(isObject(config.then) && isObject(config.then.secrets) ? ["/then/secrets"] : []),
      ];
    case "sftp":
      if (config.login === "private_key") return ["/private_key"];
      return typeof config.url === "string" && config.url.includes(":***@") ? ["/url"] : ["/password"];
    case "email":
      return [];
  }
}

/** The name of a target's test file: says what it is, sorts by time, and has no character a file system refuses. */
export function testFileName(now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
  return `syndic-test-${stamp}.txt`;
}

/** What one attempt at a file delivery comes to. */
export interface AttemptDecision {
  status: "sent" | "retrying" | "dead";
  delaySeconds: number | null;
}

/** Sent; or retried on the target's policy while retrying can help and the budget lasts (Retry-After honoured). */
export function decideFileAttempt(
  failure: { retryable: boolean; retryAfter: number | null } | null,
  attemptInBudget: number,
  policy: RetryPolicy,
): AttemptDecision {
  if (!failure) return { status: "sent", delaySeconds: null };
  if (!failure.retryable || attemptInBudget >= policy.max_attempts) return { status: "dead", delaySeconds: null };
  return { status: "retrying", delaySeconds: retryDelaySeconds(policy, attemptInBudget, failure.retryAfter) };
}
