// Earnings: what the creator receives and when, from the kept orders (`earnings`, free and
// at once, like Orders). Four totals, a warning for completed orders with no payout, then
// one row per order in plain words, with "View payout" for paid-out ones (the engine opens
// the Solana explorer in the browser; the page can open nothing itself). "Export all
// orders (CSV)" lets the engine show the system's save dialog and write the file.
//
// Every sum comes from the engine as text ("12.50"): the page adds nothing up. Dates are
// shown in the creator's local time, and the engine is told the page's UTC offset so that
// "this month" is the creator's month. Any `watch-event` (a delivery, a new order, a check)
// makes it ask again, so the totals move as orders do; while the engine says `updating`
// (the orders that may still change being looked up, for free) it asks again in a moment.
// Titles, ids and hashes come from strangers and servers: text nodes with `dir="auto"`.
import { h, fill, busy, screenTitle } from "../lib/dom.js";
import { money, dateTime, count, MINUTE_MS } from "../lib/format.js";
import { onEvent } from "../api.js";

/** Minutes east of UTC, as the engine wants them (getTimezoneOffset counts the other way). */
const utcOffsetMinutes = () => -new Date().getTimezoneOffset();

const TOTALS = [
  { key: "waiting_to_deliver", title: "Waiting for you to deliver", note: "Paid by clients. Yours once delivered and approved." },
  { key: "in_review", title: "In review", note: "Delivered. Atelier pays you when the client approves." },
  { key: "completed_this_month", title: "Completed this month", note: "Approved by clients: Atelier sends each full price to your payout wallet." },
  { key: "completed_all_time", title: "Completed all time", note: "Everything you have earned on Atelier." },
];

