// The orders, grouped by what they need from the creator: to deliver (soonest due first),
// waiting for the client's review, completed, anything else. The list is read with `orders`
// when the inbox opens (the kept list, at once and free; while it says `updating`, asked
// again in a moment for the known orders brought up to date) or the creator refreshes;
// after that the watcher's events bring changes (inbox.js passes them to `merge`,
// `delivered`, `deliveryEnded`). When no new list can be had, the last known one stays,
// saying how old it is and why (`freshness`, above the list).
// Briefs, titles and wallets are written by strangers: text nodes only, each in an element
// with `dir="auto"` so its own direction (a U+202E, right-to-left words) stays inside it
// and cannot flip the words around it; a long brief is folded behind "Show all", so a
// megabyte of it costs the list no more than a line.
//
// Practice mode only, never in Live mode: each order offers what its client could do next
// ("You are the client now": pay, cancel, approve, dispute, let the review window run out,
// through `play_client`), and `practicePanel` lets time pass on the practice marketplace
// (`advance_practice_clock`) so due times and review windows come without waiting. Their
// answers carry the orders as they now are and go straight into the list.
import { h, fill, busy, shortAddress } from "../lib/dom.js";
import { money, dateTime, clockTime, duration, fold, hasHiddenCharacters, count, DEFAULT_TURNAROUND_HOURS, HOUR_MS, MINUTE_MS } from "../lib/format.js";
import { deliveryForm, FALLBACK_MEDIA_TYPES } from "./delivery.js";

const GROUPS = [
  { key: "to-deliver", title: "To deliver", statuses: ["paid", "in_progress", "revision_requested", "disputed"] },
  { key: "review", title: "Waiting for the client's review", statuses: ["delivered"] },
  { key: "completed", title: "Completed", statuses: ["completed"] },
  { key: "other", title: "Other", statuses: null },
];

/** What the pretend client can do with an order in each status (Practice mode only). */
const CLIENT_ACTIONS = {
  pending_quote: ["cancel"],
  quoted: ["pay", "cancel"],
  accepted: ["pay", "cancel"],
  paid: ["dispute"],
  in_progress: ["dispute"],
  delivered: ["approve", "approve_without_payout", "dispute", "lapse_review"],
};

const CLIENT_LABELS = {
  pay: "Pay",
  cancel: "Cancel the order",
  approve: "Approve",
  approve_without_payout: "Approve (payout fails)",
  dispute: "Open a dispute",
  lapse_review: "Let the review window run out",
};

/** The time jumps the practice panel offers: [seconds, label, id]. */
const CLOCK_JUMPS = [
  [3600, "+1 hour", "clock-1h"],
  [24 * 3600, "+1 day", "clock-1d"],
  [2 * 24 * 3600, "+2 days", "clock-2d"],
];

const STATUS_WORDS = {
  paid: "Paid, waiting for you",
  in_progress: "In progress",
  revision_requested: "The client asked for changes",
  // The platform's newer version takes a new delivery during a dispute.
  disputed: "The client opened a dispute",
  delivered: "Delivered",
  completed: "Completed",
};

