// The inbox's status panel, in a seller's words: is Atelier Desk watching for orders, and
// so how soon a new order shows up here (within seconds, by a time, or not until something
// changes), with Check now (only when it can check; otherwise disabled, saying why) and Pause.
// It draws a WatchView ({status, notifications}) wherever one comes from: the one
// `watch_status` asked when the inbox opens, the answer of a button here or of `deliver`,
// and the `view` every `watch-event` carries (inbox.js passes those on).
import { h, fill, busy } from "../lib/dom.js";
import { clockTime } from "../lib/format.js";

export function statusPanel(ctx) {
  const panel = h(
    "section",
    { id: "watch-status", class: "card watch-status", "aria-live": "polite", "aria-busy": "true" },
    h("p", { class: "muted" }, "Looking at what Atelier Desk is doing…"),
  );
  const notice = h(
    "p",
    { id: "notifications-off", class: "note warning", hidden: true },
    "Desktop notifications can't be shown on this computer, so new orders will appear here instead.",
  );
  // Views drawn so far: the first answer of watch_status must not undo a newer event's view.
  let drawn = 0;

  /** Draws `view` (what watch_status answers); keeps the keyboard on the button it was on. */
  function show(view) {
    drawn += 1;
    panel.removeAttribute("aria-busy");
    const focused = panel.contains(document.activeElement) ? document.activeElement.id : null;
    draw(view);
    if (focused) document.getElementById(focused)?.focus({ preventScroll: true });
  }

  /** Asks once, when the inbox opens; after that the events keep the panel current. */
  async function load() {
    const before = drawn;
    try {
      const view = await ctx.api.watchStatus();
      if (drawn === before) show(view);
    } catch (error) {
      if (drawn !== before) return;
      panel.removeAttribute("aria-busy");
      fill(panel, h("p", { class: "muted" }, "Atelier Desk couldn't say whether it is watching for orders."), h("p", { class: "small" }, error?.message ?? ""));
    }
  }

  function draw(view) {
    notice.hidden = view?.notifications?.available !== false;
    const status = view?.status ?? null;
    if (!status) {
      fill(panel, h("p", {}, "Atelier Desk isn't watching for orders right now. It starts when you're signed in."));
      return;
    }
    const checkNow = button("check-now", "Check now", "Checking…", () => ctx.api.checkNow());
    const cannot = cannotCheck(status);
    if (cannot) {
      checkNow.disabled = true;
      checkNow.setAttribute("aria-describedby", "check-now-why");
    }
    const pause = status.paused
      ? button("watch-pause", "Resume", "Resuming…", () => ctx.api.resumeWatching())
      : button("watch-pause", "Pause", "Pausing…", () => ctx.api.pauseWatching());
    pause.setAttribute("aria-pressed", status.paused ? "true" : "false");
    fill(
      panel,
      h("div", { class: "watch-lines" }, statusLines(status).map(([text, cls]) => h("p", { class: cls }, text))),
      h(
        "div",
        { class: "actions" },
        checkNow,
        pause,
        cannot ? h("p", { id: "check-now-why", class: "small muted check-now-why" }, cannot) : null,
      ),
    );
  }

  /** A button whose command answers a WatchView, drawn as soon as it comes. */
  function button(id, label, busyLabel, command) {
    const el = h("button", { type: "button", id, class: "secondary small" }, label);
    el.addEventListener("click", () =>
      busy(el, busyLabel, async () => {
        try {
          show(await command());
          // The panel was redrawn: the keyboard goes on to the new button.
          document.getElementById(id)?.focus({ preventScroll: true });
        } catch (error) {
          ctx.showError(error);
        }
      }),
    );
    return el;
  }

  return { panel, notice, show, load };
}

/** Why Check now can't check now, in plain words; null when it can. */
export function cannotCheck(status) {
  if (!status) return "Nothing is being watched.";
  if (status.problem?.code === "another_copy") return "Another copy of Atelier Desk is watching your orders, so this one can't check.";
  if (!status.running) return "Watching has stopped, so there's nothing to check with.";
  const by = status.next_check ? ` It looks again by itself around ${clockTime(status.next_check)}.` : "";
  if (status.waiting === "rate_limit") return `Atelier asked us to slow down, so checking now isn't possible.${by}`;
  if (status.waiting === "budget" || (status.budget_left === 0 && status.waiting !== "now")) {
    return `This hour's calls to Atelier are used up, so checking now isn't possible.${by}`;
  }
  return null;
}

/** What the watcher's state means for the seller, most important first: [text, class]. */
export function statusLines(status) {
  const lines = [];
  const when = status.next_check ? clockTime(status.next_check) : "";
  const last = status.last_check ? `Last looked at ${clockTime(status.last_check)}.` : "Hasn't looked yet.";
  const headline = (text, warn = false) => lines.push([text, warn ? "watch-state warning-text" : "watch-state"]);
  if (status.problem?.code === "another_copy") {
    headline("Another copy of Atelier Desk is watching your orders: it tells you about new ones, this one doesn't.", true);
  } else if (status.paused) {
    headline("Paused — new orders won't be noticed until you resume. Deliveries you confirmed still go out.", true);
  } else if (!status.running) {
    headline("Stopped — new orders won't be noticed right now.", true);
  } else if (status.offline) {
    headline(`Offline — trying again ${when ? `around ${when}` : "shortly"}. New orders show up once Atelier can be reached.`, true);
  } else if (status.waiting === "rate_limit") {
    headline(`Atelier asked us to slow down: new orders will show up by ${when || "the end of the hour"}.`, true);
  } else if (status.waiting === "budget") {
    headline(`This hour's calls to Atelier are used up: new orders will show up by ${when || "the end of the hour"}.`, true);
  } else if (status.waiting === "now") {
    headline("Watching — looking for new orders now.");
  } else if (status.signals) {
    headline("Watching — new orders show up within seconds.");
  } else if (when) {
    headline(`Watching — new orders show up by ${when}.`);
  } else {
    headline("Watching — new orders show up here as soon as Atelier Desk sees them.");
  }
  if (status.running && !status.paused) lines.push([last, "muted small"]);
  // The headline already says it for no connection, another copy and Atelier's "slow down".
  const told = status.offline || status.problem?.code === "another_copy" || (status.problem?.code === "rate_limited" && status.waiting === "rate_limit");
  if (status.problem && !told) {
    lines.push([status.problem.message, "watch-problem error"]);
  }
  if (status.following > 0 && !status.paused && status.running) {
    lines.push([
      status.following === 1
        ? "1 order is waiting for the client to pay: you'll hear the moment they do."
        : `${status.following} orders are waiting for their clients to pay: you'll hear the moment they do.`,
      "small",
    ]);
  }
  if (status.pending_deliveries > 0) {
    const they = status.pending_deliveries === 1 ? "It goes" : "They go";
    const slow = status.waiting === "budget" || status.waiting === "rate_limit" ? ` ${they} out by ${when || "the end of the hour"}.` : "";
    lines.push([
      (status.pending_deliveries === 1 ? "1 delivery waiting to be sent." : `${status.pending_deliveries} deliveries waiting to be sent.`) + slow,
      "small",
    ]);
  }
  return lines;
}
