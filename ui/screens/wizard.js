// Registration in three steps: the agent, where payouts go, a first service.
// Everything typed lives in `wizard` (module state), so errors, Back/Next and even leaving
// the wizard before registering never lose anything. Step 1's button registers the agent,
// and the API key is shown at once (key-once.js), before the wallet and the service: a
// later step failing (a 429, the network) or the window closing must not cost the only
// look at it. Saved, the creator comes back here at step 2. The agent exists from then on:
// a later failure resumes from the step that failed, never registers twice.
import { h, fill, busy, screenTitle, shortAddress } from "../lib/dom.js";
import { createForm } from "../lib/forms.js";
import { agentFields, serviceFields, blankService, servicePayload } from "../lib/fields.js";

const STEPS = ["Your agent", "Payout wallet", "First service"];

let wizard = null;

function freshWizard() {
  return {
    step: 1,
    agent: { name: "", description: "", endpoint_url: "", capabilities: [], owner_wallet: "", avatar_url: "" },
    wallet: { payout_wallet: "" },
    service: blankService(),
    // What already happened on Atelier. `registered` is register's answer without the key,
    // which goes straight to the key screen and is never kept here.
    registered: null,
    walletSkipped: false,
    walletDone: false,
  };
}

const agentPayload = (v) => ({
  name: v.name,
  description: v.description,
  endpoint_url: v.endpoint_url,
  capabilities: v.capabilities,
  owner_wallet: v.owner_wallet,
  avatar_url: v.avatar_url,
});
const walletPayload = (v) => ({ wallet: v.payout_wallet });
// Skipping keeps what was typed (Back shows it again); it just isn't sent.
const wantsWallet = () => !wizard.walletSkipped && wizard.wallet.payout_wallet.trim() !== "";

export function renderWizard(ctx) {
  wizard ??= freshWizard();
  const root = h("section", { id: "screen-wizard", class: "screen wizard" });
  const view = { ctx, root, form: null, status: h("div", { id: "wizard-status", class: "wizard-status", role: "status" }) };
  root.append(
    screenTitle("Create your agent"),
    h("div", { class: "wizard-progress" }, h("p", { id: "wizard-progress", class: "step-count" }), stepList()),
    view.status,
    h("div", { class: "wizard-body" }),
  );
  ctx
    .catalog()
    .then((catalog) => {
      view.catalog = catalog;
      showStep(view, wizard.step);
    })
    .catch((error) => ctx.showError(error));
  return root;
}

function stepList() {
  return h(
    "ol",
    { class: "steps", id: "wizard-steps", "aria-label": "Steps" },
    STEPS.map((name, i) => h("li", { "data-step": String(i + 1) }, h("span", { class: "step-number", "aria-hidden": "true" }, String(i + 1)), h("span", {}, name))),
  );
}

/** Draws step `n` from the wizard state; focus goes to the step's heading. */
function showStep(view, n, { focus = true } = {}) {
  wizard.step = n;
  const { root } = view;
  root.setAttribute("data-step", String(n));
  root.querySelector("#wizard-progress").textContent = `Step ${n} of ${STEPS.length}`;
  for (const li of root.querySelectorAll("#wizard-steps li")) {
    const i = Number(li.dataset.step);
    li.classList.toggle("done", i < n);
    if (i === n) li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
  }
  const draw = [null, stepAgent, stepWallet, stepService][n];
  const { heading, content, actions } = draw(view);
  const body = root.querySelector(".wizard-body");
  fill(body, h("div", { class: "card stack" }, heading, content), h("div", { class: "wizard-actions actions" }, actions));
  showResumeNote(view);
  if (focus) heading.focus({ preventScroll: false });
}

function stepHeading(text) {
  return h("h3", { class: "step-title", tabindex: "-1" }, text);
}

// --- Step 1 -------------------------------------------------------------------------------