/** onQueued(view): a delivery was queued; `view` is the WatchView `deliver` answered. */
export function orderList(ctx, { onQueued }) {
  const state = {
    orders: null, // null until the first load
    early: [], // orders from events that came before the first load answered
    asOf: null, // the last Inbox answered: how current the list is
    turnaround: new Map(), // service id → hours, looked up once per screen load
    mediaTypes: FALLBACK_MEDIA_TYPES,
    pending: new Set(), // order ids whose delivery is queued
    // Order id → whether its outcome (delivered, refused) has come, for deliveries whose
    // `deliver` call has not answered yet: the watcher can send a delivery and say how it
    // went before the call that queued it answers, most of all on a busy computer.
    sending: new Map(),
    forms: new Map(), // order id → {orderId, element}: delivery forms, kept with what was typed
    open: null, // the order id whose delivery form is open (one at a time)
    failed: new Map(), // order id → problem: Atelier refused its delivery
    expanded: new Set(), // order ids whose whole brief is shown
  };
  const element = h("div", { id: "order-list", class: "order-groups", "aria-busy": "true" }, h("p", { class: "muted loading" }, "Loading your orders…"));
  // The session view says the mode; nothing of the pretend client shows outside Practice mode.
  const practising = ctx.session?.mode === "practice";

  // --- Reading the list -----------------------------------------------------------------

  // How old the list shown is, and why no newer one: above the list, never an error.
  const freshness = h("p", { id: "orders-as-of", class: "small muted orders-as-of", "aria-live": "polite", hidden: true });

  /** Says how current `inbox` is; `refused`: a new list was wanted and couldn't be had. */
  function showFreshness(inbox, refused = inbox?.not_listed ?? null) {
    if (!inbox?.fetched_at) {
      freshness.hidden = true;
      return;
    }
    const asOf = inbox.updated_at ?? inbox.fetched_at;
    const old = Date.now() - Date.parse(asOf) > 2 * MINUTE_MS;
    const parts = [];
    if (refused) parts.push(`${listRefused(refused)} These are your orders as of ${whenText(asOf)}.`);
    else if (old) parts.push(`Your orders as of ${whenText(asOf)}.`);
    if (inbox.updating) parts.push("Bringing them up to date…");
    freshness.textContent = parts.join(" ");
    freshness.hidden = parts.length === 0;
    freshness.dataset.state = refused ? "not-listed" : inbox.updating ? "updating" : old ? "kept" : "current";
    freshness.classList.toggle("warning-text", Boolean(refused));
  }

  function useInbox(inbox) {
    state.orders = inbox?.orders ?? [];
    state.asOf = inbox;
    showFreshness(inbox);
  }

  /** The kept list (free, at once), the services' turnarounds and the media types. */
  async function load() {
    try {
      const [inbox, services, catalog] = await Promise.all([
        ctx.api.orders({}),
        ctx.api.services().catch(() => []),
        ctx.catalog().catch(() => null),
      ]);
      state.mediaTypes = catalog?.media_types ?? FALLBACK_MEDIA_TYPES;
      for (const service of services ?? []) {
        if (service.turnaround_hours != null) state.turnaround.set(service.id, Number(service.turnaround_hours));
      }
      useInbox(inbox);
      merge(state.early.splice(0));
      draw();
      if (inbox?.updating) followUp();
    } catch (error) {
      const retry = h("button", { type: "button", id: "orders-retry", class: "secondary" }, "Try again");
      retry.addEventListener("click", () => ctx.go("inbox"));
      const words = listRefused(error);
      if (words) fill(element, h("p", { class: "muted", id: "orders-not-listed" }, `${words} Your orders show up here as soon as it can.`), retry);
      else {
        ctx.showError(error);
        fill(element, h("p", { class: "muted" }, "Your orders couldn't be loaded."), retry);
      }
    } finally {
      element.removeAttribute("aria-busy");
    }
  }

  /**
   * The known orders are being looked up (free, in the background): asks again in a moment,
   * a little later each time, until that is over, and shows the result.
   */
  async function followUp() {
    let inbox = null;
    for (const wait of [300, 700, 1500, 3000, 5000, 8000]) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (!element.isConnected) return;
      try {
        inbox = await ctx.api.orders({});
      } catch {
        break;
      }
      if (!inbox?.updating) break;
    }
    if (!element.isConnected) return;
    if (inbox) {
      const byId = new Map((state.orders ?? []).map((order) => [order.id, order]));
      for (const order of inbox.orders ?? []) byId.set(order.id, order);
      state.orders = [...byId.values()];
      state.asOf = inbox;
      draw();
    }
    showFreshness({ ...state.asOf, updating: false });
  }

  /** Asks Atelier for the whole list now (one limited call); if it can't, the list stays. */
  async function refresh() {
    try {
      const inbox = await ctx.api.orders({ refresh: true });
      useInbox(inbox);
      draw();
    } catch (error) {
      const words = listRefused(error);
      if (words && state.orders) showFreshness(state.asOf, error);
      else ctx.showError(error);
    }
  }

  // --- News from the watcher ------------------------------------------------------------

  /** Orders from a `new_orders` event: added, or replacing the ones with the same id. */
  function merge(orders) {
    if (!orders.length) return;
    if (!state.orders) {
      state.early.push(...orders);
      return;
    }
    const byId = new Map(state.orders.map((order) => [order.id, order]));
    for (const order of orders) byId.set(order.id, order);
    state.orders = [...byId.values()];
    draw();
  }

  /** A `delivered` event: the order as Atelier now has it. */
  function delivered(order) {
    if (state.sending.has(order.id)) state.sending.set(order.id, true);
    state.pending.delete(order.id);
    state.failed.delete(order.id);
    state.forms.delete(order.id);
    if (state.open === order.id) state.open = null;
    merge([order]);
  }

  /**
   * A `delivery_failed` event: the delivery left the queue. The order says why, in
   * Atelier's words, and its form comes back with what was typed, to fix and send again
   * (opened at once unless another order's form is open: that one keeps the keyboard).
   */
  function deliveryEnded(orderId, problem) {
    if (state.sending.has(orderId)) state.sending.set(orderId, true);
    const wasPending = state.pending.delete(orderId) || state.sending.has(orderId);
    if (!wasPending && !state.orders?.some((order) => order.id === orderId)) return;
    state.failed.set(orderId, problem ?? { message: "Atelier didn't accept this delivery." });
    if (state.open === null && state.forms.has(orderId)) state.open = orderId;
    draw();
  }

  /** Brings an order into view with keyboard focus on it (a notification was clicked). */
  function focusOrder(orderId) {
    const card = orderId && document.getElementById(`order-${orderId}`);
    if (!card) return;
    card.setAttribute("tabindex", "-1");
    card.scrollIntoView({ block: "center" });
    card.focus({ preventScroll: true });
  }

  // --- Drawing --------------------------------------------------------------------------
  // The list is updated in place: an order's card is rebuilt only when something it shows
  // changed, and nodes that stay are never moved. Rebuilding everything on every event would
  // pull buttons and the delivery form from under the pointer, the keyboard and screen readers.

  const cards = new Map(); // order id → {key, element}
  let groupViews = null; // group key → {section, count, ul}
  let emptyView = null;

  function draw() {
    if (!state.orders) return;
    const focused = document.activeElement?.id;
    if (!state.orders.length) drawEmpty();
    else drawGroups();
    if (focused) {
      const again = document.getElementById(focused);
      if (again && again !== document.activeElement) again.focus({ preventScroll: true });
    }
  }

  function drawEmpty() {
    emptyView ??= h(
      "div",
      { class: "card empty-state", id: "orders-empty" },
      h("h3", {}, "No orders yet"),
      h(
        "p",
        {},
        "When a client pays for one of your services it appears here, and Atelier Desk tells you right away. It keeps watching while the app is open, even with its window closed.",
      ),
    );
    if (element.firstChild !== emptyView || element.childNodes.length !== 1) fill(element, emptyView);
  }

  function drawGroups() {
    groupViews ??= new Map(GROUPS.map((group) => [group.key, groupView(group)]));
    const sections = [...groupViews.values()].map((v) => v.section);
    if (element.childNodes.length !== sections.length || sections.some((section, i) => element.childNodes[i] !== section)) fill(element, sections);

    const now = Date.now();
    const minute = Math.floor(now / MINUTE_MS);
    const grouped = new Map(GROUPS.map((g) => [g.key, []]));
    for (const order of state.orders) grouped.get(groupOf(order.status)).push(order);
    grouped.get("to-deliver").sort((a, b) => deadlineOf(a) - deadlineOf(b));
    for (const key of ["review", "completed", "other"]) grouped.get(key).sort((a, b) => String(b.created_at ?? "").localeCompare(String(a.created_at ?? "")));

    const shown = new Set();
    for (const [key, items] of grouped) {
      const view = groupViews.get(key);
      const elements = items.map((order) => {
        shown.add(order.id);
        const open = state.open === order.id;
        // Everything the card shows; a countdown changes its words once a minute.
        const cardKey = JSON.stringify([
          order,
          key,
          state.pending.has(order.id),
          open,
          state.failed.get(order.id) ?? null,
          state.expanded.has(order.id),
          key === "to-deliver" && !open ? minute : 0,
        ]);
        const cached = cards.get(order.id);
        if (cached?.key === cardKey) return cached.element;
        const card = orderCard(order, key, now);
        cards.set(order.id, { key: cardKey, element: card });
        return card;
      });
      const current = [...view.ul.children];
      if (current.length !== elements.length || elements.some((el, i) => current[i] !== el)) view.ul.replaceChildren(...elements);
      view.count.textContent = ` (${items.length})`;
      view.section.hidden = items.length === 0;
    }
    for (const id of [...cards.keys()]) if (!shown.has(id)) cards.delete(id);
  }

  function groupView(group) {
    const headingId = `orders-${group.key}-title`;
    const count = h("span", { class: "count-badge" });
    const ul = h("ul", { class: "orders" });
    const section = h(
      "section",
      { id: `orders-${group.key}`, class: "order-group", "aria-labelledby": headingId, hidden: true },
      h("h3", { id: headingId, class: "group-title" }, group.title, count),
      ul,
    );
    return { section, count, ul };
  }

  function deadlineOf(order) {
    const created = Date.parse(order.created_at ?? "");
    const hours = state.turnaround.get(order.service_id) ?? DEFAULT_TURNAROUND_HOURS;
    return Number.isFinite(created) ? created + hours * HOUR_MS : Number.POSITIVE_INFINITY;
  }

  function orderCard(order, group, now) {
    const wallet = order.client_wallet ?? "";
    const ordered = dateTime(order.created_at);
    const meta = h(
      "p",
      { class: "order-meta" },
      h("span", {}, "Client ", h("span", { class: "mono", title: wallet, dir: "auto" }, wallet ? shortAddress(wallet) : "unknown")),
      ordered ? h("span", {}, `Ordered ${ordered}`) : null,
      h("span", { class: "tag" }, statusWords(order.status)),
    );

    let timing = null;
    let overdue = false;
    if (group === "to-deliver") {
      const deadline = deadlineOf(order);
      if (Number.isFinite(deadline)) {
        const left = deadline - now;
        overdue = left < 0;
        timing = h(
          "p",
          { class: ["order-deadline", overdue && "overdue"] },
          overdue ? `Overdue by ${duration(-left)}` : `Due in ${duration(left)}`,
          h("span", { class: "muted" }, ` (by ${dateTime(deadline)})`),
        );
      }
    } else if (group === "review" && dateTime(order.review_deadline)) {
      timing = h("p", { class: "order-deadline" }, `Client review ends ${dateTime(order.review_deadline)}`);
    }

    const delivered = order.deliverable_url
      ? h("p", { class: "small muted wrap" }, "Delivered: ", h("span", { class: "mono", dir: "auto" }, order.deliverable_url))
      : null;

    return h(
      "li",
      { class: ["card", "order", overdue && "overdue"], id: `order-${order.id}`, "data-status": order.status ?? "" },
      h("div", { class: "service-main" }, h("h4", { class: "order-title", dir: "auto" }, order.service_title || "Your service"), h("p", { class: "service-price" }, money(order.quoted_price_usd))),
      meta,
      briefPart(order),
      timing,
      delivered,
      group === "to-deliver" ? deliverPart(order) : deliveryNews(order),
      practising ? clientPart(order) : null,
    );
  }

  // --- Practice mode: the creator plays the client ---------------------------------------

  /** The pretend client's next moves for `order`, or nothing when it has none. */
  function clientPart(order) {
    const actions = CLIENT_ACTIONS[order.status];
    if (!actions) return null;
    const buttons = actions.map((action) => {
      const button = h(
        "button",
        { type: "button", id: `client-${action.replaceAll("_", "-")}-${order.id}`, class: "secondary small", "data-action": action },
        CLIENT_LABELS[action],
      );
      button.addEventListener("click", () => playClient(order, action, button));
      return button;
    });
    const titleId = `practice-client-title-${order.id}`;
    return h(
      "div",
      { class: "practice-client", id: `practice-client-${order.id}`, role: "group", "aria-labelledby": titleId },
      h("p", { class: "practice-client-title", id: titleId }, h("strong", {}, "Practice: you are the client now."), " What would your client do next?"),
      h("div", { class: "actions" }, buttons),
      order.status === "delivered"
        ? h(
            "p",
            { class: "small muted" },
            "On Atelier today nothing happens when the review window runs out: the order stays delivered, and unpaid, until the client approves. Atelier's guide says it then completes by itself and pays you; “Let the review window run out” plays what the guide says.",
          )
        : null,
    );
  }

  async function playClient(order, action, button) {
    ctx.clearError();
    await busy(button, "Playing the client…", async () => {
      let now;
      try {
        now = await ctx.api.playClient(order.id, action);
      } catch (error) {
        ctx.showError(error);
        return;
      }
      merge([now]);
      // The practice clock jumped for every order: bring the others up to date (the kept
      // list, free and at once).
      if (action === "lapse_review") {
        try {
          merge((await ctx.api.orders({}))?.orders ?? []);
        } catch {
          // They catch up with the next news or look.
        }
      }
      ctx.showSuccess(clientDid(action, now));
      const card = document.getElementById(`order-${order.id}`);
      if (card) {
        card.setAttribute("tabindex", "-1");
        card.focus({ preventScroll: true });
        card.scrollIntoView({ block: "nearest" });
      }
    });
  }

  /** Practice mode's "Let time pass": the practice clock jumps; the list shows the orders older. */
  function practicePanel() {
    if (!practising) return null;
    const result = h("p", { id: "clock-result", class: "small", "aria-live": "polite", hidden: true });
    const buttons = CLOCK_JUMPS.map(([secs, label, id]) => {
      const button = h("button", { type: "button", id, class: "secondary small", "data-secs": String(secs) }, label);
      button.addEventListener("click", () =>
        busy(button, "Moving the clock…", async () => {
          ctx.clearError();
          let jump;
          try {
            jump = await ctx.api.advancePracticeClock(secs);
          } catch (error) {
            ctx.showError(error);
            return;
          }
          merge(jump?.orders ?? []);
          draw();
          const lapsed = jump?.lapsed_reviews?.length ?? 0;
          const parts = [`The practice clock moved ${label.replace(/^\+/, "")} forward: every order is that much older.`];
          if (lapsed) {
            parts.push(
              `${lapsed === 1 ? "One delivered order" : `${count(lapsed)} delivered orders`} passed the end of the review window and ${lapsed === 1 ? "stays" : "stay"} delivered, as on Atelier today: nothing happens until the client approves.`,
            );
          }
          result.textContent = parts.join(" ");
          result.hidden = false;
        }),
      );
      return button;
    });
    return h(
      "section",
      { id: "practice-panel", class: "card practice-panel", "aria-labelledby": "practice-panel-title" },
      h("h3", { id: "practice-panel-title", class: "practice-panel-title" }, "Practice: let time pass"),
      h(
        "p",
        { class: "small muted" },
        "Rehearse deadlines without waiting: move the practice marketplace's clock forward and every order gets older at once, so due times and review windows come and go. Only Practice mode has a clock like this.",
      ),
      h("div", { class: "actions" }, buttons),
      result,
    );
  }

  /**
   * The client's brief, as they wrote it, in its own direction. A long one shows its start
   * and a "Show all" button; one with invisible or direction-changing characters says so.
   */
  function briefPart(order) {
    const text = typeof order.brief === "string" ? order.brief : String(order.brief ?? "");
    if (!text) return h("p", { class: "muted" }, "No brief from the client.");
    const id = `order-brief-${order.id}`;
    const { head, folded } = fold(text);
    const expanded = folded && state.expanded.has(order.id);
    const brief = h("p", { class: ["order-brief", "prewrap", expanded && "expanded"], id, dir: "auto", "data-folded": folded && !expanded ? "true" : undefined }, folded && !expanded ? `${head}…` : text);
    const hidden = hasHiddenCharacters(text)
      ? h("p", { class: "small muted", id: `order-brief-hidden-${order.id}` }, "This brief contains invisible or direction-changing characters, so it may not read the way it looks.")
      : null;
    if (!folded) return [brief, hidden];
    const toggle = h(
      "button",
      { type: "button", id: `order-brief-toggle-${order.id}`, class: "link-button", "aria-expanded": expanded ? "true" : "false", "aria-controls": id },
      expanded ? "Show less" : `Show all (${count(text.length)} characters)`,
    );
    toggle.addEventListener("click", () => {
      if (state.expanded.has(order.id)) state.expanded.delete(order.id);
      else state.expanded.add(order.id);
      draw();
      document.getElementById(toggle.id)?.focus({ preventScroll: true });
    });
    return [brief, hidden, h("p", { class: "brief-toggle" }, toggle)];
  }

  /** "Sending…" while the delivery is queued. */
  function pendingNote(order) {
    return h("p", { class: "note", id: `delivery-pending-${order.id}`, tabindex: "-1" }, "Sending your delivery… You'll see here when Atelier has it.");
  }

  /** Atelier's refusal of the last delivery, in its words; `advice` says what to do next. */
  function refusedNote(order, advice) {
    const problem = state.failed.get(order.id);
    if (!problem) return null;
    return h(
      "div",
      { class: "note warning", id: `delivery-failed-${order.id}`, role: "alert" },
      h("p", {}, h("strong", {}, "Atelier didn't accept this delivery. "), h("span", { dir: "auto" }, problem.message ?? "")),
      problem.detail ? h("p", { class: "small" }, "Atelier said: ", h("span", { class: "server-words", dir: "auto" }, problem.detail)) : null,
      advice ? h("p", { class: "small muted" }, advice) : null,
    );
  }

  /**
   * An order that left "to deliver" while its delivery was queued or just refused (it was
   * delivered elsewhere, disputed…): what became of the delivery stays said on its card.
   */
  function deliveryNews(order) {
    if (state.pending.has(order.id)) return pendingNote(order);
    return refusedNote(order, null);
  }

  /** Deliver / Close and the open form, or "Sending…" while the delivery is queued. */
  function deliverPart(order) {
    if (state.pending.has(order.id)) return pendingNote(order);
    const open = state.open === order.id;
    const problem = state.failed.get(order.id);
    const refused = refusedNote(order, open ? "What you typed is still below: correct it and deliver again." : "Open the form to correct it and deliver again.");
    const deliver = h(
      "button",
      { type: "button", id: `deliver-${order.id}`, class: open ? "secondary small" : "primary small", "aria-expanded": open ? "true" : "false", "aria-label": `Deliver ${order.service_title ?? "this order"}` },
      open ? "Close" : problem ? "Try again" : "Deliver",
    );
    deliver.addEventListener("click", () => toggleDelivery(order));
    return [refused, h("div", { class: "actions" }, h("span", { class: "spacer" }), deliver), open ? formFor(order).element : null];
  }

  // --- The delivery forms: one open at a time, each keeping what was typed in it ---------

  function formFor(order) {
    let form = state.forms.get(order.id);
    if (!form) {
      form = deliveryForm(ctx, order, {
        mediaTypes: state.mediaTypes,
        onCancel: () => toggleDelivery(order),
        onSending: () => state.sending.set(order.id, false),
        onQueued: (view) => {
          const settled = state.sending.get(order.id);
          state.sending.delete(order.id);
          if (settled) {
            // Its outcome is already on the card (and a refused form back open): "Sending…"
            // now would stay there for good.
            onQueued(view);
            return;
          }
          state.pending.add(order.id);
          state.failed.delete(order.id);
          state.open = null;
          draw();
          document.getElementById(`delivery-pending-${order.id}`)?.focus();
          onQueued(view);
        },
      });
      state.forms.set(order.id, form);
    }
    return form;
  }

  function toggleDelivery(order) {
    if (state.open === order.id) {
      state.open = null;
      draw();
      document.getElementById(`deliver-${order.id}`)?.focus();
      return;
    }
    state.open = order.id;
    const form = formFor(order);
    draw();
    // The form opens at the bottom of the card: show all of it, down to its Deliver button.
    document.getElementById("delivery-deliverable_url")?.focus({ preventScroll: true });
    form.element.scrollIntoView({ block: "nearest" });
  }

  // Countdowns move on; once a minute is plenty (only the cards whose words change are rebuilt).
  const ticker = setInterval(() => {
    if (element.isConnected) draw();
  }, MINUTE_MS);
  ctx.onLeave(() => clearInterval(ticker));

  return { element, freshness, practice: practicePanel(), load, refresh, merge, delivered, deliveryEnded, focusOrder };
}

