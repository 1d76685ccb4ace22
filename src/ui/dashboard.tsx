import { Hono } from "hono";
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { AppEnv } from "../routes/router";
import { clientScript } from "./client";
import {
  ArchivesIcon,
  DeliveriesIcon,
  EventsIcon,
  IdentitiesIcon,
  LockIcon,
  LogoIcon,
  NotificationsIcon,
  OverviewIcon,
  RefreshIcon,
  ReplaysIcon,
  SignOutIcon,
  SourcesIcon,
  SubscribersIcon,
  SubscriptionsIcon,
  SyncsIcon,
} from "./icons";
import { styles } from "./styles";

/** The status enums of the admin API, offered as list filters (test/integration/ui.test.ts checks them against it). */
export const DELIVERY_STATUSES = ["pending", "ready", "sent", "retrying", "dead", "skipped", "held"] as const;
export const NOTIFICATION_STATUSES = ["pending", "retrying", "published", "collapsed", "not_found", "failed"] as const;
export const ARCHIVE_STATUSES = ["pending", "building", "ready", "failed"] as const;

const SECTIONS = [
  {
    id: "sources",
    group: "Setup",
    title: "Sources",
    blurb: "Origin platforms that publish events or call an ID-only notify URL.",
    Icon: SourcesIcon,
  },
  {
    id: "subscribers",
    group: "Setup",
    title: "Subscribers",
    blurb: "Receiving organisations. Open one to see its destinations.",
    Icon: SubscribersIcon,
  },
  {
    id: "subscriptions",
    group: "Setup",
    title: "Subscriptions",
    blurb: "What goes where: event types, filters, transforms and push steps.",
    Icon: SubscriptionsIcon,
  },
  {
    id: "identities",
    group: "Setup",
    title: "Identities",
    blurb: "The ids a subscriber's systems gave to the origins' people and records, as identity steps learned them.",
    Icon: IdentitiesIcon,
  },
  {
    id: "overview",
    group: "Traffic",
    title: "Overview",
    blurb: "How the relay is doing: events in, deliveries out, failures, latency and archives, per hour or per day.",
    Icon: OverviewIcon,
  },
  {
    id: "events",
    group: "Traffic",
    title: "Events",
    blurb: "Everything the origins published. Open one to follow it.",
    Icon: EventsIcon,
  },
  {
    id: "notifications",
    group: "Traffic",
    title: "Notifications",
    blurb: "ID-only calls to notify URLs, and what fetching each record from the origin gave.",
    Icon: NotificationsIcon,
  },
  {
    id: "deliveries",
    group: "Traffic",
    title: "Deliveries",
    blurb: "Every push to a destination, with each attempt and its response.",
    Icon: DeliveriesIcon,
  },
  {
    id: "syncs",
    group: "Operations",
    title: "Syncs",
    blurb: "Bulk syncs paging through an origin's list endpoint, each record published as an event.",
    Icon: SyncsIcon,
  },
  {
    id: "replays",
    group: "Operations",
    title: "Replays",
    blurb: "Run stored events through routing or delivery again.",
    Icon: ReplaysIcon,
  },
  {
    id: "archives",
    group: "Operations",
    title: "Archives",
    blurb: "Zipped daily or weekly event files per subscriber, fetched through expiring signed links.",
    Icon: ArchivesIcon,
  },
] as const;