export function renderEarnings(ctx) {
  const practice = ctx.session?.mode === "practice";
  const state = { view: null, loading: null, again: false, following: false };

  const totals = h("div", { id: "earnings-totals", class: "totals", "aria-busy": "true" }, h("p", { class: "muted loading" }, "Adding up your orders…"));
  const missing = h("p", { id: "earnings-missing-payouts", class: "note warning", role: "status", hidden: true });
  const extra = h("div", { id: "earnings-notes", class: "stack small muted" });
  const asOf = h("p", { id: "earnings-as-of", class: "small muted", "aria-live": "polite", hidden: true });
  const rows = h("div", { id: "earnings-rows", class: "earnings-rows" });
  const saved = h("p", { id: "earnings-export-status", class: "small", "aria-live": "polite", hidden: true });

  const refresh = h("button", { type: "button", id: "earnings-refresh", class: "secondary" }, "Refresh");
  refresh.addEventListener("click", () =>
    busy(refresh, "Refreshing…", async () => {
      ctx.clearError();
      // Free: what changes here (an approval, a dispute) is in the orders already kept;
      // new orders come from the watcher.
      try {
        await ctx.api.lookAgain();
      } catch (error) {
        ctx.showError(error);
        return;
      }
      await load();
    }),
  );

  const exportButton = h("button", { type: "button", id: "earnings-export", class: "primary" }, "Export all orders (CSV)");
  exportButton.addEventListener("click", () =>
    busy(exportButton, "Exporting…", async () => {
      ctx.clearError();
      saved.hidden = true;
      try {
        const path = await ctx.api.exportOrders(utcOffsetMinutes());
        // Cancelled in the dialog: nothing was written, nothing to say.
        if (!path) return;
        fill(saved, "Saved to ", h("span", { class: "mono wrap", dir: "auto", id: "earnings-export-path" }, path));
        saved.hidden = false;
      } catch (error) {
        ctx.showError(error);
      }
    }),
  );

  const root = h(
    "section",
    { id: "screen-earnings", class: "screen" },
    h("div", { class: "screen-head" }, screenTitle("Earnings"), h("div", { class: "actions" }, refresh, exportButton)),
    h("p", { class: "lead" }, "When a client approves your delivery, Atelier sends the full price of the order to your payout wallet, in USDC. The client pays Atelier's fee on top."),
    saved,
    asOf,
    missing,
    totals,
    extra,
    rows,
  );

  /** Asks for the figures; a call while one runs asks once more after it. */
  async function load() {
    if (state.loading) {
      state.again = true;
      return state.loading;
    }
    state.loading = (async () => {
      try {
        do {
          state.again = false;
          const view = await ctx.api.earnings(utcOffsetMinutes());
          if (!root.isConnected) return;
          state.view = view;
          draw(view);
          if (view?.updating) followUp();
        } while (state.again && root.isConnected);
      } catch (error) {
        if (!root.isConnected) return;
        if (state.view) ctx.showError(error);
        else {
          ctx.showError(error);
          const retry = h("button", { type: "button", id: "earnings-retry", class: "secondary" }, "Try again");
          retry.addEventListener("click", () => ctx.go("earnings"));
          fill(totals, h("p", { class: "muted" }, "Your earnings couldn't be worked out."), retry);
        }
      } finally {
        totals.removeAttribute("aria-busy");
        state.loading = null;
      }
    })();
    return state.loading;
  }

  /** The engine is bringing the orders up to date: ask again in a moment, then less often. */
  async function followUp() {
    if (state.following) return;
    state.following = true;
    try {
      for (const wait of [300, 700, 1500, 3000, 5000, 8000]) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        if (!root.isConnected) return;
        let view;
        try {
          view = await ctx.api.earnings(utcOffsetMinutes());
        } catch {
          return;
        }
        if (!root.isConnected) return;
        state.view = view;
        draw(view);
        if (!view?.updating) return;
      }
      showAsOf({ ...state.view, updating: false });
    } finally {
      state.following = false;
    }
  }

  function draw(view) {
    drawTotals(view);
    drawMissing(view?.totals?.missing_payouts);
    drawNotes(view);
    drawRows(view?.rows ?? []);
    showAsOf(view);
  }

  function drawTotals(view) {
    const soonest = soonestReviewEnd(view?.rows ?? []);
    const cards = TOTALS.map(({ key, title, note }) => {
      const total = view?.totals?.[key] ?? { usd: "0.00", orders: 0, unreadable: 0 };
      const lines = [h("p", { class: "total-count" }, ordersWord(total.orders))];
      if (key === "in_review" && soonest) lines.push(h("p", { class: "total-when", id: "earnings-review-soonest" }, `First review ends ${dateTime(soonest)}`));
      if (total.unreadable) lines.push(h("p", { class: "total-when warning-text" }, `${ordersWord(total.unreadable)} with a price Atelier Desk couldn't read, not in this sum`));
      return h(
        "div",
        { class: "card total", id: `earnings-total-${key}`, "data-usd": total.usd, "data-orders": String(total.orders) },
        h("h3", { class: "total-title" }, title),
        h("p", { class: "total-amount" }, money(total.usd)),
        lines,
        h("p", { class: "total-note small muted" }, note),
      );
    });
    fill(totals, cards);
  }

  function drawMissing(total) {
    const n = total?.orders ?? 0;
    missing.hidden = n === 0;
    if (!n) return missing.replaceChildren();
    const what = n === 1 ? "1 completed order has" : `${count(n)} completed orders have`;
    fill(missing, h("strong", {}, `${what} no payout recorded — contact Atelier support with the order id.`), ` ${money(total.usd)} in all; the orders are marked below.`);
  }

  function drawNotes(view) {
    const parts = [];
    const disputed = view?.totals?.disputed;
    if (disputed?.orders) parts.push(h("p", { id: "earnings-disputed" }, `${ordersWord(disputed.orders)} in dispute (${money(disputed.usd)}): not income until the dispute is settled.`));
    const month = view?.month;
    if (month?.dated_by_fallback) parts.push(h("p", {}, `${ordersWord(month.dated_by_fallback)} without a completion date: placed in a month by delivery or order date.`));
    if (month?.undated) parts.push(h("p", {}, `${ordersWord(month.undated)} without any date: counted in all time only.`));
    fill(extra, parts);
  }

  function drawRows(list) {
    if (!list.length) {
      fill(rows, h("p", { id: "earnings-empty", class: "muted" }, "No orders yet. When a client pays for one of your services, it shows up here with what you receive."));
      return;
    }
    fill(rows, h("h3", { class: "group-title" }, "Your orders"), h("ul", { class: "orders", "aria-label": "Orders and what you receive" }, list.map(row)));
  }

  function row(item) {
    const when = item.when ?? { state: "unknown" };
    const receive = item.you_receive != null ? money(item.you_receive) : item.unreadable_price != null ? null : "No price recorded";
    const amount = h(
      "p",
      { class: "earning-amount" },
      receive ?? ["Price ", h("span", { dir: "auto", class: "server-words" }, String(item.unreadable_price)), " (unreadable)"],
    );
    return h(
      "li",
      { class: ["card", "order", "earning-row", when.state === "completed_no_payout" ? "flagged" : null], id: `earnings-row-${item.id}`, "data-state": when.state },
      h(
        "div",
        { class: "earning-head" },
        h("h4", { class: "order-title", dir: "auto" }, item.service_title || "An order"),
        h("div", { class: "earning-receive" }, h("span", { class: "small muted" }, "You receive"), amount),
      ),
      h("p", { class: "earning-when" }, whenWords(item, when)),
      payoutLine(item, when),
      h("p", { class: "small muted" }, "Order ", h("span", { class: "mono", dir: "auto" }, item.id)),
    );
  }

  function payoutLine(item, when) {
    if (when.state !== "paid_out") return null;
    if (!when.explorer_url) {
      return h("p", { class: "small muted" }, "Payout transaction ", h("span", { class: "mono wrap", dir: "auto" }, when.payout_tx_hash), " (not a Solana transaction id, so there is no link)");
    }
    const button = h("button", { type: "button", id: `earnings-payout-${item.id}`, class: "secondary small" }, "View payout");
    button.addEventListener("click", () =>
      busy(button, "Opening…", async () => {
        ctx.clearError();
        try {
          await ctx.api.openPayout(item.id);
        } catch (error) {
          ctx.showError(error);
        }
      }),
    );
    const note = practice ? h("span", { class: "small muted practice-note" }, "(practice — not a real transaction)") : h("span", { class: "small muted" }, "on Solscan, in your browser");
    return h("div", { class: "actions" }, button, note);
  }

  function showAsOf(view, refused = null) {
    if (!view?.as_of) {
      asOf.hidden = true;
      return;
    }
    const parts = [];
    if (refused) parts.push(`Couldn't get a new list of orders: ${refused.message ?? "Atelier didn't answer."} These figures are as of ${dateTime(view.as_of)}.`);
    else if (Date.now() - Date.parse(view.as_of) > 2 * MINUTE_MS) parts.push(`As of ${dateTime(view.as_of)}.`);
    if (view.updating) parts.push("Bringing your orders up to date…");
    asOf.textContent = parts.join(" ");
    asOf.hidden = parts.length === 0;
    asOf.dataset.state = refused ? "not-listed" : view.updating ? "updating" : "current";
    asOf.classList.toggle("warning-text", Boolean(refused));
  }

  // Anything the watcher reports may have moved an order: ask again, a moment later so a
  // burst of events costs one question.
  let soon = null;
  const listening = onEvent("watch-event", () => {
    if (!root.isConnected) return;
    clearTimeout(soon);
    soon = setTimeout(() => root.isConnected && load(), 250);
  });
  ctx.onLeave(() => {
    clearTimeout(soon);
    listening.then((unlisten) => unlisten()).catch(() => {});
  });

  load();
  return root;
}

