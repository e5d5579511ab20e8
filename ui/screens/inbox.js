// The order inbox: what the watcher is doing, and every order grouped by what it needs
// from the creator. Briefs, titles and wallets are written by strangers: text nodes only.
import { h, fill, busy, screenTitle, shortAddress } from "../lib/dom.js";
import { createForm } from "../lib/forms.js";
import { onEvent } from "../api.js";

const DEFAULT_TURNAROUND_HOURS = 48;
const HOUR_MS = 3600 * 1000;
const MINUTE_MS = 60 * 1000;

const GROUPS = [
  { key: "to-deliver", title: "To deliver", statuses: ["paid", "in_progress", "revision_requested"] },
  { key: "review", title: "Waiting for the client's review", statuses: ["delivered"] },
  { key: "completed", title: "Completed", statuses: ["completed"] },
  { key: "other", title: "Other", statuses: null },
];

const STATUS_WORDS = {
  paid: "Paid, waiting for you",
  in_progress: "In progress",
  revision_requested: "The client asked for changes",
  delivered: "Delivered",
  completed: "Completed",
};

/** Watch-event types after which the kept list may have changed. */
const LIST_CHANGES = new Set(["checked", "new_orders", "delivered"]);

export function renderInbox(ctx, params = {}) {
  const state = {
    orders: null, // null until the first load
    turnaround: new Map(), // service id → hours, looked up once per screen load
    catalog: null,
    pending: new Set(), // order ids whose delivery is queued
    delivery: null, // {orderId, values, element, form}: the one open delivery form
    status: null,
  };

  const statusPanel = h("section", { id: "watch-status", class: "card watch-status", "aria-live": "polite", "aria-busy": "true" }, h("p", { class: "muted" }, "Looking at what Atelier Desk is doing…"));
  const notifyNotice = h("p", { id: "notifications-off", class: "note warning", hidden: true }, "Desktop notifications can't be shown on this computer, so new orders will appear here instead.");
  const list = h("div", { id: "order-list", class: "order-groups", "aria-busy": "true" }, h("p", { class: "muted loading" }, "Loading your orders…"));

  const refresh = h("button", { type: "button", id: "orders-refresh", class: "secondary" }, "Refresh");
  refresh.addEventListener("click", () =>
    busy(refresh, "Refreshing…", async () => {
      ctx.clearError();
      try {
        state.orders = (await ctx.api.orders({ refresh: true })).orders ?? [];
        drawList();
      } catch (error) {
        ctx.showError(error);
      }
      await loadStatus();
    }),
  );

  const simulate =
    ctx.session?.mode === "practice"
      ? h("button", { type: "button", id: "simulate-order", class: "secondary" }, "Simulate a client order")
      : null;
  simulate?.addEventListener("click", () =>
    busy(simulate, "Placing an order…", async () => {
      ctx.clearError();
      try {
        await ctx.api.simulateOrder({});
        ctx.showSuccess("A pretend client paid for one of your services. It appears here after the next check, in a moment.");
      } catch (error) {
        if (error?.code === "no_service") {
          ctx.showError({ ...error, message: "You have no service to order yet. Create a service first (Services → New service), then simulate an order." });
        } else ctx.showError(error);
      }
    }),
  );

  const root = h(
    "section",
    { id: "screen-inbox", class: "screen" },
    h("div", { class: "screen-head" }, screenTitle("Orders"), h("div", { class: "actions" }, simulate, refresh)),
    statusPanel,
    notifyNotice,
    list,
  );

  // --- The watcher's status ---------------------------------------------------------

  async function loadStatus() {
    try {
      drawStatus(await ctx.api.watchStatus());
    } catch (error) {
      fill(statusPanel, h("p", { class: "muted" }, "Atelier Desk couldn't say whether it is watching for orders."), h("p", { class: "small" }, error?.message ?? ""));
    } finally {
      statusPanel.removeAttribute("aria-busy");
    }
  }

  function drawStatus(view) {
    state.status = view?.status ?? null;
    notifyNotice.hidden = view?.notifications?.available !== false;
    const status = state.status;
    if (!status) {
      fill(statusPanel, h("p", {}, "Atelier Desk isn't watching for orders right now. It starts when you're signed in."));
      return;
    }
    const lines = statusLines(status);
    const checkNow = h("button", { type: "button", id: "check-now", class: "secondary small" }, "Check now");
    checkNow.addEventListener("click", () =>
      busy(checkNow, "Checking…", async () => {
        try {
          drawStatus(await ctx.api.checkNow());
        } catch (error) {
          ctx.showError(error);
        }
      }),
    );
    const pause = h("button", { type: "button", id: "watch-pause", class: "secondary small", "aria-pressed": status.paused ? "true" : "false" }, status.paused ? "Resume" : "Pause");
    pause.addEventListener("click", () =>
      busy(pause, status.paused ? "Resuming…" : "Pausing…", async () => {
        try {
          drawStatus(await (status.paused ? ctx.api.resumeWatching() : ctx.api.pauseWatching()));
          document.getElementById("watch-pause")?.focus();
        } catch (error) {
          ctx.showError(error);
        }
      }),
    );
    fill(
      statusPanel,
      h("div", { class: "watch-lines" }, lines.map(([text, cls]) => h("p", { class: cls }, text))),
      h("div", { class: "actions" }, checkNow, pause),
    );
  }

  // --- The orders -------------------------------------------------------------------

  async function loadOrders() {
    try {
      const [inbox, services, catalog] = await Promise.all([
        ctx.api.orders({}),
        ctx.api.services().catch(() => []),
        ctx.catalog().catch(() => ({ media_types: [["image", "Image"], ["video", "Video"]] })),
      ]);
      state.catalog = catalog;
      for (const service of services ?? []) {
        if (service.turnaround_hours != null) state.turnaround.set(service.id, Number(service.turnaround_hours));
      }
      state.orders = inbox?.orders ?? [];
      drawList();
      showFocused(params.focus);
    } catch (error) {
      ctx.showError(error);
      const retry = h("button", { type: "button", id: "orders-retry", class: "secondary" }, "Try again");
      retry.addEventListener("click", () => ctx.go("inbox"));
      fill(list, h("p", { class: "muted" }, "Your orders couldn't be loaded."), retry);
    } finally {
      list.removeAttribute("aria-busy");
    }
  }

  /** Brings the order a notification was about into view, with keyboard focus on it. */
  function showFocused(orderId) {
    if (!orderId) return;
    const card = document.getElementById(`order-${orderId}`);
    if (!card) return;
    card.setAttribute("tabindex", "-1");
    card.scrollIntoView({ block: "center" });
    card.focus({ preventScroll: true });
  }

  /** The kept list again (free: no call to Atelier unless it is stale). */
  async function reloadOrders() {
    try {
      state.orders = (await ctx.api.orders({})).orders ?? [];
      drawList();
    } catch {
      // The next event or the Refresh button tries again; the list shown stays.
    }
  }

  // The list is updated in place: an order's card is rebuilt only when something it shows
  // changed, and nodes that stay are never moved. Rebuilding everything on every event would
  // pull buttons and the delivery form from under the pointer, the keyboard and screen readers.
  const cards = new Map(); // order id → {key, element}
  let groupViews = null; // group key → {section, count, ul}
  let emptyView = null;

  function drawList() {
    if (!state.orders) return;
    const focused = document.activeElement?.id;
    const orders = state.orders;
    if (!orders.length) {
      emptyView ??= h(
        "div",
        { class: "card empty-state", id: "orders-empty" },
        h("h3", {}, "No orders yet"),
        h(
          "p",
          {},
          "When a client pays for one of your services it appears here, and Atelier Desk tells you right away. It keeps looking while the app is open, a few times an hour.",
        ),
      );
      if (list.firstChild !== emptyView || list.childNodes.length !== 1) fill(list, emptyView);
      return;
    }
    if (!groupViews) {
      groupViews = new Map(
        GROUPS.map((group) => {
          const headingId = `orders-${group.key}-title`;
          const count = h("span", { class: "count-badge" });
          const ul = h("ul", { class: "orders" });
          const section = h(
            "section",
            { id: `orders-${group.key}`, class: "order-group", "aria-labelledby": headingId, hidden: true },
            h("h3", { id: headingId, class: "group-title" }, group.title, count),
            ul,
          );
          return [group.key, { section, count, ul }];
        }),
      );
    }
    const sections = [...groupViews.values()].map((v) => v.section);
    if (list.childNodes.length !== sections.length || sections.some((section, i) => list.childNodes[i] !== section)) fill(list, sections);

    const now = Date.now();
    const minute = Math.floor(now / MINUTE_MS);
    const grouped = new Map(GROUPS.map((g) => [g.key, []]));
    for (const order of orders) grouped.get(groupOf(order.status)).push(order);
    grouped.get("to-deliver").sort((a, b) => deadlineOf(a) - deadlineOf(b));
    for (const key of ["review", "completed", "other"]) grouped.get(key).sort((a, b) => String(b.created_at ?? "").localeCompare(String(a.created_at ?? "")));

    const shown = new Set();
    for (const [key, items] of grouped) {
      const view = groupViews.get(key);
      const elements = items.map((order) => {
        shown.add(order.id);
        const open = state.delivery?.orderId === order.id;
        const cardKey = JSON.stringify([order, key, state.pending.has(order.id), open, key === "to-deliver" && !open ? minute : 0]);
        const cached = cards.get(order.id);
        if (cached?.key === cardKey) return cached.element;
        const element = orderItem(order, key, now);
        cards.set(order.id, { key: cardKey, element });
        return element;
      });
      const current = [...view.ul.children];
      if (current.length !== elements.length || elements.some((el, i) => current[i] !== el)) view.ul.replaceChildren(...elements);
      view.count.textContent = ` (${items.length})`;
      view.section.hidden = items.length === 0;
    }
    for (const id of [...cards.keys()]) if (!shown.has(id)) cards.delete(id);

    if (focused) {
      const again = document.getElementById(focused);
      if (again && again !== document.activeElement) again.focus({ preventScroll: true });
    }
  }

  function deadlineOf(order) {
    const created = Date.parse(order.created_at ?? "");
    const hours = state.turnaround.get(order.service_id) ?? DEFAULT_TURNAROUND_HOURS;
    return Number.isFinite(created) ? created + hours * HOUR_MS : Number.POSITIVE_INFINITY;
  }

  function orderItem(order, group, now) {
    const wallet = order.client_wallet ?? "";
    const created = Date.parse(order.created_at ?? "");
    const meta = h(
      "p",
      { class: "order-meta" },
      h("span", {}, "Client ", h("span", { class: "mono", title: wallet }, wallet ? shortAddress(wallet) : "unknown")),
      Number.isFinite(created) ? h("span", {}, `Ordered ${new Date(created).toLocaleString()}`) : null,
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
          h("span", { class: "muted" }, ` (by ${new Date(deadline).toLocaleString()})`),
        );
      }
    } else if (group === "review" && order.review_deadline) {
      timing = h("p", { class: "order-deadline" }, `Client review ends ${new Date(order.review_deadline).toLocaleString()}`);
    }

    const delivered = order.deliverable_url
      ? h("p", { class: "small muted wrap" }, "Delivered: ", h("span", { class: "mono" }, order.deliverable_url))
      : null;

    let actions = null;
    let form = null;
    if (group === "to-deliver") {
      if (state.pending.has(order.id)) {
        actions = h("p", { class: "note", id: `delivery-pending-${order.id}`, tabindex: "-1" }, "Sending your delivery… You'll see here when Atelier has it.");
      } else {
        const open = state.delivery?.orderId === order.id;
        const deliver = h(
          "button",
          { type: "button", id: `deliver-${order.id}`, class: open ? "secondary small" : "primary small", "aria-expanded": open ? "true" : "false", "aria-label": `Deliver ${order.service_title ?? "this order"}` },
          open ? "Close" : "Deliver",
        );
        deliver.addEventListener("click", () => toggleDelivery(order));
        actions = h("div", { class: "actions" }, h("span", { class: "spacer" }), deliver);
        if (open) form = state.delivery.element;
      }
    }

    return h(
      "li",
      { class: ["card", "order", overdue && "overdue"], id: `order-${order.id}`, "data-status": order.status ?? "" },
      h(
        "div",
        { class: "service-main" },
        h("h4", { class: "order-title" }, order.service_title || "Your service"),
        h("p", { class: "service-price" }, money(order.quoted_price_usd)),
      ),
      meta,
      order.brief ? h("p", { class: "order-brief prewrap" }, order.brief) : h("p", { class: "muted" }, "No brief from the client."),
      timing,
      delivered,
      actions,
      form,
    );
  }

  // --- Delivering ---------------------------------------------------------------------

  function toggleDelivery(order) {
    if (state.delivery?.orderId === order.id) {
      state.delivery = null;
      drawList();
      document.getElementById(`deliver-${order.id}`)?.focus();
      return;
    }
    state.delivery = deliveryForm(order);
    drawList();
    // The form opens at the bottom of the card: show all of it, down to its Deliver button.
    document.getElementById("delivery-deliverable_url")?.focus({ preventScroll: true });
    state.delivery.element.scrollIntoView({ block: "nearest" });
  }

  function deliveryForm(order) {
    const values = { deliverable_url: "", deliverable_media_type: "" };
    const form = createForm({ prefix: "delivery", kind: "delivery", values });
    const mediaTypes = state.catalog?.media_types ?? [["image", "Image"], ["video", "Video"]];
    const urlField = form.text("deliverable_url", {
      label: "Link to the finished work",
      type: "url",
      inputmode: "url",
      placeholder: "https://",
      hint: "A public https:// link to the picture or video you made for this client.",
    });
    const typeField = form.select("deliverable_media_type", { label: "What it is", placeholder: "Choose…", options: mediaTypes });
    const url = urlField.querySelector("input");
    const select = typeField.querySelector("select");

    // Pre-select the media type from the link, unless the creator picked one themselves.
    let chosenByHand = false;
    let guessing = 0;
    select.addEventListener("change", (event) => {
      if (event.isTrusted) chosenByHand = true;
    });
    url.addEventListener("input", async () => {
      const mine = ++guessing;
      let guess = null;
      try {
        guess = await ctx.api.guessMediaType(url.value);
      } catch {
        return;
      }
      if (mine !== guessing || chosenByHand || !guess || select.value === guess) return;
      select.value = guess;
      select.dispatchEvent(new Event("change"));
    });

    const submit = h("button", { type: "button", id: "delivery-submit", class: "primary" }, "Deliver");
    const cancel = h("button", { type: "button", id: "delivery-cancel", class: "secondary" }, "Cancel");
    cancel.addEventListener("click", () => toggleDelivery(order));
    submit.addEventListener("click", () => send(order, form, values, submit));

    const element = h(
      "fieldset",
      { class: "delivery-form plain", id: `delivery-form-${order.id}` },
      h("legend", { class: "sr-only" }, `Deliver ${order.service_title ?? "this order"}`),
      urlField,
      typeField,
      h("div", { class: "actions" }, h("span", { class: "spacer" }), cancel, submit),
    );
    return { orderId: order.id, values, form, element };
  }

  async function send(order, form, values, submit) {
    ctx.clearError();
    const problems = await form.validate();
    if (problems.length) {
      form.focusFirstInvalid();
      return;
    }
    const yes = await ctx.confirm({
      title: "Deliver to the client?",
      body: [
        "They'll have 48 hours to review.",
        h("p", { class: "wrap" }, "Link: ", h("span", { class: "mono" }, values.deliverable_url)),
      ],
      yes: "Deliver",
    });
    if (!yes) return;
    await busy(submit, "Sending…", async () => {
      try {
        await ctx.api.deliver({ orderId: order.id, form: { deliverable_url: values.deliverable_url, deliverable_media_type: values.deliverable_media_type } });
        state.pending.add(order.id);
        state.delivery = null;
        drawList();
        document.getElementById(`delivery-pending-${order.id}`)?.focus();
        loadStatus();
      } catch (error) {
        if (!form.applyServerError(error)) ctx.showError(error);
        else form.focusFirstInvalid();
      }
    });
  }

  // --- News from the watcher ----------------------------------------------------------

  function onWatchEvent(event) {
    if (!root.isConnected) return;
    switch (event?.type) {
      case "delivered":
        if (event.order) {
          state.pending.delete(event.order.id);
          if (state.orders) {
            state.orders = [event.order, ...state.orders.filter((o) => o.id !== event.order.id)];
            drawList();
          }
        }
        break;
      case "delivery_failed":
        state.pending.delete(event.order_id);
        drawList();
        break;
      default:
        break;
    }
    if (LIST_CHANGES.has(event?.type)) reloadOrders();
    loadStatus();
  }

  const stops = [onEvent("watch-event", onWatchEvent)];
  // Countdowns move on; once a minute is plenty (only the cards whose words change are rebuilt).
  const ticker = setInterval(() => {
    if (root.isConnected) drawList();
  }, MINUTE_MS);
  ctx.onLeave?.(() => {
    clearInterval(ticker);
    for (const stop of stops) stop.then((unlisten) => unlisten?.()).catch(() => {});
  });

  loadStatus();
  loadOrders();
  return root;
}

