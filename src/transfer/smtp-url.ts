import { TransferError } from "./types";

/**
 * The SMTP server an `SMTP_URL` names: `smtp://user:pass@host:port` (STARTTLS when the server offers it) or
 * `smtps://…` (TLS from the first byte), with percent-encoded credentials as the nightly document's SFTP URLs
 * have them. No error repeats the URL: it holds the password.
 */
export interface SmtpServer {
  host: string;
  port: number;
  /** TLS from the first byte (smtps://, usually port 465). */
  secure: boolean;
  username: string | null;
  password: string | null;
}

/** Submission (587) for smtp://, implicit TLS (465) for smtps://. */
const DEFAULT_PORT = { "smtp:": 587, "smtps:": 465 } as const;

export function parseSmtpUrl(value: string): SmtpServer {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid("is not a valid URL");
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") throw invalid("must start with smtp:// or smtps://");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!host) throw invalid("names no host");
  if (url.pathname !== "" && url.pathname !== "/") throw invalid("must not have a path");
  let username: string | null = null;
  let password: string | null = null;
  try {
    if (url.username) username = decodeURIComponent(url.username);
    if (url.password) password = decodeURIComponent(url.password);
  } catch {
    throw invalid("has credentials that are not valid percent-encoding");
  }
  if (password !== null && username === null) throw invalid("has a password but no user name");
  return {
    host,
    port: url.port ? Number(url.port) : DEFAULT_PORT[url.protocol],
    secure: url.protocol === "smtps:",
    username,
    password: username === null ? null : (password ?? ""),
  };
}

function invalid(problem: string): TransferError {
  return new TransferError(`the SMTP URL ${problem}`, false);
}

/** `Name <addr@host>` or `addr@host`. */
export interface MailAddress {
  name: string | null;
  email: string;
}

/** No spaces, brackets or line breaks in the address itself: they would end the SMTP command it is written into. */
const ADDRESS = /^[^\s<>()[\]\\,;:"@]+@[^\s<>()[\]\\,;:"@]+$/;

export function parseMailAddress(value: string): MailAddress {
  const named = /^\s*(.*?)\s*<([^<>]*)>\s*$/.exec(value);
  const name = named ? named[1].replace(/^"(.*)"$/, "$1").trim() : "";
  const email = (named ? named[2] : value).trim();
  // A name is written into a quoted header value: quotes, backslashes and line breaks would end it.
  if (!ADDRESS.test(email) || /[\r\n"\\]/.test(name)) {
    throw new TransferError(`${JSON.stringify(value.slice(0, 100))} is not an email address`, false);
  }
  return { name: name || null, email };
}
