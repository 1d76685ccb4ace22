/**
 * The message an `email` archive target sends: where to download the archive (a signed link, never the file) and
 * what is in it, so the reader can check the download (sha256) and knows when the link stops working. The same
 * facts in plain text and HTML; every value is escaped in the HTML, since subscriber and archive names are typed
 * by operators.
 */

export interface ArchiveEmailInfo {
  subscriberName: string;
  archiveName: string;
  periodStart: string;
  periodEnd: string;
  events: number;
  bytes: number;
  sha256: string;
  url: string;
  expiresAt: string;
  /** A partial export (the period so far): the instant it runs to, said in the subject and the facts. */
  partialUpTo?: string;
  /** The test message `POST …/archive-targets/{id}/test` sends. */
  test?: boolean;
  /** The target's own subject line, in place of the default. */
  subject?: string;
}

export interface EmailBody {
  subject: string;
  text: string;
  html: string;
}

export function archiveEmail(info: ArchiveEmailInfo): EmailBody {
  const subject = oneLine(
    `${info.test ? "[Test] " : ""}${info.subject ?? `Events archive for ${info.subscriberName}: ${info.periodStart} to ${info.periodEnd}`}${info.partialUpTo ? ` (so far, up to ${info.partialUpTo})` : ""}`,
  );
  const intro = info.test
    ? "This is a test message: the email archive target is set up and mail reaches you. The link below downloads a small test file."
    : `The events archive ${info.archiveName} is ready.`;
  const facts: Array<[string, string]> = [
    ["File", info.archiveName],
    ["Period", `${info.periodStart} to ${info.periodEnd}`],
    ...(info.partialUpTo
      ? [
          ["Partial", `events received up to ${info.partialUpTo}; the full period's archive follows when it ends`] as [
            string,
            string,
          ],
        ]
      : []),
    ["Events", count(info.events)],
    ["Size", size(info.bytes)],
    ["SHA-256", info.sha256],
    ["Link expires", info.expiresAt],
  ];
  const width = Math.max(...facts.map(([label]) => label.length)) + 2;
  // The link stands alone on its line, so no client runs it into the surrounding words.
  const text = [
    `Hello ${info.subscriberName},`,
    "",
    intro,
    "",
    ...facts.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`),
    "",
    "Download:",
    info.url,
    "",
    `The file is not attached. The link works until ${info.expiresAt}; compare the download's SHA-256 with the one above.`,
    "",
    "-- Syndic",
    "",
  ].join("\n");
  const rows = facts
    .map(
      ([label, value]) =>
        `<tr><th align="left">${escapeHtml(label)}</th><td><code>${escapeHtml(value)}</code></td></tr>`,
    )
    .join("\n");
  const html = `<!doctype html>
<html><body>
<p>Hello ${escapeHtml(info.subscriberName)},</p>
<p>${escapeHtml(intro)}</p>
<table cellpadding="4">
${rows}
</table>
<p><a href="${escapeHtml(info.url)}">Download ${escapeHtml(info.archiveName)}</a></p>
<p>Or copy this link: <code>${escapeHtml(info.url)}</code></p>
<p>The file is not attached. The link works until ${escapeHtml(info.expiresAt)}; compare the download's SHA-256 with the one above.</p>
<p>-- Syndic</p>
</body></html>
`;
  return { subject, text, html };
}

export interface TestEmailInfo {
  subscriberName: string;
  targetName: string;
  targetId: string;
  deliveryId: string;
  requestedAt: string;
  /** The target's own subject line, marked as a test. */
  subject?: string;
}

/**
 * What `POST …/archive-targets/{id}/test` sends to an email target: that mail reaches the recipients, and what an
 * archive's message will bring. It has no link: links open archives, and a test has none to open.
 */
export function testEmail(info: TestEmailInfo): EmailBody {
  const subject = oneLine(`[Test] ${info.subject ?? `Events archives for ${info.subscriberName}`}`);
  const paragraphs = [
    `Hello ${info.subscriberName},`,
    `This is a test message from Syndic, sent to the email archive target "${info.targetName}" (${info.targetId}) to check that mail sent there reaches you. There is nothing to download.`,
    "When an archive of your events is ready, a message like this one brings its download link (the file is never attached), with its period, event count, size, SHA-256 and when the link expires.",
    `File delivery: ${info.deliveryId}. Requested at: ${info.requestedAt}.`,
    "-- Syndic",
  ];
  const text = `${paragraphs.join("\n\n")}\n`;
  const html = `<!doctype html>
<html><body>
${paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`).join("\n")}
</body></html>
`;
  return { subject, text, html };
}

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A header value cannot hold a line break: a name with one would otherwise start a header of its own. */
function oneLine(value: string): string {
  return value.replace(/[\r\n\t]+/g, " ").trim();
}

function count(value: number): string {
  return value.toLocaleString("en-US");
}

function size(bytes: number): string {
  const units = ["KiB", "MiB", "GiB", "TiB"];
  if (bytes < 1024) return `${bytes} bytes`;
  let scaled = bytes;
  let unit = "bytes";
  for (const next of units) {
    if (scaled < 1024) break;
    scaled /= 1024;
    unit = next;
  }
  return `${scaled.toFixed(1)} ${unit} (${count(bytes)} bytes)`;
}