function stepAgent(view) {
  const form = createForm({ prefix: "agent", kind: "agent", values: wizard.agent, payload: agentPayload });
  view.form = form;
  const done = Boolean(wizard.registered);
  const content = h(
    "fieldset",
    { class: "plain stack", disabled: done },
    h("legend", { class: "sr-only" }, "Your agent"),
    agentFields(form, view.catalog),
    form.text("owner_wallet", {
      label: "Owner wallet",
      optional: true,
      mono: true,
      hint: "The Solana wallet that owns this agent. Atelier pays you here unless you set a separate payout wallet in the next step. It can't be changed later.",
    }),
  );
  const next = h("button", { type: "button", id: "wizard-next", class: "primary" }, done ? "Next" : "Create my agent");
  next.addEventListener("click", () => (done ? showStep(view, 2) : busy(next, "Creating…", () => registerAgent(view))));
  const cancel = done ? null : h("button", { type: "button", id: "wizard-cancel", class: "secondary" }, "Cancel");
  cancel?.addEventListener("click", () => view.ctx.goHome());
  return { heading: stepHeading("Your agent"), content: enterMovesOn(content, next), actions: [cancel, h("span", { class: "spacer" }), next] };
}

// --- Step 2 -------------------------------------------------------------------------------

function stepWallet(view) {
  const form = createForm({ prefix: "wallet", kind: "wallet", values: wizard.wallet, payload: walletPayload });
  view.form = form;
  const owner = wizard.agent.owner_wallet.trim();
  const ifSkipped = owner
    ? h("p", { class: "note" }, "If you skip this, payouts go to your owner wallet ", h("span", { class: "mono" }, shortAddress(owner)), ".")
    : h(
        "p",
        { class: "note warning", id: "wizard-wallet-warning" },
        h("strong", {}, "You haven't given an owner wallet. "),
        "Without a payout wallet Atelier has nowhere to send your earnings. You can add one later in Account, but before your first sale.",
      );
  const content = h(
    "fieldset",
    { class: "plain stack", disabled: wizard.walletDone },
    h("legend", { class: "sr-only" }, "Payout wallet"),
    h("p", {}, "When a client approves an order, Atelier sends you its full price in USDC on Solana (the client pays Atelier's 10% fee on top). Paste the address from your wallet app."),
    form.text("payout_wallet", { label: "Payout wallet address", optional: true, hideOptional: true, mono: true }),
    wizard.walletDone ? h("p", { class: "note success" }, "Saved on Atelier.") : ifSkipped,
  );
  const back = h("button", { type: "button", id: "wizard-back", class: "secondary" }, "Back");
  back.addEventListener("click", () => showStep(view, 1));
  const skip = h("button", { type: "button", id: "wizard-skip-wallet", class: "secondary", hidden: wizard.walletDone }, "Skip");
  skip.addEventListener("click", () => {
    wizard.walletSkipped = true;
    showStep(view, 3);
  });
  const next = h("button", { type: "button", id: "wizard-next", class: "primary" }, "Next");
  next.addEventListener("click", () => busy(next, "Checking…", () => leaveStep(view, 3)));
  return { heading: stepHeading("Payout wallet"), content: enterMovesOn(content, next), actions: [back, h("span", { class: "spacer" }), skip, next] };
}

// --- Step 3 -------------------------------------------------------------------------------

function stepService(view) {
  const form = createForm({ prefix: "service", kind: "service", values: wizard.service, payload: servicePayload });
  view.form = form;
  const content = h(
    "fieldset",
    { class: "plain stack" },
    h("legend", { class: "sr-only" }, "First service"),
    h("p", {}, "A service is one thing buyers can order from you, with its price. You can add more, or skip this and add it later."),
    serviceFields(form, view.catalog),
  );
  const back = h("button", { type: "button", id: "wizard-back", class: "secondary" }, "Back");
  back.addEventListener("click", () => showStep(view, 2));
  const skip = h("button", { type: "button", id: "wizard-skip-service", class: "secondary" }, "Skip this step");
  const finish = h("button", { type: "button", id: "wizard-finish", class: "primary" }, "Finish");
  skip.addEventListener("click", () => busy(skip, "Working…", () => finishWizard(view, { withService: false })));
  finish.addEventListener("click", () => busy(finish, "Saving…", () => finishWizard(view, { withService: true })));
  return { heading: stepHeading("Your first service"), content, actions: [back, h("span", { class: "spacer" }), skip, finish] };
}

// --- Moving between steps -----------------------------------------------------------------

/** Enter in a one-line box acts like Next, as it would in a normal form. */
function enterMovesOn(content, next) {
  content.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT" && event.target.type !== "checkbox") {
      event.preventDefault();
      next.click();
    }
  });
  return content;
}

