// The app's skeleton: what the session is, which screen shows, and the strips around it.
// Screens get a small `ctx` instead of reaching into each other.
import { api, onEvent } from "./api.js";
import { h, fill, busy } from "./lib/dom.js";
import * as banner from "./lib/banner.js";
import { confirm } from "./lib/confirm.js";
import { dateTime } from "./lib/format.js";
import { renderWelcome } from "./screens/welcome.js";
import { renderHome } from "./screens/home.js";
import { renderSignIn } from "./screens/sign-in.js";
import { renderWizard } from "./screens/wizard.js";
import { renderKeyOnce } from "./screens/key-once.js";
import { renderAccount } from "./screens/account.js";
import { renderServices } from "./screens/services.js";
import { renderServiceForm } from "./screens/service-form.js";
import { renderSettings } from "./screens/settings.js";
import { renderInbox } from "./screens/inbox.js";
import { renderEarnings } from "./screens/earnings.js";

// lockMode: no mode switch from the banner (it would lose a registration in progress).
// navAs: which nav entry is "current" on this screen.
// holds: nothing moves away from this screen (an order alert, an error, a notification
// click) until the screen itself lets go with `ctx.release()`: the API key shows once.
const SCREENS = {
  welcome: { render: renderWelcome, hideNav: true },
  home: { render: renderHome, navAs: "home" },
  "sign-in": { render: renderSignIn, navAs: "home" },
  wizard: { render: renderWizard, hideNav: true, lockMode: true },
  key: { render: renderKeyOnce, hideNav: true, lockMode: true, ownKeyring: true, holds: true },
  inbox: { render: renderInbox, navAs: "inbox" },
  earnings: { render: renderEarnings, navAs: "earnings" },
  services: { render: renderServices, navAs: "services" },
  "service-form": { render: renderServiceForm, navAs: "services" },
  account: { render: renderAccount, navAs: "account" },
  settings: { render: renderSettings, navAs: "settings", ownKeyring: true },
};

const app = { info: null, session: null, catalog: null, current: null, keyringNote: null, leaving: [], held: false };

const ctx = {
  api,
  confirm,
  get info() {
    return app.info;
  },
  get session() {
    return app.session;
  },
  /** "Tried again at …: still not working." after a Retry that didn't help, else null. */
  get keyringNote() {
    return app.keyringNote;
  },
  /** The capability, price-type and media-type labels; fetched once. */
  async catalog() {
    app.catalog ??= await api.catalog();
    return app.catalog;
  },
  go,
  goHome,
  /** The holding screen (the API key) is done: navigation works again. */
  release,
  /** Runs `cleanup` when the current screen is replaced (event listeners, timers). */
  onLeave(cleanup) {
    app.leaving.push(cleanup);
  },
  setSession,
  switchMode,
  retryKeyring,
  showError,
  clearError: banner.clearError,
  showSuccess: banner.showSuccess,
};

/**
 * Shows screen `name`. `params` go to that screen only and are not kept here. While a
 * holding screen is up (the API key), nothing else is shown until it calls `release()`.
 */
