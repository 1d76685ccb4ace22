import { describe, expect, it } from "vitest";
import { advanceBuild, type BuildContext, type BuildState, type BuildStep } from "../../src/archive/builder";
import { Sha256 } from "../../src/archive/sha256";
import {
  buildInMemory,
  META,
  MemoryStore,
  MemoryTarget,
  memorySource,
  sha256Hex,
  text,
  unzip,
} from "../helpers/archive";

const formats = ["json", "ndjson", "csv", "files"] as const;

function events(count: number, types = ["a.created", "b.updated", "c.deleted"]) {
  return Array.from({ length: count }, (_, i) => ({
    specversion: "1.0",
    id: `evt_${String(i).padStart(26, "0")}`,
    type: types[i % types.length],
    time: new Date(1_795_000_000_000 + i * 1000).toISOString(),
    data: { i, name: `learner ${i % 97}`, note: `course ${i % 13}, "module" ${i % 7}\n`, ok: i % 2 === 0 },
  }));
}

/** Incompressible text: each event adds about its own size to the zip. */
function noisyEvents(count: number, bytes: number) {
  return Array.from({ length: count }, (_, i) => {
    const noise = crypto.getRandomValues(new Uint8Array(bytes));
    return { id: `evt_${i}`, type: "noise", data: { noise: btoa(String.fromCharCode(...noise)) } };
  });
}

function contents(zip: Uint8Array): Record<string, string> {
  const files = unzip(zip);
  const out: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(files)) {
    if (name !== "manifest.json") out[name] = text(bytes);
  }
  return out;
}

describe("sha256 with a saved state", () => {
  it("matches WebCrypto for every length around the block size, and across save/restore", async () => {
    const data = crypto.getRandomValues(new Uint8Array(1000));
    for (const length of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
      const part = data.subarray(0, length);
      expect(new Sha256().update(part).hex()).toBe(await sha256Hex(part));
      const split = Math.floor(length / 3);
      const first = new Sha256().update(part.subarray(0, split)).save();
      const resumed = new Sha256(JSON.parse(JSON.stringify(first))).update(part.subarray(split));
      expect(resumed.hex()).toBe(await sha256Hex(part));
    }
  });
});

