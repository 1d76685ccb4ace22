import { connect } from "cloudflare:sockets";
import { ipInCidrs, parseIp } from "../lib/cidr";
import { toBase64, utf8 } from "../lib/encoding";
import { untilAborted } from "./deadline";
import type { SmtpServer } from "./smtp-url";
import { TransferError, type TransferLimits } from "./types";

/**
 * The SMTP conversation for one message over `cloudflare:sockets`: greeting, EHLO, STARTTLS when offered,
 * AUTH PLAIN or LOGIN, MAIL, RCPT, DATA, QUIT (RFC 5321, 3207, 4954, 4616).
 *
 * Written here rather than taken from worker-mailer (which composes the message, see email.ts): its reply loop
 * treats a closed connection as "no data yet" and spins, so a server that hangs up mid-reply pins the isolate's
 * CPU and no timeout can fire; and it encodes credentials as Latin-1 where AUTH PLAIN wants UTF-8.
 *
 * Every wait ends at the transfer's deadline; each reply must also come within the connect limit, except the one
 * after the message body (the server may scan it). A 4xx reply, a refused or dropped connection and a timeout are
 * worth another try; a 5xx reply (a refused login included) is not.
 */

export interface SmtpEnvelope {
  from: string;
  to: string[];
  /** The message, dot-stuffed and ending in CRLF.CRLF. */
  data: string;
}

/** What a server may send before a reply ends; more is not an SMTP server. */
const REPLY_LIMIT = 64 * 1024;

export async function smtpSend(server: SmtpServer, envelope: SmtpEnvelope, limits: TransferLimits): Promise<void> {
  const deadline = AbortSignal.timeout(limits.transferTimeoutMs);
  const session = await SmtpSession.open(server, limits, deadline);
  try {
    await session.expect("greeting", null, 2);
    let capabilities = await session.hello(domainOf(envelope.from));
    if (!server.secure && capabilities.has("STARTTLS")) {
      await session.expect("STARTTLS", "STARTTLS", 2);
      session.upgrade();
      capabilities = await session.hello(domainOf(envelope.from));
    }
    if (server.username !== null) await session.login(server, capabilities);
    await session.expect("MAIL FROM", `MAIL FROM:<${envelope.from}>`, 2);
    for (const to of envelope.to) await session.expect(`RCPT TO <${to}>`, `RCPT TO:<${to}>`, 2);
    await session.expect("DATA", "DATA", 3);
    await session.send(envelope.data);
    await session.expect("message body", null, 2, { patient: true });
    await session.quit();
  } finally {
    session.close();
  }
}

interface Reply {
  code: number;
  lines: string[];
}

class SmtpSession {
  private socket: Socket;
  private reader: ReadableStreamDefaultReader<Uint8Array>;
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private buffered = "";
  private readonly decoder = new TextDecoder();
  private encrypted: boolean;

  private constructor(
    socket: Socket,
    private readonly server: SmtpServer,
    private readonly limits: TransferLimits,
    private readonly deadline: AbortSignal,
  ) {
    this.socket = socket;
    this.reader = socket.readable.getReader();
    this.writer = socket.writable.getWriter();
    this.encrypted = server.secure;
  }

  static async open(server: SmtpServer, limits: TransferLimits, deadline: AbortSignal): Promise<SmtpSession> {
    const where = `${server.host}:${server.port}`;
    let socket: Socket;
    try {
      socket = connect(
        { hostname: server.host, port: server.port },
        { secureTransport: server.secure ? "on" : "starttls", allowHalfOpen: false },
      );
    } catch (error) {
      throw new TransferError(`SMTP connect to ${where} failed: ${(error as Error).message}`, true);
    }
    socket.closed.catch(() => {});
    const session = new SmtpSession(socket, server, limits, deadline);
    try {
      await untilAborted(socket.opened, session.stepSignal(false));
    } catch (error) {
      session.close();
      throw session.failure("connect", error, `SMTP connect to ${where} failed`);
    }
    return session;
  }

  /** EHLO, or HELO from a server too old for it; the capabilities it names (upper case keywords and their args). */
  async hello(domain: string): Promise<Map<string, string>> {
    await this.write(`EHLO ${domain}\r\n`);
    const reply = await this.reply("EHLO");
    if (reply.code === 500 || reply.code === 502) {
      await this.expect("HELO", `HELO ${domain}`, 2);
      return new Map();
    }
    if (Math.floor(reply.code / 100) !== 2) throw refused("EHLO", reply);
    const capabilities = new Map<string, string>();
    for (const line of reply.lines.slice(1)) {
      // `AUTH=LOGIN PLAIN` is the pre-RFC 4954 spelling some servers still send beside `AUTH LOGIN PLAIN`.
      const [keyword, ...args] = line
        .trim()
        .toUpperCase()
        .split(/[\s=]+/);
      capabilities.set(keyword, [capabilities.get(keyword), ...args].filter(Boolean).join(" "));
    }
    return capabilities;
  }

  /** After a 220 to STARTTLS: the same socket, now TLS, verified against the host name in the URL. */
  upgrade(): void {
    // Anything the server sent past its 220 arrived in the clear: an attacker's injected commands (CVE-2011-0411).
    if (this.buffered) throw new TransferError("SMTP STARTTLS: the server sent data before the TLS handshake", false);
    this.reader.releaseLock();
    this.writer.releaseLock();
    this.socket = this.socket.startTls();
    this.socket.closed.catch(() => {});
    this.reader = this.socket.readable.getReader();
    this.writer = this.socket.writable.getWriter();
    this.encrypted = true;
  }