/** What the pretend client just did, for the success banner. */
function clientDid(action, order) {
  const price = money(order?.quoted_price_usd);
  switch (action) {
    case "pay":
      return "As the client, you paid: the order is waiting for you to deliver.";
    case "cancel":
      return "As the client, you cancelled the order before paying. Nothing was charged.";
    case "approve":
      return order?.payout_tx_hash
        ? `As the client, you approved the delivery: the order is completed and ${price} was paid out to your wallet (a made-up transfer in Practice mode).`
        : "As the client, you approved the delivery: the order is completed, but no payout was recorded. Atelier pays out only when your agent has a payout wallet or a registration wallet (Account).";
    case "approve_without_payout":
      return "As the client, you approved the delivery, but the payout transfer failed: the order is completed with no payout recorded, as Atelier leaves it when a transfer fails.";
    case "dispute":
      return "As the client, you opened a dispute. The order stays under To deliver.";
    case "lapse_review":
      return order?.payout_tx_hash
        ? `The review window ran out (the practice clock jumped ahead) and the order completed with ${price} paid out, as Atelier's guide says. On Atelier today it would stay delivered until the client approves.`
        : "The review window ran out (the practice clock jumped ahead) and the order completed, as Atelier's guide says. On Atelier today it would stay delivered until the client approves.";
    default:
      return "Done.";
  }
}

