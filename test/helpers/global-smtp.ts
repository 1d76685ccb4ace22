import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import type { TestProject } from "vitest/node";

/** SMTP servers on loopback for the email tests, and the mailbox where what they received can be read. */
export interface SmtpFixture {
  /** Requires AUTH (PLAIN or LOGIN) as `user`/`password`; the URL has them percent-encoded. */
  authUrl: string;
  user: string;
  password: string;
  /** The same account, offering AUTH LOGIN only. */
  loginUrl: string;
  /** Takes mail without AUTH. */
  plainUrl: string;
  /** A port nothing listens on. */
  closedUrl: string;
  /** Accepts the connection and closes it at once, before any greeting. */
  dropUrl: string;
  /** Accepts the connection and never says a word. */
  stallUrl: string;
  /** `GET /messages` and `GET /logins` on this HTTP server. */
  mailbox: string;
}

/** A message as received, parsed back by mailparser. */
export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  user: string | null;
  from: string;
  to: string;
  subject: string;
  messageId: string | null;
  text: string;
  html: string;
  /** The message as it went over the wire (headers and encoded body), to check transfer encodings. */
  raw: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    smtp: SmtpFixture;
  }
}

const USER = "archive-mailer";
const PASSWORD = "p@ss:w/rd% ü";

/** Recipients whose local part says how the server answers RCPT TO. */
const TEMPORARY_FAILURE = /^busy-/;
const PERMANENT_FAILURE = /^unknown-/;

export default async function setup(project: TestProject) {
  const received: ReceivedMail[] = [];
  const logins: Array<{ username: string; ok: boolean }> = [];

  const common: SMTPServerOptions = {
    logger: false,
    // Teardown should not wait 30 s for a connection a failed test left open.
    closeTimeout: 1_000,
    // No certificate workerd would trust exists on loopback, so neither server offers STARTTLS.
    disabledCommands: ["STARTTLS"],
    onRcptTo(address, _session, callback) {
      const local = address.address.split("@")[0];
      if (TEMPORARY_FAILURE.test(local)) return callback(smtpError("mailbox busy, try again later", 451));
      if (PERMANENT_FAILURE.test(local)) return callback(smtpError("no such mailbox", 550));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (mail) => {
            received.push({
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
                to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              },
              user: (session.user as string | undefined) ?? null,
              from: mail.from?.text ?? "",
              to: Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(", ") : (mail.to?.text ?? ""),
              subject: mail.subject ?? "",
              messageId: mail.messageId ?? null,
              text: mail.text ?? "",
              html: typeof mail.html === "string" ? mail.html : "",
              raw: raw.toString("utf8"),
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  };

  const authenticated: SMTPServerOptions = {
    ...common,
    // Loopback only: the tests cannot do TLS, so AUTH goes in the clear here.
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      const ok = auth.username === USER && auth.password === PASSWORD;
      logins.push({ username: auth.username ?? "", ok });
      if (!ok) return callback(smtpError("Invalid username or password", 535));
      callback(null, { user: auth.username });
    },
  };
  const withAuth = new SMTPServer({ ...authenticated, authMethods: ["PLAIN", "LOGIN"] });
  const withLogin = new SMTPServer({ ...authenticated, authMethods: ["LOGIN"] });
  const withoutAuth = new SMTPServer({ ...common, authOptional: true, disabledCommands: ["STARTTLS", "AUTH"] });

  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };
  const drop = createTcpServer((socket) => socket.destroy());
  const stall = createTcpServer(track);

  const mailbox = createHttpServer((req, res) => {
    const body = req.url === "/messages" ? received : req.url === "/logins" ? logins : null;
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(body ?? { error: "unknown path" }));
  });

  const authPort = await listen(withAuth.server);
  const loginPort = await listen(withLogin.server);
  const plainPort = await listen(withoutAuth.server);
  const dropPort = await listen(drop);
  const stallPort = await listen(stall);
  const mailboxPort = await listen(mailbox);
  const closedPort = await freePort();

  const credentials = `${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}`;
  project.provide("smtp", {
    authUrl: `smtp://${credentials}@127.0.0.1:${authPort}`,
    loginUrl: `smtp://${credentials}@127.0.0.1:${loginPort}`,
    user: USER,
    password: PASSWORD,
    plainUrl: `smtp://127.0.0.1:${plainPort}`,
    closedUrl: `smtp://127.0.0.1:${closedPort}`,
    dropUrl: `smtp://127.0.0.1:${dropPort}`,
    stallUrl: `smtp://127.0.0.1:${stallPort}`,
    mailbox: `http://127.0.0.1:${mailboxPort}`,
  });

  return async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all([
      new Promise<void>((resolve) => withAuth.close(() => resolve())),
      new Promise<void>((resolve) => withLogin.close(() => resolve())),
      new Promise<void>((resolve) => withoutAuth.close(() => resolve())),
      close(drop),
      close(stall),
      close(mailbox),
    ]);
  };
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

function listen(server: Server | import("node:http").Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}

function close(server: Server | import("node:http").Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port that was free a moment ago: listened on, then closed. */
async function freePort(): Promise<number> {
  const probe = createTcpServer();
  const port = await listen(probe);
  await close(probe);
  return port;
}