  async login(server: SmtpServer, capabilities: Map<string, string>): Promise<void> {
    const mechanisms = capabilities.get("AUTH");
    if (mechanisms === undefined) {
      throw new TransferError("SMTP login: the server offers no AUTH, so the URL's credentials cannot be used", false);
    }
    // Loopback is exempt so tests and a local relay can log in without a certificate.
    if (!this.encrypted && !isLoopback(server.host)) {
      throw new TransferError(
        "SMTP login: the server offers no STARTTLS; the password is not sent in the clear (use smtps:// or a server with STARTTLS)",
        false,
      );
    }
    const username = server.username ?? "";
    const password = server.password ?? "";
    const offered = mechanisms.split(" ");
    if (offered.includes("PLAIN")) {
      await this.expect("login (AUTH PLAIN)", `AUTH PLAIN ${base64(`\u0000${username}\u0000${password}`)}`, 2);
    } else if (offered.includes("LOGIN")) {
      await this.expect("login (AUTH LOGIN)", "AUTH LOGIN", 3);
      await this.expect("login (AUTH LOGIN user name)", base64(username), 3);
      await this.expect("login (AUTH LOGIN password)", base64(password), 2);
    } else {
      throw new TransferError(`SMTP login: the server offers AUTH ${mechanisms}, but neither PLAIN nor LOGIN`, false);
    }
  }

  /** Sends `command` (unless null) and wants a reply of class `want` (2: done, 3: go on). */
  async expect(step: string, command: string | null, want: 2 | 3, options: { patient?: boolean } = {}): Promise<Reply> {
    if (command !== null) await this.write(`${command}\r\n`);
    const reply = await this.reply(step, options.patient);
    if (Math.floor(reply.code / 100) !== want) throw refused(step, reply);
    return reply;
  }

  async send(data: string): Promise<void> {
    await this.write(data);
  }

  /** Polite, not required: the message is already accepted. */
  async quit(): Promise<void> {
    await this.write("QUIT\r\n").catch(() => {});
  }

  close(): void {
    this.socket.close().catch(() => {});
  }

  private async write(text: string): Promise<void> {
    try {
      await untilAborted(this.writer.write(utf8.encode(text)), this.deadline);
    } catch (error) {
      throw this.failure("write", error, "SMTP: the connection broke while sending");
    }
  }

  /** One reply, single or multi-line (`250-…` lines then `250 …`). */
  private async reply(step: string, patient = false): Promise<Reply> {
    const lines: string[] = [];
    let size = 0;
    for (;;) {
      const end = this.buffered.indexOf("\n");
      if (end === -1) {
        if (size + this.buffered.length > REPLY_LIMIT) {
          throw new TransferError(`SMTP ${step}: the server's reply is over ${REPLY_LIMIT} bytes`, false);
        }
        await this.fill(step, patient);
        continue;
      }
      const line = this.buffered.slice(0, end).replace(/\r$/, "");
      this.buffered = this.buffered.slice(end + 1);
      const match = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (!match)
        throw new TransferError(`SMTP ${step}: not an SMTP reply: ${JSON.stringify(line.slice(0, 100))}`, false);
      lines.push(match[3]);
      size += line.length;
      if (match[2] !== "-") return { code: Number(match[1]), lines };
    }
  }

  private async fill(step: string, patient: boolean): Promise<void> {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await untilAborted(this.reader.read(), this.stepSignal(patient));
    } catch (error) {
      throw this.failure(step, error, `SMTP ${step}: the connection broke`);
    }
    if (chunk.done) throw new TransferError(`SMTP ${step}: the server closed the connection`, true);
    this.buffered += this.decoder.decode(chunk.value, { stream: true });
  }

  private stepSignal(patient: boolean): AbortSignal {
    return patient
      ? this.deadline
      : AbortSignal.any([this.deadline, AbortSignal.timeout(this.limits.connectTimeoutMs)]);
  }

  private failure(step: string, error: unknown, prefix: string): TransferError {
    if (error instanceof TransferError) return error;
    if (this.deadline.aborted) {
      return new TransferError(
        `SMTP ${step}: the email took longer than the transfer limit of ${this.limits.transferTimeoutMs} ms`,
        true,
      );
    }
    if ((error as Error).name === "TimeoutError") {
      return new TransferError(
        `SMTP ${step}: no answer from ${this.server.host}:${this.server.port} within ${this.limits.connectTimeoutMs} ms`,
        true,
      );
    }
    return new TransferError(`${prefix}: ${(error as Error).message}`, true);
  }
}

function refused(step: string, reply: Reply): TransferError {
  const text = reply.lines.join(" ").trim().slice(0, 300);
  return new TransferError(`SMTP ${step} refused: ${reply.code} ${text}`, Math.floor(reply.code / 100) === 4);
}

function base64(text: string): string {
  return toBase64(utf8.encode(text));
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1) || "localhost";
}

function isLoopback(host: string): boolean {
  return host === "localhost" || (parseIp(host) !== null && ipInCidrs(host, ["127.0.0.0/8", "::1/128"]));
}
