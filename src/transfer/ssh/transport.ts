import { x25519 } from "@noble/curves/ed25519.js";
import { equalBytes } from "@noble/curves/utils.js";
import { TransferError } from "../types";
import { ByteSource, ConnectionLost } from "./byte-source";
import { fingerprint, type PinnedHostKey, verifySignature } from "./host-key";
import { clientKexInit, decodeKexInit, deriveKeys, encodeKexInit, exchangeHash, type KexInit, negotiate } from "./kex";
import { DISCONNECT_BY_APPLICATION, MSG } from "./messages";
import { PacketReader, PacketWriter } from "./packets";
import { protect } from "./protection";
import { malformed, SshReader, SshWriter, unsignedBigInt } from "./wire";

/**
 * The SSH transport layer (RFC 4253) over any byte stream pair: version lines, key exchange (and the server's
 * re-exchanges later on), and payloads in and out. Connection-layer code sees only `send` and `receive`.
 */

export const CLIENT_VERSION = "SSH-2.0-Syndic_0.1";

/** RFC 4253 §4.2 lets a server print lines before its version; a bounded number of them. */
const MAX_PRELUDE_LINES = 50;
const MAX_LINE_BYTES = 1024;

export interface Duplex {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

export class SshTransport {
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly source: ByteSource;
  private readonly packetsOut = new PacketWriter();
  private readonly packetsIn: PacketReader;
  private sending: Promise<void> = Promise.resolve();
  /** Set while keys are being exchanged: connection-layer packets wait for it (RFC 4253 §7.1). */
  private exchanging: Promise<void> | null = null;
  private failure: TransferError | null = null;
  private strict = false;
  private serverVersion = "";
  sessionId: Uint8Array = new Uint8Array(0);

  private constructor(
    duplex: Duplex,
    private readonly hostKey: PinnedHostKey,
  ) {
    this.writer = duplex.writable.getWriter();
    const reader = duplex.readable.getReader();
    this.source = new ByteSource(async () => {
      try {
        const { value, done } = await reader.read();
        return done ? null : value;
      } catch (error) {
        throw lost(error);
      }
    });
    this.packetsIn = new PacketReader(this.source);
  }

  /** Version exchange and the first key exchange; `progress` names each step for timeout messages. */
  static async start(
    duplex: Duplex,
    hostKey: PinnedHostKey,
    progress: (step: string) => void = () => {},
  ): Promise<SshTransport> {
    const transport = new SshTransport(duplex, hostKey);
    progress("waiting for the server's SSH version");
    await transport.write(new TextEncoder().encode(`${CLIENT_VERSION}\r\n`));
    transport.serverVersion = await readServerVersion(transport.source);
    progress("exchanging keys");
    await transport.exchangeKeys(null);
    return transport;
  }

  /** Sends a connection-layer payload, after any key exchange in progress. */
  async send(payload: Uint8Array): Promise<void> {
    while (this.exchanging) await this.exchanging;
    return this.enqueue(payload);
  }

  /** The next connection-layer payload; transport messages (re-exchange, ignore, debug) are handled here. */
  async receive(): Promise<Uint8Array> {
    if (this.failure) throw this.failure;
    try {
      for (;;) {
        const payload = await this.packetsIn.next();
        switch (payload[0]) {
          case MSG.KEXINIT:
            await this.exchangeKeys(payload);
            break;
          case MSG.DISCONNECT:
            throw disconnected(payload);
          case MSG.IGNORE:
          case MSG.DEBUG:
          case MSG.UNIMPLEMENTED:
          case MSG.EXT_INFO:
            break;
          default:
            return payload;
        }
      }
    } catch (error) {
      this.failure ??= asTransferError(error);
      throw this.failure;
    }
  }

  /** Says goodbye (RFC 4253 §11.1); the caller closes the socket whatever happens here. */
  async disconnect(): Promise<void> {
    const goodbye = new SshWriter().byte(MSG.DISCONNECT).uint32(DISCONNECT_BY_APPLICATION).string("done").string("");
    await this.enqueue(goodbye.finish());
  }

  private write(bytes: Uint8Array): Promise<void> {
    return this.writer.write(bytes).catch((error) => {
      throw lost(error);
    });
  }

  /** Seals and writes in call order (sequence numbers follow it); `sealed` runs right after this packet is sealed. */
  private enqueue(payload: Uint8Array, sealed?: () => void): Promise<void> {
    const step = this.sending.then(async () => {
      if (this.failure) throw this.failure;
      const packet = await this.packetsOut.seal(payload);
      sealed?.();
      await this.write(packet);
    });
    this.sending = step.catch((error) => {
      this.failure ??= asTransferError(error);
    });
    return step;
  }

