/**
 * The drawer kinds: what an id prefix opens, its label, and the builder that draws it. Each kind lives in its own
 * file and registers itself here (drawers/index.ts imports them all); this file imports no code, so it is always
 * evaluated before the first registration.
 */
import type { Child } from "../dom";

export interface DrawerContent {
  parts: Child[];
  /** Work in flight: redraw after this many ms until it settles. */
  poll?: number;
}

export interface DrawerKind {
  label: string;
  /** The id prefix (dlv for dlv_…), so an address like #deliveries/dlv_… reopens the item. */
  prefix: string;
  build: (id: string) => Promise<DrawerContent>;
}

const kinds = new Map<string, DrawerKind>();

export function defineDrawer(kind: string, def: DrawerKind): void {
  kinds.set(kind, def);
}
export const drawerKind = (kind: string): DrawerKind | undefined => kinds.get(kind);
export function kindOfId(id: string): string | undefined {
  const prefix = id.split("_")[0];
  for (const [kind, def] of kinds) if (def.prefix === prefix) return kind;
  return undefined;
}
