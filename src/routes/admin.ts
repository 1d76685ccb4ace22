import { archiveLinks } from "./archive-links";
import { archives } from "./archives";
import { deliveries } from "./deliveries";
import { destinations } from "./destinations";
import { events } from "./events";
import { identities } from "./identities";
import { requireAdmin, requireJsonBody } from "./middleware";
import { notifications } from "./notifications";
import { replays } from "./replays";
import { newRouter } from "./router";
import { secrets } from "./secrets";
import { sources } from "./sources";
import { subscribers } from "./subscribers";
import { subscriptions } from "./subscriptions";
import { syncs } from "./syncs";

/** Everything under /v1/admin takes the operator's ADMIN_TOKEN and JSON bodies. */
export const admin = newRouter();
admin.use("*", requireAdmin, requireJsonBody);
// Mounted one by one: a single chain makes TypeScript build a union too large to represent.
for (const router of [
  sources,
  subscribers,
  destinations,
  subscriptions,
  events,
  deliveries,
  replays,
  notifications,
  syncs,
  identities,
  secrets,
]) {
  admin.route("/", router);
}
admin.route("/", archives);
admin.route("/", archiveLinks);
