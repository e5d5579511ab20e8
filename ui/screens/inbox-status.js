// The inbox's status panel: is Atelier Desk watching for orders, when did it look and when
// will it look again, how much of the hourly budget is left, with Check now and Pause.
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
    const pause = status.paused
      ? button("watch-pause", "Resume", "Resuming…", () => ctx.api.resumeWatching())
      : button("watch-pause", "Pause", "Pausing…", () => ctx.api.pauseWatching());
    pause.setAttribute("aria-pressed", status.paused ? "true" : "false");
    fill(
      panel,
      h("div", { class: "watch-lines" }, statusLines(status).map(([text, cls]) => h("p", { class: cls }, text))),
      h("div", { class: "actions" }, checkNow, pause),
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

/** The watcher's state in plain words, most important first: [text, class]. */
function statusLines(status) {
  const lines = [];
  const last = status.last_check ? `Last checked ${clockTime(status.last_check)}` : "Not checked yet";
  const next = status.next_check ? ` · next check around ${clockTime(status.next_check)}` : "";
  if (status.paused) {
    lines.push(["Paused: Atelier Desk isn't looking for new orders. Deliveries you confirmed still go out.", "watch-state warning-text"]);
    lines.push([last, "muted"]);
  } else if (!status.running) {
    lines.push(["Stopped: Atelier Desk isn't looking for new orders.", "watch-state warning-text"]);
  } else if (status.offline) {
    lines.push([`Offline: Atelier couldn't be reached at the last try.${status.next_check ? ` Trying again around ${clockTime(status.next_check)}.` : ""}`, "watch-state warning-text"]);
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
