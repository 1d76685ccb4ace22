/**
 * The dashboard's browser script, inlined by dashboard.tsx under the page's CSP nonce. The source is typed
 * TypeScript under ./client/ (entry client/main.ts); scripts/build-ui.mjs bundles it into client.generated.ts
 * (`npm run build:ui`, run first by every script that starts, tests or deploys the Worker).
 */
export { clientScript } from "./client.generated";