function go(name, params = {}) {
  if (app.held) return;
  banner.clearError();
  banner.clearSuccess();
  for (const cleanup of app.leaving.splice(0)) {
    try {
      cleanup();
    } catch {
      // A screen that failed to clean up must not keep the next one from showing.
    }
  }
  // The inbox shows every order: whatever the alerts announced has been seen.
  if (name === "inbox") dismissOrderAlerts();
  app.current = name;
  app.held = Boolean(SCREENS[name].holds);
  if (app.held) drawOrderAlert();
  const root = SCREENS[name].render(ctx, params);
  document.getElementById("screen").replaceChildren(root);
  document.documentElement.setAttribute("data-screen", name);
  refreshChrome();
  // Move focus to the new screen's title so keyboard and screen-reader users start there.
  (root.querySelector(".screen-title") ?? root).focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

/** The screen that fits the session: choose a mode, sign in, or get to work. */
function goHome() {
  const session = app.session;
  rememberFirstScreen(session);
  if (!session?.mode) go("welcome");
  else if (!session.signed_in) go("home");
  else go("services");
}

/** What index.html's static first screen should be next time (first-screen.js reads it). */
function rememberFirstScreen(session) {
  try {
    window.localStorage.setItem("atelier-desk.first-screen", session?.mode ? "desk" : "welcome");
  } catch {
    // No storage: the next start shows the static welcome, then this page's screen.
  }
}

function release() {
  app.held = false;
  drawOrderAlert();
}

function setSession(view) {
  const before = app.session;
  app.session = view;
  refreshChrome();
  // Another agent, mode, or nobody: the alerts shown were someone else's.
  if (before?.agent_id !== view?.agent_id || before?.mode !== view?.mode || before?.signed_in !== view?.signed_in) {
    setOrderAlerts([]);
    loadWaitingAlerts();
  }
}

function refreshChrome() {
  const screen = SCREENS[app.current] ?? {};
  banner.renderModeBanner(app.session, screen.lockMode ? null : switchMode);
  banner.renderNotice(app.session, dismissNotice);
  banner.renderKeyringBanner(app.session, retryKeyring, !screen.ownKeyring, app.keyringNote);
  renderNav(screen);
}

function renderNav(screen) {
  const nav = document.getElementById("nav");
  const session = app.session;
  nav.hidden = !session?.mode || Boolean(screen.hideNav);
  if (nav.hidden) return nav.replaceChildren();
  const entries = session.signed_in
    ? [["inbox", "Orders"], ["earnings", "Earnings"], ["services", "Services"], ["account", "Account"], ["settings", "Settings"]]
    : [["home", "Start"], ["settings", "Settings"]];
  const items = entries.map(([name, label]) => {
    const button = h("button", { type: "button", id: `nav-${name}`, class: "nav-link", "aria-current": screen.navAs === name ? "page" : undefined }, label);
    button.addEventListener("click", () => go(name));
    return h("li", {}, button);
  });
  fill(nav, h("ul", {}, items));
}

const MODE_WORDS = {
  practice: {
    title: "Switch to Practice mode?",
    body: "Practice mode is a private marketplace inside this app: nothing there is real, nobody else sees it, and it works offline.",
  },
  live: {
    title: "Switch to the real Atelier?",
    body: "On Atelier your services are public, buyers are real and payouts are real money.",
  },
};

/** From the banner or Settings: asks first, because the whole app changes with the mode. */
async function switchMode(target, button = document.getElementById("mode-switch")) {
  const words = MODE_WORDS[target];
  const yes = await confirm({
    title: words.title,
    body: [words.body, "Each mode keeps its own account, so switching never signs you out of the other one. You can switch back at any time."],
    yes: "Switch",
  });
  if (!yes) return;
  const work = async () => {
    try {
      setSession(await api.chooseMode(target));
      goHome();
    } catch (error) {
      showError(error);
    }
  };
  if (button?.isConnected) await busy(button, "Switching…", work);
  else await work();
}

async function dismissNotice() {
  try {
    setSession(await api.dismissNotice());
  } catch (error) {
    showError(error);
  }
}

/**
 * The one way to try the keyring again: from the banner, Settings and the key screen.
 * `button` shows it is busy. The answer may also sign the creator back in. Resolves to the
 * session as it now is; `ctx.keyringNote` says so when it still fails. The caller redraws
 * its own part of the screen; the banner is redrawn here.
 */
async function retryKeyring(button) {
  const before = app.session;
  const work = async () => {
    try {
      const view = await api.retryKeyring();
      const trouble = banner.keyringTrouble(view);
      app.keyringNote = trouble ? banner.stillFailing() : null;
      setSession(view);
      if (view.signed_in !== before?.signed_in && !SCREENS[app.current]?.lockMode) goHome();
      if (!trouble) banner.showSuccess("The keyring works again: your API key is stored safely.");
      // A redrawn banner has a new Retry button: keep the keyboard on it.
      else if (button?.id === "keyring-retry") document.getElementById(button.id)?.focus();
    } catch (error) {
      showError(error);
    }
    return app.session;
  };
  return button?.isConnected ? busy(button, "Retrying…", work) : work();
}

// --- Errors --------------------------------------------------------------------------------

/**
 * The error banner. `not_signed_in` (no agent in this mode) and `unauthorized` (Atelier refused
 * the key) may mean the page is out of date about the session: read it again, and when nobody
 * is signed in any more, go to the start screen and say why there.
 */
function showError(error) {
  banner.showError(error);
  if (error?.code === "not_signed_in" || error?.code === "unauthorized") recheckSession(error);
}

async function recheckSession(error) {
  if (!app.session?.signed_in) return;
  let view;
  try {
    view = await api.session();
  } catch {
    return;
  }
  if (view.signed_in) return; // still signed in: the banner already says what Atelier refused
  setSession(view);
  if (SCREENS[app.current]?.lockMode) return;
  goHome();
  banner.showError(error);
}

// --- Orders: alerts and delivery outcomes, whatever screen is showing -------------------

const alerts = { shown: [], loadedAt: 0 };

const orderIdsOf = (list) => [...new Set(list.flatMap((alert) => alert?.order_ids ?? []))];

/**
 * New-order alerts no desktop notification showed wait in the engine until seen, also
 * across restarts: ask for them when the page starts and whenever its window comes back.
 */
async function loadWaitingAlerts() {
  if (!app.session?.signed_in) return;
  alerts.loadedAt = Date.now();
  try {
    setOrderAlerts(await api.waitingAlerts());
  } catch {
    // An engine that cannot say keeps what is shown; the orders are in the inbox anyway.
  }
}

/** The window was shown again (or focused): alerts may have come while it was away. */
function windowBack() {
  if (document.hidden || Date.now() - alerts.loadedAt < 2000) return;
  loadWaitingAlerts();
}

/** `order-alert`: it is already kept in the engine; show it now, next to any waiting. */
function addOrderAlert(alert) {
  if (!alert || !app.session?.signed_in) return;
  const known = new Set(orderIdsOf(alerts.shown));
  const ids = alert.order_ids ?? [];
  if (ids.length && ids.every((id) => known.has(id))) return;
  setOrderAlerts([...alerts.shown, alert]);
}

function setOrderAlerts(list) {
  alerts.shown = Array.isArray(list) ? list : [];
  drawOrderAlert();
}

/** The in-page alert; held back while the API key is on screen (nothing may pull away from it). */
function drawOrderAlert() {
  const el = document.getElementById("order-alert");
  if (!el) return;
  const list = alerts.shown;
  if (!list.length || app.held) {
    el.hidden = true;
    el.replaceChildren();
    return;
  }
  const open = h("button", { type: "button", id: "order-alert-open", class: "primary small" }, "Open orders");
  const dismiss = h("button", { type: "button", id: "order-alert-dismiss", class: "secondary small" }, "Dismiss");
  open.addEventListener("click", () => go("inbox"));
  dismiss.addEventListener("click", () => dismissOrderAlerts());
  let message;
  if (list.length === 1) {
    const [alert] = list;
    message = [h("p", {}, h("strong", { dir: "auto" }, alert?.title ?? "New order")), alert?.text ? h("p", { class: "prewrap", dir: "auto" }, alert.text) : null];
  } else {
    const count = orderIdsOf(list).length;
    const titles = list.slice(-5).map((alert) => h("li", { dir: "auto" }, alert?.title ?? "New order"));
    const more = list.length > 5 ? h("p", { class: "banner-detail" }, `and ${list.length - 5} more`) : null;
    message = [h("p", {}, h("strong", {}, `${count} new orders are waiting`)), h("ul", { class: "alert-list" }, titles), more];
  }
  fill(el, h("div", { class: "banner-message" }, message), h("div", { class: "actions" }, open, dismiss));
  el.hidden = false;
}

/** The creator has seen the alerts shown: they go, here and in the engine. */
async function dismissOrderAlerts() {
  const ids = orderIdsOf(alerts.shown);
  setOrderAlerts([]);
  if (!ids.length) return;
  try {
    setOrderAlerts(await api.dismissAlerts(ids));
  } catch (error) {
    showError(error);
  }
}

/** What became of a delivery the creator confirmed (it may arrive minutes later). */
function deliveryOutcome(event) {
  if (!app.session?.signed_in) return;
  if (event?.type === "delivered") {
    const title = event.order?.service_title;
    const until = dateTime(event.order?.review_deadline);
    const review = until ? ` The client can review it until ${until}.` : "";
    // The title is a stranger's text: its own direction, isolated from the sentence.
    banner.showSuccess(["Delivered", title ? [" “", h("span", { dir: "auto" }, title), "”"] : "", `.${review}`]);
  } else if (event?.type === "delivery_failed") {
    // The inbox says so beside the order, with its form back: a banner would scroll away from it.
    if (app.current === "inbox") return;
    banner.showError({ message: event.problem?.message ?? "Atelier refused the delivery.", detail: event.problem?.detail });
  } else if (event?.type === "delivery_retrying") {
    banner.showError({ message: `Will retry: ${event.problem?.message ?? "the delivery couldn't be sent yet."}`, detail: event.problem?.detail });
  }
}

async function start() {
  onEvent("order-alert", addOrderAlert).catch(() => {});
  onEvent("watch-event", deliveryOutcome).catch(() => {});
  // A click on a new-order notification: the window is already shown, open the order.
  onEvent("open-order", (orderId) => {
    if (app.session?.signed_in) go("inbox", { focus: typeof orderId === "string" ? orderId : null });
  }).catch(() => {});
  // A window shown again (from the tray, a notification, a second launch) asks for alerts
  // that came while it was away; a window created anew does so below, at start.
  document.addEventListener("visibilitychange", windowBack);
  window.addEventListener("focus", windowBack);
  // Both at once: the first screen waits for the slower one only.
  const [info, session] = await Promise.allSettled([api.appInfo(), api.session()]);
  let startupError = null;
  if (info.status === "fulfilled") {
    app.info = info.value;
    document.getElementById("app-name").textContent = app.info.name;
    document.getElementById("app-version").textContent = `v${app.info.version}`;
  } else {
    startupError = info.reason;
  }
  if (session.status === "fulfilled") app.session = session.value;
  else startupError ??= session.reason;
  goHome();
  if (startupError) showError(startupError);
  loadWaitingAlerts();
  // Lets tests see that the live first screen has replaced the static one of index.html
  // (whose first frame first-screen.js already reported to the app, for the ready line).
  requestAnimationFrame(() => {
    document.documentElement.setAttribute("data-ready", "true");
  });
}

start();
