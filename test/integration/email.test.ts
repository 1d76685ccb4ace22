import { describe, expect, inject, it } from "vitest";
import { archiveEmail, type EmailMessage, sendEmail } from "../../src/transfer/email";
import { eventually, unique } from "../helpers/api";
import type { ReceivedMail } from "../helpers/global-smtp";
import { transferFailure } from "../helpers/transfer-failure";

const smtp = inject("smtp");
const limits = { connectTimeoutMs: 5_000, transferTimeoutMs: 15_000 };

// Long and full of characters that quoted-printable and HTML treat specially: it must arrive byte for byte.
const LINK =
  "https://relay.example/v1/archives/arc_01JQ7Z8X9Y/download?expires=1773619200&subscriber=sub_01JQ7Z8X9Y&" +
  "sig=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVkcGx1Z2h4eXp6eQ%3D%3D&name=weekly%20events.zip";

function archiveMessage(to: string[], test = false): EmailMessage {
  const body = archiveEmail({
    subscriberName: "Acme Learning",
    archiveName: "sub_acme-2026-03-02.zip",
    periodStart: "2026-03-02T00:00:00Z",
    periodEnd: "2026-03-09T00:00:00Z",
    events: 48213,
    bytes: 7_340_032,
    sha256: "4f0b8fbd2c35b4d1c9a0e8f7d6c5b4a3928170f6e5d4c3b2a1908f7e6d5c4b3a",
    url: LINK,
    expiresAt: "2026-03-16T00:00:00Z",
    test,
  });
  return { from: "Syndic Archives <archives@relay.example>", to, ...body };
}

async function mailTo(address: string): Promise<ReceivedMail> {
  return eventually(async () => {
    const res = await fetch(`${smtp.mailbox}/messages`);
    const all = await res.json<ReceivedMail[]>();
    return all.find((mail) => mail.envelope.to.includes(address));
  }, 10_000);
}

