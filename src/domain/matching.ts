import type { CloudEvent } from "./cloudevent";
import { evaluate } from "./expressions";

/** Which events a subscription takes: by type (`"*"` for all), then by its filter. */

export function matchesType(subscription: { event_types: readonly string[] }, type: string): boolean {
  const types = subscription.event_types;
  return types.includes("*") || types.includes(type);
}

/** The filter's verdict; the compiled filter is cached per subscription version. Throws what the filter throws. */
export async function passesFilter(
  subscription: { id: string; version: number; filter: string | null },
  event: CloudEvent,
): Promise<boolean> {
  if (!subscription.filter) return true;
  const key = `${subscription.id}:${subscription.version}:filter`;
  return (await evaluateFilter(subscription.filter, event, key)).passes;
}

/** What a filter gave and the verdict routing takes from it (JavaScript truthiness); `key` as evaluate() takes it. */
export async function evaluateFilter(
  filter: string,
  event: CloudEvent,
  key: string | null,
): Promise<{ value: unknown; passes: boolean }> {
  const value = await evaluate(key, filter, event);
  return { value, passes: Boolean(value) };
}
