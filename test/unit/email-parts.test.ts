import { describe, expect, it } from "vitest";
import { archiveEmail } from "../../src/transfer/archive-email";
import { parseMailAddress, parseSmtpUrl } from "../../src/transfer/smtp-url";
import { TransferError } from "../../src/transfer/types";

const info = {
  subscriberName: 'Acme <Learning> & "Co"',
  archiveName: "sub_1-2026-03-02.zip",
  periodStart: "2026-03-02T00:00:00Z",
  periodEnd: "2026-03-09T00:00:00Z",
  events: 1234567,
  bytes: 12_582_912,
  sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  url: "https://relay.example/v1/archives/arc_1/download?token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcmNfMSJ9.sig&x=<y>",
  expiresAt: "2026-03-16T00:00:00Z",
};

describe("archiveEmail", () => {
  it("states the period, counts, size, sha256 and expiry in text, with the link alone on a line", () => {
    const { subject, text } = archiveEmail(info);
    expect(subject).toBe('Events archive for Acme <Learning> & "Co": 2026-03-02T00:00:00Z to 2026-03-09T00:00:00Z');
    expect(text).toContain("2026-03-02T00:00:00Z to 2026-03-09T00:00:00Z");
    expect(text).toContain("1,234,567");
    expect(text).toContain("12.0 MiB (12,582,912 bytes)");
    expect(text).toContain(info.sha256);
    expect(text).toContain(info.expiresAt);
    expect(text.split("\n")).toContain(info.url);
  });

  it("says when an archive is a partial export of the period so far", () => {
    const { subject, text, html } = archiveEmail({ ...info, partialUpTo: "2026-03-04T14:30:05.000Z" });
    expect(subject).toBe(
      'Events archive for Acme <Learning> & "Co": 2026-03-02T00:00:00Z to 2026-03-09T00:00:00Z (so far, up to 2026-03-04T14:30:05.000Z)',
    );
    expect(text).toMatch(
      /Partial: +events received up to 2026-03-04T14:30:05\.000Z; the full period's archive follows/,
    );
    expect(html).toContain("events received up to 2026-03-04T14:30:05.000Z");
    expect(archiveEmail(info).text).not.toContain("Partial");
  });

  it("escapes every value in the HTML, the link included", () => {
    const { html } = archiveEmail({ ...info, archiveName: "<script>alert(1)</script>.zip" });
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;.zip");
    expect(html).toContain("Acme &lt;Learning&gt; &amp; &quot;Co&quot;");
    expect(html).toContain(`href="${info.url.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}"`);
    expect(html).toContain("1,234,567");
    expect(html).toContain(info.sha256);
  });

  it("keeps line breaks out of the subject and marks a test", () => {
    const { subject, text } = archiveEmail({ ...info, subscriberName: "Evil\r\nBcc: victim@example.com", test: true });
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject.startsWith("[Test] ")).toBe(true);
    expect(text).toContain("test message");
  });

  it("writes small sizes in bytes", () => {
    expect(archiveEmail({ ...info, bytes: 512 }).text).toContain("512 bytes");
    expect(archiveEmail({ ...info, bytes: 1536 }).text).toContain("1.5 KiB (1,536 bytes)");
  });
});

describe("parseSmtpUrl", () => {
  it("decodes percent-encoded credentials and picks default ports", () => {
    expect(parseSmtpUrl("smtp://user%40example.com:p%40ss%3Aw%2Frd@mail.example:2525")).toEqual({
      host: "mail.example",
      port: 2525,
      secure: false,
      username: "user@example.com",
      password: "p@ss:w/rd",
    });
    expect(parseSmtpUrl("smtp://mail.example")).toMatchObject({
      port: 587,
      secure: false,
      username: null,
      password: null,
    });
    expect(parseSmtpUrl("smtps://u:p@mail.example")).toMatchObject({
      port: 465,
      secure: true,
      username: "u",
      password: "p",
    });
    expect(parseSmtpUrl("smtp://u@[::1]:25")).toMatchObject({ host: "::1", username: "u", password: "" });
  });

  it("refuses other URLs without repeating them (they hold a password)", () => {
    for (const bad of [
      "https://u:secret@mail.example",
      "not a url secret",
      "smtp://u:secret@mail.example/path",
      "smtp://u:%E0%A4%A@h",
    ]) {
      let error: unknown;
      try {
        parseSmtpUrl(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(TransferError);
      expect((error as TransferError).retryable).toBe(false);
      expect((error as TransferError).message).not.toContain("secret");
    }
  });
});

describe("parseMailAddress", () => {
  it("reads bare and named addresses", () => {
    expect(parseMailAddress("ops@example.com")).toEqual({ name: null, email: "ops@example.com" });
    expect(parseMailAddress("Syndic Archives <archives@relay.example>")).toEqual({
      name: "Syndic Archives",
      email: "archives@relay.example",
    });
    expect(parseMailAddress('"Ops, Team" <ops@example.com>')).toEqual({ name: "Ops, Team", email: "ops@example.com" });
  });

  it("refuses what would break or extend an SMTP command", () => {
    for (const bad of ["ops@example.com>\r\nRCPT TO:<x@y>", "no-at-sign", "a b@example.com", "<>", "x@y\r\nDATA"]) {
      expect(() => parseMailAddress(bad), bad).toThrow(TransferError);
    }
  });
});
