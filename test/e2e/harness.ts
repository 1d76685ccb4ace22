// Shared by the end-to-end tests: the relay process, a free loopback port, and an admin client for a running relay.
// The tsconfig types the Workers runtime, not Node, and scripts/relay-process.mjs has no declarations: both are
// loaded untyped here and given the few shapes the tests use.
export interface Relay {
  url: string;
  child: { exitCode: number | null; signalCode: string | null };
  kill(signal?: string): void;
  stop(): Promise<void>;
  cron(expression: string): Promise<void>;
  output(): string;
}
interface RelayProcess {
  ROOT: string;
  startRelay(options: { port?: number; persistTo?: string; vars?: Record<string, string> }): Promise<Relay>;
  waitFor(check: () => unknown, timeoutMs: number, intervalMs?: number): Promise<true>;
}
const load = (specifier: string): Promise<any> => import(/* @vite-ignore */ specifier);
export const { ROOT, startRelay, waitFor } = (await load("../../scripts/relay-process.mjs")) as RelayProcess;
export const { rmSync } = (await load("node:fs")) as {
  rmSync(path: string, options: { recursive: boolean; force: boolean }): void;
};
const { createServer } = (await load("node:net")) as {
  createServer(): {
    listen(port: number, host: string, done: () => void): void;
    address(): { port: number };
    close(done: () => void): void;
  };
};

export const ADMIN_TOKEN = "dev-admin-token";
export const SWEEP_CRON = "*/2 * * * *";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise<void>((resolve) => server.close(resolve));
  return port;
}

/** A fresh local state directory under .wrangler/, removed by the test when it is done. */
export const statePath = () => `${ROOT}/.wrangler/e2e-${crypto.randomUUID().slice(0, 8)}`;

/** Admin calls against whichever relay `current()` returns (the crash test replaces it mid-test). */
export function adminClient(current: () => Relay) {
  async function api<T = any>(method: string, path: string, body?: unknown, token = ADMIN_TOKEN) {
    const res = await fetch(`${current().url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      // A relay that stopped answering fails the test instead of hanging it.
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  async function create<T = any>(path: string, body: unknown): Promise<T> {
    const res = await api<T>("POST", path, body);
    if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Every admin-listed delivery matching `query` (pages of 100). */
  async function listAll(query: string): Promise<Array<{ id: string; event_id: string; status: string }>> {
    const out = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: any[]; next_cursor: string | null } } = await api(
        "GET",
        `/v1/admin/deliveries?limit=100&${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      out.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor);
    return out;
  }

  return { api, create, listAll };
}