/** 18 random bytes: a 24-character base64 nonce, new for every response. */
export function newNonce(): string {
  const bytes = new Uint8Array(18);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/**
 * Only this response's own inline script and style run; data can reach the page only through
 * fetch to this origin, and Trusted Types turns any accidental HTML sink in the script into an error.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
}

function ListSection(props: { id: string; children?: Child }) {
  return (
    <div class="card">
      <div class="table-wrap">
        <table class="list" data-list={props.id}>
          <thead />
          <tbody />
        </table>
      </div>
      <div class="list-foot">
        <span class="count" />
        <button type="button" class="btn sm load-more" hidden>
          Load more
        </button>
      </div>
    </div>
  );
}

function RefreshButton() {
  return (
    <button type="button" class="btn" data-action="refresh" title="Reload this list">
      <RefreshIcon />
      <span>Refresh</span>
    </button>
  );
}

function Toolbar(props: { id: string }) {
  switch (props.id) {
    case "overview":
      return (
        <div class="toolbar">
          <RefreshButton />
        </div>
      );
    case "events":
      return (
        <div class="toolbar">
          <select class="select" data-filter="source_id" data-options="sources" aria-label="Source">
            <option value="">All sources</option>
          </select>
          <input class="input" data-filter="type" type="search" placeholder="Event type" aria-label="Event type" />
          <RefreshButton />
        </div>
      );
    case "deliveries":
      return (
        <div class="toolbar">
          <select class="select" data-filter="status" aria-label="Status">
            <option value="">All statuses</option>
            {DELIVERY_STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
          <select class="select" data-filter="subscriber_id" data-options="subscribers" aria-label="Subscriber">
            <option value="">All subscribers</option>
          </select>
          <RefreshButton />
        </div>
      );
    case "notifications":
      return (
        <div class="toolbar">
          <select class="select" data-filter="status" aria-label="Status">
            <option value="">All statuses</option>
            {NOTIFICATION_STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
          <select class="select" data-filter="source_id" data-options="sources" aria-label="Source">
            <option value="">All sources</option>
          </select>
          <RefreshButton />
        </div>
      );
    case "syncs":
      return (
        <div class="toolbar">
          <select class="select" data-filter="source_id" data-options="sources" data-required aria-label="Source">
            <option value="">Choose a source…</option>
          </select>
          <RefreshButton />
        </div>
      );
    case "identities":
      return (
        <form class="toolbar" data-lookup novalidate>
          <select
            class="select"
            data-filter="subscriber_id"
            data-options="subscribers"
            data-required
            aria-label="Subscriber"
          >
            <option value="">Choose a subscriber…</option>
          </select>
          <input
            class="input"
            data-filter="namespace"
            type="search"
            placeholder="Namespace"
            aria-label="Namespace"
            autocomplete="off"
          />
          <input
            class="input mono"
            data-filter="local_id"
            type="search"
            placeholder="Local id"
            aria-label="Local id"
            autocomplete="off"
          />
          <RefreshButton />
        </form>
      );
    case "archives":
      return (
        <div class="toolbar">
          <select class="select" data-filter="subscriber_id" data-options="subscribers" aria-label="Subscriber">
            <option value="">All subscribers</option>
          </select>
          <select class="select" data-filter="status" aria-label="Status">
            <option value="">All statuses</option>
            {ARCHIVE_STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
          <RefreshButton />
          <button
            type="button"
            class="btn primary"
            data-action="build-archive"
            aria-controls="archive-form"
            aria-expanded="false"
          >
            <ArchivesIcon />
            <span>Build period now</span>
          </button>
        </div>
      );
    case "replays":
      return null;
    default:
      return (
        <div class="toolbar">
          <RefreshButton />
        </div>
      );
  }
}

/** The overview's frame; client.ts draws its tiles and charts from GET /v1/admin/stats. */
function OverviewBody() {
  return (
    <div class="overview">
      <div class="segmented" role="radiogroup" aria-label="Range">
        <label>
          <input type="radio" name="overview-range" value="24h" checked />
          Last 24 hours
        </label>
        <label>
          <input type="radio" name="overview-range" value="30d" />
          Last 30 days
        </label>
      </div>
      <div id="overview-content" aria-live="polite" />
    </div>
  );
}

function ReplaysBody() {
  return (
    <div class="replay-grid">
      <form id="replay-form" class="card" novalidate>
        <div class="card-head">
          <h3>New replay</h3>
        </div>
        <div class="card-body">
          <div class="form-grid">
            <label class="field full">
              <span>From</span>
              <input class="input" type="datetime-local" name="from" step="1" />
            </label>
            <label class="field full">
              <span>To</span>
              <input class="input" type="datetime-local" name="to" step="1" />
            </label>
            <small class="full sub" id="replay-tz">
              Times are in your browser's time zone.
            </small>
            <div class="field full">
              <span>Stage</span>
              <div class="segmented" role="radiogroup" aria-label="Stage">
                <label>
                  <input type="radio" name="stage" value="route" checked />
                  Route again
                </label>
                <label>
                  <input type="radio" name="stage" value="deliver" />
                  Re-deliver
                </label>
              </div>
              <small class="sub" id="replay-stage-help">
                Runs the events through today's subscriptions again.
              </small>
            </div>
            <label class="field full">
              <span>Source</span>
              <select class="select" name="source_id" data-options="sources">
                <option value="">Any source</option>
              </select>
            </label>
            <label class="field full">
              <span>Subscriber</span>
              <select class="select" name="subscriber_id" data-options="subscribers">
                <option value="">Any subscriber</option>
              </select>
            </label>
            <label class="field full">
              <span>Send to destination</span>
              <select class="select" name="destination_id" disabled>
                <option value="">The original destinations</option>
              </select>
              <small>Another destination of the same subscriber, e.g. sandbox → production.</small>
            </label>
          </div>
          <div class="form-actions">
            <button type="reset" class="btn">
              Clear
            </button>
            <button type="submit" class="btn primary">
              Start replay
            </button>
          </div>
        </div>
      </form>
      <div class="card">
        <div class="card-head">
          <h3>Progress</h3>
          <form id="replay-track" class="toolbar" novalidate>
            <input class="input mono" name="id" placeholder="rpl_…" aria-label="Replay id" autocomplete="off" />
            <button type="submit" class="btn sm">
              Track
            </button>
          </form>
        </div>
        <div id="replay-list" />
      </div>
    </div>
  );
}

function ArchiveForm() {
  return (
    <form id="archive-form" class="card build-form" novalidate hidden>
      <div class="card-head">
        <h3>Build a period now</h3>
        <button type="button" class="btn icon ghost sm" data-action="close-build" title="Close" aria-label="Close">
          ✕
        </button>
      </div>
      <div class="card-body">
        <div class="form-grid three">
          <label class="field">
            <span>Subscriber</span>
            <select class="select" name="subscriber_id" data-options="subscribers" required>
              <option value="">Choose a subscriber…</option>
            </select>
          </label>
          <label class="field">
            <span>First day</span>
            <input class="input" type="date" name="period_start" required />
          </label>
          <label class="field">
            <span>Last day</span>
            <input class="input" type="date" name="period_end" required />
          </label>
          <small class="full sub" id="archive-form-help">
            Local dates in the subscriber's time zone, both included. The period must have ended; an archive that
            already exists for it is shown instead, and a failed one is built again.
          </small>
        </div>
        <div class="form-actions">
          <div class="presets">
            <button type="button" class="btn sm ghost" data-preset="yesterday">
              Yesterday
            </button>
            <button type="button" class="btn sm ghost" data-preset="last-week">
              Last week
            </button>
          </div>
          <span class="grow" />
          <button type="submit" class="btn primary">
            Build now
          </button>
        </div>
      </div>
    </form>
  );
}

function LoginScreen() {
  return (
    <div id="login" class="login">
      <div class="login-card">
        <div class="brand">
          <span class="logo">
            <LogoIcon />
          </span>
          <span>
            Syndic
            <small>Relay operator dashboard</small>
          </span>
        </div>
        <h1>Sign in</h1>
        <p>Paste the relay's admin token to manage sources, subscribers and deliveries.</p>
        <form id="login-form" novalidate>
          <input type="text" name="username" value="admin" autocomplete="username" hidden />
          <label class="field">
            <span>Admin token</span>
            <input
              class="input"
              id="token-input"
              name="token"
              type="password"
              autocomplete="current-password"
              spellcheck={false}
              placeholder="ADMIN_TOKEN"
              required
            />
          </label>
          <div id="login-error" class="login-error" role="alert" hidden />
          <button type="submit" class="btn primary">
            Sign in
          </button>
        </form>
        <p class="note">
          <LockIcon />
          <span>
            Exchanged for a session cookie (12 hours) that no script on this page can read; the token itself is not
            kept. Sign out to end it.
          </span>
        </p>
      </div>
    </div>
  );
}

function Dashboard() {
  return (
    <div id="app" hidden>
      <header class="topbar">
        <div class="brand">
          <span class="logo">
            <LogoIcon />
          </span>
          <span>
            Syndic
            <small>Relay operator dashboard</small>
          </span>
        </div>
        <div class="spacer" />
        <div class="actions">
          <button type="button" id="health" class="health" title="GET /healthz">
            <span class="dot" />
            <b id="health-label">Checking…</b>
            <span id="health-detail" class="health-detail" />
          </button>
          <button type="button" id="sign-out" class="btn" title="Forget the admin token in this browser">
            <SignOutIcon />
            <span class="label">Sign out</span>
          </button>
        </div>
      </header>
      <div class="layout">
        <nav class="sidenav" aria-label="Sections">
          {SECTIONS.map((s, i) => (
            <>
              {i === 0 || SECTIONS[i - 1].group !== s.group ? <div class="nav-label">{s.group}</div> : null}
              <a href={`#${s.id}`} data-tab={s.id}>
                <s.Icon />
                <span>{s.title}</span>
              </a>
            </>
          ))}
          <div class="nav-foot">Times are shown in your local zone.</div>
        </nav>
        <main>
          {SECTIONS.map((s) => (
            <section id={`view-${s.id}`} class="view" data-view={s.id} hidden>
              <div class="view-head">
                <div>
                  <h2>{s.title}</h2>
                  <p>{s.blurb}</p>
                </div>
                <Toolbar id={s.id} />
              </div>
              {s.id === "archives" ? <ArchiveForm /> : null}
              {s.id === "replays" ? (
                <ReplaysBody />
              ) : s.id === "overview" ? (
                <OverviewBody />
              ) : (
                <ListSection id={s.id} />
              )}
            </section>
          ))}
        </main>
      </div>
      <div id="backdrop" class="backdrop" hidden />
      <aside
        id="drawer"
        class="drawer"
        role="dialog"
        aria-modal="true"
        aria-labelledby="drawer-title"
        tabindex={-1}
        hidden
      >
        <div class="drawer-head">
          <button type="button" id="drawer-back" class="btn icon ghost" title="Back" hidden>
            ←
          </button>
          <div class="titles">
            <div id="drawer-kicker" class="drawer-kicker" />
            <div id="drawer-title" class="drawer-title" />
          </div>
          <button type="button" id="drawer-close" class="btn icon ghost" title="Close (Esc)">
            ✕
          </button>
        </div>
        <div id="drawer-body" class="drawer-body" />
      </aside>
    </div>
  );
}

function Page(props: { nonce: string }) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <meta name="robots" content="noindex" />
          <title>Syndic · Operator dashboard</title>
          {/* an empty icon, so browsers do not ask the relay for /favicon.ico */}
          <link rel="icon" href="data:," />
          <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: styles }} />
        </head>
        <body>
          <LoginScreen />
          <Dashboard />
          <div id="toasts" class="toasts" aria-live="polite" />
          <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: clientScript }} />
        </body>
      </html>
    </>
  );
}

export const ui = new Hono<AppEnv>();

ui.get("/ui", (c) => {
  const nonce = newNonce();
  c.header("content-security-policy", contentSecurityPolicy(nonce));
  c.header("cache-control", "no-store");
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "no-referrer");
  c.header("x-frame-options", "DENY");
  return c.html(<Page nonce={nonce} />);
});

ui.get("/ui/", (c) => c.redirect("/ui", 301));
