/**
 * The list views by name (the `data-view` of their section): where each reads its rows, its columns, and what a
 * row opens. A new list is one defineList() call; lists.ts does the loading, paging and live refresh for all.
 */
import type { Child } from "../dom";
import type { RefKind } from "../state";

/** The section's [data-filter] inputs by name, trimmed. */
export type Filters = Record<string, string>;
/** Header, cell, and the cell's class ("num", "wrap"). */
export type Column<R> = readonly [string, (row: R) => Child, string?];

export interface ListView<R> {
  /** The list endpoint for these filters (without the query). */
  path: (filters: Filters) => string;
  /** The rows are things other rows refer to: keep their names. */
  kind?: RefKind;
  /** Filters that are part of the path, not of the query. */
  consumes?: readonly string[];
  /** A filter that must be set before anything loads, and the prompt shown until it is. */
  requires?: readonly [filter: string, title: string, detail: string];
  empty: readonly [title: string, detail: string];
  emptyFor?: (filters: Filters) => readonly [string, string] | null;
  /** Work in flight on a row: the list refreshes itself while it is on screen. */
  live?: (row: R) => boolean;
  columns: ReadonlyArray<Column<R>>;
  open?: (row: R) => void;
}

const registry = new Map<string, ListView<unknown>>();

export function defineList<R>(name: string, view: ListView<R>): void {
  registry.set(name, view as unknown as ListView<unknown>);
}
export const listView = (name: string): ListView<unknown> | undefined => registry.get(name);
export const hasList = (name: string): boolean => registry.has(name);
