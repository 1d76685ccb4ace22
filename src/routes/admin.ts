import { archiveLinks } from "./archive-links";
import { archiveTargets } from "./archive-targets";
import { archives } from "./archives";
import { deliveries } from "./deliveries";
import { destinations } from "./destinations";
import { events } from "./events";
import { identities } from "./identities";
import { requireAdmin, requireJsonBody } from "./middleware";
import { notifications } from "./notifications";
import { preview } from "./preview";
import { replays } from "./replays";
import { newRouter, type Router } from "./router";
import { secrets } from "./secrets";
import { session } from "./session";
import { sources } from "./sources";
import { stats } from "./stats";
import { subscribers } from "./subscribers";
import { subscriptions } from "./subscriptions";
import { syncs } from "./syncs";

/** Everything under /v1/admin takes the operator's ADMIN_TOKEN and JSON bodies. */
export const admin = newRouter();
admin.route("/", session); // ahead of requireAdmin: signing in is how a browser gets its cookie
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
  preview,
  stats,
];
for (const router of routers) admin.route("/", router);
