// The Orders screen, put together: the watcher's status panel (inbox-status.js), the order
// list with its delivery forms (order-list.js, delivery.js), Refresh and, in Practice mode,
// a pretend client.
//
// It asks twice when it opens (`watch_status`, `orders`: the kept list, at once and free;
// the list asks once more when its known orders are being brought up to date) and then listens: every
// `watch-event` carries the status as `view`, `new_orders` brings the orders and `delivered`
// the delivered order, so no event makes it ask again. Only Refresh asks Atelier anew.
// A refused delivery (`delivery_failed`) is told beside its order, with its form back.
import { h, busy, screenTitle } from "../lib/dom.js";
import { onEvent } from "../api.js";
import { statusPanel } from "./inbox-status.js";
import { orderList } from "./order-list.js";

export function renderInbox(ctx, params = {}) {
  const status = statusPanel(ctx);
  const orders = orderList(ctx, { onQueued: status.show });

  const refresh = h("button", { type: "button", id: "orders-refresh", class: "secondary" }, "Refresh");
  refresh.addEventListener("click", () =>
    busy(refresh, "Refreshing…", async () => {
      ctx.clearError();
      await orders.refresh();
    }),
  );

  const root = h(
    "section",
    { id: "screen-inbox", class: "screen" },
    h("div", { class: "screen-head" }, screenTitle("Orders"), h("div", { class: "actions" }, simulateButton(ctx, (order) => orders.merge([order])), refresh)),
    status.panel,
    status.notice,
    // Practice mode only (null otherwise): let time pass on the practice marketplace.
    orders.practice,
    orders.freshness,
    orders.element,
  );

  function onWatchEvent(event) {
    if (!root.isConnected || !event) return;
    // An engine from before `view` sends none: the panel keeps what it last showed.
    if (event.view) status.show(event.view);
    if (event.type === "new_orders") orders.merge(event.orders ?? []);
    else if (event.type === "delivered" && event.order) orders.delivered(event.order);
    else if (event.type === "delivery_failed") orders.deliveryEnded(event.order_id, event.problem);
    else if (event.type === "orders_changed") orders.merge((event.changes ?? []).map((change) => change.order).filter(Boolean));
  }

  const listening = onEvent("watch-event", onWatchEvent);
  ctx.onLeave(() => listening.then((unlisten) => unlisten()).catch(() => {}));

  status.load();
  orders.load().then(() => orders.focusOrder(params.focus));
  return root;
}

/** Practice mode only: a pretend client pays for one of the creator's services. */
function simulateButton(ctx, onPlaced) {
  if (ctx.session?.mode !== "practice") return null;
  const button = h("button", { type: "button", id: "simulate-order", class: "secondary" }, "Simulate a client order");
  button.addEventListener("click", () =>
    busy(button, "Placing an order…", async () => {
      ctx.clearError();
      try {
        const order = await ctx.api.simulateOrder({});
        if (order) onPlaced(order);
        ctx.showSuccess(
          order?.status === "paid"
            ? "A pretend client paid for one of your services. You'll be told in a moment, as for a real order."
            : "A pretend client placed an order and pays in a few seconds, as on Atelier. You'll be told the moment they do.",
        );
      } catch (error) {
        if (error?.code === "no_service") {
          ctx.showError({ ...error, message: "You have no service to order yet. Create a service first (Services → New service), then simulate an order." });
        } else ctx.showError(error);
      }
    }),
  );
  return button;
}
