// "Open for business": on the signed-in home screen, one line per condition a sale needs
// (docs/commands.md `readiness`), each with the one click that fixes it. Checked with free
// calls only, so it is drawn every time the screen is.
import { h, fill } from "../lib/dom.js";

const MARK = { ok: "✓", warn: "!", bad: "✗" };

export function readinessCard(ctx) {
  const lines = h("ul", { id: "readiness-lines", class: "readiness-lines", "aria-busy": "true" }, h("li", { class: "muted loading" }, "Checking…"));
  const heading = h("h3", { id: "readiness-title" }, "Open for business?");
  const card = h("section", { id: "readiness", class: "card readiness", "aria-labelledby": "readiness-title" }, heading, lines);
  const redraw = () => load(ctx, heading, lines, card, redraw);
  redraw();
  return card;
}

async function load(ctx, heading, lines, card, redraw) {
  try {
    const readiness = await ctx.api.readiness();
    card.dataset.open = String(readiness.open);
    heading.textContent = readiness.open ? "Open for business" : "Not open for business yet";
    fill(lines, ...readiness.lines.map((l) => item(ctx, l, redraw)));
  } catch (error) {
    fill(lines, h("li", { class: "muted" }, error?.message ?? "Couldn't check right now."));
  } finally {
    lines.removeAttribute("aria-busy");
  }
}

function item(ctx, line, redraw) {
  const note = h("p", { class: "readiness-note muted", id: `readiness-${line.id}-note`, hidden: true });
  const parts = [
    h("span", { class: "readiness-mark", "aria-hidden": "true" }, MARK[line.verdict] ?? "?"),
    h("span", { class: "readiness-text" }, line.text),
  ];
  if (line.fix) {
    const button = h("button", { type: "button", class: "secondary small", id: `readiness-fix-${line.id}` }, line.fix_label ?? "Fix");
    button.addEventListener("click", () => fix(ctx, line.fix, button, note, redraw));
    parts.push(button);
  }
  return h("li", { class: ["readiness-line", line.verdict], id: `readiness-${line.id}`, "data-verdict": line.verdict }, ...parts, note);
}

async function fix(ctx, what, button, note, redraw) {
  const say = (text) => {
    note.textContent = text;
    note.hidden = false;
  };
  button.disabled = true;
  try {
    switch (what) {
      case "sign_in":
        return ctx.go("sign-in");
      case "set_payout_wallet":
        return ctx.go("account");
      case "create_service":
        return ctx.go("service-form");
      case "open_orders":
        return ctx.go("inbox");
      case "resume":
        await ctx.api.resumeWatching();
        return redraw();
      case "turn_notifications_on":
        await ctx.api.setPreferences({ notifications: true });
        return redraw();
      case "start_on_login":
        await ctx.api.setStartOnLogin(true);
        return redraw();
      case "send_test_notification": {
        const sent = await ctx.api.sendTestNotification();
        return say(sent.message);
      }
      default:
        return say("Atelier Desk doesn't know how to fix this one yet.");
    }
  } catch (error) {
    say(error?.message ?? "That didn't work.");
  } finally {
    button.disabled = false;
  }
}
