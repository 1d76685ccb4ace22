import { ExactReader } from "../exact-reader";
import type { SftpTarget } from "../sftp";
import { type OutgoingFile, TransferError, type TransferLimits } from "../types";
import { ConnectionLost } from "./byte-source";
import { SessionChannel } from "./channel";
import { parseHostKey } from "./host-key";
import { SftpSession } from "./sftp-session";
import { asTransferError, type Duplex, SshTransport } from "./transport";
import { parseUserKey } from "./user-key";
import { type Credential, login } from "./userauth";

/**
 * One SFTP upload from connect to goodbye: the file goes to a hidden temporary name beside its final one and is
 * renamed only once the server has acknowledged every byte and the close. Two clocks run: `connectTimeoutMs` until
 * login succeeds, `transferTimeoutMs` for the whole; either closes the socket and fails with the step it was on.
 */

export interface Connection extends Duplex {
  opened: Promise<unknown>;
  close(): Promise<void> | void;
}

export type Dial = (host: string, port: number) => Connection;

/** Writes awaiting their STATUS at once, as OpenSSH's sftp client: its server's 2 MiB window at 32 KiB each. */
const MAX_WRITES_IN_FLIGHT = 64;
/** How long the goodbye may take once the file is in place: the upload has succeeded whatever happens after. */
const GOODBYE_MS = 1000;

export async function uploadFile(
  dial: Dial,
  target: SftpTarget,
  file: OutgoingFile,
  limits: TransferLimits,
): Promise<{ path: string; bytes: number }> {
  let connection: Connection | null = null;
  const watchdog = new Watchdog(limits);
  try {
    const hostKey = parseHostKey(target.hostKey);
    const credential = credentialOf(target);
    const paths = remotePaths(target.directory, file.name);
    return await watchdog.run(async () => {
      const opened = await connectTo(dial, target, (made) => {
        connection = made;
      });
      const transport = await SshTransport.start(opened, hostKey, watchdog.step);
      watchdog.step("logging in");
      await login(transport, target.username, credential);
      watchdog.connected();
      watchdog.step("starting the SFTP subsystem");
      const channel = await SessionChannel.open(transport, "sftp");
      const sftp = await SftpSession.start(channel);
      const bytes = await sendFile(sftp, file, paths.temporary, watchdog);
      watchdog.step(`renaming ${paths.temporary} to ${paths.final}`);
      await replace(sftp, paths.temporary, paths.final);
      await within(
        GOODBYE_MS,
        channel.close().then(() => transport.disconnect()),
      );
      return { path: paths.final, bytes };
    });
  } catch (error) {
    const failure = asTransferError(error);
    const when = failure instanceof ConnectionLost ? ` while ${watchdog.doing}` : "";
    throw new TransferError(`SFTP ${target.host}:${target.port}: ${failure.message}${when}`, failure.retryable);
  } finally {
    try {
      await (connection as Connection | null)?.close();
    } catch {
      // Already closed by the other side: nothing left to release.
    }
  }
}

/** TCP, with the runtime's refusal (sync or async) said as a connect failure; `made` gets the socket to close. */
async function connectTo(dial: Dial, target: SftpTarget, made: (connection: Connection) => void): Promise<Connection> {
  try {
    const connection = dial(target.host, target.port);
    made(connection);
    await connection.opened;
    return connection;
  } catch (error) {
    throw new TransferError(`could not connect (${asTransferError(error).message})`, true);
  }
}

/** The final path and the temporary one beside it (hidden, so pickup globs like `*.zip` skip it). */
export function remotePaths(directory: string, name: string): { temporary: string; final: string } {
  if (name === "" || name === "." || name === ".." || name.includes("/")) {
    throw new TransferError(`the file name ${JSON.stringify(name)} cannot be used as a remote file name`, false);
  }
  const trimmed = directory.replace(/\/+$/, "");
  const prefix = directory === "" ? "" : trimmed === "" ? "/" : `${trimmed}/`;
  return { temporary: `${prefix}.${name}.part`, final: `${prefix}${name}` };
}

function credentialOf(target: SftpTarget): Credential {
  if (target.privateKey) return { key: parseUserKey(target.privateKey) };
  if (target.password !== null) return { password: target.password };
  throw new TransferError("the SFTP target has neither a password nor a private key", false);
}

async function sendFile(sftp: SftpSession, file: OutgoingFile, path: string, watchdog: Watchdog): Promise<number> {
  watchdog.step(`opening ${path}`);
  const handle = await sftp.open(path);
  watchdog.step(`writing ${path}`);
  const source = new ExactReader(await file.open(), watchdog.signal);
  const size = sftp.chunkSize(handle);
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  let offset = 0;
  try {
    for (;;) {
      while (inFlight.size >= MAX_WRITES_IN_FLIGHT && !failure) await Promise.race(inFlight);
      if (failure) throw failure;
      const chunk = await source.read(size);
      if (chunk.length === 0) break;
      const written: Promise<void> = sftp.write(handle, offset, chunk, path).then(
        () => void inFlight.delete(written),
        (error) => {
          failure ??= error;
          inFlight.delete(written);
        },
      );
      inFlight.add(written);
      offset += chunk.length;
    }
  } finally {
    await source.close();
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  if (offset !== file.size) {
    throw new TransferError(`the file gave ${offset} bytes where ${file.size} were expected; not renamed`, true);
  }
  watchdog.step(`closing ${path}`);
  await sftp.close(handle, path);
  return offset;
}

/** SFTP v3's RENAME refuses an existing target: without posix-rename, the old file is removed first. */
async function replace(sftp: SftpSession, temporary: string, final: string): Promise<void> {
  if (!sftp.atomicRename) {
    await sftp.remove(final).catch((error) => {
      if (!(error instanceof TransferError) || error.retryable) throw error;
      // Not there (the usual case) or not removable: the rename below says which.
    });
  }
  await sftp.rename(temporary, final);
}

class Watchdog {
  private current = "connecting";
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private transferTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly aborter = new AbortController();
  readonly signal = this.aborter.signal;

  constructor(private readonly limits: TransferLimits) {}

  get doing(): string {
    return this.current;
  }

  /** Names what the upload is doing now, for the timeout message. */
  step = (what: string): void => {
    this.current = what;
  };

  run<T>(operation: () => Promise<T>): Promise<T> {
    const { connectTimeoutMs, transferTimeoutMs } = this.limits;
    const expired = new Promise<never>((_, reject) => {
      const expire = (clock: string, ms: number) => () => {
        reject(new TransferError(`${clock} timed out after ${ms} ms (${this.current})`, true));
        this.aborter.abort();
      };
      this.connectTimer = setTimeout(expire("connecting", connectTimeoutMs), connectTimeoutMs);
      this.transferTimer = setTimeout(expire("the transfer", transferTimeoutMs), transferTimeoutMs);
    });
    return Promise.race([operation(), expired]).finally(() => {
      clearTimeout(this.connectTimer);
      clearTimeout(this.transferTimer);
    });
  }

  /** Logged in: from here only the transfer clock runs. */
  connected(): void {
    clearTimeout(this.connectTimer);
  }
}

async function within(ms: number, promise: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([promise.catch(() => {}), elapsed]);
  clearTimeout(timer);
}
