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
  const result = await evaluate(`${subscription.id}:${subscription.version}:filter`, subscription.filter, event);
  return Boolean(result);
}
