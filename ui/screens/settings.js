// Which marketplace, its address, the keyring's health, and how the app lives on the desktop.
import { h, fill, busy, screenTitle } from "../lib/dom.js";
import { baseUrlForm, sendAddress } from "../lib/base-url.js";
import { hostOf, keyringTrouble } from "../lib/banner.js";

export function renderSettings(ctx) {
  const keyringCard = h("section", { class: "card stack", "aria-labelledby": "settings-keyring-heading" });
  drawKeyring(ctx, keyringCard);
  return h(
    "section",
    { id: "screen-settings", class: "screen" },
    screenTitle("Settings"),
    modeCard(ctx),
    addressCard(ctx),
    keyringCard,
    preferencesCard(ctx),
    h("p", { class: "muted small", id: "settings-about" }, `Atelier Desk ${ctx.info?.version ? `v${ctx.info.version}` : ""} · talking to ${ctx.session?.base_url ?? "no marketplace yet"}`),
  );
}

function modeCard(ctx) {
  const practice = ctx.session?.mode === "practice";
  const target = practice ? "live" : "practice";
  const button = h("button", { type: "button", id: "settings-switch", class: "secondary" }, practice ? "Switch to Atelier" : "Switch to Practice mode");
  button.addEventListener("click", () => ctx.switchMode(target, button));
  return h(
    "section",
    { class: "card stack", "aria-labelledby": "settings-mode-heading" },
    h("h3", { id: "settings-mode-heading" }, "Where you work"),
    h(
      "p",
      { id: "settings-mode" },
      practice
        ? "Practice mode: a private marketplace inside this app. Nothing here is real."
        : `The real Atelier marketplace (${hostOf(ctx.session?.base_url ?? ctx.session?.live_base_url)}).`,
    ),
    h("p", { class: "muted" }, "Each mode keeps its own account: switching never signs you out of the other one."),
    h("div", { class: "actions" }, button),
  );
}

function addressCard(ctx) {
  const address = baseUrlForm(ctx.session, ctx.info);
  const save = h("button", { type: "button", id: "live-base_url-save", class: "primary" }, "Save address");
  save.addEventListener("click", () =>
    busy(save, "Saving…", async () => {
      ctx.clearError();
      if (!address.looksValid()) return document.getElementById("live-base_url").focus();
      try {
        const wasSignedIn = ctx.session?.signed_in;
        const view = await sendAddress(ctx.confirm, (confirmed) => ctx.api.setLiveAddress(address.values.base_url, { confirmed }));
        if (!view) return; // the creator kept the address and the agent
        ctx.setSession(view);
        const signedOut = wasSignedIn && !view.signed_in;
        if (signedOut) ctx.goHome();
        ctx.showSuccess(`Saved. The real marketplace is ${view.live_base_url}.${signedOut ? " You're signed out of the agent you had there." : ""}`);
      } catch (error) {
        if (address.form.applyServerError(error)) address.form.focusFirstInvalid();
        else ctx.showError(error);
      }
    }),
  );
  return h(
    "section",
    { class: "card stack", "aria-labelledby": "settings-address-heading" },
    h("h3", { id: "settings-address-heading" }, "Advanced"),
    h(
      "details",
      { class: "advanced", id: "live-advanced" },
      h("summary", {}, "The real marketplace's address"),
      h("div", { class: "advanced-body" }, address.field, h("div", { class: "actions" }, address.useDefault, h("span", { class: "spacer" }), save)),
    ),
  );
}

function drawKeyring(ctx, card) {
  const session = ctx.session;
  const trouble = keyringTrouble(session);
  let status;
  if (trouble) {
    const retry = h("button", { type: "button", id: "settings-keyring-retry", class: "secondary small" }, "Retry");
    retry.addEventListener("click", async () => {
      await ctx.retryKeyring(retry);
      drawKeyring(ctx, card);
      document.getElementById("settings-keyring-heading")?.focus();
    });
    status = h(
      "div",
      { class: "note warning", id: "settings-keyring" },
      h("p", {}, trouble),
      ctx.keyringNote && h("p", { class: "muted" }, ctx.keyringNote),
      h("div", { class: "actions" }, retry),
    );
  } else if (session?.signed_in) {
    status = h("p", { class: "note success", id: "settings-keyring" }, `Your API key (${session.key_hint ?? "hidden"}) is stored safely in your system keyring.`);
  } else {
    status = h("p", { class: "muted", id: "settings-keyring" }, "You aren't signed in in this mode, so no key is stored.");
  }
  fill(card, h("h3", { id: "settings-keyring-heading", tabindex: "-1" }, "API key and keyring"), status);
}

// Each switch takes effect the moment it is flipped; on failure it flips back and says why
// beside itself. Start on login is read from the desktop, where the creator may also change it.
function preferencesCard(ctx) {
  const notifications = toggle(
    "pref-notifications",
    "Show a desktop notification when an order is paid",
    "Off: new orders appear as an alert inside this window instead.",
    async (on) => (await ctx.api.setPreferences({ notifications: on })).notifications,
  );
  const startOnLogin = toggle(
    "pref-start-on-login",
    "Start Atelier Desk when I log in",
    "It starts in the background and keeps watching for paid orders; open it from the tray or your app menu.",
    (on) => ctx.api.setStartOnLogin(on),
  );
  ctx.api.preferences().then((p) => notifications.set(p.notifications), (e) => notifications.fail(e));
  ctx.api.startOnLogin().then((on) => startOnLogin.set(on), (e) => startOnLogin.fail(e));
  return h(
    "section",
    { class: "card stack", id: "settings-preferences", "aria-labelledby": "settings-preferences-heading" },
    h("h3", { id: "settings-preferences-heading" }, "Preferences"),
    notifications.field,
    startOnLogin.field,
  );
}

function toggle(id, text, hintText, apply) {
  const box = h("input", { type: "checkbox", id, disabled: true, "aria-describedby": `${id}-hint ${id}-error` });
  const error = h("p", { class: "field-error", id: `${id}-error`, role: "status" });
  const field = h(
    "div",
    { class: "field" },
    h("label", { class: "choice", for: id }, box, h("span", {}, text)),
    h("p", { class: "hint", id: `${id}-hint` }, hintText),
    error,
  );
  const set = (on) => {
    box.checked = on;
    box.disabled = false;
    box.dataset.state = on ? "on" : "off";
  };
  const fail = (problem) => {
    error.textContent = problem?.message ?? "That didn't work.";
  };
  box.addEventListener("change", async () => {
    const wanted = box.checked;
    box.disabled = true;
    error.textContent = "";
    try {
      set(await apply(wanted));
    } catch (problem) {
      set(!wanted);
      fail(problem);
    }
  });
  return { field, set, fail };
}