// --- Words --------------------------------------------------------------------------------

function groupOf(status) {
  return GROUPS.find((g) => g.statuses?.includes(status))?.key ?? "other";
}

function statusWords(status) {
  if (STATUS_WORDS[status]) return STATUS_WORDS[status];
  const text = String(status ?? "unknown").replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "9:41 PM": when the creator can expect something. */
export function localTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
}

/** "3 h", "2 h 15 min", "40 min": rounded down to the minute, never "0 min". */
function duration(ms) {
  const minutes = Math.max(1, Math.floor(ms / MINUTE_MS));
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours >= 24) {
    const days = Math.floor(hours / 24);
    const h = hours % 24;
    return h ? `${days} d ${h} h` : `${days} d`;
  }
  if (!hours) return `${rest} min`;
  return rest && hours < 6 ? `${hours} h ${rest} min` : `${hours} h`;
}

/** "5" / "5.5" / "5.00" → "$5.00". Money stays text: no floating point. */
function money(price) {
  if (price === null || price === undefined || price === "") return "Price on request";
  const text = String(price);
  const match = /^(\d+)(?:\.(\d{0,2}))?$/.exec(text);
  if (!match) return `$${text}`;
  return `$${match[1]}.${(match[2] ?? "").padEnd(2, "0")}`;
}

