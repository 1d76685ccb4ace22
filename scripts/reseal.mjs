// `npm run secrets:reseal [-- <base url>]`: after SECRETS_KEY became "new,old", re-encrypts every stored credential
// under the new key (POST /v1/admin/secrets/reseal, a page at a time) until nothing is left; then "old" can go.
// The admin token comes from ADMIN_TOKEN, else from .dev.vars (the local relay).
import { existsSync, readFileSync } from "node:fs";
import { parseDotenv, ROOT } from "./relay-process.mjs";

const base = (process.argv[2] ?? process.env.SYNDIC_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
const devVars = existsSync(`${ROOT}/.dev.vars`) ? parseDotenv(readFileSync(`${ROOT}/.dev.vars`, "utf8")) : {};
const token = process.env.ADMIN_TOKEN ?? devVars.ADMIN_TOKEN;
if (!token) {
  console.error("set ADMIN_TOKEN (the relay's admin token)");
  process.exit(1);
}

let total = 0;
const unreadable = [];
for (let pass = 1; ; pass++) {
  const res = await fetch(`${base}/v1/admin/secrets/reseal`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
  const body = await res.json();
  if (!res.ok) {
    console.error(`reseal failed: ${res.status} ${body.detail ?? JSON.stringify(body)}`);
    process.exit(1);
  }
  total += body.resealed;
  unreadable.push(...body.unreadable);
  console.log(
    `pass ${pass}: ${body.resealed} resealed (${total} in all), ${body.tokens_dropped} cached tokens dropped`,
  );
  if (!body.more) break;
}
const seen = new Set();
for (const row of unreadable) {
  const key = `${row.table}.${row.column} ${row.id}`;
  if (seen.has(key)) continue;
  seen.add(key);
  console.warn(`unreadable with every listed key, set it again: ${key}`);
}
console.log(seen.size ? "done, with unreadable values listed above" : "done: the old key can now leave SECRETS_KEY");
