// The one place that talks to the Rust side: one function per command of docs/commands.md,
// so the rest of the page never spells a command name or touches `invoke` itself.
// Nothing here logs arguments or answers: `register` answers with the API key and
// `signIn` carries one.
const invoke = window.__TAURI__?.core?.invoke;

async function call(command, args) {
  if (!invoke) {
    throw { code: "no_backend", message: "Atelier Desk's engine isn't running. Restart the app." };
  }
  try {
    return await invoke(command, args);
  } catch (error) {
    throw normalise(error);
  }
}

// Commands reject with {code, message, …}; Tauri itself rejects with a bare string (e.g. an
// unknown command). Give the page one shape to handle either way.
// Two codes mean "not signed in": `not_signed_in` (no agent in this mode) and `unauthorized`
// (Atelier refused the key); main.js handles both the same way.
function normalise(error) {
  if (error && typeof error === "object" && typeof error.message === "string") return error;
  return {
    code: "app_error",
    message: "Something went wrong inside Atelier Desk. Restarting the app may help.",
    detail: typeof error === "string" ? error : undefined,
  };
}

export const api = {
  // Session
  appInfo: () => call("app_info"),
  session: () => call("session"),
  /**
   * liveBaseUrl: the real marketplace's address from Advanced; leave out to keep the saved one.
   * A new address that would sign a real agent out is refused with `confirm_address_change`
   * unless `confirmed` (lib/base-url.js asks).
   */
  chooseMode: (mode, liveBaseUrl, confirmed = false) => {
    const args = { mode };
    if (liveBaseUrl !== undefined) args.liveBaseUrl = liveBaseUrl;
    if (confirmed) args.confirmed = true;
    return call("choose_mode", args);
  },
  /** Saves the real marketplace's address; the same `confirm_address_change` rule as chooseMode. */
  setLiveAddress: (url, { confirmed = false } = {}) => call("set_live_address", { url, confirmed }),
  dismissNotice: () => call("dismiss_notice"),
  retryKeyring: () => call("retry_keyring"),
  catalog: () => call("catalog"),
  /** Pure, no network: every problem of `form` as [{field, message}]. */
  checkForm: (kind, form) => call("check_form", { kind, form }),
  /** Answers {agent_id, api_key, session}: the only time the key reaches the page. */
  register: (form) => call("register", { form }),
  signIn: (agentId, apiKey) => call("sign_in", { agentId, apiKey }),
  signOut: () => call("sign_out"),

  // Account and services (signed in)
  profile: () => call("profile"),
  updateProfile: (form) => call("update_profile", { form }),
  setPayoutWallet: (wallet) => call("set_payout_wallet", { wallet }),
  resetPayoutWallet: () => call("reset_payout_wallet"),
  services: () => call("services"),
  createService: (form) => call("create_service", { form }),
  updateService: (id, form) => call("update_service", { id, form }),
  deactivateService: (id) => call("deactivate_service", { id }),

  // Watching for orders (signed in)
  watchStatus: () => call("watch_status"),
  checkNow: () => call("check_now"),
  pauseWatching: () => call("pause_watching"),
  resumeWatching: () => call("resume_watching"),
  /** The kept list at once (known orders refreshed for free behind it); `refresh: true` asks Atelier for a new list (one call of the hourly budget). */
  orders: ({ refresh = false } = {}) => call("orders", { refresh }),
  /** Queues a confirmed delivery; the outcome arrives later as a `watch-event`. */
  deliver: ({ orderId, form }) => call("deliver", { orderId, form }),
  guessMediaType: (url) => call("guess_media_type", { url }),
  /** New-order alerts no desktop notification showed, kept until seen: [{title, text, order_ids, kept_at}]. */
  waitingAlerts: () => call("waiting_alerts"),
  /** The creator has seen these orders; answers the alerts still waiting. */
  dismissAlerts: (orderIds) => call("dismiss_alerts", { orderIds }),
  /**
   * Earnings from the kept orders: {rows, totals, not_counted, month, as_of, updating}.
   * utcOffsetMinutes: minutes east of UTC, so "this month" is the creator's month.
   */
  earnings: (utcOffsetMinutes) => call("earnings", { utcOffsetMinutes }),
  /** Shows the system's save dialog and writes every order as CSV: the saved path, or null when cancelled. */
  exportOrders: (utcOffsetMinutes) => call("export_orders", { utcOffsetMinutes }),
  /** Opens the order's payout on the Solana explorer in the browser (the engine checks the link). */
  openPayout: (orderId) => call("open_payout", { orderId }),
  /** Practice mode only: a pretend client pays for a service. */
  simulateOrder: ({ serviceId, brief } = {}) => {
    const args = {};
    if (serviceId !== undefined) args.serviceId = serviceId;
    if (brief !== undefined) args.brief = brief;
    return call("simulate_order", args);
  },
  /** Practice mode only: the creator plays the client (`action`: pay, cancel, approve, approve_without_payout, dispute, lapse_review); answers the order as it now is. */
  playClient: (orderId, action) => call("play_client", { orderId, action }),
  /** Practice mode only: `secs` pass on the practice marketplace: {advanced_secs, lapsed_reviews, orders} (the kept orders, older). */
  advancePracticeClock: (secs) => call("advance_practice_clock", { secs }),
  /** Whether a deliverable link shows the client the promised media, asked from this computer: {ok, problem, message, …}. Never rejects for a bad link. */
  checkLink: (url, mediaType) => call("check_link", { url, mediaType }),

  // The desktop
  preferences: () => call("preferences"),
  /** preferences: {notifications}; answers with what is now saved. */
  setPreferences: (preferences) => call("set_preferences", { preferences }),
  /** Whether the app starts (in the background) at login, as the desktop has it now. */
  startOnLogin: () => call("start_on_login"),
  setStartOnLogin: (enabled) => call("set_start_on_login", { enabled }),
  // Open for business (docs/commands.md)
  readiness: () => call("readiness"),
  lookAgain: () => call("look_again"),
  sendTestNotification: () => call("send_test_notification"),
};

/**
 * Listens for an event from the Rust side (`watch-event`, `order-alert`, `open-order`);
 * `handler` gets the payload. Resolves to a function that stops listening (a no-op without
 * the engine). Every `watch-event` carries `view`, the answer `watchStatus()` would give.
 */
export async function onEvent(name, handler) {
  const listen = window.__TAURI__?.event?.listen;
  if (!listen) return () => {};
  return listen(name, (event) => handler(event.payload));
}
