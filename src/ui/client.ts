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

  const TOKEN_KEY = "syndic.admin_token";
  const REPLAYS_KEY = "syndic.replays";
  const DEFAULT_VIEW = "events";
  const VIEW_NAMES = ["sources", "subscribers", "subscriptions", "events", "deliveries", "replays"];
  const STALE_MS = 30000;
  const PAGE_SIZE = 50;

  // ---------------------------------------------------------------- storage
  const store = {
    get(key) { try { return localStorage.getItem(key); } catch (_) { return null; } },
    set(key, value) { try { localStorage.setItem(key, value); } catch (_) { /* storage disabled */ } },
    del(key) { try { localStorage.removeItem(key); } catch (_) { /* storage disabled */ } },
  };
  const token = () => store.get(TOKEN_KEY) || "";

  // ---------------------------------------------------------------- DOM helpers
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

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
  const plural = (n, one, many) => Number(n).toLocaleString() + " " + (Number(n) === 1 ? one : many || one + "s");

  const COLOURS = {
    sent: "green", ready: "blue", pending: "gray", retrying: "amber", dead: "red", skipped: "gray", held: "purple",
    running: "blue", processing: "blue", queued: "gray", routing: "blue", delivering: "blue",
    completed: "green", complete: "green", done: "green", succeeded: "green", finished: "green",
    failed: "red", error: "red", cancelled: "gray", canceled: "gray", not_found: "amber", unknown: "gray",
    active: "green", disabled: "red", production: "blue", sandbox: "purple",
  };
  const PULSING = { retrying: 1, running: 1, processing: 1, routing: 1, delivering: 1 };
  function badge(status, label) {
    const key = String(isBlank(status) ? "unknown" : status).toLowerCase();
    return h("span", { class: "badge " + (COLOURS[key] || "gray") + (PULSING[key] ? " pulse" : "") }, label || key);
  }
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
    const headers = { accept: "application/json, application/problem+json", authorization: "Bearer " + token() };
    const init = { method: opts.method || "GET", headers, cache: "no-store" };
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
      signOut("The relay rejected the admin token. Paste a valid one to continue.");
      throw new ApiError(401, "Unauthorized", "The admin token was rejected.");
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
  function remember(kind, rows) {
    for (const r of Array.isArray(rows) ? rows : []) if (r && typeof r.id === "string") names[kind].set(r.id, isBlank(r.name) ? "" : String(r.name));
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
    return tag(a.schedule + (a.format ? " · " + a.format : ""), "green");
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
  };

  const lists = {};
  const listState = (name) => lists[name] || (lists[name] = { rows: 0, cursor: null, gen: 0, loadedAt: 0, loading: false });
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
    const tr = h("tr", { class: "row", tabindex: 0 }, v.columns.map((c) => h("td", c[2] ? { class: c[2] } : null, cell(c[1], row))));
    const open = () => v.open(row);
    tr.addEventListener("click", () => {
      if (String(window.getSelection ? window.getSelection() : "").length) return; // selecting text to copy it
      open();
    });
    tr.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); }
    });
    return tr;
  }
  async function loadList(name, more) {
    const v = views[name];
    const s = listState(name);
    const els = sectionEls(name);
    if (!els.head.childElementCount) els.head.append(h("tr", null, v.columns.map((c) => h("th", { scope: "col" }, c[0]))));
    if (more && (s.loading || !s.cursor)) return;
    const gen = more ? s.gen : ++s.gen;
    s.loading = true;
    busy(els.refresh, true);
    if (more) { els.more.disabled = true; els.more.textContent = "Loading…"; }
    else if (!s.rows) els.body.replaceChildren(stateRow(name, "", null, h("span", null, h("span", { class: "spinner" }), "Loading…")));
    try {
      const params = new URLSearchParams();
      params.set("limit", String(PAGE_SIZE));
      const filters = filterValues(name);
      for (const k of Object.keys(filters)) if (!isBlank(filters[k])) params.set(k, filters[k]);
      if (more) params.set("cursor", s.cursor);
      const body = await api(v.path + "?" + params.toString());
      if (gen !== s.gen) return;
      const rows = body && Array.isArray(body.data) ? body.data : [];
      if (v.kind) { remember(v.kind, rows); fillOptions(); updateRefs(); }
      if (!more) els.body.replaceChildren();
      for (const row of rows) els.body.append(rowEl(name, row));
      s.rows = (more ? s.rows : 0) + rows.length;
      s.cursor = (body && body.next_cursor) || null;
      s.loadedAt = Date.now();
      if (!s.rows) els.body.replaceChildren(stateRow(name, "", v.empty[0], v.empty[1]));
      els.count.textContent = s.rows ? "Showing " + plural(s.rows, "item") + (s.cursor ? " · more available" : "") : "";
      els.more.hidden = !s.cursor;
    } catch (err) {
      if (gen !== s.gen) return;
      if (more) toastError(err, "Could not load more");
      else {
        s.rows = 0;
        s.cursor = null;
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
  const drawer = { stack: [], gen: 0 };
  const KIND_LABEL = { source: "Source", subscriber: "Subscriber", subscription: "Subscription", event: "Event", delivery: "Delivery" };
  const KIND_BY_PREFIX = { src: "source", sub: "subscriber", sbn: "subscription", evt: "event", dlv: "delivery" };
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
    $("#drawer").hidden = true;
    $("#backdrop").hidden = true;
    document.body.classList.remove("drawer-open");
  }
  async function reloadDrawer() {
    const top = drawer.stack[drawer.stack.length - 1];
    if (!top) return;
    const gen = ++drawer.gen;
    const body = $("#drawer-body");
    const key = top.kind + ":" + top.id;
    if (body.getAttribute("data-for") !== key) {
      body.removeAttribute("data-for");
      body.replaceChildren(h("div", { class: "empty" }, h("span", { class: "spinner" }), "Loading…"));
      body.scrollTop = 0;
    }
    try {
      const content = await builders[top.kind](top.id);
      if (gen !== drawer.gen) return;
      body.setAttribute("data-for", key);
      body.replaceChildren(...content.filter(Boolean));
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
    const s = await api("/v1/admin/sources/" + enc(id));
    remember("sources", [s]);
    const types = Array.isArray(s.event_types) ? s.event_types : [];
    const inb = s.inbound || {};
    const f = s.fetch;
    return [
      h("div", { class: "drawer-actions" },
        h("button", { type: "button", class: "btn sm", onclick: () => showFiltered("events", "source_id", s.id) }, "Show its events")),
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
      rawCard(s),
    ];
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

  async function buildSubscriber(id) {
    const base = "/v1/admin/subscribers/" + enc(id);
    const [s, dests] = await Promise.all([api(base), api(base + "/destinations?limit=100")]);
    remember("subscribers", [s]);
    const list = dests && Array.isArray(dests.data) ? dests.data : [];
    remember("destinations", list);
    updateRefs();
    const a = s.archive || {};
    const disabledCount = list.filter((d) => !isBlank(d.disabled_at)).length;
    return [
      h("div", { class: "drawer-actions" },
        h("button", { type: "button", class: "btn sm", onclick: () => showFiltered("deliveries", "subscriber_id", s.id) }, "Show its deliveries")),
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
        d.generation ? ["Replay", mono(d.generation)] : null,
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
  const builders = { source: buildSource, subscriber: buildSubscriber, subscription: buildSubscription, event: buildEvent, delivery: buildDelivery };

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
        let placed = false;
        for (const fe of (err && err.errors) || []) {
          const name = pathText(fe.path).split(/[.\/]/).filter(Boolean).pop();
          if (name && fieldError(form, name, fe.message || "Invalid.")) placed = true;
        }
        toastError(err, placed ? "Check the highlighted fields" : "Replay not started");
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
    // Coming back to a list refreshes it, unless the operator paged into it: keep their place.
    const s = listState(view);
    if (!s.loadedAt || (Date.now() - s.loadedAt > STALE_MS && s.rows <= PAGE_SIZE)) loadList(view);
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
    store.del(TOKEN_KEY);
    clearInterval(healthTimer);
    healthTimer = null;
    clearTimeout(replayTimer);
    closeDrawer();
    for (const k of Object.keys(lists)) { lists[k].gen++; delete lists[k]; }
    for (const k of Object.keys(names)) names[k].clear();
    replayData.clear();
    for (const t of $$("table.list tbody")) t.replaceChildren();
    for (const c of $$(".list-foot .count")) c.textContent = "";
    for (const b of $$(".load-more")) b.hidden = true;
    fillOptions();
    showLogin(message);
  }
  function enterApp() {
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
      const res = await fetch("/v1/admin/sources?limit=1", {
        headers: { authorization: "Bearer " + value, accept: "application/json" },
        cache: "no-store",
      });
      if (res.status === 401 || res.status === 403) return fail("The relay rejected that token.");
      store.set(TOKEN_KEY, value);
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
  $("#sign-out").addEventListener("click", () => signOut());
  $("#health").addEventListener("click", refreshHealth);
  $("#drawer-close").addEventListener("click", closeDrawer);
  $("#drawer-back").addEventListener("click", () => { drawer.stack.pop(); showDrawer(); });
  $("#backdrop").addEventListener("click", closeDrawer);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("#drawer").hidden) closeDrawer(); });
  window.addEventListener("hashchange", () => { if (token()) route(); });
  window.addEventListener("storage", (e) => {
    if (e.key !== TOKEN_KEY) return;
    if (!e.newValue) signOut("Signed out in another tab.");
    else if ($("#app").hidden) enterApp();
  });
  setInterval(tickTimes, 30000);

  if (token()) enterApp();
  else showLogin();
})();
`;
