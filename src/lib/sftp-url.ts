import { RelayError } from "./errors";

/** What an `sftp://` URL says: where to connect, who logs in, and the remote directory. */
export interface SftpUrlParts {
  host: string;
  port: number;
  username: string;
  password: string | null;
  /** Absolute, or relative to the login directory; "" is the login directory. */
  directory: string;
}

/** An sftp URL that can never work as written: retrying will not help. `problem` reads after "the sftp URL …". */
export class SftpUrlError extends RelayError {
  override name = "SftpUrlError";
  constructor(readonly problem: string) {
    super(`the sftp URL ${problem}`, false);
  }
}

const DEFAULT_PORT = 22;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

/**
 * `sftp://user:pass@host:22/path` with percent-encoded user and password (the nightly SFTP reference). The path is
 * absolute, or relative to the login directory after `/~/` (as curl reads it); no path is the login directory.
 * Throws SftpUrlError naming what is wrong, never quoting the URL (it holds the password). One parser for saving a
 * target (domain/) and for connecting (transfer/), so a URL the API accepts is the URL the transfer reads.
 */
export function parseSftpUrl(url: string): SftpUrlParts {
  const text = url.trim();
  if (!/^sftp:\/\//i.test(text)) throw urlError("must start with sftp://");
  const rest = text.slice("sftp://".length);
  if (/\s/.test(rest)) throw urlError("contains a space: percent-encode it as %20");
  if (/[?#]/.test(rest)) {
    throw urlError("has a ? or # in it: percent-encode them in the user name and password (%3F, %23)");
  }
  const slash = rest.indexOf("/");
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf("@");
  if (at <= 0) throw urlError("has no user name (sftp://user:password@host:22/path)");
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(":");
  const username = decode(colon === -1 ? userinfo : userinfo.slice(0, colon), "user name");
  if (username === "") throw urlError("has no user name (sftp://user:password@host:22/path)");
  const password = colon === -1 ? null : decode(userinfo.slice(colon + 1), "password");

  const address = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d*))?$/.exec(authority.slice(at + 1));
  const host = address ? (address[1] ?? address[2]) : "";
  if (!address || (address[2] !== undefined && !HOST.test(host))) {
    throw urlError("has no valid host (percent-encode : / @ in the user name and password)");
  }
  const port = address[3] ? Number(address[3]) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw urlError("has a port outside 1–65535");

  const path = decode(slash === -1 ? "" : rest.slice(slash), "path");
  const directory = path === "/~" ? "" : path.startsWith("/~/") ? path.slice(3) : path;
  return { host, port, username, password, directory };
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw urlError(`has a malformed percent-encoding in the ${what}`);
  }
}

function urlError(what: string): SftpUrlError {
  return new SftpUrlError(what);
}
