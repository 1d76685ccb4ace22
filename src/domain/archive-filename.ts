/**
 * `archive.filename`: a template naming the per-type data files inside an archive's zip, e.g.
 * `{type}-{period_start}_{generated_at}.json`. Parsed here (pure, no I/O) so a subscriber's save is refused with the
 * reason and the build renders exactly what was accepted.
 *
 * Rules, all checked when the subscriber is saved:
 * - placeholders are `{type}`, `{period_start}`, `{period_end}` and `{generated_at}`; any other `{…}`, or a lone
 *   brace, is refused;
 * - the literal text may only hold what a rendered value may hold ([A-Za-z0-9_.-]), so no `/`, backslash or `..`
 *   path can take a file out of the archive or into a folder, and it may not start with a dot (no hidden files);
 * - `{type}` is required unless the format is `files` (whose files are `{type}/{event id}.json` and ignore the
 *   template): every file of an archive shares the other values, so `{type}` is what keeps two types from writing
 *   one file name, and requiring it is plainer than a suffix the subscriber did not ask for.
 */

export const FILENAME_PLACEHOLDERS = ["type", "period_start", "period_end", "generated_at"] as const;
export type FilenamePlaceholder = (typeof FILENAME_PLACEHOLDERS)[number];

export type FilenamePart = { text: string } | { placeholder: FilenamePlaceholder };

export const MAX_FILENAME_TEMPLATE = 200;
const LITERAL = /^[A-Za-z0-9_.-]*$/;
const TOKEN = /\{([^{}]*)\}/g;

const isPlaceholder = (name: string): name is FilenamePlaceholder =>
  (FILENAME_PLACEHOLDERS as readonly string[]).includes(name);

/** The template's parts in order, or the reason it is refused. */
export function parseFilenameTemplate(template: string): { parts: FilenamePart[] } | { error: string } {
  if (!template) return { error: "must not be empty" };
  if (template.length > MAX_FILENAME_TEMPLATE) return { error: `must be at most ${MAX_FILENAME_TEMPLATE} characters` };
  const parts: FilenamePart[] = [];
  let at = 0;
  const literal = (text: string): string | null => {
    if (/[{}]/.test(text)) return "braces are only for placeholders such as {type}";
    if (!LITERAL.test(text)) return "may only contain letters, digits, '_', '.' and '-' besides placeholders";
    if (text) parts.push({ text });
    return null;
  };
  for (const match of template.matchAll(TOKEN)) {
    const refused = literal(template.slice(at, match.index));
    if (refused) return { error: refused };
    const name = match[1];
    if (!isPlaceholder(name)) {
      return { error: `unknown placeholder {${name}}: use ${FILENAME_PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}` };
    }
    parts.push({ placeholder: name });
    at = match.index + match[0].length;
  }
  const refused = literal(template.slice(at));
  if (refused) return { error: refused };
  const first = parts[0];
  if (first && "text" in first && first.text.startsWith(".")) return { error: "must not start with a dot" };
  return { parts };
}

/** Why `template` cannot name the data files of `format`, or null when it can. */
export function filenameTemplateProblem(template: string, format: string): string | null {
  const parsed = parseFilenameTemplate(template);
  if ("error" in parsed) return parsed.error;
  const hasType = parsed.parts.some((part) => "placeholder" in part && part.placeholder === "type");
  if (!hasType && format !== "files") return "must contain {type}: an archive has one file per event type";
  return null;
}

/**
 * Whether the template names its own extension: a dot in the text after its last placeholder (`{type}.txt`). A dot
 * inside a value (`user.updated`, a date) does not count, so `{type}` alone still gets the format's extension.
 */
export function hasOwnExtension(parts: readonly FilenamePart[]): boolean {
  const last = parts.at(-1);
  return last !== undefined && "text" in last && last.text.includes(".");
}