/** The watcher's state in plain words, most important first: [text, class]. */
function statusLines(status) {
  const lines = [];
  const last = status.last_check ? `Last checked ${localTime(status.last_check)}` : "Not checked yet";
  const next = status.next_check ? ` · next check around ${localTime(status.next_check)}` : "";
  if (status.paused) {
    lines.push(["Paused: Atelier Desk isn't looking for new orders. Deliveries you confirmed still go out.", "watch-state warning-text"]);
    lines.push([last, "muted"]);
  } else if (!status.running) {
    lines.push(["Stopped: Atelier Desk isn't looking for new orders.", "watch-state warning-text"]);
  } else if (status.offline) {
    lines.push([`Offline: Atelier couldn't be reached at the last try.${status.next_check ? ` Trying again around ${localTime(status.next_check)}.` : ""}`, "watch-state warning-text"]);
    lines.push([last, "muted"]);
  } else {
    lines.push([`${last}${next}`, "watch-state"]);
  }
  if (status.problem && !status.offline) {
    lines.push([status.problem.message, "watch-problem error"]);
  }
  if (status.waiting === "budget" || status.waiting === "rate_limit") {
    lines.push(["The hourly limit of calls to Atelier is reached, so the next check waits until it allows one.", "muted small"]);
  }
  lines.push([`${status.budget_left} of ${status.budget_limit} checks and deliveries left this hour`, "muted small"]);
  if (status.pending_deliveries > 0) {
    lines.push([
      status.pending_deliveries === 1 ? "1 delivery waiting to be sent." : `${status.pending_deliveries} deliveries waiting to be sent.`,
      "small",
    ]);
  }
  return lines;
}
