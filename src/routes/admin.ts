import { archiveLinks } from "./archive-links";
import { archiveTargets } from "./archive-targets";
import { archives } from "./archives";
import { deliveries } from "./deliveries";
import { destinations } from "./destinations";
import { events } from "./events";
import { identities } from "./identities";
import { requireAdmin, requireJsonBody } from "./middleware";
import { notifications } from "./notifications";
import { replays } from "./replays";
import { newRouter, type Router } from "./router";
import { secrets } from "./secrets";
import { sources } from "./sources";
import { subscribers } from "./subscribers";
import { subscriptions } from "./subscriptions";
import { syncs } from "./syncs";

/** Everything under /v1/admin takes the operator's ADMIN_TOKEN and JSON bodies. */
export const admin = newRouter();
admin.use("*", requireAdmin, requireJsonBody);
// Typed as plain routers: the list's inferred union of every route schema cost tsc 15 s to check against `route`.
const routers: Router[] = [
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
  archives,
  archiveLinks,
  archiveTargets,
];
for (const router of routers) admin.route("/", router);
