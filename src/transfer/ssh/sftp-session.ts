import { TransferError } from "../types";
import type { SessionChannel } from "./channel";
import {
  closePacket,
  decodeReply,
  decodeVersion,
  initPacket,
  openPacket,
  POSIX_RENAME,
  posixRenamePacket,
  removePacket,
  renamePacket,
  SFTP,
  SFTP_VERSION,
  SftpFramer,
  type SftpReply,
  STATUS,
  writeOverhead,
  writePacket,
} from "./sftp-packets";

/**
 * An SFTP v3 client on a session channel: requests carry ids, answers come back in any order and settle the
 * request with that id, and a channel failure fails every request still waiting.
 */

const STATUS_TEXT: Record<number, string> = {
  [STATUS.EOF]: "end of file",
  [STATUS.NO_SUCH_FILE]: "no such file or directory",
  [STATUS.PERMISSION_DENIED]: "permission denied",
  [STATUS.FAILURE]: "failure",
  [STATUS.BAD_MESSAGE]: "bad message",
  [STATUS.NO_CONNECTION]: "no connection",
  [STATUS.CONNECTION_LOST]: "connection lost",
  [STATUS.OP_UNSUPPORTED]: "operation unsupported",
};

/** A path that is not there or not ours, a request the server cannot parse or does not do: trying again won't help. */
const DEFINITE = new Set<number>([
  STATUS.NO_SUCH_FILE,
  STATUS.PERMISSION_DENIED,
  STATUS.BAD_MESSAGE,
  STATUS.OP_UNSUPPORTED,
]);

export class SftpStatusError extends TransferError {
  constructor(
    readonly code: number,
    operation: string,
    path: string,
    serverMessage: string,
  ) {
    const text = STATUS_TEXT[code] ?? `status ${code}`;
    const repeats = text.includes(serverMessage.toLowerCase());
    const said = serverMessage && !repeats ? ` (${serverMessage.slice(0, 200)})` : "";
    super(`${operation} ${path}: ${text}${said}`, !DEFINITE.has(code));
  }
}

/** The most data one WRITE carries: every server takes packets of 34,000 bytes (draft-02 §3), few take more. */
const MAX_WRITE = 32 * 1024;

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (error: TransferError) => void;
}

export class SftpSession {
  private readonly framer = new SftpFramer();
  private readonly pending = new Map<number, Pending<SftpReply>>();
  private version: Pending<void> | null = null;
  private nextId = 1;
  private failure: TransferError | null = null;
  extensions = new Map<string, string>();

  private constructor(private readonly channel: SessionChannel) {}

  static async start(channel: SessionChannel): Promise<SftpSession> {
    const session = new SftpSession(channel);
    channel.onData = (data) => session.receive(data);
    channel.onFailure = (error) => session.fail(error);
    const versioned = new Promise<void>((resolve, reject) => {
      session.version = { resolve, reject };
    });
    versioned.catch(() => {});
    channel.pump();
    await channel.write(initPacket());
    await versioned;
    return session;
  }

  /** Posix-rename when the server offers it (it replaces the target atomically); plain RENAME otherwise. */
  get atomicRename(): boolean {
    return this.extensions.get(POSIX_RENAME) === "1";
  }

  /** WRITE data sized so each request fits one channel packet when the server's packets allow it. */
  chunkSize(handle: Uint8Array): number {
    const fits = this.channel.maxPacket - writeOverhead(handle);
    return fits >= 1024 ? Math.min(MAX_WRITE, fits) : MAX_WRITE;
  }

  async open(path: string): Promise<Uint8Array> {
    const reply = await this.request((id) => openPacket(id, path));
    if (reply.type === SFTP.HANDLE && reply.handle) return reply.handle;
    throw answerError(reply, "open", path);
  }

  async write(handle: Uint8Array, offset: number, data: Uint8Array, path: string): Promise<void> {
    expectOk(await this.request((id) => writePacket(id, handle, offset, data)), "write", path);
  }

  async close(handle: Uint8Array, path: string): Promise<void> {
    expectOk(await this.request((id) => closePacket(id, handle)), "close", path);
  }

  async remove(path: string): Promise<void> {
    expectOk(await this.request((id) => removePacket(id, path)), "remove", path);
  }

  async rename(from: string, to: string): Promise<void> {
    const encode = this.atomicRename ? posixRenamePacket : renamePacket;
    expectOk(await this.request((id) => encode(id, from, to)), "rename", `${from} to ${to}`);
  }

  private async request(encode: (id: number) => Uint8Array): Promise<SftpReply> {
    if (this.failure) throw this.failure;
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0 || 1;
    const answered = new Promise<SftpReply>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    // A failure while the request is still being written rejects `answered` before anyone awaits it.
    answered.catch(() => {});
    try {
      await this.channel.write(encode(id));
    } catch (error) {
      this.pending.delete(id);
      throw error;
    }
    return answered;
  }

  private receive(data: Uint8Array): void {
    if (this.failure) return;
    try {
      for (const body of this.framer.push(data)) {
        if (this.version) {
          const { version, extensions } = decodeVersion(body);
          if (version !== SFTP_VERSION) {
            throw new TransferError(`the server speaks SFTP version ${version}, not ${SFTP_VERSION}`, false);
          }
          this.extensions = extensions;
          this.version.resolve();
          this.version = null;
          continue;
        }
        const reply = decodeReply(body);
        const waiter = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        waiter?.resolve(reply);
      }
    } catch (error) {
      this.fail(error instanceof TransferError ? error : new TransferError(String(error), false));
    }
  }

  private fail(error: TransferError): void {
    if (this.failure) return;
    this.failure = error;
    this.version?.reject(error);
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

function answerError(reply: SftpReply, operation: string, path: string): TransferError {
  if (reply.type === SFTP.STATUS) return new SftpStatusError(reply.code, operation, path, reply.message);
  return new TransferError(`${operation} ${path}: the server answered with SFTP packet type ${reply.type}`, false);
}

function expectOk(reply: SftpReply, operation: string, path: string): void {
  if (reply.type !== SFTP.STATUS || reply.code !== STATUS.OK) throw answerError(reply, operation, path);
}
