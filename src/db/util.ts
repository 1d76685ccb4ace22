/** D1 allows 100 bound parameters per statement: multi-row writes are chunked below that. */
export const MAX_PARAMS = 99;

/** A list bound as one JSON parameter (?1), so D1's 100 bound parameters never limit a batch: `WHERE id IN (${IDS})`. */
export const IDS = "SELECT value FROM json_each(?1)";

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function placeholders(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}

/** Opaque list cursors: the last id of the page, base64url so clients don't rely on its shape. */
export function encodeCursor(id: string): string {
  return btoa(id).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

export function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  try {
    const id = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    return /^[a-z]{3}_[0-9a-z]{26}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export function mapPage<T, U>(page: Page<T>, map: (row: T) => U): Page<U> {
  return { data: page.data.map(map), next_cursor: page.next_cursor };
}

/** A nullable JSON column's value: stored JSON is parsed here, in db/, and nowhere else. */
export function parseJsonColumn<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/** A JSON column's text; null stays NULL, and undefined (an update leaving the column as it is) stays undefined. */
export function jsonColumn<T>(value: T): string | Extract<T, null | undefined> {
  return (value == null ? value : JSON.stringify(value)) as string | Extract<T, null | undefined>;
}

/** Rows are fetched with limit + 1 so the presence of a next page is known without a count. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  return { data, next_cursor: rows.length > limit ? encodeCursor(data[data.length - 1].id) : null };
}

/** Builds `UPDATE table SET a = ?, b = ? WHERE id = ?` from the defined entries of `fields`. */
export function updateById(
  db: D1Database,
  table: string,
  id: string,
  fields: Record<string, unknown>,
): D1PreparedStatement {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
  const set = entries.map(([column]) => `${column} = ?`).join(", ");
  return db.prepare(`UPDATE ${table} SET ${set} WHERE id = ?`).bind(...entries.map(([, value]) => value), id);
}

/** A newest-first page of `table` filtered by simple equality conditions. */
export async function listNewestFirst<T extends { id: string }>(
  db: D1Database,
  table: string,
  filters: Record<string, string | number | undefined | null>,
  limit: number,
  cursor: string | undefined,
  extra: { where: string[]; params: unknown[] } = { where: [], params: [] },
): Promise<Page<T>> {
  const where = [...extra.where];
  const params: unknown[] = [...extra.params];
  for (const [column, value] of Object.entries(filters)) {
    if (value === undefined || value === null || value === "") continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  const after = decodeCursor(cursor);
  if (after) {
    where.push("id < ?");
    params.push(after);
  }
  const sql = `SELECT * FROM ${table}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
  const { results } = await db
    .prepare(sql)
    .bind(...params, limit + 1)
    .all<T>();
  return toPage(results, limit);
}