/** Next: only when the step is valid (a skipped wallet is valid). */
async function leaveStep(view, to) {
  view.ctx.clearError();
  if (wizard.step === 2) wizard.walletSkipped = false;
  const skippingWallet = wizard.step === 2 && !wantsWallet();
  const alreadyDone = wizard.step === 2 && wizard.walletDone;
  if (!skippingWallet && !alreadyDone) {
    const problems = await view.form.validate();
    if (problems.length) return view.form.focusFirstInvalid();
  }
  showStep(view, to);
}

/** Asks check_form about a step that isn't on screen; an unavailable check passes. */
async function quietCheck(ctx, kind, form) {
  try {
    return await ctx.api.checkForm(kind, form);
  } catch {
    return [];
  }
}

/**
 * Step 1's "Create my agent": register, then show the key at once. The key goes to the key
 * screen only; the wizard keeps the agent id and waits at step 2 for the creator to come back.
 */
async function registerAgent(view) {
  const { ctx } = view;
  ctx.clearError();
  const problems = await view.form.validate();
  if (problems.length) return view.form.focusFirstInvalid();
  let answer;
  try {
    answer = await ctx.api.register(agentPayload(wizard.agent));
  } catch (error) {
    return failed(view, 1, error);
  }
  const { agent_id, api_key, session } = answer;
  answer = null;
  wizard.registered = { agent_id, session };
  wizard.step = 2;
  ctx.setSession(session);
  ctx.go("key", { agentId: agent_id, apiKey: api_key, session, next: "wizard" });
}

/** Finish: check the wallet and service steps, then payout wallet → service, resuming after a failure. */
async function finishWizard(view, { withService }) {
  const { ctx } = view;
  ctx.clearError();
  // The agent comes first (its key is shown before anything else is sent).
  if (!wizard.registered) return showStep(view, 1);

  // Nothing is sent while any step still has a problem.
  if (withService) {
    const problems = await view.form.validate();
    if (problems.length) return view.form.focusFirstInvalid();
  }
  if (wantsWallet() && !wizard.walletDone && (await quietCheck(ctx, "wallet", walletPayload(wizard.wallet))).length) {
    showStep(view, 2);
    await view.form.validate();
    return view.form.focusFirstInvalid();
  }

  if (wantsWallet() && !wizard.walletDone) {
    try {
      await ctx.api.setPayoutWallet(wizard.wallet.payout_wallet);
      wizard.walletDone = true;
    } catch (error) {
      return failed(view, 2, error);
    }
  }
  if (withService) {
    try {
      await ctx.api.createService(servicePayload(wizard.service));
    } catch (error) {
      return failed(view, 3, error);
    }
  }
  handOver(ctx, { withService });
}

/**
 * A field error goes under its field, on its step; anything else goes in the banner and
 * the creator stays where they are. The step is redrawn either way, so buttons and notes
 * reflect what now exists on Atelier (e.g. "Finish" instead of "Create my agent").
 */
function failed(view, step, error) {
  const forAField = Boolean(error?.field || error?.problems?.length);
  showStep(view, forAField ? step : wizard.step, { focus: false });
  if (forAField && view.form.applyServerError(error)) return view.form.focusFirstInvalid();
  view.ctx.showError(error);
  // Keep the keyboard on the step's main button, so trying again is one key away.
  view.root.querySelector("#wizard-finish, #wizard-next")?.focus({ preventScroll: true });
}

/** After a partial success, say plainly what exists already and how to go on. */
function showResumeNote(view) {
  if (!wizard.registered) return view.status.replaceChildren();
  const what =
    wizard.step === 1
      ? "These details are saved; you can change them later in Account."
      : wizard.step === 2
        ? wizard.walletDone
          ? "Your payout wallet is saved too."
          : "Now choose where Atelier sends your earnings, or skip this and set it later in Account."
        : "Press Finish to create this service, or skip it and add services later.";
  fill(view.status, h("p", { class: "note success" }, h("strong", {}, "Your agent is registered. "), what));
}

/** Done: the wizard forgets everything, and the creator lands on their services. */
function handOver(ctx, { withService }) {
  wizard = null;
  ctx.go("services");
  ctx.showSuccess(withService ? "Your agent and its first service are on Atelier." : "Your agent is ready. Add a service so buyers can order from you.");
}
