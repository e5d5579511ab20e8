// The signed-in agent: profile (read, then edit), where payouts go, the key's hint, sign out.
import { h, fill, busy, screenTitle, shortAddress } from "../lib/dom.js";
import { createForm } from "../lib/forms.js";
import { agentFields, labelOf } from "../lib/fields.js";
import { dateTime } from "../lib/format.js";

export function renderAccount(ctx) {
  const root = h("section", { id: "screen-account", class: "screen", "aria-busy": "true" }, screenTitle("Account"), h("p", { class: "muted loading" }, "Loading your profile…"));
  load(ctx, root);
  return root;
}

async function load(ctx, root) {
  try {
    const [profile, catalog] = await Promise.all([ctx.api.profile(), ctx.catalog()]);
    const page = { ctx, catalog, profile, profileCard: h("section", { class: "card stack", "aria-labelledby": "profile-heading" }), payoutCard: h("section", { class: "card stack", "aria-labelledby": "payout-heading" }) };
    fill(root, root.querySelector(".screen-title"), page.profileCard, page.payoutCard, keyCard(ctx, profile));
    drawProfile(page);
    drawPayout(page);
  } catch (error) {
    ctx.showError(error);
    const retry = h("button", { type: "button", id: "account-retry", class: "secondary" }, "Try again");
    retry.addEventListener("click", () => ctx.go("account"));
    fill(root, root.querySelector(".screen-title"), h("p", { class: "muted" }, "Your profile couldn't be loaded."), retry);
  } finally {
    root.removeAttribute("aria-busy");
  }
}

// --- Profile -----------------------------------------------------------------------------

function drawProfile(page) {
  const { profile, catalog } = page;
  const edit = h("button", { type: "button", id: "profile-edit", class: "secondary small" }, "Edit");
  edit.addEventListener("click", () => editProfile(page));
  const none = (text) => h("span", { class: "muted" }, text);
  const stats = [
    `${profile.total_orders ?? 0} orders`,
    `${profile.completed_orders ?? 0} completed`,
    profile.avg_rating ? `rated ${profile.avg_rating}` : null,
    profile.verified ? "verified" : null,
  ].filter(Boolean);
  fill(
    page.profileCard,
    h("div", { class: "card-head" }, h("h3", { id: "profile-heading" }, "Profile"), edit),
    h(
      "dl",
      { class: "facts", id: "profile-view" },
      fact("Name", profile.name, "profile-view-name"),
      fact("Description", profile.description, "profile-view-description", "prewrap"),
      fact(
        "What you offer",
        profile.capabilities?.length ? profile.capabilities.map((id) => labelOf(catalog.capabilities, id)).join(", ") : none("Nothing ticked yet"),
        "profile-view-capabilities",
      ),
      fact("Endpoint URL", profile.endpoint_url, "profile-view-endpoint_url", "mono wrap"),
      fact("Avatar URL", profile.avatar_url || none("None"), "profile-view-avatar_url", "mono wrap"),
      fact("Agent ID", profile.id, "profile-view-id", "mono wrap"),
      fact("Owner wallet", profile.owner_wallet || none("None"), "profile-view-owner_wallet", "mono wrap"),
      fact("Orders", stats.join(" · "), "profile-view-orders"),
      profile.created_at && fact("Member since", dateTime(profile.created_at), "profile-view-created_at"),
    ),
  );
}

function fact(term, value, id, className) {
  return [h("dt", {}, term), h("dd", { id, class: className, dir: "auto" }, value ?? "")];
}

function editProfile(page) {
  const { ctx, profile, catalog } = page;
  // Edits live here until saved; Cancel simply drops them.
  const values = {
    name: profile.name ?? "",
    description: profile.description ?? "",
    endpoint_url: profile.endpoint_url ?? "",
    avatar_url: profile.avatar_url ?? "",
    capabilities: [...(profile.capabilities ?? [])],
  };
  const form = createForm({ prefix: "profile", kind: "profile", values });
  const save = h("button", { type: "submit", id: "profile-save", class: "primary" }, "Save");
  const cancel = h("button", { type: "button", id: "profile-cancel", class: "secondary" }, "Cancel");
  cancel.addEventListener("click", () => {
    drawProfile(page);
    document.getElementById("profile-edit")?.focus();
  });
  const editor = h(
    "form",
    { class: "stack", novalidate: true, id: "profile-form" },
    agentFields(form, catalog, { avatarHint: "A link to a square picture. Leave it empty to remove your avatar." }),
    h("div", { class: "actions" }, h("span", { class: "spacer" }), cancel, save),
  );
  editor.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, "Saving…", async () => {
      ctx.clearError();
      if ((await form.validate()).length) return form.focusFirstInvalid();
      try {
        page.profile = await ctx.api.updateProfile({ ...values });
        drawProfile(page);
        drawPayout(page);
        ctx.showSuccess("Profile saved.");
        document.getElementById("profile-edit")?.focus();
      } catch (error) {
        if (form.applyServerError(error)) form.focusFirstInvalid();
        else ctx.showError(error);
      }
    });
  });
  fill(page.profileCard, h("div", { class: "card-head" }, h("h3", { id: "profile-heading" }, "Edit profile")), editor);
  document.getElementById("profile-name")?.focus();
}

// --- Payouts -----------------------------------------------------------------------------

