import { ipInCidrs, parseIp } from "../lib/cidr";
import { toBase64Url, utf8 } from "../lib/encoding";
import { constantTimeEqual } from "./secrets";

/**
 * The dashboard's sign-in, without a table: the cookie is `v1.{expiry ms}.{HMAC-SHA256 of the expiry}`, keyed by
 * ADMIN_TOKEN. Only a holder of the token can mint one, it dies at its expiry, and rotating ADMIN_TOKEN ends every
 * session at once (the MAC no longer matches). Signing out clears the browser's cookie; a copy taken before lives
 * until it expires, which is why the lifetime is a working day and not a month.
 */
export const SESSION_COOKIE = "syndic_session";
export const SESSION_LIFETIME_S = 12 * 60 * 60;
/** Domain separation: a MAC keyed by ADMIN_TOKEN for this purpose can never be mistaken for any other. */
const PURPOSE = "syndic admin session v1";
const SESSION_VALUE = /^v1\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/;

async function mac(adminToken: string, expiresAt: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8.encode(adminToken), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const signature = await crypto.subtle.sign("HMAC", key, utf8.encode(`${PURPOSE}\n${expiresAt}`));
  return toBase64Url(new Uint8Array(signature));
}

export async function newSession(adminToken: string, now: number): Promise<{ value: string; expiresAt: number }> {
  const expiresAt = now + SESSION_LIFETIME_S * 1000;
  return { value: `v1.${expiresAt}.${await mac(adminToken, expiresAt)}`, expiresAt };
}

/** When a cookie this ADMIN_TOKEN minted expires, or null for any other; a MAC is compared in constant time. */
export async function sessionExpiry(adminToken: string, value: string, now: number): Promise<number | null> {
  const match = SESSION_VALUE.exec(value);
  if (!match) return null;
  const expiresAt = Number(match[1]);
  // Later than any session minted now could last: not one of ours, whatever its MAC.
  if (expiresAt <= now || expiresAt > now + SESSION_LIFETIME_S * 1000) return null;
  return (await constantTimeEqual(match[2], await mac(adminToken, expiresAt))) ? expiresAt : null;
}

export async function isValidSession(adminToken: string, value: string, now: number): Promise<boolean> {
  return (await sessionExpiry(adminToken, value, now)) !== null;
}

/**
 * Cross-site request forgery: SameSite=Strict already keeps the cookie off requests that start on another site.
 * A write signed in by cookie must also carry this header, which a form or an image cannot send and a script on
 * another origin can only send after a CORS preflight the relay never grants; that covers what SameSite does not
 * (a sibling subdomain is the same site, older browsers ignore the attribute). A header, rather than an Origin
 * check, because it needs no configured list of origins and proxies do not strip it. GET and HEAD change nothing.
 */
export const CSRF_HEADER = "x-syndic-csrf";

const LOOPBACK = ["127.0.0.0/8", "::1/128"];

/**
 * `Secure` everywhere but plain http to this machine (`wrangler dev` on localhost), where a browser would never
 * send a Secure cookie back and signing in could not work.
 */
export function cookieMustBeSecure(requestUrl: string): boolean {
  const url = new URL(requestUrl);
  if (url.protocol !== "http:") return true;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const local = parseIp(host) ? ipInCidrs(host, LOOPBACK) : /(^|\.)localhost$/i.test(host);
  return !local;
}
