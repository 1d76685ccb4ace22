import { Email } from "worker-mailer";
import { smtpSend } from "./smtp";
import { type MailAddress, parseMailAddress, parseSmtpUrl } from "./smtp-url";
import { TransferError, type TransferLimits } from "./types";

export { archiveEmail, type EmailBody, testEmail } from "./archive-email";

export interface EmailMessage {
  /** `addr@host` or `Name <addr@host>`. */
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

export type EmailTransport = { smtpUrl: string } | { binding: SendEmail };

/**
 * Sends through Cloudflare's `send_email` binding when one is configured, else over SMTP from an `smtp://` or
 * `smtps://` URL. Addresses are checked before anything connects, so a malformed one cannot smuggle an SMTP command.
 */
export async function sendEmail(
  transport: EmailTransport,
  message: EmailMessage,
  limits: TransferLimits,
): Promise<{ messageId: string | null }> {
  const from = parseMailAddress(message.from);
  const to = message.to.map(parseMailAddress);
  if (to.length === 0) throw new TransferError("the email has no recipients", false);
  const subject = message.subject.replace(/[\r\n]+/g, " ");
  const mail = { from, to, subject, text: message.text, html: message.html };
  if ("binding" in transport) return viaBinding(transport.binding, mail, limits);
  return viaSmtp(transport.smtpUrl, mail, limits);
}

interface Mail {
  from: MailAddress;
  to: MailAddress[];
  subject: string;
  text: string;
  html: string;
}

async function viaBinding(binding: SendEmail, mail: Mail, limits: TransferLimits) {
  try {
    const result = await withDeadline(
      binding.send({
        from: mail.from.name ? { name: mail.from.name, email: mail.from.email } : mail.from.email,
        to: mail.to.map((address) => address.email),
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
      }),
      limits.transferTimeoutMs,
    );
    return { messageId: result.messageId ?? null };
  } catch (error) {
    if (error instanceof TransferError) throw error;
    // The binding does not say which failures are lasting; the target's retry policy bounds the attempts.
    throw new TransferError(`the send_email binding refused the message: ${(error as Error).message}`, true);
  }
}

/**
 * worker-mailer composes the message (MIME multipart/alternative, quoted-printable bodies, RFC 2047 headers,
 * dot-stuffing); smtp.ts holds the conversation (see there why not worker-mailer's).
 */
async function viaSmtp(smtpUrl: string, mail: Mail, limits: TransferLimits) {
  const server = parseSmtpUrl(smtpUrl);
  const messageId = `<${crypto.randomUUID()}@${mail.from.email.split("@")[1]}>`;
  const data = new Email({
    from: user(mail.from),
    to: mail.to.map(user),
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    headers: { "Message-ID": messageId },
  }).getEmailData();
  await smtpSend(server, { from: mail.from.email, to: mail.to.map((address) => address.email), data }, limits);
  return { messageId };
}

function user(address: MailAddress): { name?: string; email: string } {
  return address.name ? { name: address.name, email: address.email } : { email: address.email };
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TransferError(`the email took longer than the transfer limit of ${ms} ms`, true)),
      ms,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
