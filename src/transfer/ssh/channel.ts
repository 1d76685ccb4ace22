import { TransferError } from "../types";
import { MSG } from "./messages";
import { asTransferError, type SshTransport } from "./transport";
import { SshReader, SshWriter } from "./wire";

/**
 * One session channel (RFC 4254 §5–6) carrying a subsystem: data out within the server's window and maximum
 * packet, data in with our own window kept open, and answers for what a server may ask at any time (keepalives,
 * exit-status). After setup `pump()` reads in the background; a failure reaches every waiter.
 */

const LOCAL_CHANNEL = 0;
/** SFTP answers are small (STATUS, HANDLE): a modest window and packet size suffice. */
const LOCAL_WINDOW = 1024 * 1024;
const LOCAL_MAX_PACKET = 32 * 1024;
const MAX_WINDOW = 0xffffffff;
/** RFC 4254 §5.1: a shortage of resources may pass; other refusals will not. */
const OPEN_RESOURCE_SHORTAGE = 4;

export class SessionChannel {
  private remoteChannel = 0;
  private remoteWindow = 0;
  private remoteMaxPacket = 0;
  private localWindow = LOCAL_WINDOW;
  private writing: Promise<void> = Promise.resolve();
  private windowWaiters: Array<{ resolve: () => void; reject: (error: TransferError) => void }> = [];
  private failure: TransferError | null = null;
  /** Receives the subsystem's bytes in order. */
  onData: (data: Uint8Array) => void = () => {};
  /** Told once when the channel or the connection ends, so pending requests fail instead of hanging. */
  onFailure: (error: TransferError) => void = () => {};

  private constructor(private readonly transport: SshTransport) {}

  /** Opens a session channel and starts `subsystem` on it (with a reply, RFC 4254 §6.5). */
  static async open(transport: SshTransport, subsystem: string): Promise<SessionChannel> {
    const channel = new SessionChannel(transport);
    await transport.send(
      new SshWriter()
        .byte(MSG.CHANNEL_OPEN)
        .string("session")
        .uint32(LOCAL_CHANNEL)
        .uint32(LOCAL_WINDOW)
        .uint32(LOCAL_MAX_PACKET)
        .finish(),
    );
    const opened = new SshReader(await channel.until(MSG.CHANNEL_OPEN_CONFIRMATION, MSG.CHANNEL_OPEN_FAILURE));
    if (opened.byte() === MSG.CHANNEL_OPEN_FAILURE) {
      opened.uint32();
      const reason = opened.uint32();
      const description = opened.remaining > 0 ? opened.text().slice(0, 200) : "";
      throw new TransferError(
        `the server refused a session channel (reason ${reason}${description ? `: ${description}` : ""})`,
        reason === OPEN_RESOURCE_SHORTAGE,
      );
    }
    opened.uint32();
    channel.remoteChannel = opened.uint32();
    channel.remoteWindow = opened.uint32();
    channel.remoteMaxPacket = opened.uint32();
    await transport.send(
      new SshWriter()
        .byte(MSG.CHANNEL_REQUEST)
        .uint32(channel.remoteChannel)
        .string("subsystem")
        .boolean(true)
        .string(subsystem)
        .finish(),
    );
    const started = await channel.until(MSG.CHANNEL_SUCCESS, MSG.CHANNEL_FAILURE);
    if (started[0] === MSG.CHANNEL_FAILURE) {
      throw new TransferError(`the server refused the ${subsystem} subsystem`, false);
    }
    return channel;
  }

  /** The largest data the server takes in one CHANNEL_DATA. */
  get maxPacket(): number {
    return this.remoteMaxPacket;
  }

  /** From now on, reads everything the server sends in the background. */
  pump(): void {
    this.until().catch((error) => this.fail(asTransferError(error)));
  }

  /** Writes in call order, each write whole before the next (SFTP packets must not interleave). */
  write(data: Uint8Array): Promise<void> {
    const step = this.writing.then(() => this.writeNow(data));
    this.writing = step.catch(() => {});
    return step;
  }

