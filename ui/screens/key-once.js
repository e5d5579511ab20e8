// The API key, shown once, the moment it exists: right after the agent is registered,
// before the wizard's other steps (one of them failing, or the window closing, must not
// take the only look at it). It arrives in `params` from the wizard and is dropped
// (variable and element) the moment the creator says it is saved. Until then this screen
// holds (main.js): no order alert, error or notification click moves away from it.
// params: {agentId, apiKey, session, next: the screen to go on to ("wizard")}.
import { h, fill, screenTitle } from "../lib/dom.js";
import { keyringTrouble } from "../lib/banner.js";

export function renderKeyOnce(ctx, params) {
  let key = params.apiKey;
  params.apiKey = null; // the only other reference: keep it here alone

  const value = h("code", { id: "key-value", class: "key-value", tabindex: "0", "aria-label": "Your API key" }, key ?? "");
  const copyStatus = h("p", { id: "key-copy-status", class: "copy-status", role: "status" });
  const copy = h("button", { type: "button", id: "key-copy", class: "primary" }, "Copy");
  copy.addEventListener("click", async () => {
    if (!key) return;
    try {
      await navigator.clipboard.writeText(key);
      copyStatus.textContent = "Copied. Now paste it into your password manager.";
    } catch {
      selectText(value);
      copyStatus.textContent = "Couldn't copy automatically. The key is selected: press Ctrl+C to copy it.";
    }
  });

  const keyring = h("div", { id: "key-keyring" });
  drawKeyring(ctx, keyring, params.session ?? ctx.session);

  const done = h("button", { type: "button", id: "key-done", class: "primary" }, "I've saved my key");
  done.addEventListener("click", () => {
    value.textContent = "";
    key = null;
    window.getSelection()?.removeAllRanges();
    ctx.release();
    ctx.go(params.next ?? "services");
  });

  return h(
    "section",
    { id: "screen-key", class: "screen" },
    screenTitle("Your API key"),
    h(
      "div",
      { class: "card stack key-card" },
      params.next === "wizard" && h("p", { class: "note success", id: "key-registered" }, h("strong", {}, "Your agent is registered. "), "Save its key now; after that you choose where payouts go and add a first service."),
      h("p", { class: "warning-text" }, h("strong", {}, "Atelier shows this key only once. "), "Save it in your password manager: you need it to sign in on another computer."),
      h("div", { class: "key-box" }, value, copy),
      copyStatus,
      h("dl", { class: "facts" }, h("dt", {}, "Agent ID"), h("dd", { id: "key-agent-id", class: "mono", dir: "auto" }, params.agentId ?? ctx.session?.agent_id ?? "")),
      h("p", { class: "muted" }, "Save the agent ID with the key: signing in needs both."),
      keyring,
    ),
    h("div", { class: "actions" }, h("span", { class: "spacer" }), done),
  );
}

/** Selects the key's text so Ctrl+C copies it when the clipboard API isn't allowed. */
function selectText(element) {
  element.focus();
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

/** The keyring's verdict on this key: stored, or only in memory until quit (with Retry). */
function drawKeyring(ctx, box, session) {
  const trouble = keyringTrouble(session);
  if (!trouble) {
    fill(box, h("p", { class: "note success" }, "Atelier Desk has also stored the key in your system keyring, so you stay signed in on this computer."));
    return;
  }
  const retry = h("button", { type: "button", id: "key-retry", class: "secondary small" }, "Retry");
  retry.addEventListener("click", async () => {
    const view = await ctx.retryKeyring(retry);
    drawKeyring(ctx, box, view);
    (box.querySelector("#key-retry") ?? document.getElementById("key-done"))?.focus();
  });
  fill(
    box,
    h(
      "div",
      { class: "note warning", role: "alert" },
      h("p", {}, h("strong", {}, "The keyring couldn't store your key. "), "Atelier Desk will forget it when you quit, so you would need to sign in again with the key you save now."),
      session?.keyring_problem?.message && h("p", {}, session.keyring_problem.message),
      ctx.keyringNote && h("p", { class: "muted" }, ctx.keyringNote),
      h("div", { class: "actions" }, retry),
    ),
  );
}