function drawPayout(page) {
  const { ctx, profile } = page;
  // A payout wallet the same as the owner wallet changes nothing: there is nothing to reset.
  const separate = Boolean(profile.payout_wallet) && profile.payout_wallet !== profile.owner_wallet;
  const destination = profile.payout_wallet || profile.owner_wallet || null;
  const values = { payout_wallet: "" };
  const form = createForm({ prefix: "wallet", kind: "wallet", values, payload: (v) => ({ wallet: v.payout_wallet }) });

  const current = destination
    ? [
        h("p", { class: "address", id: "payout-current" }, destination),
        h("p", { class: "muted", id: "payout-source" }, separate ? "This is your payout wallet." : "This is your owner wallet: you haven't set a separate payout wallet."),
      ]
    : h("p", { class: "note warning", id: "payout-current" }, "Nowhere yet: you have no owner wallet and no payout wallet. Add a payout wallet below before your first sale.");

  const set = h("button", { type: "button", id: "payout-set", class: "primary" }, "Use this wallet");
  set.addEventListener("click", () => setWallet(page, form, values, set));
  let reset = null;
  if (separate) {
    reset = h("button", { type: "button", id: "payout-reset", class: "secondary" }, profile.owner_wallet ? "Use my owner wallet instead" : "Remove the payout wallet");
    reset.addEventListener("click", () => resetWallet(page, reset));
  }

  const input = form.text("payout_wallet", { label: "New payout wallet", mono: true, hint: "Paste a Solana address from your wallet app." });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") set.click();
  });
  fill(
    page.payoutCard,
    h("h3", { id: "payout-heading", tabindex: "-1" }, "Where your payouts go"),
    h("p", {}, "Atelier sends your earnings in USDC to this Solana wallet when an order is completed."),
    current,
    input,
    h("div", { class: "actions" }, reset, h("span", { class: "spacer" }), set),
  );
}

/** The full address, big enough to compare character by character with a wallet app. */
function destinationBlock(address) {
  return [h("p", {}, `Future payouts will go to: ${shortAddress(address)}`), h("p", { class: "address", id: "confirm-address" }, address)];
}

async function setWallet(page, form, values, button) {
  const { ctx } = page;
  ctx.clearError();
  if ((await form.validate()).length) return form.focusFirstInvalid();
  const address = values.payout_wallet.trim();
  const yes = await ctx.confirm({
    title: "Change where your payouts go?",
    body: [...destinationBlock(address), "Check that it matches the address in your wallet app."],
    yes: "Yes, use this wallet",
  });
  if (!yes) return;
  await busy(button, "Saving…", async () => {
    try {
      page.profile = await ctx.api.setPayoutWallet(values.payout_wallet);
      drawPayout(page);
      ctx.showSuccess(`Future payouts will go to ${shortAddress(address)}.`);
      document.getElementById("payout-heading")?.focus();
    } catch (error) {
      if (form.applyServerError(error)) form.focusFirstInvalid();
      else ctx.showError(error);
    }
  });
}

async function resetWallet(page, button) {
  const { ctx, profile } = page;
  ctx.clearError();
  const owner = profile.owner_wallet;
  const yes = await ctx.confirm({
    title: owner ? "Send payouts to your owner wallet?" : "Remove your payout wallet?",
    body: owner
      ? destinationBlock(owner)
      : "You have no owner wallet, so after this Atelier will have nowhere to send your earnings until you set a payout wallet again.",
    yes: owner ? "Yes, use my owner wallet" : "Remove the payout wallet",
    danger: !owner,
  });
  if (!yes) return;
  await busy(button, "Saving…", async () => {
    try {
      page.profile = await ctx.api.resetPayoutWallet();
      drawPayout(page);
      ctx.showSuccess(owner ? `Future payouts will go to your owner wallet ${shortAddress(owner)}.` : "The payout wallet was removed.");
      document.getElementById("payout-heading")?.focus();
    } catch (error) {
      ctx.showError(error);
    }
  });
}

// --- Key and sign-out ----------------------------------------------------------------------

function keyCard(ctx, profile) {
  const hint = ctx.session?.key_hint ?? profile.key_hint ?? "";
  return h(
    "section",
    { class: "card stack", "aria-labelledby": "key-heading" },
    h("h3", { id: "key-heading" }, "API key"),
    h("p", {}, "Your key: ", h("span", { class: "mono", id: "key-hint" }, hint)),
    h("p", { class: "muted" }, "The full key is in your system keyring; Atelier Desk never shows it again. Your own copy is the one you saved when you registered."),
    h("div", { class: "actions" }, signOutButton(ctx)),
  );
}

function signOutButton(ctx) {
  const button = h("button", { type: "button", id: "sign-out", class: "secondary danger-text" }, "Sign out");
  button.addEventListener("click", async () => {
    const yes = await ctx.confirm({
      title: "Sign out?",
      body: ["You'll need your API key to sign in again.", "Atelier Desk removes the key from this computer's keyring. Your agent and services stay on Atelier."],
      yes: "Sign out",
      danger: true,
    });
    if (!yes) return;
    await busy(button, "Signing out…", async () => {
      try {
        ctx.setSession(await ctx.api.signOut());
        ctx.goHome();
        ctx.showSuccess("You're signed out.");
      } catch (error) {
        ctx.showError(error);
      }
    });
  });
  return button;
}
