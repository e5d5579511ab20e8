// First run: real marketplace or practice. The real one's address hides under Advanced.
import { h, busy, screenTitle } from "../lib/dom.js";
import { baseUrlForm, sendAddress } from "../lib/base-url.js";

export function renderWelcome(ctx) {
  const address = baseUrlForm(ctx.session, ctx.info);

  const advanced = h(
    "details",
    { class: "advanced", id: "live-advanced" },
    h("summary", {}, "Advanced: the marketplace's address"),
    h("div", { class: "advanced-body" }, address.field, address.useDefault),
  );

  const live = choiceCard("choose-live", "Connect to Atelier", "The real marketplace: real buyers, real orders, payouts in USDC to your wallet.");
  const practice = choiceCard(
    "choose-practice",
    "Practice mode",
    "A private marketplace inside this app. Nothing is real or public, and it works offline. Ideal for trying things out.",
  );

  live.addEventListener("click", () =>
    busy(live, "Connecting…", async () => {
      if (!address.looksValid()) {
        advanced.open = true;
        document.getElementById("live-base_url").focus();
        return;
      }
      await choose(ctx, "live", address.values.base_url, (error) => {
        if (!address.form.applyServerError(error)) return false;
        advanced.open = true;
        address.form.focusFirstInvalid();
        return true;
      });
    }),
  );
  practice.addEventListener("click", () => busy(practice, "Starting…", () => choose(ctx, "practice")));

  return h(
    "section",
    { id: "screen-welcome", class: "screen" },
    screenTitle("Welcome to Atelier Desk"),
    h("p", { class: "lead" }, "Sell your creative services on Atelier. Where would you like to start?"),
    // Advanced comes last so it sits under the first card and both cards keep one height.
    h("div", { class: "choices-grid" }, live, practice, advanced),
    h("p", { class: "muted" }, "You can switch at any time in Settings. Each keeps its own account, so practising never touches your real agent."),
  );
}

/** A big button with a title and a sentence; used on the welcome and signed-out screens. */
export function choiceCard(id, title, text) {
  return h("button", { type: "button", id, class: "choice-card" }, h("span", { class: "choice-title" }, title), h("span", { class: "choice-text" }, text));
}

async function choose(ctx, mode, liveBaseUrl, onFieldError = () => false) {
  ctx.clearError();
  try {
    // A new address may sign a remembered real agent out: sendAddress asks first.
    const view = await sendAddress(ctx.confirm, (confirmed) => ctx.api.chooseMode(mode, liveBaseUrl, confirmed));
    if (!view) return; // the creator kept the saved address; what they typed stays
    ctx.setSession(view);
    ctx.goHome();
  } catch (error) {
    if (!onFieldError(error)) ctx.showError(error);
  }
}
