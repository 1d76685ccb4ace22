// End to end: `npm start` killed hard (SIGKILL of its whole process group, as a crashed terminal or supervisor
// does) takes its relay with it: no wrangler or workerd is left answering on the port, so `npm start` binds it again
// and, with the sweeper, delivers every event that got a 202. And `npm start` on a port that something else holds
// exits at once, saying so.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sink, startSink } from "../../scripts/sink.mjs";
import { adminClient, freePort, type Relay, ROOT, rmSync, SWEEP_CRON, statePath, waitFor } from "./harness";

interface Child {
  pid: number;
  exitCode: number | null;
  signalCode: string | null;
  stdout: { on(event: "data", listener: (chunk: { toString(): string }) => void): void };
  stderr: { on(event: "data", listener: (chunk: { toString(): string }) => void): void };
}
const load = (specifier: string): Promise<any> => import(/* @vite-ignore */ specifier);
const { spawn } = (await load("node:child_process")) as {
  spawn(command: string, args: string[], options: Record<string, unknown>): Child;
};
const { readdirSync, readFileSync } = (await load("node:fs")) as {
  readdirSync(path: string): string[];
  readFileSync(path: string, encoding: "utf8"): string;
};
const { env, kill } = (await load("node:process")) as {
  env: Record<string, string | undefined>;
  kill(pid: number, signal: string): void;
};
const { createServer } = (await load("node:net")) as {
  createServer(): {
    once(event: "error", listener: (error: Error) => void): void;
    listen(port: number, host: string, done: () => void): void;
    close(done?: () => void): void;
  };
};

const EVENTS = 300;
/** The sink holds each answer this long (under the destination's 2 s timeout): pushes stay in flight. */
const SINK_DELAY_MS = 500;

/** `npm start` in a process group of its own, as a terminal runs it, with its output kept. */
function npmStart(port: number, persistTo: string) {
  const child = spawn(
    "npm",
    ["start", "--", "--port", String(port), "--persist-to", persistTo, "--var", "SWEEP_GRACE_SECONDS:3"],
    { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...env } },
  );
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk) => {
    output += chunk.toString();
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    exited,
    output: () => output,
    killGroup: () => signal(-child.pid, "SIGKILL"),
    async up() {
      await waitFor(() => {
        if (exited()) throw new Error(`npm start exited:\n${output}`);
        return /Syndic is up on/.test(output);
      }, 120_000).catch((error) => {
        throw new Error(`${error.message}: npm start is not up; it said:\n${output.slice(-3000)}`);
      });
    },
  };
}

function signal(pid: number, name: string) {
  try {
    kill(pid, name);
  } catch {}
}

/** Live processes whose command line names `persistTo` (wrangler and its supervisor), and their groups. */
function processesUsing(persistTo: string): Array<{ pid: number; pgid: number }> {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(persistTo)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, , pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state !== "Z") found.push({ pid: Number(entry), pgid: Number(pgid) });
    } catch {}
  }
  return found;
}

/** Live processes in any of `groups` (workerd's command line does not name the state directory; its group does). */
function processesIn(groups: Set<number>): number[] {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, , pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state !== "Z" && groups.has(Number(pgid))) found.push(Number(entry));
    } catch {}
  }
  return found;
}

async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

const persistTo = statePath();
let port: number;
let sink: Sink;
let current: ReturnType<typeof npmStart> | undefined;
const { api, create, listAll } = adminClient(() => ({ url: `http://127.0.0.1:${port}` }) as Relay);

beforeAll(async () => {
  sink = await startSink();
  port = await freePort();
});

afterAll(async () => {
  const groups = new Set(processesUsing(persistTo).map((proc) => proc.pgid));
  current?.killGroup();
  // The relay goes with `npm start`; a relay that does not (the defect under test) must not outlive the test.
  await waitFor(() => processesIn(groups).length === 0, 10_000).catch(() => {
    for (const group of groups) signal(-group, "SIGKILL");
  });
  await sink?.close();
  rmSync(persistTo, { recursive: true, force: true });
});

