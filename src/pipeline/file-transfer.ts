import { applyAuth, forgetCredentials } from "../auth/outbound";
import type { ArchiveTargetInput, EmailTargetInput, S3TargetInput, SftpTargetInput } from "../domain/archive-target";
import type { Auth } from "../domain/auth";
import { assertSendable, outboundHostProblem } from "../lib/url-policy";
import { type EmailBody, type EmailTransport, sendEmail } from "../transfer/email";
import { httpsPut, type PutCredentials } from "../transfer/https-put";
import { type S3Target, s3Upload } from "../transfer/s3";
import { parseSftpUrl, type SftpTarget, sftpUpload } from "../transfer/sftp";
import { type OutgoingFile, TransferError, type TransferLimits } from "../transfer/types";
import { sharedAuthContext } from "./token-cache";

/**
 * Which transfer a target's type goes through: the one place that knows every type. Each transfer streams the file,
 * keeps to the limits and fails with a TransferError saying whether trying again can help. Where a target sends is
 * checked against the URL policy here, at send time, as pushes are.
 */

export interface Transferred {
  /** Where the file went: URL, object key or remote path (never with a credential in it). */
  remote: string;
  /** The HTTP status of the answer, for types that speak HTTP. */
  statusCode: number | null;
}

/** An https_put target's credentials: only for the URL it is configured with, OAuth 2 tokens cached per target. */
function putCredentials(env: Env, targetId: string, auth: Auth): PutCredentials {
  const context = sharedAuthContext(env, targetId);
  return {
    check: (url) => assertSendable(env, url),
    async apply(request) {
      // The body is a file, never a form: an OAuth 1 signature covers the URL and its query only.
      const signed = await applyAuth({ ...request, body: "" }, auth, context);
      return { url: signed.url, headers: signed.headers };
    },
    renew: () => forgetCredentials(auth, context),
  };
}

function s3Target(env: Env, target: S3TargetInput): S3Target {
  try {
    assertSendable(env, target.endpoint);
  } catch (error) {
    throw new TransferError((error as Error).message, false);
  }
  return {
    endpoint: target.endpoint,
    region: target.region,
    bucket: target.bucket,
    prefix: target.prefix,
    accessKeyId: target.access_key_id,
    secretAccessKey: target.secret_access_key,
    pathStyle: target.path_style,
  };
}

function sftpTarget(env: Env, target: SftpTargetInput): SftpTarget {
  const login =
    target.url !== undefined
      ? parseSftpUrl(target.url)
      : {
          host: target.host!,
          port: target.port ?? 22,
          username: target.username!,
          password: target.password ?? null,
          directory: target.path ?? "",
        };
  const refused = outboundHostProblem(env, login.host);
  if (refused) throw new TransferError(`refused to connect to ${login.host}: the host ${refused}`, false);
  return { ...login, privateKey: target.private_key ?? null, hostKey: target.host_key };
}

/**
 * Both optional, so neither is in the generated Env: `SMTP_URL` is a secret that `[secrets] required` must not list
 * (deploy refuses to run without a required one), and `EMAIL` a `send_email` binding an operator adds to wrangler.toml.
 */
type MailEnv = Env & { SMTP_URL?: string; EMAIL?: SendEmail };

/**
 * The binding when there is one (the order), else SMTP_URL. No URL policy check on the SMTP host: SMTP_URL is
 * the operator's configuration, like the D1 and R2 bindings, never a subscriber's input, and its credentials go only
 * to the host it names.
 */
function mailTransport(env: MailEnv): EmailTransport {
  if (env.EMAIL) return { binding: env.EMAIL };
  const smtpUrl = env.SMTP_URL?.trim();
  if (smtpUrl) return { smtpUrl };
  throw new TransferError("no mail transport configured (set SMTP_URL or bind EMAIL)", false);
}

/**
 * The archive's signed link and its facts to the target's addresses, never the file. `compose` writes the message
 * (signing a link for an archive); it runs only once a transport is known, so a relay without one signs nothing.
 */
async function mailFile(
  env: MailEnv,
  target: EmailTargetInput,
  compose: (subject: string | undefined) => Promise<EmailBody>,
  limits: TransferLimits,
): Promise<Transferred> {
  const transport = mailTransport(env);
  const from = env.EMAIL_FROM?.trim();
  if (!from) throw new TransferError("EMAIL_FROM is empty: set the address archive emails are sent from", false);
  const body = await compose(target.subject);
  await sendEmail(transport, { from, to: target.to, ...body }, limits);
  return { remote: `mailto:${target.to.join(",")}`, statusCode: null };
}

/**
 * Sends `file` to `target`. An email target sends the message `compose` writes about the file instead (see mailFile);
 * the other types never call it.
 */
export async function transferFile(
  env: Env,
  targetId: string,
  target: ArchiveTargetInput,
  file: OutgoingFile,
  limits: TransferLimits,
  compose: (subject: string | undefined) => Promise<EmailBody>,
): Promise<Transferred> {
  switch (target.type) {
    case "https_put": {
      const done = await httpsPut(target, file, limits, putCredentials(env, targetId, target.auth));
      return { remote: done.url, statusCode: done.statusCode };
    }
    case "s3": {
      const done = await s3Upload(s3Target(env, target), file, limits);
      return { remote: done.key, statusCode: null };
    }
    case "sftp": {
      const done = await sftpUpload(sftpTarget(env, target), file, limits);
      return { remote: done.path, statusCode: null };
    }
    case "email":
      return mailFile(env, target, compose, limits);
  }
}
