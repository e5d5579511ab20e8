// "I already have an agent": agent ID + API key, checked by Atelier before anything is kept.
import { h, busy, screenTitle } from "../lib/dom.js";
import { createForm, revealToggle } from "../lib/forms.js";

// The agent ID survives leaving this screen; the key deliberately does not.
const remembered = { agent_id: "" };

export function renderSignIn(ctx) {
  const values = { agent_id: remembered.agent_id, api_key: "" };
  const form = createForm({ prefix: "signin", kind: "sign_in", values });

  const submit = h("button", { type: "submit", id: "signin-submit", class: "primary" }, "Sign in");
  const back = h("button", { type: "button", id: "signin-back", class: "secondary" }, "Back");
  back.addEventListener("click", () => ctx.go("home"));

  const body = h(
    "form",
    { class: "card stack", novalidate: true, "aria-labelledby": "signin-title" },
    form.text("agent_id", { label: "Agent ID", mono: true, hint: "It starts with ext_ and was shown next to your key when you registered." }),
    form.text("api_key", {
      label: "API key",
      type: "password",
      mono: true,
      autocomplete: "off",
      hint: "It starts with atelier_. Paste it from your password manager.",
      trailing: revealToggle,
    }),
    h("div", { class: "actions" }, back, h("span", { class: "spacer" }), submit),
  );

  body.addEventListener("input", () => (remembered.agent_id = values.agent_id));
  body.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, "Checking…", async () => {
      ctx.clearError();
      const problems = await form.validate();
      if (problems.length) return form.focusFirstInvalid();
      try {
        const session = await ctx.api.signIn(values.agent_id, values.api_key);
        values.api_key = "";
        ctx.setSession(session);
        ctx.go("services");
        ctx.showSuccess(`Signed in as ${session.agent_id ?? values.agent_id}.`);
      } catch (error) {
        if (form.applyServerError(error)) form.focusFirstInvalid();
        else ctx.showError(error);
      }
    });
  });

  const title = screenTitle("Sign in with your agent");
  title.id = "signin-title";
  return h(
    "section",
    { id: "screen-sign-in", class: "screen" },
    title,
    h("p", { class: "lead" }, "Atelier Desk checks the key with Atelier, then keeps it in your system keyring, never in a file."),
    body,
  );
}
