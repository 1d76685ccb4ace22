/**
 * The dashboard's browser script, inlined under the page's CSP nonce.
 *
 * Plain ES2020 with no build step. Every value from the API reaches the DOM as text (textContent,
 * text nodes, attribute values): event data is hostile input. The page's CSP also enforces Trusted
 * Types, so an HTML sink slipped in here would throw instead of rendering markup.
 * Written without backticks or dollar-brace so it can live in this raw template literal.
 */
export const clientScript = String.raw`
(() => {
  "use strict";

  // Not the token: a marker that this browser is signed in, so other tabs follow a sign-in or sign-out. The token
  // itself is exchanged for an HttpOnly session cookie that no script on the page can read.
  const SIGNED_IN_KEY = "syndic.signed_in";
  const REPLAYS_KEY = "syndic.replays";
  const DEFAULT_VIEW = "overview";
  const STALE_MS = 30000;
  const LIVE_MS = 4000;
  const PAGE_SIZE = 50;

  // ---------------------------------------------------------------- storage
  const store = {
    get(key) { try { return localStorage.getItem(key); } catch (_) { return null; } },
    set(key, value) { try { localStorage.setItem(key, value); } catch (_) { /* storage disabled */ } },
    del(key) { try { localStorage.removeItem(key); } catch (_) { /* storage disabled */ } },
  };
  let signedIn = false;
  const token = () => signedIn;

  // ---------------------------------------------------------------- DOM helpers
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const VIEW_NAMES = $$("section.view").map((sec) => sec.getAttribute("data-view"));

  // Tag and attribute names come from this script only; values and children always land as text.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const key of Object.keys(attrs)) {
        const value = attrs[key];
        if (value == null || value === false) continue;
        if (key === "class") el.className = value;
        else if (key.slice(0, 2) === "on" && typeof value === "function") el.addEventListener(key.slice(2), value);
        else el.setAttribute(key, value === true ? "" : String(value));
      }
    }
    return add(el, children);
  }
  function add(el, children) {
    for (const child of children) {
      if (child == null || child === false) continue;
      if (Array.isArray(child)) add(el, child);
      else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }
  function busy(btn, on) {
    if (!btn) return;
    btn.disabled = on;
    btn.classList.toggle("busy", on);
  }
  const isBlank = (v) => v == null || v === "";
  const dash = () => h("span", { class: "dash" }, "—");
  const enc = encodeURIComponent;

  // ---------------------------------------------------------------- formatting
  function toMs(value) {
    if (isBlank(value)) return null;
    if (typeof value === "number") return value < 1e11 ? value * 1000 : value;
    const ms = Date.parse(String(value));
    return Number.isNaN(ms) ? null : ms;
  }
  const absFormat = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  function relative(ms) {
    const diff = (ms - Date.now()) / 1000;
    const a = Math.abs(diff);
    if (a < 5) return "just now";
    let text;
    if (a < 60) text = Math.round(a) + " s";
    else if (a < 3600) text = Math.round(a / 60) + " min";
    else if (a < 86400) text = Math.round(a / 3600) + " h";
    else if (a < 86400 * 60) text = Math.round(a / 86400) + " d";
    else if (a < 86400 * 730) text = Math.round(a / (86400 * 30)) + " mo";
    else text = Math.round(a / (86400 * 365)) + " y";
    return diff < 0 ? text + " ago" : "in " + text;
  }
  function timeEl(value) {
    const ms = toMs(value);
    if (ms == null) return isBlank(value) ? dash() : h("span", null, String(value));
    return h("span", { class: "time", title: new Date(ms).toISOString() },
      h("span", { class: "rel", "data-ts": ms }, relative(ms)),
      h("span", { class: "abs" }, absFormat.format(ms)));
  }
  function tickTimes() {
    for (const el of $$(".rel[data-ts]")) el.textContent = relative(Number(el.getAttribute("data-ts")));
  }
  function age(seconds) {
    const s = Number(seconds);
    if (!Number.isFinite(s)) return "—";
    if (s < 90) return Math.round(s) + " s";
    if (s < 5400) return Math.round(s / 60) + " min";
    if (s < 172800) return (s / 3600).toFixed(s < 36000 ? 1 : 0) + " h";
    return Math.round(s / 86400) + " d";
  }
  function duration(ms) {
    if (ms == null || !Number.isFinite(Number(ms))) return "—";
    const n = Number(ms);
    return n < 1000 ? Math.round(n) + " ms" : (n / 1000).toFixed(n < 10000 ? 2 : 1) + " s";
  }
  function bytes(n) {
    if (isBlank(n) || !Number.isFinite(Number(n))) return "—";
    const v = Number(n);
    if (v < 1024) return v + " B";
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let x = v / 1024;
    let i = 0;
    while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
    return x.toFixed(x < 10 ? 1 : 0) + " " + units[i];
  }
  // Archive periods are local calendar dates (YYYY-MM-DD); they are shown as dates, never shifted to this browser's zone.
  const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  function dayLabel(date) {
    const ms = Date.parse(String(date) + "T00:00:00Z");
    return Number.isNaN(ms) ? String(date) : dayFormat.format(ms);
  }
  function periodDays(a) {
    const ms = Date.parse(String(a.period_end) + "T00:00:00Z") - Date.parse(String(a.period_start) + "T00:00:00Z");
    return Number.isFinite(ms) ? Math.round(ms / 86400000) + 1 : null;
  }
  function periodText(a) {
    if (isBlank(a.period_start)) return "—";
    return a.period_start === a.period_end || isBlank(a.period_end) ? String(a.period_start) : a.period_start + " → " + a.period_end;
  }
  const plural = (n, one, many) => Number(n).toLocaleString() + " " + (Number(n) === 1 ? one : many || one + "s");

  const COLOURS = {
    sent: "green", ready: "blue", pending: "gray", retrying: "amber", dead: "red", skipped: "gray", held: "purple",
    running: "blue", processing: "blue", queued: "gray", routing: "blue", delivering: "blue",
    completed: "green", complete: "green", done: "green", succeeded: "green", finished: "green",
    failed: "red", error: "red", cancelled: "gray", canceled: "gray", not_found: "amber", unknown: "gray",
    active: "green", disabled: "red", production: "blue", sandbox: "purple",
    published: "green", collapsed: "purple", building: "blue", confirmed: "green", unconfirmed: "amber",
  };
  const PULSING = { retrying: 1, running: 1, processing: 1, routing: 1, delivering: 1, building: 1 };
  // colour overrides the status's usual one where a word means something else (a ready archive is done, a ready delivery queued).
  function badge(status, label, colour) {
    const key = String(isBlank(status) ? "unknown" : status).toLowerCase();
    return h("span", { class: "badge " + (colour || COLOURS[key] || "gray") + (PULSING[key] ? " pulse" : "") }, label || key.replace(/_/g, " "));
  }
  const archiveBadge = (a) => badge(a.status, null, String(a.status) === "ready" ? "green" : null);
  function tag(text, colour) {
    return h("span", { class: "badge plain " + (colour || "") }, text);
  }
  function codeBadge(code) {
    if (isBlank(code)) return null;
    const c = Number(code);
    const colour = c >= 200 && c < 300 ? "green" : c === 408 || c === 425 || c === 429 || c >= 500 ? "amber" : "red";
    return h("span", { class: "badge plain code-status " + colour, title: "HTTP " + c }, String(code));
  }
  const chipText = (v) => (v && typeof v === "object" ? String(v.code || v.name || JSON.stringify(v)) : String(v));
  function chips(values, max) {
    const list = Array.isArray(values) ? values : isBlank(values) ? [] : [values];
    if (!list.length) return dash();
    const shown = max ? list.slice(0, max) : list;
    const out = h("div", { class: "chips" }, shown.map((v) => h("span", { class: "chip", title: chipText(v) }, chipText(v))));
    if (max && list.length > max) out.append(h("span", { class: "chip more" }, "+" + (list.length - max)));
    return out;
  }
  const mono = (text) => (isBlank(text) ? dash() : h("span", { class: "mono" }, String(text)));
  const named = (name, id) =>
    h("div", { class: "stack" }, h("span", { class: "strong" }, isBlank(name) ? "(unnamed)" : String(name)), h("span", { class: "id" }, id));
  function linkButton(text, onClick) {
    return h("button", { type: "button", class: "link", onclick: onClick }, text);
  }

  function copyText(text, btn) {
    const done = (label) => {
      if (!btn) return;
      const before = btn.textContent;
      btn.textContent = label;
      setTimeout(() => { btn.textContent = before; }, 1200);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(() => done("Copied"), () => done("Copy failed"));
    } else done("Copy failed");
  }
  function copyable(id) {
    if (isBlank(id)) return dash();
    const btn = h("button", { type: "button", class: "link copy-id", title: "Copy" }, "Copy");
    btn.addEventListener("click", () => copyText(String(id), btn));
    return h("span", { class: "copyable" }, h("code", { class: "inline-code" }, String(id)), btn);
  }

  const TOKEN_RE = /("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false)\b|\b(null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
  function highlight(pre, text) {
    if (text.length > 200000) { pre.textContent = text; return; }
    const frag = document.createDocumentFragment();
    let last = 0;
    let m;
    TOKEN_RE.lastIndex = 0;
    while ((m = TOKEN_RE.exec(text))) {
      if (m.index > last) frag.append(text.slice(last, m.index));
      if (m[1] && m[2]) frag.append(h("span", { class: "k" }, m[1]), m[2]);
      else frag.append(h("span", { class: m[1] ? "s" : m[3] ? "b" : m[4] ? "z" : "n" }, m[0]));
      last = TOKEN_RE.lastIndex;
    }
    if (last < text.length) frag.append(text.slice(last));
    pre.append(frag);
  }
  function jsonText(value) {
    if (typeof value === "string") {
      try { return JSON.stringify(JSON.parse(value), null, 2); } catch (_) { return value; }
    }
    return JSON.stringify(value === undefined ? null : value, null, 2);
  }
  function jsonBlock(value) {
    const text = jsonText(value);
    const pre = h("pre", { class: "json" });
    highlight(pre, text);
    const copy = h("button", { type: "button", class: "btn sm copy" }, "Copy");
    copy.addEventListener("click", () => copyText(text, copy));
    return h("div", { class: "pre-wrap" }, pre, copy);
  }

  // ---------------------------------------------------------------- API
  class ApiError extends Error {
    constructor(status, title, detail, errors) {
      super(detail || title);
      this.status = status;
      this.title = title;
      this.errors = errors || [];
    }
  }
  async function api(path, options) {
    const opts = options || {};
    const method = opts.method || "GET";
    const headers = { accept: "application/json, application/problem+json" };
    // The session cookie goes by itself; a change also carries the header a cross-site form cannot send.
    if (method !== "GET" && method !== "HEAD") headers["x-syndic-csrf"] = "1";
    const init = { method, headers, cache: "no-store", credentials: "same-origin" };
    if (opts.body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (err) {
      throw new ApiError(0, "Network error", "Could not reach the relay (" + ((err && err.message) || err) + ").");
    }
    const text = await res.text();
    let body = null;
    if (text) { try { body = JSON.parse(text); } catch (_) { body = null; } }
    if (res.status === 401) {
      signOut("The session ended (it lasts 12 hours, and ends when the admin token changes). Sign in again.");
      throw new ApiError(401, "Unauthorized", "The session ended.");
    }
    if (!res.ok) {
      const p = body && typeof body === "object" ? body : {};
      throw new ApiError(
        res.status,
        typeof p.title === "string" ? p.title : "HTTP " + res.status,
        typeof p.detail === "string" ? p.detail : (res.status + " " + res.statusText).trim(),
        Array.isArray(p.errors) ? p.errors : [],
      );
    }
    return body;
  }
  const pathText = (p) => (Array.isArray(p) ? p.join(".") : isBlank(p) ? "" : String(p));

  // ---------------------------------------------------------------- toasts
  function toast(kind, title, detail, errors) {
    const fieldText = (e) => (pathText(e.path) ? pathText(e.path) + ": " : "") + (e.message || "");
    const extra = (errors || []).map(fieldText).filter((t) => t && t !== detail);
    const close = h("button", { type: "button", "aria-label": "Dismiss" }, "×");
    const el = h("div", { class: "toast " + kind, role: kind === "error" ? "alert" : "status" },
      h("div", { class: "toast-body" },
        h("div", { class: "toast-title" }, title),
        detail ? h("div", null, detail) : null,
        extra.length ? h("ul", null, extra.slice(0, 6).map((t) => h("li", null, t))) : null),
      close);
    const remove = () => el.remove();
    close.addEventListener("click", remove);
    $("#toasts").append(el);
    setTimeout(remove, kind === "error" ? 9000 : 5000);
  }
  function toastError(err, what) {
    if (err && err.status === 401) return;
    toast("error", what || (err && err.title) || "Request failed", err && err.message, err && err.errors);
  }

  // ---------------------------------------------------------------- health
  let healthTimer = null;
  async function refreshHealth() {
    const pill = $("#health");
    let body = null;
    let status = 0;
    try {
      const res = await fetch("/healthz", { headers: { accept: "application/json" }, cache: "no-store" });
      status = res.status;
      body = await res.json().catch(() => null);
    } catch (_) { body = null; }
    let level = "green";
    let label = "Healthy";
    let detail;
    if (!body || typeof body !== "object") {
      level = "red";
      label = "Unreachable";
      detail = status ? "GET /healthz answered " + status : "the relay did not answer";
    } else {
      const owed = body.oldest_undelivered_age_s;
      detail = "DB " + (body.database || "unknown") + " · " + (owed == null ? "nothing owed" : "oldest owed " + age(owed));
      if (!body.ok || body.database !== "ok") { level = "red"; label = body.database === "ok" ? "Unhealthy" : "Database down"; }
      else if (owed != null && owed >= 3600) { level = "red"; label = "Backlog"; }
      else if (owed != null && owed >= 300) { level = "amber"; label = "Lagging"; }
    }
    pill.className = "health " + level;
    $("#health-label").textContent = label;
    $("#health-detail").textContent = detail;
    pill.title = "GET /healthz · " + detail + " · checked " + new Date().toLocaleTimeString() + " (click to re-check)";
  }

  // ---------------------------------------------------------------- names of things, for readable references
  const names = { sources: new Map(), subscribers: new Map(), destinations: new Map() };
  const info = { sources: new Map(), subscribers: new Map(), destinations: new Map() };
  function remember(kind, rows) {
    for (const r of Array.isArray(rows) ? rows : []) {
      if (!r || typeof r.id !== "string") continue;
      names[kind].set(r.id, isBlank(r.name) ? "" : String(r.name));
      info[kind].set(r.id, r);
    }
  }
  function paintRef(el) {
    const id = el.getAttribute("data-id");
    const name = names[el.getAttribute("data-ref")].get(id);
    const compact = el.getAttribute("data-compact");
    if (compact) el.replaceChildren(name ? h("span", { class: compact, title: id }, name) : h("span", { class: "id" }, id));
    else el.replaceChildren(name ? named(name, id) : h("span", { class: "id" }, id));
  }
  // A reference shows the thing's name once known (names arrive later), else its id; compact shows one line.
  function ref(kind, id, compact) {
    if (isBlank(id)) return dash();
    const el = h("span", { "data-ref": kind, "data-id": String(id), "data-compact": compact || null });
    paintRef(el);
    return el;
  }
  function updateRefs() {
    for (const el of $$("[data-ref]")) paintRef(el);
  }
  function fillOptions() {
    for (const sel of $$("select[data-options]")) {
      const map = names[sel.getAttribute("data-options")];
      const current = sel.value;
      const entries = Array.from(map.entries()).sort((a, b) => (a[1] || a[0]).localeCompare(b[1] || b[0]));
      sel.replaceChildren(sel.options[0], ...entries.map(([id, name]) => h("option", { value: id }, name ? name + " · " + id : id)));
      if (current && !map.has(current)) sel.append(h("option", { value: current }, current));
      sel.value = current;
    }
  }
  async function prefetchNames() {
    for (const kind of ["sources", "subscribers"]) {
      let cursor = null;
      let pages = 0;
      try {
        do {
          const body = await api("/v1/admin/" + kind + "?limit=100" + (cursor ? "&cursor=" + enc(cursor) : ""));
          remember(kind, body && body.data);
          cursor = body && body.next_cursor;
          pages++;
        } while (cursor && pages < 10);
      } catch (_) { /* references fall back to bare ids */ }
    }
    fillOptions();
    updateRefs();
    if (current && autoPick(current)) loadList(current);
    const subscribers = Array.from(names.subscribers.keys()).slice(0, 40);
    await Promise.all(subscribers.map((id) =>
      api("/v1/admin/subscribers/" + enc(id) + "/destinations?limit=100")
        .then((body) => remember("destinations", body && body.data))
        .catch(() => {})));
    updateRefs();
  }

  // ---------------------------------------------------------------- list views
  const attemptCount = (r) => (Array.isArray(r.attempts) ? r.attempts.length : r.attempts != null ? r.attempts : r.attempt_count);
  function inbound(s) {
    const out = [];
    const inb = s.inbound || {};
    if (inb.hmac) out.push(tag("HMAC" + (inb.hmac.header ? " · " + inb.hmac.header : ""), "blue"));
    if (Array.isArray(inb.ip_allowlist) && inb.ip_allowlist.length) out.push(tag("IP allowlist · " + inb.ip_allowlist.length, "blue"));
    if (s.fetch) out.push(tag("Notify → fetch", "purple"));
    return out.length ? h("div", { class: "chips" }, out) : tag("API key only");
  }
  function archiveSummary(a) {
    if (!a || isBlank(a.schedule) || a.schedule === "off") return tag("off");
    return tag(a.schedule + (a.format ? " · " + a.format : "") + (a.time ? " · at " + a.time : ""), "green");
  }

  const views = {
    sources: {
      path: "/v1/admin/sources",
      kind: "sources",
      empty: ["No sources yet", "Create one with POST /v1/admin/sources; it appears here."],
      columns: [
        ["Source", (r) => named(r.name, r.id)],
        ["Event types", (r) => chips(r.event_types, 4)],
        ["Mode", (r) => (r.strict ? tag("Strict", "purple") : tag("Open"))],
        ["Inbound", inbound],
        ["Created", (r) => timeEl(r.created_at)],
      ],
      open: (r) => openDrawer("source", r.id),
    },
    subscribers: {
      path: "/v1/admin/subscribers",
      kind: "subscribers",
      empty: ["No subscribers yet", "Create one with POST /v1/admin/subscribers."],
      columns: [
        ["Subscriber", (r) => named(r.name, r.id)],
        ["Time zone", (r) => r.timezone],
        ["Archives", (r) => archiveSummary(r.archive)],
        ["Created", (r) => timeEl(r.created_at)],
      ],
      open: (r) => openDrawer("subscriber", r.id),
    },
    subscriptions: {
      path: "/v1/admin/subscriptions",
      empty: ["No subscriptions yet", "A subscription connects a source's events to a subscriber."],
      columns: [
        ["Subscription", (r) => h("span", { class: "id" }, r.id)],
        ["Subscriber", (r) => ref("subscribers", r.subscriber_id, "strong")],
        ["Source", (r) => ref("sources", r.source_id, "strong")],
        ["Event types", (r) => chips(r.event_types, 3)],
        ["Filter", (r) => (isBlank(r.filter) ? h("span", { class: "sub" }, "every event") : h("code", { class: "inline-code truncate", title: r.filter }, r.filter))],
        ["Does", (r) => {
          const steps = Array.isArray(r.steps) ? r.steps.length : 0;
          return h("div", { class: "chips" }, steps ? tag(plural(steps, "push", "pushes"), "blue") : null, r.archive ? tag("archive", "green") : null);
        }],
        ["Updated", (r) => timeEl(r.updated_at || r.created_at)],
      ],
      open: (r) => openDrawer("subscription", r.id),
    },
    events: {
      path: "/v1/admin/events",
      empty: ["No events", "Nothing matches these filters yet. Origins publish with POST /v1/events."],
      columns: [
        ["Event", (r) => h("div", { class: "stack" }, h("span", { class: "strong" }, r.type || "(no type)"), h("span", { class: "id" }, r.id))],
        ["Source", (r) => ref("sources", r.source_id || r.source)],
        ["Subject", (r) => (isBlank(r.subject) ? null : h("span", { class: "mono truncate", title: String(r.subject) }, String(r.subject)))],
        ["Occurred", (r) => timeEl(r.time)],
        ["Received", (r) => timeEl(r.received_at)],
      ],
      open: (r) => openDrawer("event", r.id),
    },
    deliveries: {
      path: "/v1/admin/deliveries",
      empty: ["No deliveries", "Nothing matches these filters."],
      columns: [
        ["Delivery", (r) => h("div", { class: "stack" }, h("span", { class: "id strong-id" }, r.id), r.step != null ? h("span", { class: "sub" }, "step " + r.step) : null)],
        ["Status", (r) => badge(r.status)],
        ["Event", (r) => h("span", { class: "id" }, r.event_id)],
        ["Destination", (r) => h("div", { class: "stack" },
          ref("destinations", r.destination_id, "strong"),
          ref("subscribers", r.subscriber_id, "sub"))],
        ["Attempts", (r) => attemptCount(r), "num"],
        ["Last result", (r) => {
          const code = r.last_status_code;
          const err = r.last_error;
          if (isBlank(code) && isBlank(err)) return null;
          return h("div", { class: "stack" }, codeBadge(code), isBlank(err) ? null : h("span", { class: "err-text truncate", title: String(err) }, String(err)));
        }],
        ["Updated", (r) => timeEl(r.updated_at || r.created_at)],
      ],
      open: (r) => openDrawer("delivery", r.id),
    },
    notifications: {
      path: "/v1/admin/notifications",
      empty: ["No notifications", "Nothing matches these filters. Origins call a source's notify URL with ?id=…"],
      live: (r) => r.status === "pending" || r.status === "retrying",
      columns: [
        ["Record", (r) => h("div", { class: "stack" },
          h("span", { class: "mono strong truncate", title: String(r.object_id) }, String(r.object_id)),
          h("span", { class: "id" }, r.id))],
        ["Source", (r) => ref("sources", r.source_id, "strong")],
        ["Status", notificationStatus],
        ["Attempts", (r) => r.attempts, "num"],
        ["Outcome", (r) => {
          if (r.event_id) return h("div", { class: "stack" }, h("span", { class: "sub" }, "published as"), h("span", { class: "id strong-id" }, r.event_id));
          if (r.collapsed_into) return h("div", { class: "stack" }, h("span", { class: "sub" }, "answered by"), h("span", { class: "id" }, r.collapsed_into));
          if (isBlank(r.last_status_code) && isBlank(r.error)) return null;
          return h("div", { class: "stack" }, codeBadge(r.last_status_code), isBlank(r.error) ? null : h("span", { class: "err-text truncate", title: String(r.error) }, String(r.error)));
        }],
        ["Received", (r) => timeEl(r.created_at)],
      ],
      open: (r) => openDrawer("notification", r.id),
    },
    syncs: {
      pathOf: (f) => "/v1/admin/sources/" + enc(f.source_id) + "/syncs",
      consumes: ["source_id"],
      requires: ["source_id", "Choose a source", "Syncs belong to a source: pick one above to see its bulk syncs, newest first."],
      empty: ["No syncs for this source", "Start one with POST /v1/admin/sources/{id}/sync; its progress shows here."],
      live: (r) => r.status === "running",
      columns: [
        ["Sync", (r) => h("div", { class: "stack" }, h("span", { class: "id strong-id" }, r.id), h("span", { class: "sub" }, "started ", timeEl(r.created_at)))],
        ["Status", (r) => h("div", { class: "stack" }, badge(r.status),
          isBlank(r.error) ? null : h("span", { class: "err-text truncate", title: String(r.error) }, String(r.error)))],
        ["Progress", syncProgress],
        ["Cursor", (r) => (isBlank(r.cursor) ? null : h("span", { class: "mono truncate", title: String(r.cursor) }, String(r.cursor)))],
        ["Took", (r) => syncDuration(r)],
        ["", (r) => (r.status === "failed" ? resumeButton(r, "sm") : null)],
      ],
      open: (r) => openDrawer("sync", r.id),
    },
    identities: {
      pathOf: (f) => "/v1/admin/subscribers/" + enc(f.subscriber_id) + "/identities",
      consumes: ["subscriber_id"],
      requires: ["subscriber_id", "Choose a subscriber", "Identities are per subscriber: pick one, then narrow by namespace and local id."],
      empty: ["No identities", "None match. An identity step remembers the id a destination gave to each new person, and PUT …/identities loads them in bulk."],
      emptyFor: (f) => (f.local_id
        ? ["Unknown to this subscriber", "No remote id for " + (f.namespace ? f.namespace + " / " : "") + f.local_id + ": for the next event about it, an identity step sends a create to the destination and remembers the id it gets."]
        : null),
      columns: [
        ["Namespace", (r) => h("code", { class: "inline-code" }, String(r.namespace))],
        ["Local id", (r) => h("span", { class: "mono strong" }, String(r.local_id)), "wrap"],
        ["Remote id", (r) => copyable(r.remote_id), "wrap"],
        ["Learned", (r) => timeEl(r.updated_at)],
      ],
    },
    archives: {
      path: "/v1/admin/archives",
      empty: ["No archives", "Subscribers with an archive schedule get one per day or week; build a period now with the button above."],
      live: (r) => r.status === "pending" || r.status === "building",
      columns: [
        ["Period", (r) => {
          const days = periodDays(r);
          return h("div", { class: "stack" },
            h("span", { class: "strong nowrap" }, periodText(r)),
            h("span", { class: "sub" }, (days ? plural(days, "day") : "") + (r.timezone ? " · " + r.timezone : "")));
        }],
        ["Subscriber", (r) => ref("subscribers", r.subscriber_id, "strong")],
        ["Status", (r) => h("div", { class: "stack" }, archiveBadge(r),
          r.status === "building" && r.progress ? h("span", { class: "sub" }, plural(r.progress.events || 0, "event") + " so far") : null,
          isBlank(r.error) ? null : h("span", { class: "err-text truncate", title: String(r.error) }, String(r.error)))],
        ["Events", (r) => (isBlank(r.events) ? null : Number(r.events).toLocaleString()), "num"],
        ["Size", (r) => (isBlank(r.bytes) ? null : bytes(r.bytes)), "num"],
        ["Format", (r) => (r.format ? tag(r.format) : null)],
        ["Created", (r) => timeEl(r.created_at)],
      ],
      open: (r) => openDrawer("archive", r.id),
    },
  };

  function notificationStatus(r) {
    const next = (r.status === "retrying" || r.status === "pending") && !isBlank(r.next_attempt_at)
      ? h("span", { class: "sub" }, "next ", timeEl(r.next_attempt_at)) : null;
    return h("div", { class: "stack" }, badge(r.status), next);
  }
  function syncProgress(r) {
    return h("div", { class: "stack" },
      h("span", { class: "strong nowrap" }, plural(r.records || 0, "record")),
      h("span", { class: "sub nowrap" }, plural(r.pages || 0, "page") + " · " + Number(r.published || 0).toLocaleString() + " new"));
  }
  function syncDuration(r) {
    const start = toMs(r.created_at);
    const end = toMs(r.finished_at) || (r.status === "running" ? Date.now() : toMs(r.updated_at));
    if (start == null || end == null) return null;
    return h("span", { class: "nowrap", title: r.status === "running" ? "running so far" : "from start to finish" },
      age((end - start) / 1000) + (r.status === "running" ? " so far" : ""));
  }
  function resumeButton(r, size) {
    const btn = h("button", { type: "button", class: "btn primary " + (size || ""), title: "Resume from the page where it stopped" }, "Resume");
    btn.addEventListener("click", async (e) => {
      e.stopPropagation();
      busy(btn, true);
      try {
        await api("/v1/admin/syncs/" + enc(r.id) + "/resume", { method: "POST" });
        toast("success", "Sync resumed", r.id + " continues from " + (isBlank(r.cursor) ? "where it stopped." : "cursor " + r.cursor + "."));
        listState("syncs").loadedAt = 0;
        if (current === "syncs") loadList("syncs");
        if (!$("#drawer").hidden) reloadDrawer();
      } catch (err) {
        toastError(err, "Could not resume the sync");
        busy(btn, false);
      }
    });
    return btn;
  }

  const lists = {};
  const listState = (name) => lists[name] || (lists[name] = { rows: 0, cursor: null, gen: 0, loadedAt: 0, loading: false, live: false, timer: null });
  function sectionEls(name) {
    const root = $("#view-" + name);
    return {
      root,
      head: $("thead", root),
      body: $("tbody", root),
      count: $(".count", root),
      more: $(".load-more", root),
      refresh: $("[data-action=refresh]", root),
    };
  }
  function filterValues(name) {
    const out = {};
    for (const f of $$("[data-filter]", $("#view-" + name))) out[f.getAttribute("data-filter")] = f.value.trim();
    return out;
  }
  function stateRow(name, cls, title, detail, action) {
    return h("tr", null, h("td", { class: "state " + (cls || ""), colspan: views[name].columns.length },
      title ? h("div", { class: "state-title" }, title) : null,
      detail ? h("div", null, detail) : null,
      action || null));
  }
  function cell(render, row) {
    try {
      const out = render(row);
      return isBlank(out) ? dash() : out;
    } catch (_) {
      return dash();
    }
  }
  function rowEl(name, row) {
    const v = views[name];
    const cells = v.columns.map((c) => h("td", c[2] ? { class: c[2] } : null, cell(c[1], row)));
    if (!v.open) return h("tr", null, cells);
    const tr = h("tr", { class: "row", tabindex: 0 }, cells);
    const open = () => v.open(row);
    tr.addEventListener("click", (e) => {
      if (e.target.closest && e.target.closest("button, a, input, select")) return; // a control inside the row
      if (String(window.getSelection ? window.getSelection() : "").length) return; // selecting text to copy it
      open();
    });
    tr.addEventListener("keydown", (e) => {
      if (e.target !== tr) return;
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); }
    });
    return tr;
  }
  // Lists with work in flight (running syncs, building archives, retrying notifications) refresh themselves
  // while they are on screen, unless the operator paged further down.
  function scheduleLive(name) {
    const s = listState(name);
    clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      if (current !== name || !token() || lists[name] !== s) return;
      if (document.visibilityState !== "visible" || s.loading) return scheduleLive(name);
      loadList(name);
    }, LIVE_MS);
  }
  async function loadList(name, more) {
    const v = views[name];
    const s = listState(name);
    const els = sectionEls(name);
    if (!els.head.childElementCount) els.head.append(h("tr", null, v.columns.map((c) => h("th", { scope: "col" }, c[0]))));
    if (more && (s.loading || !s.cursor)) return;
    const filters = filterValues(name);
    clearTimeout(s.timer);
    if (v.requires && isBlank(filters[v.requires[0]])) {
      s.gen++;
      s.rows = 0;
      s.cursor = null;
      s.live = false;
      s.loadedAt = 0;
      s.loading = false;
      busy(els.refresh, false);
      els.more.hidden = true;
      els.count.textContent = "";
      els.body.replaceChildren(stateRow(name, "prompt", v.requires[1], v.requires[2]));
      return;
    }
    const gen = more ? s.gen : ++s.gen;
    s.loading = true;
    busy(els.refresh, true);
    if (more) { els.more.disabled = true; els.more.textContent = "Loading…"; }
    else if (!s.rows) els.body.replaceChildren(stateRow(name, "", null, h("span", null, h("span", { class: "spinner" }), "Loading…")));
    try {
      const params = new URLSearchParams();
      params.set("limit", String(PAGE_SIZE));
      for (const k of Object.keys(filters)) if (!isBlank(filters[k]) && !(v.consumes || []).includes(k)) params.set(k, filters[k]);
      if (more) params.set("cursor", s.cursor);
      const body = await api((v.pathOf ? v.pathOf(filters) : v.path) + "?" + params.toString());
      if (gen !== s.gen) return;
      const rows = body && Array.isArray(body.data) ? body.data : [];
      if (v.kind) { remember(v.kind, rows); fillOptions(); updateRefs(); }
      if (!more) els.body.replaceChildren();
      for (const row of rows) els.body.append(rowEl(name, row));
      s.rows = (more ? s.rows : 0) + rows.length;
      s.cursor = (body && body.next_cursor) || null;
      s.loadedAt = Date.now();
      if (!s.rows) {
        const empty = (v.emptyFor && v.emptyFor(filters)) || v.empty;
        els.body.replaceChildren(stateRow(name, "", empty[0], empty[1]));
      }
      els.count.textContent = s.rows ? "Showing " + plural(s.rows, "item") + (s.cursor ? " · more available" : "") : "";
      els.more.hidden = !s.cursor;
      if (!more) s.live = !!v.live && rows.some(v.live);
      if (s.live && s.rows <= PAGE_SIZE) scheduleLive(name);
    } catch (err) {
      if (gen !== s.gen) return;
      if (more) toastError(err, "Could not load more");
      else {
        s.rows = 0;
        s.cursor = null;
        s.live = false;
        els.more.hidden = true;
        els.count.textContent = "";
        const again = h("div", null, h("button", { type: "button", class: "btn sm", onclick: () => loadList(name) }, "Try again"));
        els.body.replaceChildren(stateRow(name, "error", err.title || "Request failed", err.message, again));
      }
    } finally {
      if (gen === s.gen) {
        s.loading = false;
        busy(els.refresh, false);
        els.more.disabled = false;
        els.more.textContent = "Load more";
      }
    }
  }
  function showFiltered(view, filter, value) {
    closeDrawer();
    const input = $("#view-" + view + " [data-filter=" + filter + "]");
    if (input) {
      if (input.tagName === "SELECT" && !Array.from(input.options).some((o) => o.value === value)) input.append(h("option", { value }, value));
      input.value = value;
    }
    listState(view).loadedAt = 0;
    if (location.hash === "#" + view) route();
    else location.hash = "#" + view;
  }

  // ---------------------------------------------------------------- drawer
  const drawer = { stack: [], gen: 0, timer: null };
  const KIND_LABEL = {
    source: "Source", subscriber: "Subscriber", subscription: "Subscription", event: "Event", delivery: "Delivery",
    notification: "Notification", sync: "Sync", archive: "Archive",
  };
  const KIND_BY_PREFIX = {
    src: "source", sub: "subscriber", sbn: "subscription", evt: "event", dlv: "delivery", ntf: "notification", syn: "sync", arc: "archive",
  };
  // The open item lives in the address (#deliveries/dlv_…) so an operator can share or reload it.
  function setHash(id) {
    const next = "#" + (current || DEFAULT_VIEW) + (id ? "/" + enc(id) : "");
    if (location.hash !== next) history.replaceState(null, "", next);
  }
  function openDrawer(kind, id, push) {
    if (isBlank(id)) return;
    if (!push) drawer.stack = [];
    drawer.stack.push({ kind, id: String(id) });
    showDrawer();
  }
  function showDrawer() {
    const top = drawer.stack[drawer.stack.length - 1];
    if (!top) return closeDrawer();
    $("#drawer").hidden = false;
    $("#backdrop").hidden = false;
    document.body.classList.add("drawer-open");
    $("#drawer-back").hidden = drawer.stack.length < 2;
    $("#drawer-kicker").textContent = KIND_LABEL[top.kind];
    $("#drawer-title").textContent = top.id;
    setHash(top.id);
    reloadDrawer();
    $("#drawer").focus();
  }
  function closeDrawer() {
    if (drawer.stack.length) setHash(null);
    drawer.stack = [];
    drawer.gen++;
    clearTimeout(drawer.timer);
    $("#drawer").hidden = true;
    $("#backdrop").hidden = true;
    document.body.classList.remove("drawer-open");
  }
  async function reloadDrawer() {
    const top = drawer.stack[drawer.stack.length - 1];
    if (!top) return;
    const gen = ++drawer.gen;
    clearTimeout(drawer.timer);
    const body = $("#drawer-body");
    const key = top.kind + ":" + top.id;
    const same = body.getAttribute("data-for") === key;
    if (!same) {
      body.removeAttribute("data-for");
      body.replaceChildren(h("div", { class: "empty" }, h("span", { class: "spinner" }), "Loading…"));
      body.scrollTop = 0;
    }
    try {
      const content = await builders[top.kind](top.id);
      if (gen !== drawer.gen) return;
      // Reloading the same item keeps what the operator opened (Raw JSON, response bodies) open.
      const opened = same ? $$("details", body).map((d) => d.open) : [];
      body.setAttribute("data-for", key);
      body.replaceChildren(...content.filter(Boolean));
      $$("details", body).forEach((d, i) => { if (opened[i]) d.open = true; });
      // Work in flight (a running sync, an archive being built) is followed until it settles.
      if (content.poll) {
        drawer.timer = setTimeout(function again() {
          if (gen !== drawer.gen) return;
          if (document.visibilityState !== "visible") { drawer.timer = setTimeout(again, content.poll); return; }
          reloadDrawer();
        }, content.poll);
      }
    } catch (err) {
      if (gen !== drawer.gen) return;
      body.removeAttribute("data-for");
      body.replaceChildren(h("div", { class: "notice red" },
        h("div", { class: "notice-text" }, h("div", { class: "strong" }, err.title || "Request failed"), err.message)));
    }
  }

  function card(title, content, extra) {
    return h("div", { class: "card" },
      title ? h("div", { class: "card-head" }, h("h3", null, title), extra || null) : null,
      content);
  }
  function kv(pairs) {
    const dl = h("dl", { class: "kv" });
    for (const pair of pairs) {
      if (!pair || pair[1] === undefined) continue;
      dl.append(h("dt", null, pair[0]), h("dd", null, isBlank(pair[1]) ? dash() : pair[1]));
    }
    return dl;
  }
  function rawCard(value) {
    return h("details", { class: "card raw" }, h("summary", null, "Raw JSON"), jsonBlock(value));
  }
  function codeBlock(text) {
    return h("pre", { class: "plain" }, String(text));
  }
  function miniTable(headers, rows) {
    return h("div", { class: "table-wrap" }, h("table", { class: "list" },
      h("thead", null, h("tr", null, headers.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, rows)));
  }
  function clickableRow(cells, onOpen) {
    const tr = h("tr", { class: "row", tabindex: 0 }, cells.map((c) => h("td", null, isBlank(c) ? dash() : c)));
    tr.addEventListener("click", onOpen);
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") onOpen(); });
    return tr;
  }

  async function buildSource(id) {
    const base = "/v1/admin/sources/" + enc(id);
    // Syncs are a side panel: a failure there (or an older relay without them) must not hide the source.
    const [s, syncs] = await Promise.all([api(base), api(base + "/syncs?limit=5").catch((err) => ({ error: err }))]);
    remember("sources", [s]);
    const types = Array.isArray(s.event_types) ? s.event_types : [];
    const inb = s.inbound || {};
    const f = s.fetch;
    const syncRows = syncs && Array.isArray(syncs.data) ? syncs.data : [];
    let syncCard = null;
    if (syncs && syncs.error) {
      syncCard = syncs.error.status === 401 ? null : card("Recent syncs", h("div", { class: "empty err-text" }, "Could not load syncs: " + syncs.error.message));
    } else if (syncRows.length) {
      syncCard = card("Recent syncs", miniTable(["Sync", "Status", "Progress", "Started"], syncRows.map((r) => clickableRow(
        [h("span", { class: "id" }, r.id), badge(r.status), syncProgress(r), timeEl(r.created_at)],
        () => openDrawer("sync", r.id, true)))),
      h("button", { type: "button", class: "btn sm", onclick: () => showFiltered("syncs", "source_id", s.id) }, "All syncs"));
    }
    const out = [
      h("div", { class: "drawer-actions" },
        h("button", { type: "button", class: "btn sm", onclick: () => showFiltered("events", "source_id", s.id) }, "Show its events"),
        f ? h("button", { type: "button", class: "btn sm", onclick: () => showFiltered("notifications", "source_id", s.id) }, "Show its notifications") : null,
        h("button", { type: "button", class: "btn sm", onclick: () => showFiltered("syncs", "source_id", s.id) }, "Show its syncs")),
      card(null, kv([
        ["Name", h("span", { class: "strong" }, s.name || "(unnamed)")],
        ["ID", copyable(s.id)],
        ["Mode", s.strict ? "Strict: unregistered event types are rejected" : "Open: any event type is accepted"],
        ["Inbound", inbound(s)],
        inb.hmac ? ["Signature", mono((inb.hmac.algorithm || "sha256") + " · " + (inb.hmac.encoding || "hex") + " in " + (inb.hmac.header || "?") + (inb.hmac.prefix ? " (prefix " + inb.hmac.prefix + ")" : ""))] : null,
        Array.isArray(inb.ip_allowlist) && inb.ip_allowlist.length ? ["IP allowlist", chips(inb.ip_allowlist)] : null,
        ["Created", timeEl(s.created_at)],
        ["Updated", timeEl(s.updated_at)],
      ])),
      card("Event types", types.length
        ? miniTable(["Code", "Description", "Schema"], types.map((t) => {
          const o = t && typeof t === "object" ? t : { code: t };
          return h("tr", null,
            h("td", null, h("code", { class: "inline-code" }, String(o.code))),
            h("td", null, isBlank(o.description) ? dash() : String(o.description)),
            h("td", null, o.schema ? h("details", null, h("summary", null, "JSON Schema"), jsonBlock(o.schema)) : dash()));
        }))
        : h("div", { class: "empty" }, s.strict ? "None registered: every event is rejected." : "None registered: any type is accepted.")),
      f ? card("ID-only notifications", kv([
        ["Fetches", mono((f.method || "GET") + " " + (f.url || ""))],
        ["Publishes as", f.event_type ? h("code", { class: "inline-code" }, String(f.event_type)) : dash()],
        ["Auth", f.auth && f.auth.type ? tag(f.auth.type) : tag("none")],
      ])) : null,
      syncCard,
      rawCard(s),
    ];
    if (syncRows.some((r) => r.status === "running")) out.poll = 5000;
    return out;
  }

  function destinationEl(subscriberId, d) {
    const disabled = !isBlank(d.disabled_at);
    const retry = d.retry || {};
    let enable = null;
    if (disabled) {
      enable = h("button", { type: "button", class: "btn sm success" }, "Enable");
      enable.addEventListener("click", async () => {
        busy(enable, true);
        try {
          await api("/v1/admin/subscribers/" + enc(subscriberId) + "/destinations/" + enc(d.id) + "/enable", { method: "POST" });
          toast("success", "Destination enabled", (d.name || d.id) + " receives deliveries again; its held deliveries resume.");
          reloadDrawer();
        } catch (err) {
          toastError(err, "Could not enable the destination");
          busy(enable, false);
        }
      });
    }
    const authType = (d.auth && d.auth.type) || d.auth_type;
    return h("div", { class: "dest" },
      h("div", { class: "dest-head" },
        h("span", { class: "strong" }, d.name || d.id),
        d.environment ? badge(d.environment) : null,
        disabled ? badge("disabled", "Disabled") : badge("active", "Active")),
      h("div", { class: "dest-url" }, (d.method || "POST") + " " + (d.url || "")),
      h("div", { class: "meta" },
        h("span", { class: "id" }, d.id),
        d.timeout_ms != null ? h("span", null, "timeout " + duration(d.timeout_ms)) : null,
        retry.max_attempts != null
          ? h("span", null, plural(retry.max_attempts, "attempt") + ", backoff " + retry.initial_delay + " s → " + age(retry.max_delay))
          : null,
        authType ? h("span", null, "auth: " + authType) : null),
      disabled
        ? h("div", { class: "notice red" },
          h("div", { class: "notice-text" },
            h("div", null, h("span", { class: "strong" }, "Disabled "), timeEl(d.disabled_at)),
            isBlank(d.disabled_reason) ? null : h("div", null, String(d.disabled_reason)),
            h("div", { class: "sub" }, "Its deliveries are held, not dropped, until it is enabled.")),
          enable)
        : null);
  }


  // ---------------------------------------------------------------- archive targets and file deliveries
  /** One file sent to an archive target: status, attempts, where it went, and a retry once it has ended. */
  function fileDeliveryEl(f, onChange) {
    const ended = ["dead", "failed", "unconfirmed", "sent", "confirmed"].includes(String(f.status));
    let retry = null;
    if (ended) {
      retry = h("button", { type: "button", class: "btn sm" }, "Send again");
      retry.addEventListener("click", async () => {
        busy(retry, true);
        try {
          await api("/v1/admin/file-deliveries/" + enc(f.id) + "/retry", { method: "POST" });
          toast("success", "File queued", f.file_name + " goes again now, with a fresh attempt budget.");
          onChange();
        } catch (err) {
          toastError(err, "Could not send the file again");
          busy(retry, false);
        }
      });
    }
    return h("div", { class: "dest" },
      h("div", { class: "dest-head" },
        h("span", { class: "strong mono" }, f.file_name),
        badge(f.status),
        f.test ? tag("test file") : null,
        h("span", { class: "grow" }),
        retry),
      h("div", { class: "meta" },
        h("span", { class: "id" }, f.id),
        h("span", null, "to ", h("span", { class: "id" }, f.target_id)),
        h("span", null, plural(f.attempts || 0, "attempt")),
        isBlank(f.remote) ? null : h("span", { class: "mono" }, String(f.remote)),
        isBlank(f.job_id) ? null : h("span", null, "import job " + f.job_id),
        isBlank(f.next_attempt_at) ? null : h("span", null, "next try ", timeEl(f.next_attempt_at)),
        isBlank(f.callback_due_at) ? null : h("span", null, "callback due ", timeEl(f.callback_due_at)),
        isBlank(f.sent_at) ? null : h("span", null, "sent ", timeEl(f.sent_at))),
      isBlank(f.last_error) ? null : h("div", { class: "err-text" }, String(f.last_error)));
  }
  /** Where a target sends, in a line: its URL, bucket and prefix, SFTP URL or host, or addresses. */
  function targetWhere(t) {
    if (t.type === "s3") return (t.endpoint || "") + " " + (t.bucket || "") + "/" + (t.prefix || "") + (t.then ? "  then " + (t.then.method || "POST") + " " + t.then.url : "");
    if (t.type === "sftp") return t.url || "sftp://" + (t.username || "") + "@" + (t.host || "") + ":" + (t.port || 22) + (t.path || "");
    if (t.type === "email") return (t.to || []).join(", ");
    return "PUT " + (t.url || "");
  }
  async function archiveTargetEl(subscriberId, t) {
    const base = "/v1/admin/subscribers/" + enc(subscriberId) + "/archive-targets/" + enc(t.id);
    const recent = await api(base + "/deliveries?limit=5").catch(() => null);
    const rows = recent && Array.isArray(recent.data) ? recent.data : [];
    const test = h("button", { type: "button", class: "btn sm" }, "Send a test file");
    test.addEventListener("click", async () => {
      busy(test, true);
      try {
        const f = await api(base + "/test", { method: "POST" });
        toast("success", "Test file queued", (f && f.file_name) + " goes to " + (t.name || t.id) + " now.");
        reloadDrawer();
      } catch (err) {
        toastError(err, "Could not send a test file");
        busy(test, false);
      }
    });
    const retry = t.retry || {};
    return h("div", { class: "dest" },
      h("div", { class: "dest-head" },
        h("span", { class: "strong" }, t.name || t.id),
        tag(t.type),
        t.environment ? badge(t.environment) : null,
        t.enabled ? badge("active", "Enabled") : badge("disabled", "Disabled"),
        h("span", { class: "grow" }),
        test),
      h("div", { class: "dest-url" }, targetWhere(t)),
      h("div", { class: "meta" },
        h("span", { class: "id" }, t.id),
        retry.max_attempts != null
          ? h("span", null, plural(retry.max_attempts, "attempt") + ", backoff " + retry.initial_delay + " s → " + age(retry.max_delay))
          : null,
        t.connect_timeout_ms != null ? h("span", null, "connect " + duration(t.connect_timeout_ms) + ", transfer " + duration(t.transfer_timeout_ms)) : null),
      rows.length
        ? h("div", null, rows.map((f) => fileDeliveryEl(f, reloadDrawer)))
        : h("div", { class: "empty" }, "Nothing sent yet."));
  }

  async function buildSubscriber(id) {
    const base = "/v1/admin/subscribers/" + enc(id);
    const [s, dests, targetPage] = await Promise.all([
      api(base),
      api(base + "/destinations?limit=100"),
      api(base + "/archive-targets?limit=20").catch(() => null),
    ]);
    const targets = targetPage && Array.isArray(targetPage.data) ? targetPage.data : [];
    const targetEls = await Promise.all(targets.map((t) => archiveTargetEl(id, t)));
    remember("subscribers", [s]);
    const list = dests && Array.isArray(dests.data) ? dests.data : [];
    remember("destinations", list);
    updateRefs();
    const a = s.archive || {};
    const disabledCount = list.filter((d) => !isBlank(d.disabled_at)).length;
    return [
      h("div", { class: "drawer-actions" },
        h("button", { type: "button", class: "btn sm", onclick: () => showFiltered("deliveries", "subscriber_id", s.id) }, "Show its deliveries"),
        h("button", { type: "button", class: "btn sm", onclick: () => showFiltered("identities", "subscriber_id", s.id) }, "Show its identities"),
        h("button", { type: "button", class: "btn sm", onclick: () => showFiltered("archives", "subscriber_id", s.id) }, "Show its archives")),
      card(null, kv([
        ["Name", h("span", { class: "strong" }, s.name || "(unnamed)")],
        ["ID", copyable(s.id)],
        ["Time zone", s.timezone],
        ["Archives", archiveSummary(a)],
        a.link_ttl != null ? ["Link lifetime", age(a.link_ttl)] : null,
        a.notify_url ? ["Archive notify", mono(a.notify_url)] : null,
        ["Created", timeEl(s.created_at)],
        ["Updated", timeEl(s.updated_at)],
      ])),
      card("Destinations",
        list.length
          ? h("div", null, list.map((d) => destinationEl(s.id, d)),
            dests.next_cursor ? h("div", { class: "empty" }, "Only the first 100 destinations are shown.") : null)
          : h("div", { class: "empty" }, h("div", { class: "state-title" }, "No destinations"), "Add one with POST /v1/admin/subscribers/{id}/destinations."),
        disabledCount ? badge("disabled", disabledCount + " disabled") : tag(plural(list.length, "destination"))),
      card("Archive targets",
        targets.length
          ? h("div", null, targetEls)
          : h("div", { class: "empty" }, h("div", { class: "state-title" }, "No archive targets"), "Add one with POST /v1/admin/subscribers/{id}/archive-targets: https_put, s3, sftp or email."),
        tag(plural(targets.length, "target"))),
      rawCard(s),
    ];
  }

  async function buildSubscription(id) {
    const s = await api("/v1/admin/subscriptions/" + enc(id));
    const steps = Array.isArray(s.steps) ? s.steps : [];
    return [
      card(null, kv([
        ["ID", copyable(s.id)],
        ["Subscriber", ref("subscribers", s.subscriber_id)],
        ["Source", ref("sources", s.source_id)],
        ["Event types", chips(s.event_types)],
        ["Filter", isBlank(s.filter) ? h("span", { class: "sub" }, "none: every event of these types") : codeBlock(s.filter)],
        ["Archive", s.archive ? tag("into the subscriber's archives", "green") : tag("no")],
        s.version != null ? ["Version", String(s.version)] : null,
        ["Created", timeEl(s.created_at)],
        ["Updated", timeEl(s.updated_at)],
      ])),
      card("Steps", steps.length
        ? h("ol", { class: "attempts" }, steps.map((st, i) => h("li", { class: "attempt" },
          h("span", { class: "n" }, String(i + 1)),
          h("div", { class: "stack" },
            h("div", { class: "line" },
              h("span", { class: "sub" }, "push to"),
              ref("destinations", st.destination_id, "strong"),
              h("span", { class: "id" }, st.destination_id)),
            isBlank(st.transform) ? h("div", { class: "sub" }, "sends the CloudEvent as is") : h("div", null, h("div", { class: "sub" }, "transform"), codeBlock(st.transform)),
            st.identity ? h("details", null, h("summary", null, "identity mapping"), jsonBlock(st.identity)) : null))))
        : h("div", { class: "empty" }, "No pushes: this subscription only feeds archives."),
        tag(plural(steps.length, "step"))),
      rawCard(s),
    ];
  }

  async function buildEvent(id) {
    const body = await api("/v1/admin/events/" + enc(id));
    const ev = body && body.event && typeof body.event === "object" ? body.event : body || {};
    const deliveries = Array.isArray(body && body.deliveries) ? body.deliveries : Array.isArray(ev.deliveries) ? ev.deliveries : [];
    const rows = deliveries.map((d) => clickableRow(
      [badge(d.status), ref("destinations", d.destination_id), d.step != null ? String(d.step) : null, String(attemptCount(d) == null ? "" : attemptCount(d)), timeEl(d.updated_at || d.created_at)],
      () => openDrawer("delivery", d.id, true)));
    return [
      card(null, kv([
        ["Type", h("code", { class: "inline-code" }, ev.type || "(none)")],
        ["ID", copyable(ev.id || id)],
        ["Source", ref("sources", ev.source_id || ev.source)],
        ["Subject", isBlank(ev.subject) ? dash() : mono(ev.subject)],
        ev.external_id !== undefined ? ["Origin's id", mono(ev.external_id)] : null,
        ["Occurred", timeEl(ev.time)],
        ["Received", timeEl(ev.received_at)],
        ev.routed_at !== undefined ? ["Routed", isBlank(ev.routed_at) ? tag("not yet", "amber") : timeEl(ev.routed_at)] : null,
        isBlank(ev.route_error) ? null : ["Route error", h("span", { class: "err-text" }, String(ev.route_error))],
      ])),
      card("Data", h("div", { class: "card-body" }, jsonBlock(ev.data !== undefined ? ev.data : ev))),
      card("Deliveries", rows.length
        ? miniTable(["Status", "Destination", "Step", "Attempts", "Updated"], rows)
        : h("div", { class: "empty" }, "No deliveries: no subscription matched this event (yet)."),
        tag(plural(rows.length, "delivery", "deliveries"))),
      rawCard(body),
    ];
  }

  function replayLink(id) {
    return linkButton(String(id), () => {
      closeDrawer();
      track(String(id));
      location.hash = "#replays";
    });
  }
  // The create (to the destination) or update (to identity.update.url) request an identity step last made.
  function requestEl(r) {
    return h("div", { class: "stack" },
      h("div", { class: "line" }, tag(String(r.method || "POST").toUpperCase(), "blue"), h("span", { class: "mono wrap" }, String(r.url))),
      h("span", { class: "sub" }, "the create or update this identity step last sent"));
  }

  async function buildDelivery(id) {
    const d = await api("/v1/admin/deliveries/" + enc(id));
    const attempts = Array.isArray(d.attempts) ? d.attempts : [];
    const retry = h("button", { type: "button", class: "btn primary sm" }, "Retry now");
    retry.addEventListener("click", async () => {
      busy(retry, true);
      try {
        await api("/v1/admin/deliveries/" + enc(d.id || id) + "/retry", { method: "POST" });
        toast("success", "Retry queued", (d.id || id) + " goes out again shortly.");
        listState("deliveries").loadedAt = 0;
        if (current === "deliveries") loadList("deliveries");
        setTimeout(reloadDrawer, 800);
      } catch (err) {
        toastError(err, "Retry refused");
      } finally {
        busy(retry, false);
      }
    });
    const status = String(d.status || "");
    let notice = null;
    if (status === "held") notice = h("div", { class: "notice amber" }, h("div", { class: "notice-text" }, "The destination is disabled. This delivery is held and resumes when the destination is enabled again."));
    if (status === "skipped") notice = h("div", { class: "notice amber" }, h("div", { class: "notice-text" }, "The subscription's filter rejected this event, so nothing was sent."));
    if (status === "dead") notice = h("div", { class: "notice red" }, h("div", { class: "notice-text" }, "Delivery gave up" + (isBlank(d.last_error) ? "." : ": " + d.last_error)));
    const list = h("ol", { class: "attempts" }, attempts.slice().reverse().map((a) => {
      const c = Number(a.status_code);
      const colour = isBlank(a.status_code) ? "red" : c >= 200 && c < 300 ? "green" : c === 408 || c === 425 || c === 429 || c >= 500 ? "amber" : "red";
      return h("li", { class: "attempt" },
        h("span", { class: "n " + colour }, String(a.n == null ? "?" : a.n)),
        h("div", { class: "stack" },
          h("div", { class: "line" },
            codeBadge(a.status_code) || tag("no response", "red"),
            h("span", { class: "sub" }, duration(a.duration_ms)),
            timeEl(a.at)),
          isBlank(a.error) ? null : h("div", { class: "err-text" }, String(a.error)),
          isBlank(a.response_excerpt) ? null : h("details", null, h("summary", null, "Response body"), codeBlock(a.response_excerpt))));
    }));
    return [
      h("div", { class: "drawer-actions" },
        badge(status),
        h("span", { class: "sub" }, d.step != null ? "step " + d.step : ""),
        h("span", { class: "grow" }),
        d.event_id ? h("button", { type: "button", class: "btn sm", onclick: () => openDrawer("event", d.event_id, true) }, "Open event") : null,
        retry),
      notice,
      card(null, kv([
        ["ID", copyable(d.id || id)],
        ["Event", d.event_id ? linkButton(String(d.event_id), () => openDrawer("event", d.event_id, true)) : dash()],
        ["Subscriber", ref("subscribers", d.subscriber_id)],
        ["Destination", ref("destinations", d.destination_id)],
        d.subscription_id !== undefined ? ["Subscription", linkButton(String(d.subscription_id), () => openDrawer("subscription", d.subscription_id, true))] : null,
        isBlank(d.replay_id || d.generation) ? null : ["Replay", replayLink(d.replay_id || d.generation)],
        d.request && typeof d.request === "object" && !isBlank(d.request.url) ? ["Identity request", requestEl(d.request)] : null,
        ["Attempts", String(attempts.length || attemptCount(d) || 0)],
        d.next_attempt_at !== undefined ? ["Next attempt", timeEl(d.next_attempt_at)] : null,
        ["Created", timeEl(d.created_at)],
        ["Updated", timeEl(d.updated_at)],
        d.sent_at !== undefined ? ["Sent", timeEl(d.sent_at)] : null,
      ])),
      card("Attempts", attempts.length ? list : h("div", { class: "empty" }, "No attempts yet."), tag(plural(attempts.length, "attempt"))),
      d.payload != null ? card("Payload", h("div", { class: "card-body" }, jsonBlock(d.payload))) : null,
      rawCard(d),
    ];
  }
  function notice(colour, children, action) {
    return h("div", { class: "notice " + colour }, h("div", { class: "notice-text" }, children), action || null);
  }
  function stats(items) {
    return h("div", { class: "card stats" }, items.filter(Boolean).map((it) =>
      h("div", { class: "stat" }, h("div", { class: "stat-label" }, it[0]), h("div", { class: "stat-value" }, it[1]), it[2] ? h("div", { class: "sub" }, it[2]) : null)));
  }

  // ---------------------------------------------------------------- notifications
  async function buildNotification(id) {
    const n = await api("/v1/admin/notifications/" + enc(id));
    const src = info.sources.get(n.source_id) || (await api("/v1/admin/sources/" + enc(n.source_id)).catch(() => null));
    if (src) { remember("sources", [src]); updateRefs(); }
    const f = src && src.fetch;
    const status = String(n.status || "");
    const openEvent = n.event_id ? h("button", { type: "button", class: "btn sm primary", onclick: () => openDrawer("event", n.event_id, true) }, "Open event") : null;
    let note = null;
    if (status === "published") note = notice("green", ["Fetched from the origin and published as event ", h("span", { class: "mono" }, String(n.event_id || "")), "."]);
    else if (status === "collapsed") {
      note = notice("blue", "The same record was already being fetched for an earlier notification; that fetch answered this one too.",
        n.collapsed_into ? h("button", { type: "button", class: "btn sm", onclick: () => openDrawer("notification", n.collapsed_into, true) }, "Open it") : null);
    } else if (status === "not_found") note = notice("amber", [h("div", { class: "strong" }, "The origin has no such record"), "It answered 404 for this id, so nothing was published and the notification ended."]);
    else if (status === "failed") note = notice("red", [h("div", { class: "strong" }, "Gave up after " + plural(n.attempts || 0, "attempt")), isBlank(n.error) ? null : String(n.error)]);
    else if (status === "retrying") note = notice("amber", [h("div", null, h("span", { class: "strong" }, "Fetching from the origin failed; next try "), timeEl(n.next_attempt_at)), isBlank(n.error) ? null : h("div", null, String(n.error))]);
    else if (status === "pending") note = notice("blue", "Queued: the record is fetched from the origin shortly.");
    const out = [
      h("div", { class: "drawer-actions" },
        badge(status),
        h("span", { class: "sub" }, plural(n.attempts || 0, "attempt")),
        h("span", { class: "grow" }),
        h("button", { type: "button", class: "btn sm", onclick: () => showFiltered("notifications", "source_id", n.source_id) }, "Source's notifications"),
        openEvent),
      note,
      card(null, kv([
        ["ID", copyable(n.id || id)],
        ["Source", ref("sources", n.source_id)],
        ["Record id", copyable(n.object_id)],
        f && !isBlank(f.url) ? ["Fetches", mono((f.method || "GET") + " " + String(f.url).split("{id}").join(enc(String(n.object_id))))] : null,
        f && f.event_type ? ["Publishes as", h("code", { class: "inline-code" }, String(f.event_type))] : null,
        ["Status", badge(status)],
        ["Event", n.event_id ? linkButton(String(n.event_id), () => openDrawer("event", n.event_id, true)) : dash()],
        n.collapsed_into ? ["Answered by", linkButton(String(n.collapsed_into), () => openDrawer("notification", n.collapsed_into, true))] : null,
        ["Attempts", String(n.attempts == null ? 0 : n.attempts)],
        ["Last status", codeBadge(n.last_status_code) || dash()],
        ["Error", isBlank(n.error) ? dash() : h("span", { class: "err-text" }, String(n.error))],
        isBlank(n.next_attempt_at) ? null : ["Next attempt", timeEl(n.next_attempt_at)],
        ["Received", timeEl(n.created_at)],
        ["Updated", timeEl(n.updated_at)],
      ])),
      rawCard(n),
    ];
    if (status === "pending" || status === "retrying") out.poll = 4000;
    return out;
  }

  // ---------------------------------------------------------------- syncs
  async function buildSync(id) {
    const r = await api("/v1/admin/syncs/" + enc(id));
    const status = String(r.status || "");
    const resume = status === "failed" ? resumeButton(r, "sm") : null;
    let note = null;
    if (status === "running") note = notice("blue", "Running: the origin's list is fetched page by page in queue jobs. This view follows it.");
    else if (status === "completed") note = notice("green", ["Completed: " + plural(r.records || 0, "record") + " from " + plural(r.pages || 0, "page") + ", " + plural(r.published || 0, "new event") + ".", h("div", { class: "sub" }, "Records already published before are not stored again.")]);
    else if (status === "failed") {
      note = notice("red", [
        h("div", { class: "strong" }, "Stopped after " + plural(r.pages || 0, "page")),
        isBlank(r.error) ? null : h("div", null, String(r.error)),
        h("div", { class: "sub" }, "Resume continues from " + (isBlank(r.cursor) ? "the page where it stopped" : "cursor " + r.cursor) + "; nothing published so far is published twice.")]);
    }
    const out = [
      h("div", { class: "drawer-actions" },
        badge(status),
        h("span", { class: "grow" }),
        h("button", { type: "button", class: "btn sm", onclick: () => openDrawer("source", r.source_id, true) }, "Open source"),
        resume),
      note,
      stats([
        ["Pages", Number(r.pages || 0).toLocaleString()],
        ["Records", Number(r.records || 0).toLocaleString()],
        ["New events", Number(r.published || 0).toLocaleString(), Number(r.records) > Number(r.published) ? Number(r.records - r.published).toLocaleString() + " already known" : null],
        ["Time", syncDuration(r) || "—"],
      ]),
      card(null, kv([
        ["ID", copyable(r.id || id)],
        ["Source", ref("sources", r.source_id)],
        ["Status", badge(status)],
        ["Cursor", isBlank(r.cursor) ? h("span", { class: "sub" }, "none: " + (status === "running" && !r.pages ? "first page" : "no next page")) : copyable(r.cursor)],
        ["Error", isBlank(r.error) ? dash() : h("span", { class: "err-text" }, String(r.error))],
        ["Started", timeEl(r.created_at)],
        ["Updated", timeEl(r.updated_at)],
        ["Finished", isBlank(r.finished_at) ? (status === "running" ? tag("running", "blue") : dash()) : timeEl(r.finished_at)],
      ])),
      rawCard(r),
    ];
    if (status === "running") out.poll = 3000;
    return out;
  }

  // ---------------------------------------------------------------- archives
  const minted = new Map();
  const TTL_CHOICES = [["3600", "1 hour"], ["86400", "1 day"], ["604800", "7 days"], ["2592000", "30 days"]];
  function safeHref(url) {
    try {
      const u = new URL(url, location.href);
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (_) {
      return null;
    }
  }
  function linkResult(archiveId) {
    const l = minted.get(archiveId);
    if (!l) return null;
    const input = h("input", { class: "input mono link-url", readonly: true, value: l.url, "aria-label": "Download link", spellcheck: "false" });
    input.addEventListener("focus", () => input.select());
    const copy = h("button", { type: "button", class: "btn sm primary" }, "Copy link");
    copy.addEventListener("click", () => copyText(l.url, copy));
    const href = safeHref(l.url);
    return h("div", { class: "link-result" },
      h("div", { class: "link-row" }, input, copy,
        href ? h("a", { class: "btn sm", href, download: "", rel: "noopener noreferrer" }, "Download") : null),
      h("div", { class: "meta" },
        h("span", null, "Expires ", timeEl(l.expires_at)),
        h("span", null, "Anyone holding it can download the zip, no credentials needed; it cannot be revoked before it expires.")));
  }
  function linkCard(a, subscriber) {
    const defTtl = subscriber && subscriber.archive && subscriber.archive.link_ttl;
    const select = h("select", { class: "select", "aria-label": "Link lifetime" },
      h("option", { value: "", title: "The subscriber's archive.link_ttl" }, "Default" + (defTtl ? " (" + age(defTtl) + ")" : "")),
      TTL_CHOICES.map((c) => h("option", { value: c[0] }, c[1])));
    const btn = h("button", { type: "button", class: "btn primary" }, "Get download link");
    const box = h("div", null, linkResult(a.id));
    btn.addEventListener("click", async () => {
      busy(btn, true);
      try {
        const body = select.value ? { ttl: Number(select.value) } : {};
        const l = await api("/v1/admin/archives/" + enc(a.id) + "/link", { method: "POST", body });
        if (!l || typeof l.url !== "string") throw new ApiError(0, "Unexpected answer", "The relay did not return a link.");
        minted.set(a.id, { url: l.url, expires_at: l.expires_at });
        box.replaceChildren(linkResult(a.id));
        $(".link-url", box).focus();
      } catch (err) {
        toastError(err, "No link minted");
      } finally {
        busy(btn, false);
      }
    });
    return card("Download link", h("div", { class: "card-body link-card" },
      h("div", { class: "link-row" }, h("span", { class: "sub" }, "Valid for"), select, btn),
      box));
  }
  async function buildArchiveNow(body) {
    const a = await api("/v1/admin/archives", { method: "POST", body });
    listState("archives").loadedAt = 0;
    if (current === "archives") loadList("archives");
    return a;
  }
  /** Where a ready archive went: one file delivery per archive target, and a button to send it to all again. */
  function sentToCard(a) {
    const rows = Array.isArray(a.deliveries) ? a.deliveries : [];
    const again = h("button", { type: "button", class: "btn sm" }, "Send to every target");
    again.addEventListener("click", async () => {
      busy(again, true);
      try {
        await api("/v1/admin/archives/" + enc(a.id) + "/deliver", { method: "POST", body: {} });
        toast("success", "Archive queued", "It goes to each enabled target of the subscriber now.");
        reloadDrawer();
      } catch (err) {
        toastError(err, "Could not send the archive");
        busy(again, false);
      }
    });
    return card("Sent to",
      rows.length
        ? h("div", null, rows.map((f) => fileDeliveryEl(f, reloadDrawer)))
        : h("div", { class: "empty" }, "No archive target got this archive (the subscriber had none when it was ready)."),
      again);
  }
  async function buildArchive(id) {
    const a = await api("/v1/admin/archives/" + enc(id));
    let subscriber = info.subscribers.get(a.subscriber_id);
    if (!subscriber) {
      subscriber = await api("/v1/admin/subscribers/" + enc(a.subscriber_id)).catch(() => null);
      if (subscriber) { remember("subscribers", [subscriber]); updateRefs(); }
    }
    const status = String(a.status || "");
    let rebuild = null;
    if (status === "failed") {
      rebuild = h("button", { type: "button", class: "btn sm primary" }, "Build again");
      rebuild.addEventListener("click", async () => {
        busy(rebuild, true);
        try {
          const next = await buildArchiveNow({ subscriber_id: a.subscriber_id, period_start: a.period_start, period_end: a.period_end });
          toast("success", "Archive queued", periodText(a) + " is being built again.");
          if (next && next.id && next.id !== a.id) openDrawer("archive", next.id);
          else reloadDrawer();
        } catch (err) {
          toastError(err, "Could not build the archive");
          busy(rebuild, false);
        }
      });
    }
    const progress = a.progress && a.progress.events != null ? Number(a.progress.events) : null;
    let note = null;
    if (status === "pending") note = notice("blue", "Queued: it is built shortly. This view follows it.");
    else if (status === "building") note = notice("blue", "Building" + (progress != null ? ": " + plural(progress, "event") + " written so far." : "."));
    else if (status === "failed") note = notice("red", [h("div", { class: "strong" }, "The build failed"), isBlank(a.error) ? null : String(a.error)], rebuild);
    const days = periodDays(a);
    const out = [
      h("div", { class: "drawer-actions" },
        archiveBadge(a),
        h("span", { class: "sub" }, periodText(a)),
        h("span", { class: "grow" }),
        h("button", { type: "button", class: "btn sm", onclick: () => showFiltered("archives", "subscriber_id", a.subscriber_id) }, "Subscriber's archives"),
        h("button", { type: "button", class: "btn sm", onclick: () => openDrawer("subscriber", a.subscriber_id, true) }, "Open subscriber")),
      note,
      status === "ready" ? stats([
        ["Events", isBlank(a.events) ? "—" : Number(a.events).toLocaleString()],
        ["Size", bytes(a.bytes)],
        ["Format", a.format || "—"],
        ["Period", days ? plural(days, "day") : "—"],
      ]) : null,
      status === "ready" ? linkCard(a, subscriber) : null,
      status === "ready" ? sentToCard(a) : null,
      card(null, kv([
        ["ID", copyable(a.id || id)],
        ["Subscriber", ref("subscribers", a.subscriber_id)],
        ["Period", h("div", { class: "stack" },
          h("span", { class: "strong" }, a.period_start === a.period_end ? dayLabel(a.period_start) : dayLabel(a.period_start) + " – " + dayLabel(a.period_end)),
          h("span", { class: "sub" }, (days ? plural(days, "local day") + " in " : "in ") + (a.timezone || "the subscriber's time zone") + ", both ends included"))],
        a.from || a.to ? ["Covers", h("div", { class: "stack" },
          h("span", null, timeEl(a.from), " → ", timeEl(a.to)),
          h("span", { class: "sub" }, "events by the time the relay received them; end excluded"))] : null,
        ["Format", a.format ? tag(a.format) : dash()],
        a.partial ? ["Partial", h("span", null, tag("export of the period so far", "amber"), " up to ", timeEl(a.to))] : null,
        ["Status", archiveBadge(a)],
        status === "building" && progress != null ? ["Progress", plural(progress, "event") + " written"] : null,
        ["Events", isBlank(a.events) ? dash() : Number(a.events).toLocaleString()],
        ["Size", isBlank(a.bytes) ? dash() : bytes(a.bytes) + " (" + Number(a.bytes).toLocaleString() + " bytes)"],
        ["SHA-256", isBlank(a.sha256) ? dash() : copyable(a.sha256)],
        ["Error", isBlank(a.error) ? dash() : h("span", { class: "err-text" }, String(a.error))],
        ["Created", timeEl(a.created_at)],
        a.ready_at !== undefined ? ["Ready", isBlank(a.ready_at) ? dash() : timeEl(a.ready_at)] : null,
        a.acknowledged_at !== undefined ? ["Fetched", isBlank(a.acknowledged_at) ? tag(status === "ready" ? "not acknowledged yet" : "no") : h("span", null, "acknowledged ", timeEl(a.acknowledged_at))] : null,
        a.expires_at !== undefined && !isBlank(a.expires_at) ? ["Kept until", timeEl(a.expires_at)] : null,
      ])),
      rawCard(a),
    ];
    const moving = (Array.isArray(a.deliveries) ? a.deliveries : []).some((f) => f.status === "pending" || f.status === "retrying");
    if (status === "pending" || status === "building" || moving) out.poll = 2500;
    return out;
  }

  const builders = {
    source: buildSource, subscriber: buildSubscriber, subscription: buildSubscription, event: buildEvent, delivery: buildDelivery,
    notification: buildNotification, sync: buildSync, archive: buildArchive,
  };

  // ---------------------------------------------------------------- replays
  const TERMINAL = ["completed", "complete", "done", "finished", "succeeded", "failed", "error", "cancelled", "canceled", "not_found"];
  const replayData = new Map();
  let replayTimer = null;
  function tracked() {
    try {
      const v = JSON.parse(store.get(REPLAYS_KEY) || "[]");
      return Array.isArray(v) ? v.filter((x) => typeof x === "string") : [];
    } catch (_) {
      return [];
    }
  }
  const saveTracked = (list) => store.set(REPLAYS_KEY, JSON.stringify(list.slice(0, 20)));
  const isActive = (r) => !r || !TERMINAL.includes(String(r.status).toLowerCase());
  function track(id) {
    saveTracked([id].concat(tracked().filter((x) => x !== id)));
    renderReplays();
    pollReplays();
  }
  function untrack(id) {
    saveTracked(tracked().filter((x) => x !== id));
    replayData.delete(id);
    renderReplays();
  }
  async function pollReplays() {
    clearTimeout(replayTimer);
    const ids = tracked();
    await Promise.all(ids.map(async (id) => {
      const prev = replayData.get(id);
      if (prev && !isActive(prev)) return;
      try {
        replayData.set(id, await api("/v1/admin/replays/" + enc(id)));
      } catch (err) {
        if (err.status === 401) return;
        if (err.status === 404) replayData.set(id, { id, status: "not_found", error: "No replay with this id." });
        else replayData.set(id, Object.assign({ id, status: "unknown" }, prev, { pollError: err.message }));
      }
    }));
    renderReplays();
    if (token() && ids.some((id) => isActive(replayData.get(id)))) replayTimer = setTimeout(pollReplays, 2000);
  }
  function replayEl(id, r) {
    const matched = Number((r && r.matched) || 0);
    const processed = Number((r && r.processed) || 0);
    const status = r ? String(r.status || "unknown") : "loading";
    const done = r && !isActive(r);
    const failed = /fail|error|not_found/.test(status);
    const pct = matched ? Math.min(100, Math.round((processed / matched) * 100)) : done && !failed ? 100 : 0;
    const criteria = (r && r.criteria && typeof r.criteria === "object" ? r.criteria : r) || {};
    const stage = (r && r.stage) || criteria.stage;
    const range = criteria.from || criteria.to ? (criteria.from ? absFormat.format(toMs(criteria.from)) : "the start") + " → " + (criteria.to ? absFormat.format(toMs(criteria.to)) : "now") : null;
    const remove = h("button", { type: "button", class: "btn sm ghost", title: "Stop tracking", "aria-label": "Stop tracking" }, "✕");
    remove.addEventListener("click", () => untrack(id));
    return h("div", { class: "replay" },
      h("div", { class: "replay-head" },
        h("span", { class: "id" }, id),
        r ? badge(status) : h("span", { class: "spinner" }),
        h("span", { class: "grow" }),
        r && r.created_at ? timeEl(r.created_at) : null,
        remove),
      h("progress", { max: 100, value: pct, class: failed ? "failed" : done ? "done" : "", "aria-label": "Progress" }),
      h("div", { class: "meta" },
        h("span", { class: "strong" }, pct + "%"),
        h("span", null, processed.toLocaleString() + " of " + plural(matched, "event") + " processed"),
        stage ? h("span", null, "stage: " + stage) : null,
        range ? h("span", null, range) : null,
        criteria.destination_id ? h("span", null, "to ", h("span", { class: "id" }, String(criteria.destination_id))) : null),
      r && !isBlank(r.error) ? h("div", { class: "err-text" }, String(r.error)) : null,
      r && r.pollError ? h("div", { class: "sub" }, "Last refresh failed: " + r.pollError) : null);
  }
  function renderReplays() {
    const box = $("#replay-list");
    const ids = tracked();
    if (!ids.length) {
      box.replaceChildren(h("div", { class: "empty" },
        h("div", { class: "state-title" }, "No replays tracked"),
        h("div", null, "Start one with the form, or track an existing replay by its id.")));
      return;
    }
    box.replaceChildren(...ids.map((id) => replayEl(id, replayData.get(id))));
  }

  function fieldError(form, name, message) {
    const input = form.elements.namedItem(name);
    const field = input && input.closest ? input.closest(".field") : null;
    if (!field) return false;
    input.classList.add("invalid");
    field.append(h("span", { class: "field-error" }, message));
    return true;
  }
  function clearFieldErrors(form) {
    for (const el of $$(".field-error", form)) el.remove();
    for (const el of $$(".invalid", form)) el.classList.remove("invalid");
  }
  // Puts each problem+json field error next to its input; true when at least one found a place.
  function placeErrors(form, err) {
    let placed = false;
    for (const fe of (err && err.errors) || []) {
      const name = pathText(fe.path).split(/[.\/]/).filter(Boolean).pop();
      if (name && fieldError(form, name, fe.message || "Invalid.")) placed = true;
    }
    return placed;
  }
  const STAGE_HELP = {
    route: "Runs the events through today's subscriptions again.",
    deliver: "Resends the payloads exactly as they were built.",
  };

  function wireReplayForm() {
    const form = $("#replay-form");
    const el = form.elements;
    const offset = -new Date().getTimezoneOffset();
    const sign = offset >= 0 ? "+" : "−";
    const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
    const mm = String(Math.abs(offset) % 60).padStart(2, "0");
    let zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (_) { /* older browsers */ }
    $("#replay-tz").textContent = "Times are in your time zone" + (zone ? ", " + zone : "") + " (UTC" + sign + hh + ":" + mm + "). Leave empty for no bound.";
    for (const r of $$("input[name=stage]", form)) r.addEventListener("change", () => { $("#replay-stage-help").textContent = STAGE_HELP[r.value] || ""; });

    async function loadDestinations() {
      const sel = el.destination_id;
      const sid = el.subscriber_id.value;
      sel.replaceChildren(h("option", { value: "" }, "The original destinations"));
      sel.disabled = !sid;
      if (!sid) return;
      try {
        const body = await api("/v1/admin/subscribers/" + enc(sid) + "/destinations?limit=100");
        const list = body && Array.isArray(body.data) ? body.data : [];
        remember("destinations", list);
        for (const d of list) {
          sel.append(h("option", { value: d.id },
            (d.name || d.id) + (d.environment ? " (" + d.environment + ")" : "") + (isBlank(d.disabled_at) ? "" : " · disabled")));
        }
      } catch (err) {
        toastError(err, "Could not load the subscriber's destinations");
      }
    }
    el.subscriber_id.addEventListener("change", loadDestinations);
    form.addEventListener("reset", () => setTimeout(() => {
      clearFieldErrors(form);
      loadDestinations();
      $("#replay-stage-help").textContent = STAGE_HELP.route;
    }, 0));

    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const body = {};
      let bad = false;
      for (const k of ["from", "to"]) {
        const v = el[k].value;
        if (!v) continue;
        const ms = Date.parse(v);
        if (Number.isNaN(ms)) { fieldError(form, k, "Not a valid date and time."); bad = true; }
        else body[k] = new Date(ms).toISOString();
      }
      if (body.from && body.to && body.from > body.to) { fieldError(form, "to", "Must be after From."); bad = true; }
      if (bad) return;
      const stage = form.querySelector("input[name=stage]:checked");
      body.stage = stage ? stage.value : "route";
      for (const k of ["source_id", "subscriber_id", "destination_id"]) {
        const v = el[k].value.trim();
        if (v) body[k] = v;
      }
      const btn = form.querySelector("[type=submit]");
      busy(btn, true);
      try {
        const res = await api("/v1/admin/replays", { method: "POST", body });
        const id = res && res.id;
        toast("success", "Replay started", res && res.matched != null ? plural(res.matched, "event") + " matched." : null);
        if (id) {
          replayData.set(id, Object.assign({ status: "pending", processed: 0, criteria: body }, res));
          track(id);
        }
      } catch (err) {
        toastError(err, placeErrors(form, err) ? "Check the highlighted fields" : "Replay not started");
      } finally {
        busy(btn, false);
      }
    });

    $("#replay-track").addEventListener("submit", (e) => {
      e.preventDefault();
      const input = e.currentTarget.elements.id;
      const id = input.value.trim();
      if (!id) return input.focus();
      input.value = "";
      track(id);
    });
  }

  // ---------------------------------------------------------------- archive builds
  const isoDay = (d) => d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  function wireArchiveForm() {
    const form = $("#archive-form");
    const el = form.elements;
    const toggle = $("[data-action=build-archive]");
    const help = $("#archive-form-help");
    const helpText = help.textContent;
    function show(open) {
      form.hidden = !open;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (!open) return;
      const filter = $("#view-archives [data-filter=subscriber_id]").value;
      if (filter && !el.subscriber_id.value) el.subscriber_id.value = filter;
      if (!el.subscriber_id.value && names.subscribers.size === 1) el.subscriber_id.value = names.subscribers.keys().next().value;
      if (!el.period_start.value) preset("yesterday");
      describe();
      (el.subscriber_id.value ? el.period_start : el.subscriber_id).focus();
    }
    function preset(which) {
      const today = new Date();
      const start = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
      let end = start;
      if (which === "last-week") {
        const monday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - ((today.getDay() + 6) % 7) - 7);
        start.setTime(monday.getTime());
        end = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + 6);
      }
      el.period_start.value = isoDay(start);
      el.period_end.value = isoDay(end);
      clearFieldErrors(form);
    }
    // Tells the operator which calendar the dates are in: the subscriber's, not this browser's.
    function describe() {
      const sub = info.subscribers.get(el.subscriber_id.value);
      help.textContent = sub && sub.timezone
        ? "Local dates in " + (sub.name || sub.id) + "'s time zone, " + sub.timezone + ", both included. The period must have ended there; an existing archive of it is shown instead, and a failed one is built again."
        : helpText;
    }
    toggle.addEventListener("click", () => show(form.hidden));
    $("[data-action=close-build]", form).addEventListener("click", () => { show(false); toggle.focus(); });
    el.subscriber_id.addEventListener("change", describe);
    for (const b of $$("[data-preset]", form)) b.addEventListener("click", () => preset(b.getAttribute("data-preset")));
    el.period_start.addEventListener("change", () => {
      if (!el.period_end.value || el.period_end.value < el.period_start.value) el.period_end.value = el.period_start.value;
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const body = {
        subscriber_id: el.subscriber_id.value.trim(),
        period_start: el.period_start.value,
        period_end: el.period_end.value || el.period_start.value,
      };
      let bad = false;
      if (!body.subscriber_id) { fieldError(form, "subscriber_id", "Choose a subscriber."); bad = true; }
      if (!body.period_start) { fieldError(form, "period_start", "Pick the first day."); bad = true; }
      if (body.period_start && body.period_end < body.period_start) { fieldError(form, "period_end", "Must not be before the first day."); bad = true; }
      if (bad) return;
      const btn = form.querySelector("[type=submit]");
      busy(btn, true);
      try {
        const a = await buildArchiveNow(body);
        const status = a && a.status ? String(a.status) : "pending";
        toast("success", status === "ready" ? "Already built" : "Archive queued",
          periodText(body) + (status === "ready" ? " has a ready archive; here it is." : " is being built now."));
        show(false);
        if (a && a.id) openDrawer("archive", a.id);
      } catch (err) {
        toastError(err, placeErrors(form, err) ? "Check the highlighted fields" : "Archive not built");
      } finally {
        busy(btn, false);
      }
    });
  }


  // ---------------------------------------------------------------- overview
  // The SVG namespace, read off the page's own inline icons (the script names no URL at all).
  const SVG_NS = $("svg").namespaceURI;
  function svg(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, String(v));
    for (const c of children.flat()) if (c != null) el.append(c);
    return el;
  }
  const sum = (values) => values.reduce((a, b) => a + (b || 0), 0);
  function slotLabel(iso, range) {
    const d = new Date(iso);
    return range === "24h"
      ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
      : d.toLocaleDateString([], { month: "short", day: "numeric" });
  }
  /** Stacked bars, one per slot: each series a colour class (fill set in styles.ts), the tallest slot labelled. */
  function barChart(title, slots, range, series, note) {
    const W = 720, H = 160, PAD_L = 36, PAD_B = 20, n = slots.length || 1;
    const totals = slots.map((_, i) => sum(series.map((s) => s.values[i])));
    const max = Math.max(1, ...totals);
    const bw = (W - PAD_L) / n;
    const bars = [];
    slots.forEach((slot, i) => {
      let y = H - PAD_B;
      for (const s of series) {
        const v = s.values[i] || 0;
        if (!v) continue;
        const bh = (v / max) * (H - PAD_B - 8);
        y -= bh;
        bars.push(svg("rect", { x: (PAD_L + i * bw + 1).toFixed(1), y: y.toFixed(1), width: Math.max(1, bw - 2).toFixed(1), height: bh.toFixed(1), class: "bar " + s.cls },
          svg("title", null, slotLabel(slot, range) + " · " + s.name + ": " + v.toLocaleString())));
      }
    });
    const every = Math.ceil(n / 8);
    const labels = slots.map((slot, i) => (i % every ? null
      : svg("text", { x: (PAD_L + i * bw + bw / 2).toFixed(1), y: H - 5, class: "axis", "text-anchor": "middle" }, slotLabel(slot, range))));
    const chart = svg("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", role: "img", "aria-label": title },
      svg("line", { x1: PAD_L, x2: W, y1: H - PAD_B, y2: H - PAD_B, class: "grid" }),
      svg("line", { x1: PAD_L, x2: W, y1: 8, y2: 8, class: "grid" }),
      svg("text", { x: PAD_L - 4, y: 12, class: "axis", "text-anchor": "end" }, max.toLocaleString()),
      svg("text", { x: PAD_L - 4, y: H - PAD_B, class: "axis", "text-anchor": "end" }, "0"),
      bars, labels);
    const legend = h("div", { class: "legend" }, series.map((s) =>
      h("span", null, h("span", { class: "swatch " + s.cls }), s.name + " " + sum(s.values).toLocaleString())),
      note ? h("span", { class: "sub" }, note) : null);
    return card(title, h("div", { class: "card-body" }, chart, legend));
  }
  /** p50 and p99 as two lines over the slots; gaps where nothing was attempted. */
  function latencyChart(slots, range, latency) {
    const W = 720, H = 160, PAD_L = 48, PAD_B = 20, n = slots.length || 1;
    const all = [...latency.p50, ...latency.p99].filter((v) => v != null);
    const max = Math.max(10, ...all);
    const x = (i) => PAD_L + ((i + 0.5) * (W - PAD_L)) / n;
    const y = (v) => H - PAD_B - (v / max) * (H - PAD_B - 8);
    const line = (values, cls) => {
      let d = "";
      values.forEach((v, i) => { if (v != null) d += (d && values[i - 1] != null ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1); });
      return svg("path", { d: d || "M0 0", class: "line " + cls });
    };
    const dots = (values, cls) => values.map((v, i) => (v == null ? null
      : svg("circle", { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 2.5, class: "dot " + cls }, svg("title", null, slotLabel(slots[i], range) + ": " + duration(v)))));
    const every = Math.ceil(n / 8);
    const chart = svg("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", role: "img", "aria-label": "Delivery latency" },
      svg("line", { x1: PAD_L, x2: W, y1: H - PAD_B, y2: H - PAD_B, class: "grid" }),
      svg("line", { x1: PAD_L, x2: W, y1: 8, y2: 8, class: "grid" }),
      svg("text", { x: PAD_L - 4, y: 12, class: "axis", "text-anchor": "end" }, duration(max)),
      svg("text", { x: PAD_L - 4, y: H - PAD_B, class: "axis", "text-anchor": "end" }, "0"),
      line(latency.p99, "s-p99"), line(latency.p50, "s-p50"), dots(latency.p99, "s-p99"), dots(latency.p50, "s-p50"),
      slots.map((slot, i) => (i % every ? null : svg("text", { x: x(i).toFixed(1), y: H - 5, class: "axis", "text-anchor": "middle" }, slotLabel(slot, range)))));
    const legend = h("div", { class: "legend" },
      h("span", null, h("span", { class: "swatch s-p50" }), "p50"),
      h("span", null, h("span", { class: "swatch s-p99" }), "p99"),
      h("span", { class: "sub" }, "upper bound of a histogram bucket: never below the true value, at most 1.5× above"));
    return card("Delivery latency", h("div", { class: "card-body" }, chart, legend));
  }
  /** The busiest owners of a counter over the range, for "per source" and "per destination" tables. */
  function topTable(title, kind, rows, columns) {
    const ranked = rows.map((r) => ({ r, total: sum(columns.map((c) => sum(r[c[0]] || []))) }))
      .filter((x) => x.total > 0).sort((a, b) => b.total - a.total).slice(0, 10);
    if (!ranked.length) return null;
    return card(title, miniTable([kind.replace(/s$/, ""), ...columns.map((c) => c[1])],
      ranked.map(({ r }) => rowOf([ref(kind, r.id, true), ...columns.map((c) => sum(r[c[0]] || []).toLocaleString())]))));
  }
  const rowOf = (cells) => h("tr", null, cells.map((c) => h("td", null, c)));
  let overviewRange = "24h";
  async function renderOverview() {
    const box = $("#overview-content");
    if (!box) return;
    if (!box.childElementCount) box.replaceChildren(h("div", { class: "empty" }, "Loading…"));
    let st;
    try {
      st = await api("/v1/admin/stats?range=" + enc(overviewRange));
    } catch (err) {
      box.replaceChildren(h("div", { class: "empty" }, h("div", { class: "state-title" }, "Could not load the overview"), err && err.message ? String(err.message) : ""));
      return;
    }
    const t = st.totals || {};
    const sent = sum(t.deliveries_sent || []), failed = sum(t.deliveries_failed || []), dead = sum(t.deliveries_dead || []);
    const attempts = sent + failed + dead;
    const p99 = (st.latency_ms.p99 || []).filter((v) => v != null);
    const unhealthy = st.unhealthy_destinations || [];
    const parts = [
      stats([
        ["Events received", sum(t.events_received || []).toLocaleString()],
        ["Deliveries sent", sent.toLocaleString(), attempts ? Math.round((100 * sent) / attempts) + "% of attempts" : null],
        ["Failed, retrying", failed.toLocaleString()],
        ["Dead", dead.toLocaleString()],
        ["Worst p99", p99.length ? duration(Math.max(...p99)) : "—"],
        ["Oldest undelivered", st.oldest_undelivered_age_s == null ? "none" : age(st.oldest_undelivered_age_s)],
        ["Archives built", Number(st.archives.built).toLocaleString(), st.archives.delivered.toLocaleString() + " files sent, " + st.archives.unconfirmed.toLocaleString() + " unconfirmed"],
      ]),
      unhealthy.length
        ? card("Destinations failing or disabled", miniTable(["Destination", "Subscriber", "State"], unhealthy.map((d) => rowOf([
          h("span", null, h("span", { class: "strong" }, d.name || d.id), h("div", { class: "sub mono" }, d.url)),
          ref("subscribers", d.subscriber_id, true),
          d.disabled_at ? h("span", null, badge("disabled", "Disabled"), " ", timeEl(d.disabled_at)) : h("span", null, badge("retrying", "Failing"), " since ", timeEl(d.failing_since)),
        ]))), badge("dead", String(unhealthy.length)))
        : null,
      barChart("Events received", st.slots, st.range, [{ name: "received", values: t.events_received || [], cls: "s-in" }]),
      barChart("Deliveries", st.slots, st.range, [
        { name: "sent", values: t.deliveries_sent || [], cls: "s-ok" },
        { name: "failed", values: t.deliveries_failed || [], cls: "s-warn" },
        { name: "dead", values: t.deliveries_dead || [], cls: "s-bad" },
      ]),
      latencyChart(st.slots, st.range, st.latency_ms),
      // Attempts only: confirmed and unconfirmed imports are outcomes of files already counted as sent.
      barChart("Archive files", st.slots, st.range, [
        { name: "sent", values: t.files_sent || [], cls: "s-ok" },
        { name: "failed", values: t.files_failed || [], cls: "s-warn" },
        { name: "dead", values: t.files_dead || [], cls: "s-bad" },
      ], "imports confirmed " + sum(t.files_confirmed || []).toLocaleString() + ", unconfirmed " +
        sum(t.files_unconfirmed || []).toLocaleString() + ", failed " + sum(t.files_import_failed || []).toLocaleString()),
      topTable("Busiest sources", "sources", st.sources || [], [["events_received", "Events"]]),
      topTable("Destinations", "destinations", st.destinations || [], [["deliveries_sent", "Sent"], ["deliveries_failed", "Failed"], ["deliveries_dead", "Dead"]]),
    ];
    box.replaceChildren(...parts.filter(Boolean));
    updateRefs();
  }
  function wireOverview() {
    for (const radio of $$("input[name=overview-range]")) {
      radio.addEventListener("change", () => { overviewRange = radio.value; renderOverview(); });
    }
    const refresh = $("#view-overview [data-action=refresh]");
    if (refresh) refresh.addEventListener("click", async () => { busy(refresh, true); await renderOverview(); busy(refresh, false); });
    // The counters move with every batch: an open overview follows them once a minute.
    setInterval(() => { if (current === "overview" && !document.hidden) renderOverview(); }, 60_000);
  }

  // ---------------------------------------------------------------- navigation, sign-in, boot
  let current = null;
  function route() {
    const parts = (location.hash || "").replace(/^#\/?/, "").split("/");
    const view = VIEW_NAMES.includes(parts[0]) ? parts[0] : DEFAULT_VIEW;
    let item = "";
    try { item = decodeURIComponent(parts.slice(1).join("/")); } catch (_) { item = ""; }
    current = view;
    const kind = KIND_BY_PREFIX[item.split("_")[0]];
    if (kind) openDrawer(kind, item);
    else if (drawer.stack.length) closeDrawer();
    for (const sec of $$("section.view")) sec.hidden = sec.getAttribute("data-view") !== view;
    for (const a of $$(".sidenav a")) {
      if (a.getAttribute("data-tab") !== view) a.removeAttribute("aria-current");
      else {
        a.setAttribute("aria-current", "page");
        a.scrollIntoView({ block: "nearest", inline: "nearest" });
      }
    }
    document.title = view.charAt(0).toUpperCase() + view.slice(1) + " · Syndic";
    if (view === "replays") { renderReplays(); pollReplays(); return; }
    if (view === "overview") { renderOverview(); return; }
    autoPick(view);
    // Coming back to a list refreshes it, unless the operator paged into it: keep their place.
    const s = listState(view);
    if (!s.loadedAt || (s.rows <= PAGE_SIZE && (s.live || Date.now() - s.loadedAt > STALE_MS))) loadList(view);
  }

  // A list that needs a source or subscriber picks the only one there is, so a small relay needs no clicks.
  function autoPick(view) {
    let picked = false;
    for (const sel of $$("#view-" + view + " select[data-required][data-options]")) {
      const map = names[sel.getAttribute("data-options")];
      if (sel.value || map.size !== 1) continue;
      sel.value = map.keys().next().value;
      listState(view).loadedAt = 0;
      picked = true;
    }
    return picked;
  }

  function showLogin(message) {
    $("#app").hidden = true;
    $("#login").hidden = false;
    const box = $("#login-error");
    box.textContent = message || "";
    box.hidden = !message;
    setTimeout(() => $("#token-input").focus(), 0);
  }
  function signOut(message) {
    if (signedIn) fetch("/v1/admin/session", { method: "DELETE", credentials: "same-origin" }).catch(() => {});
    signedIn = false;
    store.del(SIGNED_IN_KEY);
    clearInterval(healthTimer);
    healthTimer = null;
    clearTimeout(replayTimer);
    closeDrawer();
    for (const k of Object.keys(lists)) { lists[k].gen++; clearTimeout(lists[k].timer); delete lists[k]; }
    for (const k of Object.keys(names)) { names[k].clear(); info[k].clear(); }
    replayData.clear();
    minted.clear();
    $("#archive-form").reset();
    $("#archive-form").hidden = true;
    for (const t of $$("table.list tbody")) t.replaceChildren();
    for (const c of $$(".list-foot .count")) c.textContent = "";
    for (const b of $$(".load-more")) b.hidden = true;
    fillOptions();
    showLogin(message);
  }
  function enterApp() {
    signedIn = true;
    $("#login").hidden = true;
    $("#app").hidden = false;
    refreshHealth();
    clearInterval(healthTimer);
    healthTimer = setInterval(() => { if (document.visibilityState === "visible") refreshHealth(); }, 15000);
    prefetchNames();
    route();
  }

  $("#login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("#token-input");
    const value = input.value.trim();
    const box = $("#login-error");
    const fail = (text) => { box.textContent = text; box.hidden = false; input.focus(); input.select(); };
    if (!value) return fail("Paste the admin token first.");
    const btn = e.currentTarget.querySelector("[type=submit]");
    busy(btn, true);
    btn.textContent = "Checking…";
    try {
      const res = await fetch("/v1/admin/session", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ token: value }),
        cache: "no-store",
        credentials: "same-origin",
      });
      if (res.status === 401 || res.status === 403) return fail("The relay rejected that token.");
      if (!res.ok) return fail("Signing in failed (HTTP " + res.status + ").");
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

  for (const sec of $$("section.view")) {
    const name = sec.getAttribute("data-view");
    if (!views[name]) continue;
    const refresh = $("[data-action=refresh]", sec);
    if (refresh) refresh.addEventListener("click", () => loadList(name));
    $(".load-more", sec).addEventListener("click", () => loadList(name, true));
    for (const f of $$("[data-filter]", sec)) {
      let timer = null;
      const typing = f.tagName === "INPUT";
      f.addEventListener(typing ? "input" : "change", () => {
        clearTimeout(timer);
        timer = setTimeout(() => loadList(name), typing ? 350 : 0);
      });
    }
  }
  wireReplayForm();
  wireArchiveForm();
  wireOverview();
  for (const form of $$("form[data-lookup]")) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const sec = form.closest("section.view");
      if (sec) loadList(sec.getAttribute("data-view"));
    });
  }
  $("#sign-out").addEventListener("click", () => signOut());
  $("#health").addEventListener("click", refreshHealth);
  $("#drawer-close").addEventListener("click", closeDrawer);
  $("#drawer-back").addEventListener("click", () => { drawer.stack.pop(); showDrawer(); });
  $("#backdrop").addEventListener("click", closeDrawer);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("#drawer").hidden) closeDrawer(); });
  window.addEventListener("hashchange", () => { if (token()) route(); });
  window.addEventListener("storage", (e) => {
    if (e.key !== SIGNED_IN_KEY) return;
    if (!e.newValue) { signedIn = false; signOut("Signed out in another tab."); }
    else if ($("#app").hidden) enterApp();
  });
  setInterval(tickTimes, 30000);

  // A session cookie from an earlier visit may still be good: one quiet request tells.
  fetch("/v1/admin/session", { headers: { accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
    .then((res) => (res.ok ? res.json() : { signed_in: false }))
    .then((state) => (state && state.signed_in ? enterApp() : showLogin()), () => showLogin());
})();
`;