describe("resuming a build from checkpoints", () => {
  it.each(formats)("%s: stopping at every page gives the same files as one run", async (format) => {
    const source = memorySource(events(60));
    const once = await buildInMemory(format, source);
    const resumed = await buildInMemory(format, source, { pageSize: 4, resumeEvery: true });
    expect(resumed.runs).toBeGreaterThan(10);
    expect(contents(resumed.zip)).toEqual(contents(once.zip));
    expect(resumed.step.sha256).toBe(await sha256Hex(resumed.zip));
    const manifest = JSON.parse(text(unzip(resumed.zip)["manifest.json"]));
    for (const file of manifest.files) expect(file.sha256).toBe(await sha256Hex(unzip(resumed.zip)[file.name]));
    // Nothing is left behind in the scratch store once the build is done.
    expect(resumed.store.objects.size).toBe(0);
  });

  it("cuts the zip into equal parts whatever the checkpoints, the last one no bigger", async () => {
    const partSize = 64 * 1024;
    for (const resumeEvery of [false, true]) {
      const { target, zip } = await buildInMemory("ndjson", memorySource(noisyEvents(120, 3000)), {
        partSize,
        pageSize: 7,
        resumeEvery,
      });
      expect(target.parts.length).toBeGreaterThan(3);
      for (const part of target.parts.slice(0, -1)) expect(part.length).toBe(partSize);
      expect(target.parts.at(-1)!.length).toBeLessThanOrEqual(partSize);
      expect(Object.keys(unzip(zip))).toEqual(["noise.ndjson", "manifest.json"]);
    }
  });

  it.each([
    ["ndjson", noisyEvents(80, 2000), 5],
    ["files", Array.from({ length: 2600 }, (_, i) => ({ id: `evt_${i}`, type: "t", data: { i } })), 300],
  ] as const)("%s: a job that dies before its checkpoint is saved spoils nothing", async (format, list, pageSize) => {
    const source = memorySource([...list]);
    const store = new MemoryStore();
    const uploaded = new Map<number, Uint8Array>();
    let target = new MemoryTarget(uploaded);
    let saved: BuildState | null = null;
    let spilled = false;
    for (let job = 0; ; job++) {
      target = new MemoryTarget(uploaded, saved?.target);
      const context: BuildContext = { format, meta: META, source, target, store, pageSize, partSize: 32 * 1024 };
      const step: BuildStep = await advanceBuild(context, saved, { deadline: 0, maxCalls: Number.POSITIVE_INFINITY });
      if (step.done) {
        expect(step.sha256).toBe(await sha256Hex(target.zip()));
        break;
      }
      spilled ||= step.state.writer.log.chunks > 0;
      // Every third job "dies": its parts, spills and carry are written, its checkpoint is never saved.
      if (job % 3 !== 2) saved = JSON.parse(JSON.stringify(step.state)) as BuildState;
    }
    expect(target.completed).toBe(true);
    expect(target.parts.length).toBeGreaterThan(2);
    if (format === "files") expect(spilled).toBe(true);
    const files = unzip(target.zip());
    const ids =
      format === "files"
        ? Object.keys(files)
            .filter((name) => name !== "manifest.json")
            .map((name) => JSON.parse(text(files[name])).id)
        : text(files["noise.ndjson"])
            .trimEnd()
            .split("\n")
            .map((line) => JSON.parse(line).id);
    expect(ids.sort()).toEqual(list.map((event) => event.id).sort());
    const manifest = JSON.parse(text(files["manifest.json"]));
    expect(manifest.events).toBe(list.length);
    for (const file of manifest.files) expect(file.sha256).toBe(await sha256Hex(files[file.name]));
    expect(store.objects.size).toBe(0);
  });

  it("csv: jobs that die before their checkpoint is saved leave the file as one run writes it", async () => {
    // Wide and deep events: the header is capped and has an overflow column, kept beside each checkpoint.
    let deep: unknown = "bottom";
    for (let level = 0; level < 3000; level++) deep = { d: deep };
    const list = Array.from({ length: 40 }, (_, i) => ({
      id: `evt_${String(i).padStart(4, "0")}`,
      type: i % 2 ? "wide" : "deep",
      data:
        i % 2 ? Object.fromEntries(Array.from({ length: 700 }, (_, k) => [`f${(i * 37 + k) % 1500}`, k])) : { deep },
    }));
    const source = memorySource(list);
    const once = await buildInMemory("csv", source);
    const store = new MemoryStore();
    const uploaded = new Map<number, Uint8Array>();
    let target = new MemoryTarget(uploaded);
    let saved: BuildState | null = null;
    for (let job = 0; ; job++) {
      target = new MemoryTarget(uploaded, saved?.target);
      const context: BuildContext = { format: "csv", meta: META, source, target, store, pageSize: 3 };
      // Each job reads its checkpoint afresh, as from D1: a job that dies cannot have changed it.
      const resumed = saved && (JSON.parse(JSON.stringify(saved)) as BuildState);
      const step: BuildStep = await advanceBuild(context, resumed, { deadline: 0, maxCalls: Number.POSITIVE_INFINITY });
      if (step.done) {
        expect(step.droppedCells).toBe(0);
        break;
      }
      expect(JSON.stringify(step.state)).not.toContain("data.f");
      if (job % 3 !== 2) saved = JSON.parse(JSON.stringify(step.state)) as BuildState;
    }
    expect(contents(target.zip())).toEqual(contents(once.zip));
    const manifest = JSON.parse(text(unzip(target.zip())["manifest.json"]));
    expect(manifest.files.map((file: { overflow_column: string | null }) => file.overflow_column)).toEqual([
      "_overflow",
      "_overflow",
    ]);
    expect(store.objects.size).toBe(0);
  });

  it("files spanning many deflate segments stay one valid stream", async () => {
    const many = events(12_000, ["big"]);
    const { zip } = await buildInMemory("json", memorySource(many), { pageSize: 1000 });
    const file = unzip(zip)["big.json"];
    expect(file.length).toBeGreaterThan(1_500_000);
    expect(JSON.parse(text(file))).toHaveLength(12_000);
  });
});

describe("ZIP64", () => {
  it("a files archive of more than 65,535 entries ends with the ZIP64 records and opens", async () => {
    const count = 66_000;
    const source = memorySource(Array.from({ length: count }, (_, i) => ({ id: `e${i}`, type: "t", data: { i } })));
    const { zip, step } = await buildInMemory("files", source, { pageSize: 2000 });
    expect(step.events).toBe(count);
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    // The classic end record says "see ZIP64"; the locator sits right before it.
    expect(view.getUint16(zip.length - 22 + 10, true)).toBe(0xffff);
    expect(view.getUint32(zip.length - 22 - 20, true)).toBe(0x07064b50);
    const files = unzip(zip);
    expect(Object.keys(files)).toHaveLength(count + 1);
    expect(JSON.parse(text(files["t/e65999.json"]))).toEqual({ id: "e65999", type: "t", data: { i: 65999 } });
  });
});