describe("npm start, killed hard", () => {
  it("leaves no relay behind, and started again delivers every accepted event", async () => {
    current = npmStart(port, persistTo);
    await current.up();

    const mailbox = `restart-${crypto.randomUUID().slice(0, 8)}`;
    const source = await create("/v1/admin/sources", { name: "e2e restart LMS" });
    const subscriber = await create("/v1/admin/subscribers", { name: "e2e restart", timezone: "UTC" });
    const destination = await create(`/v1/admin/subscribers/${subscriber.id}/destinations`, {
      name: mailbox,
      url: sink.hook(mailbox),
      timeout_ms: 2000,
      retry: { max_attempts: 10, initial_delay: 1, max_delay: 2 },
    });
    await create("/v1/admin/subscriptions", {
      subscriber_id: subscriber.id,
      source_id: source.id,
      event_types: ["*"],
      steps: [{ destination_id: destination.id }],
    });
    sink.configure(mailbox, { secret: destination.signing_secret, otherwise: { status: 200, delayMs: SINK_DELAY_MS } });

    const accepted = new Set<string>();
    for (let batch = 0; batch < 3; batch++) {
      const events = Array.from({ length: EVENTS / 3 }, (_, i) => ({
        specversion: "1.0",
        id: `${mailbox}-${batch * 100 + i}`,
        source: "/e2e/lms",
        type: "courseCompletion",
        data: { n: batch * 100 + i },
      }));
      const res = await api("POST", "/v1/events", events, source.api_key);
      expect(res.status).toBe(202);
      for (const id of res.body.ids) accepted.add(id);
    }
    expect(accepted.size).toBe(EVENTS);

    // Kill once pushes are on the wire: npm, its shell and node go at once; nothing gets to shut down.
    const distinct = () => new Set(sink.requests(mailbox).map((request) => JSON.parse(request.body).id));
    await waitFor(() => sink.requests(mailbox).length >= 10, 60_000, 20).catch(async (error) => {
      const health = await api("GET", "/healthz").catch((e) => e.message);
      throw new Error(
        `${error.message}: nothing delivered; health ${JSON.stringify(health)}; npm start said:\n${current?.output().slice(-3000)}`,
      );
    });
    const relayGroups = new Set(processesUsing(persistTo).map((proc) => proc.pgid));
    expect(relayGroups.size).toBeGreaterThan(0);
    current.killGroup();
    const killedAt = Date.now();
    const arrivedAtKill = distinct().size;
    expect(arrivedAtKill).toBeLessThan(EVENTS);

    // The relay's groups empty (wrangler, workerd, the supervisor) and the port is free again.
    await waitFor(() => processesIn(relayGroups).length === 0, 15_000).catch(() => {
      throw new Error(`relay processes outlived npm start: ${processesIn(relayGroups).join(", ")}`);
    });
    await waitFor(() => portFree(port), 15_000);
    const goneIn = Date.now() - killedAt;
    expect(await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null)).toBeNull();

    current = npmStart(port, persistTo);
    await current.up();
    const restarted = Date.now();

    // Work whose queue message died with the relay comes back through the sweeper, run here as its cron would.
    // Pushes in flight at the kill stay leased until timeout_ms + 30 s, so the loop runs for about that long.
    let sweeps = 0;
    let lastSweep = 0;
    let sentCount = 0;
    await waitFor(
      async () => {
        if (distinct().size === EVENTS) {
          sentCount = (await listAll(`status=sent&destination_id=${destination.id}`)).length;
          if (sentCount === EVENTS) return true;
        }
        if (Date.now() - lastSweep >= 3000) {
          lastSweep = Date.now();
          sweeps++;
          const res = await fetch(
            `http://127.0.0.1:${port}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(SWEEP_CRON)}`,
          );
          expect(res.ok).toBe(true);
        }
        return false;
      },
      90_000,
      500,
    ).catch((error) => {
      throw new Error(
        `${error.message}: ${distinct().size} of ${EVENTS} arrived, ${sentCount} sent, ${sweeps} sweeps; ` +
          `npm start said:\n${current?.output().slice(-3000)}`,
      );
    });

    expect(distinct()).toEqual(accepted);
    for (const request of sink.requests(mailbox)) expect(request.verified).toBe(true);
    console.log(
      `restart: ${arrivedAtKill}/${EVENTS} had arrived at the kill; the relay was gone ${goneIn} ms after it; all ` +
        `${EVENTS} delivered and recorded sent ${Date.now() - restarted} ms after the restart (${sweeps} sweeps)`,
    );
  }, 240_000);

  it("exits non-zero, naming the port and how to find its holder, when the port is taken", async () => {
    const heldPort = await freePort();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(heldPort, "127.0.0.1", resolve));
    const second = npmStart(heldPort, `${persistTo}-held`);
    try {
      await waitFor(second.exited, 30_000).catch(() => {
        throw new Error(`npm start did not exit on a held port:\n${second.output()}`);
      });
      expect(second.child.exitCode).not.toBe(0);
      expect(second.output()).toContain(`Port ${heldPort} on 127.0.0.1 is already in use`);
      expect(second.output()).toContain(`lsof -nP -iTCP:${heldPort} -sTCP:LISTEN`);
      expect(second.output()).not.toContain("Syndic is up");
    } finally {
      second.killGroup();
      holder.close();
      rmSync(`${persistTo}-held`, { recursive: true, force: true });
    }
  });
});
