/**
 * Counts what one queue invocation costs: D1 calls (a statement's first/all/run/raw, or one batch), queue operations
 * (send or sendBatch) and messages sent, and AES-GCM decrypts. Logged once per invocation, so the bench and an
 * operator read the price of a batch from the log instead of guessing it.
 */
export interface Meter {
  d1_calls: number;
  queue_ops: number;
  queue_messages: number;
}

/** Decrypts in this isolate so far: concurrent invocations share it, so a delta is an upper bound for one. */
export const isolateCounters = { decrypts: 0 };

const COUNTED = new Set(["first", "all", "run", "raw"]);

/** The statements a metered database hands out are proxies; D1's batch is given its own objects back. */
const unwrapped = new WeakMap<object, D1PreparedStatement>();

function meterStatement(statement: D1PreparedStatement, meter: Meter): D1PreparedStatement {
  const proxy = new Proxy(statement, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (property === "bind") {
        return (...values: unknown[]) => meterStatement(target.bind(...values), meter);
      }
      if (COUNTED.has(property as string)) {
        return (...args: unknown[]) => {
          meter.d1_calls += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
  unwrapped.set(proxy, statement);
  return proxy;
}

function meterDatabase(db: D1Database, meter: Meter): D1Database {
  return new Proxy(db, {
    get(target, property) {
      if (property === "prepare") {
        return (sql: string) => meterStatement(target.prepare(sql), meter);
      }
      if (property === "batch") {
        return (statements: D1PreparedStatement[]) => {
          meter.d1_calls += 1;
          return target.batch(statements.map((statement) => unwrapped.get(statement) ?? statement));
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function meterQueue<T>(queue: Queue<T>, meter: Meter): Queue<T> {
  return new Proxy(queue, {
    get(target, property) {
      if (property === "send") {
        return (body: T, options?: QueueSendOptions) => {
          meter.queue_ops += 1;
          meter.queue_messages += 1;
          return target.send(body, options);
        };
      }
      if (property === "sendBatch") {
        return (messages: Iterable<MessageSendRequest<T>>, options?: QueueSendBatchOptions) => {
          const list = [...messages];
          meter.queue_ops += 1;
          meter.queue_messages += list.length;
          return target.sendBatch(list, options);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The same env with DB and every queue producer counted into `meter`. */
export function meteredEnv(env: Env): { env: Env; meter: Meter } {
  const meter: Meter = { d1_calls: 0, queue_ops: 0, queue_messages: 0 };
  const wrapped: Record<string, unknown> = { ...env, DB: meterDatabase(env.DB, meter) };
  for (const [name, binding] of Object.entries(env)) {
    if (name.endsWith("_QUEUE")) wrapped[name] = meterQueue(binding as Queue<unknown>, meter);
  }
  return { env: wrapped as unknown as Env, meter };
}
