import { Sha256 } from "./sha256";

const encoder = new TextEncoder();

/**
 * A shape's id (archive_shapes.id): the first 128 bits of the SHA-256 of its paths' JSON, so the same shape from any
 * event, in any isolate, is one row. Synchronous, because a build compares it with its own columns between events.
 */
export function shapeIdOf(pathsJson: string): string {
  return new Sha256().update(encoder.encode(pathsJson)).hex().slice(0, 32);
}
