/**
 * Signing in and out. The admin token goes once to POST /v1/admin/session for an HttpOnly cookie and is never kept;
 * a marker in localStorage lets other tabs follow.
 */
import { onUnauthorized } from "../api";
import { $, $$, busy } from "../dom";
import { closeDrawer } from "../drawers/drawer";
import { fillOptions, prefetchNames } from "../refs";
import { route } from "../router";
import { session } from "../session";
import { app, forgetAll, SIGNED_IN_KEY, store } from "../state";
import { refreshHealth } from "./health";
import { stopReplayPolling } from "./replays";

let healthTimer: ReturnType<typeof setInterval> | undefined;

export function showLogin(message?: string): void {
  $("#app")!.hidden = true;
  $("#login")!.hidden = false;
  const box = $("#login-error")!;
  box.textContent = message || "";
  box.hidden = !message;
  setTimeout(() => $("#token-input")!.focus(), 0);
}

export function signOut(message?: string): void {
  if (app.signedIn) session.signOut().catch(() => {});
  app.signedIn = false;
  store.del(SIGNED_IN_KEY);
  clearInterval(healthTimer);
  healthTimer = undefined;
  stopReplayPolling();
  closeDrawer();
  forgetAll();
  const archiveForm = $<HTMLFormElement>("#archive-form")!;
  archiveForm.reset();
  archiveForm.hidden = true;
  for (const t of $$("table.list tbody")) t.replaceChildren();
  for (const c of $$(".list-foot .count")) c.textContent = "";
  for (const b of $$(".load-more")) b.hidden = true;
  fillOptions();
  showLogin(message);
}

export function enterApp(): void {
  app.signedIn = true;
  $("#login")!.hidden = true;
  $("#app")!.hidden = false;
  refreshHealth();
  clearInterval(healthTimer);
  healthTimer = setInterval(() => {
    if (document.visibilityState === "visible") refreshHealth();
  }, 15000);
  prefetchNames();
  route();
}

export function wireSignIn(): void {
  onUnauthorized(() =>
    signOut("The session ended (it lasts 12 hours, and ends when the admin token changes). Sign in again."),
  );
  $<HTMLFormElement>("#login-form")!.addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>("#token-input")!;
    const value = input.value.trim();
    const box = $("#login-error")!;
    const fail = (text: string) => {
      box.textContent = text;
      box.hidden = false;
      input.focus();
      input.select();
    };
    if (!value) return fail("Paste the admin token first.");
    const btn = (e.currentTarget as HTMLFormElement).querySelector<HTMLButtonElement>("[type=submit]")!;
    busy(btn, true);
    btn.textContent = "Checking…";
    try {
      const res = await session.signIn(value);
      if (res.status === 401 || res.status === 403) return fail("The relay rejected that token.");
      if (!res.ok) return fail(`Signing in failed (HTTP ${res.status}).`);
      store.set(SIGNED_IN_KEY, String(Date.now()));
      input.value = "";
      box.hidden = true;
      enterApp();
    } catch (_) {
      fail("Could not reach the relay. Check the connection and try again.");
    } finally {
      busy(btn, false);
      btn.textContent = "Sign in";
    }
  });
  $("#sign-out")!.addEventListener("click", () => signOut());
  window.addEventListener("storage", (e) => {
    if (e.key !== SIGNED_IN_KEY) return;
    if (!e.newValue) {
      app.signedIn = false;
      signOut("Signed out in another tab.");
    } else if ($("#app")!.hidden) enterApp();
  });
}

/** A session cookie from an earlier visit may still be good: one quiet request tells. */
export function resumeSession(): void {
  // The operator may sign in with the form before this answer comes back; then it is stale, and must not undo that.
  const settle = (signedIn: boolean) => {
    if (app.signedIn) return;
    if (signedIn) enterApp();
    else showLogin();
  };
  session.state().then(
    (state) => settle(!!state?.signed_in),
    () => settle(false),
  );
}
