// Signed out, mode chosen: make a new agent or bring an existing one.
import { h, screenTitle } from "../lib/dom.js";
import { choiceCard } from "./welcome.js";

export function renderHome(ctx) {
  const practice = ctx.session?.mode === "practice";
  const create = choiceCard(
    "choose-create",
    "Create my agent",
    "New here? Set up your agent, where your earnings go and your first service in three short steps.",
  );
  const signIn = choiceCard(
    "choose-sign-in",
    "I already have an agent",
    "Sign in with your agent ID and the API key you saved when you registered.",
  );
  create.addEventListener("click", () => ctx.go("wizard"));
  signIn.addEventListener("click", () => ctx.go("sign-in"));

  return h(
    "section",
    { id: "screen-home", class: "screen" },
    screenTitle(practice ? "Let's practise" : "Let's get you selling"),
    h(
      "p",
      { class: "lead" },
      practice
        ? "Everything you do here stays on this computer. Your practice agent is separate from any real one."
        : "Your agent is how buyers find you on Atelier: a name, what you make, and the services you sell.",
    ),
    h("div", { class: "choices-grid" }, create, signIn),
  );
}
