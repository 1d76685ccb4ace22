/**
 * The few S3 XML documents an upload reads and writes. S3's answers are flat and machine-written, so the first
 * element of a name is enough; no XML parser is bundled into the Worker for them.
 */

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-f]+|#\d+);/gi, (whole, entity: string) => {
    if (entity[0] === "#") {
      const code =
        entity[1] === "x" || entity[1] === "X" ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The text of the first `<tag>` element, or null when there is none. */
export function xmlText(xml: string, tag: string): string | null {
  const match = new RegExp(`<${tag}(?:\\s[^>]*)?>([^<]*)</${tag}>`).exec(xml);
  return match ? unescapeXml(match[1]).trim() : null;
}

export interface S3ErrorDetail {
  code: string;
  message: string | null;
}

/** The `<Error><Code>…</Code><Message>…</Message></Error>` S3 answers with, or null when the body is not one. */
export function s3Error(xml: string): S3ErrorDetail | null {
  if (!/<Error[\s>]/.test(xml)) return null;
  const code = xmlText(xml, "Code");
  return code ? { code, message: xmlText(xml, "Message") } : null;
}

export interface UploadedPart {
  number: number;
  etag: string;
}

export function completeMultipartXml(parts: UploadedPart[]): string {
  const items = parts
    .map((part) => `<Part><PartNumber>${part.number}</PartNumber><ETag>${escapeXml(part.etag)}</ETag></Part>`)
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${items}</CompleteMultipartUpload>`;
}