/**
 * Why no new list could be had, in a seller's words, for the problems that leave the last
 * known list standing (the budget, Atelier's 429, another copy, no connection); null for
 * anything else.
 */
function listRefused(problem) {
  const code = problem?.code;
  const secs = Number(problem?.retry_after_secs);
  const by = Number.isFinite(secs) && secs > 0 ? ` by ${clockTime(Date.now() + secs * 1000)}` : " later";
  if (code === "rate_limited") return `Atelier Desk can't ask Atelier for a new list right now (this hour's calls are used up, or Atelier asked us to slow down); it can${by}.`;
  if (code === "another_copy") return "Another copy of Atelier Desk is watching your orders, so this one doesn't ask Atelier for a new list.";
  if (code === "network" || code === "timeout") return "Atelier couldn't be reached just now.";
  if (code === "server_error") return "Atelier is having trouble right now.";
  return null;
}

/** "6:08 AM" today, else the day and time. */
function whenText(value) {
  const date = new Date(value);
  return date.toDateString() === new Date().toDateString() ? clockTime(date) : dateTime(date);
}

function groupOf(status) {
  return GROUPS.find((g) => g.statuses?.includes(status))?.key ?? "other";
}

function statusWords(status) {
  if (STATUS_WORDS[status]) return STATUS_WORDS[status];
  const text = String(status ?? "unknown").replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
