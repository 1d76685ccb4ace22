/**
 * What the page remembers between renders: who is signed in, the names of things, each list's paging, the tracked
 * replays. No DOM here (storage is reached through globalThis, at call time), so the unit tests run it in Node.
 */
import { isBlank } from "./format";
import type { ArchiveLink, Destination, Replay, Source, Subscriber } from "./types";

// Not the token: a marker that this browser is signed in, so other tabs follow a sign-in or sign-out. The token
// itself is exchanged for an HttpOnly session cookie that no script on the page can read.
export const SIGNED_IN_KEY = "syndic.signed_in";
export const REPLAYS_KEY = "syndic.replays";
export const DEFAULT_VIEW = "overview";
export const STALE_MS = 30000;
export const LIVE_MS = 4000;
export const PAGE_SIZE = 50;
export const MAX_TRACKED = 20;

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}
const storage = (): StorageLike | undefined => (globalThis as { localStorage?: StorageLike }).localStorage;
// Storage may be disabled (private modes, policies): the page then works without it.
export const store = {
  get(key: string): string | null {
    try {
      return storage()?.getItem(key) ?? null;
    } catch (_) {
      return null;
    }
  },
  set(key: string, value: string): void {
    try {
      storage()?.setItem(key, value);
    } catch (_) {
      /* storage disabled */
    }
  },
  del(key: string): void {
    try {
      storage()?.removeItem(key);
    } catch (_) {
      /* storage disabled */
    }
  },
};

export const app = {
  signedIn: false,
  /** The view on screen (a key of the view registry), null before the first route. */
  current: null as string | null,
  overviewRange: "24h",
};

// ---------------------------------------------------------------- names of things, for readable references
export type RefKind = "sources" | "subscribers" | "destinations";
export const REF_KINDS: readonly RefKind[] = ["sources", "subscribers", "destinations"];
export const names: Record<RefKind, Map<string, string>> = {
  sources: new Map(),
  subscribers: new Map(),
  destinations: new Map(),
};
export const info = {
  sources: new Map<string, Source>(),
  subscribers: new Map<string, Subscriber>(),
  destinations: new Map<string, Destination>(),
};
type InfoOf<K extends RefKind> = (typeof info)[K] extends Map<string, infer T> ? T : never;

/** Keeps the name (and the whole row) of each thing seen, whatever else the answer held. */
export function remember<K extends RefKind>(kind: K, rows: unknown): void {
  for (const r of Array.isArray(rows) ? rows : []) {
    if (!r || typeof r.id !== "string") continue;
    names[kind].set(r.id, isBlank(r.name) ? "" : String(r.name));
    (info[kind] as Map<string, InfoOf<K>>).set(r.id, r as InfoOf<K>);
  }
}
export const isRefKind = (v: unknown): v is RefKind => REF_KINDS.includes(v as RefKind);

// ---------------------------------------------------------------- lists
export interface ListState {
  rows: number;
  cursor: string | null;
  /** Bumped by every fresh load: an answer for an older generation is dropped. */
  gen: number;
  loadedAt: number;
  loading: boolean;
  live: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}
export const lists: Record<string, ListState> = {};
export function listState(name: string): ListState {
  if (!lists[name]) {
    lists[name] = { rows: 0, cursor: null, gen: 0, loadedAt: 0, loading: false, live: false, timer: undefined };
  }
  return lists[name];
}
/** A list comes back fresh unless the operator paged into it: their place is kept. */
export function needsReload(s: ListState, now: number, stale = STALE_MS, pageSize = PAGE_SIZE): boolean {
  return !s.loadedAt || (s.rows <= pageSize && (s.live || now - s.loadedAt > stale));
}

// ---------------------------------------------------------------- replays this browser follows
export const TERMINAL = [
  "completed",
  "complete",
  "done",
  "finished",
  "succeeded",
  "failed",
  "error",
  "cancelled",
  "canceled",
  "not_found",
];
export const replayData = new Map<string, Replay>();
export const isActive = (r: Replay | undefined | null): boolean =>
  !r || !TERMINAL.includes(String(r.status).toLowerCase());

/** The tracked ids as stored: anything that is not a list of strings reads as none. */
export function parseTracked(raw: string | null): string[] {
  try {
    const v: unknown = JSON.parse(raw || "[]");
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch (_) {
    return [];
  }
}
/** The id first, once, and at most MAX_TRACKED. */
export const withTracked = (list: readonly string[], id: string): string[] =>
  [id, ...list.filter((x) => x !== id)].slice(0, MAX_TRACKED);

export const tracked = (): string[] => parseTracked(store.get(REPLAYS_KEY));
export const saveTracked = (list: readonly string[]): void =>
  store.set(REPLAYS_KEY, JSON.stringify(list.slice(0, MAX_TRACKED)));

// ---------------------------------------------------------------- download links minted this session
export const minted = new Map<string, ArchiveLink & { url: string }>();

/** Forgets everything the signed-in operator was shown. */
export function forgetAll(): void {
  for (const k of Object.keys(lists)) {
    lists[k].gen++;
    clearTimeout(lists[k].timer);
    delete lists[k];
  }
  for (const k of REF_KINDS) {
    names[k].clear();
    info[k].clear();
  }
  replayData.clear();
  minted.clear();
}
