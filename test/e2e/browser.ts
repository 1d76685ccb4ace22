// Headless Chromium for the browser tests: Debian's when installed, else the one @sparticuz/chromium ships inside
// its npm package (it launches here with no system package).

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