describe("email over SMTP", () => {
  it("logs in and delivers the archive email, parsed back intact", async () => {
    const first = `${unique("ops")}@subscriber.example`;
    const second = `${unique("data")}@subscriber.example`;
    const message = archiveMessage([first, second]);
    const result = await sendEmail({ smtpUrl: smtp.authUrl }, message, limits);
    expect(result.messageId).toMatch(/^<[^<>@]+@relay\.example>$/);

    const mail = await mailTo(first);
    expect(mail.envelope).toEqual({ from: "archives@relay.example", to: [first, second] });
    expect(mail.user).toBe(smtp.user);
    expect(mail.messageId).toBe(result.messageId);
    expect(mail.from).toBe('"Syndic Archives" <archives@relay.example>');
    expect(mail.to).toBe(`${first}, ${second}`);
    expect(mail.subject).toBe(message.subject);

    for (const body of [mail.text, mail.html]) {
      expect(body).toContain("2026-03-02T00:00:00Z to 2026-03-09T00:00:00Z");
      expect(body).toContain("48,213");
      expect(body).toContain("7.0 MiB (7,340,032 bytes)");
      expect(body).toContain("4f0b8fbd2c35b4d1c9a0e8f7d6c5b4a3928170f6e5d4c3b2a1908f7e6d5c4b3a");
      expect(body).toContain("2026-03-16T00:00:00Z");
    }
    // The link survives the transfer encoding: whole in the text, and as the href once HTML-unescaped.
    expect(mail.text.split(/\r?\n/)).toContain(LINK);
    const href = /<a href="([^"]+)"/.exec(mail.html)?.[1];
    expect(href?.replace(/&amp;/g, "&")).toBe(LINK);
    // On the wire: quoted-printable, no line over SMTP's 998 limit (and none over 78 in the bodies).
    expect(mail.raw).toMatch(/Content-Transfer-Encoding: quoted-printable/i);
    for (const line of mail.raw.split("\r\n")) expect(line.length).toBeLessThanOrEqual(998);
  });

  it("logs in with AUTH LOGIN when the server offers only that", async () => {
    const to = `${unique("login")}@subscriber.example`;
    await sendEmail({ smtpUrl: smtp.loginUrl }, archiveMessage([to]), limits);
    const mail = await mailTo(to);
    expect(mail.user).toBe(smtp.user);
    expect(mail.text.split(/\r?\n/)).toContain(LINK);
  });

  it("delivers through a server that asks for no login", async () => {
    const to = `${unique("plain")}@subscriber.example`;
    await sendEmail({ smtpUrl: smtp.plainUrl }, archiveMessage([to], true), limits);
    const mail = await mailTo(to);
    expect(mail.user).toBeNull();
    expect(mail.subject.startsWith("[Test] ")).toBe(true);
    expect(mail.text.split(/\r?\n/)).toContain(LINK);
  });

  it("records a refused password as not retryable, naming the step and not the password", async () => {
    const user = unique("intruder");
    const url = `smtp://${user}:${encodeURIComponent("hunter2-wrong")}@${new URL(smtp.authUrl.replace("smtp:", "http:")).host}`;
    const error = await transferFailure(
      sendEmail({ smtpUrl: url }, archiveMessage(["ops@subscriber.example"]), limits),
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/login/i);
    expect(error.message).toContain("535");
    expect(error.message).not.toContain("hunter2");
    const logins = await (await fetch(`${smtp.mailbox}/logins`)).json<Array<{ username: string; ok: boolean }>>();
    expect(logins).toContainEqual({ username: user, ok: false });
  });

  it("retries a temporary refusal of a recipient, and not a permanent one", async () => {
    const busy = await transferFailure(
      sendEmail({ smtpUrl: smtp.authUrl }, archiveMessage([`busy-${unique()}@subscriber.example`]), limits),
    );
    expect(busy.retryable).toBe(true);
    expect(busy.message).toMatch(/RCPT TO/);
    expect(busy.message).toContain("451");
    const unknown = await transferFailure(
      sendEmail({ smtpUrl: smtp.authUrl }, archiveMessage([`unknown-${unique()}@subscriber.example`]), limits),
    );
    expect(unknown.retryable).toBe(false);
    expect(unknown.message).toContain("550");
  });

  it("retries a server that is not listening", async () => {
    const error = await transferFailure(
      sendEmail({ smtpUrl: smtp.closedUrl }, archiveMessage(["ops@subscriber.example"]), limits),
    );
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/connect/i);
  });

  it("retries a server that drops the connection before greeting", async () => {
    const error = await transferFailure(
      sendEmail({ smtpUrl: smtp.dropUrl }, archiveMessage(["ops@subscriber.example"]), limits),
    );
    expect(error.retryable).toBe(true);
  });

  it("gives up on a server that never greets at the connect limit", async () => {
    const started = Date.now();
    const error = await transferFailure(
      sendEmail({ smtpUrl: smtp.stallUrl }, archiveMessage(["ops@subscriber.example"]), {
        connectTimeoutMs: 500,
        transferTimeoutMs: 5_000,
      }),
    );
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/500 ms/);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("refuses a malformed recipient before connecting", async () => {
    const error = await transferFailure(
      sendEmail(
        { smtpUrl: smtp.closedUrl },
        archiveMessage(["ops@subscriber.example>\r\nRCPT TO:<x@evil.example"]),
        limits,
      ),
    );
    expect(error.retryable).toBe(false);
  });
});

describe("email through the send_email binding", () => {
  it("hands the binding the message and returns its id", async () => {
    const sent: unknown[] = [];
    const binding = {
      async send(message: unknown) {
        sent.push(message);
        return { messageId: "<binding-1@relay.example>" };
      },
    } as unknown as SendEmail;
    const message = archiveMessage(["ops@subscriber.example"]);
    const result = await sendEmail({ binding }, message, limits);
    expect(result.messageId).toBe("<binding-1@relay.example>");
    expect(sent).toEqual([
      {
        from: { name: "Syndic Archives", email: "archives@relay.example" },
        to: ["ops@subscriber.example"],
        subject: message.subject,
        text: message.text,
        html: message.html,
      },
    ]);
  });
});