function ordersWord(n) {
  return n === 1 ? "1 order" : `${count(n ?? 0)} orders`;
}

/** The earliest review end among orders in review, as the engine wrote it (ISO text). */
function soonestReviewEnd(rows) {
  let soonest = null;
  for (const item of rows) {
    const at = item.when?.state === "in_review" ? item.when.review_ends_at : null;
    if (at && (!soonest || Date.parse(at) < Date.parse(soonest))) soonest = at;
  }
  return soonest;
}

/** Where the order stands for the creator's money, in plain words and local dates. */
function whenWords(item, when) {
  switch (when.state) {
    case "waiting_for_you":
      return "Paid by the client — waiting for you to deliver.";
    case "in_review":
      return when.review_ends_at ? `Delivered — the client's review ends ${dateTime(when.review_ends_at)}.` : "Delivered — the client is reviewing it.";
    case "paid_out":
      return when.completed_at ? `Completed and paid out on ${dateTime(when.completed_at)}.` : "Completed and paid out.";
    case "completed_no_payout":
      return [
        h("strong", { class: "warning-text" }, "No payout recorded."),
        ` Completed${when.completed_at ? ` on ${dateTime(when.completed_at)}` : ""}, but Atelier recorded no transfer: contact Atelier support with the order id below.`,
      ];
    case "disputed":
      return "The client opened a dispute — not income until it is settled.";
    case "cancelled":
      return "Cancelled — nothing to receive.";
    case "not_paid_yet":
      return "Not paid by the client yet.";
    default:
      return ["Status ", h("span", { class: "server-words", dir: "auto" }, String(item.status ?? "unknown")), " — Atelier Desk doesn't know it, so it isn't counted."];
  }
}
