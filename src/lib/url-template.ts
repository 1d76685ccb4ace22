import { RelayError } from "./errors";

/**
 * URL templates filled with ids that come from outside: `{id}` in a source's fetch URL (from a notify call) and
 * `{remote_id}` in an identity's update URL (from a CRM's answer). The id is percent-encoded, but that alone is not
 * enough: the WHATWG URL parser that fetch uses treats `.`, `..`, `%2e` and `%2E%2E` alike as dot segments, so an
 * id of `..` would turn `/api/profiles/{id}` into `/api/` and fetch the origin's parent resource with the stored
 * credentials. Dot-segment ids are refused, and the filled URL must keep the template's origin and the static path
 * before the first placeholder.
 */

/** Not worth retrying: the same id fills the same template the same way. */
export class TemplateError extends RelayError {
  override name = "TemplateError";
  constructor(message: string) {
    super(message, false);
  }
}

/** True for ids that would be read as a path segment of their own: `.`, `..` and their percent-encoded forms. */
export function isDotSegment(value: string): boolean {
  return /^(?:\.|%2e){1,2}$/i.test(value);
}

/** The part of a template before its first `{placeholder}`: what a filled URL must still start with. */
function staticPrefix(template: string): string {
  const at = template.search(/\{[a-z_]+\}/);
  return at < 0 ? template : template.slice(0, at);
}

/**
 * The template with `{name}` replaced by the encoded value, or a TemplateError saying why the value cannot go
 * there. Checked where the URL is used, so nothing stored earlier can route a request elsewhere.
 */
export function fillTemplate(template: string, name: string, value: string): string {
  if (isDotSegment(value))
    throw new TemplateError(`the ${name} "${value}" is a dot segment and cannot name a resource`);
  const filled = template.replaceAll(`{${name}}`, encodeURIComponent(value));
  let target: URL;
  let expected: URL;
  try {
    target = new URL(filled);
    expected = new URL(staticPrefix(template));
  } catch {
    throw new TemplateError(`the ${name} "${value}" does not make a valid URL of ${template}`);
  }
  const prefix = expected.pathname;
  if (target.origin !== expected.origin || !target.pathname.startsWith(prefix)) {
    throw new TemplateError(`the ${name} "${value}" would move the request outside ${staticPrefix(template)}`);
  }
  return target.toString();
}
