/**
 * The dashboard's browser script: bundled by scripts/build-ui.mjs into one IIFE that src/ui/dashboard.tsx inlines
 * under the page's CSP nonce. The page's CSP also enforces Trusted Types: every value from the API reaches the DOM
 * as text (dom.ts), so an HTML sink slipped in anywhere would throw instead of rendering markup.
 */
import "./views/list-views";
import "./drawers/index";
import "./setup/install";
import { $, $$ } from "./dom";
import { closeDrawer, drawerBack, isDrawerHidden } from "./drawers/drawer";
import { route } from "./router";
import { app } from "./state";
import { wireArchiveForm } from "./views/archive-form";
import { refreshHealth } from "./views/health";
import { loadList, wireList } from "./views/lists";
import { wireOverview } from "./views/overview";
import { hasList } from "./views/registry";
import { wireReplayForm } from "./views/replays";
import { resumeSession, wireSignIn } from "./views/signin";
import { tickTimes } from "./widgets";

wireSignIn();
for (const sec of $$("section.view")) {
  const name = sec.getAttribute("data-view") || "";
  if (hasList(name)) wireList(sec, name);
}
wireReplayForm();
wireArchiveForm();
wireOverview();
for (const form of $$<HTMLFormElement>("form[data-lookup]")) {
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const sec = form.closest("section.view");
    if (sec) loadList(sec.getAttribute("data-view") || "");
  });
}
$("#health")!.addEventListener("click", refreshHealth);
$("#drawer-close")!.addEventListener("click", closeDrawer);
$("#drawer-back")!.addEventListener("click", drawerBack);
$("#backdrop")!.addEventListener("click", closeDrawer);
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && !isDrawerHidden()) closeDrawer();
});
window.addEventListener("hashchange", () => {
  if (app.signedIn) route();
});
setInterval(tickTimes, 30000);

resumeSession();
