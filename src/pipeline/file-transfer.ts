import { applyAuth, forgetCredentials } from "../auth/outbound";
import type { ArchiveTargetInput, S3TargetInput, SftpTargetInput } from "../domain/archive-target";
import type { Auth } from "../domain/auth";
import { assertSendable, outboundHostProblem } from "../lib/url-policy";
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

export async function transferFile(
  env: Env,
  targetId: string,
  target: ArchiveTargetInput,
  file: OutgoingFile,
  limits: TransferLimits,
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
      // Email sends the archive's signed link and its facts, not the file: the stage has to hand it those first.
      throw new TransferError("the email transfer is not available in this build", false);
  }
}