  /** One curve25519-sha256 exchange (RFC 8731); `serverInit` is the server's KEXINIT when it started a re-exchange. */
  private async exchangeKeys(serverInit: Uint8Array | null): Promise<void> {
    let finished = () => {};
    this.exchanging = new Promise((resolve) => {
      finished = resolve;
    });
    const initial = this.sessionId.length === 0;
    try {
      const ours: KexInit = clientKexInit(initial);
      const clientInitPayload = encodeKexInit(ours, crypto.getRandomValues(new Uint8Array(16)));
      await this.enqueue(clientInitPayload);
      const serverInitPayload = serverInit ?? (await this.expect(MSG.KEXINIT, initial));
      const negotiated = negotiate(ours, decodeKexInit(serverInitPayload));
      if (initial) {
        this.strict = negotiated.strict;
        // Strict kex: the server's KEXINIT must have been its very first packet.
        if (this.strict && this.packetsIn.sequence !== 1) throw strictViolation();
      }

      const secret = x25519.utils.randomSecretKey();
      const clientPublic = x25519.getPublicKey(secret);
      await this.enqueue(new SshWriter().byte(MSG.KEX_ECDH_INIT).string(clientPublic).finish());
      const reply = new SshReader(await this.expect(MSG.KEX_ECDH_REPLY, initial), "KEX_ECDH_REPLY");
      reply.byte();
      const hostKeyBlob = reply.string();
      const serverPublic = reply.string();
      const signature = reply.string();
      if (!equalBytes(hostKeyBlob, this.hostKey.blob)) {
        throw new TransferError(
          `host key mismatch: pinned ${this.hostKey.fingerprint}, the server offered ${fingerprint(hostKeyBlob)}`,
          false,
        );
      }
      if (serverPublic.length !== 32) throw malformed("KEX_ECDH_REPLY (server key)");
      const shared = sharedSecret(secret, serverPublic);
      const hash = exchangeHash({
        clientVersion: CLIENT_VERSION,
        serverVersion: this.serverVersion,
        clientKexInit: clientInitPayload,
        serverKexInit: serverInitPayload,
        hostKeyBlob,
        clientPublic,
        serverPublic,
        sharedSecret: shared,
      });
      if (!verifySignature(this.hostKey.publicKey, signature, hash)) {
        throw new TransferError("the server's key exchange signature does not verify with the pinned host key", false);
      }
      if (initial) this.sessionId = hash;
      const keys = deriveKeys(shared, hash, this.sessionId, negotiated);
      const out = negotiated.clientToServer;
      const back = negotiated.serverToClient;
      const outgoing = await protect(out.cipher, out.mac, keys.clientToServer);
      const incoming = await protect(back.cipher, back.mac, keys.serverToClient);

      await this.enqueue(Uint8Array.of(MSG.NEWKEYS), () => {
        this.packetsOut.protection = outgoing;
        if (this.strict) this.packetsOut.sequence = 0;
      });
      await this.expect(MSG.NEWKEYS, initial);
      this.packetsIn.protection = incoming;
      if (this.strict) this.packetsIn.sequence = 0;
    } finally {
      this.exchanging = null;
      finished();
    }
  }

  /** The next packet during a key exchange, which must be `type` (strict kex tolerates nothing else at first). */
  private async expect(type: number, initial: boolean): Promise<Uint8Array> {
    for (;;) {
      const payload = await this.packetsIn.next();
      if (payload[0] === type) return payload;
      if (payload[0] === MSG.DISCONNECT) throw disconnected(payload);
      const harmless = payload[0] === MSG.IGNORE || payload[0] === MSG.DEBUG;
      if (harmless && !(initial && this.strict)) continue;
      if (initial && this.strict) throw strictViolation();
      throw new TransferError(`the server sent message ${payload[0]} during key exchange`, false);
    }
  }
}

async function readServerVersion(source: ByteSource): Promise<string> {
  for (let i = 0; i < MAX_PRELUDE_LINES; i++) {
    let line: string;
    try {
      line = await source.line(MAX_LINE_BYTES);
    } catch (error) {
      if (error instanceof TransferError && error.retryable) {
        throw new TransferError("the server closed the connection before sending an SSH version line", true);
      }
      throw error;
    }
    if (!line.startsWith("SSH-")) continue;
    if (line.startsWith("SSH-2.0-") || line.startsWith("SSH-1.99-")) return line;
    throw new TransferError(`the server speaks ${line.slice(0, 40)}, not SSH 2.0`, false);
  }
  throw new TransferError("the server sent no SSH version line (is this an SSH port?)", false);
}

/** X25519, refusing the all-zero result a low-order server key gives (RFC 8731 §3). */
function sharedSecret(secret: Uint8Array, serverPublic: Uint8Array): bigint {
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(secret, serverPublic);
  } catch {
    throw new TransferError("the server's key exchange value is not a valid X25519 key", false);
  }
  const value = unsignedBigInt(shared);
  if (value === 0n) throw new TransferError("the server's key exchange value gives an all-zero secret", false);
  return value;
}

function disconnected(payload: Uint8Array): TransferError {
  const reader = new SshReader(payload, "DISCONNECT");
  reader.byte();
  const code = reader.uint32();
  const description = reader.remaining > 0 ? reader.text().slice(0, 200) : "";
  return new TransferError(`the server disconnected (reason ${code}${description ? `: ${description}` : ""})`, true);
}

function strictViolation(): TransferError {
  return new TransferError(
    "the server broke strict key exchange (an unexpected packet during the first exchange)",
    false,
  );
}

function lost(error: unknown): TransferError {
  if (error instanceof TransferError) return error;
  const detail = error instanceof Error ? `: ${error.message}` : "";
  return new ConnectionLost(`the connection was lost${detail}`);
}

export function asTransferError(error: unknown): TransferError {
  if (error instanceof TransferError) return error;
  return new TransferError(error instanceof Error ? error.message : String(error), true);
}