  /** Ends the channel from our side (RFC 4254 §5.3); the caller does not wait for the server's CLOSE. */
  async close(): Promise<void> {
    await this.transport.send(new SshWriter().byte(MSG.CHANNEL_EOF).uint32(this.remoteChannel).finish());
    await this.transport.send(new SshWriter().byte(MSG.CHANNEL_CLOSE).uint32(this.remoteChannel).finish());
  }

  private async writeNow(data: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      if (this.failure) throw this.failure;
      if (this.remoteWindow === 0) {
        await new Promise<void>((resolve, reject) => this.windowWaiters.push({ resolve, reject }));
        continue;
      }
      const size = Math.min(data.length - offset, this.remoteWindow, this.remoteMaxPacket);
      this.remoteWindow -= size;
      const message = new SshWriter().byte(MSG.CHANNEL_DATA).uint32(this.remoteChannel);
      await this.transport.send(message.string(data.subarray(offset, offset + size)).finish());
      offset += size;
    }
  }

  /** Reads until one of `types` arrives (with none, until the connection fails), handling the rest. */
  private async until(...types: number[]): Promise<Uint8Array> {
    for (;;) {
      const payload = await this.transport.receive();
      if (types.includes(payload[0])) return payload;
      await this.handle(payload);
    }
  }

  private async handle(payload: Uint8Array): Promise<void> {
    const reader = new SshReader(payload, "channel message");
    const type = reader.byte();
    switch (type) {
      case MSG.GLOBAL_REQUEST:
        return refuseGlobalRequest(this.transport, payload);
      case MSG.CHANNEL_OPEN: {
        reader.text();
        const theirs = reader.uint32();
        const refusal = new SshWriter().byte(MSG.CHANNEL_OPEN_FAILURE).uint32(theirs).uint32(1);
        return this.transport.send(refusal.string("this client opens no channels for the server").string("").finish());
      }
      case MSG.CHANNEL_WINDOW_ADJUST: {
        reader.uint32();
        this.remoteWindow = Math.min(MAX_WINDOW, this.remoteWindow + reader.uint32());
        for (const waiter of this.windowWaiters.splice(0)) waiter.resolve();
        return;
      }
      case MSG.CHANNEL_DATA:
      case MSG.CHANNEL_EXTENDED_DATA: {
        reader.uint32();
        if (type === MSG.CHANNEL_EXTENDED_DATA) reader.uint32();
        const data = reader.string();
        await this.consumeWindow(data.length);
        if (type === MSG.CHANNEL_DATA) this.onData(data);
        return;
      }
      case MSG.CHANNEL_EOF:
      case MSG.CHANNEL_CLOSE:
        return this.fail(new TransferError("the server closed the SFTP channel", true));
      case MSG.CHANNEL_REQUEST: {
        reader.uint32();
        reader.text();
        if (reader.boolean()) {
          await this.transport.send(new SshWriter().byte(MSG.CHANNEL_FAILURE).uint32(this.remoteChannel).finish());
        }
        return;
      }
      default:
        // Replies to nothing we asked (a late CHANNEL_SUCCESS) and extensions we do not speak: nothing to do.
        return;
    }
  }

  private async consumeWindow(bytes: number): Promise<void> {
    this.localWindow -= bytes;
    if (this.localWindow >= LOCAL_WINDOW / 2) return;
    const adjust = LOCAL_WINDOW - Math.max(0, this.localWindow);
    this.localWindow = LOCAL_WINDOW;
    await this.transport.send(
      new SshWriter().byte(MSG.CHANNEL_WINDOW_ADJUST).uint32(this.remoteChannel).uint32(adjust).finish(),
    );
  }

  private fail(error: TransferError): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiter of this.windowWaiters.splice(0)) waiter.reject(error);
    this.onFailure(error);
  }
}

/** RFC 4254 §4: a global request this client does not know (OpenSSH's keepalive, hostkeys-00) gets a failure. */
export async function refuseGlobalRequest(transport: SshTransport, payload: Uint8Array): Promise<void> {
  const reader = new SshReader(payload, "GLOBAL_REQUEST");
  reader.byte();
  reader.text();
  if (reader.boolean()) await transport.send(Uint8Array.of(MSG.REQUEST_FAILURE));
}
