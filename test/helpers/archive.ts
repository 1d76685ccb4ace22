import { unzipSync } from "fflate";
import {
  advanceBuild,
  type BuildContext,
  type BuildSource,
  type BuildState,
  type BuildStep,
  type TargetState,
  type ZipTarget,
} from "../../src/archive/builder";
import { pathsOf, unionOfPaths } from "../../src/archive/csv";
import type { ScratchStore } from "../../src/archive/record-log";
import type { ArchiveFormat } from "../../src/domain/archive-settings";

/** Events of a period held in memory, served the way D1Source serves them: by type, then by keyset. */
export function memorySource(events: Array<Record<string, unknown> & { id: string; type: string }>): BuildSource {
  const byType = new Map<string, typeof events>();
  for (const event of events) {
    const list = byType.get(event.type) ?? [];
    list.push(event);
    byType.set(event.type, list);
  }
  const types = [...byType.keys()].sort();
  return {
    async nextType(after) {
      return types.find((type) => after === null || type > after) ?? null;
    },
    async page(type, after, limit) {
      const all = byType.get(type) ?? [];
      const start = after ? after.received_at + 1 : 0;
      const rows = all.slice(start, start + limit);
      return {
        events: rows.map((event) => ({ id: event.id, body: JSON.stringify(event) })),
        last: rows.length ? { received_at: start + rows.length - 1, event_id: rows[rows.length - 1].id } : after,
        more: start + rows.length < all.length,
      };
    },
    async columns(type) {
      return unionOfPaths((byType.get(type) ?? []).map(pathsOf));
    },
  };
}

export class MemoryStore implements ScratchStore {
  readonly objects = new Map<string, Uint8Array>();
  async put(name: string, data: Uint8Array | string) {
    this.objects.set(name, typeof data === "string" ? new TextEncoder().encode(data) : data.slice());
  }
  async get(name: string) {
    return this.objects.get(name) ?? null;
  }
  async delete(names: string[]) {
    for (const name of names) this.objects.delete(name);
  }
}

/**
 * An in-memory multipart upload: parts by number in a shared map (a retried part overwrites, as in R2), the upload's
 * state (which parts count) restored from a checkpoint like R2ZipTarget's. `zip()` is the object R2 would assemble.
 */
export class MemoryTarget implements ZipTarget {
  readonly uploaded: Map<number, Uint8Array>;
  private count: number;
  completed = false;

  constructor(uploaded = new Map<number, Uint8Array>(), state?: TargetState) {
    this.uploaded = uploaded;
    this.count = state?.parts.length ?? 0;
  }
  get parts(): Uint8Array[] {
    return Array.from({ length: this.count }, (_, i) => this.uploaded.get(i + 1)!);
  }
  async uploadPart(bytes: Uint8Array) {
    this.count += 1;
    this.uploaded.set(this.count, bytes.slice());
  }
  async complete(last: Uint8Array) {
    if (last.length) await this.uploadPart(last);
    this.completed = true;
  }
  async abort() {}
  save(): TargetState {
    return {
      upload_id: this.count ? "memory" : null,
      parts: Array.from({ length: this.count }, (_, i) => ({ partNumber: i + 1, etag: `part-${i + 1}` })),
    };
  }
  zip(): Uint8Array {
    const parts = this.parts;
    const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

export const META = {
  subscriber_id: "sub_01jfq3zv7k8m2n4p6r8s0t2v4w",
  period_start: "2026-11-21",
  period_end: "2026-11-21",
  timezone: "Europe/Paris",
  from: "2026-11-20T23:00:00.000Z",
  to: "2026-11-21T23:00:00.000Z",
};

/**
 * Builds to the end. With `resumeEvery`, the build stops at every page boundary and carries on from a checkpoint
 * that went through JSON, as it does between queue jobs.
 */
export async function buildInMemory(
  format: ArchiveFormat,
  source: BuildSource,
  options: { pageSize?: number; partSize?: number; resumeEvery?: boolean } = {},
) {
  const target = new MemoryTarget();
  const store = new MemoryStore();
  const context: BuildContext = {
    format,
    meta: META,
    source,
    target,
    store,
    pageSize: options.pageSize,
    partSize: options.partSize,
  };
  let saved: BuildState | null = null;
  let runs = 0;
  for (;;) {
    runs += 1;
    const step: BuildStep = await advanceBuild(context, saved, {
      deadline: options.resumeEvery ? 0 : Number.POSITIVE_INFINITY,
      maxCalls: Number.POSITIVE_INFINITY,
    });
    if (step.done) return { step, runs, zip: target.zip(), target, store };
    saved = JSON.parse(JSON.stringify(step.state)) as BuildState;
  }
}

export const unzip = (zip: Uint8Array) => unzipSync(zip);
export const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
