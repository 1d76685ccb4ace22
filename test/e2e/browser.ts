// Headless Chromium for the browser tests: Debian's when installed, else the one @sparticuz/chromium ships inside
// its npm package (it launches here with no system package).

import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { ADMIN_TOKEN, freePort, type Relay, rmSync, startRelay, statePath } from "./harness";

const load = (specifier: string): Promise<any> => import(/* @vite-ignore */ specifier);
const { existsSync } = (await load("node:fs")) as { existsSync(path: string): boolean };

export async function chromiumPath(): Promise<string> {
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  const { default: packaged } = await import("@sparticuz/chromium");
  return packaged.executablePath();
}

/** Without the background-networking flags Chromium phones home at start, which this closed network refuses. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * A page that may reach the relay alone (any other host is refused as if offline), with every page error and every
 * console error the test does not `allow` collected in `problems`: each browser test ends by expecting none.
 */
export async function relayPage(
  browser: Browser,
  options: { viewport?: { width: number; height: number }; allow?: (consoleText: string) => boolean } = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 1000 } });
  await context.route("**/*", (route) =>
    new URL(route.request().url()).hostname === "127.0.0.1" ? route.continue() : route.abort("internetdisconnected"),
  );
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !options.allow?.(message.text())) problems.push(`console: ${message.text()}`);
  });
  return { context, page, problems };
}

/** Opens /ui, signs in with the admin token through the form, and waits for the overview to draw its charts. */
export async function signIn(page: Page, relayUrl: string): Promise<void> {
  await page.goto(`${relayUrl}/ui`);
  await page.fill("#token-input", ADMIN_TOKEN);
  await page.keyboard.press("Enter");
  await page.locator("#overview-content svg.chart").first().waitFor({ state: "visible", timeout: 30_000 });
}

/**
 * A relay with a state directory of its own and a launched browser for the test file, both started before its
 * tests (side by side) and stopped, the state removed, after them. Read them through the getters once started.
 */
export function relayWithBrowser(): { relay: () => Relay; browser: () => Browser } {
  const persistTo = statePath();
  let relay: Relay | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    const [started, executablePath] = await Promise.all([
      freePort().then((port) => startRelay({ port, persistTo })),
      chromiumPath(),
    ]);
    relay = started;
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.stop();
    rmSync(persistTo, { recursive: true, force: true });
  });
  return { relay: () => relay!, browser: () => browser! };
}
