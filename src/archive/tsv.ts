import type { Dialect } from "./csv";

/**
 * TSV as the UBX toolkit and bulk loaders read it: tab-separated, `\n` line ends, UTF-8 without BOM, no quoting. A
 * field cannot hold a tab or a line end (IANA text/tab-separated-values), so a value spells them as PostgreSQL COPY
 * text does: backslash `\\`, tab `\t`, newline `\n`, carriage return `\r`. Header, columns, cells and overflow are
 * the CSV file's (CsvRows with TSV_DIALECT).
 */

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPED = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

export function tsvField(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, (char) => ESCAPES[char]) : value;
}

/** Backslash, tab, CR and LF are all escapes in JSON text: a plain JSON string never needs tsvField. */
export const TSV_DIALECT: Dialect = { name: "tsv", separator: "\t", lineEnd: "\n", field: tsvField, plainSpecials: "" };
