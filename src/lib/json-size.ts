/** The UTF-8 length of a string, counted without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    // Each half of a surrogate pair adds one to its own unit: four bytes for the pair.
    bytes += code < 0x800 || (code >= 0xd800 && code <= 0xdfff) ? 1 : 2;
  }
  return bytes;
}

/**
 * Whether `JSON.stringify(value)` would be longer than `limit` characters, decided without building it and stopping
 * as soon as the count passes the limit, so a runaway value costs at most `limit` steps to refuse. Escapes are not
 * counted, which makes it a lower bound: a value it lets through is measured exactly once stringified.
 */
export function jsonLongerThan(value: unknown, limit: number): boolean {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const item = stack.pop();
    if (typeof item === "string") size += item.length + 2;
    else if (typeof item === "number") size += String(item).length;
    else if (typeof item === "boolean") size += item ? 4 : 5;
    else if (item === null || item === undefined || typeof item === "function") size += 4;
    else if (Array.isArray(item)) {
      size += 2 + Math.max(0, item.length - 1);
      for (const child of item) stack.push(child);
    } else if (typeof item === "object") {
      size += 2;
      for (const key in item) {
        size += key.length + 4;
        stack.push((item as Record<string, unknown>)[key]);
        if (size > limit) return true;
      }
    }
    if (size > limit) return true;
  }
  return false;
}
