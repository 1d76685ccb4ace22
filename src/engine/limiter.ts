/**
 * Runs `act` over `items` with at most `total` running at once, and at most `perKey` for items that share a key
 * (a destination, an origin), so one slow destination cannot take every slot of a batch and a burst to one CRM stays
 * polite. Results come back in the order of `items`.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  limits: { total: number; perKey: number; keyOf: (item: T) => string },
  act: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const running = new Map<string, number>();
  const waiting = items.map((_, index) => index);
  let active = 0;
  return new Promise((resolve, reject) => {
    const next = () => {
      if (!waiting.length && !active) return resolve(results);
      for (let i = 0; i < waiting.length && active < limits.total; ) {
        const index = waiting[i];
        const key = limits.keyOf(items[index]);
        if ((running.get(key) ?? 0) >= limits.perKey) {
          i++;
          continue;
        }
        waiting.splice(i, 1);
        active += 1;
        running.set(key, (running.get(key) ?? 0) + 1);
        act(items[index]).then(
          (result) => {
            results[index] = result;
            active -= 1;
            running.set(key, (running.get(key) ?? 1) - 1);
            next();
          },
          (error) => reject(error),
        );
      }
    };
    next();
  });
}
